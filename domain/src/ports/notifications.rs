//! One's in-app notifications.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::RepositoryError;
use crate::page::{Page, PageRequest};
use crate::tenant::TenantId;
use crate::user::UserId;

#[async_trait]
pub trait NotificationRepository: Send + Sync {
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_notifications(
        &self,
        tenant: TenantId,
        notifications: &[crate::notification::Notification],
    ) -> Result<(), RepositoryError>;

    /// The user's notifications, newest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_notifications(
        &self,
        tenant: TenantId,
        user: UserId,
        unread_only: bool,
        page: PageRequest,
    ) -> Result<Page<crate::notification::Notification>, RepositoryError>;

    /// The user's notifications created at or after `since`, oldest first, at most `limit`:
    /// what a live stream sends when it is woken or resumed.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn notifications_since(
        &self,
        tenant: TenantId,
        user: UserId,
        since: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<crate::notification::Notification>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn count_unread_notifications(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<u64, RepositoryError>;

    /// Marks the user's notifications read: the one given, or all. Returns how many changed.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn mark_notifications_read(
        &self,
        tenant: TenantId,
        user: UserId,
        only: Option<crate::notification::NotificationId>,
        at: DateTime<Utc>,
    ) -> Result<u64, RepositoryError>;

    /// Deletes the tenant's notifications read before `cutoff`; returns how many went.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn delete_read_notifications(
        &self,
        tenant: TenantId,
        cutoff: DateTime<Utc>,
    ) -> Result<u64, RepositoryError>;

    /// The channels the user chose, kind by kind (the defaults fill in the rest).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn channel_preferences(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<crate::notification::ChannelPreferences, RepositoryError>;

    /// Replaces the user's choices with `preferences`.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn save_channel_preferences(
        &self,
        tenant: TenantId,
        user: UserId,
        preferences: &crate::notification::ChannelPreferences,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;

    /// Records emails to send (the outbox), in the caller's unit of work.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_email_deliveries(
        &self,
        tenant: TenantId,
        emails: &[crate::notification::EmailDelivery],
    ) -> Result<(), RepositoryError>;

    /// Pending emails of every tenant due at `now`, oldest first, at most `limit`: the mail
    /// job's work.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn due_email_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<crate::notification::EmailDelivery>, RepositoryError>;

    /// Takes `email` for one attempt: counts the attempt and holds it until `until`, if its
    /// attempt count is still the one read (so two workers never send it twice). Returns
    /// whether this caller got it.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn claim_email_delivery(
        &self,
        email: &crate::notification::EmailDelivery,
        until: DateTime<Utc>,
    ) -> Result<bool, RepositoryError>;

    /// Stores the outcome of an attempt (status, next attempt, error).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn save_email_delivery(
        &self,
        email: &crate::notification::EmailDelivery,
    ) -> Result<(), RepositoryError>;

    /// Deletes the tenant's emails that were sent, or failed for good, before `cutoff`; the
    /// pending ones stay whatever their age. Returns how many went.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn delete_finished_email_deliveries(
        &self,
        tenant: TenantId,
        cutoff: DateTime<Utc>,
    ) -> Result<u64, RepositoryError>;

    /// The user's emails, newest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_email_deliveries(
        &self,
        tenant: TenantId,
        user: UserId,
        page: PageRequest,
    ) -> Result<Page<crate::notification::EmailDelivery>, RepositoryError>;
}
