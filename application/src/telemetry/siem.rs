//! SIEM connectors: instead of uploaded telemetry, the tenant's SIEM is asked which of the
//! test's expected rules raised an alert inside the run's window. Elasticsearch / OpenSearch,
//! Splunk and Microsoft Sentinel are adapters behind the [`SiemAlerts`] port; the answer
//! proposes blue's result the way the offline evaluation does and is sealed the same way (an
//! evaluation document, `source` `siem:<kind>`), so blue confirms it through the same flow.
//!
//! The SIEM is called with no unit of work open (SQLite has one writer); the connection's
//! secret is sealed with the credential cipher and never leaves the service in a view.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use aegis_domain::permission::Action;
use aegis_domain::ports::RepositoryError;
use aegis_domain::siem::{
    ELASTIC_ALERTS_INDEX, ELASTIC_RULE_FIELD, SENTINEL_API_URL, SENTINEL_LOGIN_URL,
    SPLUNK_DEFAULT_SEARCH, SiemConnection, SiemConnectionId, SiemKind,
};
use aegis_domain::telemetry::{RuleSeen, RunWindow, propose};
use aegis_domain::test_case::{RuleVerdict, TestId};
use aegis_domain::ticket::single_line;
use aegis_domain::webhook::{AllowList, TargetRefusal};
use aegis_domain::workflow::{Refusal, TestState};

use super::{
    EvaluatedRule, EvaluationDocument, EvaluatorReport, FiredRule, SealedRule, TelemetryEvaluation,
    TelemetryService, sealed,
};
use crate::audit_trail::{self, Change};
use crate::context::{Actor, Forbidden, RequestContext};
use crate::data_sources::CredentialCipher;
use crate::error::{Classified, ErrorKind, FieldError, unexpected};

/// A rule the test expects to fire, as the SIEM may name it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExpectedRule {
    /// How blue's rule results name it: `sigma:<id>`, `elastic:<rule_id>`, or a detection
    /// asset's name.
    pub reference: String,
    /// The rule's own id (Sigma `id`, Elastic `rule_id`); empty for an asset without a rule.
    pub id: String,
    pub title: String,
}

/// The alerts the SIEM holds for one expected rule inside the window.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RuleAlerts {
    /// The expected rule's reference.
    pub reference: String,
    pub count: u64,
    pub first_at: Option<DateTime<Utc>>,
    pub last_at: Option<DateTime<Utc>>,
    /// A few of the alerts' ids, as the SIEM names them.
    pub alert_ids: Vec<String>,
    /// A few of the hosts they were raised on.
    pub hosts: Vec<String>,
}

/// What the SIEM answered, with the query that was sent (kept in the sealed document).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiemAnswer {
    pub query: String,
    pub found: Vec<RuleAlerts>,
}

/// Where and as whom a SIEM is called (its secret opened).
#[derive(Clone, PartialEq, Eq)]
pub struct SiemTarget {
    pub kind: SiemKind,
    pub base_url: String,
    /// Elastic / OpenSearch: the index searched.
    pub index: String,
    /// Elastic / OpenSearch: the field that carries the rule's id.
    pub rule_field: String,
    /// Splunk: the search template (`$rules$` replaced by the quoted names and ids).
    pub search: String,
    /// Sentinel: the workspace, the directory (tenant) and the token endpoint's host.
    pub workspace_id: String,
    pub directory_id: String,
    pub login_url: String,
    /// Basic authentication's user, or Sentinel's client id.
    pub username: Option<String>,
    pub secret: String,
    /// The tenant's allow-list of internal hosts (the webhooks' one).
    pub allow: AllowList,
}

// Written by hand so that the secret never reaches a log through `{:?}`.
impl std::fmt::Debug for SiemTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiemTarget")
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// Why a SIEM call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiemQueryError {
    /// The configured address is not allowed (SSRF rules, at connection time).
    #[error("refused: {0}")]
    Refused(#[from] TargetRefusal),
    /// No connection could be made.
    #[error("{system} could not be reached: {message}")]
    Unreachable {
        system: &'static str,
        message: String,
    },
    /// The SIEM answered with an error: its status and what it said.
    #[error("{system} answered HTTP {status}: {message}")]
    Rejected {
        system: &'static str,
        status: u16,
        message: String,
    },
    /// An answer that is not the documented shape (or is over the size limit).
    #[error("{system} answered something Aegis cannot read: {message}")]
    BadResponse {
        system: &'static str,
        message: String,
    },
    /// No answer in time (a request, or a Splunk search job that never finished).
    #[error("{system} did not answer in time: {message}")]
    Timeout {
        system: &'static str,
        message: String,
    },
}

/// The network side of SIEM connectors.
#[async_trait]
pub trait SiemAlerts: Send + Sync {
    /// Whether `url` may be called: http(s), and allowed by the SSRF rules.
    ///
    /// # Errors
    /// The `TargetRefusal` that says why not.
    async fn check_target(&self, url: &str, allow: &AllowList) -> Result<(), TargetRefusal>;

    /// A cheap query that proves the address and the credentials.
    ///
    /// # Errors
    /// `SiemQueryError`.
    async fn check(&self, target: &SiemTarget) -> Result<(), SiemQueryError>;

    /// The alerts of `rules` raised inside `window`, per rule (rules without alerts left
    /// out).
    ///
    /// # Errors
    /// `SiemQueryError`.
    async fn alerts(
        &self,
        target: &SiemTarget,
        rules: &[ExpectedRule],
        window: RunWindow,
    ) -> Result<SiemAnswer, SiemQueryError>;
}

/// The SIEM asked, as sealed in the evaluation document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SealedSiemQuery {
    pub connection_id: uuid::Uuid,
    pub connection_name: String,
    pub kind: String,
    pub base_url: String,
    /// The query as sent (the search body, SPL or KQL).
    pub query: String,
    pub expected: Vec<ExpectedRule>,
    pub found: Vec<RuleAlerts>,
}

/// A connection as it is shown: whether the secret is set, never the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiemConnectionSummary {
    pub id: SiemConnectionId,
    pub name: String,
    pub kind: SiemKind,
    pub base_url: String,
    pub index: Option<String>,
    pub rule_field: Option<String>,
    pub search: Option<String>,
    pub workspace_id: Option<String>,
    pub directory_id: Option<String>,
    pub login_url: Option<String>,
    pub username: Option<String>,
    pub secret_set: bool,
    pub updated_at: DateTime<Utc>,
}

impl SiemConnectionSummary {
    fn of(connection: &SiemConnection) -> Self {
        Self {
            id: connection.id,
            name: connection.name.clone(),
            kind: connection.kind,
            base_url: connection.base_url.clone(),
            index: connection.index.clone(),
            rule_field: connection.rule_field.clone(),
            search: connection.search.clone(),
            workspace_id: connection.workspace_id.clone(),
            directory_id: connection.directory_id.clone(),
            login_url: connection.login_url.clone(),
            username: connection.username.clone(),
            secret_set: !connection.secret_sealed.is_empty(),
            updated_at: connection.updated_at,
        }
    }
}

/// A connection as an admin writes it. On update, a secret left out keeps the stored one.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SiemConnectionChanges {
    pub name: String,
    /// `elastic`, `opensearch`, `splunk` or `sentinel`.
    pub kind: String,
    pub base_url: String,
    pub index: Option<String>,
    pub rule_field: Option<String>,
    pub search: Option<String>,
    pub workspace_id: Option<String>,
    pub directory_id: Option<String>,
    pub login_url: Option<String>,
    pub username: Option<String>,
    pub secret: Option<String>,
}

// Written by hand so that the secret never reaches a log.
impl std::fmt::Debug for SiemConnectionChanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiemConnectionChanges")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// What a SIEM use case did not find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiemItem {
    Test,
    Connection,
}

#[derive(Debug, thiserror::Error)]
pub enum SiemError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("invalid SIEM request")]
    Invalid(Vec<FieldError>),
    #[error("{0:?} not found")]
    NotFound(SiemItem),
    #[error("{0}")]
    Refused(Refusal),
    /// The SIEM refused or could not be reached; the message says what it answered.
    #[error("{0}")]
    Siem(SiemQueryError),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for SiemError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl From<super::TelemetryError> for SiemError {
    fn from(error: super::TelemetryError) -> Self {
        use super::{TelemetryError as T, TelemetryItem};
        match error {
            T::Forbidden(f) => Self::Forbidden(f),
            T::Invalid(fields) => Self::Invalid(fields),
            T::NotFound(TelemetryItem::Test) => Self::NotFound(SiemItem::Test),
            T::NotFound(TelemetryItem::Evidence) => {
                Self::Unexpected("evidence not found".to_owned())
            }
            T::Refused(refusal) => Self::Refused(refusal),
            T::Store(message) | T::Unexpected(message) => Self::Unexpected(message),
        }
    }
}

impl Classified for SiemError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) | Self::Refused(Refusal::NotPermitted { .. }) => {
                ErrorKind::Forbidden
            }
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::Refused(_) => ErrorKind::Conflict,
            Self::Siem(_) => ErrorKind::Upstream,
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) | Self::Refused(Refusal::NotPermitted { .. }) => "FORBIDDEN",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::NotFound(SiemItem::Test) => "TEST_NOT_FOUND",
            Self::NotFound(SiemItem::Connection) => "SIEM_CONNECTION_NOT_FOUND",
            Self::Refused(_) => "EVIDENCE_LOCKED",
            Self::Siem(SiemQueryError::Rejected { .. }) => "SIEM_REJECTED",
            Self::Siem(SiemQueryError::BadResponse { .. }) => "SIEM_BAD_RESPONSE",
            Self::Siem(SiemQueryError::Timeout { .. }) => "SIEM_TIMEOUT",
            Self::Siem(_) => "SIEM_UNREACHABLE",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

/// The ports the SIEM service uses beyond the telemetry service's.
pub struct SiemPorts {
    /// Seals the evaluation (the same storage as the offline evaluation's).
    pub telemetry: TelemetryService,
    pub siem: Arc<dyn SiemAlerts>,
    /// Seals the connections' secrets (the data-source credential cipher).
    pub cipher: Arc<dyn CredentialCipher>,
}

#[derive(Clone)]
pub struct SiemService {
    telemetry: TelemetryService,
    siem: Arc<dyn SiemAlerts>,
    cipher: Arc<dyn CredentialCipher>,
}

const NAME_MAX: usize = 200;
const SECRET_MAX: usize = 8192;
const FIELD_MAX: usize = 1024;
const SEARCH_MAX: usize = 8192;

/// An address without its trailing slash, so paths are appended to it.
fn base(url: &str) -> String {
    url.trim().trim_end_matches('/').to_owned()
}

/// An optional single-line setting: absent or blank is `None`.
fn optional(
    fields: &mut Vec<FieldError>,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Option<String> {
    match value.map(str::trim) {
        None | Some("") => None,
        Some(text) => match single_line(text, max) {
            Ok(text) => Some(text),
            Err(e) => {
                fields.push(FieldError::new(field, e.to_string()));
                None
            }
        },
    }
}

impl SiemService {
    #[must_use]
    pub fn new(ports: SiemPorts) -> Self {
        Self {
            telemetry: ports.telemetry,
            siem: ports.siem,
            cipher: ports.cipher,
        }
    }

    /// The tenant's SIEM connections, without their secrets.
    ///
    /// # Errors
    /// `Forbidden` unless an admin.
    pub async fn connections(
        &self,
        actor: &Actor,
    ) -> Result<Vec<SiemConnectionSummary>, SiemError> {
        actor.authorize(Action::ManageSystem)?;
        Ok(self
            .telemetry
            .database
            .siem_connections(actor.tenant_id)
            .await?
            .iter()
            .map(SiemConnectionSummary::of)
            .collect())
    }

    async fn stored(
        &self,
        actor: &Actor,
        id: SiemConnectionId,
    ) -> Result<SiemConnection, SiemError> {
        self.telemetry
            .database
            .find_siem_connection(actor.tenant_id, id)
            .await?
            .ok_or(SiemError::NotFound(SiemItem::Connection))
    }

    /// One connection, without its secret.
    ///
    /// # Errors
    /// `Forbidden` unless an admin; `NotFound`.
    pub async fn connection(
        &self,
        actor: &Actor,
        id: SiemConnectionId,
    ) -> Result<SiemConnectionSummary, SiemError> {
        actor.authorize(Action::ManageSystem)?;
        Ok(SiemConnectionSummary::of(&self.stored(actor, id).await?))
    }

    /// Creates a connection (`id` `None`) or replaces one; the addresses must be allowed by
    /// the SSRF rules (the webhooks' allow-list names the internal ones an admin permits).
    ///
    /// # Errors
    /// `Forbidden` unless an admin; `Invalid` naming each field at fault; `NotFound`.
    pub async fn save(
        &self,
        actor: &Actor,
        id: Option<SiemConnectionId>,
        changes: SiemConnectionChanges,
        context: &RequestContext,
    ) -> Result<SiemConnectionSummary, SiemError> {
        actor.authorize(Action::ManageSystem)?;
        let tenant = actor.tenant_id;
        let database = &self.telemetry.database;
        let stored = match id {
            Some(id) => Some(self.stored(actor, id).await?),
            None => None,
        };
        let allow = database.webhook_allow_list(tenant).await?;
        let mut fields = Vec::new();
        let name = match single_line(&changes.name, NAME_MAX) {
            Ok(name) => Some(name),
            Err(e) => {
                fields.push(FieldError::new("name", e.to_string()));
                None
            }
        };
        let kind = SiemKind::parse(changes.kind.trim());
        if kind.is_none() {
            fields.push(FieldError::new(
                "kind",
                "must be one of elastic, opensearch, splunk, sentinel",
            ));
        }
        let mut index = optional(&mut fields, "index", changes.index.as_deref(), FIELD_MAX);
        let mut rule_field = optional(
            &mut fields,
            "rule_field",
            changes.rule_field.as_deref(),
            255,
        );
        let mut search = match changes.search.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) if text.len() <= SEARCH_MAX && !text.contains('\0') => Some(text.to_owned()),
            Some(_) => {
                fields.push(FieldError::new(
                    "search",
                    format!("must be at most {SEARCH_MAX} bytes"),
                ));
                None
            }
        };
        let mut workspace_id = optional(
            &mut fields,
            "workspace_id",
            changes.workspace_id.as_deref(),
            128,
        );
        let mut directory_id = optional(
            &mut fields,
            "directory_id",
            changes.directory_id.as_deref(),
            128,
        );
        let mut login_url = changes
            .login_url
            .as_deref()
            .map(base)
            .filter(|u| !u.is_empty());
        let username = optional(&mut fields, "username", changes.username.as_deref(), 320);
        let mut base_url = base(&changes.base_url);
        match kind {
            Some(SiemKind::Elastic) => {
                index.get_or_insert_with(|| ELASTIC_ALERTS_INDEX.to_owned());
                rule_field.get_or_insert_with(|| ELASTIC_RULE_FIELD.to_owned());
            }
            Some(SiemKind::OpenSearch) => {
                if index.is_none() {
                    fields.push(FieldError::new(
                        "index",
                        "is required for OpenSearch: the index (or pattern) its alerts are in",
                    ));
                }
                rule_field.get_or_insert_with(|| ELASTIC_RULE_FIELD.to_owned());
            }
            Some(SiemKind::Splunk) => {
                search.get_or_insert_with(|| SPLUNK_DEFAULT_SEARCH.to_owned());
            }
            Some(SiemKind::Sentinel) => {
                if base_url.is_empty() {
                    SENTINEL_API_URL.clone_into(&mut base_url);
                }
                login_url.get_or_insert_with(|| SENTINEL_LOGIN_URL.to_owned());
                for (field, value) in [
                    ("workspace_id", &workspace_id),
                    ("directory_id", &directory_id),
                    ("username", &username),
                ] {
                    if value.is_none() {
                        fields.push(FieldError::new(
                            field,
                            "is required for Sentinel (the workspace, the Entra tenant and \
                             the application's client id)",
                        ));
                    }
                }
            }
            None => {}
        }
        // Settings of another kind are not kept: what is shown is what is used.
        if !matches!(kind, Some(SiemKind::Elastic | SiemKind::OpenSearch)) {
            index = None;
            rule_field = None;
        }
        if kind != Some(SiemKind::Splunk) {
            search = None;
        }
        if kind != Some(SiemKind::Sentinel) {
            workspace_id = None;
            directory_id = None;
            login_url = None;
        }
        let mut urls = vec![("base_url", base_url.clone())];
        if let Some(login) = &login_url {
            urls.push(("login_url", login.clone()));
        }
        for (field, url) in urls {
            match aegis_domain::ticket::web_url(&url) {
                Ok(url) => {
                    if let Err(refusal) = self.siem.check_target(&url, &allow).await {
                        fields.push(FieldError::new(field, refusal.to_string()));
                    }
                }
                Err(e) => fields.push(FieldError::new(field, e.to_string())),
            }
        }
        let secret_sealed = match changes.secret.as_deref().map(str::trim) {
            Some(secret) if !secret.is_empty() && secret.len() <= SECRET_MAX => {
                Some(self.cipher.encrypt(secret))
            }
            Some(_) => {
                fields.push(FieldError::new(
                    "secret",
                    format!("must be 1 to {SECRET_MAX} characters"),
                ));
                None
            }
            None => match &stored {
                Some(stored) => Some(stored.secret_sealed.clone()),
                None => {
                    fields.push(FieldError::new(
                        "secret",
                        "is required: the API key, password, token or client secret",
                    ));
                    None
                }
            },
        };
        let (Some(name), Some(kind), Some(secret_sealed), true) =
            (name, kind, secret_sealed, fields.is_empty())
        else {
            fields.sort_by(|a, b| a.field.cmp(&b.field));
            return Err(SiemError::Invalid(fields));
        };
        let now = self.telemetry.clock.now();
        let connection = SiemConnection {
            id: stored.as_ref().map_or_else(
                || SiemConnectionId::from_uuid(self.telemetry.ids.new_id()),
                |s| s.id,
            ),
            tenant_id: tenant,
            name,
            kind,
            base_url,
            index,
            rule_field,
            search,
            workspace_id,
            directory_id,
            login_url,
            username,
            secret_sealed,
            created_by: stored.as_ref().map_or(actor.user_id, |s| s.created_by),
            created_at: stored.as_ref().map_or(now, |s| s.created_at),
            updated_by: actor.user_id,
            updated_at: now,
        };
        let summary = SiemConnectionSummary::of(&connection);
        let uow = database.begin().await?;
        uow.save_siem_connection(tenant, &connection).await?;
        let change = Change {
            tenant,
            actor: Some(actor.user_id),
            action: if stored.is_some() {
                "siem.connection_updated"
            } else {
                "siem.connection_created"
            },
            entity_type: "siem_connection",
            entity_id: Some(connection.id.to_string()),
            details: serde_json::json!({
                "name": summary.name,
                "kind": kind.as_str(),
                "base_url": summary.base_url,
                "secret_changed": changes.secret.is_some(),
            }),
        };
        audit_trail::record(
            self.telemetry.clock.as_ref(),
            self.telemetry.ids.as_ref(),
            uow.as_ref(),
            context,
            change,
        )
        .await?;
        uow.commit().await?;
        Ok(summary)
    }

    /// Removes a connection.
    ///
    /// # Errors
    /// `Forbidden` unless an admin; `NotFound`.
    pub async fn delete(
        &self,
        actor: &Actor,
        id: SiemConnectionId,
        context: &RequestContext,
    ) -> Result<(), SiemError> {
        actor.authorize(Action::ManageSystem)?;
        let uow = self.telemetry.database.begin().await?;
        let Some(stored) = uow.find_siem_connection(actor.tenant_id, id).await? else {
            return Err(SiemError::NotFound(SiemItem::Connection));
        };
        uow.delete_siem_connection(actor.tenant_id, id).await?;
        let change = Change {
            tenant: actor.tenant_id,
            actor: Some(actor.user_id),
            action: "siem.connection_deleted",
            entity_type: "siem_connection",
            entity_id: Some(id.to_string()),
            details: serde_json::json!({"name": stored.name, "kind": stored.kind.as_str()}),
        };
        audit_trail::record(
            self.telemetry.clock.as_ref(),
            self.telemetry.ids.as_ref(),
            uow.as_ref(),
            context,
            change,
        )
        .await?;
        uow.commit().await?;
        Ok(())
    }

    /// The connection with its secret opened, and the tenant's allow-list.
    async fn target(
        &self,
        actor: &Actor,
        id: SiemConnectionId,
    ) -> Result<(SiemConnection, SiemTarget), SiemError> {
        let connection = self.stored(actor, id).await?;
        let allow = self
            .telemetry
            .database
            .webhook_allow_list(actor.tenant_id)
            .await?;
        let secret = self
            .cipher
            .decrypt(&connection.secret_sealed)
            .map_err(|_| {
                SiemError::Invalid(vec![FieldError::new(
                    "secret",
                    "the stored secret cannot be read with this server's key; set it again",
                )])
            })?;
        let target = SiemTarget {
            kind: connection.kind,
            base_url: connection.base_url.clone(),
            index: connection.index.clone().unwrap_or_default(),
            rule_field: connection
                .rule_field
                .clone()
                .unwrap_or_else(|| ELASTIC_RULE_FIELD.to_owned()),
            search: connection
                .search
                .clone()
                .unwrap_or_else(|| SPLUNK_DEFAULT_SEARCH.to_owned()),
            workspace_id: connection.workspace_id.clone().unwrap_or_default(),
            directory_id: connection.directory_id.clone().unwrap_or_default(),
            login_url: connection
                .login_url
                .clone()
                .unwrap_or_else(|| SENTINEL_LOGIN_URL.to_owned()),
            username: connection.username.clone(),
            secret,
            allow,
        };
        Ok((connection, target))
    }

    /// Runs a cheap query against the SIEM: the address, the SSRF rules and the credentials.
    ///
    /// # Errors
    /// `Forbidden` unless an admin; `NotFound`; `Siem` with what the SIEM answered.
    pub async fn check(&self, actor: &Actor, id: SiemConnectionId) -> Result<(), SiemError> {
        actor.authorize(Action::ManageSystem)?;
        let (_, target) = self.target(actor, id).await?;
        self.siem.check(&target).await.map_err(SiemError::Siem)
    }

    /// The rules the test expects: the catalog's rules of its technique (every source) and
    /// the tenant's live detection assets of it (by their linked rule, else by name).
    async fn expected(
        &self,
        actor: &Actor,
        technique: &str,
    ) -> Result<Vec<ExpectedRule>, SiemError> {
        let mut expected: Vec<ExpectedRule> = self
            .telemetry
            .rules
            .rules_for_technique(technique)
            .await?
            .into_iter()
            .filter(|r| !r.deprecated)
            .map(|r| ExpectedRule {
                reference: format!("{}:{}", r.source.as_str(), r.source_id),
                id: r.source_id,
                title: r.title,
            })
            .collect();
        for asset in self.telemetry.database.live_assets(actor.tenant_id).await? {
            if !asset.techniques.iter().any(|t| t.as_str() == technique) {
                continue;
            }
            let rule = match &asset.rule {
                Some(link) => ExpectedRule {
                    reference: format!("{}:{}", link.source.as_str(), link.source_id),
                    id: link.source_id.clone(),
                    title: link.title.clone(),
                },
                None => ExpectedRule {
                    reference: asset.name.clone(),
                    id: String::new(),
                    title: asset.name.clone(),
                },
            };
            if !expected.iter().any(|e| e.reference == rule.reference) {
                expected.push(rule);
            }
        }
        Ok(expected)
    }

    /// Asks the SIEM for the alerts of the test's expected rules inside the run's window,
    /// proposes blue's result (detected, at the first alert, when an expected rule's alert is
    /// in the window; otherwise not detected: a SIEM cannot say "logged") and seals it as
    /// the offline evaluation is sealed.
    ///
    /// # Errors
    /// `Forbidden` but for blue, leads and admins; `Refused` outside blue's phase (admins:
    /// until validation); `Invalid` when red recorded no execution time or the technique has
    /// no rule to look for; `NotFound`; `Siem` with what the SIEM answered.
    pub async fn evaluate(
        &self,
        actor: &Actor,
        test_id: TestId,
        connection_id: SiemConnectionId,
        context: &RequestContext,
    ) -> Result<TelemetryEvaluation, SiemError> {
        actor.authorize(Action::ReadOperations)?;
        actor.authorize(Action::EvaluateBlue)?;
        let test = self.telemetry.test(actor, test_id).await?;
        let state = test.workflow().state();
        let open = state == TestState::BlueEvaluating
            || (actor.role == aegis_domain::Role::Admin && state != TestState::Validated);
        if !open {
            return Err(SiemError::Refused(Refusal::NotAllowedInState {
                state,
                action: "evaluate telemetry",
            }));
        }
        let run = self.telemetry.run_of(&test);
        let Some(window) = run.window else {
            return Err(SiemError::Invalid(vec![FieldError::new(
                "executed_at",
                "red has not recorded when it executed: the SIEM is searched around that time",
            )]));
        };
        let (connection, target) = self.target(actor, connection_id).await?;
        let expected = self.expected(actor, test.technique_id.as_str()).await?;
        if expected.is_empty() {
            return Err(SiemError::Invalid(vec![FieldError::new(
                "technique_id",
                "no catalog rule or detection asset of the test's technique to look for",
            )]));
        }
        let answer = self
            .siem
            .alerts(&target, &expected, window)
            .await
            .map_err(SiemError::Siem)?;
        let seen: Vec<RuleSeen> = expected
            .iter()
            .map(|rule| {
                let found = answer
                    .found
                    .iter()
                    .find(|f| f.reference == rule.reference && f.count > 0);
                RuleSeen {
                    rule: rule.reference.clone(),
                    verdict: if found.is_some() {
                        RuleVerdict::Triggered
                    } else {
                        RuleVerdict::NotTriggered
                    },
                    first_match_at: found.and_then(|f| f.first_at),
                }
            })
            .collect();
        // No count of the run's events: without a rule's alert the proposal is not detected.
        let proposal = propose(0, &seen, run.executed_at);
        let technique = test.technique_id.to_string();
        let report = EvaluatorReport {
            events_read: 0,
            events_in_run: 0,
            events_with_marker: 0,
            evaluated: expected
                .iter()
                .map(|e| EvaluatedRule {
                    id: e.reference.clone(),
                    techniques: vec![technique.clone()],
                })
                .collect(),
            fired: answer
                .found
                .iter()
                .filter(|f| f.count > 0)
                .map(|f| FiredRule {
                    id: f.reference.clone(),
                    title: expected
                        .iter()
                        .find(|e| e.reference == f.reference)
                        .map(|e| e.title.clone())
                        .unwrap_or_default(),
                    techniques: vec![technique.clone()],
                    level: String::new(),
                    matching_events: f.count,
                    first_match_at: f.first_at,
                    last_match_at: f.last_at,
                    samples: serde_json::json!({"alert_ids": f.alert_ids, "hosts": f.hosts}),
                })
                .collect(),
            unsupported: Vec::new(),
        };
        let source = format!("siem:{}", connection.kind.as_str());
        let document = EvaluationDocument {
            test_id: test.id.as_uuid(),
            technique_id: technique,
            scope: "technique".to_owned(),
            marker: run.marker,
            executed_at: run.executed_at,
            window_from: Some(window.from),
            window_to: Some(window.to),
            evaluated_at: self.telemetry.clock.now(),
            evaluated_by: actor.user_id.as_uuid(),
            inputs: Vec::new(),
            rules: expected
                .iter()
                .map(|e| SealedRule {
                    id: e.reference.clone(),
                    version: source.clone(),
                })
                .collect(),
            result: report,
            proposal: sealed(&proposal),
            source,
            siem: Some(SealedSiemQuery {
                connection_id: connection.id.as_uuid(),
                connection_name: connection.name.clone(),
                kind: connection.kind.as_str().to_owned(),
                base_url: connection.base_url.clone(),
                query: answer.query,
                expected,
                found: answer.found,
            }),
        };
        let evidence = self
            .telemetry
            .seal(actor, &test, &document, context)
            .await?;
        Ok(TelemetryEvaluation { evidence, document })
    }
}
