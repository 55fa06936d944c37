//! Findings and their remediation.

use super::RepositoryError;
use crate::finding::{Finding, FindingFilter, FindingId};
use crate::page::{Page, PageRequest};
use crate::tenant::TenantId;
use crate::test_case::TestId;

#[async_trait::async_trait]
pub trait FindingRepository: Send + Sync {
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_finding(
        &self,
        tenant: TenantId,
        finding: &Finding,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_finding(
        &self,
        tenant: TenantId,
        id: FindingId,
    ) -> Result<Option<Finding>, RepositoryError>;

    /// Stores `finding` (whose `version` is already the next one) if the stored version is
    /// still `expected_version`.
    ///
    /// # Errors
    /// `StaleVersion { current }` (with the stored version); `NotFound(Entity::Finding)`.
    async fn update_finding(
        &self,
        tenant: TenantId,
        finding: &Finding,
        expected_version: i32,
    ) -> Result<(), RepositoryError>;

    /// Most severe first, then oldest.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_findings(
        &self,
        tenant: TenantId,
        filter: &FindingFilter,
        page: PageRequest,
    ) -> Result<Page<Finding>, RepositoryError>;

    /// Findings opened by `test` or waiting for it as their retest.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn findings_of_test(
        &self,
        tenant: TenantId,
        test: TestId,
    ) -> Result<Vec<Finding>, RepositoryError>;

    /// The vulnerability findings whose scan scope is one of `scopes`, in any status.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn scanned_findings(
        &self,
        tenant: TenantId,
        scopes: &[String],
    ) -> Result<Vec<Finding>, RepositoryError>;
}
