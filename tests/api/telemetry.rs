//! Proof from telemetry over HTTP: the run marker and window, telemetry uploaded as evidence,
//! the catalog's Sigma rules evaluated over it, the sealed evaluation, blue taking the
//! proposal, the leads validating, and the rule proven in the technique's score — on SQLite
//! with the filesystem store and on PostgreSQL with S3.

use std::io::Write;

use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::*;

const FIRES: &str = "3c1f0a52-7d4e-4b8a-9e61-2f5d8c7b9a10";
const LINUX: &str = "3c1f0a52-7d4e-4b8a-9e61-2f5d8c7b9a11";

const ENCODED: &str = "title: Encoded PowerShell Command Line
id: 3c1f0a52-7d4e-4b8a-9e61-2f5d8c7b9a10
status: test
author: Aegis Test Author
tags: [attack.t1027]
logsource: {product: windows, category: process_creation}
detection:
  selection_img: {Image|endswith: '\\powershell.exe'}
  selection_cli: {CommandLine|contains|windash: ' -enc '}
  condition: all of selection_*
level: high
";

const ON_LINUX: &str = "title: Base64 Decoded Shell
id: 3c1f0a52-7d4e-4b8a-9e61-2f5d8c7b9a11
status: test
author: Aegis Test Author
tags: [attack.t1027]
logsource: {product: linux, category: process_creation}
detection: {selection: {CommandLine|contains: 'base64 -d'}, condition: selection}
level: medium
";

fn sigma_zip() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in [
        ("rules/windows/encoded.yml", ENCODED),
        ("rules/linux/b64.yml", ON_LINUX),
    ] {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// One event of the run (in the window), one long after it, one with the marker at a wrong
/// time (a host clock years off).
fn telemetry(marker: &str) -> Vec<u8> {
    let events = [
        json!({"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "RecordNumber": 7,
            "UtcTime": "2026-11-29 10:00:42.000", "Hostname": "WS-042",
            "Image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
            "CommandLine": "powershell.exe /enc SQBFAFgA"}),
        json!({"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
            "UtcTime": "2026-11-29 13:00:00.000",
            "Image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
            "CommandLine": "powershell.exe -enc AAAA"}),
        json!({"EventID": 4688, "Channel": "Security", "@timestamp": "2020-01-01T00:00:00Z",
            "NewProcessName": "C:\\Windows\\System32\\whoami.exe", "CommandLine": format!("whoami {marker}")}),
    ];
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for event in events {
        writeln!(gz, "{event}").unwrap();
    }
    gz.finish().unwrap()
}

async fn upload(app: &TestApp, test: &str, token: &str, name: &str, bytes: Vec<u8>) -> Value {
    let form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_owned()));
    let response = app
        .client
        .post(app.url(&format!("/api/v1/tests/{test}/evidence")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn evaluate(app: &TestApp, test: &str, token: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/tests/{test}/telemetry/evaluate")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn score(app: &TestApp, token: &str) -> Value {
    app.get("/api/v1/techniques/T1027", token)
        .await
        .json::<Value>()
        .await
        .unwrap()["coverage"]
        .clone()
}

async fn telemetry_proves_a_rule(app: TestApp) {
    app.import_attack(&attack_fixture("enterprise-v1.json"))
        .await;
    let admin = app.admin_token().await;
    let viewer = app.user_with_role(&admin, "viewer").await.1;
    let bundle = app
        .client
        .post(app.url("/api/v1/data-sources/sigma/bundle"))
        .bearer_auth(&admin)
        .header("content-type", "application/zip")
        .body(sigma_zip())
        .send()
        .await
        .unwrap();
    assert_eq!(bundle.status(), StatusCode::OK);
    let before = score(&app, &viewer).await;

    let crew = app.crew(&admin).await;
    let test = app
        .send_ok(
            Method::POST,
            "/api/v1/tests",
            &crew.red_lead,
            json!({"title": "Encoded PowerShell", "technique_id": "T1027"}),
        )
        .await;
    let id = test["id"].as_str().unwrap().to_owned();
    let act = |action: &str| format!("/api/v1/tests/{id}/{action}");
    app.send_ok(
        Method::POST,
        &act("start-execution"),
        &crew.red_tech,
        json!({}),
    )
    .await;

    // The run's marker is shown to red; the window waits for the execution time.
    let overview: Value = app
        .get(&format!("/api/v1/tests/{id}/telemetry"), &viewer)
        .await
        .json()
        .await
        .unwrap();
    let marker = overview["run"]["marker"].as_str().unwrap().to_owned();
    assert!(
        marker.starts_with("aegis-") && marker.len() == 14,
        "{marker}"
    );
    assert!(overview["run"]["window_from"].is_null());
    assert_eq!(overview["evaluations"], json!([]));

    app.send_ok(
        Method::PATCH,
        &act("red"),
        &crew.red_tech,
        json!({"executed_at": "2026-11-29T10:00:00Z", "procedure": "Encoded command",
               "command": format!("powershell.exe /enc SQBFAFgA # {marker}"), "result_summary": "ran"}),
    )
    .await;
    // Red's phase: blue may not evaluate yet.
    let early = evaluate(&app, &id, &crew.blue_tech, json!({})).await;
    assert_eq!(early.status(), StatusCode::CONFLICT);
    app.send_ok(Method::POST, &act("submit-red"), &crew.red_tech, json!({}))
        .await;
    let overview: Value = app
        .get(&format!("/api/v1/tests/{id}/telemetry"), &viewer)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(overview["run"]["window_from"], "2026-11-29T09:55:00Z");
    assert_eq!(overview["run"]["window_to"], "2026-11-29T11:05:00Z");

    // Nothing to evaluate yet; viewers and red may not evaluate.
    let nothing = evaluate(&app, &id, &crew.blue_tech, json!({})).await;
    assert_eq!(nothing.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(nothing).await["errors"][0]["field"], "evidence_ids");
    let refused = evaluate(&app, &id, &viewer, json!({})).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refused = evaluate(&app, &id, &crew.red_tech, json!({})).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let capture = telemetry(&marker);
    let uploaded = upload(
        &app,
        &id,
        &crew.blue_tech,
        "sysmon.jsonl.gz",
        capture.clone(),
    )
    .await;
    assert_eq!(uploaded["sha256"], hex::encode(Sha256::digest(&capture)));

    let unknown = evaluate(
        &app,
        &id,
        &crew.blue_tech,
        json!({"evidence_ids": [uuid::Uuid::now_v7()]}),
    )
    .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let bad_scope = evaluate(&app, &id, &crew.blue_tech, json!({"scope": "everything"})).await;
    assert_eq!(bad_scope.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let garbage = upload(
        &app,
        &id,
        &crew.blue_tech,
        "notes.bin",
        vec![0, 159, 146, 150, 1, 2],
    )
    .await;
    let not_telemetry = evaluate(
        &app,
        &id,
        &crew.blue_tech,
        json!({"evidence_ids": [garbage["id"]]}),
    )
    .await;
    assert_eq!(not_telemetry.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let evaluated = evaluate(
        &app,
        &id,
        &crew.blue_tech,
        json!({"evidence_ids": [uploaded["id"]], "scope": "technique"}),
    )
    .await;
    assert_eq!(evaluated.status(), StatusCode::CREATED);
    let evaluated: Value = evaluated.json().await.unwrap();
    assert_eq!(evaluated["events_read"], 3);
    assert_eq!(
        evaluated["events_in_run"], 2,
        "the late event is out of the window"
    );
    assert_eq!(evaluated["events_with_marker"], 1);
    assert_eq!(evaluated["rules_evaluated"], 1);
    assert_eq!(evaluated["rules_unsupported"], 1);
    assert_eq!(evaluated["fired"][0]["id"], FIRES);
    assert_eq!(evaluated["fired"][0]["matching_events"], 1);
    assert_eq!(evaluated["fired"][0]["samples"][0]["record_id"], "7");
    assert_eq!(evaluated["unsupported"][0]["id"], LINUX);
    assert!(
        evaluated["unsupported"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("linux")
    );
    assert_eq!(evaluated["inputs"][0]["sha256"], uploaded["sha256"]);
    assert_eq!(evaluated["rules"].as_array().unwrap().len(), 2);
    let proposal = &evaluated["proposal"];
    assert_eq!(proposal["outcome"], "detected");
    assert_eq!(proposal["detected_at"], "2026-11-29T10:00:42Z");
    assert_eq!(proposal["time_to_detect_seconds"], 42);
    assert_eq!(
        proposal["rule_results"],
        json!([{"rule": format!("sigma:{FIRES}"), "verdict": "triggered"},
               {"rule": format!("sigma:{LINUX}"), "verdict": "not_evaluated"}])
    );
    // Sealed: blue evidence of the test, hashed and in custody, its bytes what was returned.
    let sealed = &evaluated["evidence"];
    assert_eq!(sealed["team"], "blue");
    assert_eq!(
        sealed["content_type"],
        "application/vnd.aegis.telemetry-evaluation+json"
    );
    let body = app
        .get(
            &format!(
                "/api/v1/evidence/{}/download",
                sealed["id"].as_str().unwrap()
            ),
            &viewer,
        )
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(sealed["sha256"], hex::encode(Sha256::digest(&body)));
    let document: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(document["proposal"]["outcome"], "detected");
    assert_eq!(document["inputs"][0]["sha256"], uploaded["sha256"]);
    let verified: Value = app
        .send_ok(
            Method::POST,
            &format!("/api/v1/evidence/{}/verify", sealed["id"].as_str().unwrap()),
            &crew.blue_lead,
            json!({}),
        )
        .await;
    assert_eq!(verified["intact"], true);

    let overview: Value = app
        .get(&format!("/api/v1/tests/{id}/telemetry"), &viewer)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(overview["evaluations"].as_array().unwrap().len(), 1);
    assert_eq!(overview["evaluations"][0]["proposal"], *proposal);

    // Blue confirms the proposal; the leads validate; the rule is proven.
    let rule_results: Vec<Value> = proposal["rule_results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| json!({"rule": r["rule"], "result": r["verdict"]}))
        .collect();
    app.send_ok(
        Method::PATCH,
        &act("blue"),
        &crew.blue_tech,
        json!({"outcome": proposal["outcome"], "detected_at": proposal["detected_at"],
               "detection_source": "Aegis telemetry evaluation", "rule_results": rule_results}),
    )
    .await;
    app.send_ok(
        Method::POST,
        &act("submit-blue"),
        &crew.blue_tech,
        json!({}),
    )
    .await;
    app.send_ok(
        Method::POST,
        &act("validate-red"),
        &crew.red_lead,
        json!({"verdict": "approve"}),
    )
    .await;
    let validated = app
        .send_ok(
            Method::POST,
            &act("validate-blue"),
            &crew.blue_lead,
            json!({"verdict": "approve"}),
        )
        .await;
    assert_eq!(validated["state"], "validated");
    let after = score(&app, &viewer).await;
    assert!(
        after["breakdown"]["rules"].as_f64().unwrap()
            > before["breakdown"]["rules"].as_f64().unwrap(),
        "the proven rule counts fully: {before} -> {after}"
    );
    assert!(after["score"].as_f64().unwrap() > before["score"].as_f64().unwrap());

    // Validated: the evaluation is final.
    let late = evaluate(&app, &id, &crew.blue_tech, json!({})).await;
    assert_eq!(late.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn telemetry_on_sqlite_and_the_filesystem() {
    telemetry_proves_a_rule(spawn_app(Backend::Sqlite).await).await;
}

#[tokio::test]
async fn telemetry_on_postgresql_and_s3() {
    telemetry_proves_a_rule(spawn_production_app().await).await;
}
