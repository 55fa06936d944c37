//! The closed sets of values the API reads and writes (states, outcomes, verdicts, roles,
//! workflow actions, campaign types, statuses, severities and kinds) as enum schemas, so that
//! clients generated from the OpenAPI document (the web UI's `schema.d.ts`) get them as types
//! instead of hand-written lists.
//!
//! Each is a schema only: the fields stay strings on the Rust side (`#[schema(value_type =
//! ...)]`), written from and parsed into the domain's own enums by the same code as before,
//! so documenting a set changes no behaviour. The tests below hold each list to the domain's,
//! so the two cannot drift.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// Declares an enum schema named `$name` with its values.
macro_rules! enum_schema {
    ($($(#[doc = $doc:literal])+ $name:ident = [$($value:literal),+ $(,)?];)+) => {$(
        $(#[doc = $doc])+
        pub struct $name;

        impl $name {
            /// Every value, in the order the schema lists them.
            pub const VALUES: &'static [&'static str] = &[$($value),+];
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                let description = [$($doc),+].map(str::trim).join(" ");
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some(description))
                    .enum_values(Some(Self::VALUES.iter().copied()))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    )+};
}

enum_schema! {
    /// A user's role.
    Role = ["admin", "red_lead", "red_tech", "blue_lead", "blue_tech", "viewer"];
    /// A person signs in; a service account has no password and acts only with API keys.
    UserKind = ["person", "service"];
    /// What an API key may be used for: `write` grants all, `read` reading, the others one area.
    ApiKeyScope = ["read", "write", "tests:write", "evidence:write", "campaigns:write", "findings:write", "detections:write", "snapshots:write", "catalog:write", "imports:run", "users:write", "knowledge:write", "scans:write"];
    /// Whether an API key can be used.
    ApiKeyStatus = ["active", "expired", "revoked"];
    /// Whether a tenant's users may sign in (`disabled`: its data is kept, nobody signs in).
    TenantStatus = ["active", "disabled"];
    /// Where a test stands in the red/blue validation workflow.
    TestState = ["draft", "red_executing", "blue_evaluating", "in_review", "validated", "rejected", "disputed"];
    /// A step of the test workflow (`POST /api/v1/tests/{id}/{action}`).
    WorkflowAction = ["start-execution", "submit-red", "start-evaluation", "submit-blue", "validate-red", "validate-blue", "reopen", "pause-timer", "resume-timer"];
    /// A team of the workflow.
    Team = ["red", "blue"];
    /// A reviewer's verdict.
    Verdict = ["approve", "reject"];
    /// What the defences did against a test.
    Outcome = ["prevented", "detected", "logged", "not_detected"];
    /// What a detection rule did in a test.
    RuleVerdict = ["triggered", "not_triggered", "not_evaluated"];
    /// A campaign's type; a red team campaign is blind to the blue team.
    CampaignType = ["purple_team", "red_team", "blue_team", "tabletop"];
    /// Where a campaign stands.
    CampaignStatus = ["draft", "active", "completed", "archived"];
    /// Where a campaign's phase stands.
    PhaseStatus = ["planned", "in_progress", "done"];
    /// A technique's coverage in this organization.
    CoverageStatus = ["not_covered", "in_progress", "partial", "validated", "stale"];
    /// How a compliance control is covered by the techniques mapped to it.
    ControlStatus = ["covered", "partial", "gap"];
    /// A finding's severity.
    Severity = ["low", "medium", "high", "critical"];
    /// Where a finding stands.
    FindingStatus = ["open", "in_remediation", "awaiting_retest", "resolved", "risk_accepted"];
    /// Where a remediation step stands.
    StepStatus = ["todo", "in_progress", "done"];
    /// What a finding is about: a validated test's gap, or a scanner's vulnerability.
    FindingKind = ["test_gap", "vulnerability"];
    /// A background job.
    JobKind = ["attack_sync", "intel_scan", "notification_cleanup", "coverage_snapshot", "coverage_refresh", "evidence_sweep", "feed_sync", "recurring_campaigns", "report_generation", "detection_decay", "alert_evaluation", "webhook_delivery", "ticket_sync", "email_delivery", "scan", "github_checks"];
    /// Where a scan of a detection-content diff stands.
    ScanStatus = ["queued", "running", "completed", "error"];
    /// A scan's answer to the pipeline.
    ScanDecision = ["pass", "fail", "error"];
    /// How much a scan finding matters.
    ScanSeverity = ["info", "low", "medium", "high", "critical"];
    /// What a scan that cannot finish decides.
    ScanErrorMode = ["fail_open", "fail_closed"];
    /// How a scan finding was let through.
    ScanWaiverKind = ["suppression", "baseline", "exception"];
    /// What became of a GitHub webhook delivery.
    GithubDeliveryResult = ["scanned", "ignored", "failed"];
    /// What a GitHub webhook delivery did.
    GithubWebhookStatus = ["pong", "duplicate", "ignored", "queued"];
    /// Where a job run stands.
    JobOutcome = ["queued", "running", "succeeded", "retrying", "dead"];
    /// Why a job run exists.
    JobTrigger = ["schedule", "manual"];
    /// A data source's feed.
    FeedKind = ["attack", "atomic", "caldera", "sigma", "elastic", "d3fend", "lolbas", "gtfobins", "stix", "compliance", "nvd", "kev", "kev_attack", "news"];
    /// How a data source's last sync went.
    SyncStatus = ["never", "running", "succeeded", "failed"];
    /// How a catalog import went.
    ImportStatus = ["running", "succeeded", "failed"];
    /// A report's kind.
    ReportKind = ["executive_summary", "coverage_report", "purple_campaign"];
    /// A report's file format.
    ReportFormat = ["html", "pdf"];
    /// Where a report stands.
    ReportStatus = ["queued", "ready", "failed"];
    /// What an alert rule watches.
    AlertRuleType = ["high_risk_uncovered", "stale_technique", "coverage_regression", "low_coverage", "expiry_wave", "new_technique", "orphan_spike", "detection_gap"];
    /// How urgent an alert is.
    AlertSeverity = ["info", "low", "medium", "high", "critical"];
    /// Where an alert stands.
    AlertStatus = ["open", "acknowledged", "resolved", "dismissed"];
    /// Where a fired alert is told.
    AlertChannel = ["in_app", "webhook", "email"];
    /// Where a test template comes from.
    TemplateSource = ["atomic", "caldera", "lolbas", "gtfobins"];
    /// Where a detection rule comes from.
    RuleSource = ["sigma", "elastic"];
    /// An event in a piece of evidence's chain of custody.
    CustodyKind = ["uploaded", "downloaded", "verified", "verification_failed", "deleted", "link_issued"];
    /// What kind of detection an asset is.
    AssetKind = ["siem_rule", "edr_policy", "sensor", "ids_rule", "manual_review", "custom"];
    /// Whether a detection asset runs.
    AssetStatus = ["active", "disabled", "retired"];
    /// How a detection proof came to be.
    ProofSource = ["test", "manual"];
    /// Where a detection proof stands.
    ProofState = ["current", "expired", "invalidated"];
    /// A technique's risk level, most severe first.
    RiskLevel = ["critical", "high", "medium", "low", "info"];
    /// The order of the risk list.
    RiskSort = ["score_desc", "score_asc", "technique"];
    /// Where an intelligence item comes from.
    IntelSource = ["nvd", "kev", "news"];
    /// An intelligence item's severity (CVSS v3 rating).
    IntelSeverity = ["critical", "high", "medium", "low", "none"];
    /// What a risk recommendation asks for.
    RecommendedAction = ["plan_test", "improve_detection", "retest", "review_intelligence"];
    /// An event a webhook can subscribe to.
    WebhookEventName = ["test.transitioned", "test.validated", "finding.opened", "finding.resolved", "alert.fired", "import.finished", "report.ready", "scan.finished"];
    /// An event a delivery carries: a subscribable event, or the ping an admin asked for.
    DeliveryEvent = ["test.transitioned", "test.validated", "finding.opened", "finding.resolved", "alert.fired", "import.finished", "report.ready", "scan.finished", "webhook.ping"];
    /// The body a webhook sends: Standard Webhooks JSON, or a Slack or Microsoft Teams incoming-webhook message.
    WebhookPreset = ["generic", "slack", "teams"];
    /// Where a webhook delivery stands.
    DeliveryStatus = ["pending", "retrying", "delivered", "dead"];
    /// The tracker a ticket lives in.
    TicketSystem = ["jira", "github", "other"];
    /// A Jira status category (`statusCategory.key`); `unknown` until brought back.
    TicketStatusCategory = ["new", "indeterminate", "done", "unknown"];
    /// What a ticket is about.
    TicketSubjectKind = ["finding", "test", "remediation_step"];
    /// What a playbook is for.
    PlaybookType = ["attack", "detect", "investigate", "respond", "hunt"];
    /// What a search hit is.
    SearchType = ["technique", "test", "playbook", "lesson", "rule", "template"];
    /// How a line of a diff changed.
    DiffOp = ["equal", "insert", "delete"];
    /// What a lesson is linked to.
    LessonLinkKind = ["none", "test", "campaign"];
}

#[cfg(test)]
mod tests {
    use aegis_domain::{
        campaign, data_source, detection, detection_lifecycle, finding, job, osint, report, risk,
        role, scoring, template, test_case, workflow,
    };

    fn values<T: Copy, const N: usize>(
        all: [T; N],
        name: impl Fn(T) -> &'static str,
    ) -> Vec<&'static str> {
        all.into_iter().map(name).collect()
    }

    #[test]
    fn each_enum_schema_lists_the_detection_lifecycle_values() {
        use detection_lifecycle::{AssetKind, AssetStatus, ProofSource, ProofState};
        assert_eq!(
            super::AssetKind::VALUES,
            values(AssetKind::ALL, AssetKind::as_str)
        );
        assert_eq!(
            super::AssetStatus::VALUES,
            values(AssetStatus::ALL, AssetStatus::as_str)
        );
        assert_eq!(
            super::ProofSource::VALUES,
            values(ProofSource::ALL, ProofSource::as_str)
        );
        assert_eq!(
            super::ProofState::VALUES,
            values(ProofState::ALL, ProofState::as_str)
        );
    }

    #[test]
    fn each_enum_schema_lists_the_domain_values() {
        assert_eq!(
            super::ApiKeyScope::VALUES,
            values(
                aegis_domain::api_key::Scope::ALL,
                aegis_domain::api_key::Scope::as_str
            )
        );
        assert_eq!(
            super::Role::VALUES,
            values(role::Role::ALL, role::Role::as_str)
        );
        assert_eq!(
            super::TestState::VALUES,
            values(workflow::TestState::ALL, workflow::TestState::as_str)
        );
        assert_eq!(
            super::CampaignType::VALUES,
            values(campaign::CampaignKind::ALL, campaign::CampaignKind::as_str)
        );
        assert_eq!(
            super::CampaignStatus::VALUES,
            values(
                campaign::CampaignStatus::ALL,
                campaign::CampaignStatus::as_str
            )
        );
        assert_eq!(
            super::PhaseStatus::VALUES,
            values(campaign::PhaseStatus::ALL, campaign::PhaseStatus::as_str)
        );
        assert_eq!(
            super::Outcome::VALUES,
            values(test_case::Outcome::ALL, test_case::Outcome::as_str)
        );
        assert_eq!(
            super::CoverageStatus::VALUES,
            values(
                scoring::CoverageStatus::ALL,
                scoring::CoverageStatus::as_str
            )
        );
        assert_eq!(
            super::Severity::VALUES,
            values(finding::Severity::ALL, finding::Severity::as_str)
        );
        assert_eq!(
            super::FindingStatus::VALUES,
            values(finding::FindingStatus::ALL, finding::FindingStatus::as_str)
        );
        assert_eq!(
            super::StepStatus::VALUES,
            values(finding::StepStatus::ALL, finding::StepStatus::as_str)
        );
        assert_eq!(
            super::FindingKind::VALUES,
            values(finding::FindingKind::ALL, finding::FindingKind::as_str)
        );
        assert_eq!(
            super::ScanStatus::VALUES,
            values(
                aegis_domain::scan::ScanStatus::ALL,
                aegis_domain::scan::ScanStatus::as_str
            )
        );
        assert_eq!(
            super::ScanDecision::VALUES,
            values(
                aegis_domain::scan::Decision::ALL,
                aegis_domain::scan::Decision::as_str
            )
        );
        assert_eq!(
            super::ScanSeverity::VALUES,
            values(
                aegis_domain::scan::Severity::ALL,
                aegis_domain::scan::Severity::as_str
            )
        );
        assert_eq!(
            super::ScanWaiverKind::VALUES,
            values(
                aegis_domain::scan_policy::WaiverKind::ALL,
                aegis_domain::scan_policy::WaiverKind::as_str
            )
        );
        assert_eq!(
            super::ScanErrorMode::VALUES,
            values(
                [
                    aegis_domain::scan::ErrorMode::FailOpen,
                    aegis_domain::scan::ErrorMode::FailClosed
                ],
                aegis_domain::scan::ErrorMode::as_str
            )
        );
        assert_eq!(
            super::JobKind::VALUES,
            values(job::JobKind::ALL, job::JobKind::as_str)
        );
        assert_eq!(
            super::GithubDeliveryResult::VALUES,
            values(
                aegis_domain::github::DeliveryResult::ALL,
                aegis_domain::github::DeliveryResult::as_str
            )
        );
        assert_eq!(
            super::FeedKind::VALUES,
            values(data_source::FeedKind::ALL, data_source::FeedKind::as_str)
        );
        assert_eq!(
            super::ReportKind::VALUES,
            values(report::ReportKind::ALL, report::ReportKind::as_str)
        );
        assert_eq!(
            super::ReportFormat::VALUES,
            values(report::ReportFormat::ALL, report::ReportFormat::as_str)
        );
        assert_eq!(
            super::TemplateSource::VALUES,
            values(
                template::TemplateSource::ALL,
                template::TemplateSource::as_str
            )
        );
        assert_eq!(
            super::RuleSource::VALUES,
            values(detection::RuleSource::ALL, detection::RuleSource::as_str)
        );
        let mut actions: Vec<&str> = values(
            workflow::WorkflowAction::ALL,
            workflow::WorkflowAction::name,
        );
        actions.dedup();
        assert_eq!(super::WorkflowAction::VALUES, actions);
        assert_eq!(
            super::IntelSource::VALUES,
            values(osint::IntelSource::ALL, osint::IntelSource::as_str)
        );
        assert_eq!(
            super::IntelSeverity::VALUES,
            values(osint::IntelSeverity::ALL, osint::IntelSeverity::as_str)
        );
        assert_eq!(
            super::AlertRuleType::VALUES,
            values(
                aegis_domain::alert::AlertRuleType::ALL,
                aegis_domain::alert::AlertRuleType::as_str
            )
        );
        assert_eq!(
            super::AlertStatus::VALUES,
            values(
                aegis_domain::alert::AlertStatus::ALL,
                aegis_domain::alert::AlertStatus::as_str
            )
        );
        assert_eq!(
            super::AlertSeverity::VALUES,
            values(
                aegis_domain::alert::AlertSeverity::ALL,
                aegis_domain::alert::AlertSeverity::as_str
            )
        );
        assert_eq!(
            super::RiskLevel::VALUES,
            values(risk::RiskLevel::ALL, risk::RiskLevel::as_str)
        );
        assert_eq!(
            super::PlaybookType::VALUES,
            values(
                aegis_domain::knowledge::PlaybookKind::ALL,
                aegis_domain::knowledge::PlaybookKind::as_str
            )
        );
        assert_eq!(
            super::SearchType::VALUES,
            values(
                aegis_domain::knowledge::SearchKind::ALL,
                aegis_domain::knowledge::SearchKind::as_str
            )
        );
        assert_eq!(
            super::RecommendedAction::VALUES,
            values(
                risk::RecommendedAction::ALL,
                risk::RecommendedAction::as_str
            )
        );
    }

    #[test]
    fn each_enum_schema_lists_the_webhook_values() {
        use aegis_domain::webhook::{DeliveryStatus, WebhookEvent, WebhookPreset};
        assert_eq!(
            super::WebhookEventName::VALUES,
            values(WebhookEvent::SUBSCRIBABLE, WebhookEvent::as_str)
        );
        assert_eq!(
            super::DeliveryEvent::VALUES,
            values(WebhookEvent::ALL, WebhookEvent::as_str)
        );
        assert_eq!(
            super::WebhookPreset::VALUES,
            values(WebhookPreset::ALL, WebhookPreset::as_str)
        );
        assert_eq!(
            super::DeliveryStatus::VALUES,
            values(DeliveryStatus::ALL, DeliveryStatus::as_str)
        );
    }

    #[test]
    fn each_enum_schema_lists_the_ticket_values() {
        use aegis_domain::ticket::{StatusCategory, TicketSystem};
        assert_eq!(
            super::TicketSystem::VALUES,
            values(TicketSystem::ALL, TicketSystem::as_str)
        );
        assert_eq!(
            super::TicketStatusCategory::VALUES,
            values(StatusCategory::ALL, StatusCategory::as_str)
        );
    }
}
