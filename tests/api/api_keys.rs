//! API keys over HTTP: a pipeline takes a test through the workflow with keys alone (red and
//! blue service accounts), evidence included, and reads the score; a read-only key is refused
//! a write with the scope named; keys are shown once, revoked, and audited under their names.

use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

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

/// A service account of `role` and a key for it with `scopes`; returns the key.
async fn service_key(app: &TestApp, admin: &str, role: &str, scopes: &[&str]) -> String {
    let email = format!("{}.svc@aegis.test", role.replace('_', "-"));
    let account = app
        .send_ok(
            Method::POST,
            "/api/v1/users",
            admin,
            json!({"email": email, "role": role, "kind": "service"}),
        )
        .await;
    assert_eq!(account["kind"], "service");
    assert!(account.get("generated_password").is_none(), "{account}");
    let created = app
        .send_ok(
            Method::POST,
            "/api/v1/api-keys",
            admin,
            json!({"name": format!("{role} pipeline"), "scopes": scopes, "owner_id": account["id"]}),
        )
        .await;
    created["key"].as_str().unwrap().to_owned()
}

on_both_databases!(
    a_pipeline_runs_the_workflow_with_keys,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let red = service_key(
            &app,
            &admin,
            "red_lead",
            &["read", "tests:write", "evidence:write"],
        )
        .await;
        let blue = service_key(&app, &admin, "blue_lead", &["read", "tests:write"]).await;
        assert!(red.starts_with("aegis_"));

        let step = |path: String, key: String, body: Value| {
            let app = &app;
            async move { app.send_ok(Method::POST, &path, &key, body).await }
        };
        let test = app
            .send_ok(
                Method::POST,
                "/api/v1/tests",
                &red,
                json!({"title": "Pipeline run", "technique_id": "T1059.001"}),
            )
            .await;
        let id = test["id"].as_str().unwrap().to_owned();
        let act = |action: &str| format!("/api/v1/tests/{id}/{action}");
        step(act("start-execution"), red.clone(), json!({})).await;
        app.send_ok(
        Method::PATCH,
        &act("red"),
        &red,
        json!({"executed_at": "2026-11-22T10:00:00Z", "procedure": "Procedure", "command": "whoami",
               "tool": "pipeline", "targets": ["WS-1"], "result_summary": "ran"}),
    )
    .await;
        let uploaded = app
            .client
            .post(app.url(&format!("/api/v1/tests/{id}/evidence")))
            .bearer_auth(&red)
            .multipart(
                Form::new().part(
                    "file",
                    Part::bytes(b"pipeline log".to_vec())
                        .file_name("run.log")
                        .mime_str("text/plain")
                        .unwrap(),
                ),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(uploaded.status(), StatusCode::CREATED);
        step(act("submit-red"), red.clone(), json!({})).await;
        app.send_ok(
        Method::PATCH,
        &act("blue"),
        &blue,
        json!({"outcome": "detected", "detected_at": "2026-11-22T10:03:00Z", "detection_source": "EDR"}),
    )
    .await;
        // The blue key has no evidence scope: its upload is refused with the scope named.
        let refused = app
            .client
            .post(app.url(&format!("/api/v1/tests/{id}/evidence?team=blue")))
            .bearer_auth(&blue)
            .multipart(
                Form::new().part(
                    "file",
                    Part::bytes(b"alert".to_vec())
                        .file_name("alert.txt")
                        .mime_str("text/plain")
                        .unwrap(),
                ),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let body = problem(refused).await;
        assert!(
            body["title"].as_str().unwrap().contains("evidence:write"),
            "{body}"
        );
        step(act("submit-blue"), blue.clone(), json!({})).await;
        step(
            act("validate-red"),
            red.clone(),
            json!({"verdict": "approve"}),
        )
        .await;
        let validated = step(
            act("validate-blue"),
            blue.clone(),
            json!({"verdict": "approve"}),
        )
        .await;
        assert_eq!(validated["state"], "validated");

        let technique: Value = app
            .get("/api/v1/techniques/T1059.001", &red)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(technique["coverage"]["status"], "validated");
        assert!(
            technique["coverage"]["score"].as_f64().unwrap() > 0.0,
            "{technique}"
        );

        // Every change made with a key is audited under the key's name.
        let audit: Value = app
            .get(
                &format!("/api/v1/audit-logs?entity_id={id}&per_page=100"),
                &admin,
            )
            .await
            .json()
            .await
            .unwrap();
        let entries = audit["items"].as_array().unwrap();
        assert!(!entries.is_empty());
        for entry in entries {
            let name = entry["details"]["api_key"]["name"].as_str();
            assert!(
                matches!(name, Some("red_lead pipeline" | "blue_lead pipeline")),
                "{entry}"
            );
        }
    }
);

on_both_databases!(
    a_read_only_key_is_refused_writes_with_the_scope_named,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let (_, lead) = app.user_with_role(&admin, "red_lead").await;
        let created = app
            .send_ok(
                Method::POST,
                "/api/v1/api-keys",
                &lead,
                json!({"name": "dashboard", "scopes": ["read"]}),
            )
            .await;
        let key = created["key"].as_str().unwrap().to_owned();
        let key_id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(created["scopes"], json!(["read"]));
        assert_eq!(created["status"], "active");

        assert_eq!(
            app.get("/api/v1/tests", &key).await.status(),
            StatusCode::OK
        );
        let refused = send(
            &app,
            Method::POST,
            "/api/v1/tests",
            &key,
            Some(json!({"title": "Nope", "technique_id": "T1059.001"})),
        )
        .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let body = problem(refused).await;
        assert_eq!(body["code"], "FORBIDDEN");
        assert!(
            body["title"].as_str().unwrap().contains("`tests:write`"),
            "{body}"
        );

        // A key cannot manage keys, even its own.
        let by_key = send(&app, Method::GET, "/api/v1/api-keys", &key, None).await;
        assert_eq!(by_key.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            problem(by_key).await["code"],
            "INTERACTIVE_SIGN_IN_REQUIRED"
        );

        // The key is never shown again; its last use is.
        let listed: Value = app
            .get("/api/v1/api-keys", &lead)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed.as_array().unwrap().len(), 1);
        assert!(listed[0].get("key").is_none());
        assert!(listed[0]["last_used_at"].is_string(), "{listed}");
        assert_eq!(listed[0]["last_used_ip"], "127.0.0.1");
        assert!(!listed.to_string().contains(&key));

        // Widening the scopes lets it write; revoking it ends it.
        let widened = app
            .send_ok(
                Method::PATCH,
                &format!("/api/v1/api-keys/{key_id}"),
                &lead,
                json!({"scopes": ["read", "tests:write"], "name": "dashboard writer"}),
            )
            .await;
        assert_eq!(widened["name"], "dashboard writer");
        app.send_ok(
            Method::POST,
            "/api/v1/tests",
            &key,
            json!({"title": "Now", "technique_id": "T1059.001"}),
        )
        .await;
        let revoked = send(
            &app,
            Method::DELETE,
            &format!("/api/v1/api-keys/{key_id}"),
            &lead,
            None,
        )
        .await;
        assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
        let after = app.get("/api/v1/tests", &key).await;
        assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(problem(after).await["code"], "TOKEN_REVOKED");
        let shown: Value = app
            .get(&format!("/api/v1/api-keys/{key_id}"), &lead)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(shown["status"], "revoked");

        // Bad input names the field; another user's key is not found.
        let bad = send(
            &app,
            Method::POST,
            "/api/v1/api-keys",
            &lead,
            Some(json!({"name": "x", "scopes": ["tests:delete"]})),
        )
        .await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem(bad).await["errors"][0]["field"], "scopes");
        let (_, other) = app.user_with_role(&admin, "viewer").await;
        let hidden = app.get(&format!("/api/v1/api-keys/{key_id}"), &other).await;
        assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
        let unknown = app
            .get(
                "/api/v1/tests",
                "aegis_00000000000000000000000000000000_0123456789abcdef0123456789abcdef",
            )
            .await;
        assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    }
);
