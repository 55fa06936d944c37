//! In-memory threat intel for use-case tests.

use aegis_domain::ports::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::EmptyCatalog;

#[async_trait]
impl aegis_domain::ports::IntelRepository for EmptyCatalog {
    async fn apply_intel(
        &self,
        actors: &[aegis_domain::threat_intel::IntelActor],
        _: DateTime<Utc>,
    ) -> Result<aegis_domain::threat_intel::IntelCounts, RepositoryError> {
        let mut counts = aegis_domain::threat_intel::IntelCounts::default();
        counts.actors.created = actors.len() as u64;
        Ok(counts)
    }
    async fn intel_for_actor(
        &self,
        _: &str,
    ) -> Result<Vec<aegis_domain::threat_intel::IntelActor>, RepositoryError> {
        Ok(Vec::new())
    }
}
