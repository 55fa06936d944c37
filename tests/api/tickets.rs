//! Tickets over HTTP. No Jira is reachable here: a local server on 127.0.0.1 (allowed through
//! the tenant's allow-list) answers the Jira REST v3 and Tempo REST v4 requests with their
//! documented shapes (`{id, key, self}` for a created issue, `fields.status{name,
//! statusCategory{key,name}}` for an issue, `{tempoWorklogId}` for a worklog, and
//! `{errorMessages, errors}` for a refusal), and the tests assert what it received: Basic
//! authentication with `email:token`, the ADF description, the labels, Tempo's Bearer token.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::helpers::*;

/// One request as the fake Jira saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub headers: std::collections::HashMap<String, String>,
    pub body: Value,
}

/// A Jira Cloud and Tempo stand-in on 127.0.0.1.
#[derive(Clone)]
pub struct FakeJira {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// The status every issue reports: name and category key.
    status: Arc<Mutex<(String, String)>>,
    /// When set, creating an issue answers 400 with Jira's error shape.
    refuse: Arc<Mutex<bool>>,
}

impl FakeJira {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let fake = Self {
            url: url.clone(),
            seen: Arc::default(),
            status: Arc::new(Mutex::new(("To Do".to_owned(), "new".to_owned()))),
            refuse: Arc::default(),
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
                    let headers: std::collections::HashMap<String, String> = head
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
                    let (status, answer) = server.answer(&method, &target);
                    server.seen.lock().unwrap().push(Seen {
                        method,
                        target,
                        headers,
                        body,
                    });
                    let answer = answer.to_string();
                    let response = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n{answer}",
                        answer.len()
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                });
            }
        });
        fake
    }

    fn answer(&self, method: &str, target: &str) -> (u16, Value) {
        let count = self.seen.lock().unwrap().len() + 1;
        let path = target.split('?').next().unwrap_or(target);
        match (method, path) {
            ("POST", "/rest/api/3/issue") if *self.refuse.lock().unwrap() => (
                400,
                json!({"errorMessages": [],
                       "errors": {"issuetype": "Specify a valid issue type"}}),
            ),
            ("POST", "/rest/api/3/issue") => {
                let id = 10_000 + count;
                (
                    201,
                    json!({"id": id.to_string(), "key": format!("SEC-{count}"),
                           "self": format!("{}/rest/api/3/issue/{id}", self.url)}),
                )
            }
            ("GET", issue) if issue.starts_with("/rest/api/3/issue/") => {
                let key = issue.trim_start_matches("/rest/api/3/issue/");
                let (name, category) = self.status.lock().unwrap().clone();
                let number: u64 = key.trim_start_matches("SEC-").parse().unwrap_or(1);
                (
                    200,
                    json!({"id": (10_000 + number).to_string(), "key": key,
                           "fields": {"status": {"name": name,
                               "statusCategory": {"key": category, "name": name}}}}),
                )
            }
            ("POST", "/4/worklogs") => (200, json!({"tempoWorklogId": 500 + count})),
            _ => (
                404,
                json!({"errorMessages": ["Issue does not exist or you do not have permission to see it."],
                       "errors": {}}),
            ),
        }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn set_status(&self, name: &str, category: &str) {
        *self.status.lock().unwrap() = (name.to_owned(), category.to_owned());
    }
}

/// Allows 127.0.0.1 and configures Jira (and Tempo) at the fake.
pub async fn configure(app: &TestApp, admin: &str, jira: &FakeJira) -> Value {
    app.send_ok(
        Method::PUT,
        "/api/v1/webhooks/allow-list",
        admin,
        json!({"entries": ["127.0.0.1"]}),
    )
    .await;
    app.send_ok(
        Method::PUT,
        "/api/v1/tickets/jira/config",
        admin,
        json!({"base_url": format!("{}/", jira.url), "email": "bot@example.com",
               "api_token": "jira-secret-token", "project_key": "SEC", "issue_type": "Bug",
               "labels": ["aegis", "purple-team"], "aegis_url": "https://aegis.example",
               "tempo_token": "tempo-secret-token", "tempo_url": jira.url,
               "tempo_account_id": "5b10ac8d82e05b22cc7d4ef5"}),
    )
    .await
}

async fn first_finding(app: &TestApp, admin: &str) -> Value {
    let findings: Value = app
        .get("/api/v1/findings", admin)
        .await
        .json()
        .await
        .unwrap();
    findings["items"][0].clone()
}

async fn run_sync(app: &TestApp, admin: &str) -> Value {
    let run = app
        .send_ok(
            Method::POST,
            "/api/v1/system/jobs/ticket_sync/run",
            admin,
            json!({}),
        )
        .await;
    app.wait_for_job(run["id"].as_str().unwrap(), admin).await
}

on_both_databases!(
    a_finding_becomes_a_jira_issue_whose_status_and_worklogs_come_back,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let jira = FakeJira::start().await;
        let config = configure(&app, &admin, &jira).await;
        // Tokens are never echoed, only whether they are set.
        let text = config.to_string();
        assert!(!text.contains("secret-token"), "{config}");
        assert_eq!(config["api_token_set"], true);
        assert_eq!(config["tempo_enabled"], true);
        assert_eq!(config["base_url"], jira.url.as_str());
        let read: Value = app
            .get("/api/v1/tickets/jira/config", &admin)
            .await
            .json()
            .await
            .unwrap();
        assert!(!read.to_string().contains("secret-token"), "{read}");
        assert_eq!(read["labels"], json!(["aegis", "purple-team"]));

        let test = app
            .validated_test(&admin, "T1059.001", json!({"outcome": "not_detected"}))
            .await;
        let finding = first_finding(&app, &admin).await;
        let id = finding["id"].as_str().unwrap();
        let response = app
            .client
            .post(app.url(&format!("/api/v1/findings/{id}/ticket")))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let ticket: Value = response.json().await.unwrap();
        assert_eq!(ticket["system"], "jira");
        assert_eq!(ticket["key"], "SEC-1");
        assert_eq!(ticket["url"], format!("{}/browse/SEC-1", jira.url));
        assert_eq!(ticket["external_id"], "10001");
        assert_eq!(ticket["subject_kind"], "finding");
        assert_eq!(ticket["status_category"], "unknown");

        // What Jira received: Basic email:token, the project, type, labels and an ADF body.
        let created = jira.seen()[0].clone();
        assert_eq!(
            (created.method.as_str(), created.target.as_str()),
            ("POST", "/rest/api/3/issue")
        );
        let expected = format!(
            "Basic {}",
            STANDARD.encode("bot@example.com:jira-secret-token")
        );
        assert_eq!(created.headers["authorization"], expected);
        let fields = &created.body["fields"];
        assert_eq!(fields["project"]["key"], "SEC");
        assert_eq!(fields["issuetype"]["name"], "Bug");
        assert_eq!(fields["labels"], json!(["aegis", "purple-team"]));
        assert!(fields["summary"].as_str().unwrap().contains("T1059.001"));
        let description = &fields["description"];
        assert_eq!(description["type"], "doc");
        assert_eq!(description["version"], 1);
        let adf = description.to_string();
        assert!(adf.contains("not detected"), "{adf}");
        let finding_link = format!("https://aegis.example/findings/{id}");
        assert!(adf.contains(&finding_link), "{adf}");
        let test_link = format!(
            "https://aegis.example/tests/{}",
            test["id"].as_str().unwrap()
        );
        assert!(adf.contains(&test_link), "{adf}");

        // Once per finding.
        let again = app
            .client
            .post(app.url(&format!("/api/v1/findings/{id}/ticket")))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::CONFLICT);
        assert_eq!(problem(again).await["code"], "TICKET_ALREADY_LINKED");

        // The sync job brings the status back and pushes the test's sealed worklogs.
        jira.set_status("In Progress", "indeterminate");
        let run = run_sync(&app, &admin).await;
        assert_eq!(run["outcome"], "succeeded", "{run}");
        assert_eq!(run["counts"]["checked"], 1, "{run}");
        assert_eq!(run["counts"]["changed"], 1, "{run}");
        let listed: Value = app
            .get(&format!("/api/v1/tickets?finding_id={id}"), &admin)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed["jira_configured"], true);
        let synced = &listed["items"][0];
        assert_eq!(synced["status"], "In Progress");
        assert_eq!(synced["status_category"], "indeterminate");
        assert!(synced["last_synced_at"].is_string());
        let status_call = jira.seen().into_iter().find(|s| s.method == "GET").unwrap();
        assert_eq!(status_call.target, "/rest/api/3/issue/SEC-1?fields=status");
        assert_eq!(status_call.headers["authorization"], expected);
        let worklogs: Vec<Seen> = jira
            .seen()
            .into_iter()
            .filter(|s| s.target == "/4/worklogs")
            .collect();
        let pushed = run["counts"]["worklogs_pushed"].as_u64().unwrap();
        assert!(pushed >= 1, "{run}");
        assert_eq!(worklogs.len() as u64, pushed);
        for worklog in &worklogs {
            assert_eq!(
                worklog.headers["authorization"],
                "Bearer tempo-secret-token"
            );
            assert_eq!(worklog.body["issueId"], 10001);
            assert_eq!(worklog.body["authorAccountId"], "5b10ac8d82e05b22cc7d4ef5");
            assert!(worklog.body["timeSpentSeconds"].as_i64().unwrap() > 0);
            assert!(worklog.body["startDate"].as_str().unwrap().len() == 10);
            assert!(worklog.body["startTime"].as_str().unwrap().len() == 8);
        }
        // A second run pushes nothing again; a done issue is no longer followed.
        jira.set_status("Done", "done");
        let second = run_sync(&app, &admin).await;
        assert_eq!(second["counts"]["worklogs_pushed"], 0, "{second}");
        assert_eq!(second["counts"]["changed"], 1, "{second}");
        let third = run_sync(&app, &admin).await;
        assert_eq!(third["counts"]["checked"], 0, "{third}");
        let listed: Value = app
            .get(&format!("/api/v1/tickets?finding_id={id}"), &admin)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed["items"][0]["status_category"], "done");
    }
);

on_both_databases!(
    jira_refusals_and_internal_addresses_are_clear_problems,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        app.validated_test(&admin, "T1059.001", json!({"outcome": "not_detected"}))
            .await;
        let finding = first_finding(&app, &admin).await;
        let id = finding["id"].as_str().unwrap().to_owned();
        let create = || {
            app.client
                .post(app.url(&format!("/api/v1/findings/{id}/ticket")))
                .bearer_auth(&admin)
                .send()
        };
        // Not configured yet.
        let response = create().await.unwrap();
        assert_eq!(response.status(), StatusCode::CONFLICT);
        assert_eq!(problem(response).await["code"], "JIRA_NOT_CONFIGURED");

        // Internal addresses are refused naming the field, unless the allow-list names them.
        for (url, reason) in [
            ("http://10.0.0.1", "private"),
            ("http://169.254.169.254", "cloud metadata"),
            (
                "http://localhost:9",
                "resolves only to addresses that are not allowed",
            ),
            ("ftp://jira.example", "absolute http or https URL"),
        ] {
            let response = app
                .client
                .put(app.url("/api/v1/tickets/jira/config"))
                .bearer_auth(&admin)
                .json(&json!({"base_url": url, "email": "bot@example.com",
                              "api_token": "t", "project_key": "SEC"}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
            let problem = problem(response).await;
            assert_eq!(problem["errors"][0]["field"], "base_url", "{problem}");
            let message = problem["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains(reason), "{url}: {message}");
        }
        let response = app
            .client
            .put(app.url("/api/v1/tickets/jira/config"))
            .bearer_auth(&admin)
            .json(
                &json!({"base_url": "https://93.184.215.14", "email": "bot@example.com",
                          "project_key": "sec", "labels": ["two words"]}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<String> = problem(response).await["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(fields, ["api_token", "labels", "project_key"]);

        // Jira's own 400 comes back as a 502 problem with Jira's words; nothing is linked.
        let jira = FakeJira::start().await;
        configure(&app, &admin, &jira).await;
        *jira.refuse.lock().unwrap() = true;
        let response = create().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
        let refused = problem(response).await;
        assert_eq!(refused["code"], "TRACKER_REJECTED");
        assert!(
            refused
                .to_string()
                .contains("issuetype: Specify a valid issue type"),
            "{refused}"
        );
        assert!(refused.to_string().contains("HTTP 400"), "{refused}");
        let listed: Value = app
            .get(&format!("/api/v1/tickets?finding_id={id}"), &admin)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed["items"], json!([]));
        // The allow-list changed: the next call is refused at connection time.
        app.send_ok(
            Method::PUT,
            "/api/v1/webhooks/allow-list",
            &admin,
            json!({"entries": []}),
        )
        .await;
        *jira.refuse.lock().unwrap() = false;
        let before = jira.seen().len();
        let response = create().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
        assert!(problem(response).await.to_string().contains("loopback"));
        assert_eq!(jira.seen().len(), before);

        // Only admins read or change the configuration; techs do not create issues.
        let (_, lead) = app.user_with_role(&admin, "blue_lead").await;
        let response = app.get("/api/v1/tickets/jira/config", &lead).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let (_, tech) = app.user_with_role(&admin, "red_tech").await;
        let response = app
            .client
            .post(app.url(&format!("/api/v1/findings/{id}/ticket")))
            .bearer_auth(&tech)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
);

on_both_databases!(
    any_tracker_is_linked_by_hand_to_findings_tests_and_steps,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let test = app
            .validated_test(&admin, "T1059.001", json!({"outcome": "logged"}))
            .await;
        let test_id = test["id"].as_str().unwrap().to_owned();
        let finding = first_finding(&app, &admin).await;
        let finding_id = finding["id"].as_str().unwrap().to_owned();
        let with_step = app
            .send_ok(
                Method::POST,
                &format!("/api/v1/findings/{finding_id}/steps"),
                &admin,
                json!({"title": "Deploy the PowerShell logging rule"}),
            )
            .await;
        let step_id = with_step["steps"][0]["id"].as_str().unwrap().to_owned();

        let on_test = app
            .send_ok(
                Method::POST,
                "/api/v1/tickets",
                &admin,
                json!({"test_id": test_id, "system": "github", "key": "org/detections#12",
                       "url": "https://github.com/org/detections/issues/12", "status": "open"}),
            )
            .await;
        assert_eq!(on_test["subject_kind"], "test");
        assert_eq!(on_test["status"], "open");
        assert_eq!(on_test["status_category"], "unknown");
        let on_step = app
            .send_ok(
                Method::POST,
                "/api/v1/tickets",
                &admin,
                json!({"finding_id": finding_id, "step_id": step_id, "system": "other",
                       "key": "CHG-7781", "url": "https://servicenow.example/change/7781"}),
            )
            .await;
        assert_eq!(on_step["subject_kind"], "remediation_step");
        assert_eq!(on_step["finding_id"], finding_id.as_str());
        let listed: Value = app
            .get(
                &format!("/api/v1/tickets?finding_id={finding_id}&step_id={step_id}"),
                &admin,
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);
        assert_eq!(listed["jira_configured"], false);
        // The finding itself has none: the step's ticket is the step's.
        let listed: Value = app
            .get(&format!("/api/v1/tickets?finding_id={finding_id}"), &admin)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed["items"], json!([]));

        // The same key twice is a conflict; bad input names its field; no subject is a 422.
        let response = app
            .client
            .post(app.url("/api/v1/tickets"))
            .bearer_auth(&admin)
            .json(
                &json!({"test_id": test_id, "system": "github", "key": "org/detections#12",
                          "url": "https://github.com/org/detections/issues/12"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CONFLICT);
        let response = app
            .client
            .post(app.url("/api/v1/tickets"))
            .bearer_auth(&admin)
            .json(&json!({"test_id": test_id, "system": "trello", "key": " ",
                          "url": "javascript:alert(1)"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<String> = problem(response).await["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(fields, ["key", "system", "url"]);
        let response = app.get("/api/v1/tickets", &admin).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let response = app
            .client
            .post(app.url("/api/v1/tickets"))
            .bearer_auth(&admin)
            .json(
                &json!({"test_id": uuid::Uuid::new_v4(), "system": "other", "key": "X-1",
                          "url": "https://tracker.example/X-1"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);

        // Viewers read but do not link; leads unlink.
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;
        let response = app
            .get(&format!("/api/v1/tickets?test_id={test_id}"), &viewer)
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let response = app
            .client
            .post(app.url("/api/v1/tickets"))
            .bearer_auth(&viewer)
            .json(&json!({"test_id": test_id, "system": "other", "key": "X-2",
                          "url": "https://tracker.example/X-2"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let (_, lead) = app.user_with_role(&admin, "red_lead").await;
        let response = app
            .client
            .delete(app.url(&format!(
                "/api/v1/tickets/{}",
                on_test["id"].as_str().unwrap()
            )))
            .bearer_auth(&lead)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let listed: Value = app
            .get(&format!("/api/v1/tickets?test_id={test_id}"), &admin)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed["items"], json!([]));
        // Linking and unlinking are audited.
        let audit: Value = app
            .get("/api/v1/audit-logs?per_page=200", &admin)
            .await
            .json()
            .await
            .unwrap();
        let actions: Vec<&str> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert!(actions.contains(&"ticket.linked"), "{actions:?}");
        assert!(actions.contains(&"ticket.unlinked"), "{actions:?}");
    }
);
