//! The wire types of [`crate::routes::siem`]: SIEM connections (never their secrets), the
//! request to evaluate a test against one, and what a SIEM evaluation sealed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use aegis_application::telemetry::siem::{
    ExpectedRule, RuleAlerts, SealedSiemQuery, SiemConnectionChanges, SiemConnectionSummary,
};

/// A SIEM connection as shown: whether its secret is set, never the secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct SiemConnectionView {
    pub id: Uuid,
    pub name: String,
    /// `elastic`, `opensearch`, `splunk` or `sentinel`.
    pub kind: String,
    pub base_url: String,
    /// Elastic / OpenSearch: the alerts index searched.
    pub index: Option<String>,
    /// Elastic / OpenSearch: the field that carries the rule's id.
    pub rule_field: Option<String>,
    /// Splunk: the search template.
    pub search: Option<String>,
    /// Sentinel: the Log Analytics workspace.
    pub workspace_id: Option<String>,
    /// Sentinel: the Microsoft Entra tenant.
    pub directory_id: Option<String>,
    /// Sentinel: the token endpoint's host.
    pub login_url: Option<String>,
    /// Basic authentication's user, or Sentinel's client id.
    pub username: Option<String>,
    pub secret_set: bool,
    pub updated_at: DateTime<Utc>,
}

impl From<SiemConnectionSummary> for SiemConnectionView {
    fn from(c: SiemConnectionSummary) -> Self {
        Self {
            id: c.id.as_uuid(),
            name: c.name,
            kind: c.kind.as_str().to_owned(),
            base_url: c.base_url,
            index: c.index,
            rule_field: c.rule_field,
            search: c.search,
            workspace_id: c.workspace_id,
            directory_id: c.directory_id,
            login_url: c.login_url,
            username: c.username,
            secret_set: c.secret_set,
            updated_at: c.updated_at,
        }
    }
}

/// The tenant's SIEM connections, by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct SiemConnectionListView {
    pub items: Vec<SiemConnectionView>,
}

/// A SIEM connection as an admin writes it. On update, a `secret` left out keeps the stored
/// one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiemConnectionRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// `elastic`, `opensearch`, `splunk` or `sentinel`.
    pub kind: String,
    /// The API's address (Elasticsearch, OpenSearch, Splunk's management port `:8089`);
    /// Sentinel: `https://api.loganalytics.io` when empty.
    #[serde(default)]
    #[schema(max_length = 2048)]
    pub base_url: String,
    /// Elastic: `.alerts-security.alerts-default` when absent; OpenSearch: required.
    #[schema(max_length = 1024)]
    pub index: Option<String>,
    /// `kibana.alert.rule.rule_id` when absent.
    #[schema(max_length = 255)]
    pub rule_field: Option<String>,
    /// Splunk: the search, `$rules$` replaced by the quoted rule names and ids.
    #[schema(max_length = 8192)]
    pub search: Option<String>,
    /// Sentinel (required).
    #[schema(max_length = 128)]
    pub workspace_id: Option<String>,
    /// Sentinel (required): the Microsoft Entra tenant id.
    #[schema(max_length = 128)]
    pub directory_id: Option<String>,
    /// Sentinel: `https://login.microsoftonline.com` when absent.
    #[schema(max_length = 2048)]
    pub login_url: Option<String>,
    /// Elastic / OpenSearch basic authentication's user (without it, `secret` is an Elastic
    /// API key); Sentinel's client id (required).
    #[schema(max_length = 320)]
    pub username: Option<String>,
    /// The API key, password, Splunk token or Sentinel client secret. Required the first
    /// time; write-only.
    #[schema(max_length = 8192, write_only)]
    pub secret: Option<String>,
}

// Written by hand so that the secret never reaches a log.
impl std::fmt::Debug for SiemConnectionRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiemConnectionRequest")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl From<SiemConnectionRequest> for SiemConnectionChanges {
    fn from(body: SiemConnectionRequest) -> Self {
        Self {
            name: body.name,
            kind: body.kind,
            base_url: body.base_url,
            index: body.index,
            rule_field: body.rule_field,
            search: body.search,
            workspace_id: body.workspace_id,
            directory_id: body.directory_id,
            login_url: body.login_url,
            username: body.username,
            secret: body.secret,
        }
    }
}

/// Which connection to ask.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateSiemRequest {
    pub connection_id: Uuid,
}

/// A rule the test expected, as the SIEM was asked for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExpectedRuleView {
    /// How blue's rule results name it (`sigma:<id>`, `elastic:<rule_id>`, an asset's name).
    pub reference: String,
    pub id: String,
    pub title: String,
}

/// The alerts of one expected rule in the window.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleAlertsView {
    pub reference: String,
    pub count: u64,
    pub first_at: Option<DateTime<Utc>>,
    pub last_at: Option<DateTime<Utc>>,
    pub alert_ids: Vec<String>,
    pub hosts: Vec<String>,
}

/// The SIEM asked, the query sent and what it found.
#[derive(Debug, Serialize, ToSchema)]
pub struct SiemQueryView {
    pub connection_id: Uuid,
    pub connection_name: String,
    pub kind: String,
    pub base_url: String,
    /// The search body (Elasticsearch), SPL (Splunk) or KQL (Sentinel) as sent.
    pub query: String,
    pub expected: Vec<ExpectedRuleView>,
    pub found: Vec<RuleAlertsView>,
}

impl From<ExpectedRule> for ExpectedRuleView {
    fn from(r: ExpectedRule) -> Self {
        Self {
            reference: r.reference,
            id: r.id,
            title: r.title,
        }
    }
}

impl From<RuleAlerts> for RuleAlertsView {
    fn from(a: RuleAlerts) -> Self {
        Self {
            reference: a.reference,
            count: a.count,
            first_at: a.first_at,
            last_at: a.last_at,
            alert_ids: a.alert_ids,
            hosts: a.hosts,
        }
    }
}

impl From<SealedSiemQuery> for SiemQueryView {
    fn from(q: SealedSiemQuery) -> Self {
        Self {
            connection_id: q.connection_id,
            connection_name: q.connection_name,
            kind: q.kind,
            base_url: q.base_url,
            query: q.query,
            expected: q.expected.into_iter().map(Into::into).collect(),
            found: q.found.into_iter().map(Into::into).collect(),
        }
    }
}
