//! The live side of notifications: which users got new ones, as their transactions commit.
//!
//! In one process a broadcast channel carries the signal from the committing unit of work to
//! every open stream. Across instances PostgreSQL carries it: a trigger on `notifications`
//! sends `NOTIFY aegis_notifications` with the user's id, delivered only if the insert commits,
//! and each API instance listens. SQLite is the one-process embedded profile: the channel is
//! all it needs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use futures::stream::BoxStream;
use sea_orm::sqlx::postgres::{PgListener, PgPool};
use tokio::sync::broadcast;

use aegis_application::ports::{NotificationSignal, NotificationSignals};
use aegis_domain::user::UserId;

/// The PostgreSQL channel the notifications trigger sends on (migration
/// `m20261207_010001_notification_signals`).
pub const CHANNEL: &str = "aegis_notifications";

/// Signals a slow stream may fall behind by before it is told to look for everything.
const CAPACITY: usize = 1024;

/// This process's signal bus.
#[derive(Debug, Clone)]
pub struct NotificationHub {
    sender: broadcast::Sender<NotificationSignal>,
}

impl Default for NotificationHub {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(CAPACITY).0,
        }
    }
}

impl NotificationHub {
    /// Wakes the streams of `user` (nobody listening is not an error).
    pub fn publish(&self, signal: NotificationSignal) {
        let _ = self.sender.send(signal);
    }

    /// Relays the other instances' signals from PostgreSQL until the process stops. A lost
    /// connection is re-established by the listener; what was sent meanwhile is unknown, so
    /// every stream is told to look.
    pub async fn relay_from_postgres(self, pool: PgPool) {
        loop {
            match PgListener::connect_with(&pool).await {
                Ok(mut listener) => match listener.listen(CHANNEL).await {
                    Ok(()) => {
                        self.publish(NotificationSignal::Everyone);
                        self.relay(&mut listener).await;
                    }
                    Err(error) => tracing::warn!(%error, "cannot listen for notifications"),
                },
                Err(error) => tracing::warn!(%error, "cannot listen for notifications"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn relay(&self, listener: &mut PgListener) {
        loop {
            match listener.try_recv().await {
                Ok(Some(message)) => match message.payload().parse::<uuid::Uuid>() {
                    Ok(user) => self.publish(NotificationSignal::User(UserId::from_uuid(user))),
                    Err(_) => self.publish(NotificationSignal::Everyone),
                },
                // The connection was lost and is being re-established.
                Ok(None) => self.publish(NotificationSignal::Everyone),
                Err(error) => {
                    tracing::warn!(%error, "the notification listener failed");
                    return;
                }
            }
        }
    }
}

impl NotificationSignals for NotificationHub {
    fn subscribe(&self) -> BoxStream<'static, NotificationSignal> {
        futures::stream::unfold(self.sender.subscribe(), |mut receiver| async move {
            let signal = match receiver.recv().await {
                Ok(signal) => signal,
                Err(broadcast::error::RecvError::Lagged(_)) => NotificationSignal::Everyone,
                Err(broadcast::error::RecvError::Closed) => return None,
            };
            Some((signal, receiver))
        })
        .boxed()
    }
}

/// A store's part in signalling: a pool signals each insert at once; a transaction keeps the
/// users until it commits, so a rolled-back notification wakes nobody.
#[derive(Debug, Clone, Default)]
pub(crate) struct Live {
    hub: Option<NotificationHub>,
    pending: Option<Arc<Mutex<Vec<UserId>>>>,
}

impl Live {
    pub(crate) fn new(hub: NotificationHub) -> Self {
        Self {
            hub: Some(hub),
            pending: None,
        }
    }

    /// The same hub, for a transaction.
    pub(crate) fn deferred(&self) -> Self {
        Self {
            hub: self.hub.clone(),
            pending: Some(Arc::default()),
        }
    }

    pub(crate) fn notified(&self, users: impl Iterator<Item = UserId>) {
        let Some(hub) = &self.hub else { return };
        match &self.pending {
            Some(pending) => {
                if let Ok(mut pending) = pending.lock() {
                    pending.extend(users);
                }
            }
            None => users.for_each(|user| hub.publish(NotificationSignal::User(user))),
        }
    }

    /// After the transaction committed.
    pub(crate) fn committed(&self) {
        let (Some(hub), Some(pending)) = (&self.hub, &self.pending) else {
            return;
        };
        let users = pending.lock().map(|mut users| std::mem::take(&mut *users));
        let mut users = users.unwrap_or_default();
        users.sort_by_key(|user| user.as_uuid());
        users.dedup();
        for user in users {
            hub.publish(NotificationSignal::User(user));
        }
    }
}
