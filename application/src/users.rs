//! User administration: list, read, create, change, reset passwords and deactivate.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use validator::Validate;

use aegis_domain::Role;
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::password;
use aegis_domain::permission::Action;
use aegis_domain::ports::{RepositoryError, Subject, UserFilter};
use aegis_domain::tenant::TenantId;
use aegis_domain::user::{Email, NO_PASSWORD, User, UserId, UserKind};
use uuid::Uuid;

use crate::audit_trail::{self, Change};
use crate::context::{Forbidden, Initiator, RequestContext};
use crate::error::{Classified, ErrorKind, FieldError, field_errors, password_errors, unexpected};
use crate::idempotency::{IdempotencyKey, IdempotentRequest, Prior, fingerprint};
use crate::ports::{Clock, Database, IdGenerator, PasswordHasher, SecretGenerator, UnitOfWork};

/// A user as colleagues see them.
#[derive(Debug, Clone, Serialize)]
pub struct Colleague {
    pub id: Uuid,
    pub display_name: String,
    pub role: String,
    pub is_active: bool,
}

impl From<&User> for Colleague {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.as_uuid(),
            display_name: user.display_name.clone(),
            role: user.role.to_string(),
            is_active: user.is_active,
        }
    }
}

/// A user as use cases hand it out: everything but the password hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: String,
    /// `person` or `service` (a service account: no password, only API keys).
    pub kind: String,
    pub is_active: bool,
    pub must_change_password: bool,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub preferences: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deactivated_at: Option<DateTime<Utc>>,
}

impl From<&User> for UserSummary {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.as_uuid(),
            tenant_id: user.tenant_id.as_uuid(),
            email: user.email.to_string(),
            display_name: user.display_name.clone(),
            role: user.role.to_string(),
            kind: user.kind.as_str().to_owned(),
            is_active: user.is_active,
            must_change_password: user.must_change_password,
            locked_until: user.locked_until,
            last_login_at: user.last_login_at,
            preferences: user.preferences.clone(),
            created_at: user.created_at,
            updated_at: user.updated_at,
            deactivated_at: user.deactivated_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Validate)]
pub struct NewUser {
    #[validate(length(min = 1, max = 254, message = "is required"))]
    pub email: String,
    #[validate(length(max = 120, message = "must be at most 120 characters"))]
    pub display_name: Option<String>,
    pub role: String,
    /// `person` (the default) or `service`: a service account has no password and signs in
    /// only with API keys an admin creates for it.
    pub kind: Option<String>,
    /// When absent a password is generated and returned once.
    #[serde(skip)]
    pub password: Option<String>,
}

/// A new user whose fields are checked and whose password is hashed, ready to insert.
pub(crate) struct PreparedUser {
    email: Email,
    display_name: Option<String>,
    role: Role,
    kind: UserKind,
    password_hash: String,
    generated_password: Option<String>,
}

/// The result of creating a user. `generated_password` is shown once and never stored in
/// the idempotency record, so a replay carries `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedUser {
    pub user: UserSummary,
    #[serde(skip)]
    pub generated_password: Option<String>,
    #[serde(skip)]
    pub replayed: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Validate)]
pub struct UserChanges {
    pub role: Option<String>,
    pub is_active: Option<bool>,
    #[validate(length(min = 1, max = 120, message = "must be 1 to 120 characters"))]
    pub display_name: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("invalid user data")]
    Invalid(Vec<FieldError>),
    #[error("user not found")]
    NotFound,
    #[error("a user with this email already exists")]
    EmailTaken,
    #[error("this change would leave the tenant without an active admin")]
    LastAdmin,
    #[error("the Idempotency-Key was already used with a different request")]
    IdempotencyConflict,
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for UserError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::Duplicate(Subject::Email) => Self::EmailTaken,
            RepositoryError::Duplicate(Subject::IdempotencyKey) => Self::IdempotencyConflict,
            RepositoryError::NotFound(_) => Self::NotFound,
            other => Self::Unexpected(unexpected(&other)),
        }
    }
}

impl Classified for UserError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::NotFound => ErrorKind::NotFound,
            Self::EmailTaken | Self::LastAdmin | Self::IdempotencyConflict => ErrorKind::Conflict,
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::NotFound => "USER_NOT_FOUND",
            Self::EmailTaken => "EMAIL_TAKEN",
            Self::LastAdmin => "LAST_ADMIN",
            Self::IdempotencyConflict => "IDEMPOTENCY_KEY_REUSED",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

pub(crate) fn parse_role(text: &str) -> Result<Role, FieldError> {
    text.parse::<Role>()
        .map_err(|e| FieldError::new("role", e.to_string()))
}

#[derive(Clone)]
pub struct UserService {
    database: Arc<dyn Database>,
    hasher: Arc<dyn PasswordHasher>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    secrets: Arc<dyn SecretGenerator>,
}

impl UserService {
    pub fn new(
        database: Arc<dyn Database>,
        hasher: Arc<dyn PasswordHasher>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        secrets: Arc<dyn SecretGenerator>,
    ) -> Self {
        Self {
            database,
            hasher,
            clock,
            ids,
            secrets,
        }
    }

    /// # Errors
    /// `Forbidden` unless the initiator may manage users.
    pub async fn list(
        &self,
        initiator: &Initiator,
        filter: &UserFilter,
        page: PageRequest,
    ) -> Result<Page<UserSummary>, UserError> {
        initiator.authorize(Action::ManageUsers)?;
        let page = self
            .database
            .list_users(initiator.tenant(), filter, page)
            .await?;
        Ok(page.map(|user| UserSummary::from(&user)))
    }

    /// Everyone in the tenant by name and role, for whoever works with them: names on
    /// timelines, comments and assignee pickers. No emails or account state.
    ///
    /// # Errors
    /// `Forbidden` for a user who cannot read operations.
    pub async fn directory(&self, initiator: &Initiator) -> Result<Vec<Colleague>, UserError> {
        initiator.authorize(Action::ReadOperations)?;
        let filter = UserFilter::default();
        let mut colleagues = Vec::new();
        let mut page = 1;
        loop {
            let batch = self
                .database
                .list_users(
                    initiator.tenant(),
                    &filter,
                    PageRequest::new(page, PageRequest::MAX_PER_PAGE),
                )
                .await?;
            let last = (batch.items.len() as u64) < PageRequest::MAX_PER_PAGE;
            colleagues.extend(batch.items.iter().map(Colleague::from));
            if last {
                return Ok(colleagues);
            }
            page += 1;
        }
    }

    /// # Errors
    /// `Forbidden`, or `NotFound` when no such user exists in the tenant.
    pub async fn get(&self, initiator: &Initiator, id: UserId) -> Result<UserSummary, UserError> {
        initiator.authorize(Action::ManageUsers)?;
        let user = self
            .database
            .find_user(initiator.tenant(), id)
            .await?
            .ok_or(UserError::NotFound)?;
        Ok(UserSummary::from(&user))
    }

    /// Creates a user who must change the password at first sign-in.
    ///
    /// # Errors
    /// `Invalid` with the fields at fault, `EmailTaken`, `IdempotencyConflict`, `Forbidden`.
    pub async fn create(
        &self,
        initiator: &Initiator,
        request: NewUser,
        key: Option<&IdempotencyKey>,
        context: &RequestContext,
    ) -> Result<CreatedUser, UserError> {
        initiator.authorize(Action::ManageUsers)?;
        let prepared = self.prepare(&request).await?;
        let tenant = initiator.tenant();
        let idempotent = match (key, initiator.user_id()) {
            (Some(key), Some(actor)) => Some(IdempotentRequest {
                tenant,
                actor,
                scope: "users.create",
                key,
                fingerprint: fingerprint(&request),
            }),
            _ => None,
        };

        let uow = self.database.begin().await?;
        if let Some(idempotent) = &idempotent {
            match idempotent.prior::<CreatedUser>(uow.as_ref()).await? {
                Prior::Replay(previous) => {
                    return Ok(CreatedUser {
                        replayed: true,
                        ..previous
                    });
                }
                Prior::Conflict => return Err(UserError::IdempotencyConflict),
                Prior::None => {}
            }
        }
        let (user, generated) = self.add(uow.as_ref(), initiator, prepared, context).await?;
        let created = CreatedUser {
            user: UserSummary::from(&user),
            generated_password: None,
            replayed: false,
        };
        if let Some(idempotent) = &idempotent {
            idempotent
                .remember(uow.as_ref(), &created, self.clock.now())
                .await?;
        }
        uow.commit().await?;
        Ok(CreatedUser {
            generated_password: generated,
            ..created
        })
    }

    /// Checks a new user's fields and hashes the password, before any transaction opens.
    /// The caller has authorized the creation.
    pub(crate) async fn prepare(&self, request: &NewUser) -> Result<PreparedUser, UserError> {
        let mut fields = request
            .validate()
            .err()
            .map(|e| field_errors(&e))
            .unwrap_or_default();
        let email =
            Email::parse(&request.email).map_err(|e| FieldError::new("email", e.to_string()));
        let role = parse_role(&request.role);
        let kind = match request.kind.as_deref() {
            None => Ok(UserKind::Person),
            Some(text) => UserKind::parse(text)
                .ok_or_else(|| FieldError::new("kind", "must be `person` or `service`")),
        };
        if let Err(field) = &kind {
            fields.push(field.clone());
        }
        if let Err(field) = &email {
            fields.push(field.clone());
        }
        if let Err(field) = &role {
            fields.push(field.clone());
        }
        let (Ok(email), Ok(role), Ok(kind), true) = (email, role, kind, fields.is_empty()) else {
            return Err(UserError::Invalid(fields));
        };
        let (password_hash, generated_password) = match kind {
            UserKind::Person => self.new_password(request.password.clone(), &email).await?,
            UserKind::Service => (NO_PASSWORD.to_owned(), None),
        };
        Ok(PreparedUser {
            email,
            display_name: request.display_name.clone(),
            role,
            kind,
            password_hash,
            generated_password,
        })
    }

    /// Inserts a prepared user into the initiator's tenant, audited, in the caller's unit
    /// of work (so creating a tenant and its first admin is one transaction). Returns the
    /// user and the generated password, if any.
    pub(crate) async fn add(
        &self,
        uow: &dyn UnitOfWork,
        initiator: &Initiator,
        prepared: PreparedUser,
        context: &RequestContext,
    ) -> Result<(User, Option<String>), UserError> {
        let PreparedUser {
            email,
            display_name,
            role,
            kind,
            password_hash,
            generated_password,
        } = prepared;
        if uow.find_user_for_login(&email).await?.is_some() {
            return Err(UserError::EmailTaken);
        }
        let tenant = initiator.tenant();
        let now = self.clock.now();
        let display_name = display_name
            .as_deref()
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| email.local_part())
            .to_owned();
        let user = User {
            id: UserId::from_uuid(self.ids.new_id()),
            tenant_id: tenant,
            email,
            display_name,
            role,
            kind,
            password_hash,
            is_active: true,
            must_change_password: kind == UserKind::Person,
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
        self.audit(
            uow,
            initiator,
            context,
            "user.created",
            &user,
            serde_json::json!({
                "email": user.email.as_str(),
                "role": user.role.as_str(),
                "kind": user.kind.as_str(),
                "password_generated": generated_password.is_some(),
            }),
        )
        .await?;
        Ok((user, generated_password))
    }

    /// Changes role, active flag or display name.
    ///
    /// # Errors
    /// `Invalid`, `NotFound`, `LastAdmin` when the last active admin would be demoted or
    /// deactivated, `Forbidden`.
    pub async fn update(
        &self,
        initiator: &Initiator,
        id: UserId,
        changes: UserChanges,
        context: &RequestContext,
    ) -> Result<UserSummary, UserError> {
        initiator.authorize(Action::ManageUsers)?;
        let mut fields = changes
            .validate()
            .err()
            .map(|e| field_errors(&e))
            .unwrap_or_default();
        let role = changes
            .role
            .as_deref()
            .map(parse_role)
            .transpose()
            .unwrap_or_else(|field| {
                fields.push(field);
                None
            });
        if !fields.is_empty() {
            return Err(UserError::Invalid(fields));
        }
        let tenant = initiator.tenant();
        let uow = self.database.begin().await?;
        let mut user = uow
            .find_user(tenant, id)
            .await?
            .ok_or(UserError::NotFound)?;
        let before = UserSummary::from(&user);
        let now = self.clock.now();
        let loses_admin = user.role == Role::Admin
            && user.is_active
            && (role.is_some_and(|r| r != Role::Admin) || changes.is_active == Some(false));
        if loses_admin {
            self.ensure_another_admin(uow.as_ref(), tenant, id).await?;
        }
        if let Some(role) = role {
            user.role = role;
        }
        if let Some(name) = &changes.display_name {
            name.trim().clone_into(&mut user.display_name);
        }
        if let Some(active) = changes.is_active {
            if user.is_active && !active {
                user.deactivated_at = Some(now);
                user.credentials_changed_at = now;
                uow.revoke_user_sessions(tenant, id, None, now).await?;
            } else if active {
                user.deactivated_at = None;
            }
            user.is_active = active;
        }
        user.updated_at = now;
        uow.update_user(tenant, &user).await?;
        self.audit(uow.as_ref(), initiator, context, "user.updated", &user, serde_json::json!({
            "before": {"role": before.role, "is_active": before.is_active, "display_name": before.display_name},
            "after": {"role": user.role.as_str(), "is_active": user.is_active, "display_name": user.display_name},
        }))
        .await?;
        uow.commit().await?;
        Ok(UserSummary::from(&user))
    }

    /// Ends every session of a user of the tenant (admins): no refresh token of theirs works
    /// any more, and the access tokens already issued are refused at once (their credentials
    /// changed now), as after a password reset.
    ///
    /// # Errors
    /// `Forbidden` unless the initiator manages users, `NotFound`.
    pub async fn end_sessions(
        &self,
        initiator: &Initiator,
        id: UserId,
        context: &RequestContext,
    ) -> Result<(), UserError> {
        initiator.authorize(Action::ManageUsers)?;
        let tenant = initiator.tenant();
        let now = self.clock.now();
        let uow = self.database.begin().await?;
        let mut user = uow
            .find_user(tenant, id)
            .await?
            .ok_or(UserError::NotFound)?;
        let ended = uow.active_sessions(tenant, id, now).await?.len();
        uow.revoke_user_sessions(tenant, id, None, now).await?;
        user.credentials_changed_at = now;
        user.updated_at = now;
        uow.update_user(tenant, &user).await?;
        self.audit(
            uow.as_ref(),
            initiator,
            context,
            "user.sessions_ended",
            &user,
            serde_json::json!({ "ended": ended }),
        )
        .await?;
        uow.commit().await?;
        Ok(())
    }

    /// Deactivates a user (soft delete): they can no longer sign in and their sessions end.
    ///
    /// # Errors
    /// `NotFound`, `LastAdmin`, `Forbidden`.
    pub async fn deactivate(
        &self,
        initiator: &Initiator,
        id: UserId,
        context: &RequestContext,
    ) -> Result<UserSummary, UserError> {
        let changes = UserChanges {
            is_active: Some(false),
            ..UserChanges::default()
        };
        self.update(initiator, id, changes, context).await
    }

    /// Sets a new password (generated when `new_password` is `None`) that must be changed at
    /// the next sign-in; ends the user's sessions and clears any lockout.
    ///
    /// # Errors
    /// `Invalid` when the given password breaks the policy, `NotFound`, `Forbidden`.
    pub async fn reset_password(
        &self,
        initiator: &Initiator,
        id: UserId,
        new_password: Option<String>,
        context: &RequestContext,
    ) -> Result<Option<String>, UserError> {
        initiator.authorize(Action::ManageUsers)?;
        let tenant = initiator.tenant();
        let existing = self
            .database
            .find_user(tenant, id)
            .await?
            .ok_or(UserError::NotFound)?;
        if existing.kind == UserKind::Service {
            return Err(UserError::Invalid(vec![FieldError::new(
                "kind",
                "a service account has no password: give it API keys",
            )]));
        }
        let (hash, generated) = self.new_password(new_password, &existing.email).await?;

        let uow = self.database.begin().await?;
        let mut user = uow
            .find_user(tenant, id)
            .await?
            .ok_or(UserError::NotFound)?;
        let now = self.clock.now();
        user.password_hash = hash;
        user.must_change_password = true;
        user.failed_login_attempts = 0;
        user.locked_until = None;
        user.credentials_changed_at = now;
        user.updated_at = now;
        uow.update_user(tenant, &user).await?;
        uow.revoke_user_sessions(tenant, id, None, now).await?;
        self.audit(
            uow.as_ref(),
            initiator,
            context,
            "user.password_reset",
            &user,
            serde_json::json!({
                "password_generated": generated.is_some(),
            }),
        )
        .await?;
        uow.commit().await?;
        Ok(generated)
    }

    /// Finds a user of the tenant by email (for the command line).
    ///
    /// # Errors
    /// `Invalid` for a malformed email, `NotFound`.
    pub async fn find_by_email(
        &self,
        initiator: &Initiator,
        email: &str,
    ) -> Result<UserSummary, UserError> {
        initiator.authorize(Action::ManageUsers)?;
        let email = Email::parse(email)
            .map_err(|e| UserError::Invalid(vec![FieldError::new("email", e.to_string())]))?;
        let user = self
            .database
            .find_user_by_email(initiator.tenant(), &email)
            .await?
            .ok_or(UserError::NotFound)?;
        Ok(UserSummary::from(&user))
    }

    /// The hash of the password to set: the given one when the policy accepts it, or a
    /// generated one, returned so it can be shown once. Hashing happens before any
    /// transaction opens: it is slow on purpose.
    async fn new_password(
        &self,
        given: Option<String>,
        email: &Email,
    ) -> Result<(String, Option<String>), UserError> {
        if let Some(password) = &given {
            let violations = password::violations(password, email);
            if !violations.is_empty() {
                return Err(UserError::Invalid(password_errors("password", &violations)));
            }
        }
        let generated = given.is_none().then(|| self.secrets.password());
        let plain = given
            .as_deref()
            .or(generated.as_deref())
            .unwrap_or_default();
        let hash = self
            .hasher
            .hash(plain)
            .await
            .map_err(|e| UserError::Unexpected(e.to_string()))?;
        Ok((hash, generated))
    }

    async fn ensure_another_admin(
        &self,
        uow: &dyn UnitOfWork,
        tenant: TenantId,
        except: UserId,
    ) -> Result<(), UserError> {
        if uow
            .count_usable_admins(tenant, Some(except), self.clock.now())
            .await?
            == 0
        {
            return Err(UserError::LastAdmin);
        }
        Ok(())
    }

    async fn audit(
        &self,
        uow: &dyn UnitOfWork,
        initiator: &Initiator,
        context: &RequestContext,
        action: &str,
        user: &User,
        details: serde_json::Value,
    ) -> Result<(), RepositoryError> {
        let change = Change {
            tenant: initiator.tenant(),
            actor: initiator.user_id(),
            action,
            entity_type: "user",
            entity_id: Some(user.id.to_string()),
            details,
        };
        audit_trail::record(self.clock.as_ref(), self.ids.as_ref(), uow, context, change).await
    }
}
