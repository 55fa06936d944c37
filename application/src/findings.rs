//! Findings: opened when a test validates with the technique logged or missed, remediated
//! step by step, and closed only when a retest validates with a better outcome (or while a
//! lead accepts the risk, for a stated reason and until a date).

use std::sync::Arc;

use chrono::NaiveDate;
use uuid::Uuid;

use aegis_domain::finding::{
    Finding, FindingFilter, FindingId, FindingKind, FindingRefusal, FindingStatus, RemediationStep,
    RiskAcceptance, Severity, StepStatus,
};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::Action;
use aegis_domain::ports::{OsintRepository, RepositoryError};
use aegis_domain::tenant::TenantId;
use aegis_domain::test_case::{TestCase, TestId};
use aegis_domain::user::UserId;

use crate::audit_trail::{self, Change};
use crate::context::{Actor, Forbidden, RequestContext};
use crate::coverage::ThreatByTechnique;
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::ports::{Clock, Database, IdGenerator, UnitOfWork};
use crate::test_cases::{TestError, TestService, ValidationFollowUp};
use aegis_domain::webhook::WebhookEvent;

mod sarif;

pub use sarif::{ScanImport, ScanReader, UnreadableScan};

#[derive(Debug, thiserror::Error)]
pub enum FindingError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("invalid finding data")]
    Invalid(Vec<FieldError>),
    #[error("finding not found")]
    NotFound,
    #[error("remediation step not found")]
    StepNotFound,
    #[error("the finding was changed by someone else; reload it and retry")]
    VersionConflict,
    #[error("{0}")]
    Refused(#[from] FindingRefusal),
    #[error(transparent)]
    Test(#[from] TestError),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for FindingError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::NotFound(_) => Self::NotFound,
            RepositoryError::StaleVersion { .. } => Self::VersionConflict,
            other => Self::Unexpected(unexpected(&other)),
        }
    }
}

impl Classified for FindingError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::NotFound | Self::StepNotFound => ErrorKind::NotFound,
            Self::VersionConflict | Self::Refused(_) => ErrorKind::Conflict,
            Self::Test(e) => e.kind(),
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::NotFound => "FINDING_NOT_FOUND",
            Self::StepNotFound => "REMEDIATION_STEP_NOT_FOUND",
            Self::VersionConflict => "VERSION_CONFLICT",
            Self::Refused(_) => "FINDING_STATUS_CONFLICT",
            Self::Test(e) => e.code(),
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

fn invalid(field: &str, message: impl Into<String>) -> FindingError {
    FindingError::Invalid(vec![FieldError::new(field, message)])
}

/// The finding list's filters as a caller gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindingQuery {
    pub status: Option<String>,
    pub severity: Option<String>,
    pub technique: Option<String>,
    pub owner: Option<Uuid>,
    pub campaign: Option<Uuid>,
    /// test_gap or vulnerability.
    pub kind: Option<String>,
    /// Only unresolved findings past their due date.
    pub overdue: bool,
}

/// A finding with what is derived from today's date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingView {
    pub finding: Finding,
    pub overdue: bool,
    pub acceptance_expired: bool,
}

impl FindingView {
    #[must_use]
    pub fn of(finding: Finding, today: NaiveDate) -> Self {
        Self {
            overdue: finding.is_overdue(today),
            acceptance_expired: finding.acceptance_expired(today),
            finding,
        }
    }
}

/// Changes to a finding's triage; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindingChanges {
    pub owner_id: Option<Option<Uuid>>,
    pub due_on: Option<Option<NaiveDate>>,
    pub severity: Option<String>,
    /// `in_remediation` starts the work; `open` takes back an accepted risk; `resolved`
    /// records a vulnerability fixed before the next scan confirms it.
    pub status: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewStep {
    pub title: String,
    pub assignee_id: Option<Uuid>,
    pub notes: String,
}

/// Changes to a step; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepChanges {
    pub title: Option<String>,
    pub assignee_id: Option<Option<Uuid>>,
    pub status: Option<String>,
    pub notes: Option<String>,
    /// Moves the step to this place (0 first).
    pub position: Option<usize>,
}

/// Findings follow validations: the port `test_cases` calls when a test validates.
pub(crate) struct FindingsOnValidation {
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    /// Findings opened and resolved are webhook events, recorded in the same unit of work.
    outbox: crate::webhooks::Outbox,
}

impl FindingsOnValidation {
    pub(crate) fn new(
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        outbox: crate::webhooks::Outbox,
    ) -> Self {
        Self { clock, ids, outbox }
    }
}

#[async_trait::async_trait]
impl ValidationFollowUp for FindingsOnValidation {
    async fn on_validated(
        &self,
        uow: &dyn UnitOfWork,
        context: &RequestContext,
        actor: UserId,
        test: &TestCase,
        threat: &ThreatByTechnique,
    ) -> Result<(), RepositoryError> {
        let changed = on_validated(
            self.clock.as_ref(),
            self.ids.as_ref(),
            uow,
            context,
            actor,
            test,
            threat,
        )
        .await?;
        for finding in &changed {
            let event = match finding.status() {
                aegis_domain::finding::FindingStatus::Resolved => WebhookEvent::FindingResolved,
                status if status.is_unresolved() && finding.retest_id != Some(test.id) => {
                    WebhookEvent::FindingOpened
                }
                _ => continue,
            };
            self.outbox
                .record(uow, test.tenant_id, event, finding_data(finding))
                .await?;
        }
        Ok(())
    }
}

/// What a validated test means for findings, inside the validation's unit of work: a retest
/// settles the finding waiting for it; a logged or missed technique opens a finding unless
/// the test already has an unresolved one. Returns the findings created or changed.
///
/// # Errors
/// `RepositoryError` from reading or writing.
async fn on_validated(
    clock: &dyn Clock,
    ids: &dyn IdGenerator,
    uow: &dyn UnitOfWork,
    context: &RequestContext,
    actor: UserId,
    test: &TestCase,
    threat: &ThreatByTechnique,
) -> Result<Vec<Finding>, RepositoryError> {
    let Some(outcome) = test.blue.outcome else {
        return Ok(Vec::new());
    };
    let now = clock.now();
    let tenant = test.tenant_id;
    let existing = uow.findings_of_test(tenant, test.id).await?;
    let mut changed = Vec::new();
    for mut finding in existing
        .iter()
        .filter(|f| f.retest_id == Some(test.id))
        .cloned()
    {
        let resolved = finding.record_retest(outcome, now);
        let expected = finding.record_change(now);
        uow.update_finding(tenant, &finding, expected).await?;
        let action = if resolved {
            "finding.resolved"
        } else {
            "finding.retest_failed"
        };
        record(
            clock,
            ids,
            uow,
            context,
            tenant,
            Some(actor),
            action,
            &finding,
            serde_json::json!({"retest_id": test.id, "outcome": outcome.as_str()}),
        )
        .await?;
        changed.push(finding);
    }
    if !changed.is_empty() {
        return Ok(changed);
    }
    let already_open = existing
        .iter()
        .any(|f| f.test_id() == Some(test.id) && f.status().is_unresolved());
    let actors = threat.get(&test.technique_id).copied().unwrap_or_default();
    let Some(severity) = Severity::assess(outcome, actors).filter(|_| !already_open) else {
        return Ok(changed);
    };
    let phrase = outcome.as_str().replace('_', " ");
    let mut finding = Finding::open(
        FindingId::from_uuid(ids.new_id()),
        tenant,
        test.id,
        test.technique_id.clone(),
        outcome,
        severity,
        now,
    );
    finding.campaign_id = test.campaign_id;
    finding.title = format!("{} {phrase}: {}", test.technique_id, test.title)
        .chars()
        .take(300)
        .collect();
    uow.insert_finding(tenant, &finding).await?;
    record(
        clock,
        ids,
        uow,
        context,
        tenant,
        Some(actor),
        "finding.opened",
        &finding,
        serde_json::json!({
            "test_id": test.id, "severity": severity.as_str(), "outcome": outcome.as_str(),
        }),
    )
    .await?;
    changed.push(finding);
    Ok(changed)
}

/// The event data of a finding, as webhooks carry it.
fn finding_data(finding: &Finding) -> serde_json::Value {
    serde_json::json!({
        "finding_id": finding.id,
        "test_id": finding.test_id(),
        "kind": finding.kind().as_str(),
        "technique_id": finding.technique_id.as_ref().map(|t| t.as_str()),
        "title": finding.title,
        "severity": finding.severity.as_str(),
        "status": finding.status().as_str(),
        "campaign_id": finding.campaign_id,
    })
}

#[expect(
    clippy::too_many_arguments,
    reason = "an audit entry names its tenant, actor, action, entity and details"
)]
async fn record(
    clock: &dyn Clock,
    ids: &dyn IdGenerator,
    uow: &dyn UnitOfWork,
    context: &RequestContext,
    tenant: TenantId,
    actor: Option<UserId>,
    action: &str,
    finding: &Finding,
    details: serde_json::Value,
) -> Result<(), RepositoryError> {
    let change = Change {
        tenant,
        actor,
        action,
        entity_type: "finding",
        entity_id: Some(finding.id.to_string()),
        details,
    };
    audit_trail::record(clock, ids, uow, context, change).await
}

#[derive(Clone)]
pub struct FindingService {
    database: Arc<dyn Database>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    tests: TestService,
    /// Intelligence read when scanner results name CVEs.
    osint: Arc<dyn OsintRepository>,
    scans: Arc<dyn ScanReader>,
    /// Findings a scan opens, reopens or resolves are webhook events, recorded with the import.
    outbox: crate::webhooks::Outbox,
}

impl FindingService {
    pub(crate) fn new(
        database: Arc<dyn Database>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        tests: TestService,
        osint: Arc<dyn OsintRepository>,
        scans: Arc<dyn ScanReader>,
        outbox: crate::webhooks::Outbox,
    ) -> Self {
        Self {
            database,
            clock,
            ids,
            tests,
            osint,
            scans,
            outbox,
        }
    }

    fn view(&self, finding: Finding) -> FindingView {
        FindingView::of(finding, self.clock.now().date_naive())
    }

    /// The tenant's findings, most severe first.
    ///
    /// # Errors
    /// `Invalid` naming an unknown status, severity or technique id.
    pub async fn list(
        &self,
        actor: &Actor,
        query: &FindingQuery,
        page: PageRequest,
    ) -> Result<Page<FindingView>, FindingError> {
        actor.authorize(Action::ReadOperations)?;
        let filter = self.filter(query)?;
        let page = self
            .database
            .list_findings(actor.tenant_id, &filter, page)
            .await?;
        Ok(page.map(|f| self.view(f)))
    }

    /// The domain filter of `query`.
    ///
    /// # Errors
    /// `Invalid` naming the bad field.
    pub fn filter(&self, query: &FindingQuery) -> Result<FindingFilter, FindingError> {
        let mut fields = Vec::new();
        let status = query.status.as_deref().and_then(|s| {
            let parsed = FindingStatus::parse(s);
            if parsed.is_none() {
                fields.push(FieldError::new(
                    "status",
                    "must be open, in_remediation, awaiting_retest, resolved or risk_accepted",
                ));
            }
            parsed
        });
        let severity = query.severity.as_deref().and_then(|s| {
            let parsed = Severity::parse(s);
            if parsed.is_none() {
                fields.push(FieldError::new(
                    "severity",
                    "must be low, medium, high or critical",
                ));
            }
            parsed
        });
        let technique = query.technique.as_deref().and_then(|t| {
            aegis_domain::catalog::TechniqueId::parse(t)
                .map_err(|e| fields.push(FieldError::new("technique", e.to_string())))
                .ok()
        });
        let kind = query.kind.as_deref().and_then(|k| {
            let parsed = FindingKind::parse(k);
            if parsed.is_none() {
                fields.push(FieldError::new("kind", "must be test_gap or vulnerability"));
            }
            parsed
        });
        if !fields.is_empty() {
            return Err(FindingError::Invalid(fields));
        }
        Ok(FindingFilter {
            kind,
            status,
            severity,
            technique,
            owner: query.owner.map(UserId::from_uuid),
            campaign: query.campaign,
            overdue_on: query.overdue.then(|| self.clock.now().date_naive()),
        })
    }

    /// # Errors
    /// `NotFound`.
    pub async fn get(&self, actor: &Actor, id: FindingId) -> Result<FindingView, FindingError> {
        actor.authorize(Action::ReadOperations)?;
        let finding = self
            .database
            .find_finding(actor.tenant_id, id)
            .await?
            .ok_or(FindingError::NotFound)?;
        Ok(self.view(finding))
    }

    async fn known_user(
        &self,
        actor: &Actor,
        field: &str,
        id: Uuid,
    ) -> Result<UserId, FindingError> {
        let user = UserId::from_uuid(id);
        match self.database.find_user(actor.tenant_id, user).await? {
            Some(found) if found.is_active => Ok(user),
            _ => Err(invalid(field, "is not an active user of this organization")),
        }
    }

    /// Loads, changes, saves and audits one finding in one unit of work.
    async fn change(
        &self,
        actor: &Actor,
        id: FindingId,
        expected_version: Option<i32>,
        context: &RequestContext,
        action: &str,
        apply: impl FnOnce(&mut Finding) -> Result<serde_json::Value, FindingError>,
    ) -> Result<FindingView, FindingError> {
        let uow = self.database.begin().await?;
        let mut finding = uow
            .find_finding(actor.tenant_id, id)
            .await?
            .ok_or(FindingError::NotFound)?;
        if expected_version.is_some_and(|v| v != finding.version()) {
            return Err(FindingError::VersionConflict);
        }
        let details = apply(&mut finding)?;
        let expected = finding.record_change(self.clock.now());
        uow.update_finding(actor.tenant_id, &finding, expected)
            .await?;
        record(
            self.clock.as_ref(),
            self.ids.as_ref(),
            uow.as_ref(),
            context,
            actor.tenant_id,
            Some(actor.user_id),
            action,
            &finding,
            details,
        )
        .await?;
        uow.commit().await?;
        Ok(self.view(finding))
    }

    /// Owner, due date, severity, and the status moves that need no other input.
    ///
    /// # Errors
    /// `Forbidden` unless a lead or admin; `Invalid` naming the field; `Refused` for a status
    /// move the finding's status does not allow.
    pub async fn update(
        &self,
        actor: &Actor,
        id: FindingId,
        changes: FindingChanges,
        expected_version: Option<i32>,
        context: &RequestContext,
    ) -> Result<FindingView, FindingError> {
        actor.authorize(Action::ManageFindings)?;
        let owner = match changes.owner_id {
            Some(Some(id)) => Some(Some(self.known_user(actor, "owner_id", id).await?)),
            Some(None) => Some(None),
            None => None,
        };
        let severity = changes
            .severity
            .as_deref()
            .map(|s| {
                Severity::parse(s)
                    .ok_or_else(|| invalid("severity", "must be low, medium, high or critical"))
            })
            .transpose()?;
        let status = changes.status.clone();
        if let Some(other) = status
            .as_deref()
            .filter(|s| !matches!(*s, "in_remediation" | "open" | "resolved"))
        {
            return Err(invalid(
                "status",
                format!(
                    "cannot be set to `{other}` here: use in_remediation, open, or resolved \
                     for a vulnerability; resolve a test gap through /retest and accept risk \
                     through /accept-risk"
                ),
            ));
        }
        let now = self.clock.now();
        self.change(
            actor,
            id,
            expected_version,
            context,
            "finding.updated",
            |finding| {
                if let Some(owner) = owner {
                    finding.owner = owner;
                }
                if let Some(due) = changes.due_on {
                    finding.due_on = due;
                }
                if let Some(severity) = severity {
                    finding.severity = severity;
                }
                match status.as_deref() {
                    Some("in_remediation") => finding.start_remediation()?,
                    Some("open") => finding.reopen()?,
                    Some("resolved") => finding.record_fixed(now)?,
                    _ => {}
                }
                Ok(serde_json::json!({
                    "status": finding.status().as_str(), "severity": finding.severity.as_str(),
                }))
            },
        )
        .await
    }

    /// Leaves the gap open on purpose, for `reason`, until `expires_on`.
    ///
    /// # Errors
    /// `Invalid` without a reason; `Refused` when resolved or the date is not in the future.
    pub async fn accept_risk(
        &self,
        actor: &Actor,
        id: FindingId,
        reason: &str,
        expires_on: NaiveDate,
        context: &RequestContext,
    ) -> Result<FindingView, FindingError> {
        actor.authorize(Action::ManageFindings)?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 5_000 {
            return Err(invalid("reason", "is required (at most 5000 characters)"));
        }
        let today = self.clock.now().date_naive();
        let acceptance = RiskAcceptance {
            reason: reason.to_owned(),
            expires_on,
            accepted_by: actor.user_id,
        };
        self.change(
            actor,
            id,
            None,
            context,
            "finding.risk_accepted",
            |finding| {
                finding
                    .accept_risk(acceptance, today)
                    .map_err(|e| match e {
                        FindingRefusal::ExpiryInPast => invalid("expires_on", e.to_string()),
                        other => other.into(),
                    })?;
                Ok(serde_json::json!({"expires_on": expires_on}))
            },
        )
        .await
    }

    /// The team says the gap is fixed: a new draft test repeats the one that found it, and
    /// the finding waits for that retest to validate with a better outcome.
    ///
    /// # Errors
    /// `Forbidden` unless a lead or admin; `Refused` when the finding is not open or in
    /// remediation.
    pub async fn request_retest(
        &self,
        actor: &Actor,
        id: FindingId,
        context: &RequestContext,
    ) -> Result<(FindingView, TestCase), FindingError> {
        actor.authorize(Action::ManageFindings)?;
        actor.authorize(Action::PlanTests)?;
        let uow = self.database.begin().await?;
        let finding = uow
            .find_finding(actor.tenant_id, id)
            .await?
            .ok_or(FindingError::NotFound)?;
        // A vulnerability has no test to repeat: the next scan is its retest.
        let (Some(test_id), Some(technique)) = (finding.test_id(), finding.technique_id.clone())
        else {
            return Err(FindingRefusal::ScanOnly.into());
        };
        let original = uow.find_test(actor.tenant_id, test_id).await?;
        let now = self.clock.now();
        let id = TestId::from_uuid(self.ids.new_id());
        let mut retest = match &original {
            Some(original) => original.fresh_copy(id, actor.user_id, now),
            None => self.tests.new_draft(actor, String::new(), technique),
        };
        retest.title = format!(
            "Retest: {}",
            original.as_ref().map_or(&finding.title, |t| &t.title)
        )
        .chars()
        .take(200)
        .collect();
        retest.objective = format!(
            "Confirm the fix of finding \"{}\": the technique must now be prevented or detected.",
            finding.title
        );
        self.tests
            .insert_draft(uow.as_ref(), actor, context, &retest)
            .await?;
        let mut finding = finding;
        finding.await_retest(retest.id)?;
        let expected = finding.record_change(self.clock.now());
        uow.update_finding(actor.tenant_id, &finding, expected)
            .await?;
        record(
            self.clock.as_ref(),
            self.ids.as_ref(),
            uow.as_ref(),
            context,
            actor.tenant_id,
            Some(actor.user_id),
            "finding.retest_requested",
            &finding,
            serde_json::json!({"retest_id": retest.id}),
        )
        .await?;
        uow.commit().await?;
        Ok((self.view(finding), retest))
    }

    /// Adds a step at the end; an open finding is in remediation from its first step.
    ///
    /// # Errors
    /// `Invalid` naming the field; `Refused` once resolved.
    pub async fn add_step(
        &self,
        actor: &Actor,
        id: FindingId,
        step: NewStep,
        context: &RequestContext,
    ) -> Result<FindingView, FindingError> {
        actor.authorize(Action::ManageFindings)?;
        let title = step_title(&step.title)?;
        let assignee = match step.assignee_id {
            Some(id) => Some(self.known_user(actor, "assignee_id", id).await?),
            None => None,
        };
        let step = RemediationStep {
            id: self.ids.new_id(),
            title,
            assignee,
            status: StepStatus::Todo,
            notes: step.notes.trim().to_owned(),
            updated_at: self.clock.now(),
        };
        self.change(actor, id, None, context, "finding.step_added", |finding| {
            if finding.status() == FindingStatus::Resolved {
                return Err(FindingRefusal::NotInStatus {
                    status: finding.status().as_str(),
                    action: "take new steps",
                }
                .into());
            }
            if finding.status() == FindingStatus::Open {
                finding.start_remediation()?;
            }
            let details = serde_json::json!({"step_id": step.id, "title": step.title});
            finding.steps.push(step);
            Ok(details)
        })
        .await
    }

    /// Changes a step: leads and admins may change any, its assignee may change its status
    /// and notes.
    ///
    /// # Errors
    /// `StepNotFound`; `Forbidden` for others; `Invalid` naming the field.
    pub async fn update_step(
        &self,
        actor: &Actor,
        id: FindingId,
        step_id: Uuid,
        changes: StepChanges,
        context: &RequestContext,
    ) -> Result<FindingView, FindingError> {
        // Whoever works on tests may be a step's assignee; viewers only read.
        actor.authorize(Action::Comment)?;
        let manager = actor.authorize(Action::ManageFindings).is_ok();
        let title = changes.title.as_deref().map(step_title).transpose()?;
        let status = changes
            .status
            .as_deref()
            .map(|s| {
                StepStatus::parse(s)
                    .ok_or_else(|| invalid("status", "must be todo, in_progress or done"))
            })
            .transpose()?;
        let assignee = match changes.assignee_id {
            Some(Some(id)) => Some(Some(self.known_user(actor, "assignee_id", id).await?)),
            Some(None) => Some(None),
            None => None,
        };
        let only_progress = title.is_none() && assignee.is_none() && changes.position.is_none();
        let now = self.clock.now();
        let user = actor.user_id;
        let role = actor.role;
        self.change(
            actor,
            id,
            None,
            context,
            "finding.step_updated",
            |finding| {
                let index = finding
                    .steps
                    .iter()
                    .position(|s| s.id == step_id)
                    .ok_or(FindingError::StepNotFound)?;
                let assigned = finding.steps[index].assignee == Some(user);
                if !(manager || (assigned && only_progress)) {
                    return Err(FindingError::Forbidden(Forbidden {
                        role,
                        action: Action::ManageFindings,
                        missing_scope: None,
                    }));
                }
                let step = &mut finding.steps[index];
                if let Some(title) = title {
                    step.title = title;
                }
                if let Some(assignee) = assignee {
                    step.assignee = assignee;
                }
                if let Some(status) = status {
                    step.status = status;
                }
                if let Some(notes) = changes.notes {
                    notes.trim().clone_into(&mut step.notes);
                }
                step.updated_at = now;
                if let Some(position) = changes.position {
                    let moved = finding.steps.remove(index);
                    let position = position.min(finding.steps.len());
                    finding.steps.insert(position, moved);
                }
                Ok(serde_json::json!({"step_id": step_id}))
            },
        )
        .await
    }

    /// # Errors
    /// `StepNotFound`; `Forbidden` unless a lead or admin.
    pub async fn remove_step(
        &self,
        actor: &Actor,
        id: FindingId,
        step_id: Uuid,
        context: &RequestContext,
    ) -> Result<FindingView, FindingError> {
        actor.authorize(Action::ManageFindings)?;
        self.change(
            actor,
            id,
            None,
            context,
            "finding.step_removed",
            |finding| {
                let before = finding.steps.len();
                finding.steps.retain(|s| s.id != step_id);
                if finding.steps.len() == before {
                    return Err(FindingError::StepNotFound);
                }
                Ok(serde_json::json!({"step_id": step_id}))
            },
        )
        .await
    }
}

fn step_title(text: &str) -> Result<String, FindingError> {
    let title = text.trim();
    if title.is_empty() || title.chars().count() > 300 {
        return Err(invalid("title", "is required (at most 300 characters)"));
    }
    Ok(title.to_owned())
}
