//! One's own account: reading it, changing the password, keeping UI preferences.

use std::sync::Arc;

use aegis_domain::password;
use aegis_domain::permission::Action;
use aegis_domain::ports::RepositoryError;

use crate::audit_trail::{self, Change};
use crate::context::{Actor, Forbidden, RequestContext};
use crate::error::{Classified, ErrorKind, FieldError, password_errors, unexpected};
use crate::ports::{Clock, Database, IdGenerator, PasswordHasher};
use crate::users::UserSummary;

/// Preferences are a small JSON object owned by the UI.
const MAX_PREFERENCES_BYTES: usize = 16 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("invalid account change")]
    Invalid(Vec<FieldError>),
    #[error("the account no longer exists")]
    NotFound,
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for AccountError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::NotFound(_) => Self::NotFound,
            other => Self::Unexpected(unexpected(&other)),
        }
    }
}

impl Classified for AccountError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::NotFound => ErrorKind::NotFound,
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::NotFound => "USER_NOT_FOUND",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

#[derive(Clone)]
pub struct AccountService {
    database: Arc<dyn Database>,
    hasher: Arc<dyn PasswordHasher>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl AccountService {
    pub fn new(
        database: Arc<dyn Database>,
        hasher: Arc<dyn PasswordHasher>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            database,
            hasher,
            clock,
            ids,
        }
    }

    /// # Errors
    /// `NotFound` when the account was removed meanwhile.
    pub async fn me(&self, actor: &Actor) -> Result<UserSummary, AccountError> {
        actor.authorize(Action::ReadOwnAccount)?;
        let user = self
            .database
            .find_user(actor.tenant_id, actor.user_id)
            .await?
            .ok_or(AccountError::NotFound)?;
        Ok(UserSummary::from(&user))
    }

    /// Changes the actor's password. Other sessions of the account end; the current one stays.
    ///
    /// # Errors
    /// `Invalid` on `current_password` when it is wrong, on `new_password` when it breaks the
    /// policy or equals the current one.
    pub async fn change_password(
        &self,
        actor: &Actor,
        change: PasswordChange,
        context: &RequestContext,
    ) -> Result<(), AccountError> {
        actor.authorize(Action::ManageOwnAccount)?;
        let tenant = actor.tenant_id;
        let user = self
            .database
            .find_user(tenant, actor.user_id)
            .await?
            .ok_or(AccountError::NotFound)?;
        if !self
            .hasher
            .verify(&change.current_password, &user.password_hash)
            .await
        {
            return Err(AccountError::Invalid(vec![FieldError::new(
                "current_password",
                "is not correct",
            )]));
        }
        let mut fields = password_errors(
            "new_password",
            &password::violations(&change.new_password, &user.email),
        );
        if change.new_password == change.current_password {
            fields.push(FieldError::new(
                "new_password",
                "must differ from the current password",
            ));
        }
        if !fields.is_empty() {
            return Err(AccountError::Invalid(fields));
        }
        let hash = self
            .hasher
            .hash(&change.new_password)
            .await
            .map_err(|e| AccountError::Unexpected(e.to_string()))?;

        let now = self.clock.now();
        let uow = self.database.begin().await?;
        let mut user = uow
            .find_user(tenant, actor.user_id)
            .await?
            .ok_or(AccountError::NotFound)?;
        user.password_hash = hash;
        user.must_change_password = false;
        user.updated_at = now;
        uow.update_user(tenant, &user).await?;
        let keep = actor.token.as_ref().map(|token| token.session_family);
        uow.revoke_user_sessions(tenant, user.id, keep, now).await?;
        let change = Change {
            tenant,
            actor: Some(actor.user_id),
            action: "account.password_changed",
            entity_type: "user",
            entity_id: Some(user.id.to_string()),
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

    /// Merges `changes` into the stored preferences: a key set to `null` is removed.
    ///
    /// # Errors
    /// `Invalid` on `preferences` when it is not an object or grows beyond 16 KiB.
    pub async fn update_preferences(
        &self,
        actor: &Actor,
        changes: serde_json::Value,
        context: &RequestContext,
    ) -> Result<UserSummary, AccountError> {
        actor.authorize(Action::ManageOwnAccount)?;
        let serde_json::Value::Object(changes) = changes else {
            return Err(AccountError::Invalid(vec![FieldError::new(
                "preferences",
                "must be a JSON object",
            )]));
        };
        let tenant = actor.tenant_id;
        let uow = self.database.begin().await?;
        let mut user = uow
            .find_user(tenant, actor.user_id)
            .await?
            .ok_or(AccountError::NotFound)?;
        let mut merged = match user.preferences.take() {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        for (key, value) in &changes {
            if value.is_null() {
                merged.remove(key);
            } else {
                merged.insert(key.clone(), value.clone());
            }
        }
        user.preferences = serde_json::Value::Object(merged);
        if user.preferences.to_string().len() > MAX_PREFERENCES_BYTES {
            return Err(AccountError::Invalid(vec![FieldError::new(
                "preferences",
                "must be at most 16 KiB",
            )]));
        }
        user.updated_at = self.clock.now();
        uow.update_user(tenant, &user).await?;
        let keys: Vec<&String> = changes.keys().collect();
        let change = Change {
            tenant,
            actor: Some(actor.user_id),
            action: "account.preferences_updated",
            entity_type: "user",
            entity_id: Some(user.id.to_string()),
            details: serde_json::json!({ "keys": keys }),
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
        Ok(UserSummary::from(&user))
    }
}
