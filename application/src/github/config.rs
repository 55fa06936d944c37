//! The tenant's GitHub integration (admins): shown without its token and secret, saved with
//! them sealed, its API address checked against the SSRF rules before it is kept. The first
//! save creates the service account scans from GitHub are submitted as.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use aegis_domain::github::{
    DEFAULT_CHECK_NAME, GITHUB_API_URL, GithubConfig, GithubDelivery, REPOSITORIES_MAX,
    RepositoryName,
};
use aegis_domain::permission::Action;
use aegis_domain::role::Role;
use aegis_domain::tenant::TenantId;
use aegis_domain::user::{Email, NO_PASSWORD, User, UserId, UserKind};

use super::{GithubError, GithubService, GithubTarget};
use crate::audit_trail::{self, Change};
use crate::context::{Actor, RequestContext};
use crate::error::FieldError;
use crate::ports::UnitOfWork;

/// The configuration as it is shown: whether the token and secret are set, never them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubConfigSummary {
    pub api_url: String,
    pub repositories: Vec<String>,
    pub active: bool,
    pub check_name: String,
    pub token_set: bool,
    pub webhook_secret_set: bool,
    pub service_user: Uuid,
    pub updated_by: Uuid,
    pub updated_at: DateTime<Utc>,
}

impl GithubConfigSummary {
    fn of(config: &GithubConfig) -> Self {
        Self {
            api_url: config.api_url.clone(),
            repositories: config
                .repositories
                .iter()
                .map(RepositoryName::full_name)
                .collect(),
            active: config.active,
            check_name: config.check_name.clone(),
            token_set: !config.token_sealed.is_empty(),
            webhook_secret_set: !config.webhook_secret_sealed.is_empty(),
            service_user: config.service_user.as_uuid(),
            updated_by: config.updated_by.as_uuid(),
            updated_at: config.updated_at,
        }
    }
}

/// The configuration as an admin saves it. The token or the secret left out keeps the stored
/// one; both are required the first time.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct GithubConfigChanges {
    /// GitHub.com's API when absent.
    pub api_url: Option<String>,
    pub token: Option<String>,
    pub webhook_secret: Option<String>,
    pub repositories: Vec<String>,
    /// Active when absent.
    pub active: Option<bool>,
    pub check_name: Option<String>,
}

// Written by hand so that the token and the secret never reach a log.
impl std::fmt::Debug for GithubConfigChanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubConfigChanges")
            .field("api_url", &self.api_url)
            .field("repositories", &self.repositories)
            .finish_non_exhaustive()
    }
}

const SECRET_MAX: usize = 4096;
/// A webhook secret shorter than this is guessable; GitHub suggests a long random string.
const SECRET_MIN: usize = 16;
/// The most deliveries the admin page lists.
pub(super) const DELIVERIES_MAX: u64 = 200;

/// The service account's email: one per tenant, in a domain that cannot receive mail.
fn service_email(tenant: TenantId) -> Option<Email> {
    Email::parse(&format!(
        "github-{}@integrations.aegis.invalid",
        tenant.as_uuid().simple()
    ))
    .ok()
}

impl GithubService {
    /// The tenant's GitHub integration, without its token and secret; `None` when not
    /// configured.
    ///
    /// # Errors
    /// `Forbidden` unless an admin.
    pub async fn config(&self, actor: &Actor) -> Result<Option<GithubConfigSummary>, GithubError> {
        actor.authorize(Action::ManageSystem)?;
        Ok(self
            .database
            .github_config(actor.tenant_id)
            .await?
            .as_ref()
            .map(GithubConfigSummary::of))
    }

    /// Saves the integration: the API address must be allowed by the SSRF rules (the
    /// webhooks' allow-list names the internal ones an admin permits).
    ///
    /// # Errors
    /// `Forbidden` unless an admin; `Invalid` naming each field at fault.
    pub async fn set_config(
        &self,
        actor: &Actor,
        changes: GithubConfigChanges,
        context: &RequestContext,
    ) -> Result<GithubConfigSummary, GithubError> {
        actor.authorize(Action::ManageSystem)?;
        let tenant = actor.tenant_id;
        let stored = self.database.github_config(tenant).await?;
        let allow = self.database.webhook_allow_list(tenant).await?;
        let mut fields = Vec::new();
        let api_url = changes
            .api_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .unwrap_or(GITHUB_API_URL)
            .trim_end_matches('/')
            .to_owned();
        let api_url = match aegis_domain::ticket::web_url(&api_url) {
            Ok(url) => match self.api.check_target(&url, &allow).await {
                Ok(()) => Some(url),
                Err(refusal) => {
                    fields.push(FieldError::new("api_url", refusal.to_string()));
                    None
                }
            },
            Err(e) => {
                fields.push(FieldError::new("api_url", e.to_string()));
                None
            }
        };
        let mut repositories: Vec<RepositoryName> = Vec::new();
        if changes.repositories.is_empty() {
            fields.push(FieldError::new(
                "repositories",
                "name at least one repository (owner/name)",
            ));
        }
        if changes.repositories.len() > REPOSITORIES_MAX {
            fields.push(FieldError::new(
                "repositories",
                format!("at most {REPOSITORIES_MAX} repositories"),
            ));
        }
        for (index, text) in changes
            .repositories
            .iter()
            .take(REPOSITORIES_MAX)
            .enumerate()
        {
            match RepositoryName::parse(text) {
                Ok(name) if !repositories.contains(&name) => repositories.push(name),
                Ok(_) => {}
                Err(e) => fields.push(FieldError::new(
                    format!("repositories[{index}]"),
                    e.to_string(),
                )),
            }
        }
        let check_name = changes
            .check_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map_or_else(
                || {
                    stored
                        .as_ref()
                        .map_or(DEFAULT_CHECK_NAME.to_owned(), |s| s.check_name.clone())
                },
                str::to_owned,
            );
        if check_name.chars().count() > 100 || check_name.chars().any(char::is_control) {
            fields.push(FieldError::new(
                "check_name",
                "must be at most 100 characters on one line",
            ));
        }
        let mut sealed = |field: &str,
                          given: Option<&str>,
                          kept: Option<&Vec<u8>>,
                          min: usize|
         -> Option<Vec<u8>> {
            match given.map(str::trim) {
                Some(value) if value.len() >= min && value.len() <= SECRET_MAX => {
                    Some(self.cipher.encrypt(value))
                }
                Some(_) => {
                    fields.push(FieldError::new(
                        field,
                        format!("must be {min} to {SECRET_MAX} characters"),
                    ));
                    None
                }
                None => match kept {
                    Some(kept) => Some(kept.clone()),
                    None => {
                        fields.push(FieldError::new(
                            field,
                            "is required the first time GitHub is configured",
                        ));
                        None
                    }
                },
            }
        };
        let token_sealed = sealed(
            "token",
            changes.token.as_deref(),
            stored.as_ref().map(|s| &s.token_sealed),
            1,
        );
        let secret_sealed = sealed(
            "webhook_secret",
            changes.webhook_secret.as_deref(),
            stored.as_ref().map(|s| &s.webhook_secret_sealed),
            SECRET_MIN,
        );
        let (Some(api_url), Some(token_sealed), Some(webhook_secret_sealed), true) =
            (api_url, token_sealed, secret_sealed, fields.is_empty())
        else {
            fields.sort_by(|a, b| a.field.cmp(&b.field));
            return Err(GithubError::Invalid(fields));
        };
        let uow = self.database.begin().await?;
        let (service_user, created) = self.service_user(uow.as_ref(), tenant).await?;
        let config = GithubConfig {
            tenant_id: tenant,
            api_url,
            token_sealed,
            webhook_secret_sealed,
            repositories,
            active: changes.active.unwrap_or(true),
            check_name,
            service_user,
            updated_by: actor.user_id,
            updated_at: self.clock.now(),
        };
        uow.save_github_config(tenant, &config).await?;
        let summary = GithubConfigSummary::of(&config);
        let change = Change {
            tenant,
            actor: Some(actor.user_id),
            action: "github.configured",
            entity_type: "github_integration",
            entity_id: Some(tenant.to_string()),
            details: serde_json::json!({
                "api_url": summary.api_url,
                "repositories": summary.repositories,
                "active": summary.active,
                "check_name": summary.check_name,
                "token_changed": changes.token.is_some(),
                "webhook_secret_changed": changes.webhook_secret.is_some(),
                "service_user": summary.service_user,
                "service_user_created": created,
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
        Ok(summary)
    }

    /// The tenant's GitHub service account (a blue lead: detection engineering submits scans), created the first
    /// time; returns it and whether it was created.
    async fn service_user(
        &self,
        uow: &dyn UnitOfWork,
        tenant: TenantId,
    ) -> Result<(UserId, bool), GithubError> {
        let email = service_email(tenant)
            .ok_or_else(|| GithubError::Unexpected("no service account email".to_owned()))?;
        if let Some(user) = uow.find_user_for_login(&email).await? {
            if user.tenant_id == tenant {
                return Ok((user.id, false));
            }
            return Err(GithubError::Unexpected(
                "the GitHub service account email belongs to another tenant".to_owned(),
            ));
        }
        let now = self.clock.now();
        let user = User {
            id: UserId::from_uuid(self.ids.new_id()),
            tenant_id: tenant,
            email,
            display_name: "GitHub integration".to_owned(),
            role: Role::BlueLead,
            kind: UserKind::Service,
            password_hash: NO_PASSWORD.to_owned(),
            is_active: true,
            must_change_password: false,
            failed_login_attempts: 0,
            locked_until: None,
            credentials_changed_at: now,
            last_login_at: None,
            preferences: serde_json::json!({}),
            created_at: now,
            updated_at: now,
            deactivated_at: None,
        };
        uow.insert_user(tenant, &user).await?;
        Ok((user.id, true))
    }

    /// Removes the integration: deliveries are no longer taken. The service account stays
    /// (its scans name it), and a new configuration takes it again.
    ///
    /// # Errors
    /// `Forbidden` unless an admin; `NotConfigured`.
    pub async fn delete_config(
        &self,
        actor: &Actor,
        context: &RequestContext,
    ) -> Result<(), GithubError> {
        actor.authorize(Action::ManageSystem)?;
        let tenant = actor.tenant_id;
        let uow = self.database.begin().await?;
        if !uow.delete_github_config(tenant).await? {
            return Err(GithubError::NotConfigured);
        }
        let change = Change {
            tenant,
            actor: Some(actor.user_id),
            action: "github.removed",
            entity_type: "github_integration",
            entity_id: Some(tenant.to_string()),
            details: serde_json::json!({}),
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
        Ok(())
    }

    /// The newest webhook deliveries (at most 200).
    ///
    /// # Errors
    /// `Forbidden` unless an admin.
    pub async fn deliveries(
        &self,
        actor: &Actor,
        limit: u64,
    ) -> Result<Vec<GithubDelivery>, GithubError> {
        actor.authorize(Action::ManageSystem)?;
        Ok(self
            .database
            .list_github_deliveries(actor.tenant_id, limit.clamp(1, DELIVERIES_MAX))
            .await?)
    }

    /// The configuration's token opened, with the tenant's allow-list.
    ///
    /// # Errors
    /// `Unexpected` when the token cannot be opened with this server's key.
    pub(super) async fn target(&self, config: &GithubConfig) -> Result<GithubTarget, GithubError> {
        let allow = self.database.webhook_allow_list(config.tenant_id).await?;
        let token = self.cipher.decrypt(&config.token_sealed).map_err(|_| {
            GithubError::Unexpected(
                "the stored GitHub token cannot be read with this server's secret; set it again"
                    .to_owned(),
            )
        })?;
        Ok(GithubTarget {
            api_url: config.api_url.clone(),
            token,
            allow,
        })
    }
}
