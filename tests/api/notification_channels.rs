//! Channel preferences and email: the preferences API and its validation; a notification
//! emailed through a real SMTP server (aiosmtpd, started by `scripts/test.sh`) to the person
//! with email on for its kind and to nobody else; and an email's failed state when the
//! server has no SMTP.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

const WEB_URL: &str = "https://aegis.example";

/// The plain SMTP server `scripts/test.sh` starts: its port and its Maildir.
fn smtp_server() -> Option<(u16, PathBuf)> {
    let port = std::env::var("AEGIS_TEST_SMTP_PORT").ok()?.parse().ok()?;
    let maildir = std::env::var("AEGIS_TEST_SMTP_MAILDIR").ok()?;
    Some((port, PathBuf::from(maildir)))
}

/// A received message: its headers (unfolded) and its text, quoted-printable undone.
pub(crate) struct Received {
    pub headers: String,
    pub text: String,
}

fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Some(byte) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The messages in `maildir` addressed to `to`.
pub(crate) fn messages_to(maildir: &Path, to: &str) -> Vec<Received> {
    let mut found = Vec::new();
    for folder in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(maildir.join(folder)) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(raw) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            let raw = raw.replace("\r\n", "\n");
            let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
            let headers = head.replace("\n ", " ").replace("\n\t", " ");
            let addressed = headers
                .lines()
                .any(|line| line.to_ascii_lowercase().starts_with("to:") && line.contains(to));
            if addressed {
                found.push(Received {
                    headers,
                    text: decode_quoted_printable(body),
                });
            }
        }
    }
    found
}

/// Waits until `maildir` holds a message to `to`.
pub(crate) async fn wait_for_message(maildir: &Path, to: &str) -> Received {
    for _ in 0..200 {
        if let Some(message) = messages_to(maildir, to).pop() {
            return message;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no message to {to} arrived in {}", maildir.display());
}

async fn put_preferences(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.client
        .put(app.url("/api/v1/notifications/preferences"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn kind<'a>(preferences: &'a Value, name: &str) -> &'a Value {
    preferences["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == name)
        .unwrap_or_else(|| panic!("{name} is listed"))
}

/// A person with `role` and a known address, signed in.
async fn person(app: &TestApp, admin: &str, role: &str, label: &str) -> (String, String) {
    let email = format!("{label}.{}@aegis.test", uuid::Uuid::new_v4().simple());
    let (_, password) = app.create_user(admin, &email, role).await;
    let token = app.ready_user(&email, &password).await;
    (email, token)
}

/// Red submits a new test: the blue team is notified (`test.submit-red`). Returns its id.
async fn submit_red(app: &TestApp, red_lead: &str, red_tech: &str, title: &str) -> String {
    let test = app
        .send_ok(
            Method::POST,
            "/api/v1/tests",
            red_lead,
            json!({"title": title, "technique_id": "T1059.001"}),
        )
        .await;
    let id = test["id"].as_str().unwrap().to_owned();
    let act = |action: &str| format!("/api/v1/tests/{id}/{action}");
    app.send_ok(Method::POST, &act("start-execution"), red_tech, json!({}))
        .await;
    app.send_ok(
        Method::PATCH,
        &act("red"),
        red_tech,
        json!({"executed_at": "2026-11-22T12:00:00Z", "command": "id", "result_summary": "ok"}),
    )
    .await;
    app.send_ok(Method::POST, &act("submit-red"), red_tech, json!({}))
        .await;
    id
}

on_both_databases!(
    preferences_round_trip_and_name_what_is_wrong,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        let (_, tech) = app.user_with_role(&admin, "blue_tech").await;

        let defaults: Value = app
            .get("/api/v1/notifications/preferences", &tech)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(defaults["email_available"], false);
        assert_eq!(kind(&defaults, "alert.fired")["email"], true);
        assert_eq!(kind(&defaults, "alert.fired")["in_app"], true);
        assert_eq!(kind(&defaults, "test.submit-blue")["email"], true);
        assert_eq!(kind(&defaults, "test.reopen")["email"], false);

        let changed = put_preferences(
            &app,
            &tech,
            json!({"kinds": [
                {"kind": "alert.fired", "channels": ["in_app"]},
                {"kind": "test.reopen", "channels": ["email"]},
            ]}),
        )
        .await;
        assert_eq!(changed.status(), StatusCode::OK);
        let read: Value = app
            .get("/api/v1/notifications/preferences", &tech)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(kind(&read, "alert.fired")["email"], false);
        assert_eq!(kind(&read, "test.reopen")["email"], true);
        assert_eq!(kind(&read, "test.reopen")["in_app"], false);
        // Kinds not named keep theirs.
        assert_eq!(kind(&read, "test.submit-blue")["email"], true);

        let unknown_kind = put_preferences(
            &app,
            &tech,
            json!({"kinds": [{"kind": "test.nope", "channels": ["email"]}]}),
        )
        .await;
        assert_eq!(unknown_kind.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let refused = problem(unknown_kind).await;
        assert_eq!(refused["errors"][0]["field"], "kinds[0].kind", "{refused}");

        let webhook = put_preferences(
            &app,
            &tech,
            json!({"kinds": [{"kind": "alert.fired", "channels": ["in_app", "webhook"]}]}),
        )
        .await;
        assert_eq!(webhook.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem = problem(webhook).await;
        assert_eq!(
            problem["errors"][0]["field"], "kinds[0].channels[1]",
            "{problem}"
        );

        // A refused change changed nothing.
        let after: Value = app
            .get("/api/v1/notifications/preferences", &tech)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(kind(&after, "alert.fired")["email"], false);
        assert_eq!(kind(&after, "alert.fired")["in_app"], true);

        let anonymous = app
            .client
            .get(app.url("/api/v1/notifications/preferences"))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    }
);

on_both_databases!(
    without_smtp_an_email_ends_failed_with_the_reason,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let (_, blue) = person(&app, &admin, "blue_tech", "blue").await;
        let (_, red_lead) = app.user_with_role(&admin, "red_lead").await;
        let (_, red_tech) = app.user_with_role(&admin, "red_tech").await;
        submit_red(&app, &red_lead, &red_tech, "Nowhere to send").await;

        let run: Value = app
            .client
            .post(app.url("/api/v1/system/jobs/email_delivery/run"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let finished = app.wait_for_job(run["id"].as_str().unwrap(), &admin).await;
        assert_eq!(finished["outcome"], "succeeded", "{finished}");

        let emails: Value = app
            .get("/api/v1/notifications/emails", &blue)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(emails["total"], 1, "{emails}");
        let email = &emails["items"][0];
        assert_eq!(email["status"], "failed", "{email}");
        assert_eq!(email["kind"], "test.submit-red");
        assert!(
            email["last_error"]
                .as_str()
                .unwrap()
                .contains("not configured"),
            "{email}"
        );
    }
);

/// An app whose email goes to the plain test SMTP server.
async fn app_with_smtp(backend: Backend, port: u16) -> TestApp {
    spawn_app_with(
        backend,
        AppOptions {
            smtp_port: Some(port),
            ..AppOptions::default()
        },
    )
    .await
}

async fn email_reaches_only_who_wants_it(backend: Backend) {
    let Some((port, maildir)) = smtp_server() else {
        eprintln!(
            "skipped: AEGIS_TEST_SMTP_PORT / AEGIS_TEST_SMTP_MAILDIR are not set (scripts/test.sh starts the SMTP server)"
        );
        return;
    };
    let app = app_with_smtp(backend, port).await;
    app.import_attack(&attack_fixture("enterprise-v1.json"))
        .await;
    let admin = app.admin_token().await;
    let (wants, wants_token) = person(&app, &admin, "blue_tech", "wants").await;
    let (declines, declines_token) = person(&app, &admin, "blue_tech", "declines").await;
    let (_, red_lead) = app.user_with_role(&admin, "red_lead").await;
    let (_, red_tech) = app.user_with_role(&admin, "red_tech").await;
    let preferences: Value = app
        .get("/api/v1/notifications/preferences", &wants_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(preferences["email_available"], true);
    let declined = put_preferences(
        &app,
        &declines_token,
        json!({"kinds": [{"kind": "test.submit-red", "channels": ["in_app"]}]}),
    )
    .await;
    assert_eq!(declined.status(), StatusCode::OK);

    let id = submit_red(&app, &red_lead, &red_tech, "Mail for blue").await;

    let message = wait_for_message(&maildir, &wants).await;
    assert!(
        message.headers.contains("Subject: [Aegis]") && message.headers.contains("Mail for blue"),
        "{}",
        message.headers
    );
    assert!(
        message.headers.contains("multipart/alternative"),
        "{}",
        message.headers
    );
    let link = format!("{WEB_URL}/tests/{id}");
    assert!(message.text.contains(&link), "{}", message.text);
    assert!(
        message.text.contains(&format!("href=\"{link}\"")),
        "{}",
        message.text
    );

    // The email is recorded as sent for the one who wanted it.
    let mut status = Value::Null;
    for _ in 0..100 {
        let emails: Value = app
            .get("/api/v1/notifications/emails", &wants_token)
            .await
            .json()
            .await
            .unwrap();
        status = emails["items"][0]["status"].clone();
        if status == "sent" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, "sent");

    // The one who turned email off has the bell's notification and no email at all.
    let declined_emails: Value = app
        .get("/api/v1/notifications/emails", &declines_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(declined_emails["total"], 0, "{declined_emails}");
    let bell: Value = app
        .get("/api/v1/notifications", &declines_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(bell["items"][0]["entity_id"], id.as_str(), "{bell}");
    assert!(messages_to(&maildir, &declines).is_empty());
}

#[tokio::test]
async fn email_reaches_only_who_wants_it_on_sqlite() {
    email_reaches_only_who_wants_it(Backend::Sqlite).await;
}

#[tokio::test]
async fn email_reaches_only_who_wants_it_on_postgres() {
    email_reaches_only_who_wants_it(Backend::Postgres).await;
}
