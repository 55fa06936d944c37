//! The wire types of [`crate::routes::campaigns`]: its views, request bodies and queries.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::campaigns::{
    CampaignCoverage, CampaignDetail, CampaignEvent, CampaignTemplate, PlannedCampaign,
    RecurrenceInput, TemplatePhase, TemplateTest,
};
use aegis_domain::campaign::{Campaign, Recurrence};
use aegis_domain::test_case::TestId;

use crate::views::test_cases::TestView;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PhaseView {
    pub name: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    /// planned, in_progress or done.
    #[schema(value_type = Option<crate::views::enums::PhaseStatus>)]
    pub status: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecurrenceView {
    /// `every N days` or the cron expression.
    pub rule: String,
    pub every_days: Option<u32>,
    pub cron: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub objective: String,
    /// purple_team, red_team (blind), blue_team or tabletop.
    #[schema(value_type = crate::views::enums::CampaignType)]
    pub campaign_type: String,
    /// draft, active, completed or archived.
    #[schema(value_type = crate::views::enums::CampaignStatus)]
    pub status: String,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub phases: Vec<PhaseView>,
    pub recurrence: Option<RecurrenceView>,
    /// When the recurring job spawns the next run.
    pub next_run_at: Option<DateTime<Utc>>,
    /// The threat actor (STIX id) it was planned from.
    pub threat_actor: Option<String>,
    /// The run it was spawned from.
    pub predecessor_id: Option<Uuid>,
    pub run_number: i32,
    /// Its tests in execution order.
    pub test_ids: Vec<Uuid>,
    /// Send it back (If-Match or `version`) to change the campaign: a stale one is 409.
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl From<Campaign> for CampaignView {
    fn from(c: Campaign) -> Self {
        // Read first: the fields below move out of `c`.
        let (status, version) = (c.status(), c.version());
        Self {
            id: c.id.as_uuid(),
            name: c.name,
            description: c.description,
            objective: c.objective,
            campaign_type: c.kind.as_str().to_owned(),
            status: status.as_str().to_owned(),
            start_date: c.starts_on,
            end_date: c.ends_on,
            phases: c
                .phases
                .into_iter()
                .map(|p| PhaseView {
                    name: p.name,
                    starts_on: p.starts_on,
                    ends_on: p.ends_on,
                    status: Some(p.status.as_str().to_owned()),
                })
                .collect(),
            recurrence: c.recurrence.map(|r| RecurrenceView {
                rule: r.describe(),
                every_days: match r {
                    Recurrence::EveryDays(days) => Some(days),
                    Recurrence::Cron(_) => None,
                },
                cron: match r {
                    Recurrence::Cron(expression) => Some(expression),
                    Recurrence::EveryDays(_) => None,
                },
            }),
            next_run_at: c.next_run_at,
            threat_actor: c.threat_actor,
            predecessor_id: c.predecessor_id.map(|p| p.as_uuid()),
            run_number: c.run_number,
            test_ids: c.test_order.iter().map(TestId::as_uuid).collect(),
            version,
            created_by: c.created_by.map(|u| u.as_uuid()),
            created_at: c.created_at,
            updated_at: c.updated_at,
            activated_at: c.activated_at,
            completed_at: c.completed_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressView {
    pub total: u32,
    /// Tests per workflow state.
    pub by_state: BTreeMap<String, u32>,
    pub validated: u32,
    pub percent_validated: f64,
    /// Validated tests per outcome.
    pub outcomes: BTreeMap<String, u32>,
    /// Drafts waiting for a dependency to validate.
    pub blocked: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignTestView {
    pub test: TestView,
    /// The tests it waits for.
    pub depends_on: Vec<Uuid>,
    /// Those of them not validated yet: it cannot start before they are.
    pub blocked_by: Vec<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignDetailView {
    pub campaign: CampaignView,
    /// In execution order.
    pub tests: Vec<CampaignTestView>,
    /// Tests of a blind (red team) campaign that red has not released to you yet.
    pub hidden_tests: u32,
    pub progress: ProgressView,
}

impl From<CampaignDetail> for CampaignDetailView {
    fn from(d: CampaignDetail) -> Self {
        let ids = |ids: Vec<TestId>| ids.iter().map(TestId::as_uuid).collect();
        Self {
            progress: ProgressView {
                total: d.progress.total,
                by_state: d
                    .progress
                    .by_state
                    .iter()
                    .map(|(s, n)| (s.as_str().to_owned(), *n))
                    .collect(),
                validated: d.progress.validated,
                percent_validated: d.progress.percent_validated,
                outcomes: d
                    .progress
                    .outcomes
                    .iter()
                    .map(|(o, n)| (o.as_str().to_owned(), *n))
                    .collect(),
                blocked: d.progress.blocked,
            },
            campaign: d.campaign.into(),
            tests: d
                .tests
                .into_iter()
                .map(|t| CampaignTestView {
                    depends_on: ids(t.depends_on),
                    blocked_by: ids(t.blocked_by),
                    test: t.test.into(),
                })
                .collect(),
            hidden_tests: d.hidden_tests,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RecurrenceRequest {
    /// Every so many days (1 to 3660)...
    pub every_days: Option<u32>,
    /// ...or a cron expression in UTC (five fields, or six with seconds first).
    pub cron: Option<String>,
}

impl From<RecurrenceRequest> for RecurrenceInput {
    fn from(r: RecurrenceRequest) -> Self {
        Self {
            every_days: r.every_days,
            cron: r.cron,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateCampaignRequest {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub objective: String,
    /// purple_team (default), red_team, blue_team or tabletop.
    #[schema(value_type = Option<crate::views::enums::CampaignType>)]
    pub campaign_type: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    #[serde(default)]
    pub phases: Vec<PhaseView>,
    pub recurrence: Option<RecurrenceRequest>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateCampaignRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    pub objective: Option<String>,
    /// Only while in draft.
    #[schema(value_type = Option<crate::views::enums::CampaignType>)]
    pub campaign_type: Option<String>,
    /// Replaces the phases.
    pub phases: Option<Vec<PhaseView>>,
    /// The version read; or send If-Match.
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ScheduleRequest {
    /// A date, or null to clear it.
    #[serde(default, deserialize_with = "crate::views::double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub start_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "crate::views::double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub end_date: Option<Option<NaiveDate>>,
    /// A recurrence, or null to stop recurring.
    #[serde(default, deserialize_with = "crate::views::double_option")]
    #[schema(value_type = Option<RecurrenceRequest>)]
    pub recurrence: Option<Option<RecurrenceRequest>>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LinkTestRequest {
    pub test_id: Uuid,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct OrderRequest {
    /// Every test of the campaign, each once, in execution order.
    pub test_ids: Vec<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DependenciesRequest {
    /// Tests of the same campaign that must validate before this one starts.
    pub depends_on: Vec<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FromThreatActorRequest {
    /// ATT&CK id (G0016) or STIX id.
    pub threat_actor_id: String,
    pub name: Option<String>,
    /// purple_team (default), red_team, blue_team or tabletop.
    #[schema(value_type = Option<crate::views::enums::CampaignType>)]
    pub campaign_type: Option<String>,
    /// Only techniques that run on this platform (Windows, Linux, macOS...).
    pub platform: Option<String>,
    /// Leave out techniques validated within this many days.
    pub skip_validated_within_days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SkippedTechnique {
    pub technique_id: String,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlannedCampaignView {
    #[serde(flatten)]
    pub detail: CampaignDetailView,
    pub skipped: Vec<SkippedTechnique>,
    /// How many tests were planned from a test template.
    pub from_templates: u32,
}

impl From<PlannedCampaign> for PlannedCampaignView {
    fn from(p: PlannedCampaign) -> Self {
        Self {
            detail: p.detail.into(),
            skipped: p
                .skipped
                .into_iter()
                .map(|(technique_id, reason)| SkippedTechnique {
                    technique_id,
                    reason,
                })
                .collect(),
            from_templates: p.from_templates,
        }
    }
}

/// A campaign's plan without results: no red or blue results, evidence, notes or comments.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CampaignTemplateView {
    /// `aegis.campaign-template/1`.
    pub format: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub objective: String,
    #[schema(value_type = crate::views::enums::CampaignType)]
    pub campaign_type: String,
    /// Days from start to end.
    pub duration_days: Option<i64>,
    #[serde(default)]
    pub phases: Vec<TemplatePhaseView>,
    pub recurrence: Option<String>,
    pub threat_actor: Option<String>,
    pub tests: Vec<TemplateTestView>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TemplatePhaseView {
    pub name: String,
    pub starts_after_days: Option<i64>,
    pub ends_after_days: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TemplateTestView {
    /// The test's place in the plan, which `depends_on` refers to.
    pub key: u32,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub technique_id: String,
    #[serde(default)]
    pub objective: String,
    #[serde(default)]
    pub target_environment: String,
    pub platform: Option<String>,
    pub procedure: Option<String>,
    pub command: Option<String>,
    pub tool: Option<String>,
    #[serde(default)]
    pub depends_on: Vec<u32>,
}

impl From<CampaignTemplate> for CampaignTemplateView {
    fn from(t: CampaignTemplate) -> Self {
        Self {
            format: t.format,
            name: t.name,
            description: t.description,
            objective: t.objective,
            campaign_type: t.kind,
            duration_days: t.duration_days,
            phases: t
                .phases
                .into_iter()
                .map(|p| TemplatePhaseView {
                    name: p.name,
                    starts_after_days: p.starts_after_days,
                    ends_after_days: p.ends_after_days,
                })
                .collect(),
            recurrence: t.recurrence,
            threat_actor: t.threat_actor,
            tests: t
                .tests
                .into_iter()
                .map(|t| TemplateTestView {
                    key: t.key,
                    title: t.title,
                    description: t.description,
                    technique_id: t.technique_id,
                    objective: t.objective,
                    target_environment: t.target_environment,
                    platform: t.platform,
                    procedure: t.procedure,
                    command: t.command,
                    tool: t.tool,
                    depends_on: t.depends_on,
                })
                .collect(),
        }
    }
}

impl From<CampaignTemplateView> for CampaignTemplate {
    fn from(t: CampaignTemplateView) -> Self {
        Self {
            format: t.format,
            name: t.name,
            description: t.description,
            objective: t.objective,
            kind: t.campaign_type,
            duration_days: t.duration_days,
            phases: t
                .phases
                .into_iter()
                .map(|p| TemplatePhase {
                    name: p.name,
                    starts_after_days: p.starts_after_days,
                    ends_after_days: p.ends_after_days,
                })
                .collect(),
            recurrence: t.recurrence,
            threat_actor: t.threat_actor,
            tests: t
                .tests
                .into_iter()
                .map(|t| TemplateTest {
                    key: t.key,
                    title: t.title,
                    description: t.description,
                    technique_id: t.technique_id,
                    objective: t.objective,
                    target_environment: t.target_environment,
                    platform: t.platform,
                    procedure: t.procedure,
                    command: t.command,
                    tool: t.tool,
                    depends_on: t.depends_on,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ImportRequest {
    pub template: CampaignTemplateView,
    /// When the new campaign starts; phases keep their offsets from it.
    pub start_date: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignTechniqueView {
    pub technique_id: String,
    pub tests: u32,
    /// The newest validated outcome in this run.
    #[schema(value_type = Option<crate::views::enums::Outcome>)]
    pub outcome: Option<String>,
    /// Scored from this run's tests alone.
    pub score: f64,
    /// not_covered, in_progress, partial, validated or stale.
    #[schema(value_type = crate::views::enums::CoverageStatus)]
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviousRunView {
    pub campaign_id: Uuid,
    pub run_number: i32,
    pub score: Option<f64>,
    pub percent_validated: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RunChangeView {
    pub technique_id: String,
    pub previous_score: Option<f64>,
    pub score: Option<f64>,
    pub previous_outcome: Option<String>,
    #[schema(value_type = Option<crate::views::enums::Outcome>)]
    pub outcome: Option<String>,
    /// improved, regressed, unchanged, new or dropped.
    pub trend: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignCoverageView {
    pub campaign_id: Uuid,
    /// Mean of its techniques' scores, from its own tests.
    pub score: Option<f64>,
    pub techniques: Vec<CampaignTechniqueView>,
    /// The run it was spawned from, if any.
    pub previous: Option<PreviousRunView>,
    /// Each technique compared with the previous run.
    pub changes: Vec<RunChangeView>,
}

impl From<CampaignCoverage> for CampaignCoverageView {
    fn from(c: CampaignCoverage) -> Self {
        let outcome =
            |o: Option<aegis_domain::test_case::Outcome>| o.map(|o| o.as_str().to_owned());
        Self {
            campaign_id: c.campaign_id.as_uuid(),
            score: c.score,
            techniques: c
                .techniques
                .into_iter()
                .map(|t| CampaignTechniqueView {
                    technique_id: t.technique_id.to_string(),
                    tests: t.tests,
                    outcome: outcome(t.outcome),
                    score: t.score.score,
                    status: t.score.status.as_str().to_owned(),
                })
                .collect(),
            previous: c.previous.map(|p| PreviousRunView {
                campaign_id: p.campaign_id.as_uuid(),
                run_number: p.run_number,
                score: p.score,
                percent_validated: p.percent_validated,
            }),
            changes: c
                .changes
                .into_iter()
                .map(|ch| RunChangeView {
                    technique_id: ch.technique_id.to_string(),
                    previous_score: ch.previous_score,
                    score: ch.score,
                    previous_outcome: outcome(ch.previous_outcome),
                    outcome: outcome(ch.outcome),
                    trend: ch.trend.as_str().to_owned(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignEventView {
    pub at: DateTime<Utc>,
    /// created, activated, completed, or a test's workflow action (start-execution...).
    pub kind: String,
    pub test_id: Option<Uuid>,
    pub test_title: Option<String>,
    pub actor_id: Option<Uuid>,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl From<CampaignEvent> for CampaignEventView {
    fn from(e: CampaignEvent) -> Self {
        Self {
            at: e.at,
            kind: e.kind,
            test_id: e.test_id.map(|t| t.as_uuid()),
            test_title: e.test_title,
            actor_id: e.actor.map(|a| a.as_uuid()),
            from: e.from,
            to: e.to,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CampaignListQuery {
    /// draft, active, completed or archived.
    #[param(value_type = Option<crate::views::enums::CampaignStatus>)]
    pub status: Option<String>,
    /// purple_team, red_team, blue_team or tabletop.
    #[param(value_type = Option<crate::views::enums::CampaignType>)]
    pub campaign_type: Option<String>,
    /// Text in the name or description.
    pub q: Option<String>,
}
