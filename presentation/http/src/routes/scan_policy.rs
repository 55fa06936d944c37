//! `/api/v1/scans/policy`, `/suppressions`, `/baselines`, `/exceptions`: what a tenant
//! decides about its scans. Registered inside the `/scans` scope before the scans' own
//! routes, so that these names are never read as a scan id.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use uuid::Uuid;

use aegis_application::Services;
use aegis_application::error::FieldError;
use aegis_application::scan_policy::{NewBaseline, NewException, NewSuppression};
use aegis_domain::scan::ScanId;
use aegis_domain::scan_policy::{ScanWaiverId, WaiverKind};

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::scan_policy::{
    NewBaselineRequest, NewExceptionRequest, NewSuppressionRequest, ScanPolicyRequest,
    ScanWaiverView, TenantScanPolicyView, WaiverListQuery,
};

/// The policy new scans are decided under (the default until the tenant sets one).
#[utoipa::path(get, path = "/api/v1/scans/policy", tag = "scans",
    responses((status = 200, body = TenantScanPolicyView)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn policy(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<TenantScanPolicyView>, ApiError> {
    Ok(web::Json(services.scan_policy.policy(&actor).await?.into()))
}

/// Replace the tenant's policy (leads and admins). Scans already submitted keep theirs.
#[utoipa::path(put, path = "/api/v1/scans/policy", tag = "scans", request_body = ScanPolicyRequest,
    responses((status = 200, body = TenantScanPolicyView), (status = 403, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn set_policy(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<ScanPolicyRequest>,
) -> Result<web::Json<TenantScanPolicyView>, ApiError> {
    let input = body.into_inner().input().map_err(|(field, value)| {
        ApiError::validation(vec![FieldError::new(
            field,
            format!("`{value}` is not one of its values"),
        )])
    })?;
    let effective = services
        .scan_policy
        .set_policy(&actor, input, &context)
        .await?;
    Ok(web::Json(effective.into()))
}

async fn list(
    services: &Services,
    actor: &aegis_application::context::Actor,
    kind: WaiverKind,
    query: WaiverListQuery,
) -> Result<web::Json<Vec<ScanWaiverView>>, ApiError> {
    let waivers = services
        .scan_policy
        .waivers(actor, Some(kind), query.include_expired.unwrap_or(false))
        .await?;
    Ok(web::Json(waivers.iter().map(ScanWaiverView::of).collect()))
}

async fn one(
    services: &Services,
    actor: &aegis_application::context::Actor,
    kind: WaiverKind,
    id: Uuid,
) -> Result<web::Json<ScanWaiverView>, ApiError> {
    let waiver = services
        .scan_policy
        .waiver(actor, kind, ScanWaiverId::from_uuid(id))
        .await?;
    Ok(web::Json(ScanWaiverView::of(&waiver)))
}

async fn delete(
    services: &Services,
    actor: &aegis_application::context::Actor,
    context: &aegis_application::context::RequestContext,
    kind: WaiverKind,
    id: Uuid,
) -> Result<HttpResponse, ApiError> {
    services
        .scan_policy
        .delete(actor, kind, ScanWaiverId::from_uuid(id), context)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn created(waiver: &aegis_domain::scan_policy::ScanWaiver) -> HttpResponse {
    HttpResponse::build(StatusCode::CREATED).json(ScanWaiverView::of(waiver))
}

/// Suppressions standing now (or all, with `include_expired`), newest first.
#[utoipa::path(get, path = "/api/v1/scans/suppressions", tag = "scans", params(WaiverListQuery),
    responses((status = 200, body = Vec<ScanWaiverView>)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn suppressions(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<WaiverListQuery>,
) -> Result<web::Json<Vec<ScanWaiverView>>, ApiError> {
    list(
        &services,
        &actor,
        WaiverKind::Suppression,
        query.into_inner(),
    )
    .await
}

/// Let one finding through by its fingerprint, until an optional expiry (leads and admins;
/// audited). A second suppression of one fingerprint is a 409.
#[utoipa::path(post, path = "/api/v1/scans/suppressions", tag = "scans",
    request_body = NewSuppressionRequest,
    responses((status = 201, body = ScanWaiverView), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn suppress(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<NewSuppressionRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let waiver = services
        .scan_policy
        .suppress(
            &actor,
            NewSuppression {
                fingerprint: body.fingerprint,
                reason: body.reason,
                expires_at: body.expires_at,
            },
            &context,
        )
        .await?;
    Ok(created(&waiver))
}

/// One suppression.
#[utoipa::path(get, path = "/api/v1/scans/suppressions/{id}", tag = "scans",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ScanWaiverView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn suppression(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<web::Json<ScanWaiverView>, ApiError> {
    one(&services, &actor, WaiverKind::Suppression, id.into_inner()).await
}

/// Delete a suppression: its finding blocks again (audited).
#[utoipa::path(delete, path = "/api/v1/scans/suppressions/{id}", tag = "scans",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn delete_suppression(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    delete(
        &services,
        &actor,
        &context,
        WaiverKind::Suppression,
        id.into_inner(),
    )
    .await
}

/// Baselines, one per repository, newest first.
#[utoipa::path(get, path = "/api/v1/scans/baselines", tag = "scans", params(WaiverListQuery),
    responses((status = 200, body = Vec<ScanWaiverView>)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn baselines(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<WaiverListQuery>,
) -> Result<web::Json<Vec<ScanWaiverView>>, ApiError> {
    list(&services, &actor, WaiverKind::Baseline, query.into_inner()).await
}

/// Accept a completed scan's findings for its repository (leads and admins; audited):
/// later scans of that repository block only on new findings. Replaces the repository's
/// previous baseline.
#[utoipa::path(post, path = "/api/v1/scans/baselines", tag = "scans",
    request_body = NewBaselineRequest,
    responses((status = 201, body = ScanWaiverView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn create_baseline(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<NewBaselineRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let waiver = services
        .scan_policy
        .baseline(
            &actor,
            NewBaseline {
                scan_id: ScanId::from_uuid(body.scan_id),
                reason: body.reason,
            },
            &context,
        )
        .await?;
    Ok(created(&waiver))
}

/// One baseline.
#[utoipa::path(get, path = "/api/v1/scans/baselines/{id}", tag = "scans",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ScanWaiverView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn baseline(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<web::Json<ScanWaiverView>, ApiError> {
    one(&services, &actor, WaiverKind::Baseline, id.into_inner()).await
}

/// Delete a baseline (audited).
#[utoipa::path(delete, path = "/api/v1/scans/baselines/{id}", tag = "scans",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn delete_baseline(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    delete(
        &services,
        &actor,
        &context,
        WaiverKind::Baseline,
        id.into_inner(),
    )
    .await
}

/// Exceptions standing now (or all, with `include_expired`), newest first.
#[utoipa::path(get, path = "/api/v1/scans/exceptions", tag = "scans", params(WaiverListQuery),
    responses((status = 200, body = Vec<ScanWaiverView>)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn exceptions(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<WaiverListQuery>,
) -> Result<web::Json<Vec<ScanWaiverView>>, ApiError> {
    list(&services, &actor, WaiverKind::Exception, query.into_inner()).await
}

/// Let one rule's findings through under a path pattern, until an optional expiry (leads
/// and admins; audited).
#[utoipa::path(post, path = "/api/v1/scans/exceptions", tag = "scans",
    request_body = NewExceptionRequest,
    responses((status = 201, body = ScanWaiverView), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn create_exception(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<NewExceptionRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let waiver = services
        .scan_policy
        .except(
            &actor,
            NewException {
                rule_id: body.rule_id,
                path_pattern: body.path_pattern,
                reason: body.reason,
                expires_at: body.expires_at,
            },
            &context,
        )
        .await?;
    Ok(created(&waiver))
}

/// One exception.
#[utoipa::path(get, path = "/api/v1/scans/exceptions/{id}", tag = "scans",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ScanWaiverView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn exception(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<web::Json<ScanWaiverView>, ApiError> {
    one(&services, &actor, WaiverKind::Exception, id.into_inner()).await
}

/// Delete an exception (audited).
#[utoipa::path(delete, path = "/api/v1/scans/exceptions/{id}", tag = "scans",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn delete_exception(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    delete(
        &services,
        &actor,
        &context,
        WaiverKind::Exception,
        id.into_inner(),
    )
    .await
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/policy", web::get().to(policy))
        .route("/policy", web::put().to(set_policy))
        .route("/suppressions", web::get().to(suppressions))
        .route("/suppressions", web::post().to(suppress))
        .route("/suppressions/{id}", web::get().to(suppression))
        .route("/suppressions/{id}", web::delete().to(delete_suppression))
        .route("/baselines", web::get().to(baselines))
        .route("/baselines", web::post().to(create_baseline))
        .route("/baselines/{id}", web::get().to(baseline))
        .route("/baselines/{id}", web::delete().to(delete_baseline))
        .route("/exceptions", web::get().to(exceptions))
        .route("/exceptions", web::post().to(create_exception))
        .route("/exceptions/{id}", web::get().to(exception))
        .route("/exceptions/{id}", web::delete().to(delete_exception));
}
