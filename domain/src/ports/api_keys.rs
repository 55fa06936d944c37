//! API keys: stored by hash, listed by owner, found by the hash of a presented key.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::RepositoryError;
use crate::api_key::{ApiKey, ApiKeyId};
use crate::tenant::TenantId;
use crate::user::UserId;

#[async_trait]
pub trait ApiKeyRepository: Send + Sync {
    /// # Errors
    /// `Duplicate(Subject::ApiKey)` on a hash collision.
    async fn insert_api_key(&self, tenant: TenantId, key: &ApiKey) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_api_key(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
    ) -> Result<Option<ApiKey>, RepositoryError>;

    /// The key whose secret hashes to `secret_hash`.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_api_key_by_hash(
        &self,
        tenant: TenantId,
        secret_hash: &str,
    ) -> Result<Option<ApiKey>, RepositoryError>;

    /// The tenant's keys, newest first: those of `owner` when given, else all.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_api_keys(
        &self,
        tenant: TenantId,
        owner: Option<UserId>,
    ) -> Result<Vec<ApiKey>, RepositoryError>;

    /// Stores the key's name, scopes, expiry and revocation.
    ///
    /// # Errors
    /// `NotFound(Entity::ApiKey)` when the key is not in the tenant.
    async fn update_api_key(&self, tenant: TenantId, key: &ApiKey) -> Result<(), RepositoryError>;

    /// Records a use of the key.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn record_api_key_use(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        at: DateTime<Utc>,
        ip: Option<&str>,
    ) -> Result<(), RepositoryError>;
}
