//! The live feed: a signal for the user brings each new notification once, another user's
//! signal brings nothing, and a resumed feed first sends what came after its cursor.

use std::time::Duration as StdDuration;

use futures::StreamExt;

use aegis_application::auth::Access;
use aegis_application::notifications::LiveCursor;
use aegis_application::ports::{Clock, NotificationSignal};
use aegis_domain::notification::{Notification, NotificationId};

use super::*;

async fn notify(h: &Harness, user: UserId, title: &str) -> Notification {
    let notification = Notification {
        id: NotificationId::from_uuid(uuid::Uuid::now_v7()),
        tenant_id: h.tenant.id,
        user_id: user,
        kind: "test.submit-red".into(),
        title: title.into(),
        body: String::new(),
        entity_type: None,
        entity_id: None,
        created_at: h.clock.now(),
        read_at: None,
    };
    let uow = aegis_application::ports::Database::begin(&h.database)
        .await
        .unwrap();
    uow.insert_notifications(h.tenant.id, std::slice::from_ref(&notification))
        .await
        .unwrap();
    uow.commit().await.unwrap();
    notification
}

async fn next_title(
    feed: &mut futures::stream::BoxStream<
        'static,
        Result<Notification, aegis_application::notifications::NotificationError>,
    >,
) -> Option<String> {
    tokio::time::timeout(StdDuration::from_millis(200), feed.next())
        .await
        .ok()
        .flatten()
        .map(|item| item.unwrap().title)
}

#[tokio::test]
async fn a_signal_brings_each_new_notification_once() {
    let h = harness().await;
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    let mut feed = h.services.notifications.live(&admin, None).unwrap();

    notify(&h, admin.user_id, "first").await;
    h.signals
        .0
        .send(NotificationSignal::User(UserId::from_uuid(
            uuid::Uuid::now_v7(),
        )))
        .unwrap();
    assert_eq!(
        next_title(&mut feed).await,
        None,
        "another user's signal wakes nobody here"
    );

    h.signals
        .0
        .send(NotificationSignal::User(admin.user_id))
        .unwrap();
    assert_eq!(next_title(&mut feed).await.as_deref(), Some("first"));

    h.clock.advance(Duration::seconds(1));
    notify(&h, admin.user_id, "second").await;
    h.signals.0.send(NotificationSignal::Everyone).unwrap();
    assert_eq!(
        next_title(&mut feed).await.as_deref(),
        Some("second"),
        "first is not sent again"
    );
    assert_eq!(next_title(&mut feed).await, None);
}

#[tokio::test]
async fn a_resumed_feed_sends_what_came_after_its_cursor_first() {
    let h = harness().await;
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    let seen = notify(&h, admin.user_id, "seen").await;
    h.clock.advance(Duration::seconds(1));
    notify(&h, admin.user_id, "missed").await;

    let mut feed = h
        .services
        .notifications
        .live(&admin, Some(LiveCursor::of(&seen)))
        .unwrap();
    assert_eq!(next_title(&mut feed).await.as_deref(), Some("missed"));
    assert_eq!(next_title(&mut feed).await, None);
}

#[tokio::test]
async fn a_fresh_feed_does_not_repeat_the_past() {
    let h = harness().await;
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    notify(&h, admin.user_id, "old").await;
    h.clock.advance(Duration::seconds(1));
    let mut feed = h.services.notifications.live(&admin, None).unwrap();
    h.signals.0.send(NotificationSignal::Everyone).unwrap();
    assert_eq!(next_title(&mut feed).await, None);
}
