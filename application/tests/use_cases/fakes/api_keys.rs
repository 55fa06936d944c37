//! In-memory API keys for use-case tests.

use aegis_domain::api_key::{ApiKey, ApiKeyId};
use aegis_domain::ports::*;
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Memory, Slot};

#[async_trait]
impl<S: Slot> ApiKeyRepository for Memory<S> {
    async fn insert_api_key(&self, _tenant: TenantId, key: &ApiKey) -> Result<(), RepositoryError> {
        self.with(|s| {
            if s.api_keys.iter().any(|k| k.secret_hash == key.secret_hash) {
                return Err(RepositoryError::Duplicate(Subject::ApiKey));
            }
            s.api_keys.push(key.clone());
            Ok(())
        })
    }
    async fn find_api_key(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
    ) -> Result<Option<ApiKey>, RepositoryError> {
        Ok(self.with(|s| {
            s.api_keys
                .iter()
                .find(|k| k.tenant_id == tenant && k.id == id)
                .cloned()
        }))
    }
    async fn find_api_key_by_hash(
        &self,
        tenant: TenantId,
        secret_hash: &str,
    ) -> Result<Option<ApiKey>, RepositoryError> {
        Ok(self.with(|s| {
            s.api_keys
                .iter()
                .find(|k| k.tenant_id == tenant && k.secret_hash == secret_hash)
                .cloned()
        }))
    }
    async fn list_api_keys(
        &self,
        tenant: TenantId,
        owner: Option<UserId>,
    ) -> Result<Vec<ApiKey>, RepositoryError> {
        Ok(self.with(|s| {
            let mut keys: Vec<_> = s
                .api_keys
                .iter()
                .filter(|k| k.tenant_id == tenant && owner.is_none_or(|o| k.owner_id == o))
                .cloned()
                .collect();
            keys.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
            keys
        }))
    }
    async fn update_api_key(&self, tenant: TenantId, key: &ApiKey) -> Result<(), RepositoryError> {
        self.with(|s| {
            let stored = s
                .api_keys
                .iter_mut()
                .find(|k| k.tenant_id == tenant && k.id == key.id)
                .ok_or(RepositoryError::NotFound(Entity::ApiKey))?;
            stored.name.clone_from(&key.name);
            stored.scopes = key.scopes.clone();
            stored.expires_at = key.expires_at;
            stored.revoked_at = key.revoked_at;
            Ok(())
        })
    }
    async fn record_api_key_use(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        at: DateTime<Utc>,
        ip: Option<&str>,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            if let Some(key) = s
                .api_keys
                .iter_mut()
                .find(|k| k.tenant_id == tenant && k.id == id)
            {
                key.last_used_at = Some(at);
                key.last_used_ip = ip.map(str::to_owned);
            }
        });
        Ok(())
    }
}
