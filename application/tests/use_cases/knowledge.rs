//! Knowledge: a playbook's every edit is a numbered immutable version that can be compared
//! and restored as a newer one; lessons are drawn from findings in one step and audited in
//! the same unit of work; bad input names its field; viewers read but never write.

use aegis_application::auth::Access;
use aegis_application::knowledge::{
    KnowledgeError, LineChange, NewLesson, NewPlaybook, PlaybookChanges,
};
use aegis_application::ports::Clock;
use aegis_domain::catalog::TechniqueId;
use aegis_domain::finding::{Finding, FindingId, Severity};
use aegis_domain::knowledge::{LessonLink, Playbook, PlaybookContent, PlaybookId, PlaybookKind};
use aegis_domain::test_case::{Outcome, TestId};
use aegis_domain::user::UserId;

use super::*;

fn fields(error: KnowledgeError) -> Vec<String> {
    match error {
        KnowledgeError::Invalid(fields) => fields.into_iter().map(|f| f.field).collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn body_change(body: &str) -> PlaybookChanges {
    PlaybookChanges {
        body: Some(body.into()),
        ..PlaybookChanges::default()
    }
}

#[tokio::test]
async fn a_playbook_edited_twice_and_restored_keeps_every_version() {
    let h = harness().await;
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    // The catalog of these tests is empty: the playbook is arranged as storage holds it.
    let (playbook, first) = Playbook::create(
        PlaybookId::from_uuid(uuid::Uuid::now_v7()),
        h.tenant.id,
        PlaybookContent {
            technique_id: TechniqueId::parse("T1059.001").unwrap(),
            kind: PlaybookKind::Detect,
            title: "Encoded PowerShell".into(),
            body: "Look for -enc.\nAlert the SOC.".into(),
            tools: vec!["Sysmon".into()],
            prerequisites: vec![],
        },
        admin.user_id,
        h.clock.now(),
    );
    h.database.with(|s| {
        s.playbooks.push(playbook.clone());
        s.playbook_versions.push(first);
    });
    let knowledge = &h.services.knowledge;
    let context = Harness::context();
    let v2 = knowledge
        .update_playbook(
            &admin,
            playbook.id,
            body_change("Look for -enc.\nPage the SOC."),
            Some(1),
            &context,
        )
        .await
        .unwrap();
    assert_eq!(v2.version(), 2);
    // Unchanged content makes no version.
    let same = knowledge
        .update_playbook(
            &admin,
            playbook.id,
            body_change("Look for -enc.\nPage the SOC."),
            None,
            &context,
        )
        .await
        .unwrap();
    assert_eq!(same.version(), 2);
    let stale = knowledge
        .update_playbook(&admin, playbook.id, body_change("x"), Some(1), &context)
        .await
        .unwrap_err();
    assert!(
        matches!(stale, KnowledgeError::VersionConflict),
        "{stale:?}"
    );
    knowledge
        .update_playbook(
            &admin,
            playbook.id,
            body_change("Hunt in the proxy logs."),
            Some(2),
            &context,
        )
        .await
        .unwrap();

    let diff = knowledge.diff(&admin, playbook.id, 1, 2).await.unwrap();
    assert!(diff.changed_fields.is_empty());
    assert!(
        diff.lines
            .contains(&(LineChange::Delete, "Alert the SOC.".into()))
    );
    assert!(
        diff.lines
            .contains(&(LineChange::Insert, "Page the SOC.".into()))
    );
    assert!(
        diff.lines
            .contains(&(LineChange::Equal, "Look for -enc.".into()))
    );
    assert_eq!(
        fields(knowledge.diff(&admin, playbook.id, 1, 9).await.unwrap_err()),
        ["to"]
    );

    let restored = knowledge
        .restore(&admin, playbook.id, 1, &context)
        .await
        .unwrap();
    assert_eq!(restored.version(), 4);
    assert_eq!(restored.content.body, "Look for -enc.\nAlert the SOC.");
    let versions = knowledge.versions(&admin, playbook.id).await.unwrap();
    assert_eq!(
        versions.iter().map(|v| v.number).collect::<Vec<_>>(),
        [4, 3, 2, 1]
    );
    assert_eq!(versions[0].restored_from, Some(1));
    assert_eq!(versions[2].content.body, "Look for -enc.\nPage the SOC.");

    // A deleted playbook keeps its versions and refuses edits until it is undeleted.
    knowledge
        .delete_playbook(&admin, playbook.id, &context)
        .await
        .unwrap();
    let refused = knowledge
        .update_playbook(&admin, playbook.id, body_change("y"), None, &context)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, KnowledgeError::PlaybookInactive),
        "{refused:?}"
    );
    assert_eq!(
        knowledge.versions(&admin, playbook.id).await.unwrap().len(),
        4
    );
    let actions: Vec<String> = h.database.with(|s| {
        s.audit
            .iter()
            .filter(|e| e.record.entity_type == "playbook")
            .map(|e| e.record.action.clone())
            .collect()
    });
    assert_eq!(
        actions,
        [
            "playbook.updated",
            "playbook.updated",
            "playbook.restored",
            "playbook.deleted"
        ]
    );
}

#[tokio::test]
async fn a_lesson_is_drawn_from_a_finding_in_one_step() {
    let h = harness().await;
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    let test = TestId::from_uuid(uuid::Uuid::now_v7());
    let mut finding = Finding::open(
        FindingId::from_uuid(uuid::Uuid::now_v7()),
        h.tenant.id,
        test,
        TechniqueId::parse("T1003").unwrap(),
        Outcome::NotDetected,
        Severity::Critical,
        h.clock.now(),
    );
    finding.title = "T1003 not detected: LSASS dump".into();
    h.database.with(|s| s.findings.push(finding.clone()));
    let lesson = h
        .services
        .knowledge
        .lesson_from_finding(&admin, finding.id, &Harness::context())
        .await
        .unwrap();
    assert_eq!(lesson.title, finding.title);
    assert_eq!(lesson.severity, Severity::Critical);
    assert_eq!(lesson.link, LessonLink::Test(test));
    assert_eq!(lesson.finding_id, Some(finding.id));
    assert!(lesson.body.contains("**not detected**"), "{}", lesson.body);
    let audited = h.database.with(|s| {
        s.audit.iter().any(|e| {
            e.record.action == "lesson.created"
                && e.record.entity_id.as_deref() == Some(&lesson.id.to_string())
        })
    });
    assert!(audited);
    let missing = h
        .services
        .knowledge
        .lesson_from_finding(
            &admin,
            FindingId::from_uuid(uuid::Uuid::nil()),
            &Harness::context(),
        )
        .await
        .unwrap_err();
    assert!(matches!(missing, KnowledgeError::FindingNotFound));
    let found = h
        .services
        .knowledge
        .search(&admin, "lsass", Some("lesson"), None)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
}

#[tokio::test]
async fn bad_input_names_its_field_and_viewers_only_read() {
    let h = harness().await;
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    let knowledge = &h.services.knowledge;
    let context = Harness::context();
    let error = knowledge
        .create_playbook(
            &admin,
            NewPlaybook {
                technique_id: "T9999".into(),
                kind: "pray".into(),
                title: " ".into(),
                body: "b".into(),
                tools: vec![],
                prerequisites: vec![],
            },
            None,
            &context,
        )
        .await
        .unwrap_err();
    assert_eq!(fields(error), ["technique_id", "type", "title"]);
    let error = knowledge
        .create_lesson(
            &admin,
            NewLesson {
                title: "t".into(),
                severity: "dire".into(),
                test_id: Some(uuid::Uuid::nil()),
                campaign_id: Some(uuid::Uuid::nil()),
                ..NewLesson::default()
            },
            None,
            &context,
        )
        .await
        .unwrap_err();
    assert_eq!(fields(error), ["severity", "campaign_id"]);
    let error = knowledge
        .search(&admin, "--", Some("playbook,spell"), Some(0))
        .await
        .unwrap_err();
    assert_eq!(fields(error), ["types", "limit", "q"]);

    let password = h.create("viewer@aegis.test", "viewer").await;
    let viewer = h
        .actor("viewer@aegis.test", &password, Access::PasswordChange)
        .await;
    let lesson = NewLesson {
        title: "Tune the proxy".into(),
        severity: "low".into(),
        ..NewLesson::default()
    };
    let refused = knowledge
        .create_lesson(&viewer, lesson.clone(), None, &context)
        .await
        .unwrap_err();
    assert!(matches!(refused, KnowledgeError::Forbidden(_)));
    let created = knowledge
        .create_lesson(&admin, lesson, None, &context)
        .await
        .unwrap();
    assert_eq!(created.link, LessonLink::Nothing);
    let listed = knowledge
        .list_lessons(&viewer, &Default::default(), Default::default())
        .await
        .unwrap();
    assert_eq!(listed.total, 1);
    assert_eq!(knowledge.stats(&viewer).await.unwrap().lessons, 1);
    let _ = UserId::from_uuid(uuid::Uuid::nil());
}
