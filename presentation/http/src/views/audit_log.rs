//! The wire types of [`crate::routes::audit_log`]: its views, request bodies and queries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::audit_log::{AuditEntryView, ChainReport};

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
