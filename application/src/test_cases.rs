//! Tests through the red/blue workflow: planning, each team's report, the transitions with
//! their timers and worklogs, comments and the timeline. Every change is one unit of work
//! with its audit entry and its transition record.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use aegis_domain::campaign::{Campaign, CampaignId, CampaignStatus, pending_dependencies};
use aegis_domain::catalog::TechniqueId;
use aegis_domain::notification::{Notification, NotificationId};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::Action;
use aegis_domain::ports::{Repositories, RepositoryError, Subject, TestFilter, TestHistory};
use aegis_domain::test_case::{
    BlueReport, Comment, Outcome, PhaseClock, RedReport, RuleResult, RuleVerdict, TestCase, TestId,
    TransitionRecord, Worklog,
};
use aegis_domain::user::UserId;
use aegis_domain::workflow::{
    Effect, Refusal, Team, TestState, Verdict, Workflow, WorkflowAction, transition,
};

use crate::Dependencies;
use crate::audit_trail::{self, Change};
use crate::context::{Actor, Forbidden, RequestContext};
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::idempotency::{IdempotencyKey, IdempotentRequest, Prior, fingerprint};
use crate::ports::UnitOfWork;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewTest {
    pub title: String,
    pub description: String,
    pub technique_id: String,
    pub objective: String,
    pub target_environment: String,
    pub platform: Option<String>,
    pub assignee_id: Option<Uuid>,
}

/// A draft to plan for a technique, from a layer or a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftTest {
    pub technique: TechniqueId,
    pub description: String,
}

/// Changes to a draft's general fields; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub technique_id: Option<String>,
    pub objective: Option<String>,
    pub target_environment: Option<String>,
    pub platform: Option<Option<String>>,
    pub assignee_id: Option<Option<Uuid>>,
}

/// Red's report; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedChanges {
    pub executed_at: Option<DateTime<Utc>>,
    pub procedure: Option<String>,
    pub command: Option<String>,
    pub tool: Option<String>,
    pub targets: Option<Vec<String>>,
    pub result_summary: Option<String>,
}

/// Blue's evaluation; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlueChanges {
    pub outcome: Option<String>,
    pub detected_at: Option<DateTime<Utc>>,
    pub detection_source: Option<String>,
    /// Rules that fired (shorthand for `triggered` results); replaces the rule results.
    pub fired_rules: Option<Vec<String>>,
    /// Each checked rule with `triggered`, `not_triggered` or `not_evaluated`; replaces the
    /// rule results.
    pub rule_results: Option<Vec<(String, String)>>,
    pub notes: Option<String>,
}

/// A test and everything that happened to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    pub test: TestCase,
    pub history: TestHistory,
}

#[derive(Debug, thiserror::Error)]
pub enum TestError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("invalid test data")]
    Invalid(Vec<FieldError>),
    #[error("test not found")]
    NotFound,
    #[error("the test was changed by someone else (version {current}); reload it and retry")]
    VersionConflict { current: i32 },
    #[error("{0}")]
    Refused(Refusal),
    #[error("the Idempotency-Key was already used with a different request")]
    IdempotencyConflict,
    #[error("it depends on tests that are not validated yet: {}", list_ids(.0))]
    DependenciesPending(Vec<TestId>),
    #[error("its campaign is {0}: tests run only while their campaign is active")]
    CampaignNotActive(CampaignStatus),
    #[error("its campaign is {0}: the campaign's tests no longer change")]
    CampaignClosed(CampaignStatus),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for TestError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::NotFound(_) => Self::NotFound,
            RepositoryError::StaleVersion { current } => Self::VersionConflict { current },
            RepositoryError::Duplicate(Subject::IdempotencyKey) => Self::IdempotencyConflict,
            other => Self::Unexpected(unexpected(&other)),
        }
    }
}

impl Classified for TestError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) | Self::Refused(Refusal::NotPermitted { .. }) => {
                ErrorKind::Forbidden
            }
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::NotFound => ErrorKind::NotFound,
            Self::VersionConflict { .. }
            | Self::Refused(_)
            | Self::IdempotencyConflict
            | Self::DependenciesPending(_)
            | Self::CampaignNotActive(_)
            | Self::CampaignClosed(_) => ErrorKind::Conflict,
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) | Self::Refused(Refusal::NotPermitted { .. }) => "FORBIDDEN",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::NotFound => "TEST_NOT_FOUND",
            Self::VersionConflict { .. } => "VERSION_CONFLICT",
            Self::Refused(Refusal::NotAllowedInState { .. }) => "TRANSITION_NOT_ALLOWED",
            Self::Refused(_) => "TIMER_STATE",
            Self::IdempotencyConflict => "IDEMPOTENCY_KEY_REUSED",
            Self::DependenciesPending(_) => "DEPENDENCIES_NOT_VALIDATED",
            Self::CampaignNotActive(_) => "CAMPAIGN_NOT_ACTIVE",
            Self::CampaignClosed(_) => "CAMPAIGN_CLOSED",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

fn list_ids(ids: &[TestId]) -> String {
    ids.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn invalid(field: &str, message: impl Into<String>) -> TestError {
    TestError::Invalid(vec![FieldError::new(field, message)])
}

/// A required text of at most `max` characters, trimmed.
fn required(field: &str, value: &str, max: usize, fields: &mut Vec<FieldError>) -> String {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        fields.push(FieldError::new(field, "is required"));
    } else if trimmed.chars().count() > max {
        fields.push(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    trimmed.to_owned()
}

/// An optional text: empty means cleared.
impl TestService {
    /// Recomputes the technique's coverage in the same transaction as the change.
    async fn rescore(
        &self,
        uow: &dyn UnitOfWork,
        tenant: aegis_domain::tenant::TenantId,
        technique: &TechniqueId,
    ) -> Result<(), TestError> {
        crate::coverage::refresh(
            uow,
            tenant,
            technique,
            &self.deps.scoring,
            self.deps.clock.now(),
        )
        .await?;
        Ok(())
    }
}

fn optional(value: String) -> Option<String> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// What a notification about `action` on the test `title` says.
fn notice(title: &str, action: WorkflowAction, notes: Option<&str>) -> (String, String) {
    let (headline, body) = match action {
        WorkflowAction::SubmitRed => (
            "red has executed: evaluate it",
            "Record what blue saw, then submit.".to_owned(),
        ),
        WorkflowAction::SubmitBlue => (
            "ready for review",
            "Both leads vote to validate or reject.".to_owned(),
        ),
        WorkflowAction::ValidateRed(_) | WorkflowAction::ValidateBlue(_) => (
            "disputed: the other lead rejected",
            format!("Their notes: {}", notes.unwrap_or("none")),
        ),
        WorkflowAction::Reopen => (
            "reopened for a retest",
            notes.unwrap_or("A lead reopened the test.").to_owned(),
        ),
        _ => ("changed", String::new()),
    };
    (format!("{title}: {headline}"), body)
}

#[derive(Clone)]
pub struct TestService {
    deps: Dependencies,
}

impl TestService {
    pub fn new(deps: Dependencies) -> Self {
        Self { deps }
    }

    async fn known_technique(&self, text: &str) -> Result<TechniqueId, TestError> {
        let id = TechniqueId::parse(text).map_err(|e| invalid("technique_id", e.to_string()))?;
        match self.deps.catalog.find_technique(&id).await? {
            Some(_) => Ok(id),
            None => Err(invalid(
                "technique_id",
                format!("{id} is not in the ATT&CK catalog (import ATT&CK first)"),
            )),
        }
    }

    async fn known_user(&self, actor: &Actor, id: Uuid) -> Result<UserId, TestError> {
        let user = UserId::from_uuid(id);
        match self.deps.database.find_user(actor.tenant_id, user).await? {
            Some(found) if found.is_active => Ok(user),
            _ => Err(invalid(
                "assignee_id",
                "is not an active user of this organization",
            )),
        }
    }

    /// Creates a test in draft. Accepts an Idempotency-Key.
    ///
    /// # Errors
    /// `Forbidden` unless a lead or admin, `Invalid` naming the fields.
    pub async fn create(
        &self,
        actor: &Actor,
        request: NewTest,
        key: Option<&IdempotencyKey>,
        context: &RequestContext,
    ) -> Result<TestCase, TestError> {
        self.create_planned(actor, request, RedReport::default(), key, context)
            .await
    }

    /// Creates a draft whose red procedure is already planned (from a template): red starts
    /// from it instead of an empty form.
    ///
    /// # Errors
    /// As `create`.
    pub async fn create_planned(
        &self,
        actor: &Actor,
        request: NewTest,
        plan: RedReport,
        key: Option<&IdempotencyKey>,
        context: &RequestContext,
    ) -> Result<TestCase, TestError> {
        actor.authorize(Action::PlanTests)?;
        let mut fields = Vec::new();
        let title = required("title", &request.title, 200, &mut fields);
        let technique = self.known_technique(&request.technique_id).await;
        if let Err(TestError::Invalid(more)) = &technique {
            fields.extend(more.iter().cloned());
        }
        let assignee = match request.assignee_id {
            Some(id) => match self.known_user(actor, id).await {
                Ok(user) => Some(user),
                Err(TestError::Invalid(more)) => {
                    fields.extend(more);
                    None
                }
                Err(other) => return Err(other),
            },
            None => None,
        };
        if !fields.is_empty() {
            return Err(TestError::Invalid(fields));
        }
        let technique_id = technique?;
        let tenant = actor.tenant_id;
        let idempotent = key.map(|key| IdempotentRequest {
            tenant,
            actor: actor.user_id,
            scope: "tests.create",
            key,
            fingerprint: fingerprint(&request),
        });
        let uow = self.deps.database.begin().await?;
        if let Some(idempotent) = &idempotent {
            match idempotent.prior::<Uuid>(uow.as_ref()).await? {
                Prior::Replay(id) => {
                    return uow
                        .find_test(tenant, TestId::from_uuid(id))
                        .await?
                        .ok_or(TestError::NotFound);
                }
                Prior::Conflict => return Err(TestError::IdempotencyConflict),
                Prior::None => {}
            }
        }
        let mut test = self.new_draft(actor, title, technique_id);
        test.description = request.description.trim().to_owned();
        test.objective = request.objective.trim().to_owned();
        test.target_environment = request.target_environment.trim().to_owned();
        test.platform = request.platform.clone().and_then(optional);
        test.assignee = assignee;
        test.red = plan;
        self.insert_draft(uow.as_ref(), actor, context, &test)
            .await?;
        let now = test.created_at;
        if let Some(idempotent) = &idempotent {
            idempotent
                .remember(uow.as_ref(), &test.id.as_uuid(), now)
                .await?;
        }
        uow.commit().await?;
        Ok(test)
    }

    /// # Errors
    /// `Forbidden` for a role that cannot read operations.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &TestFilter,
        page: PageRequest,
    ) -> Result<Page<TestCase>, TestError> {
        actor.authorize(Action::ReadOperations)?;
        let filter = filter.clone().seen_by(actor.role);
        Ok(self
            .deps
            .database
            .list_tests(actor.tenant_id, &filter, page)
            .await?)
    }

    /// # Errors
    /// `NotFound` when the test is not in the actor's organization.
    pub async fn get(&self, actor: &Actor, id: TestId) -> Result<TestCase, TestError> {
        actor.authorize(Action::ReadOperations)?;
        let database = self.deps.database.as_ref();
        let test = database
            .find_test(actor.tenant_id, id)
            .await?
            .ok_or(TestError::NotFound)?;
        campaign_as_seen(database, actor, &test).await?;
        Ok(test)
    }

    /// The test with its transitions, worklogs and comments.
    ///
    /// # Errors
    /// `NotFound`.
    pub async fn timeline(&self, actor: &Actor, id: TestId) -> Result<Timeline, TestError> {
        let test = self.get(actor, id).await?;
        let history = self.deps.database.test_history(actor.tenant_id, id).await?;
        Ok(Timeline { test, history })
    }

    /// Loads the test inside `uow` for a change, with its campaign: checks the client's
    /// version, if it sent one, and refuses tests of completed or archived campaigns.
    async fn load(
        &self,
        uow: &dyn UnitOfWork,
        actor: &Actor,
        id: TestId,
        expected_version: Option<i32>,
    ) -> Result<(TestCase, Option<Campaign>), TestError> {
        let test = uow
            .find_test(actor.tenant_id, id)
            .await?
            .ok_or(TestError::NotFound)?;
        let campaign = campaign_as_seen(uow, actor, &test).await?;
        if let Some(closed) = campaign.as_ref().filter(|c| c.status.is_closed()) {
            return Err(TestError::CampaignClosed(closed.status));
        }
        if let Some(expected) = expected_version
            && expected != test.version
        {
            return Err(TestError::VersionConflict {
                current: test.version,
            });
        }
        Ok((test, campaign))
    }

    async fn save(&self, uow: &dyn UnitOfWork, test: &mut TestCase) -> Result<(), TestError> {
        let expected = test.version;
        test.version += 1;
        test.updated_at = self.deps.clock.now();
        uow.update_test(test.tenant_id, test, expected)
            .await
            .map_err(TestError::from)
    }

    /// Changes the general fields of a draft.
    ///
    /// # Errors
    /// `Forbidden`, `Refused` outside draft, `VersionConflict`, `Invalid`.
    pub async fn update(
        &self,
        actor: &Actor,
        id: TestId,
        changes: TestChanges,
        expected_version: Option<i32>,
        context: &RequestContext,
    ) -> Result<TestCase, TestError> {
        actor.authorize(Action::PlanTests)?;
        let mut fields = Vec::new();
        let title = changes
            .title
            .as_deref()
            .map(|t| required("title", t, 200, &mut fields));
        let technique = match &changes.technique_id {
            Some(text) => Some(self.known_technique(text).await?),
            None => None,
        };
        let assignee = match changes.assignee_id {
            Some(Some(id)) => Some(Some(self.known_user(actor, id).await?)),
            Some(None) => Some(None),
            None => None,
        };
        if !fields.is_empty() {
            return Err(TestError::Invalid(fields));
        }
        let uow = self.deps.database.begin().await?;
        let (mut test, _) = self.load(uow.as_ref(), actor, id, expected_version).await?;
        if test.workflow.state() != TestState::Draft {
            return Err(TestError::Refused(Refusal::NotAllowedInState {
                state: test.workflow.state(),
                action: "edit",
            }));
        }
        if let Some(title) = title {
            test.title = title;
        }
        let previous_technique = test.technique_id.clone();
        if let Some(technique) = technique {
            test.technique_id = technique;
        }
        if let Some(assignee) = assignee {
            test.assignee = assignee;
        }
        if let Some(platform) = changes.platform {
            test.platform = platform.and_then(optional);
        }
        for (value, target) in [
            (changes.description, &mut test.description),
            (changes.objective, &mut test.objective),
            (changes.target_environment, &mut test.target_environment),
        ] {
            if let Some(value) = value {
                value.trim().clone_into(target);
            }
        }
        self.save(uow.as_ref(), &mut test).await?;
        if previous_technique != test.technique_id {
            self.rescore(uow.as_ref(), actor.tenant_id, &previous_technique)
                .await?;
            self.rescore(uow.as_ref(), actor.tenant_id, &test.technique_id)
                .await?;
        }
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "test.updated",
            &test,
            serde_json::json!({"version": test.version}),
        )
        .await?;
        uow.commit().await?;
        Ok(test)
    }

    /// Deletes a test in draft or rejected.
    ///
    /// # Errors
    /// `Forbidden`, `Refused` in other states.
    pub async fn delete(
        &self,
        actor: &Actor,
        id: TestId,
        context: &RequestContext,
    ) -> Result<(), TestError> {
        actor.authorize(Action::PlanTests)?;
        let uow = self.deps.database.begin().await?;
        let (test, campaign) = self.load(uow.as_ref(), actor, id, None).await?;
        if !matches!(
            test.workflow.state(),
            TestState::Draft | TestState::Rejected
        ) {
            return Err(TestError::Refused(Refusal::NotAllowedInState {
                state: test.workflow.state(),
                action: "delete",
            }));
        }
        uow.delete_test(actor.tenant_id, id).await?;
        if let Some(mut campaign) = campaign {
            campaign.test_order.retain(|t| *t != id);
            let expected = campaign.version;
            campaign.version += 1;
            campaign.updated_at = self.deps.clock.now();
            uow.update_campaign(actor.tenant_id, &campaign, expected)
                .await?;
        }
        self.rescore(uow.as_ref(), actor.tenant_id, &test.technique_id)
            .await?;
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "test.deleted",
            &test,
            serde_json::json!({"title": test.title}),
        )
        .await?;
        uow.commit().await?;
        Ok(())
    }

    /// Changes a team's report in its own phase: load, check the phase, apply, save, audit.
    async fn edit_report(
        &self,
        actor: &Actor,
        id: TestId,
        team: Team,
        expected_version: Option<i32>,
        context: &RequestContext,
        apply: impl FnOnce(&mut TestCase),
    ) -> Result<TestCase, TestError> {
        let (phase, action, audit_action) = match team {
            Team::Red => (
                TestState::RedExecuting,
                "edit red fields",
                "test.red_updated",
            ),
            Team::Blue => (
                TestState::BlueEvaluating,
                "edit blue fields",
                "test.blue_updated",
            ),
        };
        let uow = self.deps.database.begin().await?;
        let (mut test, _) = self.load(uow.as_ref(), actor, id, expected_version).await?;
        if test.workflow.state() != phase {
            return Err(TestError::Refused(Refusal::NotAllowedInState {
                state: test.workflow.state(),
                action,
            }));
        }
        apply(&mut test);
        self.save(uow.as_ref(), &mut test).await?;
        let details = serde_json::json!({"version": test.version});
        self.audit(uow.as_ref(), actor, context, audit_action, &test, details)
            .await?;
        uow.commit().await?;
        Ok(test)
    }

    /// Red's report, only by red and only while red executes.
    ///
    /// # Errors
    /// `Forbidden` for blue and viewers, `Refused` outside red_executing.
    pub async fn update_red(
        &self,
        actor: &Actor,
        id: TestId,
        changes: RedChanges,
        expected_version: Option<i32>,
        context: &RequestContext,
    ) -> Result<TestCase, TestError> {
        actor.authorize(Action::ExecuteRed)?;
        self.edit_report(actor, id, Team::Red, expected_version, context, |test| {
            let red = &mut test.red;
            if let Some(at) = changes.executed_at {
                red.executed_at = Some(at);
            }
            if let Some(targets) = changes.targets {
                red.targets = targets.into_iter().filter_map(optional).collect();
            }
            for (value, target) in [
                (changes.procedure, &mut red.procedure),
                (changes.command, &mut red.command),
                (changes.tool, &mut red.tool),
                (changes.result_summary, &mut red.result_summary),
            ] {
                if let Some(value) = value {
                    *target = optional(value);
                }
            }
        })
        .await
    }

    /// Blue's evaluation, only by blue and only while blue evaluates.
    ///
    /// # Errors
    /// `Forbidden` for red and viewers, `Refused` outside blue_evaluating, `Invalid` outcome.
    pub async fn update_blue(
        &self,
        actor: &Actor,
        id: TestId,
        changes: BlueChanges,
        expected_version: Option<i32>,
        context: &RequestContext,
    ) -> Result<TestCase, TestError> {
        actor.authorize(Action::EvaluateBlue)?;
        let outcome = changes
            .outcome
            .as_deref()
            .map(|text| {
                Outcome::parse(text).ok_or_else(|| {
                    invalid(
                        "outcome",
                        "must be prevented, detected, logged or not_detected",
                    )
                })
            })
            .transpose()?;
        let rule_results = blue_rule_results(changes.fired_rules, changes.rule_results)?;
        self.edit_report(actor, id, Team::Blue, expected_version, context, |test| {
            let blue = &mut test.blue;
            if let Some(outcome) = outcome {
                blue.outcome = Some(outcome);
            }
            if let Some(at) = changes.detected_at {
                blue.detected_at = Some(at);
            }
            if let Some(results) = rule_results {
                blue.rule_results = results;
            }
            for (value, target) in [
                (changes.detection_source, &mut blue.detection_source),
                (changes.notes, &mut blue.notes),
            ] {
                if let Some(value) = value {
                    *target = optional(value);
                }
            }
        })
        .await
    }

    /// One workflow step (`start-execution`, `submit-red`, ... `resume-timer`). `notes` go
    /// with a vote (required to reject) and into the transition record.
    ///
    /// # Errors
    /// `Refused` naming the state and the rule, `Invalid` when a submission lacks its
    /// required fields or a rejection its notes, `VersionConflict`.
    pub async fn act(
        &self,
        actor: &Actor,
        id: TestId,
        action: WorkflowAction,
        notes: Option<String>,
        expected_version: Option<i32>,
        context: &RequestContext,
    ) -> Result<TestCase, TestError> {
        let notes = notes.and_then(optional);
        // A vote may validate the test and open a finding, whose severity weighs the threat.
        let threat = match action {
            WorkflowAction::ValidateRed(_) | WorkflowAction::ValidateBlue(_) => {
                crate::coverage::actors_in_scope(&self.deps, actor.tenant_id).await?
            }
            _ => crate::findings::ThreatByTechnique::new(),
        };
        let uow = self.deps.database.begin().await?;
        let (mut test, campaign) = self.load(uow.as_ref(), actor, id, expected_version).await?;
        let step = transition(&test.workflow, action, actor.role).map_err(TestError::Refused)?;
        if action == WorkflowAction::StartExecution
            && let Some(campaign) = &campaign
        {
            ready_to_start(uow.as_ref(), &test, campaign).await?;
        }
        match action {
            WorkflowAction::SubmitRed => {
                let missing = test.red.missing_for_submission();
                if !missing.is_empty() {
                    return Err(TestError::Invalid(
                        missing
                            .into_iter()
                            .map(|f| FieldError::new(f, "is required before submitting"))
                            .collect(),
                    ));
                }
            }
            WorkflowAction::SubmitBlue => {
                let missing = test.blue.missing_for_submission();
                if !missing.is_empty() {
                    return Err(TestError::Invalid(
                        missing
                            .into_iter()
                            .map(|f| FieldError::new(f, "is required before submitting"))
                            .collect(),
                    ));
                }
            }
            WorkflowAction::ValidateRed(Verdict::Reject)
            | WorkflowAction::ValidateBlue(Verdict::Reject)
                if notes.is_none() =>
            {
                return Err(invalid("notes", "a rejection needs notes that say why"));
            }
            _ => {}
        }
        let now = self.deps.clock.now();
        for effect in &step.effects {
            match *effect {
                Effect::StartTimer(team) => {
                    *test.clock_mut(team) = PhaseClock {
                        started_at: Some(now),
                        paused_seconds: 0,
                    }
                }
                Effect::PauseTimer(_) => test.paused_at = Some(now),
                Effect::ResumeTimer(team) => {
                    let paused = test
                        .paused_at
                        .take()
                        .map_or(0, |since| (now - since).num_seconds().max(0));
                    test.clock_mut(team).paused_seconds += paused;
                }
                Effect::StopTimer(team) => {
                    let clock = *test.clock_mut(team);
                    let started = clock.started_at.unwrap_or(now);
                    let worklog = Worklog::close(
                        self.deps.ids.new_id(),
                        test.id,
                        team,
                        actor.user_id,
                        started,
                        now,
                        clock.paused_seconds,
                    );
                    uow.insert_worklog(actor.tenant_id, &worklog).await?;
                }
                Effect::RecordVote(Team::Red, _) => test.red_vote_notes = notes.clone(),
                Effect::RecordVote(Team::Blue, _) => test.blue_vote_notes = notes.clone(),
                Effect::ClearVotes => {
                    test.red_vote_notes = None;
                    test.blue_vote_notes = None;
                    test.paused_at = None;
                }
                Effect::Notify(audience) => {
                    let (title, body) = notice(&test.title, action, notes.as_deref());
                    let mut notifications = Vec::new();
                    for user in crate::notifications::recipients(
                        uow.as_ref(),
                        actor.tenant_id,
                        audience,
                        actor.user_id,
                    )
                    .await?
                    {
                        notifications.push(Notification {
                            id: NotificationId::from_uuid(self.deps.ids.new_id()),
                            tenant_id: actor.tenant_id,
                            user_id: user,
                            kind: format!("test.{}", action.name()),
                            title: title.clone(),
                            body: body.clone(),
                            entity_type: Some("test".to_owned()),
                            entity_id: Some(test.id.to_string()),
                            created_at: now,
                            read_at: None,
                        });
                    }
                    uow.insert_notifications(actor.tenant_id, &notifications)
                        .await?;
                }
            }
        }
        test.workflow = step.next;
        if step.to == TestState::Validated {
            test.validated_at = Some(now);
        } else if step.from == TestState::Validated {
            test.validated_at = None;
        }
        self.save(uow.as_ref(), &mut test).await?;
        if step.from != step.to {
            self.rescore(uow.as_ref(), actor.tenant_id, &test.technique_id)
                .await?;
        }
        if step.to == TestState::Validated {
            crate::findings::on_validated(
                &self.deps,
                uow.as_ref(),
                context,
                actor.user_id,
                &test,
                &threat,
            )
            .await?;
        }
        let record = TransitionRecord {
            id: self.deps.ids.new_id(),
            test_id: test.id,
            actor: actor.user_id,
            action: action.name().to_owned(),
            from: step.from.as_str().to_owned(),
            to: step.to.as_str().to_owned(),
            comment: notes,
            occurred_at: now,
        };
        uow.insert_transition(actor.tenant_id, &record).await?;
        let audit_action = format!("test.{}", action.name());
        self.audit(
            uow.as_ref(),
            actor,
            context,
            &audit_action,
            &test,
            serde_json::json!({
                "from": step.from.as_str(), "to": step.to.as_str(),
            }),
        )
        .await?;
        uow.commit().await?;
        Ok(test)
    }

    /// Adds a comment; anyone who works on tests may comment (viewers read).
    ///
    /// # Errors
    /// `Forbidden` for viewers, `Invalid` for an empty or huge body.
    pub async fn comment(
        &self,
        actor: &Actor,
        id: TestId,
        body: &str,
        context: &RequestContext,
    ) -> Result<Comment, TestError> {
        actor.authorize(Action::Comment)?;
        let mut fields = Vec::new();
        let body = required("body", body, 10_000, &mut fields);
        if !fields.is_empty() {
            return Err(TestError::Invalid(fields));
        }
        let uow = self.deps.database.begin().await?;
        let (test, _) = self.load(uow.as_ref(), actor, id, None).await?;
        let comment = Comment {
            id: self.deps.ids.new_id(),
            test_id: id,
            author: actor.user_id,
            body,
            created_at: self.deps.clock.now(),
        };
        uow.insert_comment(actor.tenant_id, &comment).await?;
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "test.commented",
            &test,
            serde_json::json!({"comment_id": comment.id}),
        )
        .await?;
        uow.commit().await?;
        Ok(comment)
    }

    /// A draft with nothing filled in but its title and technique.
    pub(crate) fn new_draft(
        &self,
        actor: &Actor,
        title: String,
        technique_id: TechniqueId,
    ) -> TestCase {
        let now = self.deps.clock.now();
        TestCase {
            id: TestId::from_uuid(self.deps.ids.new_id()),
            tenant_id: actor.tenant_id,
            title,
            description: String::new(),
            technique_id,
            objective: String::new(),
            target_environment: String::new(),
            platform: None,
            assignee: None,
            campaign_id: None,
            workflow: Workflow::new(),
            red_vote_notes: None,
            blue_vote_notes: None,
            paused_at: None,
            red_clock: PhaseClock::default(),
            blue_clock: PhaseClock::default(),
            red: RedReport::default(),
            blue: BlueReport::default(),
            validated_at: None,
            version: 1,
            created_by: actor.user_id,
            created_at: now,
            updated_at: now,
        }
    }

    /// Stores a new draft with its technique's rescoring and its audit entry.
    pub(crate) async fn insert_draft(
        &self,
        uow: &dyn UnitOfWork,
        actor: &Actor,
        context: &RequestContext,
        test: &TestCase,
    ) -> Result<(), TestError> {
        uow.insert_test(actor.tenant_id, test).await?;
        self.rescore(uow, actor.tenant_id, &test.technique_id)
            .await?;
        self.audit(
            uow,
            actor,
            context,
            "test.created",
            test,
            serde_json::json!({
                "title": test.title, "technique_id": test.technique_id.as_str(),
            }),
        )
        .await?;
        Ok(())
    }

    /// Creates drafts for many techniques at once (a Navigator layer, a plan), all or none;
    /// techniques the catalog does not hold are returned instead of created.
    ///
    /// # Errors
    /// `Forbidden` unless a lead or admin.
    pub async fn create_drafts(
        &self,
        actor: &Actor,
        drafts: Vec<DraftTest>,
        source: &str,
        context: &RequestContext,
    ) -> Result<(Vec<TestCase>, Vec<TechniqueId>), TestError> {
        actor.authorize(Action::PlanTests)?;
        let mut planned = Vec::new();
        let mut unknown = Vec::new();
        for draft in drafts {
            match self.deps.catalog.find_technique(&draft.technique).await? {
                Some(detail) => {
                    let title: String = format!(
                        "{} {} (from {source})",
                        draft.technique, detail.technique.name
                    )
                    .chars()
                    .take(200)
                    .collect();
                    let mut test = self.new_draft(actor, title, draft.technique);
                    test.description = draft.description;
                    planned.push(test);
                }
                None => unknown.push(draft.technique),
            }
        }
        let uow = self.deps.database.begin().await?;
        for test in &planned {
            self.insert_draft(uow.as_ref(), actor, context, test)
                .await?;
        }
        uow.commit().await?;
        Ok((planned, unknown))
    }

    async fn audit(
        &self,
        uow: &dyn UnitOfWork,
        actor: &Actor,
        context: &RequestContext,
        action: &str,
        test: &TestCase,
        details: serde_json::Value,
    ) -> Result<(), RepositoryError> {
        let change = Change {
            tenant: actor.tenant_id,
            actor: Some(actor.user_id),
            action,
            entity_type: "test",
            entity_id: Some(test.id.to_string()),
            details,
        };
        audit_trail::record(&self.deps, uow, context, change).await
    }
}

/// The campaign of `test` as `actor` may see it: a test of a blind campaign that red has
/// not released does not exist for the blue side.
async fn campaign_as_seen(
    repositories: &(impl Repositories + ?Sized),
    actor: &Actor,
    test: &TestCase,
) -> Result<Option<Campaign>, TestError> {
    let Some(id) = test.campaign_id else {
        return Ok(None);
    };
    let campaign = repositories
        .find_campaign(actor.tenant_id, CampaignId::from_uuid(id))
        .await?;
    if campaign
        .as_ref()
        .is_some_and(|c| !c.kind.reveals(actor.role, test.workflow.state()))
    {
        return Err(TestError::NotFound);
    }
    Ok(campaign)
}

/// A campaign's test starts only while the campaign is active and once every test it
/// depends on has validated.
async fn ready_to_start(
    uow: &dyn UnitOfWork,
    test: &TestCase,
    campaign: &Campaign,
) -> Result<(), TestError> {
    if campaign.status != CampaignStatus::Active {
        return Err(TestError::CampaignNotActive(campaign.status));
    }
    let edges = uow
        .dependencies_in_campaign(test.tenant_id, campaign.id)
        .await?;
    if !edges.iter().any(|e| e.test == test.id) {
        return Ok(());
    }
    let tests = uow.tests_of_campaign(test.tenant_id, campaign.id).await?;
    let pending = pending_dependencies(test.id, &edges, &tests);
    if pending.is_empty() {
        Ok(())
    } else {
        Err(TestError::DependenciesPending(pending))
    }
}

/// Blue's rule results from the request: the verdicts given, or the fired rules as
/// `triggered`; one result per rule (the last given wins), blank names dropped.
fn blue_rule_results(
    fired: Option<Vec<String>>,
    results: Option<Vec<(String, String)>>,
) -> Result<Option<Vec<RuleResult>>, TestError> {
    let given: Vec<(String, RuleVerdict)> = match (fired, results) {
        (_, Some(results)) => results
            .into_iter()
            .enumerate()
            .map(|(n, (rule, verdict))| {
                RuleVerdict::parse(verdict.trim())
                    .map(|v| (rule, v))
                    .ok_or_else(|| {
                        invalid(
                            &format!("rule_results[{n}].result"),
                            "must be triggered, not_triggered or not_evaluated",
                        )
                    })
            })
            .collect::<Result<_, _>>()?,
        (Some(fired), None) => fired
            .into_iter()
            .map(|rule| (rule, RuleVerdict::Triggered))
            .collect(),
        (None, None) => return Ok(None),
    };
    let mut kept: Vec<RuleResult> = Vec::new();
    for (rule, verdict) in given {
        let Some(rule) = optional(rule) else { continue };
        kept.retain(|r| !r.rule.eq_ignore_ascii_case(&rule));
        kept.push(RuleResult { rule, verdict });
    }
    Ok(Some(kept))
}
