//! Compliance frameworks, their controls and the techniques they map to.

use super::RepositoryError;
use crate::compliance::{ControlMapping, Framework, FrameworkSummary};
use crate::feed::ImportCounts;

/// Where mappings are kept: global, like the catalog.
#[async_trait::async_trait]
pub trait ComplianceRepository: Send + Sync {
    /// Replaces a framework's mappings with these, in one transaction (a re-import of the
    /// same file changes nothing and says so).
    ///
    /// # Errors
    /// `Unexpected` on storage failure; nothing is written then.
    async fn apply_framework(
        &self,
        framework: &Framework,
        mappings: &[ControlMapping],
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<ImportCounts, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn frameworks(&self) -> Result<Vec<FrameworkSummary>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn framework_mappings(
        &self,
        id: &str,
    ) -> Result<Option<(Framework, Vec<ControlMapping>)>, RepositoryError>;
}
