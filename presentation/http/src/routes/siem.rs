//! `/api/v1/siem/connections`: the tenant's SIEM connections (admins), a cheap check of
//! each; and `POST /api/v1/tests/{id}/siem/evaluate`, which asks a SIEM for the alerts of the
//! test's expected rules in the run's window and proposes blue's result from them.

use actix_web::{HttpResponse, web};
use uuid::Uuid;

use aegis_application::Services;
use aegis_domain::siem::SiemConnectionId;
use aegis_domain::test_case::TestId;

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::siem::{
    EvaluateSiemRequest, SiemConnectionListView, SiemConnectionRequest, SiemConnectionView,
};
use crate::views::telemetry::TelemetryEvaluationView;

/// The tenant's SIEM connections, without their secrets (admins).
#[utoipa::path(get, path = "/api/v1/siem/connections", tag = "telemetry",
    responses((status = 200, body = SiemConnectionListView), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<SiemConnectionListView>, ApiError> {
    let items = services.siem.connections(&actor).await?;
    Ok(web::Json(SiemConnectionListView {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Add a SIEM connection (admins). The secret is sealed and never returned; an address that
/// is, or resolves only to, an internal one is refused with 422 unless the webhooks'
/// allow-list names it.
#[utoipa::path(post, path = "/api/v1/siem/connections", tag = "telemetry",
    request_body = SiemConnectionRequest,
    responses((status = 201, body = SiemConnectionView), (status = 403, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn create(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<SiemConnectionRequest>,
) -> Result<HttpResponse, ApiError> {
    let saved = services
        .siem
        .save(&actor, None, body.into_inner().into(), &context)
        .await?;
    Ok(HttpResponse::Created().json(SiemConnectionView::from(saved)))
}

/// One SIEM connection, without its secret (admins).
#[utoipa::path(get, path = "/api/v1/siem/connections/{id}", tag = "telemetry",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = SiemConnectionView), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<web::Json<SiemConnectionView>, ApiError> {
    let connection = services
        .siem
        .connection(&actor, SiemConnectionId::from_uuid(*id))
        .await?;
    Ok(web::Json(connection.into()))
}

/// Replace a SIEM connection (admins); a `secret` left out keeps the stored one.
#[utoipa::path(put, path = "/api/v1/siem/connections/{id}", tag = "telemetry",
    params(("id" = Uuid, Path)), request_body = SiemConnectionRequest,
    responses((status = 200, body = SiemConnectionView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn update(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
    body: web::Json<SiemConnectionRequest>,
) -> Result<web::Json<SiemConnectionView>, ApiError> {
    let saved = services
        .siem
        .save(
            &actor,
            Some(SiemConnectionId::from_uuid(*id)),
            body.into_inner().into(),
            &context,
        )
        .await?;
    Ok(web::Json(saved.into()))
}

/// Remove a SIEM connection (admins).
#[utoipa::path(delete, path = "/api/v1/siem/connections/{id}", tag = "telemetry",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn delete(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    services
        .siem
        .delete(&actor, SiemConnectionId::from_uuid(*id), &context)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Run a cheap query against the SIEM (admins): the address, the SSRF rules and the
/// credentials. 502 with the SIEM's own message when it refuses or cannot be reached.
#[utoipa::path(post, path = "/api/v1/siem/connections/{id}/check", tag = "telemetry",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 502, description = "`SIEM_REJECTED`, `SIEM_UNREACHABLE`, `SIEM_BAD_RESPONSE` or `SIEM_TIMEOUT`", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn check(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    services
        .siem
        .check(&actor, SiemConnectionId::from_uuid(*id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ask a SIEM for the alerts of the test's expected rules (the catalog's rules of its
/// technique and the tenant's detection assets of it) in the run's window, propose blue's
/// result from them (detected at the first alert, else not detected) and seal it as blue
/// evidence, as the offline evaluation is; blue confirms or changes it with
/// `PATCH /api/v1/tests/{id}/blue`.
#[utoipa::path(post, path = "/api/v1/tests/{id}/siem/evaluate", tag = "telemetry",
    params(("id" = Uuid, Path)), request_body = EvaluateSiemRequest,
    responses(
        (status = 201, body = TelemetryEvaluationView),
        (status = 403, body = Problem),
        (status = 404, body = Problem, description = "TEST_NOT_FOUND or SIEM_CONNECTION_NOT_FOUND"),
        (status = 409, body = Problem, description = "EVIDENCE_LOCKED outside blue's phase"),
        (status = 422, body = Problem, description = "red recorded no execution time, or the technique has no rule to look for"),
        (status = 502, body = Problem, description = "the SIEM refused or could not be reached"),
    ),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn evaluate(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
    body: web::Json<EvaluateSiemRequest>,
) -> Result<HttpResponse, ApiError> {
    let evaluation = services
        .siem
        .evaluate(
            &actor,
            TestId::from_uuid(*id),
            SiemConnectionId::from_uuid(body.connection_id),
            &context,
        )
        .await?;
    Ok(HttpResponse::Created().json(TelemetryEvaluationView::from(evaluation)))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/connections", web::get().to(list))
        .route("/connections", web::post().to(create))
        .route("/connections/{id}", web::get().to(get))
        .route("/connections/{id}", web::put().to(update))
        .route("/connections/{id}", web::delete().to(delete))
        .route("/connections/{id}/check", web::post().to(check));
}
