//! How far the inputs of an organization's derived views have moved, so a view computed
//! once can be served until they move again.

use chrono::{DateTime, Utc};

use super::RepositoryError;
use crate::tenant::TenantId;

/// The versions a derived view was computed at: the organization's own data (tests, scores,
/// campaigns, snapshots, people, tracked actors) and the shared catalog (ATT&CK, rules,
/// countermeasures, intelligence). Each only grows; the storage moves it in the transaction
/// of the change, so a reader that sees the old version cannot see the new data's absence
/// as current, and every instance sees the change at its next read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReadModelVersion {
    pub tenant: i64,
    pub catalog: i64,
    /// When the newer of the two last moved (`None`: never since the installation).
    pub changed_at: Option<DateTime<Utc>>,
}

#[async_trait::async_trait]
pub trait ReadModelRepository: Send + Sync {
    /// The current versions of `tenant`'s views.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn read_model_version(
        &self,
        tenant: TenantId,
    ) -> Result<ReadModelVersion, RepositoryError>;
}
