//! Attack paths kept by each organization.

use super::RepositoryError;
use crate::attack_path::{AttackPath, AttackPathId};
use crate::page::{Page, PageRequest};
use crate::tenant::TenantId;

#[async_trait::async_trait]
pub trait AttackPathRepository: Send + Sync {
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_attack_path(
        &self,
        tenant: TenantId,
        path: &AttackPath,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_attack_path(
        &self,
        tenant: TenantId,
        id: AttackPathId,
    ) -> Result<Option<AttackPath>, RepositoryError>;

    /// Stores `path` (whose `version` is already the next one) if the stored version is
    /// still `expected_version`.
    ///
    /// # Errors
    /// `StaleVersion { current }` (the stored version) when someone changed it meanwhile;
    /// `NotFound(Entity::AttackPath)`.
    async fn update_attack_path(
        &self,
        tenant: TenantId,
        path: &AttackPath,
        expected_version: i32,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `NotFound(Entity::AttackPath)`.
    async fn delete_attack_path(
        &self,
        tenant: TenantId,
        id: AttackPathId,
    ) -> Result<(), RepositoryError>;

    /// Newest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_attack_paths(
        &self,
        tenant: TenantId,
        page: PageRequest,
    ) -> Result<Page<AttackPath>, RepositoryError>;
}
