//! Health, readiness, metrics, the web UI, the OpenAPI document and Swagger UI.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

on_both_databases!(health_and_readiness, |app: TestApp| async move {
    let health: Value = app
        .client
        .get(app.url("/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let ready = app.client.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(
        ready,
        serde_json::json!({"status": "ready", "database": "ok", "evidence_store": "ok"})
    );
});

const METRICS_TOKEN: &str = "c2f0a9d84e7b15c3a6f1e0d9b8c7a6f5e4d3c2b1";

#[tokio::test]
async fn metrics_are_not_served_without_a_configured_token() {
    let app = spawn_app(Backend::Sqlite).await;
    for token in [None, Some(METRICS_TOKEN)] {
        let mut request = app.client.get(app.url("/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let body = problem(response).await;
        assert!(body["detail"].is_null(), "says nothing of metrics: {body}");
    }
}

#[tokio::test]
async fn metrics_need_the_configured_bearer_token() {
    let app = spawn_app_with(
        Backend::Sqlite,
        AppOptions {
            metrics_token: Some(METRICS_TOKEN.to_owned()),
            ..AppOptions::default()
        },
    )
    .await;
    let admin = app.admin_token().await;
    let wrong_token = format!("{}0", &METRICS_TOKEN[..METRICS_TOKEN.len() - 1]);
    for (label, authorization) in [
        ("none", None),
        ("a user's access token", Some(format!("Bearer {admin}"))),
        ("a wrong token", Some(format!("Bearer {wrong_token}"))),
        ("basic", Some(format!("Basic {METRICS_TOKEN}"))),
    ] {
        let mut request = app.client.get(app.url("/metrics"));
        if let Some(authorization) = authorization {
            request = request.header("authorization", authorization);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{label}");
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer realm=\"aegis-metrics\""
        );
        assert_eq!(problem(response).await["code"], "METRICS_TOKEN_REQUIRED");
    }
    let allowed = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), StatusCode::OK);
    assert!(
        allowed
            .text()
            .await
            .unwrap()
            .contains("aegis_http_requests_total{")
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = spawn_app_with(
        Backend::Sqlite,
        AppOptions {
            metrics_token: Some(METRICS_TOKEN.to_owned()),
            ..AppOptions::default()
        },
    )
    .await;
    for _ in 0..3 {
        app.client.get(app.url("/health")).send().await.unwrap();
    }
    app.client
        .get(app.url(&format!("/api/v1/users/{}", uuid::Uuid::new_v4())))
        .send()
        .await
        .unwrap();
    let text = app.metrics_text(METRICS_TOKEN).await;
    assert!(
        text.lines()
            .any(|l| l.starts_with("aegis_http_requests_total{")
                && l.contains("route=\"/health\"")
                && l.contains("status=\"200\"")
                && l.ends_with(" 3")),
        "{text}"
    );
    assert!(
        text.contains("route=\"/api/v1/users/{id}\""),
        "routes are patterns, not paths"
    );
    assert!(text.contains("aegis_http_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn the_web_ui_openapi_and_swagger_ui_are_served() {
    let app = spawn_app(Backend::Sqlite).await;
    let index = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(
        index.status(),
        StatusCode::OK,
        "run `npm run build` in presentation/web"
    );
    let policy = index.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("script-src 'self';"), "{policy}");
    assert_eq!(index.headers()["cache-control"], "no-cache");
    let page = index.text().await.unwrap();
    assert!(page.contains("<div id=\"root\">"), "{page}");
    // App routes, dots included, fall back to the app; its router takes them.
    for route in ["/techniques/T1059.001", "/tests?state=draft", "/admin/jobs"] {
        let answer = app.client.get(app.url(route)).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{route}");
        assert_eq!(answer.text().await.unwrap(), page, "{route}");
    }
    let script = page
        .split("src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let asset = app.client.get(app.url(&script)).send().await.unwrap();
    assert_eq!(asset.status(), StatusCode::OK, "{script}");
    assert!(
        asset.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(
        asset.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    for missing in ["/assets/gone-123.js", "/api/v1/nothing-here"] {
        let answer = app.client.get(app.url(missing)).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::NOT_FOUND, "{missing}");
    }
    let api_miss = app
        .client
        .post(app.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        api_miss.headers()["content-type"],
        "application/problem+json"
    );
    let document: Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(document["paths"]["/api/v1/auth/login"].is_object());
    let docs = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(docs.text().await.unwrap().contains("swagger"));
}

#[tokio::test]
async fn the_production_profile_uses_s3_and_hides_internals() {
    let app = spawn_production_app().await;
    let ready: Value = app
        .client
        .get(app.url("/ready"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        ready["status"], "ready",
        "PostgreSQL and S3 are reachable: {ready}"
    );
    assert_eq!(
        app.client
            .get(app.url("/docs/"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    let login = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert!(login.headers().contains_key("strict-transport-security"));
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("Secure"), "{cookie}");
}
