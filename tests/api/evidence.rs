//! Evidence over HTTP: streamed upload by the team whose phase it is, hashes, sniffed types,
//! download, verification, deletion and the chain of custody — on SQLite with the filesystem
//! store and on PostgreSQL with S3.

use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use aegis::config::EvidenceBackend;
use aegis_domain::evidence::{PendingObject, PendingPurpose};
use aegis_domain::ports::EvidenceRepository;

use crate::helpers::*;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde";

struct Crew {
    admin: String,
    red: String,
    blue: String,
    viewer: String,
}

async fn crew(app: &TestApp) -> Crew {
    app.import_attack(&attack_fixture("enterprise-v1.json"))
        .await;
    let admin = app.admin_token().await;
    let red = app.user_with_role(&admin, "red_lead").await.1;
    let blue = app.user_with_role(&admin, "blue_lead").await.1;
    let viewer = app.user_with_role(&admin, "viewer").await.1;
    Crew {
        admin,
        red,
        blue,
        viewer,
    }
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

async fn upload(
    app: &TestApp,
    test: &str,
    token: &str,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let form = Form::new().part(
        "file",
        Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str("text/plain")
            .unwrap(),
    );
    app.client
        .post(app.url(&format!("/api/v1/tests/{test}/evidence")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn new_test(app: &TestApp, crew: &Crew) -> String {
    let test: Value = send(
        app,
        Method::POST,
        "/api/v1/tests",
        &crew.red,
        Some(json!({"title": "With evidence", "technique_id": "T1059.001"})),
    )
    .await
    .json()
    .await
    .unwrap();
    let id = test["id"].as_str().unwrap().to_owned();
    let started = send(
        app,
        Method::POST,
        &format!("/api/v1/tests/{id}/start-execution"),
        &crew.red,
        None,
    )
    .await;
    assert_eq!(started.status(), StatusCode::OK);
    id
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn evidence_lifecycle(app: TestApp) {
    let crew = crew(&app).await;
    let test = new_test(&app, &crew).await;
    // About 3 MiB: several chunks on the way through.
    let content: Vec<u8> = (0..3_000_000_u32).map(|i| (i % 251) as u8).collect();

    let blue_too_early = upload(&app, &test, &crew.blue, "out.log", b"nope".to_vec()).await;
    assert_eq!(blue_too_early.status(), StatusCode::FORBIDDEN);
    let viewer = upload(&app, &test, &crew.viewer, "out.log", b"nope".to_vec()).await;
    assert_eq!(viewer.status(), StatusCode::FORBIDDEN);

    let uploaded = upload(
        &app,
        &test,
        &crew.red,
        "../../c2 beacon<1>.bin",
        content.clone(),
    )
    .await;
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let uploaded: Value = uploaded.json().await.unwrap();
    assert_eq!(uploaded["sha256"], sha256(&content));
    assert_eq!(uploaded["size_bytes"], content.len());
    assert_eq!(uploaded["team"], "red");
    assert_eq!(uploaded["filename"], "c2 beacon_1_.bin");
    assert_eq!(
        uploaded["content_type"], "application/octet-stream",
        "the client's text/plain is not believed"
    );
    assert_eq!(uploaded["custody"][0]["kind"], "uploaded");
    let id = uploaded["id"].as_str().unwrap().to_owned();

    let png = upload(&app, &test, &crew.red, "screenshot.txt", PNG.to_vec()).await;
    let png: Value = png.json().await.unwrap();
    assert_eq!(png["content_type"], "image/png");

    let listed: Value = send(
        &app,
        Method::GET,
        &format!("/api/v1/tests/{test}/evidence?team=red"),
        &crew.viewer,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let blue_listed: Value = send(
        &app,
        Method::GET,
        &format!("/api/v1/tests/{test}/evidence?team=blue"),
        &crew.viewer,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(blue_listed.as_array().unwrap().is_empty());

    let download = send(
        &app,
        Method::GET,
        &format!("/api/v1/evidence/{id}/download"),
        &crew.viewer,
        None,
    )
    .await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(
        download.headers()["x-content-sha256"],
        sha256(&content).as_str()
    );
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let bytes = download.bytes().await.unwrap();
    assert_eq!(
        sha256(&bytes),
        sha256(&content),
        "the download hashes to the recorded value"
    );

    let link: Value = send(
        &app,
        Method::GET,
        &format!("/api/v1/evidence/{id}/download-link"),
        &crew.viewer,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    let url = link["url"].as_str().unwrap();
    let mut custody_kinds = vec!["uploaded", "downloaded"];
    if app.settings.evidence_backend() == EvidenceBackend::S3 {
        assert_eq!(link["presigned"], true);
        assert!(
            url.starts_with("http://localhost:"),
            "signed for the public endpoint: {url}"
        );
        assert!(link["expires_at"].is_string());
        // No session, no Aegis: the browser goes straight to the store.
        let direct = reqwest::get(url).await.unwrap();
        assert_eq!(direct.status(), StatusCode::OK, "{url}");
        assert!(
            direct.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("c2 beacon_1_.bin")
        );
        assert_eq!(sha256(&direct.bytes().await.unwrap()), sha256(&content));
        custody_kinds.push("link_issued");
    } else {
        assert_eq!(link["presigned"], false);
        assert_eq!(url, format!("/api/v1/evidence/{id}/download"));
    }
    custody_kinds.push("verified");

    let verified: Value = send(
        &app,
        Method::POST,
        &format!("/api/v1/evidence/{id}/verify"),
        &crew.blue,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(verified["intact"], true);
    let detail: Value = send(
        &app,
        Method::GET,
        &format!("/api/v1/evidence/{id}"),
        &crew.viewer,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    let kinds: Vec<&str> = detail["custody"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, custody_kinds);

    // Deleting needs an admin and a reason; the record and its custody stay.
    let png_id = png["id"].as_str().unwrap().to_owned();
    let by_lead = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/evidence/{png_id}"),
        &crew.red,
        Some(json!({"reason": "wrong file"})),
    )
    .await;
    assert_eq!(by_lead.status(), StatusCode::FORBIDDEN);
    let without_reason = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/evidence/{png_id}"),
        &crew.admin,
        Some(json!({"reason": " "})),
    )
    .await;
    assert_eq!(
        problem(without_reason).await["errors"][0]["field"],
        "reason"
    );
    let deleted: Value = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/evidence/{png_id}"),
        &crew.admin,
        Some(json!({"reason": "wrong file"})),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(deleted["delete_reason"], "wrong file");
    let gone = send(
        &app,
        Method::GET,
        &format!("/api/v1/evidence/{png_id}/download"),
        &crew.viewer,
        None,
    )
    .await;
    assert_eq!(problem(gone).await["code"], "EVIDENCE_NOT_FOUND");
    let kept: Value = send(
        &app,
        Method::GET,
        &format!("/api/v1/evidence/{png_id}"),
        &crew.viewer,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        kept["custody"].as_array().unwrap().last().unwrap()["kind"],
        "deleted"
    );

    // Blue adds its own evidence in its phase; once validated, nothing changes.
    send(
        &app,
        Method::PATCH,
        &format!("/api/v1/tests/{test}/red"),
        &crew.red,
        Some(
            json!({"executed_at": "2026-11-22T10:00:00Z", "command": "x", "result_summary": "ok"}),
        ),
    )
    .await;
    assert_eq!(
        send(
            &app,
            Method::POST,
            &format!("/api/v1/tests/{test}/submit-red"),
            &crew.red,
            None
        )
        .await
        .status(),
        StatusCode::OK
    );
    let red_late = upload(&app, &test, &crew.red, "late.txt", b"late".to_vec()).await;
    assert_eq!(red_late.status(), StatusCode::FORBIDDEN);
    let blue_file = upload(
        &app,
        &test,
        &crew.blue,
        "alert.json",
        br#"{"rule": "powershell"}"#.to_vec(),
    )
    .await;
    assert_eq!(blue_file.status(), StatusCode::CREATED);
    send(
        &app,
        Method::PATCH,
        &format!("/api/v1/tests/{test}/blue"),
        &crew.blue,
        Some(json!({"outcome": "logged"})),
    )
    .await;
    let blue_by_red_param = app
        .client
        .post(app.url(&format!("/api/v1/tests/{test}/evidence?team=red")))
        .bearer_auth(&crew.blue)
        .multipart(Form::new().part("file", Part::bytes(b"x".to_vec()).file_name("x.txt")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem(blue_by_red_param).await["code"],
        "EVIDENCE_LOCKED",
        "a team files only as itself"
    );
    assert_eq!(
        send(
            &app,
            Method::POST,
            &format!("/api/v1/tests/{test}/submit-blue"),
            &crew.blue,
            None
        )
        .await
        .status(),
        StatusCode::OK
    );
    let by_admin = app
        .client
        .post(app.url(&format!("/api/v1/tests/{test}/evidence?team=blue")))
        .bearer_auth(&crew.admin)
        .multipart(Form::new().part(
            "file",
            Part::bytes(b"siem export".to_vec()).file_name("siem.csv"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_admin.status(),
        StatusCode::CREATED,
        "admins pass the phase rule before validation"
    );
    let by_admin: Value = by_admin.json().await.unwrap();
    assert_eq!(by_admin["team"], "blue");
    send(
        &app,
        Method::POST,
        &format!("/api/v1/tests/{test}/validate-red"),
        &crew.red,
        Some(json!({"verdict": "approve"})),
    )
    .await;
    let validated = send(
        &app,
        Method::POST,
        &format!("/api/v1/tests/{test}/validate-blue"),
        &crew.blue,
        Some(json!({"verdict": "approve"})),
    )
    .await;
    assert_eq!(validated.status(), StatusCode::OK);
    let locked = upload(&app, &test, &crew.admin, "after.txt", b"after".to_vec()).await;
    // (Before validation, in review, an admin could still add a file for either team.)
    assert_eq!(problem(locked).await["code"], "EVIDENCE_LOCKED");
    let undeletable = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/evidence/{id}"),
        &crew.admin,
        Some(json!({"reason": "cleanup"})),
    )
    .await;
    assert_eq!(problem(undeletable).await["code"], "EVIDENCE_LOCKED");

    let audit: Value = app
        .get(
            "/api/v1/audit-logs?entity_type=evidence&per_page=100",
            &crew.admin,
        )
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in [
        "evidence.uploaded",
        "evidence.downloaded",
        "evidence.verified",
        "evidence.deleted",
    ] {
        assert!(actions.contains(&expected), "{expected} is audited");
    }
}

#[tokio::test]
async fn evidence_on_sqlite_and_the_filesystem() {
    evidence_lifecycle(spawn_app(Backend::Sqlite).await).await;
}

#[tokio::test]
async fn evidence_on_postgresql_and_s3() {
    evidence_lifecycle(spawn_production_app().await).await;
}

/// A crash between writing an upload's object and committing its row leaves a pending
/// record; the sweep removes that object and nothing that belongs to a committed row.
async fn interrupted_uploads_are_swept(app: TestApp) {
    let crew = crew(&app).await;
    let test = new_test(&app, &crew).await;
    let kept: Value = upload(&app, &test, &crew.red, "kept.txt", b"kept".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let prepared = aegis::app::prepare(&app.settings).await.unwrap();
    let services = &prepared.wired.services;
    let store = aegis::app::evidence_store(&app.settings).await.unwrap();
    let orphan_key = format!("{}/{test}/interrupted", prepared.tenant.id);
    prepared
        .wired
        .database
        .record_pending_object(&PendingObject {
            object_key: orphan_key.clone(),
            tenant_id: prepared.tenant.id,
            purpose: PendingPurpose::Upload,
            recorded_at: chrono::Utc::now() - chrono::Duration::minutes(5),
        })
        .await
        .unwrap();
    store
        .put(
            &orphan_key,
            b"half an upload".to_vec(),
            "application/octet-stream",
        )
        .await
        .unwrap();

    let within_grace = services
        .evidence
        .sweep(chrono::Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(
        within_grace.abandoned_uploads, 0,
        "it may still be uploading"
    );
    assert!(store.get(&orphan_key).await.is_ok());

    let report = services
        .evidence
        .sweep(chrono::Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(report.abandoned_uploads, 1);
    assert_eq!(report.failed, 0);
    assert!(store.get(&orphan_key).await.is_err(), "the orphan is gone");
    let again = services
        .evidence
        .sweep(chrono::Duration::zero())
        .await
        .unwrap();
    assert_eq!(again, Default::default(), "nothing is swept twice");

    let id = kept["id"].as_str().unwrap();
    let download = send(
        &app,
        Method::GET,
        &format!("/api/v1/evidence/{id}/download"),
        &crew.viewer,
        None,
    )
    .await;
    assert_eq!(download.bytes().await.unwrap().as_ref(), b"kept");

    // A deleted file's object goes at once, and its purge record with it.
    let deleted = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/evidence/{id}"),
        &crew.admin,
        Some(json!({"reason": "wrong host"})),
    )
    .await;
    assert_eq!(deleted.status(), StatusCode::OK);
    let key = format!("{}/{test}/{id}", prepared.tenant.id);
    assert!(store.get(&key).await.is_err());
    assert!(
        prepared
            .wired
            .database
            .pending_objects(chrono::Utc::now(), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn interrupted_uploads_are_swept_on_sqlite_and_the_filesystem() {
    interrupted_uploads_are_swept(spawn_app(Backend::Sqlite).await).await;
}

#[tokio::test]
async fn interrupted_uploads_are_swept_on_postgresql_and_s3() {
    interrupted_uploads_are_swept(spawn_production_app().await).await;
}

#[tokio::test]
async fn tampering_is_detected_and_oversized_files_leave_nothing() {
    let app = spawn_app_with(
        Backend::Sqlite,
        AppOptions {
            evidence_max_bytes: Some(1024),
            ..AppOptions::default()
        },
    )
    .await;
    let crew = crew(&app).await;
    let test = new_test(&app, &crew).await;
    let too_big = upload(&app, &test, &crew.red, "big.bin", vec![7_u8; 4096]).await;
    assert_eq!(too_big.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(too_big).await["code"], "FILE_TOO_LARGE");
    let listed: Value = send(
        &app,
        Method::GET,
        &format!("/api/v1/tests/{test}/evidence"),
        &crew.red,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(
        listed.as_array().unwrap().is_empty(),
        "no row for a refused file"
    );

    let stored: Value = upload(&app, &test, &crew.red, "notes.txt", b"original".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let id = stored["id"].as_str().unwrap();
    // Someone edits the file in the store behind Aegis's back.
    let evidence_dir = app.settings.data_dir.join("evidence");
    let path = walk(&evidence_dir)
        .into_iter()
        .find(|p| p.ends_with(id))
        .expect("the stored object");
    std::fs::write(&path, b"tampered").unwrap();
    let verified: Value = send(
        &app,
        Method::POST,
        &format!("/api/v1/evidence/{id}/verify"),
        &crew.admin,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(verified["intact"], false);
    assert_eq!(verified["recomputed_sha256"], sha256(b"tampered"));
    let detail: Value = send(
        &app,
        Method::GET,
        &format!("/api/v1/evidence/{id}"),
        &crew.admin,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        detail["custody"].as_array().unwrap().last().unwrap()["kind"],
        "verification_failed"
    );
    let not_multipart = send(
        &app,
        Method::POST,
        &format!("/api/v1/tests/{test}/evidence"),
        &crew.red,
        Some(json!({"file": "x"})),
    )
    .await;
    assert!(not_multipart.status().is_client_error());
    problem(not_multipart).await;
}

pub(crate) fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
