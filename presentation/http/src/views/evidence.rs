//! The wire types of [`crate::routes::evidence`]: its views, request bodies and queries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::evidence::{EvidenceRecord, Verification};
use aegis_domain::evidence::Evidence;

#[derive(Debug, Serialize, ToSchema)]
pub struct CustodyView {
    /// uploaded, downloaded, verified, verification_failed or deleted.
    #[schema(value_type = crate::views::enums::CustodyKind)]
    pub kind: String,
    pub actor_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub sha256: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceView {
    pub id: Uuid,
    pub test_id: Uuid,
    /// red or blue.
    #[schema(value_type = crate::views::enums::Team)]
    pub team: String,
    pub filename: String,
    /// Sniffed from the bytes.
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: Uuid,
    pub uploaded_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub delete_reason: Option<String>,
    /// Present on the detail and after an upload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custody: Option<Vec<CustodyView>>,
}

impl EvidenceView {
    pub(crate) fn new(evidence: Evidence, custody: Option<Vec<CustodyView>>) -> Self {
        Self {
            id: evidence.id.as_uuid(),
            test_id: evidence.test_id.as_uuid(),
            team: evidence.team.as_str().to_owned(),
            filename: evidence.filename,
            content_type: evidence.content_type,
            size_bytes: evidence.size_bytes,
            sha256: evidence.sha256,
            uploaded_by: evidence.uploaded_by.as_uuid(),
            uploaded_at: evidence.uploaded_at,
            deleted_at: evidence.deleted_at,
            delete_reason: evidence.delete_reason,
            custody,
        }
    }
}

impl From<EvidenceRecord> for EvidenceView {
    fn from(record: EvidenceRecord) -> Self {
        let custody = record
            .custody
            .into_iter()
            .map(|c| CustodyView {
                kind: c.kind.as_str().to_owned(),
                actor_id: c.actor.as_uuid(),
                occurred_at: c.occurred_at,
                sha256: c.sha256,
            })
            .collect();
        Self::new(record.evidence, Some(custody))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceVerificationView {
    pub evidence_id: Uuid,
    pub recorded_sha256: String,
    pub recomputed_sha256: String,
    pub intact: bool,
}

impl From<Verification> for EvidenceVerificationView {
    fn from(v: Verification) -> Self {
        Self {
            evidence_id: v.evidence.id.as_uuid(),
            recorded_sha256: v.evidence.sha256,
            recomputed_sha256: v.recomputed_sha256,
            intact: v.intact,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EvidenceQuery {
    /// red or blue.
    #[param(value_type = Option<crate::views::enums::Team>)]
    pub team: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DeleteEvidenceRequest {
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DownloadLinkView {
    /// Where a browser fetches the file: a presigned store URL, or Aegis's own download
    /// endpoint when the store cannot sign links (embedded profile).
    pub url: String,
    /// True for a presigned store URL, which needs no session and expires.
    pub presigned: bool,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}
