//! Tickets: findings, tests and remediation steps linked to issues in a tracker. Any tracker
//! is linked by hand (key and URL); Jira is also driven through the [`TicketTracker`] port:
//! an issue is created from a finding, its status is brought back by the `ticket_sync` job,
//! and the sealed worklogs of the tests behind it are pushed to Tempo when configured.
//!
//! The tracker is called with no unit of work open (SQLite has one writer); what it answers
//! is written afterwards in a short one, with its audit entry.

mod config;
mod links;
mod sync;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use aegis_domain::ports::RepositoryError;
use aegis_domain::ticket::{StatusCategory, TicketLink};
use aegis_domain::webhook::{AllowList, TargetRefusal};

use crate::audit_trail::{self, Change};
use crate::context::{Actor, Forbidden, RequestContext};
use crate::data_sources::CredentialCipher;
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::ports::{Clock, Database, IdGenerator, UnitOfWork};

pub use config::{JiraConfigChanges, JiraConfigSummary};
pub use links::{NewTicketLink, SubjectQuery, TicketList};
pub use sync::SyncReport;

/// Where and as whom Jira is called.
#[derive(Clone, PartialEq, Eq)]
pub struct JiraTarget {
    /// `https://example.atlassian.net`, without a trailing slash.
    pub base_url: String,
    pub email: String,
    pub api_token: String,
    /// The tenant's allow-list of internal hosts (the webhooks' one).
    pub allow: AllowList,
}

// Written by hand so that the token never reaches a log through `{:?}`.
impl std::fmt::Debug for JiraTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JiraTarget")
            .field("base_url", &self.base_url)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// Where and with which token Tempo is called.
#[derive(Clone, PartialEq, Eq)]
pub struct TempoTarget {
    pub base_url: String,
    pub token: String,
    pub allow: AllowList,
}

impl std::fmt::Debug for TempoTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TempoTarget")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// A link in an issue's description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueLink {
    pub text: String,
    /// Absent when no Aegis address is configured: the text alone is shown.
    pub url: Option<String>,
}

/// The issue to create from a finding; the adapter writes it in the tracker's format (Jira:
/// Atlassian Document Format).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueDraft {
    pub project_key: String,
    pub issue_type: String,
    pub summary: String,
    pub labels: Vec<String>,
    pub technique: String,
    /// What the defence did: `logged`, `not detected`.
    pub outcome: String,
    pub severity: String,
    pub test_title: String,
    /// What the red team ran and how it went.
    pub execution: String,
    pub due_on: Option<chrono::NaiveDate>,
    /// The finding and the test in Aegis.
    pub links: Vec<IssueLink>,
    /// The test's evidence files, each with its SHA-256.
    pub evidence: Vec<IssueLink>,
}

/// What the tracker answered to a created issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedIssue {
    /// The tracker's id (Jira's numeric id).
    pub id: String,
    pub key: String,
    /// Where a person opens it.
    pub browse_url: String,
}

/// An issue's status as the tracker reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueStatus {
    pub id: String,
    pub name: String,
    pub category: StatusCategory,
}

/// One sealed worklog as Tempo records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TempoWorklog {
    /// Jira's numeric issue id.
    pub issue_id: String,
    pub seconds: i64,
    pub started_at: DateTime<Utc>,
    pub author_account_id: String,
    pub description: String,
}

/// Why a tracker call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackerError {
    /// The configured address is not allowed (SSRF rules, at connection time).
    #[error("refused: {0}")]
    Refused(#[from] TargetRefusal),
    /// The tracker answered with an error: its status and what it said.
    #[error("{system} answered HTTP {status}: {message}")]
    Rejected {
        system: &'static str,
        status: u16,
        message: String,
    },
    /// No usable answer (connection, timeout, an answer that does not parse).
    #[error("{system} could not be reached: {message}")]
    Unreachable {
        system: &'static str,
        message: String,
    },
}

/// The network side of tickets: Jira REST v3 and Tempo REST v4, with the webhooks' SSRF
/// rules applied at connection time.
#[async_trait]
pub trait TicketTracker: Send + Sync {
    /// Whether `url` may be called: http(s), and allowed by the SSRF rules.
    ///
    /// # Errors
    /// The `TargetRefusal` that says why not.
    async fn check_target(&self, url: &str, allow: &AllowList) -> Result<(), TargetRefusal>;

    /// `POST /rest/api/3/issue`.
    ///
    /// # Errors
    /// `TrackerError`.
    async fn create_issue(
        &self,
        target: &JiraTarget,
        draft: &IssueDraft,
    ) -> Result<CreatedIssue, TrackerError>;

    /// `GET /rest/api/3/issue/{key}?fields=status`.
    ///
    /// # Errors
    /// `TrackerError`.
    async fn issue_status(
        &self,
        target: &JiraTarget,
        key: &str,
    ) -> Result<IssueStatus, TrackerError>;

    /// `POST /4/worklogs`; returns Tempo's id of the worklog.
    ///
    /// # Errors
    /// `TrackerError`.
    async fn push_worklog(
        &self,
        target: &TempoTarget,
        worklog: &TempoWorklog,
    ) -> Result<String, TrackerError>;
}

#[derive(Debug, thiserror::Error)]
pub enum TicketError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("invalid ticket data")]
    Invalid(Vec<FieldError>),
    #[error("ticket not found")]
    NotFound,
    #[error("{0} not found")]
    SubjectNotFound(&'static str),
    #[error("Jira is not configured for this organization: an admin sets it up first")]
    NotConfigured,
    #[error("{0}")]
    AlreadyLinked(String),
    /// The tracker refused or could not be reached; the message says what it answered.
    #[error("{0}")]
    Tracker(TrackerError),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for TicketError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::NotFound(aegis_domain::ports::Entity::Ticket) => Self::NotFound,
            RepositoryError::Duplicate(_) => {
                Self::AlreadyLinked("the subject already links this issue".to_owned())
            }
            other => Self::Unexpected(unexpected(&other)),
        }
    }
}

impl Classified for TicketError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::NotFound | Self::SubjectNotFound(_) => ErrorKind::NotFound,
            Self::NotConfigured | Self::AlreadyLinked(_) => ErrorKind::Conflict,
            Self::Tracker(_) => ErrorKind::Upstream,
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::NotFound => "TICKET_NOT_FOUND",
            Self::SubjectNotFound("finding") => "FINDING_NOT_FOUND",
            Self::SubjectNotFound("test") => "TEST_NOT_FOUND",
            Self::SubjectNotFound(_) => "REMEDIATION_STEP_NOT_FOUND",
            Self::NotConfigured => "JIRA_NOT_CONFIGURED",
            Self::AlreadyLinked(_) => "TICKET_ALREADY_LINKED",
            Self::Tracker(TrackerError::Rejected { .. }) => "TRACKER_REJECTED",
            Self::Tracker(_) => "TRACKER_UNREACHABLE",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

fn invalid(field: &str, message: impl Into<String>) -> TicketError {
    TicketError::Invalid(vec![FieldError::new(field, message)])
}

/// The ports the ticket service uses.
pub struct TicketPorts {
    pub database: Arc<dyn Database>,
    pub tracker: Arc<dyn TicketTracker>,
    /// Seals the Jira and Tempo tokens (the data-source credential cipher).
    pub cipher: Arc<dyn CredentialCipher>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
}

#[derive(Clone)]
pub struct TicketService {
    database: Arc<dyn Database>,
    tracker: Arc<dyn TicketTracker>,
    cipher: Arc<dyn CredentialCipher>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl TicketService {
    #[must_use]
    pub fn new(ports: TicketPorts) -> Self {
        Self {
            database: ports.database,
            tracker: ports.tracker,
            cipher: ports.cipher,
            clock: ports.clock,
            ids: ports.ids,
        }
    }

    async fn audit(
        &self,
        uow: &dyn UnitOfWork,
        actor: &Actor,
        context: &RequestContext,
        action: &str,
        entity_id: String,
        details: serde_json::Value,
    ) -> Result<(), RepositoryError> {
        let change = Change {
            tenant: actor.tenant_id,
            actor: Some(actor.user_id),
            action,
            entity_type: "ticket",
            entity_id: Some(entity_id),
            details,
        };
        audit_trail::record(self.clock.as_ref(), self.ids.as_ref(), uow, context, change).await
    }
}

/// The audit details of a link.
fn describe(ticket: &TicketLink) -> serde_json::Value {
    serde_json::json!({
        "subject_kind": ticket.subject.kind(),
        "subject_id": ticket.subject.id(),
        "system": ticket.system.as_str(),
        "key": ticket.key,
        "url": ticket.url,
    })
}
