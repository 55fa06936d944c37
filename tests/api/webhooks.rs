//! Webhooks over HTTP: internal targets refused with 422 naming `url` and why; a local
//! receiver (allowed through the tenant's allow-list) gets signed deliveries for a validation
//! that opens a finding, the retest that resolves it, a finished import and a ready report,
//! and verifies each signature with `ring`, an implementation independent of the server's; a failing receiver is retried with back-off,
//! then the delivery is dead with its log, and a redelivery keeps the `webhook-id`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::helpers::*;

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
struct Received {
    headers: HashMap<String, String>,
    body: String,
}

/// A webhook receiver on 127.0.0.1 answering every POST with `status`.
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
}

impl Receiver {
    async fn start(status: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks/aegis", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(status));
        let (seen, answer) = (received.clone(), status.clone());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let (seen, answer) = (seen.clone(), answer.clone());
                tokio::spawn(async move {
                    let mut data = Vec::new();
                    let mut buffer = [0_u8; 8192];
                    let head_end = loop {
                        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                            break at + 4;
                        }
                        match stream.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => data.extend_from_slice(&buffer[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&data[..head_end]).to_string();
                    let headers: HashMap<String, String> = head
                        .lines()
                        .skip(1)
                        .filter_map(|line| line.split_once(':'))
                        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                        .collect();
                    let length: usize = headers
                        .get("content-length")
                        .and_then(|l| l.parse().ok())
                        .unwrap_or(0);
                    while data.len() < head_end + length {
                        match stream.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => data.extend_from_slice(&buffer[..n]),
                        }
                    }
                    let body =
                        String::from_utf8_lossy(&data[head_end..head_end + length]).to_string();
                    seen.lock().unwrap().push(Received { headers, body });
                    let status = answer.load(Ordering::SeqCst);
                    let response = format!(
                        "HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                });
            }
        });
        Self {
            url,
            received,
            status,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until a request of event `kind` arrived, and returns it.
    async fn wait_for(&self, kind: &str) -> Received {
        for _ in 0..300 {
            if let Some(found) = self.received().into_iter().find(|r| {
                serde_json::from_str::<Value>(&r.body).is_ok_and(|body| body["type"] == kind)
            }) {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no {kind} delivery arrived: {:?}", self.received());
    }
}

/// Verifies a Standard Webhooks signature with `ring`: HMAC-SHA256 over `id.timestamp.body`
/// with the base64 key after `whsec_`, compared in constant time by `ring::hmac::verify`.
fn verify(secret: &str, request: &Received) {
    let id = &request.headers["webhook-id"];
    let timestamp = &request.headers["webhook-timestamp"];
    let signature = &request.headers["webhook-signature"];
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key);
    let signed = format!("{id}.{timestamp}.{}", request.body);
    let presented = signature
        .split(' ')
        .find_map(|s| s.strip_prefix("v1,"))
        .expect("a v1 signature");
    let presented = STANDARD.decode(presented).unwrap();
    ring::hmac::verify(&key, signed.as_bytes(), &presented).expect("the signature verifies");
    let age = chrono::Utc::now().timestamp() - timestamp.parse::<i64>().unwrap();
    assert!((0..300).contains(&age), "a fresh timestamp: {age}s");
}

async fn create(app: &TestApp, admin: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/webhooks"))
        .bearer_auth(admin)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn deliveries(app: &TestApp, admin: &str, hook: &str) -> Value {
    app.get(&format!("/api/v1/webhooks/{hook}/deliveries"), admin)
        .await
        .json()
        .await
        .unwrap()
}

on_both_databases!(
    internal_targets_are_refused_with_422_naming_the_url_and_why,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        for (url, reason) in [
            ("http://127.0.0.1/hook", "127.0.0.1 is a loopback address"),
            ("http://10.0.0.1/hook", "10.0.0.1 is a private address"),
            (
                "http://169.254.169.254/latest/meta-data/",
                "169.254.169.254 is a cloud metadata address",
            ),
            ("http://[::1]/hook", "::1 is a loopback address"),
            (
                "http://localhost:8080/hook",
                "localhost resolves only to addresses that are not allowed",
            ),
            (
                "ftp://example.com/hook",
                "is not an absolute http or https URL",
            ),
        ] {
            let response = create(
                &app,
                &admin,
                json!({"name": "Refused", "url": url, "events": ["finding.opened"]}),
            )
            .await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
            let problem = problem(response).await;
            assert_eq!(problem["code"], "VALIDATION_FAILED");
            assert_eq!(problem["errors"][0]["field"], "url", "{problem}");
            let message = problem["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains(reason), "{url}: {message}");
        }
        // An unknown event or preset names its field too.
        let response = create(
            &app,
            &admin,
            json!({"name": "x", "url": "http://93.184.215.14/", "events": ["nope"], "preset": "irc"}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<String> = problem(response).await["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(fields, ["events", "preset"]);
        // A malformed allow-list entry is refused naming `entries`.
        let response = app
            .client
            .put(app.url("/api/v1/webhooks/allow-list"))
            .bearer_auth(&admin)
            .json(&json!({"entries": ["10.0.0.0/99"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem(response).await["errors"][0]["field"], "entries");
        // Only admins manage webhooks.
        let (_, lead) = app.user_with_role(&admin, "blue_lead").await;
        let response = app.get("/api/v1/webhooks", &lead).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
);

on_both_databases!(
    a_local_receiver_gets_signed_deliveries_that_verify,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let receiver = Receiver::start(200).await;
        // Allowed through the tenant's allow-list, as an admin would for an internal SOAR.
        let allow = app
            .send_ok(
                Method::PUT,
                "/api/v1/webhooks/allow-list",
                &admin,
                json!({"entries": ["127.0.0.1"]}),
            )
            .await;
        assert_eq!(allow["entries"], json!(["127.0.0.1/32"]));
        let response = create(
            &app,
            &admin,
            json!({"name": "SOAR", "url": receiver.url,
                   "events": ["test.validated", "finding.opened", "finding.resolved",
                              "report.ready", "import.finished"]}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let hook: Value = response.json().await.unwrap();
        let secret = hook["secret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("whsec_"), "{hook}");
        let id = hook["id"].as_str().unwrap().to_owned();
        // The secret is shown once: never in a read.
        let read: Value = app
            .get(&format!("/api/v1/webhooks/{id}"), &admin)
            .await
            .json()
            .await
            .unwrap();
        assert!(read.get("secret").is_none(), "{read}");
        assert_eq!(read["preset"], "generic");

        // A missed detection validates and opens a finding: two events, two deliveries.
        let test = app
            .validated_test(&admin, "T1059.001", json!({"outcome": "not_detected"}))
            .await;
        let opened = receiver.wait_for("finding.opened").await;
        let validated = receiver.wait_for("test.validated").await;
        for request in [&opened, &validated] {
            verify(&secret, request);
            assert_eq!(request.headers["content-type"], "application/json");
            assert!(request.headers["webhook-id"].starts_with("msg_"));
        }
        let body: Value = serde_json::from_str(&opened.body).unwrap();
        assert_eq!(body["data"]["test_id"], test["id"]);
        let opened_body = body.clone();
        assert_eq!(body["data"]["technique_id"], "T1059.001");
        let body: Value = serde_json::from_str(&validated.body).unwrap();
        assert_eq!(body["data"]["state"], "validated");
        let body = opened_body;
        // Not subscribed: no test.transitioned.
        assert!(
            receiver
                .received()
                .iter()
                .all(|r| !r.body.contains("test.transitioned"))
        );

        // A better retest resolves the finding: finding.resolved, in the retest's validation.
        let finding = body["data"]["finding_id"].as_str().unwrap().to_owned();
        let retest = app
            .send_ok(
                Method::POST,
                &format!("/api/v1/findings/{finding}/retest"),
                &admin,
                json!({}),
            )
            .await;
        let crew = app.crew(&admin).await;
        app.run_to_validation(
            &crew,
            retest["retest"]["id"].as_str().unwrap(),
            json!({"outcome": "detected", "detected_at": "2026-11-22T10:05:00Z"}),
        )
        .await;
        let resolved = receiver.wait_for("finding.resolved").await;
        verify(&secret, &resolved);
        let body: Value = serde_json::from_str(&resolved.body).unwrap();
        assert_eq!(body["data"]["finding_id"], finding.as_str());
        assert_eq!(body["data"]["status"], "resolved");

        // A finished import (the KEV catalog as an uploaded bundle).
        let uploaded = app
            .client
            .post(app.url("/api/v1/data-sources/kev/bundle"))
            .bearer_auth(&admin)
            .header("content-type", "application/octet-stream")
            .body(osint_fixture("kev-catalog.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(uploaded.status(), StatusCode::OK);
        let imported = receiver.wait_for("import.finished").await;
        verify(&secret, &imported);
        let body: Value = serde_json::from_str(&imported.body).unwrap();
        assert_eq!(body["data"]["source"], "kev");
        assert_eq!(body["data"]["status"], "succeeded");

        // A ready report.
        let report = app
            .send_ok(
                Method::POST,
                "/api/v1/reports",
                &admin,
                json!({"kind": "executive_summary"}),
            )
            .await;
        let ready = receiver.wait_for("report.ready").await;
        verify(&secret, &ready);
        let body: Value = serde_json::from_str(&ready.body).unwrap();
        assert_eq!(body["data"]["report_id"], report["id"]);

        // The ping, and the log: each delivery delivered at the first attempt, with the
        // receiver's status and the time it took.
        let ping = app
            .client
            .post(app.url(&format!("/api/v1/webhooks/{id}/test")))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(ping.status(), StatusCode::ACCEPTED);
        let ping: Value = ping.json().await.unwrap();
        let pinged = receiver.wait_for("webhook.ping").await;
        verify(&secret, &pinged);
        assert_eq!(
            pinged.headers["webhook-id"],
            ping["message_id"].as_str().unwrap()
        );
        let mut log = Value::Null;
        for _ in 0..100 {
            log = deliveries(&app, &admin, &id).await;
            if log["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|d| d["status"] == "delivered")
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // One delivery per event, each delivered once.
        assert_eq!(log["total"], receiver.received().len(), "{log}");
        for delivery in log["items"].as_array().unwrap() {
            assert_eq!(delivery["status"], "delivered", "{delivery}");
            assert_eq!(delivery["attempts"], 1);
            let attempt = &delivery["log"][0];
            assert_eq!(attempt["attempt"], 1);
            assert_eq!(attempt["succeeded"], true);
            assert_eq!(attempt["response_code"], 200);
            assert!(attempt["duration_ms"].is_u64());
        }

        // Changing the allow-list applies at connection time: the same webhook is now refused
        // when connecting, although it was accepted when saved.
        app.send_ok(
            Method::PUT,
            "/api/v1/webhooks/allow-list",
            &admin,
            json!({"entries": []}),
        )
        .await;
        let before = receiver.received().len();
        let ping: Value = app
            .client
            .post(app.url(&format!("/api/v1/webhooks/{id}/test")))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut refused = Value::Null;
        for _ in 0..100 {
            let log = deliveries(&app, &admin, &id).await;
            refused = log["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["id"] == ping["id"])
                .cloned()
                .unwrap_or(Value::Null);
            if refused["attempts"].as_u64().unwrap_or(0) >= 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let error = refused["log"][0]["error"].as_str().unwrap_or_default();
        assert!(error.contains("loopback"), "{refused}");
        assert_eq!(refused["log"][0]["response_code"], Value::Null);
        assert_eq!(receiver.received().len(), before);
    }
);

on_both_databases!(
    a_failing_receiver_is_retried_then_dead_with_its_log,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        let receiver = Receiver::start(500).await;
        app.send_ok(
            Method::PUT,
            "/api/v1/webhooks/allow-list",
            &admin,
            json!({"entries": ["127.0.0.0/8"]}),
        )
        .await;
        let hook = app
            .send_ok(
                Method::POST,
                "/api/v1/webhooks",
                &admin,
                json!({"name": "Flaky", "url": receiver.url, "events": ["report.ready"],
                       "preset": "slack"}),
            )
            .await;
        let id = hook["id"].as_str().unwrap().to_owned();
        let ping: Value = app
            .client
            .post(app.url(&format!("/api/v1/webhooks/{id}/test")))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut dead = Value::Null;
        for _ in 0..300 {
            let log = deliveries(&app, &admin, &id).await;
            dead = log["items"][0].clone();
            if dead["status"] == "dead" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(dead["status"], "dead", "{dead}");
        assert_eq!(dead["attempts"], 5);
        assert_eq!(dead["next_attempt_at"], Value::Null);
        let log = dead["log"].as_array().unwrap();
        assert_eq!(log.len(), 5);
        let mut previous: Option<chrono::DateTime<chrono::Utc>> = None;
        let mut gaps = Vec::new();
        for (n, attempt) in log.iter().enumerate() {
            assert_eq!(attempt["attempt"], n + 1);
            assert_eq!(attempt["succeeded"], false);
            assert_eq!(attempt["response_code"], 500);
            assert_eq!(attempt["error"], "HTTP 500 Internal Server Error");
            let at: chrono::DateTime<chrono::Utc> =
                attempt["attempted_at"].as_str().unwrap().parse().unwrap();
            if let Some(previous) = previous {
                gaps.push((at - previous).num_milliseconds());
            }
            previous = Some(at);
        }
        // Back-off doubles from 100 ms: each wait at least its share.
        for (gap, least) in gaps.iter().zip([100, 200, 400, 800]) {
            assert!(*gap >= least, "gaps {gaps:?}");
        }
        assert_eq!(receiver.received().len(), 5);
        // The Slack preset's body, signed like any other.
        let slack: Value = serde_json::from_str(&receiver.received()[0].body).unwrap();
        assert!(
            slack["text"].as_str().unwrap().contains("webhook.ping"),
            "{slack}"
        );
        assert_eq!(
            receiver.received()[0].headers["webhook-id"],
            ping["message_id"].as_str().unwrap()
        );

        // Redelivered once the receiver is fixed: a new delivery, the same webhook-id.
        receiver.status.store(204, Ordering::SeqCst);
        let delivery_id = dead["id"].as_str().unwrap();
        let response = app
            .client
            .post(app.url(&format!(
                "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver"
            )))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let copy: Value = response.json().await.unwrap();
        assert_eq!(copy["message_id"], dead["message_id"]);
        assert_ne!(copy["id"], dead["id"]);
        let mut delivered = Value::Null;
        for _ in 0..100 {
            let log = deliveries(&app, &admin, &id).await;
            delivered = log["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["id"] == copy["id"])
                .cloned()
                .unwrap_or(Value::Null);
            if delivered["status"] == "delivered" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(delivered["status"], "delivered", "{delivered}");
        assert_eq!(delivered["log"][0]["response_code"], 204);
        let response = app
            .client
            .post(app.url(&format!(
                "/api/v1/webhooks/{id}/deliveries/{}/redeliver",
                uuid::Uuid::new_v4()
            )))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            problem(response).await["code"],
            "WEBHOOK_DELIVERY_NOT_FOUND"
        );

        // Deleting the webhook takes its log with it.
        let response = app
            .client
            .delete(app.url(&format!("/api/v1/webhooks/{id}")))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let response = app
            .get(&format!("/api/v1/webhooks/{id}/deliveries"), &admin)
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
);

on_both_databases!(
    an_alert_of_a_rule_with_the_webhook_channel_is_delivered_as_alert_fired,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let receiver = Receiver::start(200).await;
        app.send_ok(
            Method::PUT,
            "/api/v1/webhooks/allow-list",
            &admin,
            json!({"entries": ["127.0.0.1"]}),
        )
        .await;
        let hook: Value = create(
            &app,
            &admin,
            json!({"name": "Pager", "url": receiver.url, "events": ["alert.fired"]}),
        )
        .await
        .json()
        .await
        .unwrap();
        let secret = hook["secret"].as_str().unwrap().to_owned();

        // The detection_gap rule tells webhooks too.
        let rules: Value = app
            .get("/api/v1/alerts/rules", &admin)
            .await
            .json()
            .await
            .unwrap();
        let gap = rules["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule_type"] == "detection_gap")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        app.send_ok(
            Method::PATCH,
            &format!("/api/v1/alerts/rules/{gap}"),
            &admin,
            json!({"channels": ["in_app", "webhook"]}),
        )
        .await;

        app.validated_test(&admin, "T1059.001", json!({"outcome": "not_detected"}))
            .await;
        let evaluated = app
            .client
            .post(app.url("/api/v1/alerts/evaluate"))
            .bearer_auth(&admin)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(evaluated.status(), StatusCode::ACCEPTED);

        let fired = receiver.wait_for("alert.fired").await;
        verify(&secret, &fired);
        let body: Value = serde_json::from_str(&fired.body).unwrap();
        assert_eq!(body["data"]["rule_type"], "detection_gap", "{body}");
        assert_eq!(
            receiver
                .received()
                .iter()
                .filter(|r| r.body.contains("\"alert.fired\""))
                .count(),
            1,
            "one alert, one delivery"
        );
    }
);

on_both_databases!(
    a_scanner_import_tells_webhooks_of_the_findings_it_opens_and_resolves,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        let receiver = Receiver::start(200).await;
        app.send_ok(
            Method::PUT,
            "/api/v1/webhooks/allow-list",
            &admin,
            json!({"entries": ["127.0.0.1"]}),
        )
        .await;
        create(
            &app,
            &admin,
            json!({
                "name": "Tracker",
                "url": receiver.url,
                "events": ["finding.opened", "finding.resolved"],
            }),
        )
        .await;
        let trivy = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sarif/trivy.sarif"),
        )
        .unwrap();
        let import = |body: Vec<u8>| {
            app.client
                .post(app.url("/api/v1/findings/import/sarif"))
                .bearer_auth(&admin)
                .header("content-type", "application/sarif+json")
                .body(body)
                .send()
        };
        assert_eq!(
            import(trivy.clone()).await.unwrap().status(),
            StatusCode::OK
        );
        receiver.wait_for("finding.opened").await;
        let opened = |received: &[Received]| {
            received
                .iter()
                .filter_map(|r| serde_json::from_str::<Value>(&r.body).ok())
                .filter(|b| b["type"] == "finding.opened")
                .map(|b| b["data"].clone())
                .collect::<Vec<_>>()
        };
        // Deliveries of one commit may arrive a moment apart.
        for _ in 0..100 {
            if opened(&receiver.received()).len() == 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let first = opened(&receiver.received());
        assert_eq!(first.len(), 3, "{first:?}");
        assert!(
            first.iter().all(|d| d["kind"] == "vulnerability"),
            "{first:?}"
        );
        assert!(first.iter().all(|d| d["test_id"].is_null()), "{first:?}");

        // The same file again opens nothing; a scan that drops two results resolves them.
        assert_eq!(
            import(trivy.clone()).await.unwrap().status(),
            StatusCode::OK
        );
        let mut later: Value = serde_json::from_slice(&trivy).unwrap();
        later["runs"][0]["results"]
            .as_array_mut()
            .unwrap()
            .truncate(1);
        let response = import(serde_json::to_vec(&later).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        receiver.wait_for("finding.resolved").await;
        for _ in 0..100 {
            let resolved = receiver
                .received()
                .iter()
                .filter(|r| r.body.contains("\"finding.resolved\""))
                .count();
            if resolved == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let received = receiver.received();
        assert_eq!(
            received
                .iter()
                .filter(|r| r.body.contains("\"finding.resolved\""))
                .count(),
            2
        );
        assert_eq!(
            opened(&received).len(),
            3,
            "re-importing opened nothing new"
        );
    }
);

on_both_databases!(
    a_finished_scan_is_delivered_as_scan_finished,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let receiver = Receiver::start(200).await;
        app.send_ok(
            Method::PUT,
            "/api/v1/webhooks/allow-list",
            &admin,
            json!({"entries": ["127.0.0.1"]}),
        )
        .await;
        create(
            &app,
            &admin,
            json!({"name": "CI", "url": receiver.url, "events": ["scan.finished"]}),
        )
        .await;
        let rule = "title: Encoded PowerShell\nid: 0b9f5a3c-1d2e-4f60-8a7b-9c0d1e2f3a4b\nstatus: test\n\
                    tags:\n    - attack.t1059.001\nlogsource:\n    category: process_creation\n    \
                    product: windows\ndetection:\n    selection:\n        CommandLine|contains: ' -enc '\n    \
                    condition: selection\nlevel: medium\n";
        let path = "rules/windows/proc_creation_win_enc.yml";
        let mut diff = format!(
            "diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{} @@\n",
            rule.lines().count()
        );
        for line in rule.lines() {
            diff.push('+');
            diff.push_str(line);
            diff.push('\n');
        }
        let response = app
            .client
            .post(app.url("/api/v1/scans?repository=detections&commit=abc123"))
            .bearer_auth(&admin)
            .header("Content-Type", "text/x-diff")
            .body(diff)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let scan: Value = response.json().await.unwrap();

        let finished = receiver.wait_for("scan.finished").await;
        let body: Value = serde_json::from_str(&finished.body).unwrap();
        let data = &body["data"];
        assert_eq!(data["scan_id"], scan["id"], "{body}");
        assert_eq!(data["repository"], "detections");
        assert_eq!(data["commit"], "abc123");
        assert_eq!(data["status"], "completed");
        assert_eq!(data["decision"], "pass", "{body}");
        assert_eq!(data["blocking_findings"], 0);
        assert_eq!(
            receiver
                .received()
                .iter()
                .filter(|r| r.body.contains("\"scan.finished\""))
                .count(),
            1,
            "one scan, one delivery"
        );
    }
);
