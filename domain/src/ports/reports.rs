//! Generated reports and their queue.

use super::RepositoryError;
use crate::page::{Page, PageRequest};
use crate::report::{Report, ReportId};
use crate::tenant::TenantId;

#[async_trait::async_trait]
pub trait ReportRepository: Send + Sync {
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_report(&self, report: &Report) -> Result<(), RepositoryError>;

    /// # Errors
    /// `NotFound(Entity::Report)`.
    async fn update_report(&self, report: &Report) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_report(
        &self,
        tenant: TenantId,
        id: ReportId,
    ) -> Result<Option<Report>, RepositoryError>;

    /// Newest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_reports(
        &self,
        tenant: TenantId,
        page: PageRequest,
    ) -> Result<Page<Report>, RepositoryError>;

    /// Reports waiting to be generated, in every organization, oldest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn queued_reports(&self, limit: u64) -> Result<Vec<Report>, RepositoryError>;
}
