//! D3FEND countermeasures per technique.

use crate::detection::{Countermeasure, ImportCounts};

/// Where D3FEND countermeasures are kept: global, like the catalog.
#[async_trait::async_trait]
pub trait CountermeasureRepository: Send + Sync {
    /// Upserts by D3FEND id in one transaction; a countermeasure's technique links are
    /// replaced by this import's.
    ///
    /// # Errors
    /// `Unexpected` on storage failure; nothing is written then.
    async fn apply_countermeasures(
        &self,
        countermeasures: &[Countermeasure],
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<ImportCounts, crate::ports::RepositoryError>;

    /// The countermeasures of exactly this technique id, by D3FEND tactic and name.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn countermeasures_for_technique(
        &self,
        technique: &str,
    ) -> Result<Vec<Countermeasure>, crate::ports::RepositoryError>;

    /// Countermeasures per technique id, for the heatmap.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn countermeasure_counts(
        &self,
    ) -> Result<std::collections::HashMap<String, u32>, crate::ports::RepositoryError>;
}
