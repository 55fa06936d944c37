//! In-memory notifications for use-case tests.

use aegis_domain::notification::{ChannelPreferences, EmailDelivery, EmailStatus};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::*;
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Memory, Slot};

#[async_trait]
impl<S: Slot> NotificationRepository for Memory<S> {
    async fn channel_preferences(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<ChannelPreferences, RepositoryError> {
        Ok(self.with(|s| {
            s.channel_preferences
                .iter()
                .find(|(t, u, _)| *t == tenant && *u == user)
                .map(|(_, _, p)| p.clone())
                .unwrap_or_default()
        }))
    }
    async fn save_channel_preferences(
        &self,
        tenant: TenantId,
        user: UserId,
        preferences: &ChannelPreferences,
        _at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            s.channel_preferences
                .retain(|(t, u, _)| !(*t == tenant && *u == user));
            s.channel_preferences
                .push((tenant, user, preferences.clone()));
        });
        Ok(())
    }
    async fn insert_email_deliveries(
        &self,
        _tenant: TenantId,
        emails: &[EmailDelivery],
    ) -> Result<(), RepositoryError> {
        self.with(|s| s.emails.extend_from_slice(emails));
        Ok(())
    }
    async fn due_email_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<EmailDelivery>, RepositoryError> {
        let mut due: Vec<_> = self.with(|s| {
            s.emails
                .iter()
                .filter(|e| e.status == EmailStatus::Pending && e.next_attempt_at <= now)
                .cloned()
                .collect()
        });
        due.sort_by_key(|e| (e.next_attempt_at, e.id.as_uuid()));
        due.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(due)
    }
    async fn claim_email_delivery(
        &self,
        email: &EmailDelivery,
        until: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        Ok(self.with(|s| {
            match s.emails.iter_mut().find(|e| {
                e.id == email.id && e.attempts == email.attempts && e.status == EmailStatus::Pending
            }) {
                Some(stored) => {
                    stored.attempts += 1;
                    stored.next_attempt_at = until;
                    true
                }
                None => false,
            }
        }))
    }
    async fn save_email_delivery(&self, email: &EmailDelivery) -> Result<(), RepositoryError> {
        self.with(|s| {
            if let Some(stored) = s
                .emails
                .iter_mut()
                .find(|e| e.id == email.id && e.attempts == email.attempts)
            {
                *stored = email.clone();
            }
        });
        Ok(())
    }
    async fn list_email_deliveries(
        &self,
        tenant: TenantId,
        user: UserId,
        page: PageRequest,
    ) -> Result<Page<EmailDelivery>, RepositoryError> {
        let items: Vec<_> = self.with(|s| {
            s.emails
                .iter()
                .filter(|e| e.tenant_id == tenant && e.user_id == user)
                .cloned()
                .collect()
        });
        Ok(Page {
            total: items.len() as u64,
            items,
            request: page,
        })
    }
    async fn delete_finished_email_deliveries(
        &self,
        tenant: TenantId,
        cutoff: DateTime<Utc>,
    ) -> Result<u64, RepositoryError> {
        Ok(self.with(|s| {
            let before = s.emails.len();
            s.emails.retain(|e| {
                !(e.tenant_id == tenant
                    && e.status != EmailStatus::Pending
                    && e.created_at < cutoff)
            });
            (before - s.emails.len()) as u64
        }))
    }
    async fn delete_read_notifications(
        &self,
        tenant: TenantId,
        cutoff: DateTime<Utc>,
    ) -> Result<u64, RepositoryError> {
        Ok(self.with(|s| {
            let before = s.notifications.len();
            s.notifications
                .retain(|n| !(n.tenant_id == tenant && n.read_at.is_some_and(|at| at < cutoff)));
            (before - s.notifications.len()) as u64
        }))
    }
    async fn insert_notifications(
        &self,
        _tenant: TenantId,
        items: &[aegis_domain::notification::Notification],
    ) -> Result<(), RepositoryError> {
        self.with(|s| s.notifications.extend_from_slice(items));
        Ok(())
    }
    async fn notifications_since(
        &self,
        tenant: TenantId,
        user: UserId,
        since: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<aegis_domain::notification::Notification>, RepositoryError> {
        let mut items: Vec<_> = self.with(|s| {
            s.notifications
                .iter()
                .filter(|n| n.tenant_id == tenant && n.user_id == user && n.created_at >= since)
                .cloned()
                .collect()
        });
        items.sort_by_key(|n| (n.created_at, n.id.as_uuid()));
        items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(items)
    }
    async fn list_notifications(
        &self,
        tenant: TenantId,
        user: UserId,
        unread_only: bool,
        page: PageRequest,
    ) -> Result<Page<aegis_domain::notification::Notification>, RepositoryError> {
        let items: Vec<_> = self.with(|s| {
            s.notifications
                .iter()
                .filter(|n| {
                    n.tenant_id == tenant
                        && n.user_id == user
                        && (!unread_only || n.read_at.is_none())
                })
                .cloned()
                .collect()
        });
        Ok(Page {
            total: items.len() as u64,
            items,
            request: page,
        })
    }
    async fn count_unread_notifications(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<u64, RepositoryError> {
        Ok(self.with(|s| {
            s.notifications
                .iter()
                .filter(|n| n.tenant_id == tenant && n.user_id == user && n.read_at.is_none())
                .count() as u64
        }))
    }
    async fn mark_notifications_read(
        &self,
        tenant: TenantId,
        user: UserId,
        only: Option<aegis_domain::notification::NotificationId>,
        at: DateTime<Utc>,
    ) -> Result<u64, RepositoryError> {
        Ok(self.with(|s| {
            let mut changed = 0;
            for n in s.notifications.iter_mut().filter(|n| {
                n.tenant_id == tenant
                    && n.user_id == user
                    && n.read_at.is_none()
                    && only.is_none_or(|id| id == n.id)
            }) {
                n.read_at = Some(at);
                changed += 1;
            }
            changed
        }))
    }
}

/// The signal bus a use-case test drives by hand.
#[derive(Clone)]
pub struct Signals(
    pub tokio::sync::broadcast::Sender<aegis_application::ports::NotificationSignal>,
);

impl Default for Signals {
    fn default() -> Self {
        Self(tokio::sync::broadcast::channel(16).0)
    }
}

impl aegis_application::ports::NotificationSignals for Signals {
    fn subscribe(
        &self,
    ) -> futures::stream::BoxStream<'static, aegis_application::ports::NotificationSignal> {
        use futures::StreamExt;
        futures::stream::unfold(self.0.subscribe(), |mut receiver| async move {
            let signal = receiver.recv().await.ok()?;
            Some((signal, receiver))
        })
        .boxed()
    }
}

/// A mail server that keeps what it was given, or refuses while `failing` holds a failure.
#[derive(Clone, Default)]
pub struct RecordingMail {
    pub sent: std::sync::Arc<std::sync::Mutex<Vec<aegis_application::notifications::MailMessage>>>,
    pub failing:
        std::sync::Arc<std::sync::Mutex<Option<aegis_application::notifications::MailFailure>>>,
}

#[async_trait]
impl aegis_application::notifications::MailSender for RecordingMail {
    async fn send(
        &self,
        message: &aegis_application::notifications::MailMessage,
    ) -> Result<(), aegis_application::notifications::MailFailure> {
        if let Some(failure) = self.failing.lock().unwrap().clone() {
            return Err(failure);
        }
        self.sent.lock().unwrap().push(message.clone());
        Ok(())
    }
}
