//! The detection lifecycle over fakes: the daily decay ends proofs whose time ran out, once,
//! however many schedulers see the run come due, and records what it did.

use chrono::Duration;

use aegis_application::detection_lifecycle::{LifecycleError, ManualProof, NewAsset};
use aegis_domain::Role;
use aegis_domain::job::{JobKind, JobOutcome};

use aegis_application::ports::Clock;

use super::*;

/// A blue lead as authentication would present them (password already changed).
async fn blue_lead(h: &Harness) -> Actor {
    h.create("blue.lead@aegis.test", "blue_lead").await;
    let user = h
        .database
        .with(|s| s.users.iter().find(|u| u.role == Role::BlueLead).cloned())
        .unwrap();
    Actor {
        user_id: user.id,
        tenant_id: h.tenant.id,
        role: user.role,
        email: user.email,
        must_change_password: false,
        token: None,
        api_key: None,
    }
}

#[tokio::test]
async fn the_daily_decay_ends_lapsed_proofs_once_and_records_it() {
    let h = harness().await;
    let lead = blue_lead(&h).await;
    let asset = h
        .services
        .detection_lifecycle
        .create_asset(
            &lead,
            NewAsset {
                name: "Encoded PowerShell".into(),
                kind: "siem_rule".into(),
                platform: "Splunk".into(),
                content: "index=win CommandLine=*-enc*".into(),
                ..NewAsset::default()
            },
            &Harness::context(),
        )
        .await
        .unwrap();
    assert_eq!(asset.platform, "splunk");
    // The fake catalog holds no technique: a manual proof names one it cannot know.
    let refused = h
        .services
        .detection_lifecycle
        .record_proof(
            &lead,
            ManualProof {
                asset_id: asset.id.as_uuid(),
                technique_id: "T1059.001".into(),
                evidence: "TICKET-1".into(),
                notes: String::new(),
            },
            &Harness::context(),
        )
        .await;
    assert!(matches!(refused, Err(LifecycleError::Invalid(_))));

    // A proof made now with the default validity (no risk level known: 180 days).
    let now = h.clock.now();
    let proof = aegis_domain::detection_lifecycle::DetectionValidation {
        id: aegis_domain::detection_lifecycle::ValidationId::from_uuid(uuid::Uuid::now_v7()),
        tenant_id: h.tenant.id,
        asset_id: asset.id,
        technique_id: aegis_domain::catalog::TechniqueId::parse("T1059.001").unwrap(),
        source: aegis_domain::detection_lifecycle::ProofSource::Manual,
        test_id: None,
        outcome: None,
        evidence: Some("TICKET-1".into()),
        notes: String::new(),
        content_sha256: asset.content_sha256().to_owned(),
        validated_by: Some(lead.user_id),
        validated_at: now,
        expires_at: aegis_domain::detection_lifecycle::expiry(&[], "splunk", &[], None, now),
        ended: None,
    };
    h.database
        .with(|s| s.detection_validations.push(proof.clone()));

    let run_decay = || async {
        let due = h.clock.now();
        let first = h
            .services
            .jobs
            .schedule_due(JobKind::DetectionDecay, due)
            .await
            .unwrap();
        let second = h
            .services
            .jobs
            .schedule_due(JobKind::DetectionDecay, due)
            .await
            .unwrap();
        assert_eq!(first.id, second.id, "one run per due time");
        for (ticket, _) in h.queue.take() {
            assert_eq!(
                h.services.jobs.execute(&ticket).await.unwrap(),
                JobOutcome::Succeeded
            );
        }
        h.database
            .with(|s| s.job_runs.iter().find(|r| r.id == first.id).cloned())
            .unwrap()
    };

    // Day 179: nothing is due.
    h.clock.advance(Duration::days(179));
    let early = run_decay().await;
    assert_eq!(early.counts.get("expired"), Some(&0));
    // Day 181: the proof expires, once.
    h.clock.advance(Duration::days(2));
    let due = run_decay().await;
    assert_eq!(due.counts.get("expired"), Some(&1));
    assert_eq!(due.counts.get("techniques"), Some(&1));
    let ended = h
        .database
        .with(|s| s.detection_validations[0].ended.clone())
        .unwrap();
    assert_eq!(ended.reason, "expired");
    h.clock.advance(Duration::days(1));
    let next_day = run_decay().await;
    assert_eq!(
        next_day.counts.get("expired"),
        Some(&0),
        "a proof ends once"
    );

    let dashboard = h
        .services
        .detection_lifecycle
        .dashboard(&lead)
        .await
        .unwrap();
    assert_eq!((dashboard.expired, dashboard.current), (1, 0));
    assert_eq!(dashboard.unproven_assets, 1);
}
