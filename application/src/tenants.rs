//! Tenants an operator runs: platform operators create, list, disable and enable tenants
//! (creating one creates its first admin in the same transaction); a tenant's admin reads
//! and renames their own tenant.
//!
//! A platform operator is a user of some tenant marked in `platform_operators`, not a tenant
//! role: the permission matrix of tenant roles stays as it is, and an operator acts on other
//! tenants only through this room, never through their data.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use aegis_domain::Role;
use aegis_domain::permission::Action;
use aegis_domain::ports::{RepositoryError, Subject};
use aegis_domain::tenant::{Tenant, TenantId, TenantSlug, parse_tenant_name};
use aegis_domain::user::Email;

use crate::audit_trail::{self, Change};
use crate::context::{Actor, Forbidden, Initiator, RequestContext};
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::idempotency::{IdempotencyKey, IdempotentRequest, Prior, fingerprint};
use crate::ports::{Clock, Database, IdGenerator, UnitOfWork};
use crate::users::{NewUser, UserError, UserService, UserSummary};

/// What an operator asks for when creating a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTenant {
    pub slug: String,
    pub name: String,
    pub admin_email: String,
    /// The first admin's password; generated (and shown once) when absent.
    pub admin_password: Option<String>,
}

/// A tenant as operators and its admins see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantSummary {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// `active` or `disabled`.
    pub status: &'static str,
}

impl From<&Tenant> for TenantSummary {
    fn from(tenant: &Tenant) -> Self {
        Self {
            id: tenant.id.as_uuid(),
            slug: tenant.slug.as_str().to_owned(),
            name: tenant.name.clone(),
            created_at: tenant.created_at,
            disabled_at: tenant.disabled_at,
            status: if tenant.is_disabled() {
                "disabled"
            } else {
                "active"
            },
        }
    }
}

/// A new tenant and its first admin; the generated password is shown once.
#[derive(Debug, Clone, PartialEq)]
pub struct CreatedTenant {
    pub tenant: TenantSummary,
    pub admin: UserSummary,
    pub generated_password: Option<String>,
    /// An earlier request's tenant, given again for the same `Idempotency-Key` (its
    /// generated password is not kept, so it is not shown again).
    pub replayed: bool,
}

/// What an `Idempotency-Key` remembers of a tenant's creation: the ids, never a password.
#[derive(Serialize, Deserialize)]
struct CreatedIds {
    tenant_id: Uuid,
    admin_id: Uuid,
}

/// Changes a tenant's admin may make to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantChanges {
    pub name: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("only a platform operator, signed in, may manage tenants")]
    NotOperator,
    #[error("invalid tenant data")]
    Invalid(Vec<FieldError>),
    #[error("tenant not found")]
    NotFound,
    #[error("a tenant with this slug already exists")]
    SlugTaken,
    #[error("a user with this email already exists")]
    EmailTaken,
    #[error("an operator cannot disable their own tenant: they would lock themselves out")]
    OwnTenant,
    #[error("the Idempotency-Key was used with another payload")]
    IdempotencyConflict,
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for TenantError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::Duplicate(Subject::TenantSlug) => Self::SlugTaken,
            RepositoryError::Duplicate(Subject::Email) => Self::EmailTaken,
            RepositoryError::NotFound(_) => Self::NotFound,
            other => Self::Unexpected(unexpected(&other)),
        }
    }
}

impl Classified for TenantError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) | Self::NotOperator => ErrorKind::Forbidden,
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::NotFound => ErrorKind::NotFound,
            Self::SlugTaken | Self::EmailTaken | Self::OwnTenant | Self::IdempotencyConflict => {
                ErrorKind::Conflict
            }
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotOperator => "PLATFORM_OPERATOR_REQUIRED",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::NotFound => "TENANT_NOT_FOUND",
            Self::SlugTaken => "TENANT_SLUG_TAKEN",
            Self::EmailTaken => "EMAIL_TAKEN",
            Self::OwnTenant => "OWN_TENANT",
            Self::IdempotencyConflict => "IDEMPOTENCY_KEY_REUSED",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

/// The first admin's errors, named as the tenant request names its fields.
fn admin_error(error: UserError) -> TenantError {
    match error {
        UserError::Invalid(fields) => TenantError::Invalid(
            fields
                .into_iter()
                .map(|f| FieldError::new(format!("admin_{}", f.field), f.message))
                .collect(),
        ),
        UserError::EmailTaken => TenantError::EmailTaken,
        UserError::Forbidden(forbidden) => TenantError::Forbidden(forbidden),
        other => TenantError::Unexpected(other.to_string()),
    }
}

#[derive(Clone)]
pub struct TenantService {
    database: Arc<dyn Database>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    /// Creates a new tenant's first admin like any other user.
    users: UserService,
}

impl TenantService {
    pub fn new(
        database: Arc<dyn Database>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        users: UserService,
    ) -> Self {
        Self {
            database,
            clock,
            ids,
            users,
        }
    }

    /// Every tenant, by slug.
    ///
    /// # Errors
    /// `NotOperator` unless the initiator operates the platform.
    pub async fn list(&self, initiator: &Initiator) -> Result<Vec<TenantSummary>, TenantError> {
        self.ensure_operator(initiator).await?;
        let tenants = self.database.list_tenants().await?;
        Ok(tenants.iter().map(TenantSummary::from).collect())
    }

    /// # Errors
    /// `NotOperator`, `NotFound`.
    pub async fn get(&self, initiator: &Initiator, id: Uuid) -> Result<TenantSummary, TenantError> {
        self.ensure_operator(initiator).await?;
        let tenant = self
            .database
            .find_tenant(TenantId::from_uuid(id))
            .await?
            .ok_or(TenantError::NotFound)?;
        Ok(TenantSummary::from(&tenant))
    }

    /// The tenant of this slug (the command line names tenants by slug).
    ///
    /// # Errors
    /// `NotOperator`, `NotFound` (also for a malformed slug).
    pub async fn get_by_slug(
        &self,
        initiator: &Initiator,
        slug: &str,
    ) -> Result<TenantSummary, TenantError> {
        self.ensure_operator(initiator).await?;
        let slug = TenantSlug::parse(slug).map_err(|_| TenantError::NotFound)?;
        let tenant = self
            .database
            .find_tenant_by_slug(&slug)
            .await?
            .ok_or(TenantError::NotFound)?;
        Ok(TenantSummary::from(&tenant))
    }

    /// Creates a tenant and its first admin (who must change the password at first sign-in)
    /// in one transaction, audited in the new tenant and in the operator's.
    ///
    /// # Errors
    /// `NotOperator`, `Invalid` naming `slug`, `name`, `admin_email` or `admin_password`,
    /// `SlugTaken`, `EmailTaken`.
    pub async fn create(
        &self,
        initiator: &Initiator,
        request: NewTenant,
        key: Option<&IdempotencyKey>,
        context: &RequestContext,
    ) -> Result<CreatedTenant, TenantError> {
        self.ensure_operator(initiator).await?;
        // The password is left out of the fingerprint: its hash would be kept unsalted.
        let idempotent = match (key, initiator) {
            (Some(key), Initiator::User(operator)) => Some(IdempotentRequest {
                tenant: operator.tenant_id,
                actor: operator.user_id,
                scope: "platform.tenants.create",
                key,
                fingerprint: fingerprint(&serde_json::json!({
                    "slug": request.slug.trim(),
                    "name": request.name.trim(),
                    "admin_email": request.admin_email.trim().to_lowercase(),
                    "admin_password_given": request.admin_password.is_some(),
                })),
            }),
            _ => None,
        };
        let mut fields = Vec::new();
        let slug = TenantSlug::parse(request.slug.trim())
            .map_err(|e| fields.push(FieldError::new("slug", e.to_string())))
            .ok();
        let name = parse_tenant_name(&request.name)
            .map_err(|e| fields.push(FieldError::new("name", e.to_string())))
            .ok();
        let admin = NewUser {
            email: request.admin_email.clone(),
            display_name: Some("Administrator".to_owned()),
            role: Role::Admin.to_string(),
            kind: None,
            password: request.admin_password.clone(),
        };
        // The admin's fields are checked (and the password hashed) only when the tenant's
        // are valid: hashing is slow on purpose.
        let (Some(slug), Some(name), true) = (slug, name, fields.is_empty()) else {
            if Email::parse(&request.admin_email).is_err() {
                fields.push(FieldError::new(
                    "admin_email",
                    "is not a valid email address",
                ));
            }
            return Err(TenantError::Invalid(fields));
        };
        let prepared = self.users.prepare(&admin).await.map_err(admin_error)?;
        let now = self.clock.now();
        let tenant = Tenant {
            id: TenantId::from_uuid(self.ids.new_id()),
            slug,
            name,
            created_at: now,
            disabled_at: None,
        };

        let uow = self.database.begin().await?;
        if let Some(idempotent) = &idempotent {
            match idempotent.prior::<CreatedIds>(uow.as_ref()).await? {
                Prior::Replay(ids) => return replay(uow.as_ref(), &ids).await,
                Prior::Conflict => return Err(TenantError::IdempotencyConflict),
                Prior::None => {}
            }
        }
        if uow.find_tenant_by_slug(&tenant.slug).await?.is_some() {
            return Err(TenantError::SlugTaken);
        }
        uow.insert_tenant(&tenant).await?;
        let details = serde_json::json!({
            "slug": tenant.slug.as_str(),
            "name": tenant.name,
            "operator": operator_email(initiator),
        });
        self.audit_in_tenant(uow.as_ref(), &tenant, context, "tenant.created", &details)
            .await?;
        let (user, generated_password) = self
            .users
            .add(
                uow.as_ref(),
                &Initiator::System { tenant: tenant.id },
                prepared,
                context,
            )
            .await
            .map_err(admin_error)?;
        let details = serde_json::json!({
            "slug": tenant.slug.as_str(),
            "name": tenant.name,
            "admin_email": user.email.as_str(),
            "password_generated": generated_password.is_some(),
        });
        self.audit_by_operator(
            uow.as_ref(),
            initiator,
            &tenant,
            context,
            "platform.tenant_created",
            details,
        )
        .await?;
        if let Some(idempotent) = &idempotent {
            let ids = CreatedIds {
                tenant_id: tenant.id.as_uuid(),
                admin_id: user.id.as_uuid(),
            };
            idempotent.remember(uow.as_ref(), &ids, now).await?;
        }
        uow.commit().await?;
        Ok(CreatedTenant {
            tenant: TenantSummary::from(&tenant),
            admin: UserSummary::from(&user),
            generated_password,
            replayed: false,
        })
    }

    /// Disables a tenant: its users cannot sign in, refresh or use API keys until it is
    /// enabled again; nothing of it is deleted. Disabling a disabled tenant changes nothing.
    ///
    /// # Errors
    /// `NotOperator`, `NotFound`, `OwnTenant` for the operator's own tenant.
    pub async fn disable(
        &self,
        initiator: &Initiator,
        id: Uuid,
        context: &RequestContext,
    ) -> Result<TenantSummary, TenantError> {
        self.set_disabled(initiator, id, true, context).await
    }

    /// Enables a disabled tenant: its users sign in again with what they had.
    ///
    /// # Errors
    /// `NotOperator`, `NotFound`.
    pub async fn enable(
        &self,
        initiator: &Initiator,
        id: Uuid,
        context: &RequestContext,
    ) -> Result<TenantSummary, TenantError> {
        self.set_disabled(initiator, id, false, context).await
    }

    async fn set_disabled(
        &self,
        initiator: &Initiator,
        id: Uuid,
        disabled: bool,
        context: &RequestContext,
    ) -> Result<TenantSummary, TenantError> {
        self.ensure_operator(initiator).await?;
        let id = TenantId::from_uuid(id);
        if disabled && matches!(initiator, Initiator::User(actor) if actor.tenant_id == id) {
            return Err(TenantError::OwnTenant);
        }
        let uow = self.database.begin().await?;
        let mut tenant = uow.find_tenant(id).await?.ok_or(TenantError::NotFound)?;
        if tenant.is_disabled() == disabled {
            return Ok(TenantSummary::from(&tenant));
        }
        tenant.disabled_at = disabled.then(|| self.clock.now());
        uow.update_tenant(&tenant).await?;
        let (action, by_operator) = if disabled {
            ("tenant.disabled", "platform.tenant_disabled")
        } else {
            ("tenant.enabled", "platform.tenant_enabled")
        };
        let details = serde_json::json!({ "operator": operator_email(initiator) });
        self.audit_in_tenant(uow.as_ref(), &tenant, context, action, &details)
            .await?;
        let details = serde_json::json!({ "slug": tenant.slug.as_str() });
        self.audit_by_operator(
            uow.as_ref(),
            initiator,
            &tenant,
            context,
            by_operator,
            details,
        )
        .await?;
        uow.commit().await?;
        Ok(TenantSummary::from(&tenant))
    }

    /// Makes the user with this email (in any tenant) a platform operator.
    ///
    /// # Errors
    /// `NotOperator`, `Invalid` for a malformed email, `NotFound` for an unknown user.
    pub async fn grant_operator(
        &self,
        initiator: &Initiator,
        email: &str,
        context: &RequestContext,
    ) -> Result<UserSummary, TenantError> {
        self.ensure_operator(initiator).await?;
        let email = Email::parse(email)
            .map_err(|e| TenantError::Invalid(vec![FieldError::new("email", e.to_string())]))?;
        let uow = self.database.begin().await?;
        let user = uow
            .find_user_for_login(&email)
            .await?
            .ok_or(TenantError::NotFound)?;
        uow.grant_platform_operator(user.tenant_id, user.id, self.clock.now())
            .await?;
        let change = Change {
            tenant: user.tenant_id,
            actor: initiator
                .user_id()
                .filter(|_| initiator.tenant() == user.tenant_id),
            action: "platform.operator_granted",
            entity_type: "user",
            entity_id: Some(user.id.to_string()),
            details: serde_json::json!({
                "email": user.email.as_str(),
                "operator": operator_email(initiator),
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
        Ok(UserSummary::from(&user))
    }

    /// Whether the actor operates the platform (the web UI shows the tenants page then).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    pub async fn is_operator(&self, actor: &Actor) -> Result<bool, TenantError> {
        Ok(actor.is_interactive()
            && self
                .database
                .is_platform_operator(actor.tenant_id, actor.user_id)
                .await?)
    }

    /// The caller's own tenant.
    ///
    /// # Errors
    /// `Forbidden` for an actor that may not read their account.
    pub async fn current(&self, actor: &Actor) -> Result<TenantSummary, TenantError> {
        actor.authorize(Action::ReadOwnAccount)?;
        let tenant = self
            .database
            .find_tenant(actor.tenant_id)
            .await?
            .ok_or(TenantError::NotFound)?;
        Ok(TenantSummary::from(&tenant))
    }

    /// Renames the caller's tenant (admins).
    ///
    /// # Errors
    /// `Forbidden` unless the role manages the system, `Invalid` naming `name`.
    pub async fn update_current(
        &self,
        actor: &Actor,
        changes: TenantChanges,
        context: &RequestContext,
    ) -> Result<TenantSummary, TenantError> {
        actor.authorize(Action::ManageSystem)?;
        let name = changes
            .name
            .as_deref()
            .map(parse_tenant_name)
            .transpose()
            .map_err(|e| TenantError::Invalid(vec![FieldError::new("name", e.to_string())]))?;
        let uow = self.database.begin().await?;
        let mut tenant = uow
            .find_tenant(actor.tenant_id)
            .await?
            .ok_or(TenantError::NotFound)?;
        let Some(name) = name.filter(|name| *name != tenant.name) else {
            return Ok(TenantSummary::from(&tenant));
        };
        let previous = std::mem::replace(&mut tenant.name, name);
        uow.update_tenant(&tenant).await?;
        let change = Change {
            tenant: tenant.id,
            actor: Some(actor.user_id),
            action: "tenant.updated",
            entity_type: "tenant",
            entity_id: Some(tenant.id.to_string()),
            details: serde_json::json!({ "name": { "from": previous, "to": tenant.name } }),
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
        Ok(TenantSummary::from(&tenant))
    }

    /// The command line (the installation's operator at the console) may do anything; a
    /// user must be a platform operator signed in interactively: API keys never run the
    /// platform.
    async fn ensure_operator(&self, initiator: &Initiator) -> Result<(), TenantError> {
        match initiator {
            Initiator::System { .. } => Ok(()),
            Initiator::User(actor) => {
                if self.is_operator(actor).await? {
                    Ok(())
                } else {
                    Err(TenantError::NotOperator)
                }
            }
        }
    }

    /// An entry in the chain of the tenant acted upon: without an actor (the operator is a
    /// user of another tenant), naming the operator in its details.
    async fn audit_in_tenant(
        &self,
        uow: &dyn UnitOfWork,
        tenant: &Tenant,
        context: &RequestContext,
        action: &str,
        details: &serde_json::Value,
    ) -> Result<(), RepositoryError> {
        let change = Change {
            tenant: tenant.id,
            actor: None,
            action,
            entity_type: "tenant",
            entity_id: Some(tenant.id.to_string()),
            details: details.clone(),
        };
        audit_trail::record(self.clock.as_ref(), self.ids.as_ref(), uow, context, change).await
    }

    /// An entry in the operator's own tenant, so an operator's acts are in their chain too.
    /// The command line has no tenant of its own: its acts are in the target's chain only.
    async fn audit_by_operator(
        &self,
        uow: &dyn UnitOfWork,
        initiator: &Initiator,
        tenant: &Tenant,
        context: &RequestContext,
        action: &str,
        details: serde_json::Value,
    ) -> Result<(), RepositoryError> {
        let Initiator::User(actor) = initiator else {
            return Ok(());
        };
        let change = Change {
            tenant: actor.tenant_id,
            actor: Some(actor.user_id),
            action,
            entity_type: "tenant",
            entity_id: Some(tenant.id.to_string()),
            details,
        };
        audit_trail::record(self.clock.as_ref(), self.ids.as_ref(), uow, context, change).await
    }
}

fn operator_email(initiator: &Initiator) -> Option<String> {
    match initiator {
        Initiator::User(actor) => Some(actor.email.as_str().to_owned()),
        Initiator::System { .. } => None,
    }
}

/// The tenant and admin an earlier request with the same key created, as they are now.
async fn replay(uow: &dyn UnitOfWork, ids: &CreatedIds) -> Result<CreatedTenant, TenantError> {
    let tenant_id = TenantId::from_uuid(ids.tenant_id);
    let tenant = uow
        .find_tenant(tenant_id)
        .await?
        .ok_or(TenantError::NotFound)?;
    let admin = uow
        .find_user(
            tenant_id,
            aegis_domain::user::UserId::from_uuid(ids.admin_id),
        )
        .await?
        .ok_or(TenantError::NotFound)?;
    Ok(CreatedTenant {
        tenant: TenantSummary::from(&tenant),
        admin: UserSummary::from(&admin),
        generated_password: None,
        replayed: true,
    })
}
