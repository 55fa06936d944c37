//! In-memory read-model versions: a digest of the organization's data the derived views
//! read, so the version moves whenever that data does, as the storage's counter does.

use std::hash::{DefaultHasher, Hash, Hasher};

use aegis_domain::ports::*;
use aegis_domain::tenant::TenantId;
use async_trait::async_trait;

use super::{Memory, Slot};

#[async_trait]
impl<S: Slot> ReadModelRepository for Memory<S> {
    async fn read_model_version(
        &self,
        tenant: TenantId,
    ) -> Result<ReadModelVersion, RepositoryError> {
        let digest = self.with(|s| {
            let mut hasher = DefaultHasher::new();
            format!(
                "{:?}{:?}{:?}{:?}{:?}",
                s.tests
                    .iter()
                    .filter(|t| t.tenant_id == tenant)
                    .collect::<Vec<_>>(),
                s.scores
                    .iter()
                    .filter(|(t, _)| *t == tenant)
                    .collect::<Vec<_>>(),
                s.campaigns
                    .iter()
                    .filter(|c| c.tenant_id == tenant)
                    .collect::<Vec<_>>(),
                s.snapshots
                    .iter()
                    .filter(|p| p.tenant_id == tenant)
                    .collect::<Vec<_>>(),
                s.users
                    .iter()
                    .filter(|u| u.tenant_id == tenant)
                    .collect::<Vec<_>>(),
            )
            .hash(&mut hasher);
            hasher.finish()
        });
        Ok(ReadModelVersion {
            tenant: i64::from_ne_bytes(digest.to_ne_bytes()),
            catalog: 0,
            changed_at: None,
        })
    }
}
