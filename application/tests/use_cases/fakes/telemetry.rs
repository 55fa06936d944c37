//! The telemetry evaluator of use-case tests: none (the real one is tested in infrastructure
//! and end to end).

use aegis_application::telemetry::{
    EvaluatorError, EvaluatorReport, RuleInput, TelemetryEvaluator, TelemetryInput,
};
use aegis_domain::telemetry::RunWindow;

#[derive(Default)]
pub struct NoTelemetry;

#[async_trait::async_trait]
impl TelemetryEvaluator for NoTelemetry {
    async fn evaluate(
        &self,
        _: Vec<RuleInput>,
        _: Vec<TelemetryInput>,
        _: Option<RunWindow>,
        _: String,
    ) -> Result<EvaluatorReport, EvaluatorError> {
        Err(EvaluatorError::Unexpected(
            "no evaluator in use-case tests".into(),
        ))
    }
}
