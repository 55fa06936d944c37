//! In-memory snapshots for use-case tests.

use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::*;
use aegis_domain::tenant::TenantId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Memory, Slot};

#[async_trait]
impl<S: Slot> SnapshotRepository for Memory<S> {
    async fn insert_snapshot(
        &self,
        snapshot: &aegis_domain::snapshot::PostureSnapshot,
    ) -> Result<(), RepositoryError> {
        self.with(|s| s.snapshots.push(snapshot.clone()));
        Ok(())
    }
    async fn list_snapshots(
        &self,
        tenant: TenantId,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        page: PageRequest,
    ) -> Result<Page<aegis_domain::snapshot::PostureSnapshot>, RepositoryError> {
        let mut items: Vec<_> = self.with(|s| {
            s.snapshots
                .iter()
                .filter(|x| x.tenant_id == tenant)
                .filter(|x| from.is_none_or(|f| x.taken_at >= f))
                .filter(|x| to.is_none_or(|t| x.taken_at <= t))
                .cloned()
                .collect()
        });
        items.reverse();
        Ok(Page {
            total: items.len() as u64,
            items,
            request: page,
        })
    }
    async fn find_snapshot(
        &self,
        tenant: TenantId,
        id: uuid::Uuid,
    ) -> Result<Option<aegis_domain::snapshot::PostureSnapshot>, RepositoryError> {
        Ok(self.with(|s| {
            s.snapshots
                .iter()
                .find(|x| x.tenant_id == tenant && x.id == id)
                .cloned()
        }))
    }
    async fn delete_snapshot(
        &self,
        tenant: TenantId,
        id: uuid::Uuid,
    ) -> Result<bool, RepositoryError> {
        Ok(self.with(|s| {
            let before = s.snapshots.len();
            s.snapshots
                .retain(|x| !(x.tenant_id == tenant && x.id == id));
            s.snapshots.len() < before
        }))
    }
}
