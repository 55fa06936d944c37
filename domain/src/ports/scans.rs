//! Scans of detection-content diffs: submitted, claimed by a worker under a lease, finished.

use chrono::{DateTime, NaiveDate, Utc};

use super::RepositoryError;
use crate::page::{Page, PageRequest};
use crate::scan::{Decision, Scan, ScanId, ScanStatus};
use crate::tenant::TenantId;

/// Which scans a list shows; every filter is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanFilter {
    pub repository: Option<String>,
    pub decision: Option<Decision>,
    pub status: Option<ScanStatus>,
    /// Submitted on or after this day (UTC).
    pub from: Option<NaiveDate>,
    /// Submitted on or before this day (UTC).
    pub to: Option<NaiveDate>,
}

#[async_trait::async_trait]
pub trait ScanRepository: Send + Sync {
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_scan(&self, tenant: TenantId, scan: &Scan) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_scan(
        &self,
        tenant: TenantId,
        id: ScanId,
    ) -> Result<Option<Scan>, RepositoryError>;

    /// Newest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_scans(
        &self,
        tenant: TenantId,
        filter: &ScanFilter,
        page: PageRequest,
    ) -> Result<Page<Scan>, RepositoryError>;

    /// Scans of every tenant a worker may take now: queued, or running under a lease that
    /// ran out (their worker died), oldest first. The scan job's work.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn due_scans(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<(TenantId, ScanId)>, RepositoryError>;

    /// Takes the scan for one attempt if it is still due at `now`: running, its attempt
    /// counted, held until `until`. Returns the claimed scan, or `None` when another worker
    /// has it or it is finished.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn claim_scan(
        &self,
        tenant: TenantId,
        id: ScanId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<Scan>, RepositoryError>;

    /// Stores the outcome of attempt `attempt` (status, decision, findings, coverage,
    /// artifact, error, lease) if the scan is still running under that attempt: a worker
    /// whose lease ran out and was overtaken writes nothing. Returns whether it was stored.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn save_scan_attempt(
        &self,
        tenant: TenantId,
        scan: &Scan,
        attempt: u32,
    ) -> Result<bool, RepositoryError>;

    /// The tenant's finished scans (completed or error) submitted before `submitted_before`
    /// whose diff is still kept, oldest first, at most `limit`.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn scans_past_retention(
        &self,
        tenant: TenantId,
        submitted_before: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Scan>, RepositoryError>;

    /// Marks the scan's diff deleted at `at`, if it was not already. Returns whether it was
    /// marked now.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn mark_diff_deleted(
        &self,
        tenant: TenantId,
        id: ScanId,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError>;

    /// The queue over every tenant, with the latency histogram over `LATENCY_BUCKETS_MS`.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn scan_queue_stats(&self) -> Result<crate::scan::ScanQueueStats, RepositoryError>;
}
