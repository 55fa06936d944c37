//! Channel preferences and the email outbox on both databases: choices replace the stored
//! ones per user; due emails come oldest first across tenants; one worker claims an attempt;
//! only the claiming attempt records its outcome.

use aegis_domain::notification::{
    AttemptOutcome, ChannelChoice, ChannelPreferences, EmailDelivery, EmailStatus, Notification,
    NotificationId,
};
use aegis_domain::webhook::DeliveryPolicy;

use super::*;

fn notification(t: TenantId, to: UserId, at: DateTime<Utc>) -> Notification {
    Notification {
        id: NotificationId::from_uuid(Uuid::now_v7()),
        tenant_id: t,
        user_id: to,
        kind: "alert.fired".to_owned(),
        title: "critical alert: gap".to_owned(),
        body: "Rule type detection_gap.".to_owned(),
        entity_type: Some("alert".to_owned()),
        entity_id: None,
        created_at: at,
        read_at: None,
    }
}

on_both!(
    preferences_and_the_email_outbox_round_trip,
    |s: Store| async move {
        let db = &s.db;
        let t = tenant(db, "mail").await;
        let ana = user(t, "ana@mail.test", Role::BlueTech);
        db.insert_user(t, &ana).await.unwrap();

        assert_eq!(
            db.channel_preferences(t, ana.id).await.unwrap(),
            ChannelPreferences::default()
        );
        let mut chosen = ChannelPreferences::default();
        let quiet = ChannelChoice {
            in_app: true,
            email: false,
        };
        chosen.choose("alert.fired", quiet).unwrap();
        db.save_channel_preferences(t, ana.id, &chosen, now())
            .await
            .unwrap();
        assert_eq!(db.channel_preferences(t, ana.id).await.unwrap(), chosen);
        let mut other = ChannelPreferences::default();
        other.choose("test.reopen", quiet).unwrap();
        db.save_channel_preferences(t, ana.id, &other, now())
            .await
            .unwrap();
        assert_eq!(
            db.channel_preferences(t, ana.id).await.unwrap(),
            other,
            "a save replaces the user's choices"
        );

        let earlier = EmailDelivery::pending(
            &notification(t, ana.id, now() - Duration::seconds(30)),
            "ana@mail.test",
        );
        let later = EmailDelivery::pending(&notification(t, ana.id, now()), "ana@mail.test");
        db.insert_email_deliveries(t, &[later.clone(), earlier.clone()])
            .await
            .unwrap();
        let due = db.due_email_deliveries(now(), 10).await.unwrap();
        assert_eq!(
            due.iter().map(|e| e.id).collect::<Vec<_>>(),
            [earlier.id, later.id]
        );
        assert_eq!(due[0], earlier);

        let lease = now() + Duration::seconds(120);
        assert!(db.claim_email_delivery(&earlier, lease).await.unwrap());
        assert!(
            !db.claim_email_delivery(&earlier, lease).await.unwrap(),
            "a second worker does not get the same attempt"
        );
        assert_eq!(
            db.due_email_deliveries(now(), 10).await.unwrap().len(),
            1,
            "a claimed email is held"
        );

        let sent_at = now();
        let mut sent = earlier.clone();
        sent.attempts = 1;
        sent.record(
            AttemptOutcome::Sent,
            None,
            &DeliveryPolicy::default(),
            sent_at,
        );
        db.save_email_delivery(&sent).await.unwrap();
        let mut stale = earlier.clone();
        stale.record(
            AttemptOutcome::Permanent,
            Some("late".into()),
            &DeliveryPolicy::default(),
            now(),
        );
        db.save_email_delivery(&stale).await.unwrap();

        let listed = db
            .list_email_deliveries(t, ana.id, PageRequest::new(1, 10))
            .await
            .unwrap();
        assert_eq!(listed.total, 2);
        let stored = listed.items.iter().find(|e| e.id == earlier.id).unwrap();
        assert_eq!(stored.status, EmailStatus::Sent, "the stale attempt lost");
        assert_eq!(stored.attempts, 1);
        assert_eq!(stored.sent_at, Some(sent_at));

        // The cleanup takes finished emails older than its cutoff, never a pending one.
        assert_eq!(
            db.delete_finished_email_deliveries(t, now() - Duration::seconds(60))
                .await
                .unwrap(),
            0,
            "nothing is that old"
        );
        assert_eq!(
            db.delete_finished_email_deliveries(t, now() + Duration::seconds(60))
                .await
                .unwrap(),
            1,
            "the sent one; the pending one stays"
        );
        let left = db
            .list_email_deliveries(t, ana.id, PageRequest::new(1, 10))
            .await
            .unwrap();
        assert_eq!(
            left.items.iter().map(|e| e.id).collect::<Vec<_>>(),
            [later.id]
        );
    }
);
