//! Alerts: the system rules seeded once, a condition fired once per cooldown with its in-app
//! notifications in the same unit of work, the lifecycle, who may do what, and bad input
//! named by field.

use chrono::Duration;

use aegis_application::alerts::{AlertError, NewAlertRule, RuleChanges};
use aegis_application::auth::Access;
use aegis_application::ports::Clock;
use aegis_domain::alert::{AlertAction, AlertRuleType, AlertStatus, OrphanCounts};
use aegis_domain::page::PageRequest;
use aegis_domain::snapshot::{PostureSnapshot, TacticPosture};

use super::*;

fn snapshot(h: &Harness, covered: u32) -> PostureSnapshot {
    PostureSnapshot {
        id: uuid::Uuid::from_u128(0xabc + u128::from(covered)),
        tenant_id: h.tenant.id,
        taken_at: h.clock.now(),
        taken_by: None,
        organization_score: Some(10.0),
        threat_weighted_score: None,
        total_techniques: 10,
        covered_techniques: covered,
        validated_tests: covered,
        status_counts: std::collections::BTreeMap::new(),
        by_tactic: vec![TacticPosture {
            tactic: "execution".into(),
            name: "Execution".into(),
            score: Some(10.0),
            techniques: 10,
            covered,
        }],
    }
}

async fn admin(h: &Harness) -> Actor {
    h.actor(ADMIN, PASSWORD, Access::PasswordChange).await
}

async fn as_role(h: &Harness, email: &str, role: &str) -> Actor {
    let password = h.create(email, role).await;
    h.actor(email, &password, Access::PasswordChange).await
}

#[tokio::test]
async fn the_eight_system_rules_are_seeded_once() {
    let h = harness().await;
    let viewer = as_role(&h, "viewer@aegis.test", "viewer").await;
    let first = h.services.alerts.rules(&viewer).await.unwrap();
    let again = h.services.alerts.rules(&viewer).await.unwrap();
    assert_eq!(first.len(), 8);
    assert_eq!(first, again);
    let mut types: Vec<_> = first.iter().map(|r| r.rule_type).collect();
    types.sort();
    assert_eq!(types, AlertRuleType::ALL.to_vec());
    assert!(first.iter().all(|r| r.system && r.enabled));
    assert_eq!(h.services.alerts.ensure_every_tenant().await.unwrap(), 1);
    assert_eq!(h.database.with(|s| s.alert_rules.len()), 8);
}

#[tokio::test]
async fn a_condition_fires_once_per_cooldown_and_tells_the_leads() {
    let h = harness().await;
    let admin = admin(&h).await;
    let lead = as_role(&h, "blue.lead@aegis.test", "blue_lead").await;
    as_role(&h, "tech@aegis.test", "blue_tech").await;
    h.database.with(|s| s.snapshots.push(snapshot(&h, 1)));
    let first = h
        .services
        .alerts
        .evaluate(&lead, &Harness::context())
        .await
        .unwrap();
    assert_eq!(first.rules_evaluated, 8);
    assert_eq!(
        first.alerts_fired, 1,
        "Execution is 10 % covered, under 20 %"
    );
    let alerts = h.database.with(|s| s.alerts.clone());
    assert_eq!(alerts[0].rule_type, AlertRuleType::LowCoverage);
    // The admin and the blue lead hear of it; the tech does not.
    let told = h.database.with(|s| {
        s.notifications
            .iter()
            .filter(|n| n.kind == "alert.fired")
            .map(|n| n.user_id)
            .collect::<Vec<_>>()
    });
    assert_eq!(told.len(), 2);
    assert!(told.contains(&admin.user_id) && told.contains(&lead.user_id));

    let again = h
        .services
        .alerts
        .evaluate(&lead, &Harness::context())
        .await
        .unwrap();
    assert_eq!(again.alerts_fired, 0, "within the cooldown");
    h.clock.advance(Duration::hours(25));
    let later = h
        .services
        .alerts
        .evaluate(&lead, &Harness::context())
        .await
        .unwrap();
    assert_eq!(
        later.alerts_fired, 1,
        "the cooldown is over and the condition holds"
    );
    let audited = h.database.with(|s| {
        s.audit
            .iter()
            .filter(|e| e.record.action == "alert.evaluated")
            .count()
    });
    assert_eq!(audited, 3);
}

#[tokio::test]
async fn orphan_spike_compares_with_what_it_saw_last_time() {
    let h = harness().await;
    let admin = admin(&h).await;
    h.database.with(|s| {
        s.orphans = OrphanCounts {
            rules_without_technique: 2,
            techniques_without_rule: 100,
        }
    });
    let first = h
        .services
        .alerts
        .evaluate(&admin, &Harness::context())
        .await
        .unwrap();
    assert_eq!(
        first.alerts_fired, 0,
        "the first evaluation sets the baseline"
    );
    h.database.with(|s| s.orphans.rules_without_technique = 30);
    let grown = h
        .services
        .alerts
        .evaluate(&admin, &Harness::context())
        .await
        .unwrap();
    assert_eq!(grown.alerts_fired, 1);
    let alert = h.database.with(|s| s.alerts[0].clone());
    assert_eq!(alert.rule_type, AlertRuleType::OrphanSpike);
    assert_eq!(alert.details["growth"], 28);
}

#[tokio::test]
async fn alerts_move_open_acknowledged_resolved_and_nothing_else() {
    let h = harness().await;
    let admin = admin(&h).await;
    let viewer = as_role(&h, "viewer@aegis.test", "viewer").await;
    let red_lead = as_role(&h, "red.lead@aegis.test", "red_lead").await;
    h.database.with(|s| s.snapshots.push(snapshot(&h, 0)));
    h.services
        .alerts
        .evaluate(&admin, &Harness::context())
        .await
        .unwrap();
    let page = h
        .services
        .alerts
        .list(&viewer, &Default::default(), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    let id = page.items[0].id;
    let refused = h
        .services
        .alerts
        .act(
            &viewer,
            &Harness::context(),
            id,
            AlertAction::Acknowledge,
            None,
        )
        .await;
    assert!(matches!(refused, Err(AlertError::Forbidden(_))));
    let acknowledged = h
        .services
        .alerts
        .act(
            &red_lead,
            &Harness::context(),
            id,
            AlertAction::Acknowledge,
            Some("looking".into()),
        )
        .await
        .unwrap();
    assert_eq!(acknowledged.status(), AlertStatus::Acknowledged);
    assert_eq!(
        acknowledged.acknowledged().map(|s| s.by),
        Some(red_lead.user_id)
    );
    let twice = h
        .services
        .alerts
        .act(
            &red_lead,
            &Harness::context(),
            id,
            AlertAction::Acknowledge,
            None,
        )
        .await;
    assert!(matches!(twice, Err(AlertError::IllegalStep(_))));
    let resolved = h
        .services
        .alerts
        .act(
            &admin,
            &Harness::context(),
            id,
            AlertAction::Resolve,
            Some("tests planned".into()),
        )
        .await
        .unwrap();
    assert_eq!(resolved.status(), AlertStatus::Resolved);
    let summary = h.services.alerts.summary(&viewer).await.unwrap();
    assert_eq!(summary.by_status["resolved"], 1);
    assert_eq!(summary.active_by_type["low_coverage"], 0);
}

#[tokio::test]
async fn rules_are_managed_by_leads_and_only_custom_ones_deleted_by_admins() {
    let h = harness().await;
    let admin = admin(&h).await;
    let lead = as_role(&h, "red.lead@aegis.test", "red_lead").await;
    let tech = as_role(&h, "tech@aegis.test", "red_tech").await;
    let bad = h
        .services
        .alerts
        .create_rule(
            &lead,
            &Harness::context(),
            NewAlertRule {
                name: " ".into(),
                rule_type: "detection_gap".into(),
                threshold: Some(4.0),
                channels: Some(vec!["sms".into()]),
                severity: Some("urgent".into()),
                ..NewAlertRule::default()
            },
        )
        .await;
    let Err(AlertError::Invalid(fields)) = bad else {
        panic!("invalid input is refused: {bad:?}");
    };
    let mut names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["channels", "config.threshold", "name", "severity"]);
    let tech_refused = h
        .services
        .alerts
        .create_rule(&tech, &Harness::context(), NewAlertRule::default())
        .await;
    assert!(matches!(tech_refused, Err(AlertError::Forbidden(_))));
    let custom = h
        .services
        .alerts
        .create_rule(
            &lead,
            &Harness::context(),
            NewAlertRule {
                name: "Week-old misses".into(),
                rule_type: "detection_gap".into(),
                days: Some(7),
                cooldown_hours: Some(2),
                channels: Some(vec!["email".into(), "in_app".into()]),
                ..NewAlertRule::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(custom.config.days, Some(7));
    let system = h.services.alerts.rules(&lead).await.unwrap()[0].clone();
    assert!(system.system);
    let disabled = h
        .services
        .alerts
        .update_rule(
            &lead,
            &Harness::context(),
            system.id,
            RuleChanges {
                enabled: Some(false),
                ..RuleChanges::default()
            },
        )
        .await
        .unwrap();
    assert!(!disabled.enabled);
    assert!(matches!(
        h.services
            .alerts
            .delete_rule(&admin, &Harness::context(), system.id)
            .await,
        Err(AlertError::SystemRule)
    ));
    assert!(matches!(
        h.services
            .alerts
            .delete_rule(&lead, &Harness::context(), custom.id)
            .await,
        Err(AlertError::Forbidden(_))
    ));
    h.services
        .alerts
        .delete_rule(&admin, &Harness::context(), custom.id)
        .await
        .unwrap();
    assert_eq!(h.services.alerts.rules(&lead).await.unwrap().len(), 8);
}
