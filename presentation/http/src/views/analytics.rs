//! The wire types of [`crate::routes::analytics`]: one flat row type per feed. Their fields are
//! the feeds' columns, in order, for JSON and CSV alike (docs/analytics.md keeps them stable).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::analytics::OperatorRow;
use aegis_application::error::FieldError;
use aegis_application::exports::TechniqueRow;
use aegis_domain::snapshot::PostureSnapshot;
use aegis_domain::test_case::TestCase;

use crate::problem::ApiError;
use crate::views::exports::Format;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnalyticsFormatQuery {
    /// json (default: a page object) or csv (the page's rows; the total in `X-Total-Count`).
    pub format: Option<String>,
}

impl AnalyticsFormatQuery {
    pub(crate) fn format(&self) -> Result<Format, ApiError> {
        match self.format.as_deref().map(str::trim) {
            None | Some("" | "json") => Ok(Format::Json),
            Some("csv") => Ok(Format::Csv),
            Some(_) => Err(ApiError::validation(vec![FieldError::new(
                "format",
                "must be json or csv",
            )])),
        }
    }
}

/// One technique's coverage.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageRow {
    pub technique_id: String,
    pub name: String,
    /// The parent technique of a sub-technique; empty for a technique.
    pub parent_id: Option<String>,
    /// Tactic shortnames, `; `-separated.
    pub tactics: String,
    pub status: String,
    pub score: f64,
    /// With its sub-techniques, as the heatmap colours it.
    pub rolled_score: f64,
    pub validated_tests: u32,
    pub open_tests: u32,
    pub detection_rules: u32,
    pub countermeasures: u32,
    pub threat_actors: u32,
    pub prevented: u32,
    pub detected: u32,
    pub logged: u32,
    pub missed: u32,
    pub last_validated_at: Option<DateTime<Utc>>,
}

impl From<TechniqueRow> for CoverageRow {
    fn from(row: TechniqueRow) -> Self {
        let cell = row.cell;
        Self {
            technique_id: cell.technique.mitre_id.to_string(),
            name: cell.technique.name,
            parent_id: row.parent,
            tactics: cell.technique.tactics.join("; "),
            status: cell.score.status.as_str().to_owned(),
            score: cell.score.score,
            rolled_score: cell.rolled_score,
            validated_tests: cell.score.validated_tests,
            open_tests: cell.open_tests,
            detection_rules: cell.rules,
            countermeasures: cell.countermeasures,
            threat_actors: cell.actors,
            prevented: cell.outcomes.prevented,
            detected: cell.outcomes.detected,
            logged: cell.outcomes.logged,
            missed: cell.outcomes.missed,
            last_validated_at: cell.score.last_validated_at,
        }
    }
}

/// One test.
#[derive(Debug, Serialize, ToSchema)]
pub struct TestRow {
    pub id: Uuid,
    pub title: String,
    pub technique_id: String,
    pub state: String,
    pub platform: Option<String>,
    pub campaign_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub executed_at: Option<DateTime<Utc>>,
    pub tool: Option<String>,
    /// `prevented`, `detected`, `logged` or `not_detected` once blue has scored it.
    pub outcome: Option<String>,
    pub detected_at: Option<DateTime<Utc>>,
    /// From red's execution to blue's detection.
    pub time_to_detect_seconds: Option<i64>,
    pub detection_source: Option<String>,
    /// Rules blue reported as fired, `; `-separated.
    pub fired_rules: String,
    pub validated_at: Option<DateTime<Utc>>,
}

impl From<TestCase> for TestRow {
    fn from(test: TestCase) -> Self {
        let time_to_detect_seconds = test
            .red
            .executed_at
            .zip(test.blue.detected_at)
            .map(|(executed, detected)| (detected - executed).num_seconds());
        Self {
            id: test.id.as_uuid(),
            technique_id: test.technique_id.to_string(),
            state: test.workflow().state().as_str().to_owned(),
            fired_rules: test.blue.fired_rules().collect::<Vec<_>>().join("; "),
            title: test.title,
            platform: test.platform,
            campaign_id: test.campaign_id,
            assignee_id: test.assignee.map(|a| a.as_uuid()),
            created_at: test.created_at,
            executed_at: test.red.executed_at,
            tool: test.red.tool,
            outcome: test.blue.outcome.map(|o| o.as_str().to_owned()),
            detected_at: test.blue.detected_at,
            time_to_detect_seconds,
            detection_source: test.blue.detection_source,
            validated_at: test.validated_at,
        }
    }
}

/// One posture snapshot: a point of the trend.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrendRow {
    pub taken_at: DateTime<Utc>,
    /// `scheduled` (the weekly job) or `manual`.
    pub trigger: String,
    pub organization_score: Option<f64>,
    pub threat_weighted_score: Option<f64>,
    pub total_techniques: u32,
    pub covered_techniques: u32,
    pub coverage_percent: f64,
    pub validated_tests: u32,
}

impl From<PostureSnapshot> for TrendRow {
    fn from(snapshot: PostureSnapshot) -> Self {
        Self {
            coverage_percent: snapshot.coverage_percent(),
            taken_at: snapshot.taken_at,
            trigger: if snapshot.taken_by.is_some() {
                "manual"
            } else {
                "scheduled"
            }
            .to_owned(),
            organization_score: snapshot.organization_score,
            threat_weighted_score: snapshot.threat_weighted_score,
            total_techniques: snapshot.total_techniques,
            covered_techniques: snapshot.covered_techniques,
            validated_tests: snapshot.validated_tests,
        }
    }
}

/// One person's logged work on one team.
#[derive(Debug, Serialize, ToSchema)]
pub struct OperatorActivityRow {
    pub user_id: Uuid,
    /// Empty for an account that no longer exists.
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub role: Option<String>,
    /// `red` or `blue`.
    pub team: String,
    /// Distinct tests with a worklog.
    pub tests: u64,
    pub worklogs: u64,
    /// Worked time, pauses excluded.
    pub worked_seconds: i64,
    pub first_started_at: DateTime<Utc>,
    pub last_ended_at: DateTime<Utc>,
}

impl From<OperatorRow> for OperatorActivityRow {
    fn from(row: OperatorRow) -> Self {
        let activity = row.activity;
        Self {
            user_id: activity.user_id.as_uuid(),
            email: row.user.as_ref().map(|u| u.email.to_string()),
            display_name: row.user.as_ref().map(|u| u.display_name.clone()),
            role: row.user.as_ref().map(|u| u.role.as_str().to_owned()),
            team: activity.team.as_str().to_owned(),
            tests: activity.tests,
            worklogs: activity.worklogs,
            worked_seconds: activity.seconds,
            first_started_at: activity.first_started_at,
            last_ended_at: activity.last_ended_at,
        }
    }
}
