//! The tenant's Jira and Tempo configuration (admins): shown without its tokens, saved with
//! them sealed, its addresses checked against the SSRF rules before they are kept.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use aegis_domain::permission::Action;
use aegis_domain::tenant::TenantId;
use aegis_domain::ticket::{
    JiraConfig, LABELS_MAX, TEMPO_CLOUD_URL, is_project_key, jira_label, single_line,
};

use super::{JiraTarget, TempoTarget, TicketError, TicketService, invalid};
use crate::context::{Actor, RequestContext};
use crate::error::FieldError;

/// The configuration as it is shown: whether each token is set, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JiraConfigSummary {
    pub base_url: String,
    pub email: String,
    pub project_key: String,
    pub issue_type: String,
    pub labels: Vec<String>,
    pub aegis_url: Option<String>,
    pub api_token_set: bool,
    pub tempo_enabled: bool,
    pub tempo_token_set: bool,
    pub tempo_url: String,
    pub tempo_account_id: Option<String>,
    pub updated_by: Uuid,
    pub updated_at: DateTime<Utc>,
}

impl JiraConfigSummary {
    fn of(config: &JiraConfig) -> Self {
        Self {
            base_url: config.base_url.clone(),
            email: config.email.clone(),
            project_key: config.project_key.clone(),
            issue_type: config.issue_type.clone(),
            labels: config.labels.clone(),
            aegis_url: config.aegis_url.clone(),
            api_token_set: !config.api_token_sealed.is_empty(),
            tempo_enabled: config.tempo_enabled(),
            tempo_token_set: config.tempo_token_sealed.is_some(),
            tempo_url: config.tempo_url.clone(),
            tempo_account_id: config.tempo_account_id.clone(),
            updated_by: config.updated_by.as_uuid(),
            updated_at: config.updated_at,
        }
    }
}

/// The configuration as an admin saves it. A token or an optional field left out keeps the
/// stored value; an empty one clears it (an empty Tempo token turns Tempo off).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct JiraConfigChanges {
    pub base_url: String,
    pub email: String,
    pub api_token: Option<String>,
    pub project_key: String,
    /// `Task` when absent.
    pub issue_type: Option<String>,
    pub labels: Vec<String>,
    pub aegis_url: Option<String>,
    pub tempo_token: Option<String>,
    pub tempo_url: Option<String>,
    pub tempo_account_id: Option<String>,
}

// Written by hand so that the tokens never reach a log.
impl std::fmt::Debug for JiraConfigChanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JiraConfigChanges")
            .field("base_url", &self.base_url)
            .field("email", &self.email)
            .field("project_key", &self.project_key)
            .finish_non_exhaustive()
    }
}

const TOKEN_MAX: usize = 4096;

fn check<T>(
    fields: &mut Vec<FieldError>,
    field: &str,
    result: Result<T, impl ToString>,
) -> Option<T> {
    result
        .map_err(|e| fields.push(FieldError::new(field, e.to_string())))
        .ok()
}

/// An address without its trailing slash, so paths are appended to it.
fn base(url: &str) -> String {
    url.trim().trim_end_matches('/').to_owned()
}

impl TicketService {
    /// The tenant's Jira configuration, without its tokens; `None` when not configured.
    ///
    /// # Errors
    /// `Forbidden` unless an admin.
    pub async fn jira_config(
        &self,
        actor: &Actor,
    ) -> Result<Option<JiraConfigSummary>, TicketError> {
        actor.authorize(Action::ManageSystem)?;
        Ok(self
            .database
            .jira_config(actor.tenant_id)
            .await?
            .as_ref()
            .map(JiraConfigSummary::of))
    }

    /// Saves the configuration: the addresses must be allowed by the SSRF rules (the
    /// webhooks' allow-list names the internal ones an admin permits).
    ///
    /// # Errors
    /// `Forbidden` unless an admin; `Invalid` naming each field at fault.
    pub async fn set_jira_config(
        &self,
        actor: &Actor,
        changes: JiraConfigChanges,
        context: &RequestContext,
    ) -> Result<JiraConfigSummary, TicketError> {
        actor.authorize(Action::ManageSystem)?;
        let tenant = actor.tenant_id;
        let stored = self.database.jira_config(tenant).await?;
        let allow = self.database.webhook_allow_list(tenant).await?;
        let mut fields = Vec::new();
        let base_url = base(&changes.base_url);
        let base_url = match aegis_domain::ticket::web_url(&base_url) {
            Ok(url) => match self.tracker.check_target(&url, &allow).await {
                Ok(()) => Some(url),
                Err(refusal) => {
                    fields.push(FieldError::new("base_url", refusal.to_string()));
                    None
                }
            },
            Err(e) => {
                fields.push(FieldError::new("base_url", e.to_string()));
                None
            }
        };
        let email = check(&mut fields, "email", single_line(&changes.email, 320));
        let project_key = changes.project_key.trim().to_owned();
        if !is_project_key(&project_key) {
            fields.push(FieldError::new(
                "project_key",
                "must be a Jira project key: an upper-case letter, then upper-case letters, \
                 digits or _",
            ));
        }
        let issue_type = check(
            &mut fields,
            "issue_type",
            single_line(changes.issue_type.as_deref().unwrap_or("Task"), 255),
        );
        let mut labels = Vec::new();
        if changes.labels.len() > LABELS_MAX {
            fields.push(FieldError::new(
                "labels",
                format!("at most {LABELS_MAX} labels"),
            ));
        }
        for label in changes.labels.iter().take(LABELS_MAX) {
            match jira_label(label) {
                Ok(label) if !labels.contains(&label) => labels.push(label),
                Ok(_) => {}
                Err(_) => fields.push(FieldError::new(
                    "labels",
                    "each label is 1 to 255 characters without spaces",
                )),
            }
        }
        // An optional field left out keeps the stored value; an empty one clears it.
        let aegis_url = match changes.aegis_url.as_deref().map(str::trim) {
            None => stored.as_ref().and_then(|s| s.aegis_url.clone()),
            Some("") => None,
            Some(url) => check(
                &mut fields,
                "aegis_url",
                aegis_domain::ticket::web_url(&base(url)),
            ),
        };
        let api_token_sealed = match changes.api_token.as_deref().map(str::trim) {
            Some(token) if !token.is_empty() && token.len() <= TOKEN_MAX => {
                Some(self.cipher.encrypt(token))
            }
            Some(_) => {
                fields.push(FieldError::new(
                    "api_token",
                    format!("must be 1 to {TOKEN_MAX} characters"),
                ));
                None
            }
            None => match &stored {
                Some(stored) => Some(stored.api_token_sealed.clone()),
                None => {
                    fields.push(FieldError::new(
                        "api_token",
                        "is required the first time Jira is configured",
                    ));
                    None
                }
            },
        };
        let tempo_token_sealed = match changes.tempo_token.as_deref().map(str::trim) {
            Some("") => None,
            Some(token) if token.len() <= TOKEN_MAX => Some(self.cipher.encrypt(token)),
            Some(_) => {
                fields.push(FieldError::new(
                    "tempo_token",
                    format!("must be at most {TOKEN_MAX} characters"),
                ));
                None
            }
            None => stored.as_ref().and_then(|s| s.tempo_token_sealed.clone()),
        };
        // Left out, the stored address is kept (Tempo Cloud's when there is none).
        let tempo_url = base(
            changes
                .tempo_url
                .as_deref()
                .or(stored.as_ref().map(|s| s.tempo_url.as_str()))
                .unwrap_or(TEMPO_CLOUD_URL),
        );
        let tempo_url = match aegis_domain::ticket::web_url(&tempo_url) {
            Ok(url) if tempo_token_sealed.is_some() => {
                match self.tracker.check_target(&url, &allow).await {
                    Ok(()) => Some(url),
                    Err(refusal) => {
                        fields.push(FieldError::new("tempo_url", refusal.to_string()));
                        None
                    }
                }
            }
            Ok(url) => Some(url),
            Err(e) => {
                fields.push(FieldError::new("tempo_url", e.to_string()));
                None
            }
        };
        let tempo_account_id = match changes.tempo_account_id.as_deref().map(str::trim) {
            None => stored.as_ref().and_then(|s| s.tempo_account_id.clone()),
            Some("") => None,
            Some(id) => check(&mut fields, "tempo_account_id", single_line(id, 128)),
        };
        if tempo_token_sealed.is_some() && tempo_account_id.is_none() && fields.is_empty() {
            fields.push(FieldError::new(
                "tempo_account_id",
                "is required with a Tempo token: the Atlassian account worklogs are recorded under",
            ));
        }
        let (
            Some(base_url),
            Some(email),
            Some(issue_type),
            Some(api_token_sealed),
            Some(tempo_url),
            true,
        ) = (
            base_url,
            email,
            issue_type,
            api_token_sealed,
            tempo_url,
            fields.is_empty(),
        )
        else {
            fields.sort_by(|a, b| a.field.cmp(&b.field));
            return Err(TicketError::Invalid(fields));
        };
        let config = JiraConfig {
            tenant_id: tenant,
            base_url,
            email,
            api_token_sealed,
            project_key,
            issue_type,
            labels,
            aegis_url,
            tempo_token_sealed,
            tempo_url,
            tempo_account_id,
            updated_by: actor.user_id,
            updated_at: self.clock.now(),
        };
        let uow = self.database.begin().await?;
        uow.save_jira_config(tenant, &config).await?;
        let summary = JiraConfigSummary::of(&config);
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "ticket.jira_configured",
            tenant.to_string(),
            serde_json::json!({
                "base_url": summary.base_url,
                "email": summary.email,
                "project_key": summary.project_key,
                "issue_type": summary.issue_type,
                "labels": summary.labels,
                "api_token_changed": changes.api_token.is_some(),
                "tempo_enabled": summary.tempo_enabled,
            }),
        )
        .await?;
        uow.commit().await?;
        Ok(summary)
    }

    /// The Jira configuration with its tokens opened, and the tenant's allow-list.
    ///
    /// # Errors
    /// `NotConfigured`; `Unexpected` when the token cannot be opened with this server's key.
    pub(super) async fn targets(
        &self,
        tenant: TenantId,
    ) -> Result<(JiraConfig, JiraTarget, Option<TempoTarget>), TicketError> {
        let config = self
            .database
            .jira_config(tenant)
            .await?
            .ok_or(TicketError::NotConfigured)?;
        let allow = self.database.webhook_allow_list(tenant).await?;
        let api_token = self.cipher.decrypt(&config.api_token_sealed).map_err(|_| {
            invalid(
                "api_token",
                "the stored Jira token cannot be read with this server's secret; set it again",
            )
        })?;
        let tempo = match (&config.tempo_token_sealed, config.tempo_enabled()) {
            (Some(sealed), true) => self.cipher.decrypt(sealed).ok().map(|token| TempoTarget {
                base_url: config.tempo_url.clone(),
                token,
                allow: allow.clone(),
            }),
            _ => None,
        };
        let jira = JiraTarget {
            base_url: config.base_url.clone(),
            email: config.email.clone(),
            api_token,
            allow,
        };
        Ok((config, jira, tempo))
    }
}
