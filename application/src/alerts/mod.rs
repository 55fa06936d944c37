//! Operational alerts: each organization's rules (the eight system rules, seeded on first use,
//! and custom ones), their evaluation over what the other rooms store (risk, coverage and
//! snapshots, detection proofs, tracked actors and the catalog, detection rules, validated
//! tests), and the alerts' lifecycle (open -> acknowledged -> resolved or dismissed).
//!
//! Evaluation is cheap and repeatable: a condition's fingerprint fires at most once per its
//! rule's cooldown, so the hourly job, the runs queued after a validation, an import, a
//! snapshot or a decay, and a lead's request may overlap harmlessly.

mod evaluation;
mod requests;
mod rules;

use std::sync::Arc;

use aegis_domain::alert::{
    Alert, AlertAction, AlertFilter, AlertId, AlertStep, AlertSummary, IllegalAlertStep,
    InvalidAlertRule, MAX_NOTE_CHARS,
};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::Action;
use aegis_domain::ports::{CatalogRepository, RepositoryError, TrackedActorRepository};

use crate::audit_trail::{self, Change};
use crate::context::{Actor, Forbidden, RequestContext};
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::ports::{Clock, Database, IdGenerator};

pub use evaluation::EvaluationReport;
pub use requests::EvaluationRequests;
pub use rules::{NewAlertRule, RuleChanges};

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("invalid alert request")]
    Invalid(Vec<FieldError>),
    #[error("alert rule not found")]
    RuleNotFound,
    #[error("alert not found")]
    AlertNotFound,
    #[error("a system rule cannot be deleted: disable it instead")]
    SystemRule,
    #[error(transparent)]
    IllegalStep(#[from] IllegalAlertStep),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for AlertError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl From<InvalidAlertRule> for AlertError {
    fn from(error: InvalidAlertRule) -> Self {
        Self::Invalid(vec![FieldError::new(error.field, error.reason)])
    }
}

impl Classified for AlertError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::RuleNotFound | Self::AlertNotFound => ErrorKind::NotFound,
            Self::SystemRule | Self::IllegalStep(_) => ErrorKind::Conflict,
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::RuleNotFound => "ALERT_RULE_NOT_FOUND",
            Self::AlertNotFound => "ALERT_NOT_FOUND",
            Self::SystemRule => "SYSTEM_ALERT_RULE",
            Self::IllegalStep(_) => "ILLEGAL_ALERT_STEP",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

#[derive(Clone)]
pub struct AlertService {
    database: Arc<dyn Database>,
    catalog: Arc<dyn CatalogRepository>,
    tracking: Arc<dyn TrackedActorRepository>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    /// Where an alert whose rule has the webhook channel goes (the webhooks' outbox).
    outbox: Option<Arc<dyn FiredAlerts>>,
}

/// What takes the alerts of rules with the webhook channel: the webhooks room records each
/// as an `alert.fired` delivery in the evaluation's unit of work, and sends them after its
/// commit. A port here, so that alerts need not know the webhooks room (which knows the
/// test workflow, which asks alerts for evaluations).
#[async_trait::async_trait]
pub trait FiredAlerts: Send + Sync {
    /// Records `alert` for delivery inside `uow`; returns how many deliveries were recorded.
    ///
    /// # Errors
    /// `RepositoryError` when a delivery cannot be written.
    async fn record(
        &self,
        uow: &dyn crate::ports::UnitOfWork,
        alert: &Alert,
    ) -> Result<usize, aegis_domain::ports::RepositoryError>;

    /// After the commit: has the recorded deliveries sent.
    async fn dispatch(&self);
}

impl AlertService {
    pub(crate) fn new(
        database: Arc<dyn Database>,
        catalog: Arc<dyn CatalogRepository>,
        tracking: Arc<dyn TrackedActorRepository>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            database,
            catalog,
            tracking,
            clock,
            ids,
            outbox: None,
        }
    }

    /// Alerts of rules with the webhook channel go to the tenant's webhooks as `alert.fired`.
    #[must_use]
    pub(crate) fn publishing_to(mut self, outbox: Arc<dyn FiredAlerts>) -> Self {
        self.outbox = Some(outbox);
        self
    }

    /// The organization's alerts, newest first.
    ///
    /// # Errors
    /// `Forbidden` for a role that cannot read operations.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &AlertFilter,
        page: PageRequest,
    ) -> Result<Page<Alert>, AlertError> {
        actor.authorize(Action::ReadOperations)?;
        Ok(self
            .database
            .list_alerts(actor.tenant_id, filter, page)
            .await?)
    }

    /// Counts per status, and of the active alerts per severity and type.
    ///
    /// # Errors
    /// `Forbidden` for a role that cannot read operations.
    pub async fn summary(&self, actor: &Actor) -> Result<AlertSummary, AlertError> {
        actor.authorize(Action::ReadOperations)?;
        Ok(self.database.alert_summary(actor.tenant_id).await?)
    }

    /// Acknowledges, resolves or dismisses an alert, recording who, when and the note.
    ///
    /// # Errors
    /// `Forbidden` unless a lead or admin; `AlertNotFound`; `IllegalStep` when its status
    /// does not allow the action; `Invalid` for a note over the limit.
    pub async fn act(
        &self,
        actor: &Actor,
        context: &RequestContext,
        id: AlertId,
        action: AlertAction,
        note: Option<String>,
    ) -> Result<Alert, AlertError> {
        actor.authorize(Action::ManageAlerts)?;
        let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        if note
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
        {
            return Err(AlertError::Invalid(vec![FieldError::new(
                "note",
                format!("must be at most {MAX_NOTE_CHARS} characters"),
            )]));
        }
        let uow = self.database.begin().await?;
        let mut alert = uow
            .find_alert(actor.tenant_id, id)
            .await?
            .ok_or(AlertError::AlertNotFound)?;
        let from = alert.status();
        alert.apply(
            action,
            AlertStep {
                by: actor.user_id,
                at: self.clock.now(),
                note: note.clone(),
            },
        )?;
        uow.update_alert(actor.tenant_id, &alert).await?;
        let audit_action = format!("alert.{}", action.as_str());
        let change = Change {
            tenant: actor.tenant_id,
            actor: Some(actor.user_id),
            action: &audit_action,
            entity_type: "alert",
            entity_id: Some(alert.id.as_uuid().to_string()),
            details: serde_json::json!({
                "from": from.as_str(),
                "to": alert.status().as_str(),
                "note": note,
            }),
        };
        audit_trail::record(
            self.clock.as_ref(),
            self.ids.as_ref(),
            uow.as_ref(),
            context,
            change,
        )
        .await?;
        uow.commit().await?;
        Ok(alert)
    }
}
