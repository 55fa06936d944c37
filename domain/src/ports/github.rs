//! The GitHub integration's configuration, its webhook deliveries and its check runs.

use chrono::{DateTime, Utc};

use super::RepositoryError;
use crate::github::{CheckRun, GithubConfig, GithubDelivery};
use crate::scan::ScanId;
use crate::tenant::TenantId;

#[async_trait::async_trait]
pub trait GithubRepository: Send + Sync {
    /// # Errors
    /// `Unexpected` on storage failure (or a stored row that no longer parses).
    async fn github_config(
        &self,
        tenant: TenantId,
    ) -> Result<Option<GithubConfig>, RepositoryError>;

    /// The active configurations of every tenant. A webhook names a repository, not a
    /// tenant: this is how its tenant becomes known (as `find_user_for_login` is for a
    /// sign-in); the caller then proves the tenant with its secret.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn active_github_configs(&self) -> Result<Vec<GithubConfig>, RepositoryError>;

    /// Creates or replaces the tenant's configuration.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn save_github_config(
        &self,
        tenant: TenantId,
        config: &GithubConfig,
    ) -> Result<(), RepositoryError>;

    /// Returns whether there was one.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn delete_github_config(&self, tenant: TenantId) -> Result<bool, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_github_delivery(
        &self,
        tenant: TenantId,
        delivery_id: &str,
    ) -> Result<Option<GithubDelivery>, RepositoryError>;

    /// Records a delivery seen for the first time, or takes over one that failed (a
    /// redelivery of a delivery whose diff could not be fetched).
    ///
    /// # Errors
    /// `Duplicate(Subject::GithubDelivery)` when the tenant already has this delivery id with
    /// another result than `failed` (or another request took the failed one first).
    async fn record_github_delivery(
        &self,
        tenant: TenantId,
        delivery: &GithubDelivery,
    ) -> Result<(), RepositoryError>;

    /// The newest deliveries first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_github_deliveries(
        &self,
        tenant: TenantId,
        limit: u64,
    ) -> Result<Vec<GithubDelivery>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_check_run(
        &self,
        tenant: TenantId,
        check: &CheckRun,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_check_run(
        &self,
        tenant: TenantId,
        scan: ScanId,
    ) -> Result<Option<CheckRun>, RepositoryError>;

    /// Check runs of every tenant that are behind their scan (never sent; queued while the
    /// scan runs or is finished; in progress while it is finished), not abandoned, whose
    /// retry (if any) is due at `now`, oldest first: the `github_checks` job's work.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn open_check_runs(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<CheckRun>, RepositoryError>;

    /// Stores the check run's GitHub id, stage, attempts, retry and error.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn save_check_run(
        &self,
        tenant: TenantId,
        check: &CheckRun,
    ) -> Result<(), RepositoryError>;
}
