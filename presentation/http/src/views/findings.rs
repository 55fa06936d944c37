//! The wire types of [`crate::routes::findings`]: its views, request bodies and queries.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::findings::{FindingQuery, FindingView, ScanImport};
use aegis_domain::finding::vulnerability::{SecurityScore, Vulnerability};

use crate::views::test_cases::TestView;

#[derive(Debug, Serialize, ToSchema)]
pub struct StepView {
    pub id: Uuid,
    pub title: String,
    pub assignee_id: Option<Uuid>,
    /// todo, in_progress or done.
    #[schema(value_type = crate::views::enums::StepStatus)]
    pub status: String,
    pub notes: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RiskAcceptanceView {
    pub reason: String,
    pub expires_on: NaiveDate,
    pub accepted_by: Uuid,
}

/// Where in the scanned artefact a result points.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeLocationView {
    /// As the scanner wrote it: a path, a URL, an image reference.
    pub uri: String,
    pub line: Option<u32>,
}

/// What a scanner reported for a finding of kind vulnerability.
#[derive(Debug, Serialize, ToSchema)]
pub struct VulnerabilityView {
    pub scanner: String,
    pub scanner_version: Option<String>,
    /// The scan it belongs to (scanner, and the run's category): a later import of the same
    /// scope that no longer reports it resolves the finding.
    pub scope: String,
    /// Identifies the result across imports (SHA-256, hex).
    pub fingerprint: String,
    pub rule_id: String,
    pub rule_name: Option<String>,
    pub message: String,
    pub location: Option<CodeLocationView>,
    pub cves: Vec<String>,
    pub cwes: Vec<String>,
    /// The rule's security-severity score (0 to 10), when the scanner gives one.
    pub security_severity: Option<f64>,
    /// The severity the scanner's rating implies (the finding's may be triaged apart).
    #[schema(value_type = crate::views::enums::Severity)]
    pub scanner_severity: String,
    /// How to fix it: the rule's help and the result's proposed fixes.
    pub guidance: String,
    /// The techniques its CVEs (KEV→ATT&CK, intelligence items) and CWEs lead to.
    pub techniques: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FindingResponse {
    pub id: Uuid,
    /// test_gap or vulnerability.
    #[schema(value_type = crate::views::enums::FindingKind)]
    pub kind: String,
    /// The validated test that showed the gap (test gaps only).
    pub test_id: Option<Uuid>,
    /// A test gap's technique; a vulnerability's first technique, when one leads from it.
    pub technique_id: Option<String>,
    pub campaign_id: Option<Uuid>,
    pub title: String,
    /// logged or not_detected (test gaps only).
    #[schema(value_type = Option<crate::views::enums::Outcome>)]
    pub outcome: Option<String>,
    /// low, medium, high or critical.
    #[schema(value_type = crate::views::enums::Severity)]
    pub severity: String,
    /// open, in_remediation, awaiting_retest, resolved or risk_accepted.
    #[schema(value_type = crate::views::enums::FindingStatus)]
    pub status: String,
    pub owner_id: Option<Uuid>,
    pub due_on: Option<NaiveDate>,
    /// Unresolved past its due date.
    pub overdue: bool,
    /// In order.
    pub steps: Vec<StepView>,
    pub risk_acceptance: Option<RiskAcceptanceView>,
    /// The accepted risk's expiry has passed: it needs a new decision.
    pub acceptance_expired: bool,
    /// The retest that must validate with a better outcome to resolve the finding.
    pub retest_id: Option<Uuid>,
    /// The outcome of the last retest that did not improve.
    pub last_retest_outcome: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// What the scanner reported (vulnerabilities only).
    pub vulnerability: Option<VulnerabilityView>,
}

impl From<&Vulnerability> for VulnerabilityView {
    fn from(v: &Vulnerability) -> Self {
        Self {
            scanner: v.scanner.name.clone(),
            scanner_version: v.scanner.version.clone(),
            scope: v.scope.clone(),
            fingerprint: v.fingerprint.clone(),
            rule_id: v.rule_id.clone(),
            rule_name: v.rule_name.clone(),
            message: v.message.clone(),
            location: v.location.as_ref().map(|l| CodeLocationView {
                uri: l.uri.clone(),
                line: l.line,
            }),
            cves: v.cves.clone(),
            cwes: v.cwes.clone(),
            security_severity: v.score.map(SecurityScore::value),
            scanner_severity: v.scanner_severity.as_str().to_owned(),
            guidance: v.guidance.clone(),
            techniques: v.techniques.iter().map(ToString::to_string).collect(),
        }
    }
}

impl From<FindingView> for FindingResponse {
    fn from(view: FindingView) -> Self {
        let f = view.finding;
        // Read first: the fields below move out of `f`.
        let (status, version) = (f.status(), f.version());
        let vulnerability = f.vulnerability().map(VulnerabilityView::from);
        let (kind, test_id, outcome) = (f.kind(), f.test_id(), f.outcome());
        Self {
            id: f.id.as_uuid(),
            kind: kind.as_str().to_owned(),
            test_id: test_id.map(|t| t.as_uuid()),
            technique_id: f.technique_id.as_ref().map(ToString::to_string),
            campaign_id: f.campaign_id,
            title: f.title,
            outcome: outcome.map(|o| o.as_str().to_owned()),
            vulnerability,
            severity: f.severity.as_str().to_owned(),
            status: status.as_str().to_owned(),
            owner_id: f.owner.map(|u| u.as_uuid()),
            due_on: f.due_on,
            overdue: view.overdue,
            steps: f
                .steps
                .into_iter()
                .map(|s| StepView {
                    id: s.id,
                    title: s.title,
                    assignee_id: s.assignee.map(|u| u.as_uuid()),
                    status: s.status.as_str().to_owned(),
                    notes: s.notes,
                    updated_at: s.updated_at,
                })
                .collect(),
            risk_acceptance: f.risk_acceptance.map(|a| RiskAcceptanceView {
                reason: a.reason,
                expires_on: a.expires_on,
                accepted_by: a.accepted_by.as_uuid(),
            }),
            acceptance_expired: view.acceptance_expired,
            retest_id: f.retest_id.map(|t| t.as_uuid()),
            last_retest_outcome: f.last_retest_outcome.map(|o| o.as_str().to_owned()),
            resolved_at: f.resolved_at,
            version,
            created_at: f.created_at,
            updated_at: f.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FindingListQuery {
    /// open, in_remediation, awaiting_retest, resolved or risk_accepted.
    #[param(value_type = Option<crate::views::enums::FindingStatus>)]
    pub status: Option<String>,
    /// low, medium, high or critical.
    #[param(value_type = Option<crate::views::enums::Severity>)]
    pub severity: Option<String>,
    pub technique_id: Option<String>,
    pub owner_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    /// test_gap or vulnerability.
    #[param(value_type = Option<crate::views::enums::FindingKind>)]
    pub kind: Option<String>,
    /// Only unresolved findings past their due date.
    pub overdue: Option<bool>,
}

impl From<FindingListQuery> for FindingQuery {
    fn from(q: FindingListQuery) -> Self {
        Self {
            // Closed sets: an empty value is no member of them, and is refused like any other
            // (the document lists their values).
            status: q.status,
            severity: q.severity,
            technique: q.technique_id.filter(|s| !s.trim().is_empty()),
            owner: q.owner_id,
            campaign: q.campaign_id,
            kind: q.kind,
            overdue: q.overdue.unwrap_or(false),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateFindingRequest {
    /// A user id, or null to clear.
    #[serde(default, deserialize_with = "crate::views::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub owner_id: Option<Option<Uuid>>,
    /// A date, or null to clear.
    #[serde(default, deserialize_with = "crate::views::double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub due_on: Option<Option<NaiveDate>>,
    /// low, medium, high or critical.
    #[schema(value_type = Option<crate::views::enums::Severity>)]
    pub severity: Option<String>,
    /// in_remediation (start the work), open (take back an accepted risk) or resolved
    /// (record a vulnerability fixed; a test gap resolves through its retest).
    #[schema(value_type = Option<crate::views::enums::FindingStatus>)]
    pub status: Option<String>,
    /// The version read; or send If-Match.
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AcceptRiskRequest {
    pub reason: String,
    /// After today; the finding needs a new decision then.
    pub expires_on: NaiveDate,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewStepRequest {
    pub title: String,
    pub assignee_id: Option<Uuid>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateStepRequest {
    pub title: Option<String>,
    #[serde(default, deserialize_with = "crate::views::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    /// todo, in_progress or done.
    #[schema(value_type = Option<crate::views::enums::StepStatus>)]
    pub status: Option<String>,
    pub notes: Option<String>,
    /// Move the step to this place (0 first).
    pub position: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RetestView {
    pub finding: FindingResponse,
    /// The new draft test that must validate with a better outcome.
    pub retest: TestView,
}

/// A result of the file that was not imported, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct SkippedResultView {
    /// The run and the result's place in it, from 0.
    pub run: usize,
    pub index: usize,
    pub rule_id: Option<String>,
    pub reason: String,
}

/// What a SARIF import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct SarifImportView {
    /// New vulnerability findings.
    pub created: u64,
    /// Findings reported again with something new, or reopened.
    pub updated: u64,
    /// Findings reported again as they were.
    pub unchanged: u64,
    /// Findings of the file's scans that it no longer reports.
    pub resolved: u64,
    pub results_skipped: usize,
    pub skipped: Vec<SkippedResultView>,
}

impl From<ScanImport> for SarifImportView {
    fn from(import: ScanImport) -> Self {
        Self {
            created: import.created,
            updated: import.updated,
            unchanged: import.unchanged,
            resolved: import.resolved,
            results_skipped: import.skipped.len(),
            skipped: import
                .skipped
                .into_iter()
                .map(|s| SkippedResultView {
                    run: s.run,
                    index: s.index,
                    rule_id: s.rule_id,
                    reason: s.reason,
                })
                .collect(),
        }
    }
}

/// A SARIF upload as a multipart form.
#[derive(Debug, ToSchema)]
pub struct SarifUploadForm {
    /// The SARIF 2.1.0 log.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}
