//! The life of a detection, end to end: a Sigma rule becomes an asset; a validated test
//! proves it and the technique shows the proof; a re-import of the rule with changed
//! detection logic ends the proof, the technique turns stale and a retest draft appears; an
//! infrastructure change on the asset's platform does the same; edits, manual proofs,
//! policies, the dashboard and the decay job.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use aegis_domain::detection::RuleSource;
use aegis_infrastructure::feeds::rule_files::RuleFiles;

use crate::helpers::*;

const RULE_ID: &str = "5f3c8a1e-0000-4000-8000-0000000000a1";

fn sigma(detection: &str) -> String {
    format!(
        "title: Encoded PowerShell Command Line
id: {RULE_ID}
status: test
description: Detects PowerShell started with an encoded command.
author: Aegis Test Author
tags:
  - attack.execution
  - attack.t1059.001
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    CommandLine|contains: '{detection}'
  condition: selection
level: high
"
    )
}

async fn import_sigma(app: &TestApp, dir: &std::path::Path, detection: &str) {
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    std::fs::write(dir.join("rules/encoded.yml"), sigma(detection)).unwrap();
    let prepared = aegis::app::prepare(&app.settings).await.unwrap();
    let initiator = aegis_application::context::Initiator::System {
        tenant: prepared.tenant.id,
    };
    prepared
        .wired
        .services
        .rules
        .import(&initiator, &RuleFiles::new(RuleSource::Sigma, dir))
        .await
        .unwrap();
}

async fn read(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app.get(path, token).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

/// Red and blue crews, with the blue lead's user id (the asset's owner).
async fn crew(app: &TestApp, admin: &str) -> (Crew, String) {
    let (blue_lead_id, blue_lead) = app.user_with_role(admin, "blue_lead").await;
    let (_, red_lead) = app.user_with_role(admin, "red_lead").await;
    let (_, red_tech) = app.user_with_role(admin, "red_tech").await;
    let (_, blue_tech) = app.user_with_role(admin, "blue_tech").await;
    (
        Crew {
            red_lead,
            red_tech,
            blue_lead,
            blue_tech,
        },
        blue_lead_id,
    )
}

async fn prove(app: &TestApp, crew: &Crew) -> Value {
    let test = app
        .send_ok(
            Method::POST,
            "/api/v1/tests",
            &crew.red_lead,
            json!({"title": "Encoded PowerShell", "technique_id": "T1059.001"}),
        )
        .await;
    app.run_to_validation(
        crew,
        test["id"].as_str().unwrap(),
        json!({
            "outcome": "detected", "detected_at": "2026-11-22T10:03:00Z",
            "rule_results": [{"rule": format!("sigma:{RULE_ID}"), "result": "triggered"}],
        }),
    )
    .await
}

async fn status(app: &TestApp, token: &str) -> String {
    let technique = read(app, "/api/v1/techniques/T1059.001", token).await;
    technique["coverage"]["status"].as_str().unwrap().to_owned()
}

async fn retest_drafts(app: &TestApp, token: &str) -> Vec<Value> {
    let drafts = read(
        app,
        "/api/v1/tests?state=draft&technique_id=T1059.001&per_page=100",
        token,
    )
    .await;
    drafts["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["title"].as_str().unwrap().starts_with("Retest T1059.001"))
        .cloned()
        .collect()
}

on_both_databases!(
    a_rule_becomes_an_asset_is_proven_and_loses_its_proof_when_it_or_its_platform_changes,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let rules = tempfile::tempdir().unwrap();
        import_sigma(&app, rules.path(), " -enc ").await;
        let admin = app.admin_token().await;
        let (crew, owner) = crew(&app, &admin).await;

        // A Sigma rule becomes an asset in one call, keeping the link.
        let listed = read(&app, "/api/v1/detection-rules?technique=T1059.001", &admin).await;
        let rule_id = listed["items"][0]["id"].as_str().unwrap().to_owned();
        let asset = app
            .send_ok(
                Method::POST,
                "/api/v1/detection-lifecycle/assets/from-rule",
                &crew.blue_lead,
                json!({"rule_id": rule_id, "platform": "Splunk", "team": "SOC", "owner_id": owner}),
            )
            .await;
        let asset_id = asset["id"].as_str().unwrap().to_owned();
        assert_eq!(asset["name"], "Encoded PowerShell Command Line");
        assert_eq!(asset["platform"], "splunk");
        assert_eq!(asset["kind"], "siem_rule");
        assert_eq!(asset["techniques"], json!(["T1059.001"]));
        assert_eq!(asset["rule"]["source_id"], RULE_ID);
        assert_eq!(asset["content_sha256"].as_str().unwrap().len(), 64);
        let unproven = read(
            &app,
            "/api/v1/detection-lifecycle/confidence/T1059.001",
            &crew.blue_tech,
        )
        .await;
        assert_eq!(unproven["covering"], 1);
        assert_eq!(unproven["proven"], 0);
        assert_eq!(unproven["assets"][0]["proof"], Value::Null, "unproven");

        // A validated test whose rule fired proves it: the technique is validated with it.
        let test = prove(&app, &crew).await;
        assert_eq!(status(&app, &admin).await, "validated");
        let proven = read(
            &app,
            "/api/v1/detection-lifecycle/confidence/T1059.001",
            &crew.blue_tech,
        )
        .await;
        assert_eq!(proven["proven"], 1);
        assert_eq!(proven["confidence"], 100);
        let proof = &proven["assets"][0]["proof"];
        assert_eq!(proof["test_id"], test["id"]);
        assert_eq!(proof["source"], "test");
        assert_eq!(proof["outcome"], "detected");
        assert_eq!(proof["state"], "current");
        // No policy and no known risk level: the documented default of 180 days.
        let validated_at: chrono::DateTime<chrono::Utc> =
            proof["validated_at"].as_str().unwrap().parse().unwrap();
        let expires_at: chrono::DateTime<chrono::Utc> =
            proof["expires_at"].as_str().unwrap().parse().unwrap();
        assert_eq!((expires_at - validated_at).num_days(), 180);
        let dashboard = read(&app, "/api/v1/detection-lifecycle/dashboard", &admin).await;
        assert_eq!(dashboard["current"], 1);
        assert_eq!(dashboard["next_lapses"][0]["technique_id"], "T1059.001");
        assert_eq!(dashboard["unproven_assets"], 0);

        // The same rule again: nothing changes.
        import_sigma(&app, rules.path(), " -enc ").await;
        assert_eq!(status(&app, &admin).await, "validated");
        assert!(retest_drafts(&app, &admin).await.is_empty());

        // Re-imported with changed detection logic: the proof ends, the technique turns
        // stale, a retest draft appears and the owner is told.
        import_sigma(&app, rules.path(), " -EncodedCommand ").await;
        let detail = read(
            &app,
            &format!("/api/v1/detection-lifecycle/assets/{asset_id}"),
            &crew.blue_tech,
        )
        .await;
        assert_ne!(detail["asset"]["content_sha256"], asset["content_sha256"]);
        assert_eq!(detail["validations"][0]["state"], "invalidated");
        assert_eq!(
            detail["validations"][0]["end_reason"],
            "rule changed since it was proven"
        );
        let changes: Vec<&str> = detail["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["change"].as_str().unwrap())
            .collect();
        assert_eq!(changes, ["created", "rule_reimported"]);
        assert_eq!(status(&app, &admin).await, "stale");
        assert_eq!(retest_drafts(&app, &admin).await.len(), 1);
        let notes = read(&app, "/api/v1/notifications", &crew.blue_lead).await;
        assert!(
            notes["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["kind"] == "detection.proof_ended"),
            "{notes}"
        );
        let unproven = read(
            &app,
            "/api/v1/detection-lifecycle/confidence/T1059.001",
            &crew.blue_tech,
        )
        .await;
        assert_eq!(unproven["assets"][0]["proof"], Value::Null);
        assert_eq!(unproven["assets"][0]["last"]["state"], "invalidated");

        // Proven again, then an infrastructure change on its platform ends that proof too.
        prove(&app, &crew).await;
        assert_eq!(status(&app, &admin).await, "validated");
        let outcome = app
            .send_ok(
                Method::POST,
                "/api/v1/detection-lifecycle/infrastructure-changes",
                &crew.blue_lead,
                json!({"title": "Splunk migrated to a new cluster", "platforms": ["SPLUNK"]}),
            )
            .await;
        assert_eq!(outcome["ended"]["validations"], 1, "{outcome}");
        assert_eq!(outcome["ended"]["techniques"], json!(["T1059.001"]));
        assert_eq!(outcome["change"]["ended_validations"], 1);
        assert_eq!(status(&app, &admin).await, "stale");
        assert_eq!(retest_drafts(&app, &admin).await.len(), 2);
        let changes = read(
            &app,
            "/api/v1/detection-lifecycle/infrastructure-changes",
            &crew.blue_tech,
        )
        .await;
        assert_eq!(changes[0]["title"], "Splunk migrated to a new cluster");
        let dashboard = read(&app, "/api/v1/detection-lifecycle/dashboard", &admin).await;
        assert_eq!(dashboard["invalidated"], 2);
        assert_eq!(dashboard["current"], 0);
        assert_eq!(dashboard["unproven_assets"], 1);
    }
);

on_both_databases!(
    assets_are_edited_with_their_version_proven_by_hand_and_retired,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let (_, lead) = app.user_with_role(&admin, "blue_lead").await;
        let (_, tech) = app.user_with_role(&admin, "blue_tech").await;
        let create = |body: Value| {
            let app = &app;
            let lead = lead.clone();
            async move {
                app.client
                    .post(app.url("/api/v1/detection-lifecycle/assets"))
                    .bearer_auth(lead)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
            }
        };
        let bad = create(
            json!({"name": " ", "kind": "rule", "platform": "", "techniques": ["T9999", "x"]}),
        )
        .await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<String> = problem(bad).await["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect();
        for field in ["name", "kind", "platform", "techniques[0]", "techniques[1]"] {
            assert!(fields.iter().any(|f| f == field), "{field} in {fields:?}");
        }
        let created = create(json!({
            "name": "LSASS access", "kind": "edr_policy", "platform": "CrowdStrike",
            "content": "block lsass reads", "techniques": ["T1059.001", "T1566"],
        }))
        .await;
        assert_eq!(created.status(), StatusCode::CREATED);
        let asset: Value = created.json().await.unwrap();
        let id = asset["id"].as_str().unwrap().to_owned();
        let twice = create(
            json!({"name": "LSASS access", "kind": "edr_policy", "platform": "crowdstrike"}),
        )
        .await;
        assert_eq!(twice.status(), StatusCode::CONFLICT);
        let forbidden = app
            .client
            .post(app.url("/api/v1/detection-lifecycle/assets"))
            .bearer_auth(&tech)
            .json(&json!({"name": "x", "kind": "custom", "platform": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);

        // A manual proof needs evidence.
        let proof_path = "/api/v1/detection-lifecycle/validations";
        let missing = app
            .client
            .post(app.url(proof_path))
            .bearer_auth(&lead)
            .json(&json!({"asset_id": id, "technique_id": "T1566", "evidence": " "}))
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem(missing).await["errors"][0]["field"], "evidence");
        let manual = app
            .send_ok(
                Method::POST,
                proof_path,
                &lead,
                json!({"asset_id": id, "technique_id": "T1566", "evidence": "TICKET-42"}),
            )
            .await;
        assert_eq!(manual["source"], "manual");
        assert_eq!(manual["state"], "current");
        let listed = read(&app, &format!("{proof_path}?asset_id={id}"), &tech).await;
        assert_eq!(listed.as_array().unwrap().len(), 1);

        // A decay policy for the platform decides how long the next proof lasts.
        let policy = app
            .send_ok(
                Method::PUT,
                "/api/v1/detection-lifecycle/decay-policies",
                &lead,
                json!({"platform": "CrowdStrike", "validity_days": 30}),
            )
            .await;
        assert_eq!(policy["platform"], "crowdstrike");
        let short = app
            .send_ok(
                Method::POST,
                proof_path,
                &lead,
                json!({"asset_id": id, "technique_id": "T1059.001", "evidence": "TICKET-43"}),
            )
            .await;
        let validated_at: chrono::DateTime<chrono::Utc> =
            short["validated_at"].as_str().unwrap().parse().unwrap();
        let expires_at: chrono::DateTime<chrono::Utc> =
            short["expires_at"].as_str().unwrap().parse().unwrap();
        assert_eq!((expires_at - validated_at).num_days(), 30);
        let bad_policy = app
            .client
            .put(app.url("/api/v1/detection-lifecycle/decay-policies"))
            .bearer_auth(&lead)
            .json(&json!({"tactic": "no-such-tactic", "validity_days": 0}))
            .send()
            .await
            .unwrap();
        assert_eq!(bad_policy.status(), StatusCode::UNPROCESSABLE_ENTITY);

        // An edit against an old version is refused; a content edit ends both proofs.
        let path = format!("/api/v1/detection-lifecycle/assets/{id}");
        let stale = app
            .client
            .patch(app.url(&path))
            .bearer_auth(&lead)
            .json(&json!({"team": "EDR", "version": 99}))
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), StatusCode::CONFLICT);
        let renamed = app
            .send_ok(
                Method::PATCH,
                &path,
                &lead,
                json!({"team": "EDR", "version": 1}),
            )
            .await;
        assert_eq!(renamed["ended"]["validations"], 0);
        assert_eq!(renamed["asset"]["version"], 2);
        let edited = app
            .send_ok(
                Method::PATCH,
                &path,
                &lead,
                json!({"content": "block and alert on lsass reads"}),
            )
            .await;
        assert_eq!(edited["ended"]["validations"], 2, "{edited}");
        assert_eq!(edited["ended"]["retests"].as_array().unwrap().len(), 2);
        let filtered = read(
            &app,
            "/api/v1/detection-lifecycle/assets?technique_id=T1566&platform=crowdstrike",
            &tech,
        )
        .await;
        assert_eq!(filtered["total"], 1);

        // Retired: kept with its history, no longer changes.
        let retired = app
            .client
            .delete(app.url(&path))
            .bearer_auth(&lead)
            .send()
            .await
            .unwrap();
        assert_eq!(retired.status(), StatusCode::OK);
        let detail = read(&app, &path, &tech).await;
        assert_eq!(detail["asset"]["status"], "retired");
        assert_eq!(detail["history"].as_array().unwrap().len(), 4);
        let again = app
            .client
            .patch(app.url(&path))
            .bearer_auth(&lead)
            .json(&json!({"team": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::CONFLICT);

        // The decay job runs and records what it did (nothing is due yet).
        let run = app
            .send_ok(
                Method::POST,
                "/api/v1/system/jobs/detection_decay/run",
                &admin,
                json!({}),
            )
            .await;
        let done = app.wait_for_job(run["id"].as_str().unwrap(), &admin).await;
        assert_eq!(done["outcome"], "succeeded", "{done}");
        assert_eq!(done["counts"]["expired"], 0);
    }
);
