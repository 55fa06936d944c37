//! Tenants: the organizations one installation serves.

use async_trait::async_trait;

use super::RepositoryError;
use crate::tenant::{Tenant, TenantId, TenantSlug};

#[async_trait]
pub trait TenantRepository: Send + Sync {
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_tenant(&self, tenant: TenantId) -> Result<Option<Tenant>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_tenant_by_slug(
        &self,
        slug: &TenantSlug,
    ) -> Result<Option<Tenant>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_tenants(&self) -> Result<Vec<Tenant>, RepositoryError>;

    /// # Errors
    /// `Duplicate(Subject::TenantSlug)` when the slug is taken.
    async fn insert_tenant(&self, tenant: &Tenant) -> Result<(), RepositoryError>;
}
