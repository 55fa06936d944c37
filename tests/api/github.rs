//! The GitHub integration over HTTP. GitHub is not reachable here: a local server on
//! 127.0.0.1 (allowed through the tenant's allow-list) answers the REST API with its
//! documented shapes (the pull request as `application/vnd.github.diff`, `{id, ...}` for a
//! created or updated check run, `{message, documentation_url}` for an error) and records
//! what it received. The deliveries are written in GitHub's format and signed with `ring`,
//! an implementation independent of the server's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::helpers::*;
use crate::scans::{clean_diff, hostile_diff};

const SECRET: &str = "a-webhook-secret-of-some-length";
const TOKEN: &str = "ghp_walkthroughTokenNeverEchoed000000000";
const REPOSITORY: &str = "acme/detections";
const HOSTILE_FILE: &str = "rules/windows/process_creation/proc_creation_win_cradle.yml";

/// One request as the fake GitHub saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub headers: HashMap<String, String>,
    pub body: Value,
    /// What it answered.
    pub answer: Value,
}

/// A GitHub REST API stand-in on 127.0.0.1.
#[derive(Clone)]
pub struct FakeGithub {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// The diff of each pull request, by number.
    diffs: Arc<Mutex<HashMap<u64, String>>>,
    /// While set, the pull request endpoint answers 503.
    down: Arc<Mutex<bool>>,
    /// The last check run id given out.
    ids: Arc<std::sync::atomic::AtomicI64>,
}

impl FakeGithub {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = Self {
            url: format!("http://{}", listener.local_addr().unwrap()),
            seen: Arc::default(),
            diffs: Arc::default(),
            down: Arc::default(),
            ids: Arc::new(std::sync::atomic::AtomicI64::new(4_000)),
        };
        let server = fake.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let server = server.clone();
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
                    let mut request_line = head.lines().next().unwrap_or("").split(' ');
                    let method = request_line.next().unwrap_or("").to_owned();
                    let target = request_line.next().unwrap_or("").to_owned();
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
                    let body = serde_json::from_slice(&data[head_end..head_end + length])
                        .unwrap_or(Value::Null);
                    let (status, content_type, answer) = server.answer(&method, &target, &body);
                    server.seen.lock().unwrap().push(Seen {
                        method,
                        target,
                        headers,
                        body,
                        answer: serde_json::from_str(&answer).unwrap_or(Value::Null),
                    });
                    let response = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n{answer}",
                        answer.len()
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                });
            }
        });
        fake
    }

    fn answer(&self, method: &str, target: &str, body: &Value) -> (u16, &'static str, String) {
        let json = "application/json; charset=utf-8";
        let parts: Vec<&str> = target.trim_start_matches('/').split('/').collect();
        match (method, parts.as_slice()) {
            ("GET", ["repos", _, _, "pulls", number]) => {
                if *self.down.lock().unwrap() {
                    return (
                        503,
                        json,
                        json!({"message": "Service Unavailable",
                               "documentation_url": "https://docs.github.com/rest"})
                        .to_string(),
                    );
                }
                let number: u64 = number.parse().unwrap_or(0);
                match self.diffs.lock().unwrap().get(&number) {
                    Some(diff) => (200, "application/vnd.github.diff; charset=utf-8", diff.clone()),
                    None => (
                        404,
                        json,
                        json!({"message": "Not Found",
                               "documentation_url": "https://docs.github.com/rest/pulls/pulls#get-a-pull-request"})
                        .to_string(),
                    ),
                }
            }
            ("POST", ["repos", owner, repo, "check-runs"]) => {
                let id = self.ids.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                (
                    201,
                    json,
                    json!({"id": id, "head_sha": body["head_sha"], "external_id": body["external_id"],
                           "status": "queued", "conclusion": null, "name": body["name"],
                           "url": format!("{}/repos/{owner}/{repo}/check-runs/{id}", self.url)})
                    .to_string(),
                )
            }
            ("PATCH", ["repos", _, _, "check-runs", id]) => {
                let id: i64 = id.parse().unwrap_or(0);
                (
                    200,
                    json,
                    json!({"id": id, "status": body.get("status").cloned().unwrap_or(json!("in_progress")),
                           "conclusion": body.get("conclusion").cloned().unwrap_or(Value::Null)})
                    .to_string(),
                )
            }
            _ => (
                404,
                json,
                json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
                    .to_string(),
            ),
        }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn set_diff(&self, number: u64, diff: String) {
        self.diffs.lock().unwrap().insert(number, diff);
    }

    fn set_down(&self, down: bool) {
        *self.down.lock().unwrap() = down;
    }

    /// The check-run requests for the check run created for `scan`, in order.
    fn check_run_calls(&self, scan: &str) -> Vec<Seen> {
        let seen = self.seen();
        let Some(created) = seen
            .iter()
            .position(|s| s.method == "POST" && s.body["external_id"] == scan)
        else {
            return Vec::new();
        };
        let suffix = format!("/check-runs/{}", seen[created].answer["id"]);
        std::iter::once(seen[created].clone())
            .chain(
                seen.iter()
                    .filter(|s| s.method == "PATCH" && s.target.ends_with(&suffix))
                    .cloned(),
            )
            .collect()
    }

    /// Waits until the check run of `scan` was completed, and returns its requests.
    async fn completed(&self, scan: &str) -> Vec<Seen> {
        for _ in 0..900 {
            let calls = self.check_run_calls(scan);
            if calls.iter().any(|c| c.body["status"] == "completed") {
                return calls;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the check run of scan {scan} was not completed: {:#?}",
            self.check_run_calls(scan)
        );
    }
}

/// Allows 127.0.0.1 and configures the integration at the fake.
async fn configure(app: &TestApp, admin: &str, github: &FakeGithub) -> Value {
    app.send_ok(
        Method::PUT,
        "/api/v1/webhooks/allow-list",
        admin,
        json!({"entries": ["127.0.0.1"]}),
    )
    .await;
    app.send_ok(
        Method::PUT,
        "/api/v1/integrations/github",
        admin,
        json!({"api_url": format!("{}/", github.url), "token": TOKEN,
               "webhook_secret": SECRET, "repositories": ["Acme/Detections"],
               "check_name": "Aegis scan"}),
    )
    .await
}

/// `sha256=` and the hex HMAC-SHA256 of `body`, as GitHub signs a delivery.
fn sign(secret: &str, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    format!(
        "sha256={}",
        hex::encode(ring::hmac::sign(&key, body).as_ref())
    )
}

/// A `pull_request` event as GitHub sends it (the fields Aegis reads, and some it does not).
fn pull_request_event(action: &str, number: u64, head: &str) -> Value {
    json!({
        "action": action,
        "number": number,
        "pull_request": {
            "url": format!("https://api.github.com/repos/{REPOSITORY}/pulls/{number}"),
            "id": 1_934_567_000 + number,
            "number": number,
            "state": "open",
            "title": "Detect download cradles",
            "user": {"login": "octocat", "id": 1},
            "head": {"label": "acme:cradle", "ref": "cradle", "sha": head,
                     "repo": {"full_name": REPOSITORY}},
            "base": {"label": "acme:main", "ref": "main",
                     "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e",
                     "repo": {"full_name": REPOSITORY}},
            "draft": false
        },
        "repository": {"id": 1_296_269, "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
                       "name": "detections", "full_name": "Acme/detections",
                       "owner": {"login": "acme", "id": 2}, "private": true},
        "sender": {"login": "octocat", "id": 1}
    })
}

/// Posts `payload` as GitHub would: its event, its delivery GUID, signed with `secret`.
async fn deliver(
    app: &TestApp,
    event: &str,
    delivery: &str,
    payload: &Value,
    secret: Option<&str>,
) -> reqwest::Response {
    let body = serde_json::to_vec(payload).unwrap();
    let mut request = app
        .client
        .post(app.url("/api/v1/integrations/github/webhook"))
        .header("content-type", "application/json")
        .header("user-agent", "GitHub-Hookshot/7b3b1d2")
        .header("x-github-event", event)
        .header("x-github-delivery", delivery)
        .header("x-github-hook-id", "292430182")
        .header("x-github-hook-installation-target-type", "repository");
    if let Some(secret) = secret {
        request = request.header("x-hub-signature-256", sign(secret, &body));
    }
    request.body(body).send().await.unwrap()
}

async fn scan_total(app: &TestApp, admin: &str) -> u64 {
    let listed: Value = app.get("/api/v1/scans", admin).await.json().await.unwrap();
    listed["total"].as_u64().unwrap()
}

on_both_databases!(
    a_pull_request_is_scanned_once_and_reported_as_a_check_run,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let github = FakeGithub::start().await;
        configure(&app, &admin, &github).await;
        github.set_diff(7, hostile_diff());
        let head = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c";
        let delivery = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
        let event = pull_request_event("opened", 7, head);

        let response = deliver(&app, "pull_request", delivery, &event, Some(SECRET)).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["status"], "queued");
        let scan_id = answer["scan_id"].as_str().unwrap().to_owned();

        // The diff was fetched as GitHub documents it.
        let fetch = github
            .seen()
            .into_iter()
            .find(|s| s.method == "GET")
            .unwrap();
        assert_eq!(fetch.target, "/repos/acme/detections/pulls/7");
        assert_eq!(fetch.headers["accept"], "application/vnd.github.diff");
        assert_eq!(fetch.headers["authorization"], format!("Bearer {TOKEN}"));
        assert_eq!(fetch.headers["x-github-api-version"], "2022-11-28");
        assert!(fetch.headers["user-agent"].starts_with("Aegis-GitHub/"));

        let scan = crate::scans::finished(&app, &admin, &scan_id).await;
        assert_eq!(scan["status"], "completed", "{scan}");
        assert_eq!(scan["decision"], "fail", "{scan}");
        assert_eq!(scan["repository"], REPOSITORY);
        assert_eq!(scan["commit"], head);
        assert_eq!(scan["pull_request"], "7");

        // Queued, in progress, completed: in that order, on the pull request's head.
        let calls = github.completed(&scan_id).await;
        let created = &calls[0];
        assert_eq!(created.target, "/repos/acme/detections/check-runs");
        assert_eq!(created.body["name"], "Aegis scan");
        assert_eq!(created.body["head_sha"], head);
        assert_eq!(created.body["status"], "queued");
        assert_eq!(created.body["external_id"], scan_id.as_str());
        assert!(
            created.body["details_url"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/scans/{scan_id}")),
            "{}",
            created.body
        );
        assert_eq!(created.headers["authorization"], format!("Bearer {TOKEN}"));
        let statuses: Vec<&str> = calls[1..]
            .iter()
            .filter_map(|c| c.body["status"].as_str())
            .collect();
        assert_eq!(statuses, ["in_progress", "completed"], "{calls:#?}");
        let completed = calls.last().unwrap();
        assert_eq!(completed.body["conclusion"], "failure");
        let output = &completed.body["output"];
        assert!(
            output["title"]
                .as_str()
                .unwrap()
                .starts_with("Fail: 3 blocking"),
            "{output}"
        );
        let summary = output["summary"].as_str().unwrap();
        assert!(summary.contains("**Decision: fail**"), "{summary}");
        assert!(summary.contains("| critical | 1 |"), "{summary}");
        assert!(summary.contains("| high | 2 |"), "{summary}");
        let annotations = output["annotations"].as_array().unwrap();
        assert_eq!(annotations.len(), 3, "{output}");
        let bidi = annotations
            .iter()
            .find(|a| a["title"] == "bidi-control")
            .unwrap();
        assert_eq!(bidi["path"], HOSTILE_FILE);
        assert_eq!(bidi["start_line"], 1);
        assert_eq!(bidi["end_line"], 1);
        assert_eq!(bidi["annotation_level"], "failure");
        let revoked = annotations
            .iter()
            .find(|a| a["title"] == "attack-tag-revoked")
            .unwrap();
        assert_eq!(revoked["start_line"], 9);
        assert!(
            revoked["message"]
                .as_str()
                .unwrap()
                .contains("tag T1059.001 instead of T1086")
        );
        assert!(
            !completed.body.to_string().contains("AKIAIOSFODNN7EXAMPLE"),
            "a secret is never repeated"
        );

        // The same delivery again (a replay, or GitHub's redelivery): acknowledged, not scanned.
        let total = scan_total(&app, &admin).await;
        let fetches = github.seen().iter().filter(|s| s.method == "GET").count();
        let replay = deliver(&app, "pull_request", delivery, &event, Some(SECRET)).await;
        assert_eq!(replay.status(), StatusCode::OK);
        let replay: Value = replay.json().await.unwrap();
        assert_eq!(replay, json!({"status": "duplicate", "scan_id": null}));
        assert_eq!(scan_total(&app, &admin).await, total);
        assert_eq!(
            github.seen().iter().filter(|s| s.method == "GET").count(),
            fetches,
            "a duplicate fetches nothing"
        );

        // A new push to the pull request is a new delivery: a clean diff succeeds.
        github.set_diff(7, clean_diff());
        let pushed = "9a8b7c6d5e4f30211223344556677889900aabbc";
        let response = deliver(
            &app,
            "pull_request",
            "9f3b6b1e-cc79-11e3-8a3a-4c9367dc0958",
            &pull_request_event("synchronize", 7, pushed),
            Some(SECRET),
        )
        .await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let second: Value = response.json().await.unwrap();
        let second_id = second["scan_id"].as_str().unwrap().to_owned();
        let calls = github.completed(&second_id).await;
        assert_eq!(calls[0].body["head_sha"], pushed);
        let completed = calls.last().unwrap();
        assert_eq!(
            completed.body["conclusion"], "success",
            "{:#?}",
            completed.body
        );
        assert!(
            completed.body["output"]["title"]
                .as_str()
                .unwrap()
                .starts_with("Pass"),
            "{}",
            completed.body
        );

        // The deliveries the admin page lists, newest first, with their scans.
        let deliveries: Value = app
            .get("/api/v1/integrations/github/deliveries", &admin)
            .await
            .json()
            .await
            .unwrap();
        let items = deliveries["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{deliveries}");
        let first = items.iter().find(|d| d["delivery_id"] == delivery).unwrap();
        assert_eq!(first["event"], "pull_request");
        assert_eq!(first["action"], "opened");
        assert_eq!(first["repository"], REPOSITORY);
        assert_eq!(first["pull_request"], 7);
        assert_eq!(first["result"], "scanned");
        assert_eq!(first["scan_id"], scan_id.as_str());

        // The scan was submitted by the integration's service account, and audited.
        let config: Value = app
            .get("/api/v1/integrations/github", &admin)
            .await
            .json()
            .await
            .unwrap();
        let audit: Value = app
            .get("/api/v1/audit-logs?action=scan.submitted", &admin)
            .await
            .json()
            .await
            .unwrap();
        let entry = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["entity_id"] == scan_id.as_str())
            .unwrap_or_else(|| panic!("no scan.submitted entry: {audit}"));
        assert_eq!(entry["actor_id"], config["service_user"], "{entry}");
    }
);

on_both_databases!(
    signatures_pings_and_events_that_are_not_scanned,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        let github = FakeGithub::start().await;
        configure(&app, &admin, &github).await;
        github.set_diff(8, clean_diff());
        let event = pull_request_event("opened", 8, "1111111111111111111111111111111111111111");

        // No signature, or one made with another secret: 401, and nothing is recorded.
        for secret in [None, Some("not-the-configured-secret")] {
            let refused = deliver(&app, "pull_request", "d-unsigned", &event, secret).await;
            assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
            assert_eq!(
                refused.headers()["content-type"],
                "application/problem+json"
            );
            let problem: Value = refused.json().await.unwrap();
            assert_eq!(problem["code"], "GITHUB_SIGNATURE_INVALID", "{problem}");
        }
        // A signature over other bytes than those sent.
        let body = serde_json::to_vec(&event).unwrap();
        let tampered = app
            .client
            .post(app.url("/api/v1/integrations/github/webhook"))
            .header("content-type", "application/json")
            .header("x-github-event", "pull_request")
            .header("x-github-delivery", "d-tampered")
            .header("x-hub-signature-256", sign(SECRET, &body))
            .body(
                String::from_utf8(body)
                    .unwrap()
                    .replace("\"opened\"", "\"reopened\""),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(tampered.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(scan_total(&app, &admin).await, 0);
        assert!(github.seen().is_empty(), "nothing was fetched");

        // A repository no integration serves.
        let mut other = event.clone();
        other["repository"]["full_name"] = json!("acme/other");
        let unknown = deliver(&app, "pull_request", "d-other", &other, Some(SECRET)).await;
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
        let problem: Value = unknown.json().await.unwrap();
        assert_eq!(problem["code"], "GITHUB_REPOSITORY_UNKNOWN");

        // GitHub's ping when the hook is created.
        let ping = json!({"zen": "Design for failure.", "hook_id": 292_430_182,
            "hook": {"type": "Repository", "id": 292_430_182, "events": ["pull_request"],
                     "config": {"content_type": "json", "insecure_ssl": "0"}},
            "repository": {"id": 1_296_269, "full_name": REPOSITORY},
            "sender": {"login": "octocat"}});
        let pong = deliver(&app, "ping", "d-ping", &ping, Some(SECRET)).await;
        assert_eq!(pong.status(), StatusCode::OK);
        let pong: Value = pong.json().await.unwrap();
        assert_eq!(pong["status"], "pong");

        // A closed pull request and another event are acknowledged and not scanned.
        let closed = deliver(
            &app,
            "pull_request",
            "d-closed",
            &pull_request_event("closed", 8, "1111111111111111111111111111111111111111"),
            Some(SECRET),
        )
        .await;
        assert_eq!(closed.status(), StatusCode::OK);
        assert_eq!(closed.json::<Value>().await.unwrap()["status"], "ignored");
        let push = json!({"ref": "refs/heads/main", "repository": {"full_name": REPOSITORY}});
        let pushed = deliver(&app, "push", "d-push", &push, Some(SECRET)).await;
        assert_eq!(pushed.json::<Value>().await.unwrap()["status"], "ignored");
        assert_eq!(scan_total(&app, &admin).await, 0);

        // A delivery without its id is refused, naming the header.
        let body = serde_json::to_vec(&event).unwrap();
        let anonymous = app
            .client
            .post(app.url("/api/v1/integrations/github/webhook"))
            .header("content-type", "application/json")
            .header("x-github-event", "pull_request")
            .header("x-hub-signature-256", sign(SECRET, &body))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem: Value = anonymous.json().await.unwrap();
        assert_eq!(
            problem["errors"][0]["field"], "X-GitHub-Delivery",
            "{problem}"
        );

        let deliveries: Value = app
            .get("/api/v1/integrations/github/deliveries", &admin)
            .await
            .json()
            .await
            .unwrap();
        let mut results: Vec<(String, String)> = deliveries["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["delivery_id"].as_str().unwrap().to_owned(),
                    d["result"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        results.sort();
        assert_eq!(
            results,
            [
                ("d-closed".to_owned(), "ignored".to_owned()),
                ("d-ping".to_owned(), "ignored".to_owned()),
                ("d-push".to_owned(), "ignored".to_owned()),
            ]
        );
    }
);

on_both_databases!(
    a_delivery_whose_diff_could_not_be_fetched_is_tried_again_when_redelivered,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        let github = FakeGithub::start().await;
        configure(&app, &admin, &github).await;
        github.set_diff(9, clean_diff());
        github.set_down(true);
        let event = pull_request_event("reopened", 9, "2222222222222222222222222222222222222222");
        let delivery = "c0ffee00-cc7a-11e3-9c1a-4c9367dc0958";

        let failed = deliver(&app, "pull_request", delivery, &event, Some(SECRET)).await;
        assert_eq!(failed.status(), StatusCode::BAD_GATEWAY);
        let problem: Value = failed.json().await.unwrap();
        assert_eq!(problem["code"], "GITHUB_REJECTED", "{problem}");
        assert_eq!(scan_total(&app, &admin).await, 0);
        let deliveries: Value = app
            .get("/api/v1/integrations/github/deliveries", &admin)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(deliveries["items"][0]["result"], "failed");
        assert!(
            deliveries["items"][0]["error"]
                .as_str()
                .unwrap()
                .contains("503"),
            "{deliveries}"
        );

        // GitHub's redelivery carries the same delivery id: now it is scanned, once.
        github.set_down(false);
        let redelivered = deliver(&app, "pull_request", delivery, &event, Some(SECRET)).await;
        assert_eq!(redelivered.status(), StatusCode::ACCEPTED);
        assert_eq!(scan_total(&app, &admin).await, 1);
        let again = deliver(&app, "pull_request", delivery, &event, Some(SECRET)).await;
        assert_eq!(again.json::<Value>().await.unwrap()["status"], "duplicate");
        assert_eq!(scan_total(&app, &admin).await, 1);
    }
);

on_both_databases!(
    the_integration_is_for_admins_and_never_shows_its_token_or_secret,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        let github = FakeGithub::start().await;
        let (_, lead) = app.user_with_role(&admin, "blue_lead").await;
        let refused = app
            .client
            .put(app.url("/api/v1/integrations/github"))
            .bearer_auth(&lead)
            .json(&json!({"token": "x", "webhook_secret": SECRET, "repositories": [REPOSITORY]}))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let read = app.get("/api/v1/integrations/github", &lead).await;
        assert_eq!(read.status(), StatusCode::FORBIDDEN);

        let unset: Value = app
            .get("/api/v1/integrations/github", &admin)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(unset["configured"], false);

        // Loopback is refused until the allow-list names it; bad names are named.
        let invalid = app
            .client
            .put(app.url("/api/v1/integrations/github"))
            .bearer_auth(&admin)
            .json(
                &json!({"api_url": github.url, "repositories": ["acme", REPOSITORY],
                          "webhook_secret": "short"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem: Value = invalid.json().await.unwrap();
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            ["api_url", "repositories[0]", "token", "webhook_secret"],
            "{problem}"
        );

        let saved = configure(&app, &admin, &github).await;
        let read: Value = app
            .get("/api/v1/integrations/github", &admin)
            .await
            .json()
            .await
            .unwrap();
        for shown in [&saved, &read] {
            let text = shown.to_string();
            assert!(!text.contains(TOKEN) && !text.contains(SECRET), "{shown}");
            assert_eq!(shown["token_set"], true);
            assert_eq!(shown["webhook_secret_set"], true);
            assert_eq!(shown["repositories"], json!([REPOSITORY]));
            assert_eq!(shown["api_url"], github.url.as_str());
            assert_eq!(shown["active"], true);
            assert_eq!(shown["webhook_path"], "/api/v1/integrations/github/webhook");
        }
        // Saving again without the token and the secret keeps them.
        let kept = app
            .send_ok(
                Method::PUT,
                "/api/v1/integrations/github",
                &admin,
                json!({"api_url": github.url, "repositories": [REPOSITORY, "acme/sigma"]}),
            )
            .await;
        assert_eq!(kept["token_set"], true);
        assert_eq!(kept["service_user"], saved["service_user"]);
        let audit: Value = app
            .get("/api/v1/audit-logs?action=github.configured", &admin)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(audit["total"], 2, "{audit}");
        assert!(!audit.to_string().contains(SECRET));

        // Removed, its webhook no longer finds the repository.
        let removed = app
            .client
            .delete(app.url("/api/v1/integrations/github"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(removed.status(), StatusCode::NO_CONTENT);
        let event = pull_request_event("opened", 1, "3333333333333333333333333333333333333333");
        let gone = deliver(&app, "pull_request", "d-after", &event, Some(SECRET)).await;
        assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    }
);
