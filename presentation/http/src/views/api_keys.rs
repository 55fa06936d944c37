//! The wire types of [`crate::routes::api_keys`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::api_keys::ApiKeySummary;

/// An API key, never with the key itself.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: Uuid,
    /// The user the key acts as (the creator, or a service account).
    pub owner_id: Uuid,
    pub name: String,
    /// The start of the key, to tell keys apart.
    pub prefix: String,
    #[schema(value_type = Vec<crate::views::enums::ApiKeyScope>)]
    pub scopes: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// The address of the last recorded use.
    pub last_used_ip: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
    #[schema(value_type = crate::views::enums::ApiKeyStatus)]
    pub status: String,
}

impl From<ApiKeySummary> for ApiKeyView {
    fn from(key: ApiKeySummary) -> Self {
        Self {
            id: key.id,
            owner_id: key.owner_id,
            name: key.name,
            prefix: key.prefix,
            scopes: key.scopes,
            expires_at: key.expires_at,
            created_by: key.created_by,
            created_at: key.created_at,
            last_used_at: key.last_used_at,
            last_used_ip: key.last_used_ip,
            revoked_at: key.revoked_at,
            status: key.status.to_owned(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    pub name: String,
    #[schema(value_type = Vec<crate::views::enums::ApiKeyScope>)]
    pub scopes: Vec<String>,
    /// When the key stops working; never when absent.
    pub expires_at: Option<DateTime<Utc>>,
    /// A service account to create the key for (admins); yourself when absent.
    pub owner_id: Option<Uuid>,
}

/// A new key: `key` is shown this once and cannot be read again.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKeyResponse {
    #[serde(flatten)]
    pub api_key: ApiKeyView,
    /// The key: send it as `Authorization: Bearer <key>`.
    pub key: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateApiKeyRequest {
    pub name: Option<String>,
    #[schema(value_type = Option<Vec<crate::views::enums::ApiKeyScope>>)]
    pub scopes: Option<Vec<String>>,
    /// A new expiry; null removes it.
    #[serde(default, deserialize_with = "crate::views::double_option")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub expires_at: Option<Option<DateTime<Utc>>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApiKeyListQuery {
    /// Every key of the tenant instead of one's own (admins).
    pub all: Option<bool>,
}
