//! Writing audit entries inside the caller's unit of work, chained to the tenant's head.

use aegis_domain::audit::{AuditEntry, AuditEntryId, AuditRecord};
use aegis_domain::ports::RepositoryError;
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;

use crate::context::RequestContext;
use crate::ports::{Clock, IdGenerator, UnitOfWork};

/// What to record about one change.
pub(crate) struct Change<'a> {
    pub tenant: TenantId,
    pub actor: Option<UserId>,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Option<String>,
    pub details: serde_json::Value,
}

/// Appends `change` to the tenant's chain within `uow`; it commits or rolls back with the change.
pub(crate) async fn record(
    clock: &dyn Clock,
    ids: &dyn IdGenerator,
    uow: &dyn UnitOfWork,
    context: &RequestContext,
    change: Change<'_>,
) -> Result<(), RepositoryError> {
    let head = uow.lock_audit_head(change.tenant).await?;
    let record = AuditRecord::new(
        change.tenant,
        change.actor,
        change.action,
        change.entity_type,
        change.entity_id,
        &change.details,
        context.request_id.clone(),
        context.client_ip.clone(),
        clock.now(),
    );
    let (entry, _) = AuditEntry::chain(&head, AuditEntryId::from_uuid(ids.new_id()), record);
    uow.append_audit_entry(change.tenant, &entry).await
}
