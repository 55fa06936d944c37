//! The wire types of [`crate::routes::webhooks`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use aegis_application::webhooks::WebhookSummary;
use aegis_domain::ports::DeliveryRecord;
use aegis_domain::webhook::{DeliveryAttempt, WebhookDelivery};

/// A webhook, never with its secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: Uuid,
    pub name: String,
    pub url: String,
    #[schema(value_type = Vec<crate::views::enums::WebhookEventName>)]
    pub events: Vec<String>,
    #[schema(value_type = crate::views::enums::WebhookPreset)]
    pub preset: String,
    pub active: bool,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<WebhookSummary> for WebhookView {
    fn from(hook: WebhookSummary) -> Self {
        Self {
            id: hook.id,
            name: hook.name,
            url: hook.url,
            events: hook.events,
            preset: hook.preset.to_owned(),
            active: hook.active,
            created_by: hook.created_by,
            created_at: hook.created_at,
            updated_at: hook.updated_at,
        }
    }
}

/// A webhook just created or changed, with its secret when it was set: shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookWithSecretView {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// The `whsec_` signing secret; present only when it was just set or rotated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    #[schema(min_length = 1, max_length = 120)]
    pub name: String,
    /// An http or https URL; internal addresses are refused unless the allow-list names them.
    #[schema(min_length = 1, max_length = 2048)]
    pub url: String,
    #[schema(value_type = Vec<crate::views::enums::WebhookEventName>, min_items = 1)]
    pub events: Vec<String>,
    /// `generic` when absent.
    #[schema(value_type = Option<crate::views::enums::WebhookPreset>)]
    pub preset: Option<String>,
    /// Active when absent.
    pub active: Option<bool>,
    /// A Standard Webhooks secret (`whsec_` and base64 of 24 to 64 bytes); generated when
    /// absent.
    pub secret: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhookRequest {
    #[schema(min_length = 1, max_length = 120)]
    pub name: Option<String>,
    #[schema(min_length = 1, max_length = 2048)]
    pub url: Option<String>,
    #[schema(value_type = Option<Vec<crate::views::enums::WebhookEventName>>, min_items = 1)]
    pub events: Option<Vec<String>>,
    #[schema(value_type = Option<crate::views::enums::WebhookPreset>)]
    pub preset: Option<String>,
    pub active: Option<bool>,
    /// A new `whsec_` secret.
    pub secret: Option<String>,
    /// Generate a new secret; it is in the answer this once.
    pub rotate_secret: Option<bool>,
}

/// The hosts and ranges webhooks may reach although they are internal.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllowListView {
    /// Host names, addresses and CIDR ranges (`hooks.internal`, `10.20.0.0/16`, `::1`).
    #[schema(max_items = 200)]
    pub entries: Vec<String>,
}

/// One attempt to deliver.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryAttemptView {
    /// 1 for the first attempt.
    pub attempt: u32,
    pub attempted_at: DateTime<Utc>,
    pub duration_ms: u64,
    pub succeeded: bool,
    /// The receiver's HTTP status, when it answered.
    pub response_code: Option<u16>,
    pub error: Option<String>,
}

impl From<DeliveryAttempt> for DeliveryAttemptView {
    fn from(a: DeliveryAttempt) -> Self {
        Self {
            attempt: a.attempt,
            attempted_at: a.attempted_at,
            duration_ms: a.duration_ms,
            succeeded: a.succeeded,
            response_code: a.response_code,
            error: a.error,
        }
    }
}

/// One event for one webhook, with its attempts (oldest first).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: Uuid,
    pub webhook_id: Uuid,
    /// The `webhook-id` header: the same for a redelivery of the same message.
    pub message_id: String,
    #[schema(value_type = crate::views::enums::DeliveryEvent)]
    pub event: String,
    #[schema(value_type = crate::views::enums::DeliveryStatus)]
    pub status: String,
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_response_code: Option<u16>,
    pub last_error: Option<String>,
    /// The Standard Webhooks payload (`type`, `timestamp`, `data`).
    pub payload: serde_json::Value,
    pub log: Vec<DeliveryAttemptView>,
}

impl DeliveryView {
    pub fn of(delivery: WebhookDelivery, log: Vec<DeliveryAttempt>) -> Self {
        Self {
            id: delivery.id.as_uuid(),
            webhook_id: delivery.webhook_id.as_uuid(),
            payload: serde_json::from_str(&delivery.payload).unwrap_or(serde_json::Value::Null),
            message_id: delivery.message_id,
            event: delivery.event.as_str().to_owned(),
            status: delivery.status.as_str().to_owned(),
            attempts: delivery.attempts,
            next_attempt_at: delivery
                .next_attempt_at
                .filter(|_| delivery.status.is_waiting()),
            created_at: delivery.created_at,
            last_attempt_at: delivery.last_attempt_at,
            last_response_code: delivery.last_response_code,
            last_error: delivery.last_error,
            log: log.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<DeliveryRecord> for DeliveryView {
    fn from(record: DeliveryRecord) -> Self {
        Self::of(record.delivery, record.attempts)
    }
}
