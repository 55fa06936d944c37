//! Attack paths over the fakes: viewers read and never write; a technique the catalog lacks
//! names its field; an update based on a stale version is refused; a deletion is audited in
//! the same unit of work.

use aegis_application::attack_paths::{
    AttackPathChanges, AttackPathError, NewAttackPath, StepInput,
};
use aegis_application::auth::Access;
use aegis_application::ports::Clock;
use aegis_domain::attack_path::{AttackPath, AttackPathId, PathGraph, PathSource};
use aegis_domain::catalog::TechniqueId;

use super::*;

/// A path arranged as storage holds it (the catalog of these tests is empty).
fn stored_path(h: &Harness) -> AttackPath {
    let graph = PathGraph::chain(vec![
        (TechniqueId::parse("T1566").unwrap(), "Phishing".into()),
        (
            TechniqueId::parse("T1059.001").unwrap(),
            "PowerShell".into(),
        ),
    ])
    .unwrap();
    let path = AttackPath::new(
        AttackPathId::from_uuid(uuid::Uuid::now_v7()),
        h.tenant.id,
        "Phish to PowerShell".into(),
        String::new(),
        PathSource::Manual,
        None,
        graph,
        None,
        h.clock.now(),
    );
    h.database.with(|s| s.attack_paths.push(path.clone()));
    path
}

#[tokio::test]
async fn viewers_read_paths_and_never_change_them() {
    let h = harness().await;
    let path = stored_path(&h);
    let password = h.create("viewer@aegis.test", "viewer").await;
    let viewer = h
        .actor("viewer@aegis.test", &password, Access::PasswordChange)
        .await;
    let paths = &h.services.attack_paths;
    let detail = paths.get(&viewer, path.id).await.unwrap();
    assert_eq!(detail.assessment.steps.len(), 2);
    // Never tested: both uncovered, the first the weakest, nothing stops the chain.
    assert_eq!(detail.assessment.weakest.as_deref(), Some("s1"));
    assert_eq!(detail.assessment.first_stop, None);
    let refused = paths.delete(&viewer, path.id, &Harness::context()).await;
    assert!(matches!(refused, Err(AttackPathError::Forbidden(_))));
    let refused = paths
        .plan_campaign(&viewer, path.id, None, &Harness::context())
        .await;
    assert!(matches!(refused, Err(AttackPathError::Forbidden(_))));
}

#[tokio::test]
async fn unknown_techniques_name_their_field_and_stale_updates_are_refused() {
    let h = harness().await;
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    let paths = &h.services.attack_paths;
    let context = Harness::context();
    let request = NewAttackPath {
        name: "Unknown".into(),
        description: String::new(),
        steps: vec![StepInput {
            key: "a".into(),
            technique_id: Some("T1566".into()),
            ..StepInput::default()
        }],
        edges: vec![],
    };
    match paths.create(&admin, request, &context).await {
        Err(AttackPathError::Invalid(fields)) => {
            assert_eq!(fields[0].field, "steps[0].technique_id");
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    let path = stored_path(&h);
    let renamed = paths
        .update(
            &admin,
            path.id,
            AttackPathChanges {
                name: Some("Renamed".into()),
                ..AttackPathChanges::default()
            },
            Some(1),
            &context,
        )
        .await
        .unwrap();
    assert_eq!(renamed.path.version(), 2);
    let stale = paths
        .update(
            &admin,
            path.id,
            AttackPathChanges {
                name: Some("Stale".into()),
                ..AttackPathChanges::default()
            },
            Some(1),
            &context,
        )
        .await;
    assert!(matches!(stale, Err(AttackPathError::VersionConflict)));
    paths.delete(&admin, path.id, &context).await.unwrap();
    let audited = h.database.with(|s| s.audit.last().cloned()).unwrap();
    assert_eq!(audited.record.action, "attack_path.deleted");
    assert!(h.database.with(|s| s.attack_paths.is_empty()));
}
