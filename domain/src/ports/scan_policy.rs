//! A tenant's scan policy profile and the waivers that let findings through.

use chrono::{DateTime, Utc};

use super::RepositoryError;
use crate::scan_policy::{ScanWaiver, ScanWaiverId, StoredScanPolicy, WaiverKind};
use crate::tenant::TenantId;

#[async_trait::async_trait]
pub trait ScanPolicyRepository: Send + Sync {
    /// The tenant's profile, or `None` while it has never set one (the default applies).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn scan_policy(
        &self,
        tenant: TenantId,
    ) -> Result<Option<StoredScanPolicy>, RepositoryError>;

    /// Replaces the tenant's profile.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn save_scan_policy(
        &self,
        tenant: TenantId,
        policy: &StoredScanPolicy,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Duplicate(Subject::ScanWaiver)` for a second suppression of one fingerprint, a second
    /// exception of one rule and pattern, or a second baseline of one repository;
    /// `Unexpected` on storage failure.
    async fn insert_scan_waiver(
        &self,
        tenant: TenantId,
        waiver: &ScanWaiver,
    ) -> Result<(), RepositoryError>;

    /// The tenant's waivers, newest first: of one kind or all; with the expired ones or only
    /// those active at `now`.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn scan_waivers(
        &self,
        tenant: TenantId,
        kind: Option<WaiverKind>,
        active_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<ScanWaiver>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_scan_waiver(
        &self,
        tenant: TenantId,
        id: ScanWaiverId,
    ) -> Result<Option<ScanWaiver>, RepositoryError>;

    /// Returns whether it existed.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn delete_scan_waiver(
        &self,
        tenant: TenantId,
        id: ScanWaiverId,
    ) -> Result<bool, RepositoryError>;
}
