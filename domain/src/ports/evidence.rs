//! Evidence files and their chain of custody.

use async_trait::async_trait;

use super::RepositoryError;
use crate::tenant::TenantId;

#[async_trait]
pub trait EvidenceRepository: Send + Sync {
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_evidence(
        &self,
        tenant: TenantId,
        evidence: &crate::evidence::Evidence,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_evidence(
        &self,
        tenant: TenantId,
        id: crate::evidence::EvidenceId,
    ) -> Result<Option<crate::evidence::Evidence>, RepositoryError>;

    /// The test's files, oldest first, deleted ones included.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_evidence(
        &self,
        tenant: TenantId,
        test: crate::test_case::TestId,
    ) -> Result<Vec<crate::evidence::Evidence>, RepositoryError>;

    /// Records the deletion on the row (which is kept, with its custody log).
    ///
    /// # Errors
    /// `NotFound(Entity::Evidence)`.
    async fn mark_evidence_deleted(
        &self,
        tenant: TenantId,
        evidence: &crate::evidence::Evidence,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_custody_event(
        &self,
        tenant: TenantId,
        event: &crate::evidence::CustodyEvent,
    ) -> Result<(), RepositoryError>;

    /// Oldest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn custody_log(
        &self,
        tenant: TenantId,
        evidence: crate::evidence::EvidenceId,
    ) -> Result<Vec<crate::evidence::CustodyEvent>, RepositoryError>;

    /// Records an object the store is about to hold (or still holds) without a live row.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn record_pending_object(
        &self,
        object: &crate::evidence::PendingObject,
    ) -> Result<(), RepositoryError>;

    /// Removes the record of `object_key`; false when there was none (someone else claimed
    /// it first). Whoever claims a record owns what happens to its object.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn claim_pending_object(&self, object_key: &str) -> Result<bool, RepositoryError>;

    /// Records of every tenant made before `recorded_before`, oldest first, at most `limit`.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn pending_objects(
        &self,
        recorded_before: chrono::DateTime<chrono::Utc>,
        limit: u64,
    ) -> Result<Vec<crate::evidence::PendingObject>, RepositoryError>;
}
