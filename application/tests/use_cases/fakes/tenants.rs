//! In-memory tenants for use-case tests.

use aegis_domain::audit::GENESIS_HASH;
use aegis_domain::ports::*;
use aegis_domain::tenant::{AuditHead, Tenant, TenantId, TenantSlug};
use async_trait::async_trait;

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
}
