//! GitHub check runs: a finished scan is reported queued, in progress and completed, its
//! annotations in batches of 50; a failure is retried later and resumes after the last
//! request GitHub took, so no stage and no annotation is sent twice; the configuration is for
//! admins only and keeps its secrets.

use aegis_application::auth::Access;
use aegis_application::github::{CheckUpdate, GithubConfigChanges, GithubError};
use aegis_application::ports::Clock;
use aegis_domain::github::{CheckRun, CheckStage, RepositoryName};
use aegis_domain::ports::{GithubRepository, UserRepository};
use aegis_domain::scan::{
    CoverageDelta, Decision, Finding, Scan, ScanId, ScanPolicy, ScanSource, ScanStatus, Severity,
};

use super::*;
use fakes::GithubCall;

fn changes() -> GithubConfigChanges {
    GithubConfigChanges {
        token: Some("ghp_token".into()),
        webhook_secret: Some("a-long-enough-webhook-secret".into()),
        repositories: vec!["acme/detections".into()],
        ..GithubConfigChanges::default()
    }
}

/// A completed, failed scan of 120 findings (every one blocking) and its check run.
fn finished_scan(h: &Harness) -> ScanId {
    let id = ScanId::from_uuid(uuid::Uuid::from_u128(900));
    let findings: Vec<Finding> = (1..=120)
        .map(|line| {
            Finding::new(
                "bidi-control",
                Severity::High,
                "rules/a.yml",
                Some(line),
                &line.to_string(),
                "a bidirectional control character",
                "remove it",
            )
        })
        .collect();
    let now = h.clock.now();
    let scan = Scan {
        id,
        tenant_id: h.tenant.id,
        source: ScanSource {
            repository: Some("acme/detections".into()),
            commit: Some("abc".into()),
            base: None,
            pull_request: Some("7".into()),
        },
        diff_sha256: String::new(),
        diff_bytes: 0,
        diff_key: Scan::diff_key_of(id),
        status: ScanStatus::Completed,
        decision: Some(Decision::Fail),
        policy: ScanPolicy::default(),
        findings,
        coverage: CoverageDelta::default(),
        files: 1,
        error: None,
        attempts: 1,
        lease_until: None,
        submitted_by: aegis_domain::user::UserId::from_uuid(uuid::Uuid::from_u128(1)),
        created_at: now,
        completed_at: Some(now),
        artifact: None,
        diff_deleted_at: None,
    };
    let check = CheckRun {
        tenant_id: h.tenant.id,
        scan_id: id,
        repository: RepositoryName::parse("acme/detections").unwrap(),
        head_sha: "abc".into(),
        github_id: None,
        stage: CheckStage::Pending,
        annotations_sent: 0,
        attempts: 0,
        retry_at: None,
        last_error: None,
        abandoned: false,
        updated_at: now,
    };
    h.database.with(|s| {
        s.scans.push(scan);
        s.github.checks.push(check);
    });
    id
}

fn annotated_lines(calls: &[GithubCall]) -> Vec<u32> {
    calls
        .iter()
        .flat_map(|call| match call {
            GithubCall::Update(_, CheckUpdate::Annotate(output))
            | GithubCall::Update(_, CheckUpdate::Completed { output, .. }) => output
                .annotations
                .iter()
                .map(|a| a.start_line)
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        })
        .collect()
}

#[tokio::test]
async fn a_check_run_is_reported_in_order_and_resumes_after_a_failure() {
    let h = harness().await;
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    h.services
        .github
        .set_config(&admin, changes(), &Harness::context())
        .await
        .unwrap();
    let scan = finished_scan(&h);

    // GitHub takes the creation, the start and one batch, then fails.
    *h.github.budget.lock().unwrap() = Some(3);
    let report = h.services.github.report_checks().await.unwrap();
    assert_eq!((report.sent, report.failed), (3, 1));
    let check = h
        .database
        .find_check_run(h.tenant.id, scan)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(check.stage, CheckStage::InProgress);
    assert_eq!(check.annotations_sent, 50);
    assert_eq!(check.attempts, 1);
    let retry_at = check.retry_at.unwrap();
    assert_eq!(retry_at, h.clock.now() + chrono::Duration::seconds(5));

    // Not before its retry is due.
    *h.github.budget.lock().unwrap() = None;
    let early = h.services.github.report_checks().await.unwrap();
    assert_eq!(early.sent, 0);
    h.clock.advance(chrono::Duration::seconds(6));
    let report = h.services.github.report_checks().await.unwrap();
    assert_eq!((report.sent, report.failed), (2, 0), "{report:?}");

    let calls = h.github.calls();
    assert!(
        matches!(&calls[0], GithubCall::Create(repo, new) if repo == "acme/detections" && new.external_id == scan.to_string() && new.details_url.as_deref() == Some(format!("https://aegis.test/scans/{scan}").as_str()))
    );
    assert!(matches!(
        &calls[1],
        GithubCall::Update(77, CheckUpdate::Started { .. })
    ));
    let completed: Vec<&GithubCall> = calls
        .iter()
        .filter(|c| matches!(c, GithubCall::Update(_, CheckUpdate::Completed { .. })))
        .collect();
    assert_eq!(completed.len(), 1, "{calls:?}");
    assert!(matches!(
        completed[0],
        GithubCall::Update(77, CheckUpdate::Completed { conclusion: "failure", output, .. })
            if output.annotations.len() == 20 && output.annotations[0].level == "failure"
    ));
    assert!(matches!(
        calls.last(),
        Some(GithubCall::Update(_, CheckUpdate::Completed { .. }))
    ));
    // Every finding annotated exactly once, in batches of at most 50.
    assert_eq!(annotated_lines(&calls), (1..=120).collect::<Vec<u32>>());
    let check = h
        .database
        .find_check_run(h.tenant.id, scan)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(check.stage, CheckStage::Completed);
    assert_eq!((check.attempts, check.retry_at), (0, None));

    // Completed: nothing more is sent.
    let after = h.services.github.report_checks().await.unwrap();
    assert_eq!(after.sent, 0);
    assert_eq!(h.github.calls().len(), calls.len());
}

#[tokio::test]
async fn a_check_run_is_given_up_after_eight_failures_without_touching_its_scan() {
    let h = harness().await;
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    h.services
        .github
        .set_config(&admin, changes(), &Harness::context())
        .await
        .unwrap();
    let scan = finished_scan(&h);
    *h.github.down.lock().unwrap() = true;
    for _ in 0..8 {
        h.services.github.report_checks().await.unwrap();
        h.clock.advance(chrono::Duration::minutes(11));
    }
    let check = h
        .database
        .find_check_run(h.tenant.id, scan)
        .await
        .unwrap()
        .unwrap();
    assert!(check.abandoned);
    assert_eq!(check.attempts, 8);
    assert!(check.last_error.unwrap().contains("connection refused"));
    let stored = h
        .database
        .with(|s| s.scans.iter().find(|s| s.id == scan).cloned())
        .unwrap();
    assert_eq!(stored.decision, Some(Decision::Fail));
    *h.github.down.lock().unwrap() = false;
    assert_eq!(h.services.github.report_checks().await.unwrap().sent, 0);
}

#[tokio::test]
async fn only_admins_configure_github_and_the_first_save_needs_the_secrets() {
    let h = harness().await;
    let password = h.create("lead@aegis.test", "blue_lead").await;
    let lead = h
        .actor("lead@aegis.test", &password, Access::PasswordChange)
        .await;
    let refused = h
        .services
        .github
        .set_config(&lead, changes(), &Harness::context())
        .await;
    assert!(matches!(refused, Err(GithubError::Forbidden(_))));
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    let missing = h
        .services
        .github
        .set_config(
            &admin,
            GithubConfigChanges {
                repositories: vec!["acme/detections".into()],
                ..GithubConfigChanges::default()
            },
            &Harness::context(),
        )
        .await;
    let Err(GithubError::Invalid(fields)) = missing else {
        panic!("{missing:?}");
    };
    let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(named, ["token", "webhook_secret"]);
    let saved = h
        .services
        .github
        .set_config(&admin, changes(), &Harness::context())
        .await
        .unwrap();
    assert!(saved.token_set && saved.webhook_secret_set);
    assert_eq!(saved.api_url, "https://api.github.com");
    // The service account is a blue lead of the tenant that cannot sign in.
    let user = h
        .database
        .find_user(
            h.tenant.id,
            aegis_domain::user::UserId::from_uuid(saved.service_user),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.kind, aegis_domain::user::UserKind::Service);
    assert_eq!(user.role, aegis_domain::Role::BlueLead);
}
