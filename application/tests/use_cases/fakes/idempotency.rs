//! In-memory idempotency for use-case tests.

use aegis_domain::ports::*;
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;
use async_trait::async_trait;

use super::{Memory, Slot};

#[async_trait]
impl<S: Slot> IdempotencyRepository for Memory<S> {
    async fn find_idempotency_record(
        &self,
        tenant: TenantId,
        actor: UserId,
        scope: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, RepositoryError> {
        Ok(self.with(|s| {
            s.idempotency
                .iter()
                .find(|r| {
                    r.tenant_id == tenant && r.actor_id == actor && r.scope == scope && r.key == key
                })
                .cloned()
        }))
    }
    async fn insert_idempotency_record(
        &self,
        _tenant: TenantId,
        record: &IdempotencyRecord,
    ) -> Result<(), RepositoryError> {
        self.with(|s| s.idempotency.push(record.clone()));
        Ok(())
    }
}
