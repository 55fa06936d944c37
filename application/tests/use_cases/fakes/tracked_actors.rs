//! In-memory tracked actors for use-case tests.

use aegis_domain::ports::*;
use aegis_domain::tenant::TenantId;
use async_trait::async_trait;

use super::EmptyCatalog;

#[async_trait]
impl aegis_domain::ports::TrackedActorRepository for EmptyCatalog {
    async fn tracked_actors(
        &self,
        _: TenantId,
    ) -> Result<Vec<aegis_domain::threat_intel::TrackedActor>, RepositoryError> {
        Ok(Vec::new())
    }
    async fn save_tracked_actor(
        &self,
        _: TenantId,
        _: &aegis_domain::threat_intel::TrackedActor,
    ) -> Result<(), RepositoryError> {
        Ok(())
    }
    async fn untrack_actor(&self, _: TenantId, _: &str) -> Result<bool, RepositoryError> {
        Ok(false)
    }
}
