//! The tenant's hash-chained audit trail.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::RepositoryError;
use crate::audit::AuditEntry;
use crate::page::{Page, PageRequest};
use crate::tenant::{AuditHead, TenantId};
use crate::user::UserId;

/// Filters of the audit log; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<UserId>,
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait AuditLogRepository: Send + Sync {
    /// Reads the tenant's chain head and, inside a transaction, holds it until commit so that
    /// concurrent appends queue up instead of forking the chain.
    ///
    /// # Errors
    /// `NotFound(Entity::Tenant)` when the tenant does not exist.
    async fn lock_audit_head(&self, tenant: TenantId) -> Result<AuditHead, RepositoryError>;

    /// Stores `entry` and moves the tenant's head to it.
    ///
    /// # Errors
    /// `Duplicate(Subject::AuditSequence)` when the head moved since it was locked.
    async fn append_audit_entry(
        &self,
        tenant: TenantId,
        entry: &AuditEntry,
    ) -> Result<(), RepositoryError>;

    /// Newest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_audit_entries(
        &self,
        tenant: TenantId,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEntry>, RepositoryError>;

    /// Up to `limit` entries with a sequence above `after`, oldest first: the chain in batches.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn audit_chain_batch(
        &self,
        tenant: TenantId,
        after: i64,
        limit: u64,
    ) -> Result<Vec<AuditEntry>, RepositoryError>;
}
