//! The wire types of [`crate::routes::scans`].

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::scans::Verification;
use aegis_domain::ports::ScanFilter;
use aegis_domain::scan::{
    CoverageDelta, Decision, Finding, Scan, ScanPolicy, ScanSource, ScanStatus,
};

/// A finding of a scan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScanFindingView {
    /// The rule that found it (`bidi-control`, `attack-tag-revoked`…: docs/scans.md).
    pub rule_id: String,
    #[schema(value_type = crate::views::enums::ScanSeverity)]
    pub severity: String,
    pub file: String,
    /// The line of the new side; none for the whole file.
    pub line: Option<u32>,
    pub message: String,
    pub suggestion: String,
    /// SHA-256 of the rule, the file and the matched content: stable across line moves.
    pub fingerprint: String,
    /// Whether the scan's policy blocks on it.
    pub blocks: bool,
    /// The suppression, exception or baseline that let it through, if one did.
    pub waived: Option<WaivedView>,
}

/// How a finding was let through.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WaivedView {
    #[schema(value_type = crate::views::enums::ScanWaiverKind)]
    pub kind: String,
    pub waiver_id: String,
    pub reason: String,
    pub expires_at: Option<DateTime<Utc>>,
}

impl ScanFindingView {
    fn of(finding: &Finding, policy: &ScanPolicy) -> Self {
        Self {
            rule_id: finding.rule_id.clone(),
            severity: finding.severity.as_str().to_owned(),
            file: finding.file.clone(),
            line: finding.line,
            message: finding.message.clone(),
            suggestion: finding.suggestion.clone(),
            fingerprint: finding.fingerprint.clone(),
            blocks: policy.blocks(finding),
            waived: finding.waived.as_ref().map(|w| WaivedView {
                kind: w.kind.as_str().to_owned(),
                waiver_id: w.waiver_id.clone(),
                reason: w.reason.clone(),
                expires_at: w.expires_at,
            }),
        }
    }
}

/// The policy a scan is decided under.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScanPolicyView {
    /// Findings at this severity or above block.
    #[schema(value_type = crate::views::enums::ScanSeverity)]
    pub block_at: String,
    pub always_block: Vec<String>,
    pub never_block: Vec<String>,
    /// What a scan that cannot finish decides.
    #[schema(value_type = crate::views::enums::ScanErrorMode)]
    pub error_mode: String,
    pub download_allow_list: Vec<String>,
}

impl From<&ScanPolicy> for ScanPolicyView {
    fn from(policy: &ScanPolicy) -> Self {
        Self {
            block_at: policy.block_at.as_str().to_owned(),
            always_block: policy.always_block.iter().cloned().collect(),
            never_block: policy.never_block.iter().cloned().collect(),
            error_mode: policy.error_mode.as_str().to_owned(),
            download_allow_list: policy.download_allow_list.clone(),
        }
    }
}

/// How the change moves the organization's coverage.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CoverageDeltaView {
    /// Techniques an added rule tags that no rule of the catalog covered.
    pub gained: Vec<String>,
    /// Techniques whose only rule the change deletes.
    pub lost: Vec<String>,
    /// Rule ids of proven detection assets whose logic the change alters.
    pub proven_changed: Vec<String>,
}

impl From<&CoverageDelta> for CoverageDeltaView {
    fn from(delta: &CoverageDelta) -> Self {
        Self {
            gained: delta.gained.clone(),
            lost: delta.lost.clone(),
            proven_changed: delta.proven_changed.clone(),
        }
    }
}

/// A scan of a detection-content diff.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScanView {
    pub id: Uuid,
    pub repository: Option<String>,
    pub commit: Option<String>,
    pub base: Option<String>,
    pub pull_request: Option<String>,
    /// SHA-256 of the raw diff, kept in the evidence store as `diffs/{id}.patch`.
    pub diff_sha256: String,
    pub diff_bytes: u64,
    /// The files the diff touches.
    pub files: u32,
    #[schema(value_type = crate::views::enums::ScanStatus)]
    pub status: String,
    /// Set once completed (or given up: `error`, or `pass` under a fail-open policy).
    #[schema(value_type = Option<crate::views::enums::ScanDecision>)]
    pub decision: Option<String>,
    pub policy: ScanPolicyView,
    pub findings: u32,
    /// The findings the policy blocks on.
    pub blocking: u32,
    pub coverage: CoverageDeltaView,
    /// Why the last attempt failed.
    pub error: Option<String>,
    pub attempts: u32,
    pub submitted_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    /// When the raw diff passed the tenant's retention and was deleted; the hash stays.
    pub diff_deleted_at: Option<DateTime<Utc>>,
}

impl From<&Scan> for ScanView {
    fn from(scan: &Scan) -> Self {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Self {
            id: scan.id.as_uuid(),
            repository: scan.source.repository.clone(),
            commit: scan.source.commit.clone(),
            base: scan.source.base.clone(),
            pull_request: scan.source.pull_request.clone(),
            diff_sha256: scan.diff_sha256.clone(),
            diff_bytes: scan.diff_bytes,
            files: scan.files,
            status: scan.status.as_str().to_owned(),
            decision: scan.decision.map(|d| d.as_str().to_owned()),
            policy: (&scan.policy).into(),
            findings: count(scan.findings.len()),
            blocking: count(
                scan.findings
                    .iter()
                    .filter(|f| scan.policy.blocks(f))
                    .count(),
            ),
            coverage: (&scan.coverage).into(),
            error: scan.error.clone(),
            attempts: scan.attempts,
            submitted_by: scan.submitted_by.as_uuid(),
            created_at: scan.created_at,
            completed_at: scan.completed_at,
            diff_deleted_at: scan.diff_deleted_at,
        }
    }
}

/// A scan's findings, in file and line order.
#[must_use]
pub fn findings_of(scan: &Scan) -> Vec<ScanFindingView> {
    scan.findings
        .iter()
        .map(|f| ScanFindingView::of(f, &scan.policy))
        .collect()
}

/// Where the diff comes from (query parameters of a raw-body submission).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScanSourceQuery {
    pub repository: Option<String>,
    pub commit: Option<String>,
    /// The commit the diff is against.
    pub base: Option<String>,
    pub pull_request: Option<String>,
}

impl From<ScanSourceQuery> for ScanSource {
    fn from(query: ScanSourceQuery) -> Self {
        Self {
            repository: query.repository,
            commit: query.commit,
            base: query.base,
            pull_request: query.pull_request,
        }
    }
}

/// A submission as a multipart form: the diff and its metadata.
#[derive(Debug, ToSchema)]
pub struct ScanUploadForm {
    /// The unified diff.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    pub repository: Option<String>,
    pub commit: Option<String>,
    pub base: Option<String>,
    pub pull_request: Option<String>,
}

/// A submission as JSON: the diff as text and its metadata.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ScanSubmission {
    /// The unified diff.
    pub diff: String,
    pub repository: Option<String>,
    pub commit: Option<String>,
    pub base: Option<String>,
    pub pull_request: Option<String>,
}

/// The list's filters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScanListQuery {
    pub repository: Option<String>,
    #[param(value_type = Option<crate::views::enums::ScanDecision>)]
    pub decision: Option<String>,
    #[param(value_type = Option<crate::views::enums::ScanStatus>)]
    pub status: Option<String>,
    /// Submitted on or after this day (UTC).
    pub from: Option<NaiveDate>,
    /// Submitted on or before this day (UTC).
    pub to: Option<NaiveDate>,
}

impl ScanListQuery {
    /// The filter, or the field that does not read.
    ///
    /// # Errors
    /// The name of the field with an unknown value.
    pub fn filter(self) -> Result<ScanFilter, (&'static str, String)> {
        let decision = self
            .decision
            .map(|d| Decision::parse(&d).ok_or(("decision", d)))
            .transpose()?;
        let status = self
            .status
            .map(|s| ScanStatus::parse(&s).ok_or(("status", s)))
            .transpose()?;
        Ok(ScanFilter {
            repository: self.repository.filter(|r| !r.trim().is_empty()),
            decision,
            status,
            from: self.from,
            to: self.to,
        })
    }
}

/// `?format=html` for the artifact's HTML view.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArtifactQuery {
    /// `json` (default): the signed canonical artifact; `html`: a page for people.
    pub format: Option<String>,
}

/// Whether a presented artifact is this server's, unaltered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScanVerificationView {
    pub valid: bool,
    /// Why not.
    pub reason: Option<String>,
    /// `ed25519` or `hmac-sha256`.
    pub algorithm: String,
    /// The Ed25519 key that verifies it offline (`aegis scan verify --public-key`), hex.
    pub public_key: Option<String>,
}

impl From<Verification> for ScanVerificationView {
    fn from(v: Verification) -> Self {
        Self {
            valid: v.valid,
            reason: v.reason,
            algorithm: v.algorithm,
            public_key: v.public_key,
        }
    }
}
