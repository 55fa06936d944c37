//! Webhooks: admins only, refused internal targets, a ping queued and sent signed after
//! commit, retries with back-off until dead, and redelivery under the same message id.

use aegis_application::auth::Access;
use aegis_application::ports::Clock;
use aegis_application::webhooks::{NewWebhook, WebhookChanges, WebhookError};
use aegis_domain::job::JobKind;
use aegis_domain::page::PageRequest;
use aegis_domain::webhook::DeliveryStatus;

use super::*;

fn hook(url: &str) -> NewWebhook {
    NewWebhook {
        name: "SOAR".into(),
        url: url.into(),
        events: vec!["finding.opened".into(), "report.ready".into()],
        ..NewWebhook::default()
    }
}

#[tokio::test]
async fn only_admins_manage_webhooks_and_internal_targets_are_refused_naming_url() {
    let h = harness().await;
    let password = h.create("lead@aegis.test", "blue_lead").await;
    let lead = h
        .actor("lead@aegis.test", &password, Access::PasswordChange)
        .await;
    assert!(matches!(
        h.services.webhooks.list(&lead).await,
        Err(WebhookError::Forbidden(_))
    ));
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    for url in [
        "http://10.0.0.1/hook",
        "http://hooks.internal/x",
        "http://[::1]/",
    ] {
        let Err(WebhookError::Invalid(fields)) = h
            .services
            .webhooks
            .create(&admin, hook(url), &Harness::context())
            .await
        else {
            panic!("{url} was accepted");
        };
        assert_eq!(fields[0].field, "url");
        assert!(fields[0].message.contains("not allowed"), "{fields:?}");
    }
    let Err(WebhookError::Invalid(fields)) = h
        .services
        .webhooks
        .create(
            &admin,
            NewWebhook {
                events: vec!["webhook.ping".into()],
                preset: Some("discord".into()),
                ..hook("https://example.com/hook")
            },
            &Harness::context(),
        )
        .await
    else {
        panic!("bad events and preset were accepted");
    };
    let named: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(named, ["events", "preset"]);
    // The allow-list opens the internal host.
    h.services
        .webhooks
        .set_allow_list(&admin, &["hooks.internal".into()], &Harness::context())
        .await
        .unwrap();
    let created = h
        .services
        .webhooks
        .create(&admin, hook("http://hooks.internal/x"), &Harness::context())
        .await
        .unwrap();
    let secret = created.secret.unwrap();
    assert!(secret.starts_with("whsec_"));
    let stored = h.database.state().webhooks.hooks[0].clone();
    assert_ne!(stored.secret_sealed, Vec::<u8>::new());
    assert!(
        h.database
            .state()
            .audit
            .iter()
            .any(|e| e.record.action == "webhook.created")
    );
}

#[tokio::test]
async fn a_ping_is_queued_after_commit_and_sent_signed_with_the_secret() {
    let h = harness().await;
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    let created = h
        .services
        .webhooks
        .create(
            &admin,
            hook("https://example.com/hook"),
            &Harness::context(),
        )
        .await
        .unwrap();
    let delivery = h
        .services
        .webhooks
        .ping(&admin, created.webhook.id, &Harness::context())
        .await
        .unwrap();
    let queued = h.queue.take();
    assert!(
        queued
            .iter()
            .any(|(ticket, _)| ticket.kind == JobKind::WebhookDelivery),
        "{queued:?}"
    );
    let counts = h.services.webhooks.deliver_due().await.unwrap();
    assert_eq!(counts.delivered, 1);
    let sent = h.webhooks.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].message_id, delivery.message_id);
    assert_eq!(sent[0].secret, created.secret.unwrap());
    let body: serde_json::Value = serde_json::from_str(&sent[0].body).unwrap();
    assert_eq!(body["type"], "webhook.ping");
    assert_eq!(body["data"]["webhook_id"], created.webhook.id.to_string());
}

#[tokio::test]
async fn a_failing_receiver_is_retried_with_back_off_then_dead_and_can_be_redelivered() {
    let h = harness().await;
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    let created = h
        .services
        .webhooks
        .create(
            &admin,
            hook("https://example.com/hook"),
            &Harness::context(),
        )
        .await
        .unwrap();
    h.webhooks.answer_with(500);
    let id = created.webhook.id;
    h.services
        .webhooks
        .ping(&admin, id, &Harness::context())
        .await
        .unwrap();
    let mut waits = Vec::new();
    for _ in 0..5 {
        let counts = h.services.webhooks.deliver_due().await.unwrap();
        assert_eq!(counts.delivered, 0);
        let delivery = h.database.state().webhooks.deliveries[0].clone();
        if let Some(next) = delivery.next_attempt_at {
            waits.push((next - h.clock.now()).num_seconds());
            h.clock.advance(next - h.clock.now());
        }
    }
    // 30 s doubling: four waits, then dead after the fifth attempt.
    assert_eq!(waits, [30, 60, 120, 240]);
    let page = h
        .services
        .webhooks
        .deliveries(&admin, id, PageRequest::default())
        .await
        .unwrap();
    let record = &page.items[0];
    assert_eq!(record.delivery.status, DeliveryStatus::Dead);
    assert_eq!(record.attempts.len(), 5);
    assert!(record.attempts.iter().all(|a| a.response_code == Some(500)));
    assert_eq!(
        record
            .attempts
            .iter()
            .map(|a| a.attempt)
            .collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    // Nothing more is sent for a dead delivery.
    assert_eq!(h.services.webhooks.deliver_due().await.unwrap().dead, 0);

    h.webhooks.answer_with(204);
    let copy = h
        .services
        .webhooks
        .redeliver(
            &admin,
            id,
            record.delivery.id.as_uuid(),
            &Harness::context(),
        )
        .await
        .unwrap();
    assert_eq!(copy.message_id, record.delivery.message_id);
    assert_eq!(
        h.services.webhooks.deliver_due().await.unwrap().delivered,
        1
    );

    // A deactivated webhook's deliveries die at once instead of being retried.
    h.services
        .webhooks
        .update(
            &admin,
            id,
            WebhookChanges {
                active: Some(false),
                rotate_secret: true,
                ..WebhookChanges::default()
            },
            &Harness::context(),
        )
        .await
        .unwrap();
    // A delivery recorded before the webhook was deactivated.
    let mut waiting = record.delivery.clone();
    waiting.id = aegis_domain::webhook::DeliveryId::from_uuid(uuid::Uuid::new_v4());
    waiting.event = aegis_domain::webhook::WebhookEvent::ReportReady;
    waiting.status = DeliveryStatus::Pending;
    waiting.attempts = 0;
    waiting.next_attempt_at = Some(h.clock.now());
    h.database.state().webhooks.deliveries.push(waiting);
    let sent_before = h.webhooks.sent.lock().unwrap().len();
    let counts = h.services.webhooks.deliver_due().await.unwrap();
    assert_eq!((counts.dead, counts.retrying), (1, 0));
    assert_eq!(h.webhooks.sent.lock().unwrap().len(), sent_before);
    // A ping is sent even to an inactive webhook: it is how an admin tests it.
    h.services
        .webhooks
        .ping(&admin, id, &Harness::context())
        .await
        .unwrap();
    assert_eq!(
        h.services.webhooks.deliver_due().await.unwrap().delivered,
        1
    );
}
