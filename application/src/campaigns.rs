//! Campaigns: planning tests together (in order, with dependencies, on a schedule with
//! phases), running them as one operation, repeating them, and comparing each run with the
//! one before. Every change is one unit of work with its audit entry.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use aegis_domain::campaign::{
    Campaign, CampaignFilter, CampaignId, CampaignKind, CampaignRefusal, CampaignStatus,
    Dependency, Phase, PhaseStatus, Recurrence, creates_cycle, pending_dependencies,
};
use aegis_domain::catalog::TechniqueId;
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::Action;
use aegis_domain::ports::RepositoryError;
use aegis_domain::scoring::{TechniqueScore, weighted_mean};
use aegis_domain::template::{TemplateFilter, TemplateSource};
use aegis_domain::tenant::TenantId;
use aegis_domain::test_case::{Outcome, RedReport, TestCase, TestId, TransitionRecord};
use aegis_domain::user::UserId;
use aegis_domain::workflow::TestState;

use crate::Dependencies;
use crate::audit_trail::{self, Change};
use crate::context::{Actor, Forbidden, RequestContext};
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::ports::UnitOfWork;
use crate::test_cases::{TestError, TestService};

#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("invalid campaign data")]
    Invalid(Vec<FieldError>),
    #[error("campaign not found")]
    NotFound,
    #[error("threat actor not found")]
    ThreatActorNotFound,
    #[error("the test is not in a campaign: only a campaign's tests depend on each other")]
    NotInCampaign,
    #[error("the campaign was changed by someone else; reload it and retry")]
    VersionConflict,
    #[error("{0}")]
    Refused(#[from] CampaignRefusal),
    #[error(transparent)]
    Test(#[from] TestError),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for CampaignError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::NotFound(_) => Self::NotFound,
            RepositoryError::StaleVersion { .. } => Self::VersionConflict,
            other => Self::Unexpected(unexpected(&other)),
        }
    }
}

impl Classified for CampaignError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::NotFound | Self::ThreatActorNotFound => ErrorKind::NotFound,
            Self::VersionConflict | Self::Refused(_) | Self::NotInCampaign => ErrorKind::Conflict,
            Self::Test(e) => e.kind(),
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::NotFound => "CAMPAIGN_NOT_FOUND",
            Self::ThreatActorNotFound => "THREAT_ACTOR_NOT_FOUND",
            Self::VersionConflict => "VERSION_CONFLICT",
            Self::NotInCampaign => "TEST_NOT_IN_CAMPAIGN",
            Self::Refused(CampaignRefusal::NoTests) => "CAMPAIGN_HAS_NO_TESTS",
            Self::Refused(_) => "CAMPAIGN_STATUS_CONFLICT",
            Self::Test(e) => e.code(),
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

fn invalid(field: &str, message: impl Into<String>) -> CampaignError {
    CampaignError::Invalid(vec![FieldError::new(field, message)])
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseInput {
    pub name: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    /// planned (default), in_progress or done.
    pub status: Option<String>,
}

/// A recurrence: every so many days, or a cron expression (one of the two).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecurrenceInput {
    pub every_days: Option<u32>,
    pub cron: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewCampaign {
    pub name: String,
    pub description: String,
    pub objective: String,
    /// purple_team (default), red_team, blue_team or tabletop.
    pub kind: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub phases: Vec<PhaseInput>,
    pub recurrence: Option<RecurrenceInput>,
}

/// Changes to a campaign's details; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CampaignChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub objective: Option<String>,
    pub kind: Option<String>,
    /// Replaces the phases.
    pub phases: Option<Vec<PhaseInput>>,
}

/// Changes to the schedule; `Some(None)` clears a field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScheduleChanges {
    pub starts_on: Option<Option<NaiveDate>>,
    pub ends_on: Option<Option<NaiveDate>>,
    pub recurrence: Option<Option<RecurrenceInput>>,
}

/// How far a campaign has come.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub total: u32,
    pub by_state: Vec<(TestState, u32)>,
    pub validated: u32,
    /// 0..=100, one decimal.
    pub percent_validated: f64,
    /// Validated tests per outcome.
    pub outcomes: Vec<(Outcome, u32)>,
    /// Tests in draft that wait for a dependency to validate.
    pub blocked: u32,
}

/// A test in its campaign: what it depends on and what still holds it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignTest {
    pub test: TestCase,
    pub depends_on: Vec<TestId>,
    pub blocked_by: Vec<TestId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CampaignDetail {
    pub campaign: Campaign,
    /// In execution order, as the reader may see them.
    pub tests: Vec<CampaignTest>,
    /// Tests of a blind campaign the reader may not see yet.
    pub hidden_tests: u32,
    pub progress: Progress,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FromThreatActor {
    pub threat_actor_id: String,
    pub name: Option<String>,
    pub kind: Option<String>,
    /// Only techniques that run on this platform, with templates for it.
    pub platform: Option<String>,
    /// Leave out techniques the organization validated within this many days.
    pub skip_validated_within_days: Option<u32>,
}

/// A campaign planned from an adversary, with the techniques left out and why.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedCampaign {
    pub detail: CampaignDetail,
    pub skipped: Vec<(String, String)>,
    /// How many of its tests came from a template.
    pub from_templates: u32,
}

/// A campaign's plan without any result, to share with another team or instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignTemplate {
    pub format: String,
    pub name: String,
    pub description: String,
    pub objective: String,
    pub kind: String,
    /// Days from the campaign's start to its end.
    pub duration_days: Option<i64>,
    pub phases: Vec<TemplatePhase>,
    pub recurrence: Option<String>,
    pub threat_actor: Option<String>,
    pub tests: Vec<TemplateTest>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplatePhase {
    pub name: String,
    /// Days after the campaign's start.
    pub starts_after_days: Option<i64>,
    pub ends_after_days: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateTest {
    /// Its place in the plan, which `depends_on` refers to.
    pub key: u32,
    pub title: String,
    pub description: String,
    pub technique_id: String,
    pub objective: String,
    pub target_environment: String,
    pub platform: Option<String>,
    pub procedure: Option<String>,
    pub command: Option<String>,
    pub tool: Option<String>,
    pub depends_on: Vec<u32>,
}

pub const TEMPLATE_FORMAT: &str = "aegis.campaign-template/1";

/// A technique's result in one campaign run.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignTechnique {
    pub technique_id: TechniqueId,
    pub tests: u32,
    /// The newest validated outcome.
    pub outcome: Option<Outcome>,
    /// Scored from this run's tests alone.
    pub score: TechniqueScore,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    Improved,
    Regressed,
    Unchanged,
    New,
    Dropped,
}

impl Trend {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Improved => "improved",
            Self::Regressed => "regressed",
            Self::Unchanged => "unchanged",
            Self::New => "new",
            Self::Dropped => "dropped",
        }
    }
}

/// One technique compared run over run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunChange {
    pub technique_id: TechniqueId,
    pub previous_score: Option<f64>,
    pub score: Option<f64>,
    pub previous_outcome: Option<Outcome>,
    pub outcome: Option<Outcome>,
    pub trend: Trend,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PreviousRun {
    pub campaign_id: CampaignId,
    pub run_number: i32,
    pub score: Option<f64>,
    pub percent_validated: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CampaignCoverage {
    pub campaign_id: CampaignId,
    /// Mean of its techniques' scores.
    pub score: Option<f64>,
    pub techniques: Vec<CampaignTechnique>,
    pub previous: Option<PreviousRun>,
    pub changes: Vec<RunChange>,
}

/// Something that happened in a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignEvent {
    pub at: DateTime<Utc>,
    /// created, activated, completed, or the test's workflow action (start-execution...).
    pub kind: String,
    pub test_id: Option<TestId>,
    pub test_title: Option<String>,
    pub actor: Option<UserId>,
    pub from: Option<String>,
    pub to: Option<String>,
}

fn parse_kind(text: &str) -> Result<CampaignKind, CampaignError> {
    CampaignKind::parse(text).ok_or_else(|| {
        invalid(
            "campaign_type",
            "must be purple_team, red_team, blue_team or tabletop",
        )
    })
}

fn parse_recurrence(input: &RecurrenceInput) -> Result<Recurrence, CampaignError> {
    match (input.every_days, input.cron.as_deref()) {
        (Some(days), None) => Recurrence::every_days(days)
            .map_err(|e| invalid("recurrence.every_days", e.to_string())),
        (None, Some(cron)) => {
            Recurrence::cron(cron).map_err(|e| invalid("recurrence.cron", e.to_string()))
        }
        _ => Err(invalid(
            "recurrence",
            "give either every_days or cron (not both)",
        )),
    }
}

fn parse_phases(inputs: &[PhaseInput]) -> Result<Vec<Phase>, CampaignError> {
    let mut fields = Vec::new();
    let mut phases = Vec::new();
    if inputs.len() > 20 {
        fields.push(FieldError::new("phases", "at most 20 phases"));
    }
    for (n, input) in inputs.iter().enumerate() {
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            fields.push(FieldError::new(
                format!("phases[{n}].name"),
                "is required (at most 100 characters)",
            ));
        }
        if let (Some(start), Some(end)) = (input.starts_on, input.ends_on)
            && end < start
        {
            fields.push(FieldError::new(
                format!("phases[{n}].ends_on"),
                "must not be before starts_on",
            ));
        }
        let status = match input.status.as_deref() {
            None => PhaseStatus::Planned,
            Some(text) => PhaseStatus::parse(text).unwrap_or_else(|| {
                fields.push(FieldError::new(
                    format!("phases[{n}].status"),
                    "must be planned, in_progress or done",
                ));
                PhaseStatus::Planned
            }),
        };
        phases.push(Phase {
            name: name.to_owned(),
            starts_on: input.starts_on,
            ends_on: input.ends_on,
            status,
        });
    }
    if fields.is_empty() {
        Ok(phases)
    } else {
        Err(CampaignError::Invalid(fields))
    }
}

fn text_field(
    field: &str,
    value: &str,
    max: usize,
    required: bool,
    fields: &mut Vec<FieldError>,
) -> String {
    let trimmed = value.trim();
    if required && trimmed.is_empty() {
        fields.push(FieldError::new(field, "is required"));
    } else if trimmed.chars().count() > max {
        fields.push(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    trimmed.to_owned()
}

fn check_dates(
    starts_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
) -> Result<(), CampaignError> {
    match (starts_on, ends_on) {
        (Some(start), Some(end)) if end < start => {
            Err(invalid("end_date", "must not be before start_date"))
        }
        _ => Ok(()),
    }
}

/// Progress over the tests the reader may see.
fn progress(tests: &[CampaignTest]) -> Progress {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let total = count(tests.len());
    let by_state: Vec<(TestState, u32)> = TestState::ALL
        .into_iter()
        .map(|state| {
            let n = tests
                .iter()
                .filter(|t| t.test.workflow.state() == state)
                .count();
            (state, count(n))
        })
        .collect();
    let validated: Vec<&TestCase> = tests
        .iter()
        .map(|t| &t.test)
        .filter(|t| t.workflow.state() == TestState::Validated)
        .collect();
    let outcomes = Outcome::ALL
        .into_iter()
        .map(|o| {
            let n = validated
                .iter()
                .filter(|t| t.blue.outcome == Some(o))
                .count();
            (o, count(n))
        })
        .collect();
    let percent_validated = if total == 0 {
        0.0
    } else {
        (f64::from(count(validated.len())) * 1000.0 / f64::from(total)).round() / 10.0
    };
    Progress {
        total,
        by_state,
        validated: count(validated.len()),
        percent_validated,
        outcomes,
        blocked: count(
            tests
                .iter()
                .filter(|t| t.test.workflow.state() == TestState::Draft)
                .filter(|t| !t.blocked_by.is_empty())
                .count(),
        ),
    }
}

/// The campaign's tests in its order (tests missing from the order last, oldest first).
fn in_order(campaign: &Campaign, mut tests: Vec<TestCase>) -> Vec<TestCase> {
    let position: HashMap<TestId, usize> = campaign
        .test_order
        .iter()
        .enumerate()
        .map(|(n, id)| (*id, n))
        .collect();
    tests.sort_by_key(|t| {
        (
            position.get(&t.id).copied().unwrap_or(usize::MAX),
            t.created_at,
        )
    });
    tests
}

#[derive(Clone)]
pub struct CampaignService {
    deps: Dependencies,
    tests: TestService,
}

impl CampaignService {
    pub fn new(deps: Dependencies, tests: TestService) -> Self {
        Self { deps, tests }
    }

    /// # Errors
    /// `Forbidden` unless a lead or admin; `Invalid` naming the fields.
    pub async fn create(
        &self,
        actor: &Actor,
        request: NewCampaign,
        context: &RequestContext,
    ) -> Result<Campaign, CampaignError> {
        actor.authorize(Action::ManageCampaigns)?;
        let campaign = self.new_campaign(actor, &request)?;
        let uow = self.deps.database.begin().await?;
        uow.insert_campaign(actor.tenant_id, &campaign).await?;
        self.audit(
            uow.as_ref(),
            Some(actor),
            context,
            "campaign.created",
            &campaign,
            serde_json::json!({"name": campaign.name, "kind": campaign.kind.as_str()}),
        )
        .await?;
        uow.commit().await?;
        Ok(campaign)
    }

    fn new_campaign(
        &self,
        actor: &Actor,
        request: &NewCampaign,
    ) -> Result<Campaign, CampaignError> {
        let mut fields = Vec::new();
        let name = text_field("name", &request.name, 200, true, &mut fields);
        let description = text_field(
            "description",
            &request.description,
            20_000,
            false,
            &mut fields,
        );
        let objective = text_field("objective", &request.objective, 5_000, false, &mut fields);
        let kind = match request.kind.as_deref() {
            None => Ok(CampaignKind::PurpleTeam),
            Some(text) => parse_kind(text),
        };
        let phases = parse_phases(&request.phases);
        let recurrence = request
            .recurrence
            .as_ref()
            .map(parse_recurrence)
            .transpose();
        for result in [
            kind.as_ref().err(),
            phases.as_ref().err(),
            recurrence.as_ref().err(),
            check_dates(request.starts_on, request.ends_on)
                .as_ref()
                .err(),
        ]
        .into_iter()
        .flatten()
        {
            if let CampaignError::Invalid(more) = result {
                fields.extend(more.iter().cloned());
            }
        }
        if !fields.is_empty() {
            fields.sort_by(|a, b| a.field.cmp(&b.field));
            return Err(CampaignError::Invalid(fields));
        }
        let now = self.deps.clock.now();
        let mut campaign = Campaign {
            id: CampaignId::from_uuid(self.deps.ids.new_id()),
            tenant_id: actor.tenant_id,
            name,
            description,
            objective,
            kind: kind?,
            status: CampaignStatus::Draft,
            starts_on: request.starts_on,
            ends_on: request.ends_on,
            phases: phases?,
            recurrence: None,
            next_run_at: None,
            threat_actor: None,
            predecessor_id: None,
            run_number: 1,
            test_order: Vec::new(),
            version: 1,
            created_by: Some(actor.user_id),
            created_at: now,
            updated_at: now,
            activated_at: None,
            completed_at: None,
        };
        campaign.set_recurrence(recurrence?, now);
        Ok(campaign)
    }

    /// # Errors
    /// `Forbidden` for a role that cannot read operations.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &CampaignFilter,
        page: PageRequest,
    ) -> Result<Page<Campaign>, CampaignError> {
        actor.authorize(Action::ReadOperations)?;
        Ok(self
            .deps
            .database
            .list_campaigns(actor.tenant_id, filter, page)
            .await?)
    }

    /// The campaign with its tests in order, their dependencies and the progress.
    ///
    /// # Errors
    /// `NotFound`.
    pub async fn get(
        &self,
        actor: &Actor,
        id: CampaignId,
    ) -> Result<CampaignDetail, CampaignError> {
        actor.authorize(Action::ReadOperations)?;
        let database = self.deps.database.as_ref();
        let campaign = database
            .find_campaign(actor.tenant_id, id)
            .await?
            .ok_or(CampaignError::NotFound)?;
        let tests = database.tests_of_campaign(actor.tenant_id, id).await?;
        let edges = database
            .dependencies_in_campaign(actor.tenant_id, id)
            .await?;
        Ok(detail(actor, campaign, tests, &edges))
    }

    /// Loads the campaign in `uow`, applies `change`, saves and audits it.
    async fn change(
        &self,
        actor: &Actor,
        id: CampaignId,
        expected_version: Option<i32>,
        context: &RequestContext,
        action: &str,
        change: impl AsyncFnOnce(
            &dyn UnitOfWork,
            &mut Campaign,
        ) -> Result<serde_json::Value, CampaignError>,
    ) -> Result<Campaign, CampaignError> {
        let uow = self.deps.database.begin().await?;
        let mut campaign = uow
            .find_campaign(actor.tenant_id, id)
            .await?
            .ok_or(CampaignError::NotFound)?;
        if expected_version.is_some_and(|v| v != campaign.version) {
            return Err(CampaignError::VersionConflict);
        }
        let details = change(uow.as_ref(), &mut campaign).await?;
        self.save(uow.as_ref(), &mut campaign).await?;
        self.audit(
            uow.as_ref(),
            Some(actor),
            context,
            action,
            &campaign,
            details,
        )
        .await?;
        uow.commit().await?;
        Ok(campaign)
    }

    async fn save(
        &self,
        uow: &dyn UnitOfWork,
        campaign: &mut Campaign,
    ) -> Result<(), CampaignError> {
        let expected = campaign.version;
        campaign.version += 1;
        campaign.updated_at = self.deps.clock.now();
        uow.update_campaign(campaign.tenant_id, campaign, expected)
            .await?;
        Ok(())
    }

    /// Name, description, objective, type (in draft) and phases.
    ///
    /// # Errors
    /// `Invalid`; `Refused` once completed; `VersionConflict`.
    pub async fn update(
        &self,
        actor: &Actor,
        id: CampaignId,
        changes: CampaignChanges,
        expected_version: Option<i32>,
        context: &RequestContext,
    ) -> Result<Campaign, CampaignError> {
        actor.authorize(Action::ManageCampaigns)?;
        let mut fields = Vec::new();
        let name = changes
            .name
            .as_deref()
            .map(|n| text_field("name", n, 200, true, &mut fields));
        let description = changes
            .description
            .as_deref()
            .map(|d| text_field("description", d, 20_000, false, &mut fields));
        let objective = changes
            .objective
            .as_deref()
            .map(|o| text_field("objective", o, 5_000, false, &mut fields));
        if !fields.is_empty() {
            return Err(CampaignError::Invalid(fields));
        }
        let kind = changes.kind.as_deref().map(parse_kind).transpose()?;
        let phases = changes.phases.as_deref().map(parse_phases).transpose()?;
        let campaign = self
            .change(
                actor,
                id,
                expected_version,
                context,
                "campaign.updated",
                async |_, campaign| {
                    campaign.ensure_open("be edited")?;
                    if let Some(kind) = kind.filter(|k| *k != campaign.kind) {
                        campaign.ensure_planning("change its type")?;
                        campaign.kind = kind;
                    }
                    if let Some(name) = name {
                        campaign.name = name;
                    }
                    if let Some(description) = description {
                        campaign.description = description;
                    }
                    if let Some(objective) = objective {
                        campaign.objective = objective;
                    }
                    if let Some(phases) = phases {
                        campaign.phases = phases;
                    }
                    Ok(serde_json::json!({"name": campaign.name}))
                },
            )
            .await?;
        Ok(campaign)
    }

    /// Start and end dates and the recurrence.
    ///
    /// # Errors
    /// `Invalid` dates or rule; `Refused` once completed.
    pub async fn schedule(
        &self,
        actor: &Actor,
        id: CampaignId,
        changes: ScheduleChanges,
        context: &RequestContext,
    ) -> Result<Campaign, CampaignError> {
        actor.authorize(Action::ManageCampaigns)?;
        let recurrence = match &changes.recurrence {
            Some(Some(input)) => Some(Some(parse_recurrence(input)?)),
            Some(None) => Some(None),
            None => None,
        };
        let now = self.deps.clock.now();
        let campaign = self
            .change(
                actor,
                id,
                None,
                context,
                "campaign.scheduled",
                async |_, campaign| {
                    campaign.ensure_open("be rescheduled")?;
                    if let Some(starts_on) = changes.starts_on {
                        campaign.starts_on = starts_on;
                    }
                    if let Some(ends_on) = changes.ends_on {
                        campaign.ends_on = ends_on;
                    }
                    check_dates(campaign.starts_on, campaign.ends_on)?;
                    let recurrence = recurrence.unwrap_or_else(|| campaign.recurrence.clone());
                    campaign.set_recurrence(recurrence, now);
                    Ok(serde_json::json!({
                        "start_date": campaign.starts_on,
                        "end_date": campaign.ends_on,
                        "recurrence": campaign.recurrence.as_ref().map(Recurrence::describe),
                    }))
                },
            )
            .await?;
        Ok(campaign)
    }

    /// Deletes a campaign still in draft; its tests stay, unlinked.
    ///
    /// # Errors
    /// `Refused` outside draft.
    pub async fn delete(
        &self,
        actor: &Actor,
        id: CampaignId,
        context: &RequestContext,
    ) -> Result<(), CampaignError> {
        actor.authorize(Action::ManageCampaigns)?;
        let uow = self.deps.database.begin().await?;
        let campaign = uow
            .find_campaign(actor.tenant_id, id)
            .await?
            .ok_or(CampaignError::NotFound)?;
        campaign.ensure_planning("be deleted")?;
        uow.delete_campaign(actor.tenant_id, id).await?;
        self.audit(
            uow.as_ref(),
            Some(actor),
            context,
            "campaign.deleted",
            &campaign,
            serde_json::json!({"name": campaign.name}),
        )
        .await?;
        uow.commit().await?;
        Ok(())
    }

    /// Links a draft test to a campaign in draft, at the end of its order.
    ///
    /// # Errors
    /// `Refused` outside draft; `Invalid` for a test that is not a free draft.
    pub async fn link_test(
        &self,
        actor: &Actor,
        id: CampaignId,
        test_id: TestId,
        context: &RequestContext,
    ) -> Result<Campaign, CampaignError> {
        actor.authorize(Action::ManageCampaigns)?;
        let now = self.deps.clock.now();
        let campaign = self
            .change(
                actor,
                id,
                None,
                context,
                "campaign.test_linked",
                async |uow, campaign| {
                    campaign.ensure_planning("take new tests")?;
                    let mut test = uow
                        .find_test(actor.tenant_id, test_id)
                        .await?
                        .ok_or_else(|| invalid("test_id", "no such test in this organization"))?;
                    if test.campaign_id == Some(campaign.id.as_uuid()) {
                        return Ok(serde_json::json!({"test_id": test_id}));
                    }
                    if let Some(other) = test.campaign_id {
                        return Err(invalid(
                            "test_id",
                            format!("the test already belongs to campaign {other}"),
                        ));
                    }
                    if test.workflow.state() != TestState::Draft {
                        return Err(invalid(
                            "test_id",
                            "only a test in draft can join a campaign",
                        ));
                    }
                    move_test(uow, &mut test, Some(campaign.id), now).await?;
                    campaign.test_order.push(test.id);
                    Ok(serde_json::json!({"test_id": test_id}))
                },
            )
            .await?;
        Ok(campaign)
    }

    /// Takes a test out of a campaign in draft, with its dependencies.
    ///
    /// # Errors
    /// `Refused` outside draft; `Invalid` when the test is not in the campaign.
    pub async fn unlink_test(
        &self,
        actor: &Actor,
        id: CampaignId,
        test_id: TestId,
        context: &RequestContext,
    ) -> Result<Campaign, CampaignError> {
        actor.authorize(Action::ManageCampaigns)?;
        let now = self.deps.clock.now();
        let campaign = self
            .change(
                actor,
                id,
                None,
                context,
                "campaign.test_unlinked",
                async |uow, campaign| {
                    campaign.ensure_planning("give up tests")?;
                    let mut test = uow
                        .find_test(actor.tenant_id, test_id)
                        .await?
                        .filter(|t| t.campaign_id == Some(campaign.id.as_uuid()))
                        .ok_or_else(|| invalid("test_id", "the test is not in this campaign"))?;
                    move_test(uow, &mut test, None, now).await?;
                    uow.drop_dependencies_of(actor.tenant_id, test_id).await?;
                    campaign.test_order.retain(|t| *t != test_id);
                    Ok(serde_json::json!({"test_id": test_id}))
                },
            )
            .await?;
        Ok(campaign)
    }

    /// Sets the execution order: every test of the campaign, each once.
    ///
    /// # Errors
    /// `Invalid` when the list is not exactly the campaign's tests; `Refused` outside draft.
    pub async fn reorder(
        &self,
        actor: &Actor,
        id: CampaignId,
        order: Vec<TestId>,
        context: &RequestContext,
    ) -> Result<Campaign, CampaignError> {
        actor.authorize(Action::ManageCampaigns)?;
        let campaign = self
            .change(
                actor,
                id,
                None,
                context,
                "campaign.reordered",
                async |uow, campaign| {
                    campaign.ensure_planning("be reordered")?;
                    let tests: HashSet<TestId> = uow
                        .tests_of_campaign(actor.tenant_id, campaign.id)
                        .await?
                        .into_iter()
                        .map(|t| t.id)
                        .collect();
                    let given: HashSet<TestId> = order.iter().copied().collect();
                    if given.len() != order.len() || given != tests {
                        return Err(invalid(
                            "test_ids",
                            "must list every test of the campaign exactly once",
                        ));
                    }
                    campaign.test_order = order;
                    Ok(serde_json::json!({"tests": campaign.test_order.len()}))
                },
            )
            .await?;
        Ok(campaign)
    }

    /// Replaces what a test depends on: tests of the same campaign, without cycles. The
    /// test must still be in draft.
    ///
    /// # Errors
    /// `Invalid` naming `depends_on` for a test outside the campaign or a cycle.
    pub async fn set_dependencies(
        &self,
        actor: &Actor,
        test_id: TestId,
        depends_on: Vec<TestId>,
        context: &RequestContext,
    ) -> Result<CampaignDetail, CampaignError> {
        actor.authorize(Action::ManageCampaigns)?;
        let test = self
            .deps
            .database
            .find_test(actor.tenant_id, test_id)
            .await?
            .ok_or(CampaignError::Test(TestError::NotFound))?;
        let campaign_id = test
            .campaign_id
            .map(CampaignId::from_uuid)
            .ok_or(CampaignError::NotInCampaign)?;
        let mut depends_on = depends_on;
        depends_on.sort();
        depends_on.dedup();
        self.change(
            actor,
            campaign_id,
            None,
            context,
            "campaign.dependencies_set",
            async |uow, campaign| {
                campaign.ensure_open("change dependencies")?;
                let current = uow
                    .find_test(actor.tenant_id, test_id)
                    .await?
                    .ok_or(CampaignError::Test(TestError::NotFound))?;
                if current.workflow.state() != TestState::Draft {
                    return Err(invalid(
                        "test_id",
                        "dependencies change only while the test is in draft",
                    ));
                }
                let members: HashSet<TestId> = uow
                    .tests_of_campaign(actor.tenant_id, campaign.id)
                    .await?
                    .into_iter()
                    .map(|t| t.id)
                    .collect();
                if let Some(stranger) = depends_on.iter().find(|d| !members.contains(d)) {
                    return Err(invalid(
                        "depends_on",
                        format!("test {stranger} is not in this campaign"),
                    ));
                }
                let existing: Vec<Dependency> = uow
                    .dependencies_in_campaign(actor.tenant_id, campaign.id)
                    .await?
                    .into_iter()
                    .filter(|e| e.test != test_id)
                    .collect();
                let added: Vec<Dependency> = depends_on
                    .iter()
                    .map(|d| Dependency {
                        test: test_id,
                        depends_on: *d,
                    })
                    .collect();
                if creates_cycle(&existing, &added) {
                    return Err(invalid(
                        "depends_on",
                        "these dependencies would form a cycle",
                    ));
                }
                uow.replace_dependencies(actor.tenant_id, test_id, &depends_on)
                    .await?;
                Ok(serde_json::json!({"test_id": test_id, "depends_on": depends_on}))
            },
        )
        .await?;
        let detail = self.get(actor, campaign_id).await?;
        Ok(detail)
    }

    /// Draft → active (leads or admin; at least one test).
    ///
    /// # Errors
    /// `Refused` outside draft or without tests.
    pub async fn activate(
        &self,
        actor: &Actor,
        id: CampaignId,
        context: &RequestContext,
    ) -> Result<Campaign, CampaignError> {
        actor.authorize(Action::ManageCampaigns)?;
        let now = self.deps.clock.now();
        let campaign = self
            .change(
                actor,
                id,
                None,
                context,
                "campaign.activated",
                async |_, campaign| {
                    campaign.activate(now)?;
                    Ok(serde_json::json!({"tests": campaign.test_order.len()}))
                },
            )
            .await?;
        Ok(campaign)
    }

    /// Active → completed (red lead or admin); nothing changes afterwards.
    ///
    /// # Errors
    /// `Forbidden` for others; `Refused` outside active.
    pub async fn complete(
        &self,
        actor: &Actor,
        id: CampaignId,
        context: &RequestContext,
    ) -> Result<Campaign, CampaignError> {
        actor.authorize(Action::CompleteCampaign)?;
        let now = self.deps.clock.now();
        let campaign = self
            .change(
                actor,
                id,
                None,
                context,
                "campaign.completed",
                async |uow, campaign| {
                    campaign.complete(now)?;
                    let tests = uow.tests_of_campaign(actor.tenant_id, campaign.id).await?;
                    let validated = tests
                        .iter()
                        .filter(|t| t.workflow.state() == TestState::Validated)
                        .count();
                    Ok(serde_json::json!({"tests": tests.len(), "validated": validated}))
                },
            )
            .await?;
        Ok(campaign)
    }

    /// Puts a completed (or abandoned draft) campaign away; its recurrence stops.
    ///
    /// # Errors
    /// `Refused` while active.
    pub async fn archive(
        &self,
        actor: &Actor,
        id: CampaignId,
        context: &RequestContext,
    ) -> Result<Campaign, CampaignError> {
        actor.authorize(Action::ManageCampaigns)?;
        let campaign = self
            .change(
                actor,
                id,
                None,
                context,
                "campaign.archived",
                async |_, campaign| {
                    campaign.archive()?;
                    Ok(serde_json::json!({}))
                },
            )
            .await?;
        Ok(campaign)
    }

    /// A draft campaign with one draft test per technique the actor uses (optionally only
    /// those running on a platform, and leaving out techniques validated recently), each
    /// planned from the best matching template when there is one.
    ///
    /// # Errors
    /// `ThreatActorNotFound`; `Invalid` naming the field.
    pub async fn from_threat_actor(
        &self,
        actor: &Actor,
        request: FromThreatActor,
        context: &RequestContext,
    ) -> Result<PlannedCampaign, CampaignError> {
        actor.authorize(Action::ManageCampaigns)?;
        actor.authorize(Action::PlanTests)?;
        let adversary = self
            .deps
            .catalog
            .find_threat_actor(request.threat_actor_id.trim())
            .await?
            .ok_or(CampaignError::ThreatActorNotFound)?;
        let label = adversary.actor.mitre_id.clone().map_or_else(
            || adversary.actor.name.clone(),
            |id| format!("{} ({id})", adversary.actor.name),
        );
        let platform = request
            .platform
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        let now = self.deps.clock.now();
        let scores = self.deps.database.technique_scores(actor.tenant_id).await?;
        let recently_validated: HashSet<TechniqueId> = match request.skip_validated_within_days {
            Some(days) => scores
                .iter()
                .filter(|s| {
                    s.score
                        .last_validated_at
                        .is_some_and(|at| now - at <= chrono::Duration::days(i64::from(days)))
                })
                .map(|s| s.technique_id.clone())
                .collect(),
            None => HashSet::new(),
        };
        let mut skipped = Vec::new();
        let mut planned: Vec<TestCase> = Vec::new();
        let mut from_templates = 0;
        for technique in adversary.technique_ids() {
            let Ok(id) = TechniqueId::parse(&technique) else {
                skipped.push((technique, "not an ATT&CK technique id".to_owned()));
                continue;
            };
            let Some(detail) = self.deps.catalog.find_technique(&id).await? else {
                skipped.push((technique, "not in the ATT&CK catalog yet".to_owned()));
                continue;
            };
            if let Some(platform) = platform
                && !detail
                    .technique
                    .platforms
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(platform))
            {
                skipped.push((technique, format!("does not run on {platform}")));
                continue;
            }
            if recently_validated.contains(&id) {
                skipped.push((technique, "validated recently".to_owned()));
                continue;
            }
            let test = match self.best_template(&technique, platform).await? {
                Some((new, plan)) => {
                    from_templates += 1;
                    let mut test = self.tests.new_draft(actor, new.title, id.clone());
                    test.description = new.description;
                    test.objective = new.objective;
                    test.platform = new.platform;
                    test.red = plan;
                    test
                }
                None => {
                    let mut test = self.tests.new_draft(
                        actor,
                        format!("{id} {}", detail.technique.name)
                            .chars()
                            .take(200)
                            .collect(),
                        id.clone(),
                    );
                    test.objective = format!(
                        "Emulate {label}'s use of {id} {} and confirm it is prevented or detected.",
                        detail.technique.name
                    );
                    test.platform = platform.map(str::to_owned);
                    test
                }
            };
            planned.push(test);
        }
        let name = request
            .name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| format!("Emulation of {label}"));
        let mut campaign = self.new_campaign(
            actor,
            &NewCampaign {
                name,
                description: format!(
                    "Planned from the techniques {label} is known to use ({} in all).",
                    adversary.technique_ids().len()
                ),
                objective: format!("Validate the defences against {label}."),
                kind: request.kind,
                ..NewCampaign::default()
            },
        )?;
        campaign.threat_actor = Some(adversary.actor.stix_id.clone());
        let uow = self.deps.database.begin().await?;
        uow.insert_campaign(actor.tenant_id, &campaign).await?;
        for test in &mut planned {
            test.campaign_id = Some(campaign.id.as_uuid());
            self.tests
                .insert_draft(uow.as_ref(), actor, context, test)
                .await?;
            campaign.test_order.push(test.id);
        }
        self.save(uow.as_ref(), &mut campaign).await?;
        self.audit(
            uow.as_ref(),
            Some(actor),
            context,
            "campaign.planned_from_threat_actor",
            &campaign,
            serde_json::json!({
                "threat_actor": adversary.actor.stix_id,
                "tests": planned.len(),
                "skipped": skipped.len(),
            }),
        )
        .await?;
        uow.commit().await?;
        Ok(PlannedCampaign {
            detail: detail(actor, campaign, planned, &[]),
            skipped,
            from_templates,
        })
    }

    /// The template that fits best: Atomic Red Team first, then CALDERA, LOLBAS and
    /// GTFOBins, the first whose command renders with its defaults on `platform`.
    async fn best_template(
        &self,
        technique: &str,
        platform: Option<&str>,
    ) -> Result<Option<(crate::test_cases::NewTest, RedReport)>, CampaignError> {
        let candidates = self
            .deps
            .templates
            .list_templates(
                &TemplateFilter {
                    technique: Some(technique.to_owned()),
                    platform: platform.map(str::to_owned),
                    ..TemplateFilter::default()
                },
                PageRequest::new(1, PageRequest::MAX_PER_PAGE),
            )
            .await?
            .items;
        let rank = |source: TemplateSource| match source {
            TemplateSource::Atomic => 0,
            TemplateSource::Caldera => 1,
            TemplateSource::Lolbas => 2,
            TemplateSource::Gtfobins => 3,
        };
        let mut candidates = candidates;
        candidates.sort_by(|a, b| {
            rank(a.source)
                .cmp(&rank(b.source))
                .then(a.name.cmp(&b.name))
        });
        for summary in candidates {
            let Some((_, template)) = self.deps.templates.find_template(summary.id).await? else {
                continue;
            };
            if let Ok(planned) =
                crate::templates::planned_test(&template, platform, &BTreeMap::new(), None)
            {
                return Ok(Some(planned));
            }
        }
        Ok(None)
    }

    /// The campaign's plan as a template: its tests' plans and dependencies, and nothing
    /// that happened (no red or blue results, evidence, notes or comments).
    ///
    /// # Errors
    /// `NotFound`.
    pub async fn export(
        &self,
        actor: &Actor,
        id: CampaignId,
    ) -> Result<CampaignTemplate, CampaignError> {
        let detail = self.get(actor, id).await?;
        let campaign = &detail.campaign;
        let keys: HashMap<TestId, u32> = detail
            .tests
            .iter()
            .enumerate()
            .map(|(n, t)| (t.test.id, u32::try_from(n + 1).unwrap_or(u32::MAX)))
            .collect();
        let offset = |d: Option<NaiveDate>| {
            campaign
                .starts_on
                .zip(d)
                .map(|(start, d)| (d - start).num_days())
        };
        Ok(CampaignTemplate {
            format: TEMPLATE_FORMAT.to_owned(),
            name: campaign.name.clone(),
            description: campaign.description.clone(),
            objective: campaign.objective.clone(),
            kind: campaign.kind.as_str().to_owned(),
            duration_days: offset(campaign.ends_on),
            phases: campaign
                .phases
                .iter()
                .map(|p| TemplatePhase {
                    name: p.name.clone(),
                    starts_after_days: offset(p.starts_on),
                    ends_after_days: offset(p.ends_on),
                })
                .collect(),
            recurrence: campaign.recurrence.as_ref().map(Recurrence::describe),
            threat_actor: campaign.threat_actor.clone(),
            tests: detail
                .tests
                .iter()
                .map(|t| TemplateTest {
                    key: keys.get(&t.test.id).copied().unwrap_or_default(),
                    title: t.test.title.clone(),
                    description: t.test.description.clone(),
                    technique_id: t.test.technique_id.to_string(),
                    objective: t.test.objective.clone(),
                    target_environment: t.test.target_environment.clone(),
                    platform: t.test.platform.clone(),
                    procedure: t.test.red.procedure.clone(),
                    command: t.test.red.command.clone(),
                    tool: t.test.red.tool.clone(),
                    depends_on: t
                        .depends_on
                        .iter()
                        .filter_map(|d| keys.get(d).copied())
                        .collect(),
                })
                .collect(),
        })
    }

    /// A new draft campaign from a template, starting on `starts_on` when given.
    ///
    /// # Errors
    /// `Invalid` naming the field of the template that does not fit (format, type, technique,
    /// dependency).
    pub async fn import(
        &self,
        actor: &Actor,
        template: CampaignTemplate,
        starts_on: Option<NaiveDate>,
        context: &RequestContext,
    ) -> Result<CampaignDetail, CampaignError> {
        actor.authorize(Action::ManageCampaigns)?;
        actor.authorize(Action::PlanTests)?;
        if template.format != TEMPLATE_FORMAT {
            return Err(invalid("format", format!("must be {TEMPLATE_FORMAT}")));
        }
        if template.tests.len() > 1_000 {
            return Err(invalid("tests", "at most 1000 tests"));
        }
        let at = |days: Option<i64>| {
            starts_on
                .zip(days)
                .map(|(s, d)| s + chrono::Duration::days(d))
        };
        let recurrence = template
            .recurrence
            .as_deref()
            .map(|text| Recurrence::parse(text).map_err(|e| invalid("recurrence", e.to_string())))
            .transpose()?;
        let mut campaign = self.new_campaign(
            actor,
            &NewCampaign {
                name: template.name.clone(),
                description: template.description.clone(),
                objective: template.objective.clone(),
                kind: Some(template.kind.clone()),
                starts_on,
                ends_on: at(template.duration_days),
                phases: template
                    .phases
                    .iter()
                    .map(|p| PhaseInput {
                        name: p.name.clone(),
                        starts_on: at(p.starts_after_days),
                        ends_on: at(p.ends_after_days),
                        status: None,
                    })
                    .collect(),
                recurrence: None,
            },
        )?;
        campaign.set_recurrence(recurrence, self.deps.clock.now());
        campaign.threat_actor = template.threat_actor.clone();
        let mut tests = Vec::new();
        let mut ids: HashMap<u32, TestId> = HashMap::new();
        let mut fields = Vec::new();
        for (n, planned) in template.tests.iter().enumerate() {
            let technique = match TechniqueId::parse(&planned.technique_id) {
                Ok(id) if self.deps.catalog.find_technique(&id).await?.is_some() => id,
                _ => {
                    fields.push(FieldError::new(
                        format!("tests[{n}].technique_id"),
                        format!("{} is not in the ATT&CK catalog", planned.technique_id),
                    ));
                    continue;
                }
            };
            let title: String = planned.title.trim().chars().take(200).collect();
            if title.is_empty() {
                fields.push(FieldError::new(format!("tests[{n}].title"), "is required"));
                continue;
            }
            if ids.contains_key(&planned.key) {
                fields.push(FieldError::new(format!("tests[{n}].key"), "is used twice"));
                continue;
            }
            let mut test = self.tests.new_draft(actor, title, technique);
            test.description = planned.description.clone();
            test.objective = planned.objective.clone();
            test.target_environment = planned.target_environment.clone();
            test.platform = planned.platform.clone();
            test.red = RedReport {
                procedure: planned.procedure.clone(),
                command: planned.command.clone(),
                tool: planned.tool.clone(),
                ..RedReport::default()
            };
            test.campaign_id = Some(campaign.id.as_uuid());
            ids.insert(planned.key, test.id);
            tests.push(test);
        }
        let mut edges = Vec::new();
        for (n, planned) in template.tests.iter().enumerate() {
            let Some(test) = ids.get(&planned.key) else {
                continue;
            };
            for key in &planned.depends_on {
                match ids.get(key) {
                    Some(dep) => edges.push(Dependency {
                        test: *test,
                        depends_on: *dep,
                    }),
                    None => fields.push(FieldError::new(
                        format!("tests[{n}].depends_on"),
                        format!("no test with key {key}"),
                    )),
                }
            }
        }
        if creates_cycle(&[], &edges) {
            fields.push(FieldError::new("tests", "the dependencies form a cycle"));
        }
        if !fields.is_empty() {
            return Err(CampaignError::Invalid(fields));
        }
        let uow = self.deps.database.begin().await?;
        uow.insert_campaign(actor.tenant_id, &campaign).await?;
        for test in &tests {
            self.tests
                .insert_draft(uow.as_ref(), actor, context, test)
                .await?;
            campaign.test_order.push(test.id);
        }
        write_dependencies(uow.as_ref(), actor.tenant_id, &edges).await?;
        self.save(uow.as_ref(), &mut campaign).await?;
        self.audit(
            uow.as_ref(),
            Some(actor),
            context,
            "campaign.imported",
            &campaign,
            serde_json::json!({"tests": tests.len()}),
        )
        .await?;
        uow.commit().await?;
        Ok(detail(actor, campaign, tests, &edges))
    }

    /// The campaign's own coverage, from its tests alone, compared with its previous run.
    ///
    /// # Errors
    /// `NotFound`.
    pub async fn coverage(
        &self,
        actor: &Actor,
        id: CampaignId,
    ) -> Result<CampaignCoverage, CampaignError> {
        actor.authorize(Action::ReadOperations)?;
        let campaign = self
            .deps
            .database
            .find_campaign(actor.tenant_id, id)
            .await?
            .ok_or(CampaignError::NotFound)?;
        self.coverage_of(actor.tenant_id, &campaign).await
    }

    /// A campaign's own coverage and the comparison with its previous run, for reports too.
    pub(crate) async fn coverage_of(
        &self,
        tenant: TenantId,
        campaign: &Campaign,
    ) -> Result<CampaignCoverage, CampaignError> {
        let database = self.deps.database.as_ref();
        let id = campaign.id;
        let techniques = self.run_results(tenant, id).await?;
        let score = mean_score(&techniques);
        let (previous, changes) = match campaign.predecessor_id {
            None => (None, Vec::new()),
            Some(previous_id) => {
                let before = self.run_results(tenant, previous_id).await?;
                let previous_tests = database.tests_of_campaign(tenant, previous_id).await?;
                let run_number = database
                    .find_campaign(tenant, previous_id)
                    .await?
                    .map_or(campaign.run_number - 1, |c| c.run_number);
                let validated = previous_tests
                    .iter()
                    .filter(|t| t.workflow.state() == TestState::Validated)
                    .count();
                let percent_validated = if previous_tests.is_empty() {
                    0.0
                } else {
                    (validated as f64 * 1000.0 / previous_tests.len() as f64).round() / 10.0
                };
                (
                    Some(PreviousRun {
                        campaign_id: previous_id,
                        run_number,
                        score: mean_score(&before),
                        percent_validated,
                    }),
                    compare_runs(&before, &techniques),
                )
            }
        };
        Ok(CampaignCoverage {
            campaign_id: id,
            score,
            techniques,
            previous,
            changes,
        })
    }

    /// Each technique of a run scored from that run's tests alone.
    async fn run_results(
        &self,
        tenant: TenantId,
        id: CampaignId,
    ) -> Result<Vec<CampaignTechnique>, CampaignError> {
        let tests = self.deps.database.tests_of_campaign(tenant, id).await?;
        let scored = crate::coverage::scores_of_tests(
            self.deps.database.as_ref(),
            tests,
            &self.deps.scoring,
            self.deps.clock.now(),
        )
        .await?;
        let results = scored
            .into_iter()
            .map(|(technique_id, tests, stored)| CampaignTechnique {
                tests: u32::try_from(tests.len()).unwrap_or(u32::MAX),
                outcome: tests
                    .iter()
                    .filter(|t| t.workflow.state() == TestState::Validated)
                    .max_by_key(|t| t.validated_at)
                    .and_then(|t| t.blue.outcome),
                score: stored.score,
                technique_id,
            })
            .collect();
        Ok(results)
    }

    /// What happened in the campaign: its lifecycle and every step of its tests the reader
    /// may see, oldest first.
    ///
    /// # Errors
    /// `NotFound`.
    pub async fn timeline(
        &self,
        actor: &Actor,
        id: CampaignId,
    ) -> Result<Vec<CampaignEvent>, CampaignError> {
        let detail = self.get(actor, id).await?;
        let visible: HashMap<TestId, &TestCase> =
            detail.tests.iter().map(|t| (t.test.id, &t.test)).collect();
        let transitions: Vec<TransitionRecord> = self
            .deps
            .database
            .transitions_of_campaign(actor.tenant_id, id)
            .await?;
        let campaign = &detail.campaign;
        let mut events: Vec<CampaignEvent> = [
            Some(("created", campaign.created_at, campaign.created_by)),
            campaign.activated_at.map(|at| ("activated", at, None)),
            campaign.completed_at.map(|at| ("completed", at, None)),
        ]
        .into_iter()
        .flatten()
        .map(|(kind, at, actor)| CampaignEvent {
            at,
            kind: kind.to_owned(),
            test_id: None,
            test_title: None,
            actor,
            from: None,
            to: None,
        })
        .collect();
        events.extend(transitions.into_iter().filter_map(|record| {
            let test = visible.get(&record.test_id)?;
            Some(CampaignEvent {
                at: record.occurred_at,
                kind: record.action,
                test_id: Some(record.test_id),
                test_title: Some(test.title.clone()),
                actor: Some(record.actor),
                from: Some(record.from),
                to: Some(record.to),
            })
        }));
        events.sort_by_key(|e| e.at);
        Ok(events)
    }

    /// Spawns the next run of every recurring campaign that is due, in every organization:
    /// a fresh draft with fresh draft tests (same plans, same order, same dependencies),
    /// linked to its predecessor. Each due run is spawned once: a run whose successor
    /// exists is skipped, and the database refuses a second successor. Returns how many
    /// runs were spawned.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    pub async fn spawn_due_runs(&self) -> Result<u64, CampaignError> {
        let now = self.deps.clock.now();
        let mut spawned = 0;
        for tenant in self.deps.database.list_tenants().await? {
            for due in self.deps.database.due_campaigns(tenant.id, now).await? {
                match self.spawn_next_run(tenant.id, due.id, now).await {
                    Ok(true) => spawned += 1,
                    Ok(false) => {}
                    Err(CampaignError::Unexpected(reason)) if reason.contains("predecessor") => {
                        tracing::info!(campaign = %due.id, "next run already spawned elsewhere");
                    }
                    Err(other) => return Err(other),
                }
            }
        }
        Ok(spawned)
    }

    async fn spawn_next_run(
        &self,
        tenant: TenantId,
        id: CampaignId,
        now: DateTime<Utc>,
    ) -> Result<bool, CampaignError> {
        let uow = self.deps.database.begin().await?;
        let Some(mut campaign) = uow.find_campaign(tenant, id).await? else {
            return Ok(false);
        };
        if !campaign.is_due(now) || uow.successor_of(tenant, id).await?.is_some() {
            return Ok(false);
        }
        let Some(mut next) = campaign.next_run(CampaignId::from_uuid(self.deps.ids.new_id()), now)
        else {
            return Ok(false);
        };
        next.created_by = campaign.created_by;
        let tests = in_order(&campaign, uow.tests_of_campaign(tenant, id).await?);
        let edges = uow.dependencies_in_campaign(tenant, id).await?;
        uow.insert_campaign(tenant, &next)
            .await
            .map_err(|e| CampaignError::Unexpected(e.to_string()))?;
        let mut copies: HashMap<TestId, TestId> = HashMap::new();
        let mut techniques = Vec::new();
        for test in &tests {
            let mut copy = test.fresh_copy(
                TestId::from_uuid(self.deps.ids.new_id()),
                test.created_by,
                now,
            );
            copy.campaign_id = Some(next.id.as_uuid());
            uow.insert_test(tenant, &copy).await?;
            copies.insert(test.id, copy.id);
            next.test_order.push(copy.id);
            techniques.push(copy.technique_id.clone());
        }
        let copied_edges: Vec<Dependency> = edges
            .iter()
            .filter_map(|e| {
                Some(Dependency {
                    test: *copies.get(&e.test)?,
                    depends_on: *copies.get(&e.depends_on)?,
                })
            })
            .collect();
        write_dependencies(uow.as_ref(), tenant, &copied_edges).await?;
        self.save(uow.as_ref(), &mut next).await?;
        campaign.next_run_at = None;
        self.save(uow.as_ref(), &mut campaign).await?;
        techniques.sort();
        techniques.dedup();
        for technique in &techniques {
            crate::coverage::refresh(uow.as_ref(), tenant, technique, &self.deps.scoring, now)
                .await?;
        }
        let change = Change {
            tenant,
            actor: None,
            action: "campaign.run_spawned",
            entity_type: "campaign",
            entity_id: Some(next.id.to_string()),
            details: serde_json::json!({
                "predecessor_id": campaign.id,
                "run_number": next.run_number,
                "tests": tests.len(),
            }),
        };
        audit_trail::record(&self.deps, uow.as_ref(), &RequestContext::default(), change).await?;
        uow.commit().await?;
        tracing::info!(campaign = %campaign.id, next = %next.id, run = next.run_number, "recurring campaign spawned");
        Ok(true)
    }

    async fn audit(
        &self,
        uow: &dyn UnitOfWork,
        actor: Option<&Actor>,
        context: &RequestContext,
        action: &str,
        campaign: &Campaign,
        details: serde_json::Value,
    ) -> Result<(), RepositoryError> {
        let change = Change {
            tenant: campaign.tenant_id,
            actor: actor.map(|a| a.user_id),
            action,
            entity_type: "campaign",
            entity_id: Some(campaign.id.to_string()),
            details,
        };
        audit_trail::record(&self.deps, uow, context, change).await
    }
}

/// Puts `test` into `campaign` (or out of any), as a change of the test's own version.
async fn move_test(
    uow: &dyn UnitOfWork,
    test: &mut TestCase,
    campaign: Option<CampaignId>,
    now: DateTime<Utc>,
) -> Result<(), RepositoryError> {
    test.campaign_id = campaign.map(|c| c.as_uuid());
    let expected = test.version;
    test.version += 1;
    test.updated_at = now;
    uow.update_test(test.tenant_id, test, expected).await
}

/// Stores dependencies grouped by the test that depends.
async fn write_dependencies(
    uow: &dyn UnitOfWork,
    tenant: TenantId,
    edges: &[Dependency],
) -> Result<(), RepositoryError> {
    let mut by_test: BTreeMap<TestId, Vec<TestId>> = BTreeMap::new();
    for edge in edges {
        by_test.entry(edge.test).or_default().push(edge.depends_on);
    }
    for (test, depends_on) in by_test {
        uow.replace_dependencies(tenant, test, &depends_on).await?;
    }
    Ok(())
}

/// The campaign as `actor` may see it.
fn detail(
    actor: &Actor,
    campaign: Campaign,
    tests: Vec<TestCase>,
    edges: &[Dependency],
) -> CampaignDetail {
    let ordered = in_order(&campaign, tests);
    let blocked: HashMap<TestId, Vec<TestId>> = ordered
        .iter()
        .map(|t| (t.id, pending_dependencies(t.id, edges, &ordered)))
        .collect();
    let total = ordered.len();
    let tests: Vec<CampaignTest> = ordered
        .iter()
        .filter(|t| campaign.kind.reveals(actor.role, t.workflow.state()))
        .map(|t| CampaignTest {
            depends_on: edges
                .iter()
                .filter(|e| e.test == t.id)
                .map(|e| e.depends_on)
                .collect(),
            blocked_by: blocked.get(&t.id).cloned().unwrap_or_default(),
            test: t.clone(),
        })
        .collect();
    let hidden_tests = u32::try_from(total - tests.len()).unwrap_or(u32::MAX);
    CampaignDetail {
        progress: progress(&tests),
        campaign,
        tests,
        hidden_tests,
    }
}

fn mean_score(techniques: &[CampaignTechnique]) -> Option<f64> {
    weighted_mean(
        &techniques
            .iter()
            .map(|t| (t.score.score, 1.0))
            .collect::<Vec<_>>(),
    )
}

/// Technique by technique, how this run did against the previous one: by outcome when both
/// validated it, else by score.
fn compare_runs(before: &[CampaignTechnique], now: &[CampaignTechnique]) -> Vec<RunChange> {
    let previous: HashMap<&TechniqueId, &CampaignTechnique> =
        before.iter().map(|t| (&t.technique_id, t)).collect();
    let current: HashMap<&TechniqueId, &CampaignTechnique> =
        now.iter().map(|t| (&t.technique_id, t)).collect();
    let mut ids: Vec<&TechniqueId> = previous.keys().chain(current.keys()).copied().collect();
    ids.sort();
    ids.dedup();
    ids.into_iter()
        .map(|id| {
            let old = previous.get(id);
            let new = current.get(id);
            let trend = match (old, new) {
                (None, _) => Trend::New,
                (_, None) => Trend::Dropped,
                (Some(old), Some(new)) => match (old.outcome, new.outcome) {
                    (Some(a), Some(b)) if b < a => Trend::Improved,
                    (Some(a), Some(b)) if b > a => Trend::Regressed,
                    (Some(_), Some(_)) => Trend::Unchanged,
                    _ if new.score.score > old.score.score => Trend::Improved,
                    _ if new.score.score < old.score.score => Trend::Regressed,
                    _ => Trend::Unchanged,
                },
            };
            RunChange {
                technique_id: id.clone(),
                previous_score: old.map(|t| t.score.score),
                score: new.map(|t| t.score.score),
                previous_outcome: old.and_then(|t| t.outcome),
                outcome: new.and_then(|t| t.outcome),
                trend,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aegis_domain::scoring::TechniqueScore;

    fn run(id: &str, outcome: Option<Outcome>, score: f64) -> CampaignTechnique {
        CampaignTechnique {
            technique_id: TechniqueId::parse(id).unwrap_or_else(|e| panic!("{e}")),
            tests: 1,
            outcome,
            score: TechniqueScore {
                score,
                ..TechniqueScore::uncovered()
            },
        }
    }

    #[test]
    fn runs_compare_by_outcome_then_score() {
        let before = [
            run("T1001", Some(Outcome::NotDetected), 10.0),
            run("T1002", Some(Outcome::Detected), 60.0),
            run("T1003", None, 5.0),
            run("T1004", None, 0.0),
        ];
        let now = [
            run("T1001", Some(Outcome::Detected), 50.0),
            run("T1002", Some(Outcome::Logged), 40.0),
            run("T1003", None, 5.0),
            run("T1005", Some(Outcome::Prevented), 90.0),
        ];
        let trends: Vec<(String, Trend)> = compare_runs(&before, &now)
            .into_iter()
            .map(|c| (c.technique_id.to_string(), c.trend))
            .collect();
        assert_eq!(
            trends,
            vec![
                ("T1001".to_owned(), Trend::Improved),
                ("T1002".to_owned(), Trend::Regressed),
                ("T1003".to_owned(), Trend::Unchanged),
                ("T1004".to_owned(), Trend::Dropped),
                ("T1005".to_owned(), Trend::New),
            ]
        );
    }
}
