//! Stored outcomes of create requests made with an `Idempotency-Key`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::RepositoryError;
use crate::tenant::TenantId;
use crate::user::UserId;

/// The stored outcome of a create request made with an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq)]
pub struct IdempotencyRecord {
    pub tenant_id: TenantId,
    pub actor_id: UserId,
    /// The operation the key was used for (`users.create`): keys are per operation.
    pub scope: String,
    pub key: String,
    /// SHA-256 of the request's canonical form; the same key with another payload is refused.
    pub fingerprint: String,
    pub response: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait IdempotencyRepository: Send + Sync {
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_idempotency_record(
        &self,
        tenant: TenantId,
        actor: UserId,
        scope: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, RepositoryError>;

    /// # Errors
    /// `Duplicate(Subject::IdempotencyKey)` when a concurrent request stored the key first.
    async fn insert_idempotency_record(
        &self,
        tenant: TenantId,
        record: &IdempotencyRecord,
    ) -> Result<(), RepositoryError>;
}
