//! In-memory audit log for use-case tests.

use aegis_domain::audit::AuditEntry;
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::*;
use aegis_domain::tenant::{AuditHead, TenantId};
use async_trait::async_trait;

use super::{Memory, Slot};

#[async_trait]
impl<S: Slot> AuditLogRepository for Memory<S> {
    async fn lock_audit_head(&self, tenant: TenantId) -> Result<AuditHead, RepositoryError> {
        self.with(|s| {
            s.heads
                .iter()
                .find(|(t, _)| *t == tenant)
                .map(|(_, h)| h.clone())
        })
        .ok_or_else(|| RepositoryError::NotFound(Entity::Tenant))
    }
    async fn append_audit_entry(
        &self,
        tenant: TenantId,
        entry: &AuditEntry,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            s.audit.push(entry.clone());
            for (t, head) in &mut s.heads {
                if *t == tenant {
                    *head = AuditHead {
                        sequence: entry.sequence,
                        hash: entry.hash.clone(),
                    };
                }
            }
        });
        Ok(())
    }
    async fn list_audit_entries(
        &self,
        tenant: TenantId,
        _filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEntry>, RepositoryError> {
        let mut items: Vec<AuditEntry> = self.with(|s| {
            s.audit
                .iter()
                .filter(|e| e.record.tenant_id == tenant)
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
    async fn audit_chain_batch(
        &self,
        tenant: TenantId,
        after: i64,
        limit: u64,
    ) -> Result<Vec<AuditEntry>, RepositoryError> {
        Ok(self.with(|s| {
            s.audit
                .iter()
                .filter(|e| e.record.tenant_id == tenant && e.sequence > after)
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .cloned()
                .collect()
        }))
    }
}
