//! Tenants: the organizations one installation serves, and the platform operators who run
//! them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::RepositoryError;
use crate::tenant::{Tenant, TenantId, TenantSlug};
use crate::user::UserId;

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

    /// Replaces the tenant's name and disabled state.
    ///
    /// # Errors
    /// `NotFound(Entity::Tenant)` when it does not exist.
    async fn update_tenant(&self, tenant: &Tenant) -> Result<(), RepositoryError>;

    /// Whether the user (of `tenant`) is a platform operator.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn is_platform_operator(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<bool, RepositoryError>;

    /// Makes the user a platform operator; granting twice is harmless.
    ///
    /// # Errors
    /// `NotFound(Entity::User)` when the user does not exist in the tenant.
    async fn grant_platform_operator(
        &self,
        tenant: TenantId,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;
}
