//! SIEM connectors over HTTP. No Elasticsearch is reachable here: a local server on
//! 127.0.0.1 (allowed through the tenant's allow-list) answers `POST
//! /{index}/_search` with Elasticsearch's documented search response (`hits.hits[]` with `_id`
//! and `_source`, `aggregations.rules.buckets[]` with `key`, `doc_count` and the `min` / `max`
//! sub-aggregations), holding the alerts Elastic Security writes for a rule (the Sigma rule's
//! id in `kibana.alert.rule.rule_id`). The test configures a connection (admins only; the
//! secret sealed and never echoed; a bad or internal address refused naming the field), runs
//! its check, evaluates a test against it, and blue confirms the proposal.

use std::io::Write;
use std::sync::{Arc, Mutex};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::helpers::*;

const RULE: &str = "5b2d1e9a-6c4f-4a1b-8e3d-7f9a0c1b2d3e";

const ENCODED: &str = "title: Encoded PowerShell Via SIEM
id: 5b2d1e9a-6c4f-4a1b-8e3d-7f9a0c1b2d3e
status: test
author: Aegis Test Author
tags: [attack.t1027]
logsource: {product: windows, category: process_creation}
detection:
  selection: {CommandLine|contains: ' -enc '}
  condition: selection
level: high
";

fn sigma_zip() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file(
        "rules/windows/encoded.yml",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    zip.write_all(ENCODED.as_bytes()).unwrap();
    zip.finish().unwrap().into_inner()
}

/// An Elasticsearch stand-in holding two alerts of the rule, 42 s and 5 min after red ran.
#[derive(Clone)]
pub struct FakeElastic {
    pub url: String,
    /// Each request's target, authorization header and body.
    seen: Arc<Mutex<Vec<(String, String, Value)>>>,
}

impl FakeElastic {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = Self {
            url: format!("http://{}", listener.local_addr().unwrap()),
            seen: Arc::default(),
        };
        let seen = fake.seen.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let seen = seen.clone();
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
                    let target = head
                        .lines()
                        .next()
                        .and_then(|l| l.split(' ').nth(1))
                        .unwrap_or("")
                        .to_owned();
                    let header = |name: &str| {
                        head.lines()
                            .skip(1)
                            .filter_map(|l| l.split_once(':'))
                            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
                            .map(|(_, v)| v.trim().to_owned())
                            .unwrap_or_default()
                    };
                    let length: usize = header("content-length").parse().unwrap_or(0);
                    while data.len() < head_end + length {
                        match stream.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => data.extend_from_slice(&buffer[..n]),
                        }
                    }
                    let body: Value = serde_json::from_slice(&data[head_end..head_end + length])
                        .unwrap_or(Value::Null);
                    seen.lock()
                        .unwrap()
                        .push((target.clone(), header("authorization"), body));
                    let (status, answer) = if target == "/.alerts-security.alerts-default/_search" {
                        (200, search_response())
                    } else if target == "/quiet-alerts/_search" {
                        (200, empty_response())
                    } else {
                        (
                            404,
                            json!({"error": {"root_cause": [], "type": "index_not_found_exception",
                                "reason": "no such index"}, "status": 404}),
                        )
                    };
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

    fn seen(&self) -> Vec<(String, String, Value)> {
        self.seen.lock().unwrap().clone()
    }
}

fn search_response() -> Value {
    let hit = |id: &str, at: &str| {
        json!({"_index": ".internal.alerts-security.alerts-default-000001", "_id": id,
            "_score": null,
            "_source": {"@timestamp": at, "kibana.alert.uuid": id,
                "kibana.alert.rule.rule_id": RULE,
                "kibana.alert.rule.name": "Encoded PowerShell Via SIEM",
                "host": {"name": "WS-042"}}})
    };
    json!({
        "took": 3, "timed_out": false,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {"total": {"value": 2, "relation": "eq"}, "max_score": null, "hits": [
            hit("alert-1", "2026-11-29T10:00:42.000Z"),
            hit("alert-2", "2026-11-29T10:05:00.000Z"),
        ]},
        "aggregations": {"rules": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0,
            "buckets": [{"key": RULE, "doc_count": 2,
                "first": {"value": 1_795_946_442_000_i64, "value_as_string": "2026-11-29T10:00:42.000Z"},
                "last": {"value": 1_795_946_700_000_i64, "value_as_string": "2026-11-29T10:05:00.000Z"}}]}}
    })
}

/// A search response without alerts.
fn empty_response() -> Value {
    json!({"took": 1, "timed_out": false,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {"total": {"value": 0, "relation": "eq"}, "max_score": null, "hits": []},
        "aggregations": {"rules": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0,
            "buckets": []}}})
}

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

on_both_databases!(
    a_siem_connection_proposes_blues_result_from_elastic_alerts,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
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
        let crew = app.crew(&admin).await;
        let elastic = FakeElastic::start().await;
        let connection = json!({"name": "SOC Elastic", "kind": "elastic",
            "base_url": format!("{}/", elastic.url), "secret": "elastic-api-key-secret"});

        // Admins only.
        let refused = post(
            &app,
            "/api/v1/siem/connections",
            &crew.blue_lead,
            connection.clone(),
        )
        .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        // A bad address, and an internal one the allow-list does not name, name the field.
        let mut bad = connection.clone();
        bad["base_url"] = json!("ftp://siem.example");
        let bad = post(&app, "/api/v1/siem/connections", &admin, bad).await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem(bad).await["errors"][0]["field"], "base_url");
        let internal = post(&app, "/api/v1/siem/connections", &admin, connection.clone()).await;
        assert_eq!(internal.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let internal = problem(internal).await;
        assert_eq!(internal["errors"][0]["field"], "base_url", "{internal}");
        let mut unknown = connection.clone();
        unknown["kind"] = json!("qradar");
        let unknown = post(&app, "/api/v1/siem/connections", &admin, unknown).await;
        assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);

        app.send_ok(
            Method::PUT,
            "/api/v1/webhooks/allow-list",
            &admin,
            json!({"entries": ["127.0.0.1"]}),
        )
        .await;
        let created = post(&app, "/api/v1/siem/connections", &admin, connection.clone()).await;
        assert_eq!(created.status(), StatusCode::CREATED);
        let created: Value = created.json().await.unwrap();
        // The secret is sealed and never echoed; the defaults are shown.
        assert!(
            !created.to_string().contains("elastic-api-key-secret"),
            "{created}"
        );
        assert_eq!(created["secret_set"], true);
        assert_eq!(created["base_url"], elastic.url.as_str());
        assert_eq!(created["index"], ".alerts-security.alerts-default");
        assert_eq!(created["rule_field"], "kibana.alert.rule.rule_id");
        let connection_id = created["id"].as_str().unwrap().to_owned();
        let listed: Value = app
            .get("/api/v1/siem/connections", &admin)
            .await
            .json()
            .await
            .unwrap();
        assert!(
            !listed.to_string().contains("elastic-api-key-secret"),
            "{listed}"
        );
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);
        let listing = app.get("/api/v1/siem/connections", &crew.blue_lead).await;
        assert_eq!(listing.status(), StatusCode::FORBIDDEN);

        // The check runs a cheap search with the sealed key.
        let checked = post(
            &app,
            &format!("/api/v1/siem/connections/{connection_id}/check"),
            &admin,
            json!({}),
        )
        .await;
        assert_eq!(checked.status(), StatusCode::NO_CONTENT);
        let (target, authorization, body) = elastic.seen()[0].clone();
        assert_eq!(target, "/.alerts-security.alerts-default/_search");
        assert_eq!(authorization, "ApiKey elastic-api-key-secret");
        assert_eq!(body["size"], 0);
        // Renamed without its secret: the stored one is kept.
        let mut renamed = connection.clone();
        renamed["name"] = json!("SOC Elastic (prod)");
        renamed.as_object_mut().unwrap().remove("secret");
        let renamed = app
            .send_ok(
                Method::PUT,
                &format!("/api/v1/siem/connections/{connection_id}"),
                &admin,
                renamed,
            )
            .await;
        assert_eq!(renamed["name"], "SOC Elastic (prod)");
        assert_eq!(renamed["secret_set"], true);
        // A wrong index is the SIEM's refusal, with its status and reason.
        let mut broken = connection.clone();
        broken["name"] = json!("Broken");
        broken["index"] = json!("missing-index");
        let broken: Value = post(&app, "/api/v1/siem/connections", &admin, broken)
            .await
            .json()
            .await
            .unwrap();
        let failed = post(
            &app,
            &format!(
                "/api/v1/siem/connections/{}/check",
                broken["id"].as_str().unwrap()
            ),
            &admin,
            json!({}),
        )
        .await;
        assert_eq!(failed.status(), StatusCode::BAD_GATEWAY);
        let failed = problem(failed).await;
        assert_eq!(failed["code"], "SIEM_REJECTED");
        assert!(
            failed.to_string().contains("index_not_found_exception"),
            "{failed}"
        );
        let deleted = app
            .client
            .delete(app.url(&format!(
                "/api/v1/siem/connections/{}",
                broken["id"].as_str().unwrap()
            )))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(deleted.status(), StatusCode::NO_CONTENT);

        // A test of the rule's technique, run by red.
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
        app.send_ok(
            Method::PATCH,
            &act("red"),
            &crew.red_tech,
            json!({"executed_at": "2026-11-29T10:00:00Z", "procedure": "Encoded command",
                   "command": "powershell.exe -enc SQBFAFgA", "result_summary": "ran"}),
        )
        .await;
        let evaluate = |token: String| {
            let path = act("siem/evaluate");
            let body = json!({"connection_id": connection_id});
            let app = &app;
            async move { post(app, &path, &token, body).await }
        };
        // Red's phase: not yet; red may not evaluate.
        assert_eq!(
            evaluate(crew.blue_tech.clone()).await.status(),
            StatusCode::CONFLICT
        );
        app.send_ok(Method::POST, &act("submit-red"), &crew.red_tech, json!({}))
            .await;
        assert_eq!(
            evaluate(crew.red_tech.clone()).await.status(),
            StatusCode::FORBIDDEN
        );

        let evaluated = evaluate(crew.blue_tech.clone()).await;
        assert_eq!(evaluated.status(), StatusCode::CREATED);
        let evaluated: Value = evaluated.json().await.unwrap();
        assert_eq!(evaluated["source"], "siem:elastic");
        let proposal = &evaluated["proposal"];
        assert_eq!(proposal["outcome"], "detected", "{evaluated}");
        assert_eq!(proposal["detected_at"], "2026-11-29T10:00:42Z");
        assert_eq!(proposal["time_to_detect_seconds"], 42);
        assert_eq!(
            proposal["rule_results"],
            json!([{"rule": format!("sigma:{RULE}"), "verdict": "triggered"}])
        );
        let siem = &evaluated["siem"];
        assert_eq!(siem["connection_name"], "SOC Elastic (prod)");
        assert_eq!(siem["found"][0]["count"], 2);
        assert_eq!(siem["found"][0]["alert_ids"], json!(["alert-1", "alert-2"]));
        assert_eq!(siem["found"][0]["hosts"], json!(["WS-042"]));
        // What Elasticsearch was asked: the window (skew and grace) and the rule's id.
        let (_, authorization, body) = elastic.seen().last().unwrap().clone();
        assert_eq!(authorization, "ApiKey elastic-api-key-secret");
        let filter = &body["query"]["bool"]["filter"];
        assert_eq!(
            filter[0]["range"]["@timestamp"]["gte"],
            "2026-11-29T09:55:00.000Z"
        );
        assert_eq!(
            filter[0]["range"]["@timestamp"]["lte"],
            "2026-11-29T11:05:00.000Z"
        );
        assert_eq!(
            filter[1]["bool"]["should"][0]["terms"]["kibana.alert.rule.rule_id"],
            json!([RULE])
        );
        assert_eq!(siem["query"], body.to_string());
        // Sealed as blue evidence, listed with the test's evaluations, the key nowhere.
        let sealed = &evaluated["evidence"];
        assert_eq!(sealed["team"], "blue");
        assert_eq!(
            sealed["content_type"],
            "application/vnd.aegis.telemetry-evaluation+json"
        );
        let document = app
            .get(
                &format!(
                    "/api/v1/evidence/{}/download",
                    sealed["id"].as_str().unwrap()
                ),
                &crew.blue_lead,
            )
            .await
            .text()
            .await
            .unwrap();
        assert!(!document.contains("elastic-api-key-secret"));
        let document: Value = serde_json::from_str(&document).unwrap();
        assert_eq!(document["source"], "siem:elastic");
        assert_eq!(document["proposal"]["detected_at"], "2026-11-29T10:00:42Z");
        let overview: Value = app
            .get(&format!("/api/v1/tests/{id}/telemetry"), &crew.blue_lead)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(overview["evaluations"][0]["source"], "siem:elastic");

        // A SIEM without the rule's alert proposes not detected (it cannot say "logged").
        let mut quiet = connection.clone();
        quiet["name"] = json!("Quiet");
        quiet["index"] = json!("quiet-alerts");
        let quiet: Value = post(&app, "/api/v1/siem/connections", &admin, quiet)
            .await
            .json()
            .await
            .unwrap();
        let silent = post(
            &app,
            &act("siem/evaluate"),
            &crew.blue_tech,
            json!({"connection_id": quiet["id"]}),
        )
        .await;
        assert_eq!(silent.status(), StatusCode::CREATED);
        let silent: Value = silent.json().await.unwrap();
        assert_eq!(silent["proposal"]["outcome"], "not_detected", "{silent}");
        assert!(silent["proposal"]["detected_at"].is_null());
        assert_eq!(
            silent["proposal"]["rule_results"],
            json!([{"rule": format!("sigma:{RULE}"), "verdict": "not_triggered"}])
        );
        assert_eq!(silent["siem"]["found"], json!([]));

        // Blue confirms the detection through the ordinary report.
        app.send_ok(
            Method::PATCH,
            &act("blue"),
            &crew.blue_tech,
            json!({"outcome": proposal["outcome"], "detected_at": proposal["detected_at"],
                       "detection_source": "SOC Elastic",
                       "rule_results": [{"rule": format!("sigma:{RULE}"), "result": "triggered"}]}),
        )
        .await;

        // An unknown connection is not found.
        let missing = post(
            &app,
            &act("siem/evaluate"),
            &crew.blue_tech,
            json!({"connection_id": uuid::Uuid::now_v7()}),
        )
        .await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }
);
