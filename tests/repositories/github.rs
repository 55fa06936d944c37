//! The GitHub integration on both databases: a configuration round-trips (its sealed token
//! and secret as bytes, its repositories), only active ones are offered to the webhook; a
//! delivery id is taken once per tenant unless it failed, when its redelivery takes it over;
//! check runs come out of the outbox while behind their scan and due, and not once
//! completed or abandoned, nor while their scan waits.

use aegis_domain::github::{
    CheckRun, CheckStage, DeliveryResult, GithubConfig, GithubDelivery, RepositoryName,
};
use aegis_domain::scan::{CoverageDelta, Scan, ScanId, ScanPolicy, ScanSource, ScanStatus};

use super::*;

fn config(t: TenantId, by: UserId, active: bool) -> GithubConfig {
    GithubConfig {
        tenant_id: t,
        api_url: "https://api.github.com".to_owned(),
        token_sealed: vec![1, 2, 3, 250],
        webhook_secret_sealed: vec![9, 8, 7],
        repositories: vec![
            RepositoryName::parse("acme/detections").unwrap(),
            RepositoryName::parse("acme/sigma").unwrap(),
        ],
        active,
        check_name: "Aegis scan".to_owned(),
        service_user: by,
        updated_by: by,
        updated_at: now(),
    }
}

fn delivery(t: TenantId, id: &str, result: DeliveryResult, at: DateTime<Utc>) -> GithubDelivery {
    GithubDelivery {
        tenant_id: t,
        delivery_id: id.to_owned(),
        event: "pull_request".to_owned(),
        action: Some("opened".to_owned()),
        repository: Some("acme/detections".to_owned()),
        pull_request: Some(7),
        head_sha: Some("0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c".to_owned()),
        result,
        scan_id: None,
        error: None,
        received_at: at,
    }
}

fn scan(t: TenantId, by: UserId) -> Scan {
    let id = ScanId::from_uuid(Uuid::now_v7());
    Scan {
        id,
        tenant_id: t,
        source: ScanSource::default(),
        diff_sha256: "00".repeat(32),
        diff_bytes: 1,
        diff_key: Scan::diff_key_of(id),
        status: ScanStatus::Queued,
        decision: None,
        policy: ScanPolicy::default(),
        findings: Vec::new(),
        coverage: CoverageDelta::default(),
        files: 1,
        error: None,
        attempts: 0,
        lease_until: None,
        submitted_by: by,
        created_at: now(),
        completed_at: None,
        artifact: None,
        diff_deleted_at: None,
    }
}

fn check(t: TenantId, scan: ScanId) -> CheckRun {
    CheckRun {
        tenant_id: t,
        scan_id: scan,
        repository: RepositoryName::parse("acme/detections").unwrap(),
        head_sha: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c".to_owned(),
        github_id: None,
        stage: CheckStage::Pending,
        annotations_sent: 0,
        attempts: 0,
        retry_at: None,
        last_error: None,
        abandoned: false,
        updated_at: now(),
    }
}

on_both!(
    configurations_round_trip_and_only_active_ones_take_deliveries,
    |s: Store| async move {
        let db = &s.db;
        let t = tenant(db, "gh").await;
        let other = tenant(db, "gh-other").await;
        let ana = user(t, "ana@gh.test", Role::Admin);
        db.insert_user(t, &ana).await.unwrap();
        let bob = user(other, "bob@gh.test", Role::Admin);
        db.insert_user(other, &bob).await.unwrap();
        assert_eq!(db.github_config(t).await.unwrap(), None);
        let saved = config(t, ana.id, true);
        db.save_github_config(t, &saved).await.unwrap();
        assert_eq!(db.github_config(t).await.unwrap(), Some(saved.clone()));
        assert_eq!(db.github_config(other).await.unwrap(), None);
        // Saved again: replaced, not duplicated.
        let mut changed = saved.clone();
        changed.repositories.truncate(1);
        db.save_github_config(t, &changed).await.unwrap();
        assert_eq!(db.github_config(t).await.unwrap(), Some(changed.clone()));
        db.save_github_config(other, &config(other, bob.id, false))
            .await
            .unwrap();
        let active = db.active_github_configs().await.unwrap();
        assert_eq!(active, vec![changed]);
        assert!(db.delete_github_config(t).await.unwrap());
        assert!(!db.delete_github_config(t).await.unwrap());
        assert!(db.active_github_configs().await.unwrap().is_empty());
    }
);

on_both!(
    a_delivery_is_taken_once_unless_it_failed,
    |s: Store| async move {
        let db = &s.db;
        let t = tenant(db, "gh").await;
        let other = tenant(db, "gh-other").await;
        let first = delivery(
            t,
            "d-1",
            DeliveryResult::Scanned,
            now() - Duration::seconds(5),
        );
        db.record_github_delivery(t, &first).await.unwrap();
        assert!(matches!(
            db.record_github_delivery(t, &first).await,
            Err(RepositoryError::Duplicate(Subject::GithubDelivery))
        ));
        // The same id in another tenant is another delivery.
        db.record_github_delivery(
            other,
            &delivery(other, "d-1", DeliveryResult::Ignored, now()),
        )
        .await
        .unwrap();

        let failed = GithubDelivery {
            error: Some("GitHub answered HTTP 503".to_owned()),
            ..delivery(t, "d-2", DeliveryResult::Failed, now())
        };
        db.record_github_delivery(t, &failed).await.unwrap();
        let retried = delivery(
            t,
            "d-2",
            DeliveryResult::Scanned,
            now() + Duration::seconds(1),
        );
        db.record_github_delivery(t, &retried).await.unwrap();
        assert_eq!(
            db.find_github_delivery(t, "d-2").await.unwrap(),
            Some(retried.clone())
        );
        assert!(matches!(
            db.record_github_delivery(t, &retried).await,
            Err(RepositoryError::Duplicate(Subject::GithubDelivery))
        ));

        let listed = db.list_github_deliveries(t, 10).await.unwrap();
        let ids: Vec<&str> = listed.iter().map(|d| d.delivery_id.as_str()).collect();
        assert_eq!(ids, ["d-2", "d-1"], "newest first, this tenant's only");
        assert_eq!(db.list_github_deliveries(t, 1).await.unwrap().len(), 1);
    }
);

on_both!(
    check_runs_leave_the_outbox_once_completed_or_abandoned,
    |s: Store| async move {
        let db = &s.db;
        let t = tenant(db, "gh").await;
        let ana = user(t, "ana@gh.test", Role::Admin);
        db.insert_user(t, &ana).await.unwrap();
        let mut runs = Vec::new();
        let statuses = [
            ScanStatus::Completed,
            ScanStatus::Completed,
            ScanStatus::Completed,
            ScanStatus::Queued,
            ScanStatus::Queued,
        ];
        for status in statuses {
            let scan = Scan {
                status,
                ..scan(t, ana.id)
            };
            db.insert_scan(t, &scan).await.unwrap();
            let run = check(t, scan.id);
            db.insert_check_run(t, &run).await.unwrap();
            runs.push(run);
        }
        assert_eq!(
            db.find_check_run(t, runs[0].scan_id).await.unwrap(),
            Some(runs[0].clone())
        );
        let mut completed = runs[0].clone();
        completed.stage = CheckStage::Completed;
        completed.github_id = Some(4242);
        completed.annotations_sent = 120;
        db.save_check_run(t, &completed).await.unwrap();
        let mut abandoned = runs[1].clone();
        abandoned.abandoned = true;
        abandoned.attempts = 8;
        abandoned.last_error = Some("connection refused".to_owned());
        db.save_check_run(t, &abandoned).await.unwrap();
        let mut later = runs[2].clone();
        later.stage = CheckStage::InProgress;
        later.retry_at = Some(now() + Duration::seconds(30));
        db.save_check_run(t, &later).await.unwrap();
        // Queued on GitHub while its scan waits in the queue: nothing to report yet.
        let mut waiting = runs[4].clone();
        waiting.stage = CheckStage::Queued;
        waiting.github_id = Some(4243);
        db.save_check_run(t, &waiting).await.unwrap();
        assert_eq!(
            db.find_check_run(t, completed.scan_id).await.unwrap(),
            Some(completed.clone())
        );

        let open: Vec<ScanId> = db
            .open_check_runs(now(), 10)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.scan_id)
            .collect();
        assert_eq!(open, [runs[3].scan_id]);
        let due_later: Vec<ScanId> = db
            .open_check_runs(now() + Duration::seconds(31), 10)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.scan_id)
            .collect();
        assert_eq!(due_later.len(), 2, "{due_later:?}");
        assert!(due_later.contains(&later.scan_id));
        assert!(!due_later.contains(&waiting.scan_id));
    }
);
