//! The wire types of [`crate::routes::test_cases`]: its views, request bodies and queries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::error::FieldError;
use aegis_application::test_cases::Timeline;
use aegis_domain::Role;
use aegis_domain::catalog::TechniqueId;
use aegis_domain::ports::TestFilter;
use aegis_domain::test_case::TestCase;
use aegis_domain::user::UserId;
use aegis_domain::workflow::{Team, TestState, available_actions};

use crate::problem::ApiError;

#[derive(Debug, Serialize, ToSchema)]
pub struct RedReportView {
    pub executed_at: Option<DateTime<Utc>>,
    pub procedure: Option<String>,
    pub command: Option<String>,
    pub tool: Option<String>,
    pub targets: Vec<String>,
    pub result_summary: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub paused_seconds: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BlueReportView {
    /// prevented, detected, logged or not_detected.
    #[schema(value_type = Option<crate::views::enums::Outcome>)]
    pub outcome: Option<String>,
    pub detected_at: Option<DateTime<Utc>>,
    pub detection_source: Option<String>,
    /// The rules whose result is `triggered`.
    pub fired_rules: Vec<String>,
    /// Each detection rule blue checked, with what it did.
    pub rule_results: Vec<RuleResultView>,
    pub notes: Option<String>,
    /// When blue picked the test up (`start-evaluation`): blue's timer runs from here. Null
    /// while the test waits for blue.
    pub started_at: Option<DateTime<Utc>>,
    pub paused_seconds: i64,
}

/// One detection rule's result in a test.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RuleResultView {
    /// The rule's id, `source:id` (e.g. `sigma:3b6ab547-…`) or title.
    pub rule: String,
    /// triggered, not_triggered or not_evaluated.
    #[schema(value_type = crate::views::enums::RuleVerdict)]
    pub result: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VoteView {
    /// approve or reject.
    #[schema(value_type = Option<crate::views::enums::Verdict>)]
    pub verdict: Option<String>,
    pub notes: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TestView {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub technique_id: String,
    pub objective: String,
    pub target_environment: String,
    /// The platform it runs on (Windows, Linux, macOS...): coverage counts platform diversity.
    pub platform: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    /// draft, red_executing, blue_evaluating, in_review, validated, rejected or disputed.
    #[schema(value_type = crate::views::enums::TestState)]
    pub state: String,
    pub paused: bool,
    pub red: RedReportView,
    pub blue: BlueReportView,
    /// When both leads' approval validated it; null until then and after a reopen.
    pub validated_at: Option<chrono::DateTime<chrono::Utc>>,
    pub red_vote: VoteView,
    pub blue_vote: VoteView,
    /// Send it back (If-Match or `version`) to change the test: a stale one is 409.
    pub version: i32,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<TestCase> for TestView {
    fn from(t: TestCase) -> Self {
        // Copied out first: the fields below move out of `t`.
        let workflow = *t.workflow();
        let version = t.version();
        Self {
            id: t.id.as_uuid(),
            title: t.title,
            description: t.description,
            technique_id: t.technique_id.to_string(),
            objective: t.objective,
            target_environment: t.target_environment,
            platform: t.platform,
            validated_at: t.validated_at,
            assignee_id: t.assignee.map(|a| a.as_uuid()),
            campaign_id: t.campaign_id,
            state: workflow.state().as_str().to_owned(),
            paused: workflow.is_paused(),
            red: RedReportView {
                executed_at: t.red.executed_at,
                procedure: t.red.procedure,
                command: t.red.command,
                tool: t.red.tool,
                targets: t.red.targets,
                result_summary: t.red.result_summary,
                started_at: t.red_clock.started_at,
                paused_seconds: t.red_clock.paused_seconds,
            },
            blue: BlueReportView {
                outcome: t.blue.outcome.map(|o| o.as_str().to_owned()),
                detected_at: t.blue.detected_at,
                fired_rules: t.blue.fired_rules().map(str::to_owned).collect(),
                detection_source: t.blue.detection_source,
                rule_results: t
                    .blue
                    .rule_results
                    .iter()
                    .map(|r| RuleResultView {
                        rule: r.rule.clone(),
                        result: r.verdict.as_str().to_owned(),
                    })
                    .collect(),
                notes: t.blue.notes,
                // Waiting for blue to pick it up, blue's clock is not running (an earlier
                // round's start is not this one's).
                started_at: t.blue_clock.started_at.filter(|_| {
                    workflow.state() != TestState::BlueEvaluating || workflow.evaluation_started()
                }),
                paused_seconds: t.blue_clock.paused_seconds,
            },
            red_vote: VoteView {
                verdict: workflow.red_vote().map(|v| v.as_str().to_owned()),
                notes: t.red_vote_notes,
            },
            blue_vote: VoteView {
                verdict: workflow.blue_vote().map(|v| v.as_str().to_owned()),
                notes: t.blue_vote_notes,
            },
            version,
            created_by: t.created_by.as_uuid(),
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransitionView {
    #[schema(value_type = crate::views::enums::WorkflowAction)]
    pub action: String,
    pub from: String,
    pub to: String,
    pub actor_id: Uuid,
    pub comment: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorklogView {
    /// red or blue.
    #[schema(value_type = crate::views::enums::Team)]
    pub team: String,
    pub actor_id: Uuid,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub paused_seconds: i64,
    pub duration_seconds: i64,
    pub integrity_hash: String,
    /// Whether the hash still matches the worklog's fields.
    pub intact: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentView {
    pub id: Uuid,
    pub author_id: Uuid,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineView {
    pub test: TestView,
    pub transitions: Vec<TransitionView>,
    pub worklogs: Vec<WorklogView>,
    pub comments: Vec<CommentView>,
    /// The workflow steps the caller's role may take on the test in its state now
    /// (`POST /tests/{id}/{action}`); the campaign's own rules may still refuse one.
    #[schema(value_type = Vec<crate::views::enums::WorkflowAction>)]
    pub available_actions: Vec<String>,
}

impl TimelineView {
    pub(crate) fn for_role(timeline: Timeline, role: Role) -> Self {
        let history = timeline.history;
        Self {
            available_actions: available_actions(timeline.test.workflow(), role)
                .into_iter()
                .map(str::to_owned)
                .collect(),
            test: timeline.test.into(),
            transitions: history
                .transitions
                .into_iter()
                .map(|t| TransitionView {
                    action: t.action,
                    from: t.from,
                    to: t.to,
                    actor_id: t.actor.as_uuid(),
                    comment: t.comment,
                    occurred_at: t.occurred_at,
                })
                .collect(),
            worklogs: history
                .worklogs
                .into_iter()
                .map(|w| WorklogView {
                    intact: w.is_intact(),
                    team: w.team.as_str().to_owned(),
                    actor_id: w.actor.as_uuid(),
                    started_at: w.started_at,
                    ended_at: w.ended_at,
                    paused_seconds: w.paused_seconds,
                    duration_seconds: w.duration_seconds,
                    integrity_hash: w.integrity_hash,
                })
                .collect(),
            comments: history
                .comments
                .into_iter()
                .map(|c| CommentView {
                    id: c.id,
                    author_id: c.author.as_uuid(),
                    body: c.body,
                    created_at: c.created_at,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateTestRequest {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// ATT&CK technique id, e.g. T1059.001; it must be in the catalog.
    pub technique_id: String,
    #[serde(default)]
    pub objective: String,
    #[serde(default)]
    pub target_environment: String,
    /// Windows, Linux, macOS...
    pub platform: Option<String>,
    pub assignee_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateTestRequest {
    pub title: Option<String>,
    pub description: Option<String>,
    pub technique_id: Option<String>,
    pub objective: Option<String>,
    pub target_environment: Option<String>,
    /// A platform, or null to clear it.
    #[serde(default, deserialize_with = "crate::views::double_option")]
    #[schema(value_type = Option<String>)]
    pub platform: Option<Option<String>>,
    /// A user id, or null to unassign.
    #[serde(default, deserialize_with = "crate::views::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    /// The version read; or send If-Match.
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RedReportRequest {
    pub executed_at: Option<DateTime<Utc>>,
    pub procedure: Option<String>,
    pub command: Option<String>,
    pub tool: Option<String>,
    pub targets: Option<Vec<String>>,
    pub result_summary: Option<String>,
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BlueReportRequest {
    /// prevented, detected, logged or not_detected.
    #[schema(value_type = Option<crate::views::enums::Outcome>)]
    pub outcome: Option<String>,
    pub detected_at: Option<DateTime<Utc>>,
    pub detection_source: Option<String>,
    /// Shorthand: these rules fired (each becomes a `triggered` result).
    pub fired_rules: Option<Vec<String>>,
    /// Each checked rule with triggered, not_triggered or not_evaluated; replaces the
    /// test's rule results (and takes precedence over `fired_rules`).
    pub rule_results: Option<Vec<RuleResultView>>,
    pub notes: Option<String>,
    pub version: Option<i32>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ActionRequest {
    /// For validate-red and validate-blue: approve or reject.
    #[schema(value_type = Option<crate::views::enums::Verdict>)]
    pub verdict: Option<String>,
    /// Vote notes (required to reject) or a comment on the step.
    pub notes: Option<String>,
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CommentRequest {
    pub body: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TestListQuery {
    #[param(value_type = Option<crate::views::enums::TestState>)]
    pub state: Option<String>,
    pub technique_id: Option<String>,
    /// Tactic id or shortname.
    pub tactic: Option<String>,
    pub campaign_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    /// red or blue: the tests waiting for that team.
    #[param(value_type = Option<crate::views::enums::Team>)]
    pub team: Option<String>,
    /// Created at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Created before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Validated at or after (RFC 3339).
    pub validated_from: Option<DateTime<Utc>>,
    /// Validated before (RFC 3339).
    pub validated_to: Option<DateTime<Utc>>,
    /// Text in the title or description.
    pub q: Option<String>,
}

impl TestListQuery {
    /// The filter it asks for, or the field at fault.
    pub(crate) fn filter(self) -> Result<TestFilter, ApiError> {
        let state = self
            .state
            .as_deref()
            .map(str::parse::<TestState>)
            .transpose()
            .map_err(|e| field("state", e.to_string()))?;
        let technique = self
            .technique_id
            .as_deref()
            .map(TechniqueId::parse)
            .transpose()
            .map_err(|e| field("technique_id", e.to_string()))?;
        let team = match self.team.as_deref() {
            None => None,
            Some("red") => Some(Team::Red),
            Some("blue") => Some(Team::Blue),
            Some(_) => return Err(field("team", "must be red or blue")),
        };
        Ok(TestFilter {
            state,
            technique,
            tactic: self.tactic.filter(|t| !t.trim().is_empty()),
            campaign: self.campaign_id,
            assignee: self.assignee_id.map(UserId::from_uuid),
            team,
            created_from: self.from,
            created_to: self.to,
            validated_from: self.validated_from,
            validated_to: self.validated_to,
            text: self.q.filter(|q| !q.trim().is_empty()),
            concealed: Vec::new(),
        })
    }
}

pub(crate) fn field(name: &str, message: impl Into<String>) -> ApiError {
    ApiError::validation(vec![FieldError::new(name, message)])
}
