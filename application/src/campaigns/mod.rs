//! Campaigns: planning tests together (in order, with dependencies, on a schedule with
//! phases), running them as one operation, repeating them, and comparing each run with the
//! one before. Every change is one unit of work with its audit entry.

mod from_actor;
mod from_chain;
mod lifecycle;
mod membership;
mod plan;
mod recurrence;
mod results;
mod templates;

pub use from_actor::{FromThreatActor, PlannedCampaign};
pub use from_chain::ChainStep;
pub use results::{
    CampaignCoverage, CampaignEvent, CampaignTechnique, PreviousRun, RunChange, Trend,
};
pub use templates::{CampaignTemplate, TEMPLATE_FORMAT, TemplatePhase, TemplateTest};

use std::sync::Arc;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use aegis_domain::campaign::{
    Campaign, CampaignFilter, CampaignId, CampaignKind, CampaignRefusal, Dependency, Phase,
    PhaseStatus, Recurrence, creates_cycle, pending_dependencies,
};
use aegis_domain::catalog::TechniqueId;
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::Action;
use aegis_domain::ports::{CatalogRepository, RepositoryError, TemplateRepository};
use aegis_domain::scoring::{ScoringPolicy, TechniqueScore, weighted_mean};
use aegis_domain::template::{TemplateFilter, TemplateSource};
use aegis_domain::tenant::TenantId;
use aegis_domain::test_case::{Outcome, RedReport, TestCase, TestId, TransitionRecord};
use aegis_domain::user::UserId;
use aegis_domain::workflow::TestState;

use crate::audit_trail::{self, Change};
use crate::context::{Actor, Forbidden, RequestContext};
use crate::error::text_field;
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::ports::{Clock, Database, IdGenerator, UnitOfWork};
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
                .filter(|t| t.test.workflow().state() == state)
                .count();
            (state, count(n))
        })
        .collect();
    let validated: Vec<&TestCase> = tests
        .iter()
        .map(|t| &t.test)
        .filter(|t| t.workflow().state() == TestState::Validated)
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
                .filter(|t| t.test.workflow().state() == TestState::Draft)
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
    database: Arc<dyn Database>,
    catalog: Arc<dyn CatalogRepository>,
    templates: Arc<dyn TemplateRepository>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    scoring: Arc<ScoringPolicy>,
    tests: TestService,
}

impl CampaignService {
    pub fn new(
        database: Arc<dyn Database>,
        catalog: Arc<dyn CatalogRepository>,
        templates: Arc<dyn TemplateRepository>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        scoring: Arc<ScoringPolicy>,
        tests: TestService,
    ) -> Self {
        Self {
            database,
            catalog,
            templates,
            clock,
            ids,
            scoring,
            tests,
        }
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
        let uow = self.database.begin().await?;
        let mut campaign = uow
            .find_campaign(actor.tenant_id, id)
            .await?
            .ok_or(CampaignError::NotFound)?;
        if expected_version.is_some_and(|v| v != campaign.version()) {
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
        let expected = campaign.record_change(self.clock.now());
        uow.update_campaign(campaign.tenant_id, campaign, expected)
            .await?;
        Ok(())
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
        audit_trail::record(self.clock.as_ref(), self.ids.as_ref(), uow, context, change).await
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
    let expected = test.record_change(now);
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
        .filter(|t| campaign.kind.reveals(actor.role, t.workflow().state()))
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
