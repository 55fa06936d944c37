//! Posture snapshots of an organization over time.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::RepositoryError;
use crate::page::{Page, PageRequest};
use crate::tenant::TenantId;

/// Posture snapshots of an organization.
#[async_trait]
pub trait SnapshotRepository: Send + Sync {
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_snapshot(
        &self,
        snapshot: &crate::snapshot::PostureSnapshot,
    ) -> Result<(), RepositoryError>;

    /// Snapshots taken in `[from, to]`, newest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_snapshots(
        &self,
        tenant: TenantId,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        page: PageRequest,
    ) -> Result<Page<crate::snapshot::PostureSnapshot>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_snapshot(
        &self,
        tenant: TenantId,
        id: uuid::Uuid,
    ) -> Result<Option<crate::snapshot::PostureSnapshot>, RepositoryError>;

    /// Returns whether it existed.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn delete_snapshot(
        &self,
        tenant: TenantId,
        id: uuid::Uuid,
    ) -> Result<bool, RepositoryError>;
}
