//! Reading the audit trail and proving it intact.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use aegis_domain::audit::{AuditEntry, ChainVerifier};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::Action;
use aegis_domain::ports::{AuditFilter, RepositoryError};
use aegis_domain::tenant::{Tenant, TenantId};

use crate::context::{Forbidden, Initiator};
use crate::error::{Classified, ErrorKind, unexpected};
use crate::ports::Database;

/// Entries are read in batches of this size while verifying, so memory stays flat.
const VERIFY_BATCH: u64 = 1_000;

/// One audit entry as use cases hand it out.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntryView {
    pub id: Uuid,
    pub sequence: i64,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub details: serde_json::Value,
    pub request_id: Option<String>,
    pub client_ip: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub previous_hash: String,
    pub hash: String,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(entry: AuditEntry) -> Self {
        let details = serde_json::from_str(&entry.record.details)
            .unwrap_or(serde_json::Value::String(entry.record.details.clone()));
        Self {
            id: entry.id.as_uuid(),
            sequence: entry.sequence,
            actor_id: entry.record.actor_id.map(|id| id.as_uuid()),
            occurred_at: entry.record.occurred_at(),
            action: entry.record.action,
            entity_type: entry.record.entity_type,
            entity_id: entry.record.entity_id,
            details,
            request_id: entry.record.request_id,
            client_ip: entry.record.client_ip,
            previous_hash: entry.previous_hash,
            hash: entry.hash,
        }
    }
}

/// The outcome of checking one tenant's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub tenant_id: Uuid,
    pub entries_checked: u64,
    pub head_sequence: i64,
    /// `None` when intact; otherwise what broke, and where.
    pub broken: Option<String>,
    pub broken_at_sequence: Option<i64>,
}

impl ChainReport {
    pub fn is_intact(&self) -> bool {
        self.broken.is_none()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuditLogError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for AuditLogError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl Classified for AuditLogError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

#[derive(Clone)]
pub struct AuditLogService {
    database: Arc<dyn Database>,
}

impl AuditLogService {
    pub fn new(database: Arc<dyn Database>) -> Self {
        Self { database }
    }

    /// # Errors
    /// `Forbidden` unless the initiator may read the audit log.
    pub async fn list(
        &self,
        initiator: &Initiator,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEntryView>, AuditLogError> {
        initiator.authorize(Action::ReadAuditLog)?;
        let page = self
            .database
            .list_audit_entries(initiator.tenant(), filter, page)
            .await?;
        Ok(page.map(AuditEntryView::from))
    }

    /// Recomputes every hash of the tenant's chain up to its recorded head.
    ///
    /// # Errors
    /// `Forbidden`, or `Unexpected` on storage failure (a broken chain is a report, not an error).
    pub async fn verify(&self, initiator: &Initiator) -> Result<ChainReport, AuditLogError> {
        initiator.authorize(Action::ReadAuditLog)?;
        self.verify_tenant(initiator.tenant()).await
    }

    /// Verifies every tenant's chain (the command line's `aegis audit verify`).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    pub async fn verify_all(&self) -> Result<Vec<(Tenant, ChainReport)>, AuditLogError> {
        let mut reports = Vec::new();
        for tenant in self.database.list_tenants().await? {
            let report = self.verify_tenant(tenant.id).await?;
            reports.push((tenant, report));
        }
        Ok(reports)
    }

    async fn verify_tenant(&self, tenant: TenantId) -> Result<ChainReport, AuditLogError> {
        let database = &self.database;
        // Read outside a transaction: entries appended meanwhile lie beyond this head and
        // are simply not part of this check, and writers are never blocked by it.
        let head = database.lock_audit_head(tenant).await?;
        let mut verifier = ChainVerifier::default();
        let mut after = 0;
        let mut report = ChainReport {
            tenant_id: tenant.as_uuid(),
            entries_checked: 0,
            head_sequence: head.sequence,
            broken: None,
            broken_at_sequence: None,
        };
        'batches: while after < head.sequence {
            let batch = database
                .audit_chain_batch(tenant, after, VERIFY_BATCH)
                .await?;
            if batch.is_empty() {
                break;
            }
            for entry in batch
                .iter()
                .take_while(|entry| entry.sequence <= head.sequence)
            {
                if let Err(broken) = verifier.check(entry) {
                    report.broken_at_sequence = Some(entry.sequence);
                    report.broken = Some(broken.to_string());
                    break 'batches;
                }
                report.entries_checked += 1;
                after = entry.sequence;
            }
            if batch
                .last()
                .is_some_and(|entry| entry.sequence > head.sequence)
            {
                break;
            }
        }
        if report.broken.is_none()
            && let Err(broken) = verifier.finish(&head)
        {
            report.broken_at_sequence = Some(after + 1);
            report.broken = Some(broken.to_string());
        }
        Ok(report)
    }
}
