//! HTTP conventions: problem documents for every bad request, request ids, security headers.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn unreadable_requests_get_problems_not_500s() {
    let app = spawn_app(Backend::Sqlite).await;
    let admin = app.admin_token().await;
    let post = |body: &'static str, content_type: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.client
                .post(app.url("/api/v1/users"))
                .bearer_auth(admin)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let malformed = post("{\"email\": ", "application/json").await;
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(problem(malformed).await["code"], "MALFORMED_JSON");

    let missing = post("{\"email\": \"x@aegis.test\"}", "application/json").await;
    assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(missing).await["errors"][0]["field"], "role");

    let wrong_type = post("email=x", "text/plain").await;
    assert_eq!(wrong_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(problem(wrong_type).await["code"], "UNSUPPORTED_MEDIA_TYPE");

    let huge = format!(
        "{{\"email\": \"{}\", \"role\": \"viewer\"}}",
        "a".repeat(2 * 1024 * 1024)
    );
    let oversized = app
        .client
        .post(app.url("/api/v1/users"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(oversized.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(problem(oversized).await["code"], "PAYLOAD_TOO_LARGE");

    let login_as_text = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(login_as_text.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let bad_id = app.get("/api/v1/users/not-a-uuid", &admin).await;
    assert_eq!(bad_id.status(), StatusCode::NOT_FOUND);
    problem(bad_id).await;

    let nowhere = app
        .client
        .get(app.url("/api/v1/nowhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(nowhere.status(), StatusCode::NOT_FOUND);
    assert_eq!(problem(nowhere).await["code"], "NOT_FOUND");
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated_and_appear_in_problems() {
    let app = spawn_app(Backend::Sqlite).await;
    let echoed = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "trace-42");
    let generated = app.client.get(app.url("/health")).send().await.unwrap();
    let id = generated.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 36);
    let hostile = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "a b<script>")
        .send()
        .await
        .unwrap();
    assert_ne!(hostile.headers()["x-request-id"], "a b<script>");

    let unauthenticated = app
        .client
        .get(app.url("/api/v1/users"))
        .header("x-request-id", "trace-43")
        .send()
        .await
        .unwrap();
    let body: Value = problem(unauthenticated).await;
    assert_eq!(body["request_id"], "trace-43");
}

#[tokio::test]
async fn responses_carry_security_headers() {
    let app = spawn_app(Backend::Sqlite).await;
    let response = app
        .client
        .get(app.url("/api/v1/users"))
        .send()
        .await
        .unwrap();
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
}
