//! In-app notifications: who must act next on a test hears of it.

use chrono::{DateTime, Utc};

use crate::id::Id;
use crate::tenant::TenantId;
use crate::user::UserId;

pub type NotificationId = Id<Notification>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: NotificationId,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    /// What happened, e.g. `test.submit-red`.
    pub kind: String,
    pub title: String,
    pub body: String,
    /// The test (or other entity) it is about.
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}
