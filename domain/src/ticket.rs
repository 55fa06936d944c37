//! Tickets: a finding, a test or a remediation step linked to an issue in a tracker (Jira,
//! GitHub or any other), with the issue's status as it was last brought back; and the
//! tenant's Jira configuration, whose secrets are sealed at rest.

use chrono::{DateTime, Utc};

use crate::finding::FindingId;
use crate::id::Id;
use crate::tenant::TenantId;
use crate::test_case::TestId;
use crate::user::UserId;

pub type TicketId = Id<TicketLink>;

/// The longest key, URL, status and label accepted.
pub const KEY_MAX: usize = 100;
pub const URL_MAX: usize = 2048;
pub const STATUS_MAX: usize = 100;
pub const LABEL_MAX: usize = 255;
pub const LABELS_MAX: usize = 20;

/// The tracker an issue lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TicketSystem {
    Jira,
    Github,
    /// Any other tracker: reached through the link (and a webhook), never called.
    Other,
}

impl TicketSystem {
    pub const ALL: [Self; 3] = [Self::Jira, Self::Github, Self::Other];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Jira => "jira",
            Self::Github => "github",
            Self::Other => "other",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Jira's status categories (`statusCategory.key`): whatever a workflow calls its statuses,
/// each belongs to one of these, so Aegis reads "is it done" from the category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusCategory {
    /// "To Do".
    New,
    /// "In Progress".
    Indeterminate,
    Done,
    /// Not known yet (a manual link, or a tracker that has no categories).
    Unknown,
}

impl StatusCategory {
    pub const ALL: [Self; 4] = [Self::New, Self::Indeterminate, Self::Done, Self::Unknown];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Indeterminate => "indeterminate",
            Self::Done => "done",
            Self::Unknown => "unknown",
        }
    }

    /// Jira's `statusCategory.key`; `undefined` and anything new read as unknown.
    #[must_use]
    pub fn parse(text: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == text)
            .unwrap_or(Self::Unknown)
    }
}

/// What a ticket is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TicketSubject {
    Finding(FindingId),
    Test(TestId),
    /// A step of a finding's remediation (steps are identified within their finding).
    RemediationStep {
        finding: FindingId,
        step: uuid::Uuid,
    },
}

impl TicketSubject {
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Finding(_) => "finding",
            Self::Test(_) => "test",
            Self::RemediationStep { .. } => "remediation_step",
        }
    }

    /// The id of the thing itself (the step's own id for a step).
    #[must_use]
    pub const fn id(&self) -> uuid::Uuid {
        match self {
            Self::Finding(id) => id.as_uuid(),
            Self::Test(id) => id.as_uuid(),
            Self::RemediationStep { step, .. } => *step,
        }
    }

    /// The finding it belongs to, if any.
    #[must_use]
    pub const fn finding(&self) -> Option<FindingId> {
        match self {
            Self::Finding(id) | Self::RemediationStep { finding: id, .. } => Some(*id),
            Self::Test(_) => None,
        }
    }

    /// The subject as storage holds it: its kind, its id and, for a step, its finding.
    #[must_use]
    pub fn restored(kind: &str, id: uuid::Uuid, finding: Option<uuid::Uuid>) -> Option<Self> {
        match (kind, finding) {
            ("finding", _) => Some(Self::Finding(FindingId::from_uuid(id))),
            ("test", _) => Some(Self::Test(TestId::from_uuid(id))),
            ("remediation_step", Some(finding)) => Some(Self::RemediationStep {
                finding: FindingId::from_uuid(finding),
                step: id,
            }),
            _ => None,
        }
    }
}

/// Why a ticket's key, URL or status is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketRefusal {
    #[error("is required (at most {max} characters, no control characters)")]
    Text { max: usize },
    #[error("must be an absolute http or https URL (at most {URL_MAX} characters)")]
    Url,
}

/// A short single-line text: trimmed, non-empty, bounded, without control characters.
///
/// # Errors
/// `Text` when empty, too long or carrying control characters.
pub fn single_line(text: &str, max: usize) -> Result<String, TicketRefusal> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > max || text.chars().any(char::is_control) {
        return Err(TicketRefusal::Text { max });
    }
    Ok(text.to_owned())
}

/// An issue's web address: absolute http(s), bounded, no spaces. Where it points is not
/// judged here: Aegis never calls a link, it only shows it.
///
/// # Errors
/// `Url` otherwise.
pub fn web_url(text: &str) -> Result<String, TicketRefusal> {
    let text = text.trim();
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or(TicketRefusal::Url)?;
    if rest.is_empty()
        || rest.starts_with('/')
        || text.len() > URL_MAX
        || text.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(TicketRefusal::Url);
    }
    Ok(text.to_owned())
}

/// A link from a subject to an issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketLink {
    pub id: TicketId,
    pub tenant_id: TenantId,
    pub subject: TicketSubject,
    pub system: TicketSystem,
    /// The tracker's key (`SEC-42`, `org/repo#12`).
    pub key: String,
    /// Where a person opens the issue.
    pub url: String,
    /// The tracker's own id of the issue (Jira's numeric id, which Tempo needs).
    pub external_id: Option<String>,
    /// The status's name in the tracker's workflow ("In Review").
    pub status: Option<String>,
    pub status_category: StatusCategory,
    /// When the status was last brought back from the tracker.
    pub last_synced_at: Option<DateTime<Utc>>,
    /// Why the last sync failed, until one succeeds.
    pub sync_error: Option<String>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
}

impl TicketLink {
    /// Whether the sync job still follows it: a Jira issue that is not done.
    #[must_use]
    pub fn is_followed(&self) -> bool {
        self.system == TicketSystem::Jira && self.status_category != StatusCategory::Done
    }

    /// The tracker's answer: the status's name and category, at `now`. Returns whether
    /// anything changed.
    pub fn record_status(
        &mut self,
        name: &str,
        category: StatusCategory,
        now: DateTime<Utc>,
    ) -> bool {
        let name: String = name.trim().chars().take(STATUS_MAX).collect();
        let changed = self.status.as_deref() != Some(name.as_str())
            || self.status_category != category
            || self.sync_error.is_some();
        self.status = Some(name);
        self.status_category = category;
        self.last_synced_at = Some(now);
        self.sync_error = None;
        changed
    }

    /// The sync failed: the status stays as it was, the reason is kept.
    pub fn record_sync_failure(&mut self, reason: &str, now: DateTime<Utc>) {
        self.sync_error = Some(reason.chars().take(500).collect());
        self.last_synced_at = Some(now);
    }
}

/// A Jira label: non-empty, bounded, without spaces (Jira splits labels on them).
///
/// # Errors
/// `Text` otherwise.
pub fn jira_label(text: &str) -> Result<String, TicketRefusal> {
    let label = single_line(text, LABEL_MAX)?;
    if label.contains(' ') {
        return Err(TicketRefusal::Text { max: LABEL_MAX });
    }
    Ok(label)
}

/// A Jira project key: an upper-case letter, then upper-case letters, digits or `_`.
#[must_use]
pub fn is_project_key(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && text.len() <= 255
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// A tenant's Jira (Cloud, REST v3) and optional Tempo configuration. The API tokens are
/// sealed with the server's credential cipher; only the adapter that calls Jira opens them.
#[derive(Clone, PartialEq, Eq)]
pub struct JiraConfig {
    pub tenant_id: TenantId,
    /// `https://example.atlassian.net`, without a trailing slash.
    pub base_url: String,
    /// The account the API token belongs to (Basic authentication is `email:token`).
    pub email: String,
    pub api_token_sealed: Vec<u8>,
    pub project_key: String,
    /// The issue type's name ("Bug", "Task").
    pub issue_type: String,
    pub labels: Vec<String>,
    /// The Aegis address Jira readers open links with (`https://aegis.example.com`), if set.
    pub aegis_url: Option<String>,
    /// Tempo's API token, sealed; worklogs are pushed only when it is set.
    pub tempo_token_sealed: Option<Vec<u8>>,
    /// `https://api.tempo.io` unless set (an on-premise proxy, or a test server).
    pub tempo_url: String,
    /// The Atlassian account the worklogs are recorded under.
    pub tempo_account_id: Option<String>,
    pub updated_by: UserId,
    pub updated_at: DateTime<Utc>,
}

/// Tempo Cloud's API.
pub const TEMPO_CLOUD_URL: &str = "https://api.tempo.io";

impl JiraConfig {
    /// Whether sealed worklogs go to Tempo.
    #[must_use]
    pub fn tempo_enabled(&self) -> bool {
        self.tempo_token_sealed.is_some() && self.tempo_account_id.is_some()
    }
}

// Written by hand so that the sealed tokens never reach a log, even as ciphertext.
impl std::fmt::Debug for JiraConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JiraConfig")
            .field("tenant_id", &self.tenant_id)
            .field("base_url", &self.base_url)
            .field("email", &self.email)
            .field("project_key", &self.project_key)
            .field("issue_type", &self.issue_type)
            .field("labels", &self.labels)
            .field("tempo", &self.tempo_enabled())
            .finish_non_exhaustive()
    }
}

/// A sealed worklog pushed to Tempo under an issue, so it is pushed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedWorklog {
    pub id: uuid::Uuid,
    pub ticket_id: TicketId,
    pub worklog_id: uuid::Uuid,
    /// Tempo's id of the worklog.
    pub tempo_id: String,
    pub pushed_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link() -> TicketLink {
        let nil = uuid::Uuid::nil();
        TicketLink {
            id: TicketId::from_uuid(nil),
            tenant_id: TenantId::from_uuid(nil),
            subject: TicketSubject::Finding(FindingId::from_uuid(nil)),
            system: TicketSystem::Jira,
            key: "SEC-1".to_owned(),
            url: "https://example.atlassian.net/browse/SEC-1".to_owned(),
            external_id: Some("10001".to_owned()),
            status: None,
            status_category: StatusCategory::Unknown,
            last_synced_at: None,
            sync_error: None,
            created_by: UserId::from_uuid(nil),
            created_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_jira_issue_is_followed_until_its_status_is_done() {
        let mut ticket = link();
        let now = DateTime::<Utc>::UNIX_EPOCH;
        assert!(ticket.is_followed());
        assert!(ticket.record_status("In Progress", StatusCategory::Indeterminate, now));
        assert!(!ticket.record_status("In Progress", StatusCategory::Indeterminate, now));
        assert!(ticket.is_followed());
        ticket.record_sync_failure("HTTP 503", now);
        assert_eq!(ticket.status.as_deref(), Some("In Progress"));
        assert!(ticket.record_status("Closed", StatusCategory::parse("done"), now));
        assert_eq!(ticket.sync_error, None);
        assert!(!ticket.is_followed());
        let mut other = link();
        other.system = TicketSystem::Other;
        assert!(!other.is_followed());
    }

    #[test]
    fn keys_urls_labels_and_project_keys_are_parsed() {
        assert_eq!(single_line(" SEC-42 ", KEY_MAX), Ok("SEC-42".to_owned()));
        assert!(single_line("", KEY_MAX).is_err());
        assert!(single_line("a\nb", KEY_MAX).is_err());
        assert!(web_url("https://tracker.example/issues/1").is_ok());
        for bad in [
            "javascript:alert(1)",
            "https://",
            "https:///x",
            "ftp://x",
            "http://a b",
        ] {
            assert_eq!(web_url(bad), Err(TicketRefusal::Url), "{bad}");
        }
        assert!(jira_label("aegis").is_ok());
        assert!(jira_label("two words").is_err());
        assert!(is_project_key("SEC"));
        assert!(is_project_key("A1_B"));
        assert!(!is_project_key("sec"));
        assert!(!is_project_key("1SEC"));
        assert!(!is_project_key(""));
        assert_eq!(StatusCategory::parse("undefined"), StatusCategory::Unknown);
    }

    #[test]
    fn subjects_round_trip_through_their_stored_form() {
        let finding = FindingId::from_uuid(uuid::Uuid::from_u128(1));
        let step = uuid::Uuid::from_u128(2);
        let subject = TicketSubject::RemediationStep { finding, step };
        assert_eq!(
            TicketSubject::restored(
                subject.kind(),
                subject.id(),
                subject.finding().map(|f| f.as_uuid())
            ),
            Some(subject)
        );
        assert_eq!(
            TicketSubject::restored("remediation_step", step, None),
            None
        );
        assert_eq!(TicketSubject::restored("campaign", step, None), None);
    }
}
