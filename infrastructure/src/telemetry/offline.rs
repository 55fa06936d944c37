//! The evaluator behind the application's `TelemetryEvaluator` port: the catalog's rule texts
//! compiled, each telemetry stream spooled to a temporary file (the readers need to seek:
//! zip, EVTX), then read and evaluated off the async executor.

use std::io::Write;

use futures::StreamExt;

use aegis_application::telemetry::{
    EvaluatedRule, EvaluatorError, EvaluatorReport, FiredRule, RuleInput, TelemetryEvaluator,
    TelemetryInput, UnsupportedRule,
};
use aegis_domain::telemetry::RunWindow;

use super::{Evaluator, RuleEntry, Run, TelemetryLimits, read_events, rules_of_file};
use crate::feeds::collection::FeedFile;

/// Evaluates rules over telemetry on this machine, within its limits.
#[derive(Debug, Clone, Copy, Default)]
pub struct OfflineEvaluator {
    pub limits: TelemetryLimits,
}

fn entry(input: RuleInput) -> RuleEntry {
    let file = FeedFile {
        path: input.path,
        bytes: input.text.into_bytes(),
    };
    match rules_of_file(&file) {
        Ok(rules) => rules
            .into_iter()
            .find(|r| r.id == input.id)
            .unwrap_or_else(|| {
                RuleEntry::unreadable(input.id, "its stored text no longer defines it".to_owned())
            }),
        Err(reason) => RuleEntry::unreadable(input.id, reason),
    }
}

#[async_trait::async_trait]
impl TelemetryEvaluator for OfflineEvaluator {
    async fn evaluate(
        &self,
        rules: Vec<RuleInput>,
        inputs: Vec<TelemetryInput>,
        window: Option<RunWindow>,
        marker: String,
    ) -> Result<EvaluatorReport, EvaluatorError> {
        let limits = self.limits;
        let mut spooled = Vec::with_capacity(inputs.len());
        for input in inputs {
            let mut file =
                tempfile::tempfile().map_err(|e| EvaluatorError::Unexpected(e.to_string()))?;
            let mut body = input.body;
            let mut written = 0u64;
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| EvaluatorError::Unexpected(e.to_string()))?;
                written += chunk.len() as u64;
                if written > limits.max_total_bytes {
                    return Err(EvaluatorError::Unreadable {
                        input: input.name,
                        reason: format!("larger than {} bytes", limits.max_total_bytes),
                    });
                }
                file.write_all(&chunk)
                    .map_err(|e| EvaluatorError::Unexpected(e.to_string()))?;
            }
            spooled.push((input.name, file));
        }
        tokio::task::spawn_blocking(move || {
            let entries: Vec<RuleEntry> = rules.into_iter().map(entry).collect();
            let mut evaluator = Evaluator::new(entries).for_run(Run {
                window,
                marker: Some(marker),
            });
            for (name, file) in spooled {
                let mut reader = std::io::BufReader::new(file);
                std::io::Seek::rewind(&mut reader)
                    .map_err(|e| EvaluatorError::Unexpected(e.to_string()))?;
                read_events(reader, &name, limits, &mut |event| {
                    evaluator.observe(&event)
                })
                .map_err(|e| EvaluatorError::Unreadable {
                    input: name.clone(),
                    reason: e.to_string(),
                })?;
            }
            let evaluated: Vec<EvaluatedRule> = evaluator
                .rules()
                .iter()
                .filter(|r| r.unsupported().is_none())
                .map(|r| EvaluatedRule {
                    id: r.id.clone(),
                    techniques: r.techniques.clone(),
                })
                .collect();
            let evaluation = evaluator.finish();
            Ok(EvaluatorReport {
                events_read: evaluation.events_read as u64,
                events_in_run: evaluation.events_in_run as u64,
                events_with_marker: evaluation.events_with_marker as u64,
                evaluated,
                fired: evaluation
                    .fired
                    .into_iter()
                    .map(|f| FiredRule {
                        samples: serde_json::to_value(&f.samples).unwrap_or_default(),
                        id: f.id,
                        title: f.title,
                        techniques: f.techniques,
                        level: f.level,
                        matching_events: f.matching_events as u64,
                        first_match_at: f.first_match_at,
                        last_match_at: f.last_match_at,
                    })
                    .collect(),
                unsupported: evaluation
                    .unsupported
                    .into_iter()
                    .map(|u| UnsupportedRule {
                        id: u.id,
                        title: u.title,
                        techniques: u.techniques,
                        reason: u.reason,
                    })
                    .collect(),
            })
        })
        .await
        .map_err(|e| EvaluatorError::Unexpected(e.to_string()))?
    }
}
