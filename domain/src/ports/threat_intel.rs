//! Threat intelligence beyond ATT&CK: STIX bundles merged with the ATT&CK groups.

use super::RepositoryError;
use crate::threat_intel::{IntelActor, IntelCounts};

/// Where intelligence is kept: global, like the catalog.
#[async_trait::async_trait]
pub trait IntelRepository: Send + Sync {
    /// Upserts actors by STIX id in one transaction, each merged into the ATT&CK group with
    /// its STIX id or a shared name or alias, or added as a threat actor of its own.
    ///
    /// # Errors
    /// `Unexpected` on storage failure; nothing is written then.
    async fn apply_intel(
        &self,
        actors: &[IntelActor],
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<IntelCounts, RepositoryError>;

    /// The intelligence merged into a threat actor (by its catalog STIX id).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn intel_for_actor(
        &self,
        actor_stix_id: &str,
    ) -> Result<Vec<IntelActor>, RepositoryError>;
}
