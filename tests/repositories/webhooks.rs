//! Webhooks, the allow-list and the delivery outbox on both databases: one worker claims an
//! attempt, due deliveries come oldest first, an attempt is logged with the new status, and
//! deleting a webhook takes its log with it.

use std::collections::BTreeSet;

use aegis_domain::webhook::{
    AllowList, DeliveryAttempt, DeliveryId, DeliveryPolicy, DeliveryStatus, Webhook,
    WebhookDelivery, WebhookEvent, WebhookId, WebhookPreset,
};

use super::*;

fn webhook(t: TenantId, by: UserId) -> Webhook {
    Webhook {
        id: WebhookId::from_uuid(Uuid::now_v7()),
        tenant_id: t,
        name: "SOAR".to_owned(),
        url: "https://soar.example.com/hooks".to_owned(),
        events: BTreeSet::from([WebhookEvent::FindingOpened, WebhookEvent::ReportReady]),
        preset: WebhookPreset::Teams,
        active: true,
        secret_sealed: vec![1, 2, 3, 250],
        created_by: by,
        created_at: now(),
        updated_at: now(),
    }
}

on_both!(
    deliveries_are_claimed_once_logged_and_deleted_with_their_webhook,
    |s: Store| async move {
        let db = &s.db;
        let t = tenant(db, "hooks").await;
        let other = tenant(db, "elsewhere").await;
        let ana = user(t, "ana@hooks.test", Role::Admin);
        db.insert_user(t, &ana).await.unwrap();
        let hook = webhook(t, ana.id);
        db.insert_webhook(t, &hook).await.unwrap();
        assert_eq!(
            db.find_webhook(t, hook.id).await.unwrap(),
            Some(hook.clone())
        );
        assert_eq!(db.find_webhook(other, hook.id).await.unwrap(), None);

        let list = AllowList::parse(["127.0.0.1", "hooks.internal", "fd00::/8"]).unwrap();
        assert_eq!(
            db.webhook_allow_list(t).await.unwrap(),
            AllowList::default()
        );
        db.set_webhook_allow_list(t, &list, now()).await.unwrap();
        db.set_webhook_allow_list(t, &list, now()).await.unwrap();
        assert_eq!(db.webhook_allow_list(t).await.unwrap(), list);
        assert_eq!(
            db.webhook_allow_list(other).await.unwrap(),
            AllowList::default()
        );

        let earlier = now() - Duration::seconds(10);
        let first = WebhookDelivery::pending(
            DeliveryId::from_uuid(Uuid::now_v7()),
            &hook,
            "msg_first".to_owned(),
            WebhookEvent::FindingOpened,
            r#"{"type":"finding.opened"}"#.to_owned(),
            earlier,
        );
        let second = WebhookDelivery::pending(
            DeliveryId::from_uuid(Uuid::now_v7()),
            &hook,
            "msg_second".to_owned(),
            WebhookEvent::ReportReady,
            r#"{"type":"report.ready"}"#.to_owned(),
            now(),
        );
        let uow = db.begin().await.unwrap();
        uow.insert_webhook_deliveries(t, &[second.clone(), first.clone()])
            .await
            .unwrap();
        uow.commit().await.unwrap();
        let due = db.due_webhook_deliveries(t, now(), 10).await.unwrap();
        assert_eq!(
            due.iter()
                .map(|d| d.message_id.as_str())
                .collect::<Vec<_>>(),
            ["msg_first", "msg_second"]
        );
        assert!(
            db.due_webhook_deliveries(other, now(), 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(db.next_webhook_delivery_due().await.unwrap(), Some(earlier));

        // Two workers see the same attempt count: one gets it.
        let lease = now() + Duration::minutes(2);
        assert!(
            db.claim_webhook_delivery(t, first.id, 0, lease)
                .await
                .unwrap()
        );
        assert!(
            !db.claim_webhook_delivery(t, first.id, 0, lease)
                .await
                .unwrap()
        );
        assert_eq!(
            db.due_webhook_deliveries(t, now(), 10).await.unwrap().len(),
            1
        );

        let mut sent = db
            .find_webhook_delivery(t, first.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(sent.attempts, 1);
        let attempt = DeliveryAttempt {
            id: Uuid::now_v7(),
            delivery_id: sent.id,
            attempt: 1,
            attempted_at: now(),
            duration_ms: 12,
            succeeded: false,
            response_code: Some(503),
            error: Some("HTTP 503 Service Unavailable".to_owned()),
        };
        sent.record_attempt(&attempt, &DeliveryPolicy::default());
        let uow = db.begin().await.unwrap();
        uow.record_webhook_attempt(t, &sent, &attempt)
            .await
            .unwrap();
        uow.commit().await.unwrap();
        let page = db
            .list_webhook_deliveries(t, hook.id, PageRequest::default())
            .await
            .unwrap();
        assert_eq!(page.total, 2);
        let logged = page
            .items
            .iter()
            .find(|r| r.delivery.id == first.id)
            .unwrap();
        assert_eq!(logged.delivery.status, DeliveryStatus::Retrying);
        assert_eq!(logged.delivery.last_response_code, Some(503));
        assert_eq!(logged.attempts, vec![attempt]);

        let mut changed = hook.clone();
        changed.active = false;
        changed.preset = WebhookPreset::Slack;
        changed.events = BTreeSet::from([WebhookEvent::TestTransitioned]);
        db.update_webhook(t, &changed).await.unwrap();
        assert_eq!(db.list_webhooks(t).await.unwrap(), vec![changed]);

        db.delete_webhook(t, hook.id).await.unwrap();
        assert!(matches!(
            db.delete_webhook(t, hook.id).await,
            Err(RepositoryError::NotFound(Entity::Webhook))
        ));
        assert_eq!(db.find_webhook_delivery(t, first.id).await.unwrap(), None);
        assert_eq!(db.next_webhook_delivery_due().await.unwrap(), None);
    }
);
