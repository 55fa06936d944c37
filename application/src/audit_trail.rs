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
    let details = with_key(change.details, context);
    let record = AuditRecord::new(
        change.tenant,
        change.actor,
        change.action,
        change.entity_type,
        change.entity_id,
        &details,
        context.request_id.clone(),
        context.client_ip.clone(),
        clock.now(),
    );
    let (entry, _) = AuditEntry::chain(&head, AuditEntryId::from_uuid(ids.new_id()), record);
    uow.append_audit_entry(change.tenant, &entry).await
}

/// A change made with an API key is recorded under the key's name (and id) as well as its
/// owner, so a leaked or misused key's work can be found.
fn with_key(details: serde_json::Value, context: &RequestContext) -> serde_json::Value {
    let Some(key) = &context.api_key else {
        return details;
    };
    let key = serde_json::json!({ "id": key.id, "name": key.name });
    match details {
        serde_json::Value::Object(mut fields) => {
            fields.insert("api_key".to_owned(), key);
            serde_json::Value::Object(fields)
        }
        other => serde_json::json!({ "api_key": key, "details": other }),
    }
}
