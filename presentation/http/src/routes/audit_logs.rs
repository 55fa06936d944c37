//! `/api/v1/audit-logs`: the tenant's audit trail and its verification (admins).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use actix_web::web;

use aegis_application::Services;
use aegis_application::audit_log::{AuditEntryView, ChainReport};
use aegis_application::context::Initiator;
use aegis_domain::ports::AuditFilter;
use aegis_domain::user::UserId;

use crate::auth::Authenticated;
use crate::problem::{ApiError, Problem};
use crate::views::{PageQuery, Paginated};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub actor_id: Option<Uuid>,
    /// Exact action, e.g. `user.created`.
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// Entries at or after this instant (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Entries before this instant (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryResponse {
    pub id: Uuid,
    pub sequence: i64,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub request_id: Option<String>,
    pub client_ip: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub previous_hash: String,
    pub hash: String,
}

impl From<AuditEntryView> for AuditEntryResponse {
    fn from(entry: AuditEntryView) -> Self {
        Self {
            id: entry.id,
            sequence: entry.sequence,
            actor_id: entry.actor_id,
            action: entry.action,
            entity_type: entry.entity_type,
            entity_id: entry.entity_id,
            details: entry.details,
            request_id: entry.request_id,
            client_ip: entry.client_ip,
            occurred_at: entry.occurred_at,
            previous_hash: entry.previous_hash,
            hash: entry.hash,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChainVerificationResponse {
    pub intact: bool,
    pub entries_checked: u64,
    pub head_sequence: i64,
    /// What broke, when the chain is not intact.
    pub problem: Option<String>,
    pub broken_at_sequence: Option<i64>,
}

impl From<ChainReport> for ChainVerificationResponse {
    fn from(report: ChainReport) -> Self {
        Self {
            intact: report.is_intact(),
            entries_checked: report.entries_checked,
            head_sequence: report.head_sequence,
            problem: report.broken,
            broken_at_sequence: report.broken_at_sequence,
        }
    }
}

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
