//! In-memory countermeasures for use-case tests.

use aegis_domain::ports::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::EmptyCatalog;

#[async_trait]
impl aegis_domain::ports::CountermeasureRepository for EmptyCatalog {
    async fn apply_countermeasures(
        &self,
        items: &[aegis_domain::detection::Countermeasure],
        _: DateTime<Utc>,
    ) -> Result<aegis_domain::detection::ImportCounts, RepositoryError> {
        Ok(aegis_domain::detection::ImportCounts {
            created: items.len() as u64,
            ..aegis_domain::detection::ImportCounts::default()
        })
    }
    async fn countermeasures_for_technique(
        &self,
        _: &str,
    ) -> Result<Vec<aegis_domain::detection::Countermeasure>, RepositoryError> {
        Ok(Vec::new())
    }
    async fn countermeasure_counts(
        &self,
    ) -> Result<std::collections::HashMap<String, u32>, RepositoryError> {
        Ok(std::collections::HashMap::new())
    }
}
