//! The threat actors an organization tracks.

use super::RepositoryError;
use crate::threat_intel::TrackedActor;

/// An organization's tracked actors.
#[async_trait::async_trait]
pub trait TrackedActorRepository: Send + Sync {
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn tracked_actors(
        &self,
        tenant: crate::tenant::TenantId,
    ) -> Result<Vec<TrackedActor>, RepositoryError>;

    /// Tracks an actor, or refreshes what is known of one already tracked.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn save_tracked_actor(
        &self,
        tenant: crate::tenant::TenantId,
        actor: &TrackedActor,
    ) -> Result<(), RepositoryError>;

    /// Whether it was tracked.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn untrack_actor(
        &self,
        tenant: crate::tenant::TenantId,
        actor_stix_id: &str,
    ) -> Result<bool, RepositoryError>;
}
