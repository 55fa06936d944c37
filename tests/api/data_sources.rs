//! The data-source registry: every feed listed with its licence, configured by admins (the
//! credential encrypted and never shown), synced on request by the feed-sync job, and fed by
//! offline bundles.

use std::io::Write;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

const RULE: &str = "title: Encoded PowerShell
id: 5f3c8a1e-0000-4000-8000-0000000000d5
status: test
author: Aegis Test Author
tags: [attack.t1059.001]
logsource: {product: windows, category: process_creation}
detection: {selection: {CommandLine|contains: ' -enc '}, condition: selection}
level: high
";

fn sigma_zip() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file(
        "rules/windows/encoded.yml",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    zip.write_all(RULE.as_bytes()).unwrap();
    zip.finish().unwrap().into_inner()
}

async fn sources(app: &TestApp, token: &str) -> Vec<Value> {
    let response = app.get("/api/v1/data-sources", token).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn source<'a>(all: &'a [Value], kind: &str) -> &'a Value {
    all.iter().find(|s| s["kind"] == kind).unwrap()
}

on_both_databases!(
    admins_configure_sync_and_upload_feeds_and_everyone_sees_their_state,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;
        let all = sources(&app, &viewer).await;
        // The ten content feeds, and the four intelligence feeds (NVD, KEV, KEV→ATT&CK, news).
        assert_eq!(all.len(), 14);
        let sigma = source(&all, "sigma");
        assert_eq!(sigma["status"], "never");
        assert!(
            sigma["licence"]
                .as_str()
                .unwrap()
                .contains("Detection Rule License")
        );
        assert_eq!(source(&all, "lolbas")["licence"], "GPL-3.0");

        let patch = |token: String, kind: &'static str, body: Value| {
            let app = &app;
            async move {
                app.client
                    .patch(app.url(&format!("/api/v1/data-sources/{kind}")))
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
            }
        };
        let refused = patch(viewer.clone(), "sigma", json!({"enabled": false})).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let bad = patch(
            admin.clone(),
            "sigma",
            json!({"schedule": "every day", "url": "ftp://x"}),
        )
        .await;
        let refusal = problem(bad).await;
        let fields: Vec<&str> = refusal["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["url", "schedule"], "{refusal}");
        let unknown = patch(admin.clone(), "metasploit", json!({"enabled": true})).await;
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

        // The feed online: served with the rule set; the token travels as a bearer token.
        let served = crate::feed_server::serve(std::collections::HashMap::from([(
            "/sigma_all_rules.zip".to_owned(),
            (200, sigma_zip()),
        )]))
        .await;
        let configured = patch(
            admin.clone(),
            "sigma",
            json!({"url": format!("{}/sigma_all_rules.zip", served.base), "schedule": "0 0 4 * * *",
                   "credential": "ghp_test-token"}),
        )
        .await;
        assert_eq!(configured.status(), StatusCode::OK);
        let configured: Value = configured.json().await.unwrap();
        assert_eq!(configured["has_credential"], true);
        assert!(
            !configured.to_string().contains("ghp_test-token"),
            "never shown"
        );

        let sync = app
            .client
            .post(app.url("/api/v1/data-sources/sigma/sync"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(sync.status(), StatusCode::ACCEPTED);
        let run: Value = sync.json().await.unwrap();
        assert_eq!(run["job"], "feed_sync");
        let finished = app.wait_for_job(run["id"].as_str().unwrap(), &admin).await;
        assert_eq!(finished["outcome"], "succeeded", "{finished}");
        assert_eq!(finished["counts"]["created"], 1, "{finished}");
        let heads = served
            .requests
            .lock()
            .unwrap()
            .join("\n")
            .to_ascii_lowercase();
        assert!(
            heads.contains("authorization: bearer ghp_test-token"),
            "{heads}"
        );
        let all = sources(&app, &viewer).await;
        let sigma = source(&all, "sigma");
        assert_eq!(sigma["status"], "succeeded", "{sigma}");
        assert_eq!(sigma["last_counts"]["created"], 1);
        assert_eq!(sigma["sync_requested"], false);
        let rules: Value = app
            .get("/api/v1/detection-rules?technique=T1059.001", &viewer)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(rules["total"], 1);

        // Offline: the same rules as an uploaded bundle change nothing; garbage fails cleanly.
        let upload = |kind: &'static str, bytes: Vec<u8>| {
            let app = &app;
            let admin = admin.clone();
            async move {
                app.client
                    .post(app.url(&format!("/api/v1/data-sources/{kind}/bundle")))
                    .bearer_auth(admin)
                    .header("content-type", "application/zip")
                    .body(bytes)
                    .send()
                    .await
                    .unwrap()
            }
        };
        let bundle = upload("sigma", sigma_zip()).await;
        assert_eq!(bundle.status(), StatusCode::OK);
        let bundle: Value = bundle.json().await.unwrap();
        assert_eq!(bundle["counts"]["unchanged"], 1, "{bundle}");
        let mappings = json!({
            "metadata": {"mapping_framework": "nist_800_53", "mapping_framework_version": "rev5", "attack_version": "16.1"},
            "mapping_objects": [{"capability_id": "SI-04", "capability_description": "System Monitoring",
                "mapping_type": "mitigates", "attack_object_id": "T1059.001", "status": "complete"}]
        });
        let compliance = upload("compliance", mappings.to_string().into_bytes()).await;
        assert_eq!(compliance.status(), StatusCode::OK);
        let compliance: Value = compliance.json().await.unwrap();
        assert_eq!(compliance["counts"]["created"], 1, "{compliance}");
        // A workbook uploaded alone is read as one (the shared CIS export, when present).
        let cis = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(
            "../../shared/feeds/compliance/cis-controls/CIS_Controls_v8_ATTCKv82_condensed.xlsx",
        );
        if let Ok(bytes) = std::fs::read(&cis) {
            let workbook: Value = upload("compliance", bytes).await.json().await.unwrap();
            assert!(
                workbook["counts"]["created"].as_u64().unwrap() > 100,
                "{workbook}"
            );
        }
        let broken = upload("attack", b"{\"type\": \"not a bundle\"".to_vec()).await;
        assert_eq!(problem(broken).await["errors"][0]["field"], "bundle");
        let attack = sources(&app, &viewer).await;
        let attack = source(&attack, "attack");
        assert_eq!(attack["status"], "failed");
        assert!(attack["last_error"].as_str().is_some());

        // A disabled feed is not synced.
        patch(admin.clone(), "stix", json!({"enabled": false})).await;
        let disabled = app
            .client
            .post(app.url("/api/v1/data-sources/stix/sync"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(disabled.status(), StatusCode::CONFLICT);
    }
);

/// The first start with an empty catalog marks every enabled source for a sync and queues
/// the feed-sync job once (the workers are off here, so nothing is downloaded); a restart
/// does not queue it again, and a catalog that holds ATT&CK needs no first sync at all.
async fn first_start_queues_every_enabled_feed_once(backend: Backend) {
    let app = spawn_app_with(
        backend,
        AppOptions {
            first_start_sync: true,
            jobs_in_process: false,
            ..AppOptions::default()
        },
    )
    .await;
    let admin = app.admin_token().await;
    let listed = sources(&app, &admin).await;
    assert_eq!(listed.len(), 14);
    for source in &listed {
        assert_eq!(source["sync_requested"], source["enabled"], "{source}");
    }
    let queued = |runs: Value| {
        runs["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["job"] == "feed_sync")
            .count()
    };
    let runs = app.get("/api/v1/system/jobs?job=feed_sync", &admin).await;
    assert_eq!(runs.status(), StatusCode::OK);
    assert_eq!(queued(runs.json().await.unwrap()), 1);

    // A second instance (or a restart) on the same database queues nothing more.
    let again = aegis::app::build(&app.settings).await.unwrap();
    drop(again.server);
    let runs = app.get("/api/v1/system/jobs?job=feed_sync", &admin).await;
    assert_eq!(queued(runs.json().await.unwrap()), 1);

    let prepared = aegis::app::prepare(&app.settings).await.unwrap();
    let system = aegis_application::context::Initiator::System {
        tenant: prepared.tenant.id,
    };
    let context = aegis_application::context::RequestContext::default();
    let data_sources = &prepared.wired.services.data_sources;
    assert_eq!(
        data_sources
            .sync_at_first_start(&system, &context)
            .await
            .unwrap(),
        aegis_application::data_sources::FirstStart::AlreadyStarted
    );
    app.import_attack(&attack_fixture("enterprise-v1.json"))
        .await;
    assert_eq!(
        data_sources
            .sync_at_first_start(&system, &context)
            .await
            .unwrap(),
        aegis_application::data_sources::FirstStart::CatalogPresent
    );
}

#[tokio::test]
async fn first_start_queues_every_enabled_feed_once_sqlite() {
    first_start_queues_every_enabled_feed_once(Backend::Sqlite).await;
}

#[tokio::test]
async fn first_start_queues_every_enabled_feed_once_postgres() {
    first_start_queues_every_enabled_feed_once(Backend::Postgres).await;
}
