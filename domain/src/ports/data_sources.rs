//! The data-source registry: where each public feed comes from.

use super::RepositoryError;
use crate::data_source::DataSource;

/// Where the registry is kept: global, like the catalog.
#[async_trait::async_trait]
pub trait DataSourceRepository: Send + Sync {
    /// The configured sources (those never configured are absent).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn data_sources(&self) -> Result<Vec<DataSource>, RepositoryError>;

    /// Stores a source whole.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn save_data_source(&self, source: &DataSource) -> Result<(), RepositoryError>;
}
