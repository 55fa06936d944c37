//! Stored outcomes of create requests made with an `Idempotency-Key`.

use aegis_domain::ports::IdempotencyRepository;
use aegis_domain::ports::Subject;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

use aegis_domain::ports::{IdempotencyRecord, RepositoryError};
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;

use super::entities::idempotency_key;
use super::error::{on_write, unexpected};

use async_trait::async_trait;

use super::{Connection, SeaStore};

pub(crate) async fn find(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    actor: UserId,
    scope: &str,
    key: &str,
) -> Result<Option<IdempotencyRecord>, RepositoryError> {
    let id = (
        tenant.as_uuid(),
        actor.as_uuid(),
        scope.to_owned(),
        key.to_owned(),
    );
    let row = idempotency_key::Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(unexpected)?;
    Ok(row.map(|row| IdempotencyRecord {
        tenant_id: TenantId::from_uuid(row.tenant_id),
        actor_id: UserId::from_uuid(row.actor_id),
        scope: row.scope,
        key: row.key,
        fingerprint: row.fingerprint,
        response: row.response,
        created_at: row.created_at,
    }))
}

pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    record: &IdempotencyRecord,
) -> Result<(), RepositoryError> {
    let row = idempotency_key::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        actor_id: Set(record.actor_id.as_uuid()),
        scope: Set(record.scope.clone()),
        key: Set(record.key.clone()),
        fingerprint: Set(record.fingerprint.clone()),
        response: Set(record.response.clone()),
        created_at: Set(record.created_at),
    };
    idempotency_key::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map_err(on_write(Subject::IdempotencyKey))?;
    Ok(())
}

#[async_trait]
impl<C: Connection> IdempotencyRepository for SeaStore<C> {
    async fn find_idempotency_record(
        &self,
        tenant: TenantId,
        actor: UserId,
        scope: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, RepositoryError> {
        find(self.conn(), tenant, actor, scope, key).await
    }
    async fn insert_idempotency_record(
        &self,
        tenant: TenantId,
        record: &IdempotencyRecord,
    ) -> Result<(), RepositoryError> {
        insert(self.conn(), tenant, record).await
    }
}
