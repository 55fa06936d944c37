//! In-memory tenants for use-case tests.

use aegis_domain::audit::GENESIS_HASH;
use aegis_domain::ports::*;
use aegis_domain::tenant::{AuditHead, Tenant, TenantId, TenantSlug};
use aegis_domain::user::UserId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Memory, Slot};

#[async_trait]
impl<S: Slot> TenantRepository for Memory<S> {
    async fn find_tenant(&self, tenant: TenantId) -> Result<Option<Tenant>, RepositoryError> {
        Ok(self.with(|s| s.tenants.iter().find(|t| t.id == tenant).cloned()))
    }
    async fn find_tenant_by_slug(
        &self,
        slug: &TenantSlug,
    ) -> Result<Option<Tenant>, RepositoryError> {
        Ok(self.with(|s| s.tenants.iter().find(|t| &t.slug == slug).cloned()))
    }
    async fn list_tenants(&self) -> Result<Vec<Tenant>, RepositoryError> {
        Ok(self.with(|s| s.tenants.clone()))
    }
    async fn insert_tenant(&self, tenant: &Tenant) -> Result<(), RepositoryError> {
        self.with(|s| {
            s.tenants.push(tenant.clone());
            s.heads.push((
                tenant.id,
                AuditHead {
                    sequence: 0,
                    hash: GENESIS_HASH.to_owned(),
                },
            ));
        });
        Ok(())
    }
    async fn update_tenant(&self, tenant: &Tenant) -> Result<(), RepositoryError> {
        self.with(|s| match s.tenants.iter_mut().find(|t| t.id == tenant.id) {
            Some(stored) => {
                stored.name.clone_from(&tenant.name);
                stored.disabled_at = tenant.disabled_at;
                Ok(())
            }
            None => Err(RepositoryError::NotFound(Entity::Tenant)),
        })
    }
    async fn is_platform_operator(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<bool, RepositoryError> {
        Ok(self.with(|s| s.operators.contains(&(tenant, user))))
    }
    async fn grant_platform_operator(
        &self,
        tenant: TenantId,
        user: UserId,
        _at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            if !s
                .users
                .iter()
                .any(|u| u.id == user && u.tenant_id == tenant)
            {
                return Err(RepositoryError::NotFound(Entity::User));
            }
            if !s.operators.contains(&(tenant, user)) {
                s.operators.push((tenant, user));
            }
            Ok(())
        })
    }
}
