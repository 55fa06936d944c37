//! Proof from telemetry: a test's run marker and window, the sealed evaluations of its
//! telemetry, and evaluating the catalog's Sigma rules over the files uploaded as evidence.

use actix_web::{HttpResponse, web};
use uuid::Uuid;

use aegis_application::Services;
use aegis_application::telemetry::RuleScope;
use aegis_domain::evidence::EvidenceId;
use aegis_domain::test_case::TestId;

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::telemetry::{
    EvaluateTelemetryRequest, RuleScopeView, TelemetryEvaluationView, TelemetryOverviewView,
};

/// The test's run marker and window, and its sealed telemetry evaluations, newest first.
#[utoipa::path(get, path = "/api/v1/tests/{id}/telemetry", tag = "telemetry", params(("id" = Uuid, Path)),
    responses((status = 200, body = TelemetryOverviewView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn overview(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<web::Json<TelemetryOverviewView>, ApiError> {
    let (run, evaluations) = services
        .telemetry
        .overview(&actor, TestId::from_uuid(*id))
        .await?;
    Ok(web::Json(TelemetryOverviewView {
        run: run.into(),
        evaluations: evaluations.into_iter().map(Into::into).collect(),
    }))
}

/// Evaluates the catalog's Sigma rules (of the test's technique, or all) over the test's
/// telemetry files and seals the result as blue evidence; the response proposes blue's
/// result, which blue confirms or changes with `PATCH /api/v1/tests/{id}/blue`.
#[utoipa::path(post, path = "/api/v1/tests/{id}/telemetry/evaluate", tag = "telemetry", params(("id" = Uuid, Path)),
    request_body = EvaluateTelemetryRequest,
    responses(
        (status = 201, body = TelemetryEvaluationView),
        (status = 403, body = Problem),
        (status = 404, body = Problem, description = "TEST_NOT_FOUND or EVIDENCE_NOT_FOUND"),
        (status = 409, body = Problem, description = "EVIDENCE_LOCKED outside blue's phase"),
        (status = 422, body = Problem, description = "no telemetry, or a file that is not telemetry"),
    ),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn evaluate(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
    body: web::Json<EvaluateTelemetryRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let scope = match request.scope {
        RuleScopeView::Technique => RuleScope::Technique,
        RuleScopeView::All => RuleScope::All,
    };
    let evaluation = services
        .telemetry
        .evaluate(
            &actor,
            TestId::from_uuid(*id),
            request
                .evidence_ids
                .map(|ids| ids.into_iter().map(EvidenceId::from_uuid).collect()),
            scope,
            &context,
        )
        .await?;
    Ok(HttpResponse::Created().json(TelemetryEvaluationView::from(evaluation)))
}
