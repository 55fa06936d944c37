//! The wire types of [`crate::routes::notifications`]: its views, request bodies and queries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_domain::notification::Notification;

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: Uuid,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

impl From<Notification> for NotificationView {
    fn from(n: Notification) -> Self {
        Self {
            id: n.id.as_uuid(),
            kind: n.kind,
            title: n.title,
            body: n.body,
            entity_type: n.entity_type,
            entity_id: n.entity_id,
            created_at: n.created_at,
            read_at: n.read_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadCount {
    pub unread: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedRead {
    pub marked: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// Only unread notifications.
    pub unread: Option<bool>,
}

/// One kind of notification and the channels that carry it for the signed-in user.
#[derive(Debug, Serialize, ToSchema)]
pub struct KindChannelsView {
    /// As notifications carry it, e.g. `test.submit-red`.
    pub kind: String,
    pub label: String,
    pub in_app: bool,
    pub email: bool,
    /// What `email` is when the user never chose.
    pub email_by_default: bool,
}

/// The signed-in user's channels, kind by kind.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelPreferencesView {
    pub kinds: Vec<KindChannelsView>,
    /// Whether this server sends email at all (SMTP configured); without it, emails are
    /// recorded as failed with the reason.
    pub email_available: bool,
}

impl From<aegis_application::notifications::ChannelSettings> for ChannelPreferencesView {
    fn from(settings: aegis_application::notifications::ChannelSettings) -> Self {
        Self {
            kinds: settings
                .kinds
                .into_iter()
                .map(|k| KindChannelsView {
                    kind: k.kind.name.to_owned(),
                    label: k.kind.label.to_owned(),
                    in_app: k.choice.in_app,
                    email: k.choice.email,
                    email_by_default: k.kind.email_by_default,
                })
                .collect(),
            email_available: settings.email_available,
        }
    }
}

/// The channels one kind should reach the user on; those not named are off.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KindChannelsRequest {
    /// A notification kind (`GET` lists them).
    pub kind: String,
    /// `in_app` and/or `email`. (`webhook` is refused: webhooks are chosen per organization
    /// by admins.)
    pub channels: Vec<String>,
}

/// Sets the channels of the kinds named; the other kinds keep theirs.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelPreferencesRequest {
    pub kinds: Vec<KindChannelsRequest>,
}

/// One notification email and where it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailDeliveryView {
    /// The notification's id.
    pub id: Uuid,
    pub to: String,
    pub kind: String,
    pub title: String,
    pub status: EmailStatusView,
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// Where an email stands.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EmailStatusView {
    Pending,
    Sent,
    Failed,
}

impl From<aegis_domain::notification::EmailDelivery> for EmailDeliveryView {
    fn from(e: aegis_domain::notification::EmailDelivery) -> Self {
        use aegis_domain::notification::EmailStatus;
        let status = match e.status {
            EmailStatus::Pending => EmailStatusView::Pending,
            EmailStatus::Sent => EmailStatusView::Sent,
            EmailStatus::Failed => EmailStatusView::Failed,
        };
        Self {
            id: e.id.as_uuid(),
            to: e.to,
            kind: e.kind,
            title: e.title,
            status,
            attempts: e.attempts,
            next_attempt_at: (e.status == EmailStatus::Pending).then_some(e.next_attempt_at),
            created_at: e.created_at,
            sent_at: e.sent_at,
            last_error: e.last_error,
        }
    }
}
