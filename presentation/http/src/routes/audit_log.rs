//! `/api/v1/audit-logs`: the tenant's audit trail and its verification (admins).

use actix_web::web;

use aegis_application::Services;
use aegis_application::context::Initiator;
use aegis_domain::ports::AuditFilter;
use aegis_domain::user::UserId;

use crate::auth::Authenticated;
use crate::problem::{ApiError, Problem};
use crate::views::audit_log::{AuditEntryResponse, AuditQuery, ChainVerificationResponse};
use crate::views::{PageQuery, Paginated};

/// The audit trail, newest first.
#[utoipa::path(get, path = "/api/v1/audit-logs", tag = "audit", params(AuditQuery, PageQuery),
    responses((status = 200, body = Paginated<AuditEntryResponse>), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<AuditQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Paginated<AuditEntryResponse>>, ApiError> {
    let query = query.into_inner();
    let filter = AuditFilter {
        actor: query.actor_id.map(UserId::from_uuid),
        action: query.action,
        entity_type: query.entity_type,
        entity_id: query.entity_id,
        from: query.from,
        to: query.to,
    };
    let entries = services
        .audit_log
        .list(&Initiator::User(actor), &filter, page.request())
        .await?;
    Ok(web::Json(Paginated::from_page(
        entries,
        AuditEntryResponse::from,
    )))
}

/// Recompute the tenant's hash chain and report whether anything was edited or removed.
#[utoipa::path(get, path = "/api/v1/audit-logs/verify", tag = "audit",
    responses((status = 200, body = ChainVerificationResponse), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn verify(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<ChainVerificationResponse>, ApiError> {
    let report = services.audit_log.verify(&Initiator::User(actor)).await?;
    Ok(web::Json(report.into()))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("", web::get().to(list))
        .route("/verify", web::get().to(verify));
}
