//! Tickets: manual links by leads only, a Jira issue from a finding once (with the finding's
//! technique and outcome), the sync bringing statuses back and pushing each intact worklog to
//! Tempo once, and the configuration saved by admins only.

use aegis_application::auth::Access;
use aegis_application::ports::Clock;
use aegis_application::tickets::{
    JiraConfigChanges, NewTicketLink, SubjectQuery, TicketError, TrackerError,
};
use aegis_domain::catalog::TechniqueId;
use aegis_domain::finding::{Finding, FindingId, Severity};
use aegis_domain::ports::TestHistory;
use aegis_domain::test_case::{Outcome, TestId, Worklog};
use aegis_domain::ticket::StatusCategory;
use aegis_domain::workflow::Team;

use super::*;

fn finding(h: &Harness) -> Finding {
    let mut finding = Finding::open(
        FindingId::from_uuid(uuid::Uuid::from_u128(77)),
        h.tenant.id,
        TestId::from_uuid(uuid::Uuid::from_u128(78)),
        TechniqueId::parse("T1059.001").unwrap(),
        Outcome::NotDetected,
        Severity::High,
        h.clock.now(),
    );
    finding.title = "T1059.001 not detected: PowerShell".into();
    h.database.with(|s| s.findings.push(finding.clone()));
    finding
}

fn config() -> JiraConfigChanges {
    JiraConfigChanges {
        base_url: "https://example.atlassian.net/".into(),
        email: "bot@example.com".into(),
        api_token: Some("jira-token".into()),
        project_key: "SEC".into(),
        labels: vec!["aegis".into(), "purple-team".into()],
        aegis_url: Some("https://aegis.example".into()),
        ..JiraConfigChanges::default()
    }
}

#[tokio::test]
async fn leads_link_tickets_by_hand_and_bad_input_names_its_field() {
    let h = harness().await;
    let finding = finding(&h);
    let password = h.create("tech@aegis.test", "blue_tech").await;
    let tech = h
        .actor("tech@aegis.test", &password, Access::PasswordChange)
        .await;
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    let request = NewTicketLink {
        subject: SubjectQuery {
            finding_id: Some(finding.id.as_uuid()),
            ..SubjectQuery::default()
        },
        system: "github".into(),
        key: "org/repo#12".into(),
        url: "https://github.com/org/repo/issues/12".into(),
        status: Some("open".into()),
    };
    assert!(matches!(
        h.services
            .tickets
            .link(&tech, request.clone(), &Harness::context())
            .await,
        Err(TicketError::Forbidden(_))
    ));
    let linked = h
        .services
        .tickets
        .link(&admin, request.clone(), &Harness::context())
        .await
        .unwrap();
    assert_eq!(linked.status.as_deref(), Some("open"));
    assert!(matches!(
        h.services
            .tickets
            .link(&admin, request.clone(), &Harness::context())
            .await,
        Err(TicketError::AlreadyLinked(_))
    ));
    let Err(TicketError::Invalid(fields)) = h
        .services
        .tickets
        .link(
            &admin,
            NewTicketLink {
                system: "trello".into(),
                url: "javascript:alert(1)".into(),
                ..request.clone()
            },
            &Harness::context(),
        )
        .await
    else {
        panic!("accepted");
    };
    let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(named, ["system", "url"]);
    // A step that the finding does not have.
    let step = NewTicketLink {
        subject: SubjectQuery {
            finding_id: Some(finding.id.as_uuid()),
            step_id: Some(uuid::Uuid::from_u128(5)),
            ..SubjectQuery::default()
        },
        ..request
    };
    assert!(matches!(
        h.services
            .tickets
            .link(&admin, step, &Harness::context())
            .await,
        Err(TicketError::SubjectNotFound(_))
    ));
    let list = h
        .services
        .tickets
        .list(
            &tech,
            SubjectQuery {
                finding_id: Some(finding.id.as_uuid()),
                ..SubjectQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(list.items.len(), 1);
    assert!(!list.jira_configured);
}

#[tokio::test]
async fn a_jira_issue_is_created_once_then_synced_and_worklogs_pushed_once() {
    let h = harness().await;
    let finding = finding(&h);
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    assert!(matches!(
        h.services
            .tickets
            .create_from_finding(&admin, finding.id, &Harness::context())
            .await,
        Err(TicketError::NotConfigured)
    ));
    let saved = h
        .services
        .tickets
        .set_jira_config(
            &admin,
            JiraConfigChanges {
                tempo_token: Some("tempo-token".into()),
                tempo_account_id: Some("5b10ac8d82e05b22cc7d4ef5".into()),
                ..config()
            },
            &Harness::context(),
        )
        .await
        .unwrap();
    assert_eq!(saved.base_url, "https://example.atlassian.net");
    assert!(saved.api_token_set && saved.tempo_enabled);

    // A refusal comes back as the tracker's words, and nothing is linked.
    *h.tracker.refusal.lock().unwrap() = Some(TrackerError::Rejected {
        system: "Jira",
        status: 400,
        message: "issuetype: Specify a valid issue type".into(),
    });
    let refused = h
        .services
        .tickets
        .create_from_finding(&admin, finding.id, &Harness::context())
        .await;
    assert!(
        matches!(
            &refused,
            Err(TicketError::Tracker(TrackerError::Rejected {
                status: 400,
                ..
            }))
        ),
        "{refused:?}"
    );
    *h.tracker.refusal.lock().unwrap() = None;
    let ticket = h
        .services
        .tickets
        .create_from_finding(&admin, finding.id, &Harness::context())
        .await
        .unwrap();
    assert_eq!(ticket.external_id.as_deref(), Some("10002"));
    let Some(TrackerCall::Create(draft)) = h.tracker.calls().last().cloned() else {
        panic!("no issue created");
    };
    assert_eq!(draft.technique, "T1059.001");
    assert_eq!(draft.outcome, "not detected");
    assert_eq!(draft.labels, ["aegis", "purple-team"]);
    assert_eq!(
        draft.links[0].url.as_deref(),
        Some(format!("https://aegis.example/findings/{}", finding.id).as_str())
    );
    assert!(matches!(
        h.services
            .tickets
            .create_from_finding(&admin, finding.id, &Harness::context())
            .await,
        Err(TicketError::AlreadyLinked(_))
    ));

    // Two sealed worklogs of the finding's test, one of them altered after sealing.
    let finding_test = finding.test_id().unwrap();
    let now = h.clock.now();
    let good = Worklog::close(
        uuid::Uuid::from_u128(1),
        finding_test,
        Team::Red,
        admin.user_id,
        now - chrono::Duration::hours(2),
        now - chrono::Duration::hours(1),
        0,
    );
    let mut altered = Worklog::close(
        uuid::Uuid::from_u128(2),
        finding_test,
        Team::Blue,
        admin.user_id,
        now - chrono::Duration::minutes(50),
        now - chrono::Duration::minutes(20),
        0,
    );
    altered.duration_seconds = 99_999;
    h.database.with(|s| {
        s.history.push((
            finding_test,
            TestHistory {
                worklogs: vec![good.clone(), altered],
                ..TestHistory::default()
            },
        ));
    });
    *h.tracker.status.lock().unwrap() = Some(("In Progress".into(), StatusCategory::Indeterminate));
    let report = h.services.tickets.sync_all().await.unwrap();
    assert_eq!(
        (report.checked, report.changed, report.worklogs_pushed),
        (1, 1, 1)
    );
    let pushed: Vec<_> = h
        .tracker
        .calls()
        .into_iter()
        .filter_map(|c| match c {
            TrackerCall::Worklog(w) => Some(w),
            _ => None,
        })
        .collect();
    assert_eq!(pushed.len(), 1);
    assert_eq!(pushed[0].seconds, 3600);
    assert_eq!(pushed[0].issue_id, "10002");
    assert_eq!(pushed[0].author_account_id, "5b10ac8d82e05b22cc7d4ef5");
    // Again: nothing new to push, nothing changed.
    let again = h.services.tickets.sync_all().await.unwrap();
    assert_eq!(
        (again.checked, again.changed, again.worklogs_pushed),
        (1, 0, 0)
    );
    // Done: no longer followed.
    *h.tracker.status.lock().unwrap() = Some(("Done".into(), StatusCategory::Done));
    h.services.tickets.sync_all().await.unwrap();
    let done = h.services.tickets.sync_all().await.unwrap();
    assert_eq!(done.checked, 0);
    let stored = h.database.with(|s| s.tickets.tickets[0].clone());
    assert_eq!(stored.status.as_deref(), Some("Done"));
}

#[tokio::test]
async fn only_admins_configure_jira_and_refused_addresses_name_their_field() {
    let h = harness().await;
    let password = h.create("lead@aegis.test", "red_lead").await;
    let lead = h
        .actor("lead@aegis.test", &password, Access::PasswordChange)
        .await;
    assert!(matches!(
        h.services.tickets.jira_config(&lead).await,
        Err(TicketError::Forbidden(_))
    ));
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    let Err(TicketError::Invalid(fields)) = h
        .services
        .tickets
        .set_jira_config(
            &admin,
            JiraConfigChanges {
                base_url: "http://169.254.169.254".into(),
                api_token: None,
                project_key: "sec".into(),
                ..config()
            },
            &Harness::context(),
        )
        .await
    else {
        panic!("accepted");
    };
    let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(named, ["api_token", "base_url", "project_key"]);
    assert_eq!(h.services.tickets.jira_config(&admin).await.unwrap(), None);
}
