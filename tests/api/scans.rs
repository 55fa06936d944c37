//! Detection as code over HTTP: a pipeline posts diffs of its detection repository with an
//! API key; a hostile diff fails with exactly its findings, a clean one passes; keys replay;
//! the signed artifact verifies and fails after one changed byte; a worker that dies holding
//! a scan leaves it to another, which completes it once; the 39 real SigmaHQ diffs of
//! `../shared/feeds/detection-diffs` all scan.

use std::path::Path;
use std::time::Duration;

use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

/// A service account of `role` with a key of `scopes`; returns the key.
pub(crate) async fn service_key(
    app: &TestApp,
    admin: &str,
    name: &str,
    role: &str,
    scopes: &[&str],
) -> String {
    let account = app
        .send_ok(
            Method::POST,
            "/api/v1/users",
            admin,
            json!({"email": format!("{name}.svc@aegis.test"), "role": role, "kind": "service"}),
        )
        .await;
    let created = app
        .send_ok(
            Method::POST,
            "/api/v1/api-keys",
            admin,
            json!({"name": name, "scopes": scopes, "owner_id": account["id"]}),
        )
        .await;
    created["key"].as_str().unwrap().to_owned()
}

pub(crate) async fn submit(
    app: &TestApp,
    token: &str,
    diff: &str,
    query: &str,
    key: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(&format!("/api/v1/scans{query}")))
        .bearer_auth(token)
        .header("Content-Type", "text/x-diff")
        .body(diff.to_owned());
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.unwrap()
}

/// Polls the scan until it is completed or in error.
pub(crate) async fn finished(app: &TestApp, token: &str, id: &str) -> Value {
    for _ in 0..300 {
        let scan: Value = app
            .get(&format!("/api/v1/scans/{id}"), token)
            .await
            .json()
            .await
            .unwrap();
        if scan["status"] == "completed" || scan["status"] == "error" {
            return scan;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("scan {id} did not finish");
}

pub(crate) fn added_file(path: &str, body: &str) -> String {
    let lines: Vec<&str> = body.lines().collect();
    let mut diff = format!(
        "diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..1111111\n--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{} @@\n",
        lines.len()
    );
    for line in lines {
        diff.push('+');
        diff.push_str(line);
        diff.push('\n');
    }
    diff
}

pub(crate) fn sigma_rule(id: &str, title: &str, tag: &str, needle: &str) -> String {
    format!(
        "title: {title}\nid: {id}\nstatus: test\ndescription: Detects a download cradle.\nauthor: Aegis tests\ndate: 2026-12-08\ntags:\n    - attack.execution\n    - attack.{tag}\nlogsource:\n    category: process_creation\n    product: windows\ndetection:\n    selection:\n        CommandLine|contains: '{needle}'\n    condition: selection\nfalsepositives:\n    - Unknown\nlevel: high\n"
    )
}

/// The hostile diff of the issue: U+202E in the title, a revoked ATT&CK tag, an AWS key.
pub(crate) fn hostile_diff() -> String {
    added_file(
        "rules/windows/process_creation/proc_creation_win_cradle.yml",
        &sigma_rule(
            "5d3b4c2a-7e1f-4a9b-8c6d-0e2f4a6b8c01",
            "Download Cradle \u{202E}exe.txt Via PowerShell",
            "t1086",
            "AKIAIOSFODNN7EXAMPLE",
        ),
    )
}

pub(crate) fn clean_diff() -> String {
    added_file(
        "rules/windows/process_creation/proc_creation_win_clean.yml",
        &sigma_rule(
            "8a1c2e3f-4b5d-4c6e-9f70-81a2b3c4d5e6",
            "Encoded PowerShell Command Line",
            "t1059.001",
            " -EncodedCommand ",
        ),
    )
}

on_both_databases!(
    a_hostile_diff_fails_with_exactly_its_three_findings,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let (_, lead) = app.user_with_role(&admin, "blue_lead").await;
        let response = submit(
            &app,
            &lead,
            &hostile_diff(),
            "?repository=acme/detections&commit=abc123&pull_request=42",
            None,
        )
        .await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let queued: Value = response.json().await.unwrap();
        assert_eq!(queued["repository"], "acme/detections");
        assert_eq!(queued["files"], 1);
        let id = queued["id"].as_str().unwrap().to_owned();
        let scan = finished(&app, &lead, &id).await;
        assert_eq!(scan["status"], "completed", "{scan}");
        assert_eq!(scan["decision"], "fail", "{scan}");
        assert_eq!(scan["blocking"], 3, "{scan}");

        let findings: Value = app
            .get(&format!("/api/v1/scans/{id}/findings"), &lead)
            .await
            .json()
            .await
            .unwrap();
        let mut rules: Vec<&str> = findings
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule_id"].as_str().unwrap())
            .collect();
        rules.sort_unstable();
        assert_eq!(
            rules,
            [
                "attack-tag-revoked",
                "bidi-control",
                "secret-aws-access-key"
            ],
            "{findings}"
        );
        let revoked = findings
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule_id"] == "attack-tag-revoked")
            .unwrap();
        assert_eq!(revoked["suggestion"], "tag T1059.001 instead of T1086");
        assert_eq!(revoked["line"], 9);
        let bidi = findings
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule_id"] == "bidi-control")
            .unwrap();
        assert_eq!(bidi["line"], 1);
        assert!(
            !findings.to_string().contains("AKIAIOSFODNN7EXAMPLE"),
            "a secret is never repeated: {findings}"
        );

        // The artifact verifies, and fails after one changed byte.
        let artifact = app
            .get(&format!("/api/v1/scans/{id}/artifact"), &lead)
            .await
            .text()
            .await
            .unwrap();
        let document: Value = serde_json::from_str(&artifact).unwrap();
        assert_eq!(document["decision"], "fail");
        assert_eq!(document["signature"]["algorithm"], "ed25519");
        assert_eq!(document["findings"].as_array().unwrap().len(), 3);
        let verify = |body: String| {
            let app = &app;
            let lead = &lead;
            let id = &id;
            async move {
                let verdict: Value = app
                    .client
                    .post(app.url(&format!("/api/v1/scans/{id}/verify")))
                    .bearer_auth(lead)
                    .header("Content-Type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                verdict
            }
        };
        let valid = verify(artifact.clone()).await;
        assert_eq!(valid["valid"], true, "{valid}");
        let tampered = artifact.replacen("\"decision\":\"fail\"", "\"decision\":\"pass\"", 1);
        assert_ne!(tampered, artifact);
        let refused = verify(tampered).await;
        assert_eq!(refused["valid"], false, "{refused}");
        // Any single byte: here one hex digit of the diff's hash.
        let sha = document["diff_sha256"].as_str().unwrap();
        let flipped = if sha.starts_with('0') { "1" } else { "0" };
        let one_byte = artifact.replacen(sha, &format!("{flipped}{}", &sha[1..]), 1);
        assert_eq!(verify(one_byte).await["valid"], false);
        let spaced = artifact.replacen(',', ", ", 1);
        assert_eq!(verify(spaced).await["valid"], false);

        let html = app
            .get(&format!("/api/v1/scans/{id}/artifact?format=html"), &lead)
            .await;
        assert_eq!(html.status(), StatusCode::OK);
        let page = html.text().await.unwrap();
        assert!(
            page.contains("fail") && page.contains("attack-tag-revoked"),
            "{page}"
        );
        assert!(!page.contains("<script"), "escaped");

        let listed: Value = app
            .get(
                "/api/v1/scans?decision=fail&repository=acme/detections",
                &lead,
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed["total"], 1);
        let audit: Value = app
            .get("/api/v1/audit-logs?action=scan.submitted", &admin)
            .await
            .json()
            .await
            .unwrap();
        assert!(audit.to_string().contains("scan.submitted"), "{audit}");
    }
);

on_both_databases!(
    a_clean_diff_passes_and_keys_replay,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let pipeline = service_key(&app, &admin, "ci", "blue_lead", &["read", "scans:write"]).await;
        let reader = service_key(&app, &admin, "reader", "blue_lead", &["read"]).await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;

        let first = submit(
            &app,
            &pipeline,
            &clean_diff(),
            "?repository=acme/detections",
            Some("pr-7-abc"),
        )
        .await;
        assert_eq!(first.status(), StatusCode::ACCEPTED);
        let first: Value = first.json().await.unwrap();
        let again = submit(
            &app,
            &pipeline,
            &clean_diff(),
            "?repository=acme/detections",
            Some("pr-7-abc"),
        )
        .await;
        assert_eq!(again.status(), StatusCode::OK);
        let again: Value = again.json().await.unwrap();
        assert_eq!(again["id"], first["id"]);
        let other = submit(
            &app,
            &pipeline,
            &hostile_diff(),
            "?repository=acme/detections",
            Some("pr-7-abc"),
        )
        .await;
        assert_eq!(other.status(), StatusCode::CONFLICT);
        assert_eq!(problem(other).await["code"], "IDEMPOTENCY_KEY_REUSED");

        let refused = submit(&app, &reader, &clean_diff(), "", None).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let refused = submit(&app, &viewer, &clean_diff(), "", None).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let garbage = submit(&app, &pipeline, "not a diff\n", "", None).await;
        assert_eq!(garbage.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem(garbage).await["errors"][0]["field"], "diff");

        let scan = finished(&app, &pipeline, first["id"].as_str().unwrap()).await;
        assert_eq!(scan["decision"], "pass", "{scan}");
        assert_eq!(scan["findings"], 0, "{scan}");
        assert_eq!(scan["coverage"]["gained"], json!(["T1059.001"]));

        // Multipart with metadata fields, as a pipeline's upload step sends it.
        let form = Form::new()
            .part(
                "file",
                Part::bytes(clean_diff().into_bytes()).file_name("change.patch"),
            )
            .text("repository", "acme/other")
            .text("commit", "def456");
        let response = app
            .client
            .post(app.url("/api/v1/scans"))
            .bearer_auth(&pipeline)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let made: Value = response.json().await.unwrap();
        assert_eq!(made["repository"], "acme/other");
        assert_eq!(made["commit"], "def456");
        let listed: Value = app
            .get("/api/v1/scans?repository=acme/other", &viewer)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed["total"], 1);
    }
);

on_both_databases!(
    the_diff_is_served_as_stored_until_retention_deletes_it,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        let (_, lead) = app.user_with_role(&admin, "blue_lead").await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;
        let diff = hostile_diff();
        let queued: Value = submit(&app, &lead, &diff, "?repository=acme/detections", None)
            .await
            .json()
            .await
            .unwrap();
        let id = queued["id"].as_str().unwrap().to_owned();

        // Anyone who reads operations reads the diff, byte for byte (the bidi control too).
        let served = app.get(&format!("/api/v1/scans/{id}/diff"), &viewer).await;
        assert_eq!(served.status(), StatusCode::OK);
        assert_eq!(
            served.headers()["content-type"],
            "text/x-diff; charset=utf-8"
        );
        assert_eq!(served.text().await.unwrap(), diff);

        let unknown = app
            .get(
                "/api/v1/scans/00000000-0000-4000-8000-000000000000/diff",
                &viewer,
            )
            .await;
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

        // The retention sweep deletes the object: the scan stays, its diff is gone.
        finished(&app, &lead, &id).await;
        let stored = crate::evidence::walk(&app.settings.data_dir.join("evidence"))
            .into_iter()
            .find(|p| p.to_string_lossy().ends_with(&format!("{id}.patch")))
            .expect("the stored diff");
        std::fs::remove_file(&stored).unwrap();
        let gone = app.get(&format!("/api/v1/scans/{id}/diff"), &viewer).await;
        assert_eq!(gone.status(), StatusCode::GONE);
        assert_eq!(problem(gone).await["code"], "SCAN_DIFF_EXPIRED");
        let scan = app.get(&format!("/api/v1/scans/{id}"), &viewer).await;
        assert_eq!(scan.status(), StatusCode::OK);

        // Bytes changed behind Aegis's back are never served as the scanned diff.
        std::fs::write(&stored, diff.replace("AKIA", "AKIB")).unwrap();
        let altered = app.get(&format!("/api/v1/scans/{id}/diff"), &viewer).await;
        assert_eq!(altered.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
);

/// A worker that dies holding a scan leaves it running under its lease; once the lease runs
/// out another worker (here another process on the same database and store) takes it and
/// completes it, once.
async fn a_dead_worker_leaves_the_scan_to_another(backend: Backend) {
    let app = spawn_app_with(
        backend,
        AppOptions {
            jobs_in_process: false,
            ..AppOptions::default()
        },
    )
    .await;
    let admin = app.admin_token().await;
    let response = submit(&app, &admin, &clean_diff(), "", None).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let id: String = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // What a worker that claimed the scan and died leaves behind.
    {
        use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
        use sea_orm::{ConnectionTrait, Database};
        let db = Database::connect(app.database.url()).await.unwrap();
        let statement = Query::update()
            .table(Alias::new("scans"))
            .value(Alias::new("status"), "running")
            .value(Alias::new("attempts"), 1)
            .value(
                Alias::new("lease_until"),
                chrono::Utc::now() - chrono::Duration::seconds(5),
            )
            .and_where(Expr::col(Alias::new("id")).eq(uuid::Uuid::parse_str(&id).unwrap()))
            .to_owned();
        assert_eq!(db.execute(&statement).await.unwrap().rows_affected(), 1);
    }

    let mut settings = app.settings.clone();
    settings.jobs_in_process = true;
    let worker = aegis::app::build(&settings).await.unwrap();
    tokio::spawn(worker.server);
    let other = format!("http://127.0.0.1:{}", worker.port);
    let run = app
        .client
        .post(format!("{other}/api/v1/system/jobs/scan/run"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(run.status(), StatusCode::ACCEPTED);
    let scan = finished(&app, &admin, &id).await;
    assert_eq!(scan["status"], "completed", "{scan}");
    assert_eq!(scan["decision"], "pass");
    assert_eq!(scan["attempts"], 2, "taken again once: {scan}");
}

#[tokio::test]
async fn a_dead_worker_leaves_the_scan_to_another_sqlite() {
    a_dead_worker_leaves_the_scan_to_another(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_dead_worker_leaves_the_scan_to_another_postgres() {
    a_dead_worker_leaves_the_scan_to_another(Backend::Postgres).await;
}

/// The 39 merged SigmaHQ pull requests scan without error over the real ATT&CK catalog; the
/// findings on them are the ones docs/scans.md explains, each a true one.
#[tokio::test]
async fn the_real_sigma_diffs_scan_without_error_when_present() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/feeds");
    let diffs = root.join("detection-diffs/SigmaHQ__sigma");
    let attack = root.join("attack-stix/mitre__cti/enterprise-attack/enterprise-attack.json.gz");
    if !diffs.exists() || !attack.exists() {
        eprintln!("skipped: ../shared/feeds (the SigmaHQ diffs and ATT&CK) is absent");
        return;
    }
    let app = spawn_app(Backend::Postgres).await;
    app.import_attack(&attack).await;
    let admin = app.admin_token().await;
    let mut names: Vec<_> = std::fs::read_dir(&diffs)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "patch"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 39);
    let mut ids = Vec::new();
    for path in &names {
        let text = std::fs::read_to_string(path).unwrap();
        let response = submit(&app, &admin, &text, "?repository=SigmaHQ/sigma", None).await;
        assert_eq!(
            response.status(),
            StatusCode::ACCEPTED,
            "{}",
            path.display()
        );
        let scan: Value = response.json().await.unwrap();
        ids.push((
            path.file_stem().unwrap().to_string_lossy().into_owned(),
            scan["id"].as_str().unwrap().to_owned(),
        ));
    }
    let mut seen = Vec::new();
    for (name, id) in &ids {
        let scan = finished(&app, &admin, id).await;
        assert_eq!(scan["status"], "completed", "{name}: {scan}");
        let findings: Value = app
            .get(&format!("/api/v1/scans/{id}/findings"), &admin)
            .await
            .json()
            .await
            .unwrap();
        for finding in findings.as_array().unwrap() {
            seen.push(format!(
                "{name} {} {}:{} {}",
                finding["rule_id"].as_str().unwrap(),
                finding["file"].as_str().unwrap(),
                finding["line"],
                finding["message"].as_str().unwrap()
            ));
        }
    }
    for line in &seen {
        eprintln!("{line}");
    }
    let expected: Vec<String> = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/scans/sigma-diff-findings.txt"),
    )
    .unwrap()
    .lines()
    .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    .map(str::to_owned)
    .collect();
    assert_eq!(
        seen, expected,
        "the findings on the real diffs changed: review them, then update the fixture"
    );
}

const METRICS_TOKEN: &str = "scan-metrics-token-0123456789abcdef0123";

/// A diff past its tenant's retention is marked and deleted by the evidence sweep, in one
/// run; the scan keeps its hash; a younger diff stays; the metrics count it all.
async fn a_diff_past_retention_is_deleted_and_the_scan_keeps_its_hash(backend: Backend) {
    let app = spawn_app_with(
        backend,
        AppOptions {
            metrics_token: Some(METRICS_TOKEN.to_owned()),
            ..AppOptions::default()
        },
    )
    .await;
    let admin = app.admin_token().await;
    let policy: Value = app
        .get("/api/v1/scans/policy", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(policy["diff_retention_days"], 90, "{policy}");
    let too_long = app
        .client
        .put(app.url("/api/v1/scans/policy"))
        .bearer_auth(&admin)
        .json(&json!({"block_at": "high", "error_mode": "fail_closed", "diff_retention_days": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(too_long.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        problem(too_long).await["errors"][0]["field"],
        "diff_retention_days"
    );
    let set = app
        .send_ok(
            Method::PUT,
            "/api/v1/scans/policy",
            &admin,
            json!({"block_at": "high", "error_mode": "fail_closed", "diff_retention_days": 30}),
        )
        .await;
    assert_eq!(set["diff_retention_days"], 30, "{set}");

    let mut ids = Vec::new();
    for repository in ["acme/old", "acme/new"] {
        let response = submit(
            &app,
            &admin,
            &clean_diff(),
            &format!("?repository={repository}"),
            None,
        )
        .await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let id = response.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        finished(&app, &admin, &id).await;
        ids.push(id);
    }
    let (old, new) = (&ids[0], &ids[1]);
    let old_before: Value = app
        .get(&format!("/api/v1/scans/{old}"), &admin)
        .await
        .json()
        .await
        .unwrap();
    let stored = |id: &str| -> bool {
        // The filesystem store may shard its keys; look for the object by name anywhere.
        fn find(dir: &Path, name: &str) -> bool {
            std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .flatten()
                .any(|entry| {
                    let path = entry.path();
                    path.file_name()
                        .is_some_and(|n| n.to_string_lossy().contains(name))
                        || (path.is_dir() && find(&path, name))
                })
        }
        find(
            &app.settings.data_dir.join("evidence"),
            &format!("{id}.patch"),
        )
    };
    assert!(stored(old) && stored(new), "both diffs are stored at first");

    // Thirty-one days later, for the older scan.
    {
        use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
        use sea_orm::{ConnectionTrait, Database};
        let db = Database::connect(app.database.url()).await.unwrap();
        let statement = Query::update()
            .table(Alias::new("scans"))
            .value(
                Alias::new("created_at"),
                chrono::Utc::now() - chrono::Duration::days(31),
            )
            .and_where(Expr::col(Alias::new("id")).eq(uuid::Uuid::parse_str(old).unwrap()))
            .to_owned();
        assert_eq!(db.execute(&statement).await.unwrap().rows_affected(), 1);
    }
    let sweep = |expected: u64| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let run = app
                .send_ok(
                    Method::POST,
                    "/api/v1/system/jobs/evidence_sweep/run",
                    &admin,
                    json!({}),
                )
                .await;
            let done = app.wait_for_job(run["id"].as_str().unwrap(), &admin).await;
            assert_eq!(done["outcome"], "succeeded", "{done}");
            assert_eq!(done["counts"]["scan_diffs_expired"], expected, "{done}");
        }
    };
    sweep(1).await;
    let old_after: Value = app
        .get(&format!("/api/v1/scans/{old}"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(old_after["diff_deleted_at"].is_string(), "{old_after}");
    assert_eq!(old_after["diff_sha256"], old_before["diff_sha256"]);
    assert_eq!(old_after["decision"], "pass", "the result stays");
    assert!(!stored(old), "the expired diff is gone from the store");
    let expired = app.get(&format!("/api/v1/scans/{old}/diff"), &admin).await;
    assert_eq!(expired.status(), StatusCode::GONE);
    assert_eq!(problem(expired).await["code"], "SCAN_DIFF_EXPIRED");
    let new_after: Value = app
        .get(&format!("/api/v1/scans/{new}"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(new_after["diff_deleted_at"].is_null(), "{new_after}");
    assert!(stored(new), "the younger diff stays");
    // The artifact still verifies: it holds the hash, not the diff.
    let artifact = app
        .get(&format!("/api/v1/scans/{old}/artifact"), &admin)
        .await
        .text()
        .await
        .unwrap();
    let verified = app
        .client
        .post(app.url(&format!("/api/v1/scans/{old}/verify")))
        .bearer_auth(&admin)
        .header("Content-Type", "application/json")
        .body(artifact)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(verified["valid"], true, "{verified}");
    // Idempotent: nothing more to expire.
    sweep(0).await;

    let audit: Value = app
        .get("/api/v1/audit-logs?action=scan.diff_expired", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(audit["total"], 1, "{audit}");

    let metrics = app.metrics_text(METRICS_TOKEN).await;
    for line in [
        "aegis_scans_completed_total 2",
        "aegis_scan_queue_depth{status=\"queued\"} 0",
        "aegis_scan_dead_letters_total 0",
        "aegis_scan_latency_seconds_count 2",
        "aegis_scan_latency_seconds_bucket{le=\"+Inf\"} 2",
        "aegis_scan_diffs_expired_total 1",
        "aegis_scan_diffs_awaiting_deletion 0",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "{line} missing:\n{metrics}"
        );
    }
}

#[tokio::test]
async fn a_diff_past_retention_is_deleted_and_the_scan_keeps_its_hash_sqlite() {
    a_diff_past_retention_is_deleted_and_the_scan_keeps_its_hash(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_diff_past_retention_is_deleted_and_the_scan_keeps_its_hash_postgres() {
    a_diff_past_retention_is_deleted_and_the_scan_keeps_its_hash(Backend::Postgres).await;
}

/// Runs `scripts/scan-pipeline.sh BASE HEAD acme/detections` in `repo` against the app, with
/// `key`, off the runtime's thread (the app serves on it); returns the exit code and stdout.
async fn pipeline(app: &TestApp, repo: &Path, key: &str, base: &str, head: &str) -> (i32, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/scan-pipeline.sh");
    let mut command = std::process::Command::new(script);
    command
        .args([base, head, "acme/detections"])
        .current_dir(repo)
        .env("AEGIS_URL", app.url(""))
        .env("AEGIS_SCAN_KEY", key);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

fn git(repo: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=CI",
            "-c",
            "user.email=ci@acme.test",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(repo)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

fn commit_file(repo: &Path, path: &str, body: &str, message: &str) {
    let file = repo.join(path);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, body).unwrap();
    git(repo, &["add", path]);
    git(repo, &["commit", "-q", "-m", message]);
}

on_both_databases!(
    the_pipeline_script_gates_a_real_git_change_with_an_api_key,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let key = service_key(&app, &admin, "ci", "blue_lead", &["read", "scans:write"]).await;
        let repo = tempfile::tempdir().unwrap();
        let repo = repo.path();
        git(repo, &["init", "-q", "-b", "main"]);
        commit_file(repo, "README.md", "Detections\n", "start");
        git(repo, &["checkout", "-q", "-b", "clean-rule"]);
        commit_file(
            repo,
            "rules/windows/proc_creation_win_encoded.yml",
            &sigma_rule(
                "8a1c2e3f-4b5d-4c6e-9f70-81a2b3c4d5e6",
                "Encoded PowerShell Command Line",
                "t1059.001",
                " -EncodedCommand ",
            ),
            "A rule for encoded PowerShell",
        );

        let (code, printed) = pipeline(&app, repo, &key, "main", "clean-rule").await;
        assert_eq!(code, 0, "{printed}");
        assert!(printed.contains("decision: pass"), "{printed}");
        let first_scan = printed.lines().next().unwrap().to_owned();
        // A retried step (the same commit) gets the same scan, not a second one.
        let (code, again) = pipeline(&app, repo, &key, "main", "clean-rule").await;
        assert_eq!(code, 0, "{again}");
        assert_eq!(again.lines().next().unwrap(), first_scan);
        let artifacts = std::fs::read_dir(repo)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("scan-"))
            .count();
        assert_eq!(artifacts, 1, "the signed artifact is kept by the step");

        git(repo, &["checkout", "-q", "-b", "hostile-rule"]);
        commit_file(
            repo,
            "rules/windows/proc_creation_win_cradle.yml",
            &sigma_rule(
                "5d3b4c2a-7e1f-4a9b-8c6d-0e2f4a6b8c01",
                "Download Cradle \u{202E}exe.txt Via PowerShell",
                "t1086",
                "AKIAIOSFODNN7EXAMPLE",
            ),
            "A cradle rule",
        );
        let (code, printed) = pipeline(&app, repo, &key, "clean-rule", "hostile-rule").await;
        assert_eq!(code, 1, "{printed}");
        assert!(printed.contains("decision: fail"), "{printed}");
        for rule in [
            "bidi-control",
            "attack-tag-revoked",
            "secret-aws-access-key",
        ] {
            assert!(
                printed
                    .lines()
                    .any(|l| l.starts_with("BLOCKS") && l.contains(rule)),
                "{rule} blocks: {printed}"
            );
        }

        // A key without the scope is refused: the step says it could not scan.
        let reader = service_key(&app, &admin, "reader", "blue_lead", &["read"]).await;
        let (code, _) = pipeline(&app, repo, &reader, "main", "clean-rule").await;
        assert_eq!(code, 2);
    }
);
