//! The audit log: appends, filtered pages, and the chain in batches for verification.

use aegis_domain::ports::AuditLogRepository;
use aegis_domain::ports::Entity;
use aegis_domain::ports::Subject;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use aegis_domain::audit::{AuditEntry, AuditEntryId, AuditRecord};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::{AuditFilter, RepositoryError};
use aegis_domain::tenant::{AuditHead, TenantId};
use aegis_domain::user::UserId;

use super::entities::audit_entry;
use super::error::{on_write, unexpected};
use super::tenants;

use async_trait::async_trait;

use super::{Connection, SeaStore};

fn to_domain(row: audit_entry::Model) -> AuditEntry {
    let record = AuditRecord::restore(
        TenantId::from_uuid(row.tenant_id),
        row.actor_id.map(UserId::from_uuid),
        row.action,
        row.entity_type,
        row.entity_id,
        row.details,
        row.request_id,
        row.client_ip,
        row.occurred_at,
    );
    AuditEntry {
        id: AuditEntryId::from_uuid(row.id),
        sequence: row.sequence,
        previous_hash: row.previous_hash,
        hash: row.hash,
        record,
    }
}

/// Moves the head from `entry`'s predecessor to `entry`, then stores the entry.
///
/// The head moves only if it still is the predecessor the entry was chained to (a
/// compare-and-swap on sequence and hash), so a stale, skipped or forked head is refused even
/// by a caller that did not lock it; the unique `(tenant_id, sequence)` index is the second
/// guard. Moving the head first means a refusal writes nothing, even outside a transaction.
pub(crate) async fn append(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    entry: &AuditEntry,
) -> Result<(), RepositoryError> {
    let predecessor = AuditHead {
        sequence: entry.sequence - 1,
        hash: entry.previous_hash.clone(),
    };
    let next = AuditHead {
        sequence: entry.sequence,
        hash: entry.hash.clone(),
    };
    if !tenants::swap_audit_head(db, tenant, &predecessor, &next).await? {
        return Err(if tenants::find(db, tenant).await?.is_some() {
            RepositoryError::Duplicate(Subject::AuditSequence)
        } else {
            RepositoryError::NotFound(Entity::Tenant)
        });
    }
    let record = &entry.record;
    let row = audit_entry::ActiveModel {
        id: Set(entry.id.as_uuid()),
        tenant_id: Set(tenant.as_uuid()),
        sequence: Set(entry.sequence),
        actor_id: Set(record.actor_id.map(|id| id.as_uuid())),
        action: Set(record.action.clone()),
        entity_type: Set(record.entity_type.clone()),
        entity_id: Set(record.entity_id.clone()),
        details: Set(record.details.clone()),
        request_id: Set(record.request_id.clone()),
        client_ip: Set(record.client_ip.clone()),
        occurred_at: Set(record.occurred_at()),
        previous_hash: Set(entry.previous_hash.clone()),
        hash: Set(entry.hash.clone()),
    };
    audit_entry::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map_err(on_write(Subject::AuditSequence))?;
    Ok(())
}

pub(crate) async fn list(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    filter: &AuditFilter,
    page: PageRequest,
) -> Result<Page<AuditEntry>, RepositoryError> {
    let mut query =
        audit_entry::Entity::find().filter(audit_entry::Column::TenantId.eq(tenant.as_uuid()));
    if let Some(actor) = filter.actor {
        query = query.filter(audit_entry::Column::ActorId.eq(actor.as_uuid()));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_entry::Column::Action.eq(action.as_str()));
    }
    if let Some(entity_type) = &filter.entity_type {
        query = query.filter(audit_entry::Column::EntityType.eq(entity_type.as_str()));
    }
    if let Some(entity_id) = &filter.entity_id {
        query = query.filter(audit_entry::Column::EntityId.eq(entity_id.as_str()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_entry::Column::OccurredAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_entry::Column::OccurredAt.lt(to));
    }
    let total = query.clone().count(db).await.map_err(unexpected)?;
    let rows = query
        .order_by_desc(audit_entry::Column::Sequence)
        .offset(page.offset())
        .limit(page.per_page())
        .all(db)
        .await
        .map_err(unexpected)?;
    Ok(Page {
        items: rows.into_iter().map(to_domain).collect(),
        total,
        request: page,
    })
}

pub(crate) async fn chain_batch(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    after: i64,
    limit: u64,
) -> Result<Vec<AuditEntry>, RepositoryError> {
    let rows = audit_entry::Entity::find()
        .filter(audit_entry::Column::TenantId.eq(tenant.as_uuid()))
        .filter(audit_entry::Column::Sequence.gt(after))
        .order_by_asc(audit_entry::Column::Sequence)
        .limit(limit)
        .all(db)
        .await
        .map_err(unexpected)?;
    Ok(rows.into_iter().map(to_domain).collect())
}

#[async_trait]
impl<C: Connection> AuditLogRepository for SeaStore<C> {
    async fn lock_audit_head(&self, tenant: TenantId) -> Result<AuditHead, RepositoryError> {
        super::tenants::lock_audit_head(self.conn(), tenant).await
    }
    async fn append_audit_entry(
        &self,
        tenant: TenantId,
        entry: &AuditEntry,
    ) -> Result<(), RepositoryError> {
        append(self.conn(), tenant, entry).await
    }
    async fn list_audit_entries(
        &self,
        tenant: TenantId,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEntry>, RepositoryError> {
        list(self.conn(), tenant, filter, page).await
    }
    async fn audit_chain_batch(
        &self,
        tenant: TenantId,
        after: i64,
        limit: u64,
    ) -> Result<Vec<AuditEntry>, RepositoryError> {
        chain_batch(self.conn(), tenant, after, limit).await
    }
}
