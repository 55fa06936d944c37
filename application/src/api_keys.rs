//! API keys: created for oneself (or, by an admin, for a service account), shown once,
//! stored as a hash, narrowed by scopes, revoked; and the authentication of a presented key.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use aegis_domain::api_key::{
    ApiKey, ApiKeyId, InvalidScopes, KEY_PREFIX, KeyRefusal, Scopes, tenant_of_key,
};
use aegis_domain::permission::Action;
use aegis_domain::ports::{RepositoryError, Subject};
use aegis_domain::user::{UserId, UserKind};

use crate::audit_trail::{self, Change};
use crate::auth::AuthError;
use crate::context::{Actor, Forbidden, KeyGrant, RequestContext};
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::ports::{Clock, Database, IdGenerator, SecretGenerator, UnitOfWork};

const NAME_MAX: usize = 120;

/// What a caller asks for when creating a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    pub name: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    /// A service account to create the key for (admins only); the caller when absent.
    pub owner_id: Option<Uuid>,
}

/// Changes to a key; `expires_at: Some(None)` removes the expiry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiKeyChanges {
    pub name: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub expires_at: Option<Option<DateTime<Utc>>>,
}

/// A key as it is shown: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKeySummary {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub last_used_ip: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// `active`, `expired` or `revoked`.
    pub status: &'static str,
}

impl ApiKeySummary {
    fn of(key: &ApiKey, now: DateTime<Utc>) -> Self {
        Self {
            id: key.id.as_uuid(),
            owner_id: key.owner_id.as_uuid(),
            name: key.name.clone(),
            prefix: key.prefix.clone(),
            scopes: key.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            expires_at: key.expires_at,
            created_by: key.created_by.as_uuid(),
            created_at: key.created_at,
            last_used_at: key.last_used_at,
            last_used_ip: key.last_used_ip.clone(),
            revoked_at: key.revoked_at,
            status: match key.check_usable(now) {
                Ok(()) => "active",
                Err(KeyRefusal::Expired) => "expired",
                Err(KeyRefusal::Revoked) => "revoked",
            },
        }
    }
}

/// A new key and, this once, its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedApiKey {
    pub key: ApiKeySummary,
    pub secret: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("API keys are managed by a signed-in user, not with an API key")]
    NotInteractive,
    #[error("invalid API key data")]
    Invalid(Vec<FieldError>),
    #[error("API key not found")]
    NotFound,
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for ApiKeyError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::NotFound(_) => Self::NotFound,
            other => Self::Unexpected(unexpected(&other)),
        }
    }
}

impl Classified for ApiKeyError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) | Self::NotInteractive => ErrorKind::Forbidden,
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::NotFound => ErrorKind::NotFound,
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotInteractive => "INTERACTIVE_SIGN_IN_REQUIRED",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::NotFound => "API_KEY_NOT_FOUND",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

#[derive(Clone)]
pub struct ApiKeyService {
    database: Arc<dyn Database>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    secrets: Arc<dyn SecretGenerator>,
}

impl ApiKeyService {
    pub fn new(
        database: Arc<dyn Database>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        secrets: Arc<dyn SecretGenerator>,
    ) -> Self {
        Self {
            database,
            clock,
            ids,
            secrets,
        }
    }

    /// Creates a key and returns its secret, which is never shown again.
    ///
    /// # Errors
    /// `NotInteractive` with a key, `Invalid` with the fields at fault, `Forbidden` when a
    /// non-admin names an owner.
    pub async fn create(
        &self,
        actor: &Actor,
        request: NewApiKey,
        context: &RequestContext,
    ) -> Result<CreatedApiKey, ApiKeyError> {
        ensure_interactive(actor)?;
        actor.authorize(Action::ReadOwnAccount)?;
        let now = self.clock.now();
        let mut fields = Vec::new();
        let name = check_name(&request.name, &mut fields);
        let scopes = check_scopes(&request.scopes, &mut fields);
        if request.expires_at.is_some_and(|at| at <= now) {
            fields.push(FieldError::new("expires_at", "must be in the future"));
        }
        let owner = match request.owner_id {
            Some(owner) if owner != actor.user_id.as_uuid() => {
                actor.authorize(Action::ManageUsers)?;
                let owner = UserId::from_uuid(owner);
                match self.database.find_user(actor.tenant_id, owner).await? {
                    Some(user) if user.kind == UserKind::Service => owner,
                    _ => {
                        fields.push(FieldError::new(
                            "owner_id",
                            "is not a service account of this tenant",
                        ));
                        owner
                    }
                }
            }
            _ => actor.user_id,
        };
        let (Some(name), Some(scopes), true) = (name, scopes, fields.is_empty()) else {
            return Err(ApiKeyError::Invalid(fields));
        };

        // Hashed so the key's text is always 64 hex digits, whatever the generator's alphabet.
        let random = hex::encode(Sha256::digest(self.secrets.token().as_bytes()));
        let secret = format!(
            "{KEY_PREFIX}{}_{random}",
            actor.tenant_id.as_uuid().simple()
        );
        let key = ApiKey {
            id: ApiKeyId::from_uuid(self.ids.new_id()),
            tenant_id: actor.tenant_id,
            owner_id: owner,
            name,
            prefix: format!(
                "{KEY_PREFIX}…{}",
                random.chars().take(8).collect::<String>()
            ),
            secret_hash: key_hash(&secret),
            scopes,
            expires_at: request.expires_at,
            created_by: actor.user_id,
            created_at: now,
            last_used_at: None,
            last_used_ip: None,
            revoked_at: None,
        };
        let uow = self.database.begin().await?;
        match uow.insert_api_key(actor.tenant_id, &key).await {
            Err(RepositoryError::Duplicate(Subject::ApiKey)) => {
                return Err(ApiKeyError::Unexpected("API key hash collision".into()));
            }
            other => other?,
        }
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "api_key.created",
            &key,
            serde_json::json!({
                "name": key.name,
                "owner_id": key.owner_id,
                "scopes": key.scopes.to_text(),
                "expires_at": key.expires_at,
            }),
        )
        .await?;
        uow.commit().await?;
        Ok(CreatedApiKey {
            key: ApiKeySummary::of(&key, now),
            secret,
        })
    }

    /// One's own keys, or (`all`, admins) every key of the tenant, newest first.
    ///
    /// # Errors
    /// `NotInteractive` with a key, `Forbidden` for `all` without the right.
    pub async fn list(&self, actor: &Actor, all: bool) -> Result<Vec<ApiKeySummary>, ApiKeyError> {
        ensure_interactive(actor)?;
        actor.authorize(Action::ReadOwnAccount)?;
        let owner = if all {
            actor.authorize(Action::ManageUsers)?;
            None
        } else {
            Some(actor.user_id)
        };
        let now = self.clock.now();
        Ok(self
            .database
            .list_api_keys(actor.tenant_id, owner)
            .await?
            .iter()
            .map(|key| ApiKeySummary::of(key, now))
            .collect())
    }

    /// # Errors
    /// `NotFound` unless the key is the actor's own (or the actor manages users).
    pub async fn get(&self, actor: &Actor, id: Uuid) -> Result<ApiKeySummary, ApiKeyError> {
        ensure_interactive(actor)?;
        let key = self.visible_key(self.database.as_ref(), actor, id).await?;
        Ok(ApiKeySummary::of(&key, self.clock.now()))
    }

    /// Renames a key, changes its scopes or expiry.
    ///
    /// # Errors
    /// `NotFound`, `Invalid`, `NotInteractive`.
    pub async fn update(
        &self,
        actor: &Actor,
        id: Uuid,
        changes: ApiKeyChanges,
        context: &RequestContext,
    ) -> Result<ApiKeySummary, ApiKeyError> {
        ensure_interactive(actor)?;
        let now = self.clock.now();
        let mut fields = Vec::new();
        let name = changes
            .name
            .as_deref()
            .map(|name| check_name(name, &mut fields));
        let scopes = changes
            .scopes
            .as_deref()
            .map(|scopes| check_scopes(scopes, &mut fields));
        if changes
            .expires_at
            .is_some_and(|at| at.is_some_and(|at| at <= now))
        {
            fields.push(FieldError::new("expires_at", "must be in the future"));
        }
        if !fields.is_empty() {
            return Err(ApiKeyError::Invalid(fields));
        }
        let uow = self.database.begin().await?;
        let mut key = self.visible_key(uow.as_ref(), actor, id).await?;
        if let Some(Some(name)) = name {
            key.name = name;
        }
        if let Some(Some(scopes)) = scopes {
            key.scopes = scopes;
        }
        if let Some(expires_at) = changes.expires_at {
            key.expires_at = expires_at;
        }
        uow.update_api_key(actor.tenant_id, &key).await?;
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "api_key.updated",
            &key,
            serde_json::json!({
                "name": key.name,
                "scopes": key.scopes.to_text(),
                "expires_at": key.expires_at,
            }),
        )
        .await?;
        uow.commit().await?;
        Ok(ApiKeySummary::of(&key, now))
    }

    /// Revokes a key for good; revoking a revoked key changes nothing.
    ///
    /// # Errors
    /// `NotFound`, `NotInteractive`.
    pub async fn revoke(
        &self,
        actor: &Actor,
        id: Uuid,
        context: &RequestContext,
    ) -> Result<(), ApiKeyError> {
        ensure_interactive(actor)?;
        let uow = self.database.begin().await?;
        let mut key = self.visible_key(uow.as_ref(), actor, id).await?;
        if key.revoked_at.is_some() {
            return Ok(());
        }
        key.revoked_at = Some(self.clock.now());
        uow.update_api_key(actor.tenant_id, &key).await?;
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "api_key.revoked",
            &key,
            serde_json::json!({ "name": key.name }),
        )
        .await?;
        uow.commit().await?;
        Ok(())
    }

    /// Checks a presented key and returns who it acts as: its owner, narrowed by its scopes.
    /// The owner's role is read now, so a role change or deactivation applies at once.
    ///
    /// # Errors
    /// `InvalidToken` for an unknown key or an inactive owner, `TokenExpired` after its
    /// expiry, `TokenRevoked` once revoked.
    pub async fn authenticate(
        &self,
        presented: &str,
        ip: Option<&str>,
    ) -> Result<Actor, AuthError> {
        let tenant = tenant_of_key(presented).ok_or(AuthError::InvalidToken)?;
        let key = self
            .database
            .find_api_key_by_hash(tenant, &key_hash(presented))
            .await?
            .ok_or(AuthError::InvalidToken)?;
        let now = self.clock.now();
        key.check_usable(now).map_err(|refusal| match refusal {
            KeyRefusal::Expired => AuthError::TokenExpired,
            KeyRefusal::Revoked => AuthError::TokenRevoked,
        })?;
        let owner = match self.database.find_user(tenant, key.owner_id).await? {
            Some(user) if user.is_active => user,
            _ => return Err(AuthError::InvalidToken),
        };
        crate::auth::ensure_tenant_enabled(self.database.as_ref(), tenant).await?;
        if key.use_worth_recording(now, ip) {
            self.database
                .record_api_key_use(tenant, key.id, now, ip)
                .await?;
        }
        Ok(Actor {
            user_id: owner.id,
            tenant_id: owner.tenant_id,
            role: owner.role,
            email: owner.email,
            must_change_password: false,
            token: None,
            api_key: Some(KeyGrant {
                id: key.id,
                name: key.name,
                scopes: key.scopes,
            }),
        })
    }

    /// The key if the actor may see it: their own, or any of the tenant's for user managers.
    /// Anything else is `NotFound`, so a key's existence is not revealed.
    async fn visible_key(
        &self,
        repositories: &(impl aegis_domain::ports::ApiKeyRepository + ?Sized),
        actor: &Actor,
        id: Uuid,
    ) -> Result<ApiKey, ApiKeyError> {
        actor.authorize(Action::ReadOwnAccount)?;
        let key = repositories
            .find_api_key(actor.tenant_id, ApiKeyId::from_uuid(id))
            .await?
            .ok_or(ApiKeyError::NotFound)?;
        if key.owner_id == actor.user_id || actor.authorize(Action::ManageUsers).is_ok() {
            Ok(key)
        } else {
            Err(ApiKeyError::NotFound)
        }
    }

    async fn audit(
        &self,
        uow: &dyn UnitOfWork,
        actor: &Actor,
        context: &RequestContext,
        action: &str,
        key: &ApiKey,
        details: serde_json::Value,
    ) -> Result<(), RepositoryError> {
        let change = Change {
            tenant: actor.tenant_id,
            actor: Some(actor.user_id),
            action,
            entity_type: "api_key",
            entity_id: Some(key.id.to_string()),
            details,
        };
        audit_trail::record(self.clock.as_ref(), self.ids.as_ref(), uow, context, change).await
    }
}

fn ensure_interactive(actor: &Actor) -> Result<(), ApiKeyError> {
    if actor.is_interactive() {
        Ok(())
    } else {
        Err(ApiKeyError::NotInteractive)
    }
}

fn check_name(name: &str, fields: &mut Vec<FieldError>) -> Option<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        fields.push(FieldError::new(
            "name",
            format!("must be 1 to {NAME_MAX} characters"),
        ));
        return None;
    }
    Some(name.to_owned())
}

fn check_scopes(scopes: &[String], fields: &mut Vec<FieldError>) -> Option<Scopes> {
    match Scopes::parse(scopes.iter().map(String::as_str)) {
        Ok(scopes) => Some(scopes),
        Err(InvalidScopes::Empty) => {
            fields.push(FieldError::new("scopes", "at least one scope is required"));
            None
        }
        Err(InvalidScopes::Unknown(unknown)) => {
            fields.push(FieldError::new("scopes", unknown.to_string()));
            None
        }
    }
}

/// SHA-256 of the whole key: the key carries 256 random bits, so no slow hash is needed.
fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}
