//! A signed-in user's notifications as their transactions commit, for the live stream.
//!
//! A signal says whom to look for; the stream then reads that user's newest notifications and
//! sends those it has not sent. A notification is dated when its transaction writes it and
//! becomes visible when that commits, so one dated before the last one sent can still arrive:
//! each read looks back a while and the stream remembers what it sent in that window.

use std::collections::HashSet;

use chrono::{DateTime, TimeZone, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;

use aegis_domain::notification::{Notification, NotificationId};
use aegis_domain::permission::Action;
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;

use super::{NotificationError, NotificationService};
use crate::context::Actor;
use crate::ports::{Database, NotificationSignal};

/// How long a transaction may take between dating a notification and committing it.
const LOOK_BACK: chrono::Duration = chrono::Duration::seconds(60);

/// The most one read returns; a user with more in one look-back window is far beyond a bell.
const BATCH: u64 = 500;

/// Where a live stream resumes: the last notification it sent (the SSE event id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveCursor {
    pub created_at: DateTime<Utc>,
    pub id: NotificationId,
}

impl LiveCursor {
    pub fn of(notification: &Notification) -> Self {
        Self {
            created_at: notification.created_at,
            id: notification.id,
        }
    }

    /// Parses `"<unix microseconds>.<uuid>"`, as [`LiveCursor::encode`] writes it.
    pub fn parse(text: &str) -> Option<Self> {
        let (micros, id) = text.trim().split_once('.')?;
        let created_at = Utc.timestamp_micros(micros.parse().ok()?).single()?;
        let id = uuid::Uuid::parse_str(id).ok()?;
        Some(Self {
            created_at,
            id: NotificationId::from_uuid(id),
        })
    }

    pub fn encode(&self) -> String {
        format!(
            "{}.{}",
            self.created_at.timestamp_micros(),
            self.id.as_uuid()
        )
    }
}

/// What one stream knows between two reads.
struct Feed {
    database: std::sync::Arc<dyn Database>,
    tenant: TenantId,
    user: UserId,
    signals: BoxStream<'static, NotificationSignal>,
    /// Nothing dated before this is sent: the stream's start, or where it resumes.
    floor: DateTime<Utc>,
    /// What was sent, with its date, pruned to the look-back window.
    sent: HashSet<(DateTime<Utc>, uuid::Uuid)>,
    /// Read once before waiting, when resuming.
    read_first: bool,
}

impl Feed {
    /// Waits until this user may have something new; `false` when signalling ended.
    async fn woken(&mut self) -> bool {
        if std::mem::take(&mut self.read_first) {
            return true;
        }
        while let Some(signal) = self.signals.next().await {
            match signal {
                NotificationSignal::User(user) if user != self.user => {}
                NotificationSignal::User(_) | NotificationSignal::Everyone => return true,
            }
        }
        false
    }

    async fn unsent(&mut self) -> Result<Vec<Notification>, NotificationError> {
        let newest = self.sent.iter().map(|(at, _)| *at).max();
        let since = newest.map_or(self.floor, |at| (at - LOOK_BACK).max(self.floor));
        let found = self
            .database
            .notifications_since(self.tenant, self.user, since, BATCH)
            .await?;
        let fresh: Vec<Notification> = found
            .into_iter()
            .filter(|n| self.sent.insert((n.created_at, n.id.as_uuid())))
            .collect();
        if let Some(newest) = self.sent.iter().map(|(at, _)| *at).max() {
            self.sent.retain(|(at, _)| *at >= newest - LOOK_BACK);
        }
        Ok(fresh)
    }
}

impl NotificationService {
    /// The actor's notifications from now on (or, resuming, from just after `resume`), each
    /// once, as they are committed. The stream ends when signalling ends or a read fails.
    ///
    /// # Errors
    /// `Forbidden` for an actor who cannot read their own account.
    pub fn live(
        &self,
        actor: &Actor,
        resume: Option<LiveCursor>,
    ) -> Result<BoxStream<'static, Result<Notification, NotificationError>>, NotificationError>
    {
        actor.authorize(Action::ReadOwnAccount)?;
        // Subscribed before anything is read, so nothing committed from here on is missed.
        let signals = self.signals.subscribe();
        let mut sent = HashSet::new();
        if let Some(cursor) = resume {
            sent.insert((cursor.created_at, cursor.id.as_uuid()));
        }
        let feed = Feed {
            database: self.database.clone(),
            tenant: actor.tenant_id,
            user: actor.user_id,
            signals,
            floor: resume.map_or_else(|| self.clock.now(), |cursor| cursor.created_at),
            sent,
            read_first: resume.is_some(),
        };
        let batches = futures::stream::unfold(Some(feed), |feed| async move {
            let mut feed = feed?;
            if !feed.woken().await {
                return None;
            }
            match feed.unsent().await {
                Ok(batch) => Some((batch.into_iter().map(Ok).collect::<Vec<_>>(), Some(feed))),
                Err(error) => Some((vec![Err(error)], None)),
            }
        });
        Ok(batches.flat_map(futures::stream::iter).boxed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_survives_its_text() {
        let cursor = Utc
            .timestamp_micros(1_765_000_000_123_456)
            .single()
            .map(|created_at| LiveCursor {
                created_at,
                id: NotificationId::from_uuid(uuid::Uuid::now_v7()),
            });
        assert!(cursor.is_some());
        assert_eq!(cursor.and_then(|c| LiveCursor::parse(&c.encode())), cursor);
    }

    #[test]
    fn a_foreign_last_event_id_is_no_cursor() {
        for text in [
            "",
            "42",
            "abc.def",
            "1.not-a-uuid",
            "x.0190a0b0-0000-7000-8000-000000000000",
        ] {
            assert_eq!(LiveCursor::parse(text), None, "{text}");
        }
    }
}
