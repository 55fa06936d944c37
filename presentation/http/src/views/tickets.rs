//! The wire types of [`crate::routes::tickets`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::tickets::{JiraConfigChanges, JiraConfigSummary, SubjectQuery};
use aegis_domain::ticket::{TicketLink, TicketSubject};

/// A link from a finding, a test or a remediation step to an issue in a tracker.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketView {
    pub id: Uuid,
    #[schema(value_type = crate::views::enums::TicketSubjectKind)]
    pub subject_kind: String,
    /// The finding's, the test's or the step's id.
    pub subject_id: Uuid,
    /// The finding, for a finding or one of its steps.
    pub finding_id: Option<Uuid>,
    #[schema(value_type = crate::views::enums::TicketSystem)]
    pub system: String,
    /// The tracker's key (`SEC-42`).
    pub key: String,
    /// Where to open the issue.
    pub url: String,
    /// The tracker's own id (Jira's numeric issue id).
    pub external_id: Option<String>,
    /// The status's name in the tracker's workflow.
    pub status: Option<String>,
    #[schema(value_type = crate::views::enums::TicketStatusCategory)]
    pub status_category: String,
    /// When the status was last brought back.
    pub last_synced_at: Option<DateTime<Utc>>,
    /// Why the last sync failed, until one succeeds.
    pub sync_error: Option<String>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
}

impl From<TicketLink> for TicketView {
    fn from(ticket: TicketLink) -> Self {
        Self {
            id: ticket.id.as_uuid(),
            subject_kind: ticket.subject.kind().to_owned(),
            subject_id: ticket.subject.id(),
            finding_id: match ticket.subject {
                TicketSubject::Test(_) => None,
                other => other.finding().map(|f| f.as_uuid()),
            },
            system: ticket.system.as_str().to_owned(),
            key: ticket.key,
            url: ticket.url,
            external_id: ticket.external_id,
            status: ticket.status,
            status_category: ticket.status_category.as_str().to_owned(),
            last_synced_at: ticket.last_synced_at,
            sync_error: ticket.sync_error,
            created_by: ticket.created_by.as_uuid(),
            created_at: ticket.created_at,
        }
    }
}

/// Whose tickets: a finding, a test, or a finding's step (`finding_id` and `step_id`).
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TicketSubjectQuery {
    pub finding_id: Option<Uuid>,
    pub test_id: Option<Uuid>,
    /// A remediation step, named with its `finding_id`.
    pub step_id: Option<Uuid>,
}

impl From<TicketSubjectQuery> for SubjectQuery {
    fn from(query: TicketSubjectQuery) -> Self {
        Self {
            finding_id: query.finding_id,
            test_id: query.test_id,
            step_id: query.step_id,
        }
    }
}

/// A link made by hand to an issue of any tracker.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkTicketRequest {
    pub finding_id: Option<Uuid>,
    pub test_id: Option<Uuid>,
    /// A remediation step, named with its `finding_id`.
    pub step_id: Option<Uuid>,
    #[schema(value_type = crate::views::enums::TicketSystem)]
    pub system: String,
    #[schema(min_length = 1, max_length = 100)]
    pub key: String,
    /// An absolute http or https URL.
    #[schema(min_length = 1, max_length = 2048)]
    pub url: String,
    /// The status as the tracker shows it now.
    #[schema(max_length = 100)]
    pub status: Option<String>,
}

/// The tickets of one subject.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketListView {
    pub items: Vec<TicketView>,
    /// Whether Jira is configured, so a client can offer "Create Jira issue".
    pub jira_configured: bool,
}

/// The Jira configuration as it is shown: never its tokens, only whether they are set.
#[derive(Debug, Serialize, ToSchema)]
pub struct JiraConfigView {
    pub configured: bool,
    pub base_url: Option<String>,
    pub email: Option<String>,
    pub project_key: Option<String>,
    pub issue_type: Option<String>,
    pub labels: Vec<String>,
    /// The Aegis address used in links inside issues.
    pub aegis_url: Option<String>,
    pub api_token_set: bool,
    /// Whether sealed worklogs are pushed to Tempo.
    pub tempo_enabled: bool,
    pub tempo_token_set: bool,
    pub tempo_url: Option<String>,
    pub tempo_account_id: Option<String>,
    pub updated_by: Option<Uuid>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<Option<JiraConfigSummary>> for JiraConfigView {
    fn from(config: Option<JiraConfigSummary>) -> Self {
        match config {
            None => Self {
                configured: false,
                base_url: None,
                email: None,
                project_key: None,
                issue_type: None,
                labels: Vec::new(),
                aegis_url: None,
                api_token_set: false,
                tempo_enabled: false,
                tempo_token_set: false,
                tempo_url: None,
                tempo_account_id: None,
                updated_by: None,
                updated_at: None,
            },
            Some(c) => Self {
                configured: true,
                base_url: Some(c.base_url),
                email: Some(c.email),
                project_key: Some(c.project_key),
                issue_type: Some(c.issue_type),
                labels: c.labels,
                aegis_url: c.aegis_url,
                api_token_set: c.api_token_set,
                tempo_enabled: c.tempo_enabled,
                tempo_token_set: c.tempo_token_set,
                tempo_url: Some(c.tempo_url),
                tempo_account_id: c.tempo_account_id,
                updated_by: Some(c.updated_by),
                updated_at: Some(c.updated_at),
            },
        }
    }
}

/// The Jira configuration. A token or an optional field left out keeps the stored value; an
/// empty one clears it (an empty `tempo_token` turns Tempo off).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JiraConfigRequest {
    /// `https://your-site.atlassian.net`.
    #[schema(min_length = 1, max_length = 2048)]
    pub base_url: String,
    /// The account the API token belongs to.
    #[schema(min_length = 1, max_length = 320)]
    pub email: String,
    /// Required the first time; write-only.
    #[schema(max_length = 4096, write_only)]
    pub api_token: Option<String>,
    #[schema(min_length = 1, max_length = 255)]
    pub project_key: String,
    /// `Task` when absent.
    #[schema(max_length = 255)]
    pub issue_type: Option<String>,
    #[serde(default)]
    #[schema(max_items = 20)]
    pub labels: Vec<String>,
    #[schema(max_length = 2048)]
    pub aegis_url: Option<String>,
    /// Write-only; empty turns Tempo off.
    #[schema(max_length = 4096, write_only)]
    pub tempo_token: Option<String>,
    /// `https://api.tempo.io` when absent.
    #[schema(max_length = 2048)]
    pub tempo_url: Option<String>,
    /// The Atlassian account worklogs are recorded under (required with a Tempo token).
    #[schema(max_length = 128)]
    pub tempo_account_id: Option<String>,
}

// Written by hand so that the tokens never reach a log.
impl std::fmt::Debug for JiraConfigRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JiraConfigRequest")
            .field("base_url", &self.base_url)
            .field("project_key", &self.project_key)
            .finish_non_exhaustive()
    }
}

impl From<JiraConfigRequest> for JiraConfigChanges {
    fn from(body: JiraConfigRequest) -> Self {
        Self {
            base_url: body.base_url,
            email: body.email,
            api_token: body.api_token,
            project_key: body.project_key,
            issue_type: body.issue_type,
            labels: body.labels,
            aegis_url: body.aegis_url,
            tempo_token: body.tempo_token,
            tempo_url: body.tempo_url,
            tempo_account_id: body.tempo_account_id,
        }
    }
}
