//! Intelligence items (global, like the catalog) and each organization's reviews of them.

use chrono::{DateTime, Utc};

use super::RepositoryError;
use crate::feed::ImportCounts;
use crate::osint::{IntelEntry, IntelFilter, IntelItem, IntelSummary, KevMapping, KevTechnique};
use crate::page::{Page, PageRequest};
use crate::tenant::TenantId;
use crate::user::UserId;

/// Where intelligence items and the KEV→ATT&CK mapping are kept.
#[async_trait::async_trait]
pub trait OsintRepository: Send + Sync {
    /// Upserts items by URL (one item per URL) with their techniques, in one transaction: an
    /// item whose content is unchanged counts as unchanged.
    ///
    /// # Errors
    /// `Unexpected` on storage failure; nothing is written then.
    async fn apply_items(
        &self,
        entries: &[IntelEntry],
        at: DateTime<Utc>,
    ) -> Result<ImportCounts, RepositoryError>;

    /// Replaces the KEV→ATT&CK mapping and links every stored item to the techniques its CVEs
    /// now lead to, in one transaction. Returns the mapping's counts (links created, removed as
    /// updated, kept as unchanged).
    ///
    /// # Errors
    /// `Unexpected` on storage failure; nothing is written then.
    async fn apply_kev_mapping(
        &self,
        links: &[KevTechnique],
    ) -> Result<ImportCounts, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn kev_mapping(&self) -> Result<KevMapping, RepositoryError>;

    /// Newest first, with the organization's reviews.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_items(
        &self,
        tenant: TenantId,
        filter: &IntelFilter,
        page: PageRequest,
    ) -> Result<Page<IntelItem>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_item(
        &self,
        tenant: TenantId,
        id: uuid::Uuid,
    ) -> Result<Option<IntelItem>, RepositoryError>;

    /// Records the organization's review (the first review is kept).
    ///
    /// # Errors
    /// `NotFound(Entity::IntelItem)` for an unknown item; `Unexpected` on storage failure.
    async fn review_item(
        &self,
        tenant: TenantId,
        id: uuid::Uuid,
        by: UserId,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;

    /// The organization's summary; `since` starts the recent window.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn summary(
        &self,
        tenant: TenantId,
        since: DateTime<Utc>,
    ) -> Result<IntelSummary, RepositoryError>;
}
