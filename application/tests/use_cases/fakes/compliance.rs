//! In-memory compliance for use-case tests.

use aegis_domain::ports::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::EmptyCatalog;

#[async_trait]
impl aegis_domain::ports::ComplianceRepository for EmptyCatalog {
    async fn apply_framework(
        &self,
        _: &aegis_domain::compliance::Framework,
        mappings: &[aegis_domain::compliance::ControlMapping],
        _: DateTime<Utc>,
    ) -> Result<aegis_domain::feed::ImportCounts, RepositoryError> {
        Ok(aegis_domain::feed::ImportCounts {
            created: mappings.len() as u64,
            ..aegis_domain::feed::ImportCounts::default()
        })
    }
    async fn frameworks(
        &self,
    ) -> Result<Vec<aegis_domain::compliance::FrameworkSummary>, RepositoryError> {
        Ok(Vec::new())
    }
    async fn framework_mappings(
        &self,
        _: &str,
    ) -> Result<
        Option<(
            aegis_domain::compliance::Framework,
            Vec<aegis_domain::compliance::ControlMapping>,
        )>,
        RepositoryError,
    > {
        Ok(None)
    }
}
