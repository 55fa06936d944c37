//! Tests through the red/blue workflow: planning, each team's report, the transitions with
//! their timers and worklogs, comments and the timeline. Every change is one unit of work
//! with its audit entry and its transition record.

mod comments;
mod planning;
mod reports;
mod workflow;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use aegis_domain::campaign::{Campaign, CampaignId, CampaignStatus, pending_dependencies};
use aegis_domain::catalog::TechniqueId;
use aegis_domain::notification::{Notification, NotificationId};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::Action;
use aegis_domain::ports::{
    CatalogRepository, Repositories, RepositoryError, Subject, TestFilter, TestHistory,
    TrackedActorRepository,
};
use aegis_domain::scoring::ScoringPolicy;
use aegis_domain::test_case::{
    Comment, Outcome, PhaseClock, RedReport, RuleResult, RuleVerdict, TestCase, TestId,
    TransitionRecord, Worklog,
};
use aegis_domain::user::UserId;
use aegis_domain::workflow::{
    Effect, Refusal, Team, TestState, Verdict, WorkflowAction, transition,
};

use crate::audit_trail::{self, Change};
use crate::context::{Actor, Forbidden, RequestContext};
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::idempotency::{IdempotencyKey, IdempotentRequest, Prior, fingerprint};
use crate::ports::{Clock, Database, IdGenerator, UnitOfWork};

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
        crate::coverage::refresh(uow, tenant, technique, &self.scoring, self.clock.now()).await?;
        Ok(())
    }
}

fn optional(value: String) -> Option<String> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// What a validation sets off beyond the test itself (findings opened or settled), in the
/// validation's unit of work. `findings` implements it, so tests need not import findings.
#[async_trait::async_trait]
pub(crate) trait ValidationFollowUp: Send + Sync {
    async fn on_validated(
        &self,
        uow: &dyn UnitOfWork,
        context: &RequestContext,
        actor: UserId,
        test: &TestCase,
        threat: &crate::coverage::ThreatByTechnique,
    ) -> Result<(), RepositoryError>;

    /// Every workflow step, in its unit of work, after it is recorded (webhooks hear of it).
    async fn on_transition(
        &self,
        uow: &dyn UnitOfWork,
        test: &TestCase,
        step: &aegis_domain::test_case::TransitionRecord,
    ) -> Result<(), RepositoryError> {
        let _ = (uow, test, step);
        Ok(())
    }

    /// After the step's unit of work committed (webhook deliveries are sent then).
    async fn after_commit(&self) {}
}

/// Several follow-ups, each in turn, in the same unit of work (findings, then detection
/// proofs).
pub(crate) struct FollowUps(pub(crate) Vec<Arc<dyn ValidationFollowUp>>);

#[async_trait::async_trait]
impl ValidationFollowUp for FollowUps {
    async fn on_validated(
        &self,
        uow: &dyn UnitOfWork,
        context: &RequestContext,
        actor: UserId,
        test: &TestCase,
        threat: &crate::coverage::ThreatByTechnique,
    ) -> Result<(), RepositoryError> {
        for follow_up in &self.0 {
            follow_up
                .on_validated(uow, context, actor, test, threat)
                .await?;
        }
        Ok(())
    }

    async fn on_transition(
        &self,
        uow: &dyn UnitOfWork,
        test: &TestCase,
        step: &aegis_domain::test_case::TransitionRecord,
    ) -> Result<(), RepositoryError> {
        for follow_up in &self.0 {
            follow_up.on_transition(uow, test, step).await?;
        }
        Ok(())
    }

    async fn after_commit(&self) {
        for follow_up in &self.0 {
            follow_up.after_commit().await;
        }
    }
}

#[derive(Clone)]
pub struct TestService {
    database: Arc<dyn Database>,
    catalog: Arc<dyn CatalogRepository>,
    tracking: Arc<dyn TrackedActorRepository>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    scoring: Arc<ScoringPolicy>,
    follow_up: Arc<dyn ValidationFollowUp>,
    /// Queues an alert evaluation after a validation commits.
    alert_requests: Option<crate::alerts::EvaluationRequests>,
}

impl TestService {
    /// Queues an alert evaluation after each validation.
    pub(crate) fn requesting_alerts(mut self, requests: crate::alerts::EvaluationRequests) -> Self {
        self.alert_requests = Some(requests);
        self
    }

    pub(crate) fn new(
        database: Arc<dyn Database>,
        catalog: Arc<dyn CatalogRepository>,
        tracking: Arc<dyn TrackedActorRepository>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        scoring: Arc<ScoringPolicy>,
        follow_up: Arc<dyn ValidationFollowUp>,
    ) -> Self {
        Self {
            database,
            catalog,
            tracking,
            clock,
            ids,
            scoring,
            follow_up,
            alert_requests: None,
        }
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
        if let Some(closed) = campaign.as_ref().filter(|c| c.status().is_closed()) {
            return Err(TestError::CampaignClosed(closed.status()));
        }
        if let Some(expected) = expected_version
            && expected != test.version()
        {
            return Err(TestError::VersionConflict {
                current: test.version(),
            });
        }
        Ok((test, campaign))
    }

    async fn save(&self, uow: &dyn UnitOfWork, test: &mut TestCase) -> Result<(), TestError> {
        let expected = test.record_change(self.clock.now());
        uow.update_test(test.tenant_id, test, expected)
            .await
            .map_err(TestError::from)
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
        audit_trail::record(self.clock.as_ref(), self.ids.as_ref(), uow, context, change).await
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
        .is_some_and(|c| !c.kind.reveals(actor.role, test.workflow().state()))
    {
        return Err(TestError::NotFound);
    }
    Ok(campaign)
}
