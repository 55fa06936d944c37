//! Channels and email: preferences validated and kept; the mail job renders each due email
//! with its link, records it sent, retries a transient failure with back-off until the last
//! attempt, fails a permanent refusal at once, and queues its next run for the retry.

use aegis_application::auth::Access;
use aegis_application::notifications::{KindRequest, MailFailure, NotificationError};
use aegis_application::ports::Clock;
use aegis_domain::job::JobKind;
use aegis_domain::notification::{EmailDelivery, EmailStatus, Notification, NotificationId};

use super::*;

fn request(kind: &str, channels: &[&str]) -> KindRequest {
    KindRequest {
        kind: kind.to_owned(),
        channels: channels.iter().map(|c| (*c).to_owned()).collect(),
    }
}

/// An email due now for `user`, written as the rooms that notify write it.
async fn pending_email(h: &Harness, user: UserId) -> EmailDelivery {
    let notification = Notification {
        id: NotificationId::from_uuid(uuid::Uuid::now_v7()),
        tenant_id: h.tenant.id,
        user_id: user,
        kind: "test.submit-red".into(),
        title: "Evaluate T1059".into(),
        body: "Red finished <script>".into(),
        entity_type: Some("test".into()),
        entity_id: Some("0193a1b2-0000-7000-8000-000000000001".into()),
        created_at: h.clock.now(),
        read_at: None,
    };
    let email = EmailDelivery::pending(&notification, "blue@aegis.test");
    let uow = aegis_application::ports::Database::begin(&h.database)
        .await
        .unwrap();
    uow.insert_email_deliveries(h.tenant.id, std::slice::from_ref(&email))
        .await
        .unwrap();
    uow.commit().await.unwrap();
    email
}

fn stored(h: &Harness) -> EmailDelivery {
    h.database.with(|s| s.emails[0].clone())
}

#[tokio::test]
async fn preferences_are_validated_kept_and_audited() {
    let h = harness().await;
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    let settings = h
        .services
        .notifications
        .channel_settings(&admin)
        .await
        .unwrap();
    assert!(settings.email_available);
    let alert = |s: &aegis_application::notifications::ChannelSettings| {
        s.kinds
            .iter()
            .find(|k| k.kind.name == "alert.fired")
            .unwrap()
            .choice
    };
    assert!(alert(&settings).email);

    let refused = h
        .services
        .notifications
        .choose_channels(
            &admin,
            &[request("alert.fired", &["webhook"])],
            &Harness::context(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, NotificationError::Invalid(fields) if fields[0].field == "kinds[0].channels[0]"),
        "{refused:?}"
    );

    let changed = h
        .services
        .notifications
        .choose_channels(
            &admin,
            &[request("alert.fired", &["in_app"])],
            &Harness::context(),
        )
        .await
        .unwrap();
    assert!(!alert(&changed).email && alert(&changed).in_app);
    let again = h
        .services
        .notifications
        .channel_settings(&admin)
        .await
        .unwrap();
    assert_eq!(alert(&again), alert(&changed));
    assert!(h.database.with(|s| {
        s.audit
            .iter()
            .any(|entry| entry.record.action == "notifications.preferences")
    }));
}

#[tokio::test]
async fn a_due_email_is_rendered_with_its_link_and_recorded_sent() {
    let h = harness().await;
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    pending_email(&h, admin.user_id).await;

    let counts = h.services.notifications.send_due_emails().await.unwrap();
    assert_eq!((counts.sent, counts.retrying, counts.failed), (1, 0, 0));
    let sent = h.mail.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "blue@aegis.test");
    assert_eq!(sent[0].subject, "[Aegis] Evaluate T1059");
    let link = "https://aegis.test/tests/0193a1b2-0000-7000-8000-000000000001";
    assert!(sent[0].text.contains(link), "{}", sent[0].text);
    assert!(sent[0].html.contains(&format!("href=\"{link}\"")));
    assert!(
        sent[0].html.contains("Red finished &lt;script&gt;"),
        "the body is escaped in HTML"
    );
    let email = stored(&h);
    assert_eq!(email.status, EmailStatus::Sent);
    assert_eq!(email.attempts, 1);

    let again = h.services.notifications.send_due_emails().await.unwrap();
    assert_eq!(again.sent, 0, "a sent email is not sent twice");
}

#[tokio::test]
async fn a_transient_failure_is_retried_until_the_last_attempt_then_failed() {
    let h = harness().await;
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    pending_email(&h, admin.user_id).await;
    *h.mail.failing.lock().unwrap() = Some(MailFailure {
        permanent: false,
        reason: "connection refused".into(),
    });
    h.queue.take();

    let first = h.services.notifications.send_due_emails().await.unwrap();
    assert_eq!(first.retrying, 1);
    let email = stored(&h);
    assert_eq!(email.status, EmailStatus::Pending);
    assert_eq!(email.last_error.as_deref(), Some("connection refused"));
    assert!(email.next_attempt_at > h.clock.now());
    assert!(
        h.queue
            .take()
            .iter()
            .any(|(ticket, _)| ticket.kind == JobKind::EmailDelivery),
        "the retry's run is queued"
    );

    // Not due yet: nothing is attempted.
    let early = h.services.notifications.send_due_emails().await.unwrap();
    assert_eq!(early.retrying + early.failed + early.sent, 0);

    // The default policy allows five attempts.
    for _ in 0..4 {
        h.clock.advance(Duration::hours(2));
        h.services.notifications.send_due_emails().await.unwrap();
    }
    let email = stored(&h);
    assert_eq!(email.status, EmailStatus::Failed);
    assert_eq!(email.attempts, 5);
}

#[tokio::test]
async fn a_permanent_refusal_fails_at_once() {
    let h = harness().await;
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    pending_email(&h, admin.user_id).await;
    *h.mail.failing.lock().unwrap() = Some(MailFailure {
        permanent: true,
        reason: "550 no such mailbox".into(),
    });
    let counts = h.services.notifications.send_due_emails().await.unwrap();
    assert_eq!(counts.failed, 1);
    let email = stored(&h);
    assert_eq!(email.status, EmailStatus::Failed);
    assert_eq!(email.last_error.as_deref(), Some("550 no such mailbox"));
}
