//! The live notification stream: a notification committed for a user reaches their open
//! stream as a server-sent event, a reconnect with `Last-Event-ID` first gets what it missed,
//! and on PostgreSQL a notification committed through another instance reaches it too.

use std::time::Duration;

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

/// How long a test waits for an event before it fails (a guard against hanging, not a
/// measurement).
const PATIENCE: Duration = Duration::from_secs(20);

/// An open stream and the text received but not yet taken as events.
struct EventStream {
    response: Response,
    buffer: String,
}

/// One `notification` event: its id and its data.
struct Received {
    id: String,
    data: Value,
}

impl EventStream {
    async fn open(app: &TestApp, base: &str, token: &str, last_event_id: Option<&str>) -> Self {
        let mut request = app
            .client
            .get(format!("{base}/api/v1/notifications/stream"))
            .bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response.headers()["content-type"].to_str().unwrap();
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}"
        );
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next `notification` event (comments and the retry field are skipped).
    async fn next_notification(&mut self) -> Received {
        tokio::time::timeout(PATIENCE, async {
            loop {
                while let Some(end) = self.buffer.find("\n\n") {
                    let block: String = self.buffer.drain(..end + 2).collect();
                    let field = |name: &str| {
                        block
                            .lines()
                            .find_map(|line| line.strip_prefix(&format!("{name}: ")))
                            .map(str::to_owned)
                    };
                    if field("event").as_deref() == Some("notification") {
                        return Received {
                            id: field("id").expect("every notification has an id"),
                            data: serde_json::from_str(&field("data").unwrap()).unwrap(),
                        };
                    }
                }
                let chunk = self.response.chunk().await.unwrap().expect("stream ended");
                self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
            }
        })
        .await
        .expect("no notification arrived")
    }
}

/// Red submits a new test at `base`: blue is notified that it has something to evaluate.
async fn submit_red(app: &TestApp, base: &str, crew: &Crew, title: &str) -> String {
    let send = |method: Method, path: String, token: String, body: Value| async move {
        let response = app
            .client
            .request(method.clone(), format!("{base}{path}"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{method} {path} -> {status}: {answer}");
        answer
    };
    let test = send(
        Method::POST,
        "/api/v1/tests".into(),
        crew.red_lead.clone(),
        json!({"title": title, "technique_id": "T1059.001"}),
    )
    .await;
    let id = test["id"].as_str().unwrap().to_owned();
    let act = |action: &str| format!("/api/v1/tests/{id}/{action}");
    send(
        Method::POST,
        act("start-execution"),
        crew.red_tech.clone(),
        json!({}),
    )
    .await;
    send(
        Method::PATCH,
        act("red"),
        crew.red_tech.clone(),
        json!({"executed_at": "2026-11-22T12:00:00Z", "command": "id", "result_summary": "ok"}),
    )
    .await;
    send(
        Method::POST,
        act("submit-red"),
        crew.red_tech.clone(),
        json!({}),
    )
    .await;
    id
}

on_both_databases!(
    a_new_notification_reaches_the_open_stream_and_a_reconnect_gets_what_it_missed,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let crew = app.crew(&admin).await;
        let base = app.url("");

        let mut stream = EventStream::open(&app, &base, &crew.blue_tech, None).await;
        let first = submit_red(&app, &base, &crew, "Heard live").await;
        let event = stream.next_notification().await;
        assert_eq!(event.data["kind"], "test.submit-red");
        assert_eq!(event.data["entity_id"], first.as_str());
        drop(stream);

        // Missed while disconnected, then sent first on reconnecting.
        let second = submit_red(&app, &base, &crew, "Heard on reconnect").await;
        let mut resumed = EventStream::open(&app, &base, &crew.blue_tech, Some(&event.id)).await;
        let missed = resumed.next_notification().await;
        assert_eq!(missed.data["entity_id"], second.as_str());
        assert_ne!(missed.id, event.id);

        let refused = app
            .client
            .get(app.url("/api/v1/notifications/stream"))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    }
);

#[tokio::test]
async fn a_notification_committed_through_another_instance_reaches_the_stream() {
    let app = spawn_app(Backend::Postgres).await;
    app.import_attack(&attack_fixture("enterprise-v1.json"))
        .await;
    let admin = app.admin_token().await;
    let crew = app.crew(&admin).await;
    let other = aegis::app::build(&app.settings).await.unwrap();
    tokio::spawn(other.server);
    let other = format!("http://127.0.0.1:{}", other.port);

    let mut stream = EventStream::open(&app, &app.url(""), &crew.blue_tech, None).await;
    let id = submit_red(&app, &other, &crew, "Heard across instances").await;
    let event = stream.next_notification().await;
    assert_eq!(event.data["entity_id"], id.as_str());
}
