//! `Idempotency-Key` support for create use cases: the same key and payload give the first
//! result again; the same key with another payload is a conflict.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use aegis_domain::canonical_json::canonical_json;
use aegis_domain::ports::{IdempotencyRecord, RepositoryError};
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;

use crate::error::FieldError;
use crate::ports::UnitOfWork;

/// A client-chosen key: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// # Errors
    /// A field error on `Idempotency-Key` when the key is empty, too long or not visible ASCII.
    pub fn parse(text: &str) -> Result<Self, FieldError> {
        if (1..=255).contains(&text.len()) && text.chars().all(|c| c.is_ascii_graphic()) {
            Ok(Self(text.to_owned()))
        } else {
            Err(FieldError::new(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// SHA-256 of the request's canonical JSON (object keys sorted).
pub(crate) fn fingerprint<T: Serialize>(request: &T) -> String {
    let canonical = serde_json::to_value(request)
        .map(|value| canonical_json(&value))
        .unwrap_or_default();
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// What an earlier use of the key says about this request.
pub(crate) enum Prior<T> {
    /// Never seen: do the work, then `remember` the result.
    None,
    /// Seen with the same payload: answer with the stored result.
    Replay(T),
    /// Seen with another payload.
    Conflict,
}

/// The key, its scope and the request fingerprint, bound to one actor.
pub(crate) struct IdempotentRequest<'a> {
    pub tenant: TenantId,
    pub actor: UserId,
    pub scope: &'static str,
    pub key: &'a IdempotencyKey,
    pub fingerprint: String,
}

impl IdempotentRequest<'_> {
    pub(crate) async fn prior<T: DeserializeOwned>(
        &self,
        uow: &dyn UnitOfWork,
    ) -> Result<Prior<T>, RepositoryError> {
        let found = uow
            .find_idempotency_record(self.tenant, self.actor, self.scope, self.key.as_str())
            .await?;
        Ok(match found {
            None => Prior::None,
            Some(record) if record.fingerprint != self.fingerprint => Prior::Conflict,
            Some(record) => serde_json::from_value(record.response)
                .map(Prior::Replay)
                .map_err(|e| {
                    RepositoryError::unexpected(format!("stored idempotent response: {e}"))
                })?,
        })
    }

    pub(crate) async fn remember<T: Serialize>(
        &self,
        uow: &dyn UnitOfWork,
        result: &T,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), RepositoryError> {
        let response = serde_json::to_value(result)
            .map_err(|e| RepositoryError::unexpected(format!("idempotent response: {e}")))?;
        let record = IdempotencyRecord {
            tenant_id: self.tenant,
            actor_id: self.actor,
            scope: self.scope.to_owned(),
            key: self.key.as_str().to_owned(),
            fingerprint: self.fingerprint.clone(),
            response,
            created_at: now,
        };
        uow.insert_idempotency_record(self.tenant, &record).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_ignore_key_order() {
        let a = serde_json::json!({"b": 1, "a": {"y": 2, "x": [1, 2]}});
        let b = serde_json::json!({"a": {"x": [1, 2], "y": 2}, "b": 1});
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&serde_json::json!({"b": 2})));
    }

    #[test]
    fn keys_are_checked() {
        assert!(IdempotencyKey::parse("abc-123").is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse("has space").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
    }
}
