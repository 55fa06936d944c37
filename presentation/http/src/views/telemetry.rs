//! The wire types of [`crate::routes::telemetry`]: a test's run (marker and window), the
//! sealed evaluations of its telemetry, and the request to evaluate it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use aegis_application::telemetry::{EvaluationDocument, RunInfo, TelemetryEvaluation};

use crate::views::evidence::EvidenceView;

/// How a test's events are tied to its run.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunView {
    /// Put it in a command line, a process or a host name: events carrying it belong to the
    /// run whatever their time.
    pub marker: String,
    /// Red's execution time, when recorded.
    pub executed_at: Option<DateTime<Utc>>,
    /// The window's start (execution less the clock skew), when red recorded its execution.
    pub window_from: Option<DateTime<Utc>>,
    /// The window's end (execution plus the grace period and the clock skew).
    pub window_to: Option<DateTime<Utc>>,
    pub clock_skew_seconds: i64,
    pub grace_seconds: i64,
}

impl From<RunInfo> for RunView {
    fn from(run: RunInfo) -> Self {
        Self {
            marker: run.marker,
            executed_at: run.executed_at,
            window_from: run.window.map(|w| w.from),
            window_to: run.window.map(|w| w.to),
            clock_skew_seconds: run.policy.clock_skew.num_seconds(),
            grace_seconds: run.policy.grace.num_seconds(),
        }
    }
}

/// A rule that fired on the run's events.
#[derive(Debug, Serialize, ToSchema)]
pub struct FiredRuleView {
    /// The Sigma rule's id.
    pub id: String,
    pub title: String,
    pub techniques: Vec<String>,
    pub level: String,
    pub matching_events: u64,
    pub first_match_at: Option<DateTime<Utc>>,
    pub last_match_at: Option<DateTime<Utc>>,
    /// Up to five matching events: `index`, `record_id`, `timestamp` and the `fields` that
    /// matched with their values.
    #[schema(value_type = Object)]
    pub samples: serde_json::Value,
}

/// A rule that could not be evaluated (never reported as not fired).
#[derive(Debug, Serialize, ToSchema)]
pub struct UnsupportedRuleView {
    pub id: String,
    pub title: String,
    pub techniques: Vec<String>,
    pub reason: String,
}

/// One rule's proposed verdict, as blue's `rule_results` take it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProposedRuleResultView {
    /// `sigma:<id>`.
    pub rule: String,
    #[schema(value_type = crate::views::enums::RuleVerdict)]
    pub verdict: String,
}

/// The blue result the evaluation proposes; blue confirms or changes it with
/// `PATCH /api/v1/tests/{id}/blue`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalView {
    #[schema(value_type = crate::views::enums::Outcome)]
    pub outcome: String,
    pub detected_at: Option<DateTime<Utc>>,
    /// The first matching event less red's execution time, in seconds.
    pub time_to_detect_seconds: Option<i64>,
    pub rule_results: Vec<ProposedRuleResultView>,
}

/// A telemetry file the evaluation read, with its hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationInputView {
    pub evidence_id: Uuid,
    pub filename: String,
    pub sha256: String,
    pub size_bytes: i64,
}

/// A rule evaluated, with its version (modification date and text hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluatedRuleVersionView {
    pub id: String,
    pub version: String,
}

/// A sealed evaluation of a test's telemetry.
#[derive(Debug, Serialize, ToSchema)]
pub struct TelemetryEvaluationView {
    /// The evidence file that seals it (its SHA-256 and chain of custody).
    pub evidence: EvidenceView,
    /// `technique` (the catalog's Sigma rules of the test's technique) or `all`.
    pub scope: String,
    pub technique_id: String,
    pub evaluated_at: DateTime<Utc>,
    pub evaluated_by: Uuid,
    pub marker: String,
    pub window_from: Option<DateTime<Utc>>,
    pub window_to: Option<DateTime<Utc>>,
    pub inputs: Vec<EvaluationInputView>,
    pub rules: Vec<EvaluatedRuleVersionView>,
    pub events_read: u64,
    /// Events inside the window or carrying the marker.
    pub events_in_run: u64,
    pub events_with_marker: u64,
    pub rules_evaluated: u64,
    pub rules_unsupported: u64,
    pub fired: Vec<FiredRuleView>,
    pub unsupported: Vec<UnsupportedRuleView>,
    pub proposal: ProposalView,
    /// `telemetry` (the offline evaluator over uploaded files) or `siem:<kind>`.
    pub source: String,
    /// The SIEM asked, the query sent and the alerts found, when the source is a SIEM.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub siem: Option<crate::views::siem::SiemQueryView>,
}

impl From<TelemetryEvaluation> for TelemetryEvaluationView {
    fn from(evaluation: TelemetryEvaluation) -> Self {
        let EvaluationDocument {
            scope,
            technique_id,
            evaluated_at,
            evaluated_by,
            marker,
            window_from,
            window_to,
            inputs,
            rules,
            result,
            proposal,
            source,
            siem,
            ..
        } = evaluation.document;
        Self {
            evidence: EvidenceView::new(evaluation.evidence, None),
            scope,
            technique_id,
            evaluated_at,
            evaluated_by,
            marker,
            window_from,
            window_to,
            inputs: inputs
                .into_iter()
                .map(|i| EvaluationInputView {
                    evidence_id: i.evidence_id,
                    filename: i.filename,
                    sha256: i.sha256,
                    size_bytes: i.size_bytes,
                })
                .collect(),
            rules: rules
                .into_iter()
                .map(|r| EvaluatedRuleVersionView {
                    id: r.id,
                    version: r.version,
                })
                .collect(),
            events_read: result.events_read,
            events_in_run: result.events_in_run,
            events_with_marker: result.events_with_marker,
            rules_evaluated: result.evaluated.len() as u64,
            rules_unsupported: result.unsupported.len() as u64,
            fired: result
                .fired
                .into_iter()
                .map(|f| FiredRuleView {
                    id: f.id,
                    title: f.title,
                    techniques: f.techniques,
                    level: f.level,
                    matching_events: f.matching_events,
                    first_match_at: f.first_match_at,
                    last_match_at: f.last_match_at,
                    samples: f.samples,
                })
                .collect(),
            unsupported: result
                .unsupported
                .into_iter()
                .map(|u| UnsupportedRuleView {
                    id: u.id,
                    title: u.title,
                    techniques: u.techniques,
                    reason: u.reason,
                })
                .collect(),
            proposal: ProposalView {
                outcome: proposal.outcome,
                detected_at: proposal.detected_at,
                time_to_detect_seconds: proposal.time_to_detect_seconds,
                rule_results: proposal
                    .rule_results
                    .into_iter()
                    .map(|r| ProposedRuleResultView {
                        rule: r.rule,
                        verdict: r.verdict,
                    })
                    .collect(),
            },
            source,
            siem: siem.map(Into::into),
        }
    }
}

/// A test's run and its sealed evaluations, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct TelemetryOverviewView {
    pub run: RunView,
    pub evaluations: Vec<TelemetryEvaluationView>,
}

/// Which rules to evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RuleScopeView {
    /// The catalog's Sigma rules tagged with the test's technique.
    #[default]
    Technique,
    /// Every Sigma rule of the catalog.
    All,
}

/// What to evaluate.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateTelemetryRequest {
    /// The test's telemetry files (evidence ids); by default every file of the test but the
    /// sealed evaluations.
    #[serde(default)]
    pub evidence_ids: Option<Vec<Uuid>>,
    #[serde(default)]
    pub scope: RuleScopeView,
}
