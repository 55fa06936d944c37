//! The wire types of [`crate::routes::reports`]: its views, request bodies and queries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use aegis_application::reports::Verification;
use aegis_domain::report::Report;

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    pub id: Uuid,
    /// executive_summary, coverage_report or purple_campaign.
    #[schema(value_type = crate::views::enums::ReportKind)]
    pub kind: String,
    /// html or pdf.
    #[schema(value_type = crate::views::enums::ReportFormat)]
    pub format: String,
    pub campaign_id: Option<Uuid>,
    /// queued, ready or failed.
    #[schema(value_type = crate::views::enums::ReportStatus)]
    pub status: String,
    pub requested_by: Uuid,
    pub requested_at: DateTime<Utc>,
    pub generated_at: Option<DateTime<Utc>>,
    pub size_bytes: Option<i64>,
    /// SHA-256 of the document's body (the file minus its signature line), hex.
    pub sha256: Option<String>,
    /// Ed25519 signature of the digest with the server's report key, hex.
    pub signature: Option<String>,
    /// Why generation failed.
    pub error: Option<String>,
    pub file_name: String,
}

impl From<Report> for ReportView {
    fn from(r: Report) -> Self {
        let document = r.document.as_ref();
        Self {
            id: r.id.as_uuid(),
            kind: r.kind.as_str().to_owned(),
            format: r.format.as_str().to_owned(),
            campaign_id: r.campaign_id,
            status: r.status.as_str().to_owned(),
            requested_by: r.requested_by.as_uuid(),
            requested_at: r.requested_at,
            generated_at: r.generated_at,
            size_bytes: document.map(|d| d.size_bytes),
            sha256: document.map(|d| d.sha256.clone()),
            signature: document.map(|d| d.signature.clone()),
            error: r.error.clone(),
            file_name: r.file_name(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReportRequest {
    /// executive_summary, coverage_report or purple_campaign.
    #[schema(value_type = crate::views::enums::ReportKind)]
    pub kind: String,
    /// html (default) or pdf.
    #[schema(value_type = Option<crate::views::enums::ReportFormat>)]
    pub format: Option<String>,
    /// Required for purple_campaign.
    pub campaign_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationView {
    pub report: ReportView,
    /// The stored document still hashes to the recorded digest.
    pub digest_matches: bool,
    /// The document's seal is this server's Ed25519 signature of that digest.
    pub signature_valid: bool,
    /// The public key that verifies it (`aegis report verify FILE --public-key KEY`), hex.
    pub public_key: String,
}

impl From<Verification> for VerificationView {
    fn from(v: Verification) -> Self {
        Self {
            report: v.report.into(),
            digest_matches: v.digest_matches,
            signature_valid: v.signature_valid,
            public_key: v.public_key,
        }
    }
}
