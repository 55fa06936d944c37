//! Alert rules and alerts on both databases: one system rule per type however often seeded,
//! settings and baselines round-trip, alerts filtered, counted, moved, and kept per tenant.

use std::collections::BTreeMap;

use aegis_domain::alert::{
    Alert, AlertAction, AlertChannel, AlertFilter, AlertId, AlertRule, AlertRuleId, AlertRuleType,
    AlertSeverity, AlertStatus, AlertStep, Firing,
};
use aegis_domain::risk::RiskLevel;

use super::*;

fn system_rules(t: TenantId) -> Vec<AlertRule> {
    AlertRuleType::ALL
        .into_iter()
        .map(|kind| AlertRule::system(AlertRuleId::from_uuid(Uuid::now_v7()), t, kind, now()))
        .collect()
}

fn fire(rule: &AlertRule, subject: &str, at: DateTime<Utc>) -> Alert {
    Alert::fire(
        AlertId::from_uuid(Uuid::now_v7()),
        rule,
        Firing {
            subject: subject.to_owned(),
            title: format!("about {subject}"),
            details: serde_json::json!({ "subject": subject }),
        },
        at,
    )
}

on_both!(
    system_rules_are_seeded_once_and_round_trip,
    |s: Store| async move {
        let db = &s.db;
        let t = tenant(db, "alpha").await;
        let other = tenant(db, "bravo").await;
        assert_eq!(db.insert_alert_rules(t, &system_rules(t)).await.unwrap(), 8);
        // A second seeding (another process) leaves one system rule per type.
        assert_eq!(db.insert_alert_rules(t, &system_rules(t)).await.unwrap(), 0);
        let mut rules = db.alert_rules(t).await.unwrap();
        assert_eq!(rules.len(), 8);
        assert!(db.alert_rules(other).await.unwrap().is_empty());

        let mut custom = AlertRule::system(
            AlertRuleId::from_uuid(Uuid::now_v7()),
            t,
            AlertRuleType::HighRiskUncovered,
            now(),
        );
        custom.system = false;
        custom.name = "Critical only".to_owned();
        custom.config.min_severity = Some(RiskLevel::Critical);
        custom.severity = AlertSeverity::Critical;
        custom.channels = vec![AlertChannel::InApp, AlertChannel::Email];
        assert_eq!(
            db.insert_alert_rules(t, std::slice::from_ref(&custom))
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            db.find_alert_rule(t, custom.id).await.unwrap(),
            Some(custom.clone())
        );
        assert_eq!(db.find_alert_rule(other, custom.id).await.unwrap(), None);

        let orphan = rules
            .iter_mut()
            .find(|r| r.rule_type == AlertRuleType::OrphanSpike)
            .unwrap();
        orphan.baseline = BTreeMap::from([("rules_without_technique".to_owned(), 12)]);
        orphan.enabled = false;
        orphan.cooldown_hours = 6;
        orphan.config.threshold = Some(2.5);
        db.update_alert_rule(t, orphan).await.unwrap();
        assert_eq!(
            db.find_alert_rule(t, orphan.id).await.unwrap().as_ref(),
            Some(&*orphan)
        );
        assert_eq!(db.mark_alert_rules_evaluated(t, now()).await.unwrap(), 9);
        assert!(db.delete_alert_rule(t, custom.id).await.unwrap());
        assert!(!db.delete_alert_rule(t, custom.id).await.unwrap());
        assert!(matches!(
            db.update_alert_rule(t, &custom).await,
            Err(RepositoryError::NotFound(Entity::AlertRule))
        ));
    }
);

on_both!(
    alerts_are_listed_counted_moved_and_deduplicated_by_fingerprint,
    |s: Store| async move {
        let db = &s.db;
        let t = tenant(db, "alpha").await;
        let other = tenant(db, "bravo").await;
        let ana = user(t, "ana@aegis.test", Role::BlueLead);
        db.insert_user(t, &ana).await.unwrap();
        let rules = system_rules(t);
        db.insert_alert_rules(t, &rules).await.unwrap();
        let gap = rules
            .iter()
            .find(|r| r.rule_type == AlertRuleType::DetectionGap)
            .unwrap();
        let low = rules
            .iter()
            .find(|r| r.rule_type == AlertRuleType::LowCoverage)
            .unwrap();
        let earlier = now() - Duration::hours(30);
        let alerts = vec![
            fire(gap, "test-1", earlier),
            fire(gap, "test-1", now()),
            fire(low, "tactic:execution", now()),
        ];
        db.insert_alerts(t, &alerts).await.unwrap();
        let page = db
            .list_alerts(t, &AlertFilter::default(), PageRequest::new(1, 2))
            .await
            .unwrap();
        assert_eq!(page.total, 3);
        assert_eq!(page.items.len(), 2);
        let gaps = db
            .list_alerts(
                t,
                &AlertFilter {
                    rule_type: Some(AlertRuleType::DetectionGap),
                    severity: Some(AlertSeverity::High),
                    ..AlertFilter::default()
                },
                PageRequest::default(),
            )
            .await
            .unwrap();
        assert_eq!(gaps.total, 2);
        assert_eq!(gaps.items[0].id, alerts[1].id, "newest first");
        assert_eq!(
            db.list_alerts(other, &AlertFilter::default(), PageRequest::default())
                .await
                .unwrap()
                .total,
            0
        );

        let fired = db
            .fired_since(t, earlier - Duration::hours(1))
            .await
            .unwrap();
        assert_eq!(fired.len(), 2);
        let newest = fired[&gap.fingerprint("test-1")];
        assert!((newest - now()).num_seconds().abs() < 5);
        let recent = db.fired_since(t, now() - Duration::hours(1)).await.unwrap();
        assert_eq!(recent.len(), 2);

        let mut moved = db.find_alert(t, alerts[2].id).await.unwrap().unwrap();
        assert_eq!(moved, alerts[2]);
        let step = AlertStep {
            by: ana.id,
            at: now(),
            note: Some("on it".to_owned()),
        };
        moved.apply(AlertAction::Acknowledge, step.clone()).unwrap();
        moved.apply(AlertAction::Dismiss, step).unwrap();
        db.update_alert(t, &moved).await.unwrap();
        let stored = db.find_alert(t, moved.id).await.unwrap().unwrap();
        assert_eq!(stored, moved);
        assert_eq!(stored.status(), AlertStatus::Dismissed);
        assert!(db.find_alert(other, moved.id).await.unwrap().is_none());

        let summary = db.alert_summary(t).await.unwrap();
        assert_eq!(summary.total, 3);
        assert_eq!(summary.by_status["open"], 2);
        assert_eq!(summary.by_status["dismissed"], 1);
        assert_eq!(summary.by_status["resolved"], 0);
        assert_eq!(summary.active_by_type["detection_gap"], 2);
        assert_eq!(summary.active_by_type["low_coverage"], 0);
        assert_eq!(summary.active_by_severity["high"], 2);
    }
);

on_both!(
    missed_tests_and_orphans_are_read_from_their_tables,
    |s: Store| async move {
        let db = &s.db;
        let t = tenant(db, "alpha").await;
        assert!(
            db.missed_tests(t, now() - Duration::days(30))
                .await
                .unwrap()
                .is_empty()
        );
        let orphans = db.orphan_counts().await.unwrap();
        assert_eq!(orphans.rules_without_technique, 0);
        assert_eq!(orphans.techniques_without_rule, 0);
    }
);
