//! First start: the default tenant and its first admin.

use std::sync::Arc;

use aegis_domain::Role;
use aegis_domain::page::PageRequest;
use aegis_domain::ports::{RepositoryError, UserFilter};
use aegis_domain::tenant::{Tenant, TenantId, TenantSlug};

use crate::audit_trail::{self, Change};
use crate::context::{Initiator, RequestContext};
use crate::ports::{Clock, Database, IdGenerator};
use crate::users::{NewUser, UserError, UserService};

pub const DEFAULT_TENANT_SLUG: &str = "default";

/// The admin created on first start; the password is shown once when it was generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapAdmin {
    pub email: String,
    pub generated_password: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("the bootstrap admin cannot be created: {0}")]
    Admin(#[from] UserError),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for BootstrapError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(error.chain())
    }
}

#[derive(Clone)]
pub struct BootstrapService {
    database: Arc<dyn Database>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    /// Creates the first administrator like any other user.
    users: UserService,
}

impl BootstrapService {
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

    /// The tenant named `slug`, if it exists.
    ///
    /// # Errors
    /// `Unexpected` on storage failure or an invalid slug.
    pub async fn find_tenant(&self, slug: &str) -> Result<Option<Tenant>, BootstrapError> {
        let slug =
            TenantSlug::parse(slug).map_err(|e| BootstrapError::Unexpected(e.to_string()))?;
        Ok(self.database.find_tenant_by_slug(&slug).await?)
    }

    /// The tenant named `slug`, created when missing.
    ///
    /// # Errors
    /// `Unexpected` on storage failure or an invalid slug.
    pub async fn ensure_tenant(&self, slug: &str, name: &str) -> Result<Tenant, BootstrapError> {
        let slug =
            TenantSlug::parse(slug).map_err(|e| BootstrapError::Unexpected(e.to_string()))?;
        if let Some(tenant) = self.database.find_tenant_by_slug(&slug).await? {
            return Ok(tenant);
        }
        let tenant = Tenant {
            id: TenantId::from_uuid(self.ids.new_id()),
            slug,
            name: name.to_owned(),
            created_at: self.clock.now(),
            disabled_at: None,
        };
        let uow = self.database.begin().await?;
        uow.insert_tenant(&tenant).await?;
        let change = Change {
            tenant: tenant.id,
            actor: None,
            action: "tenant.created",
            entity_type: "tenant",
            entity_id: Some(tenant.id.to_string()),
            details: serde_json::json!({ "slug": tenant.slug.as_str(), "name": tenant.name }),
        };
        audit_trail::record(
            self.clock.as_ref(),
            self.ids.as_ref(),
            uow.as_ref(),
            &RequestContext::default(),
            change,
        )
        .await?;
        uow.commit().await?;
        Ok(tenant)
    }

    /// Creates the first admin when the tenant has no users at all; `None` when it has some.
    /// The first admin of the default tenant is also the installation's platform operator,
    /// granted in the same transaction, so a fresh installation can create tenants.
    ///
    /// # Errors
    /// `Admin` when the configured email or password is refused.
    pub async fn ensure_admin(
        &self,
        tenant: &Tenant,
        email: &str,
        password: Option<String>,
    ) -> Result<Option<BootstrapAdmin>, BootstrapError> {
        let existing = self
            .database
            .list_users(tenant.id, &UserFilter::default(), PageRequest::new(1, 1))
            .await?;
        if existing.total > 0 {
            return Ok(None);
        }
        let request = NewUser {
            email: email.to_owned(),
            display_name: Some("Administrator".to_owned()),
            role: Role::Admin.to_string(),
            kind: None,
            password,
        };
        let initiator = Initiator::System { tenant: tenant.id };
        let prepared = self.users.prepare(&request).await?;
        let uow = self.database.begin().await?;
        let (user, generated_password) = self
            .users
            .add(
                uow.as_ref(),
                &initiator,
                prepared,
                &RequestContext::default(),
            )
            .await?;
        if tenant.slug.as_str() == DEFAULT_TENANT_SLUG {
            uow.grant_platform_operator(tenant.id, user.id, self.clock.now())
                .await?;
            let change = Change {
                tenant: tenant.id,
                actor: None,
                action: "platform.operator_granted",
                entity_type: "user",
                entity_id: Some(user.id.to_string()),
                details: serde_json::json!({ "email": user.email.as_str(), "bootstrap": true }),
            };
            audit_trail::record(
                self.clock.as_ref(),
                self.ids.as_ref(),
                uow.as_ref(),
                &RequestContext::default(),
                change,
            )
            .await?;
        }
        uow.commit().await?;
        Ok(Some(BootstrapAdmin {
            email: user.email.as_str().to_owned(),
            generated_password,
        }))
    }
}
