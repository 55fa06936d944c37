//! The SIEM adapters against local servers. No Elasticsearch, OpenSearch, Splunk or Sentinel
//! is reachable here: each fake answers on 127.0.0.1 (allowed through the allow-list) with
//! the vendor's documented response shapes — Elasticsearch's search response (`hits.hits[]`
//! with `_id` and `_source`, `aggregations.<name>.buckets[]` with `key`, `doc_count` and the
//! `min` / `max` sub-aggregations' `value` and `value_as_string`) and error object
//! (`{error: {root_cause, type, reason}, status}`); Splunk's `{sid}` for a created job, the
//! job's `entry[0].content.dispatchState` (QUEUED, RUNNING, DONE, FAILED with `messages`),
//! `{results: [...]}` and `{messages: [{type, text}]}` errors; Microsoft Entra's token answer
//! (`{token_type, expires_in, access_token}`, `{error, error_description}` on refusal) and
//! the Log Analytics query API's `{tables: [{name, columns: [{name, type}], rows}]}` and
//! `{error: {code, message}}` — and records what it was sent.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use aegis_application::telemetry::siem::{ExpectedRule, SiemAlerts, SiemQueryError, SiemTarget};
use aegis_domain::siem::{
    ELASTIC_ALERTS_INDEX, ELASTIC_RULE_FIELD, SPLUNK_DEFAULT_SEARCH, SiemKind,
};
use aegis_domain::telemetry::RunWindow;
use aegis_domain::webhook::AllowList;
use aegis_infrastructure::telemetry::siem::{HttpSiemAlerts, SiemClientSettings};

/// One request as a fake saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    headers: HashMap<String, String>,
    body: String,
}

type Answer = Box<dyn Fn(&Seen, usize) -> (u16, Value) + Send + Sync>;

/// A server on 127.0.0.1 that answers each request with what `answer` returns for it (given
/// how many requests came before), or never answers when `silent`.
#[derive(Clone)]
struct Fake {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Fake {
    async fn start(answer: Answer) -> Self {
        Self::serve(Arc::new(answer), false).await
    }

    async fn silent() -> Self {
        let answer: Answer = Box::new(|_: &Seen, _: usize| (200, json!({})));
        Self::serve(Arc::new(answer), true).await
    }

    async fn serve(answer: Arc<Answer>, silent: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = Self {
            url: format!("http://{}", listener.local_addr().unwrap()),
            seen: Arc::default(),
        };
        let seen = fake.seen.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let seen = seen.clone();
                let answer = answer.clone();
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
                    let mut line = head.lines().next().unwrap_or("").split(' ');
                    let method = line.next().unwrap_or("").to_owned();
                    let target = line.next().unwrap_or("").to_owned();
                    let headers: HashMap<String, String> = head
                        .lines()
                        .skip(1)
                        .filter_map(|l| l.split_once(':'))
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
                    let request = Seen {
                        method,
                        target,
                        headers,
                        body: String::from_utf8_lossy(&data[head_end..head_end + length])
                            .to_string(),
                    };
                    if silent {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        return;
                    }
                    let count = {
                        let mut seen = seen.lock().unwrap();
                        seen.push(request.clone());
                        seen.len() - 1
                    };
                    let (status, body) = answer(&request, count);
                    let body = body.to_string();
                    let response = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                });
            }
        });
        fake
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn window() -> RunWindow {
    RunWindow {
        from: at("2026-11-29T09:55:00Z"),
        to: at("2026-11-29T11:05:00Z"),
    }
}

fn rules() -> Vec<ExpectedRule> {
    vec![
        ExpectedRule {
            reference: "elastic:0f4d35e4-925e-4959-ab24-911be207ee6f".to_owned(),
            id: "0f4d35e4-925e-4959-ab24-911be207ee6f".to_owned(),
            title: "Encoded PowerShell Command".to_owned(),
        },
        ExpectedRule {
            reference: "sigma:3c1f0a52-7d4e-4b8a-9e61-2f5d8c7b9a10".to_owned(),
            id: "3c1f0a52-7d4e-4b8a-9e61-2f5d8c7b9a10".to_owned(),
            title: "Suspicious Encoded Command Line".to_owned(),
        },
        ExpectedRule {
            reference: "Team PowerShell Watch".to_owned(),
            id: String::new(),
            title: "Team PowerShell Watch".to_owned(),
        },
    ]
}

fn allow() -> AllowList {
    AllowList::parse(["127.0.0.1"]).unwrap()
}

fn target(kind: SiemKind, url: &str) -> SiemTarget {
    SiemTarget {
        kind,
        base_url: url.to_owned(),
        index: ELASTIC_ALERTS_INDEX.to_owned(),
        rule_field: ELASTIC_RULE_FIELD.to_owned(),
        search: SPLUNK_DEFAULT_SEARCH.to_owned(),
        workspace_id: "63613592-b6f7-4c3d-a390-22ba13102111".to_owned(),
        directory_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".to_owned(),
        login_url: url.to_owned(),
        username: None,
        secret: "c2VjcmV0LWtleQ==".to_owned(),
        allow: allow(),
    }
}

fn client() -> HttpSiemAlerts {
    HttpSiemAlerts::new(SiemClientSettings {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
        poll_interval: Duration::from_millis(10),
        job_timeout: Duration::from_secs(5),
    })
}

/// Elastic Security writes an alert's fields as dotted keys at the top of `_source`.
fn elastic_hit(id: &str, at: &str, rule_id: &str, name: &str, host: &str) -> Value {
    json!({"_index": ".internal.alerts-security.alerts-default-000001", "_id": id,
        "_score": null, "sort": [1],
        "_source": {"@timestamp": at, "kibana.alert.uuid": id,
            "kibana.alert.rule.rule_id": rule_id, "kibana.alert.rule.name": name,
            "kibana.alert.workflow_status": "open", "host": {"name": host}}})
}

fn elastic_answer(_: &Seen, _: usize) -> (u16, Value) {
    let first = "2026-11-29T10:00:42.000Z";
    (
        200,
        json!({
            "took": 4, "timed_out": false,
            "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
            "hits": {"total": {"value": 4, "relation": "eq"}, "max_score": null, "hits": [
                elastic_hit("a1", first, "0f4d35e4-925e-4959-ab24-911be207ee6f",
                    "Encoded PowerShell Command", "WS-042"),
                elastic_hit("a2", "2026-11-29T10:02:00.000Z", "0f4d35e4-925e-4959-ab24-911be207ee6f",
                    "Encoded PowerShell Command", "WS-043"),
                elastic_hit("a3", "2026-11-29T10:03:00.000Z", "custom-1",
                    "Team PowerShell Watch", "WS-042"),
            ]},
            "aggregations": {"rules": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0,
                "buckets": [
                    {"key": "0f4d35e4-925e-4959-ab24-911be207ee6f", "doc_count": 3,
                     "first": {"value": 1_795_946_442_000_i64, "value_as_string": first},
                     "last": {"value": 1_795_946_700_000_i64, "value_as_string": "2026-11-29T10:05:00.000Z"}},
                    {"key": "custom-1", "doc_count": 1,
                     "first": {"value": 1_795_946_580_000_i64}, "last": {"value": 1_795_946_580_000_i64}}
                ]}}
        }),
    )
}

#[tokio::test]
async fn elastic_alerts_come_back_per_rule_with_their_first_time() {
    let fake = Fake::start(Box::new(elastic_answer)).await;
    let answer = client()
        .alerts(&target(SiemKind::Elastic, &fake.url), &rules(), window())
        .await
        .unwrap();
    assert_eq!(answer.found.len(), 2, "{answer:?}");
    let encoded = &answer.found[0];
    assert_eq!(
        encoded.reference,
        "elastic:0f4d35e4-925e-4959-ab24-911be207ee6f"
    );
    // The aggregation's count, not the hits': three alerts, two read.
    assert_eq!(encoded.count, 3);
    assert_eq!(encoded.first_at, Some(at("2026-11-29T10:00:42Z")));
    assert_eq!(encoded.last_at, Some(at("2026-11-29T10:05:00Z")));
    assert_eq!(encoded.alert_ids, vec!["a1", "a2"]);
    assert_eq!(encoded.hosts, vec!["WS-042", "WS-043"]);
    // An asset named only by its title is found by the alert's rule name.
    let asset = &answer.found[1];
    assert_eq!(asset.reference, "Team PowerShell Watch");
    assert_eq!(asset.count, 1);
    assert_eq!(asset.first_at, Some(at("2026-11-29T10:03:00Z")));

    let seen = fake.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].target, "/.alerts-security.alerts-default/_search");
    assert_eq!(seen[0].headers["authorization"], "ApiKey c2VjcmV0LWtleQ==");
    let body: Value = serde_json::from_str(&seen[0].body).unwrap();
    let filter = &body["query"]["bool"]["filter"];
    assert_eq!(
        filter[0]["range"]["@timestamp"]["gte"],
        "2026-11-29T09:55:00.000Z"
    );
    assert_eq!(
        filter[0]["range"]["@timestamp"]["lte"],
        "2026-11-29T11:05:00.000Z"
    );
    let should = &filter[1]["bool"]["should"];
    assert_eq!(
        should[0]["terms"]["kibana.alert.rule.rule_id"],
        json!([
            "0f4d35e4-925e-4959-ab24-911be207ee6f",
            "3c1f0a52-7d4e-4b8a-9e61-2f5d8c7b9a10"
        ])
    );
    assert_eq!(
        should[1]["terms"]["kibana.alert.rule.name"][2],
        "Team PowerShell Watch"
    );
    assert_eq!(
        body["aggs"]["rules"]["terms"]["field"],
        "kibana.alert.rule.rule_id"
    );
    assert_eq!(answer.query, body.to_string());
}

#[tokio::test]
async fn opensearch_uses_its_index_field_and_basic_authentication() {
    let fake = Fake::start(Box::new(|_: &Seen, _: usize| {
        (200, json!({"took": 1, "timed_out": false,
            "hits": {"total": {"value": 1, "relation": "eq"}, "hits": [
                {"_index": "sigma-alerts", "_id": "x9",
                 "_source": {"@timestamp": "2026-11-29T10:10:00Z",
                    "rule": {"id": "3c1f0a52-7d4e-4b8a-9e61-2f5d8c7b9a10"}, "host": {"hostname": "db-1"}}}]}}))
    }))
    .await;
    let mut opensearch = target(SiemKind::OpenSearch, &fake.url);
    opensearch.index = "sigma-alerts*".to_owned();
    opensearch.rule_field = "rule.id".to_owned();
    opensearch.username = Some("aegis".to_owned());
    opensearch.secret = "pass".to_owned();
    let answer = client()
        .alerts(&opensearch, &rules(), window())
        .await
        .unwrap();
    // Without an aggregation the hits are counted.
    assert_eq!(answer.found.len(), 1);
    assert_eq!(
        answer.found[0].reference,
        "sigma:3c1f0a52-7d4e-4b8a-9e61-2f5d8c7b9a10"
    );
    assert_eq!(answer.found[0].count, 1);
    assert_eq!(answer.found[0].hosts, vec!["db-1"]);
    let seen = fake.seen();
    assert_eq!(seen[0].target, "/sigma-alerts*/_search");
    assert_eq!(seen[0].headers["authorization"], "Basic YWVnaXM6cGFzcw==");
    let body: Value = serde_json::from_str(&seen[0].body).unwrap();
    // No Elastic rule-name clause on OpenSearch.
    assert_eq!(
        body["query"]["bool"]["filter"][1]["bool"]["should"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn elastic_refusals_carry_the_status_and_reason() {
    let fake = Fake::start(Box::new(|_: &Seen, _: usize| {
        (
            404,
            json!({"error": {"root_cause": [{"type": "index_not_found_exception",
            "reason": "no such index [.alerts-security.alerts-default]"}],
            "type": "index_not_found_exception",
            "reason": "no such index [.alerts-security.alerts-default]"}, "status": 404}),
        )
    }))
    .await;
    let error = client()
        .alerts(&target(SiemKind::Elastic, &fake.url), &rules(), window())
        .await
        .unwrap_err();
    assert_eq!(
        error,
        SiemQueryError::Rejected {
            system: "Elasticsearch",
            status: 404,
            message: "index_not_found_exception: no such index [.alerts-security.alerts-default]"
                .to_owned(),
        }
    );
    // A 200 that is not a search response is a bad response, not "no alerts".
    let odd = Fake::start(Box::new(|_: &Seen, _: usize| {
        (200, json!({"acknowledged": true}))
    }))
    .await;
    let error = client()
        .alerts(&target(SiemKind::Elastic, &odd.url), &rules(), window())
        .await
        .unwrap_err();
    assert!(
        matches!(error, SiemQueryError::BadResponse { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_silent_siem_times_out_and_an_internal_one_is_refused() {
    let fake = Fake::silent().await;
    let error = client()
        .alerts(&target(SiemKind::Elastic, &fake.url), &rules(), window())
        .await
        .unwrap_err();
    assert!(matches!(error, SiemQueryError::Timeout { .. }), "{error:?}");
    let mut internal = target(SiemKind::Elastic, &fake.url);
    internal.allow = AllowList::default();
    let error = client()
        .alerts(&internal, &rules(), window())
        .await
        .unwrap_err();
    assert!(matches!(error, SiemQueryError::Refused(_)), "{error:?}");
    let closed = target(SiemKind::Elastic, "http://127.0.0.1:9");
    let error = client()
        .alerts(&closed, &rules(), window())
        .await
        .unwrap_err();
    assert!(
        matches!(error, SiemQueryError::Unreachable { .. }),
        "{error:?}"
    );
}

/// Splunk: the job is created, reported QUEUED, then RUNNING, then DONE; then its results.
fn splunk_answer() -> Answer {
    Box::new(move |seen: &Seen, _: usize| {
        let path = seen.target.split('?').next().unwrap_or_default().to_owned();
        match (seen.method.as_str(), path.as_str()) {
            ("POST", "/services/search/jobs") => (201, json!({"sid": "1764409542.1234"})),
            ("GET", "/services/search/jobs/1764409542.1234") => (
                200,
                json!({"entry": [
                {"content": {"sid": "1764409542.1234", "dispatchState": "DONE", "isDone": true}}]}),
            ),
            ("GET", "/services/search/jobs/1764409542.1234/results") => (
                200,
                json!({
                "preview": false, "init_offset": 0, "messages": [],
                "fields": [{"name": "_time"}, {"name": "search_name"}, {"name": "dest"}],
                "results": [
                    {"_time": "2026-11-29T10:01:30.000+00:00",
                     "search_name": "Endpoint - Suspicious Encoded Command Line - Rule",
                     "event_id": "F1A9@@notable@@1", "dest": "WS-042"},
                    {"_time": "2026-11-29T10:00:50.000+00:00",
                     "rule_id": "0f4d35e4-925e-4959-ab24-911be207ee6f", "event_id": "F1A9@@notable@@2",
                     "dest": "WS-042"},
                    {"_time": "2026-11-29T10:04:00.000+00:00", "search_name": "Unrelated Search"}
                ]}),
            ),
            _ => (
                404,
                json!({"messages": [{"type": "ERROR", "text": "Not Found"}]}),
            ),
        }
    })
}

#[tokio::test]
async fn splunk_polls_the_search_job_until_done_and_reads_its_results() {
    let states = Arc::new(Mutex::new(vec!["QUEUED", "RUNNING", "RUNNING", "DONE"]));
    let inner = splunk_answer();
    let polled = states.clone();
    let fake = Fake::start(Box::new(move |seen: &Seen, count: usize| {
        let path = seen.target.split('?').next().unwrap_or_default();
        if seen.method == "GET" && path == "/services/search/jobs/1764409542.1234" {
            let state = polled.lock().unwrap().remove(0);
            return (200, json!({"links": {}, "origin": "https://splunk:8089/services/search/jobs",
                "entry": [{"name": "search index=notable", "id": "https://splunk:8089/services/search/jobs/1764409542.1234",
                    "content": {"sid": "1764409542.1234", "dispatchState": state,
                        "isDone": state == "DONE", "isFailed": false, "messages": []}}]}));
        }
        inner(seen, count)
    }))
    .await;
    let mut splunk = target(SiemKind::Splunk, &fake.url);
    splunk.secret = "splunk-token".to_owned();
    let answer = client().alerts(&splunk, &rules(), window()).await.unwrap();
    assert!(
        states.lock().unwrap().is_empty(),
        "every state was reported"
    );
    assert_eq!(answer.found.len(), 2, "{answer:?}");
    assert_eq!(
        answer.found[0].reference,
        "elastic:0f4d35e4-925e-4959-ab24-911be207ee6f"
    );
    assert_eq!(answer.found[0].first_at, Some(at("2026-11-29T10:00:50Z")));
    assert_eq!(
        answer.found[1].reference,
        "sigma:3c1f0a52-7d4e-4b8a-9e61-2f5d8c7b9a10"
    );
    assert_eq!(answer.found[1].alert_ids, vec!["F1A9@@notable@@1"]);
    assert_eq!(answer.found[1].hosts, vec!["WS-042"]);

    let seen = fake.seen();
    let create = &seen[0];
    assert_eq!(
        (create.method.as_str(), create.target.as_str()),
        ("POST", "/services/search/jobs")
    );
    assert_eq!(create.headers["authorization"], "Bearer splunk-token");
    let form: HashMap<String, String> = serde_urlencoded::from_str(&create.body).unwrap();
    assert_eq!(form["output_mode"], "json");
    assert_eq!(form["earliest_time"], window().from.timestamp().to_string());
    assert_eq!(
        form["latest_time"],
        (window().to.timestamp() + 1).to_string()
    );
    assert!(
        form["search"].starts_with("search index=notable"),
        "{}",
        form["search"]
    );
    assert!(
        form["search"].contains("\"Suspicious Encoded Command Line\""),
        "{}",
        form["search"]
    );
    assert_eq!(answer.query, form["search"]);
    let polls: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.target == "/services/search/jobs/1764409542.1234?output_mode=json")
        .collect();
    assert_eq!(polls.len(), 4);
    assert_eq!(
        seen.last().unwrap().target,
        "/services/search/jobs/1764409542.1234/results?output_mode=json&count=0"
    );
}

#[tokio::test]
async fn a_failed_splunk_job_and_a_refused_token_are_refusals() {
    let inner = splunk_answer();
    let fake = Fake::start(Box::new(move |seen: &Seen, count: usize| {
        if seen.method == "GET"
            && seen
                .target
                .starts_with("/services/search/jobs/1764409542.1234?")
        {
            return (
                200,
                json!({"entry": [{"content": {"dispatchState": "FAILED",
                "isFailed": true, "messages": [{"type": "FATAL",
                    "text": "Error in 'search' command: Unable to parse the search."}]}}]}),
            );
        }
        inner(seen, count)
    }))
    .await;
    let error = client()
        .alerts(&target(SiemKind::Splunk, &fake.url), &rules(), window())
        .await
        .unwrap_err();
    let SiemQueryError::Rejected { message, .. } = &error else {
        panic!("{error:?}");
    };
    assert!(message.contains("Unable to parse the search"), "{message}");

    let refused = Fake::start(Box::new(|_: &Seen, _: usize| {
        (
            401,
            json!({"messages": [{"type": "WARN", "text": "call not properly authenticated"}]}),
        )
    }))
    .await;
    let error = client()
        .alerts(&target(SiemKind::Splunk, &refused.url), &rules(), window())
        .await
        .unwrap_err();
    assert_eq!(
        error,
        SiemQueryError::Rejected {
            system: "Splunk",
            status: 401,
            message: "call not properly authenticated".to_owned()
        }
    );
}

fn sentinel_answer(query_status: u16) -> Answer {
    Box::new(move |seen: &Seen, _: usize| {
        if seen.target.ends_with("/oauth2/v2.0/token") {
            return (
                200,
                json!({"token_type": "Bearer", "expires_in": 3599,
                "ext_expires_in": 3599, "access_token": "eyJ0eXAiOiJKV1Qi.token"}),
            );
        }
        if query_status != 200 {
            return (
                query_status,
                json!({"error": {"message": "The request had some invalid properties",
                "code": "BadArgumentError", "correlationId": "2f7d0c4e",
                "innererror": {"code": "SyntaxError", "message": "A recognition error occurred."}}}),
            );
        }
        (
            200,
            json!({"tables": [{"name": "PrimaryResult",
            "columns": [
                {"name": "TimeGenerated", "type": "datetime"}, {"name": "AlertName", "type": "string"},
                {"name": "AlertType", "type": "string"}, {"name": "SystemAlertId", "type": "string"},
                {"name": "ProviderName", "type": "string"}, {"name": "CompromisedEntity", "type": "string"},
                {"name": "AnalyticRuleIds", "type": "string"}],
            "rows": [
                ["2026-11-29T10:00:55.123Z", "Suspicious Encoded Command Line",
                 "63613592-b6f7-4c3d-a390-22ba13102111_9a1f", "6d0a1c2e-0000-4000-8000-000000000001",
                 "ASI Scheduled Alerts", "WS-042", "[\"9a1f5e0c-1111-4222-8333-444455556666\"]"],
                ["2026-11-29T10:07:00Z", "Another name", "x",
                 "6d0a1c2e-0000-4000-8000-000000000002", "ASI Scheduled Alerts", "WS-044",
                 "[\"0F4D35E4-925E-4959-AB24-911BE207EE6F\"]"]
            ]}]}),
        )
    })
}

#[tokio::test]
async fn sentinel_takes_a_token_then_reads_security_alerts() {
    let fake = Fake::start(sentinel_answer(200)).await;
    let mut sentinel = target(SiemKind::Sentinel, &fake.url);
    sentinel.username = Some("client-id-1".to_owned());
    sentinel.secret = "client-secret".to_owned();
    let answer = client()
        .alerts(&sentinel, &rules(), window())
        .await
        .unwrap();
    assert_eq!(answer.found.len(), 2, "{answer:?}");
    // By the analytic rule id Sentinel wrote in ExtendedProperties.
    assert_eq!(
        answer.found[0].reference,
        "elastic:0f4d35e4-925e-4959-ab24-911be207ee6f"
    );
    assert_eq!(answer.found[0].first_at, Some(at("2026-11-29T10:07:00Z")));
    // By the alert's name.
    assert_eq!(
        answer.found[1].reference,
        "sigma:3c1f0a52-7d4e-4b8a-9e61-2f5d8c7b9a10"
    );
    assert_eq!(
        answer.found[1].first_at,
        Some(at("2026-11-29T10:00:55.123Z"))
    );
    assert_eq!(
        answer.found[1].alert_ids,
        vec!["6d0a1c2e-0000-4000-8000-000000000001"]
    );
    assert_eq!(answer.found[1].hosts, vec!["WS-042"]);

    let seen = fake.seen();
    assert_eq!(
        seen[0].target,
        "/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token"
    );
    let form: HashMap<String, String> = serde_urlencoded::from_str(&seen[0].body).unwrap();
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["client_id"], "client-id-1");
    assert_eq!(form["client_secret"], "client-secret");
    assert_eq!(form["scope"], "https://api.loganalytics.io/.default");
    assert_eq!(
        seen[1].target,
        "/v1/workspaces/63613592-b6f7-4c3d-a390-22ba13102111/query"
    );
    assert_eq!(
        seen[1].headers["authorization"],
        "Bearer eyJ0eXAiOiJKV1Qi.token"
    );
    let body: Value = serde_json::from_str(&seen[1].body).unwrap();
    assert_eq!(
        body["timespan"],
        "2026-11-29T09:55:00Z/2026-11-29T11:05:00Z"
    );
    let kql = body["query"].as_str().unwrap();
    assert!(kql.starts_with("SecurityAlert\n"), "{kql}");
    assert!(
        kql.contains("between (datetime(2026-11-29T09:55:00Z) .. datetime(2026-11-29T11:05:00Z))"),
        "{kql}"
    );
    assert!(kql.contains("\"Team PowerShell Watch\""), "{kql}");
    assert_eq!(answer.query, kql);
}

#[tokio::test]
async fn sentinel_refusals_carry_entra_and_log_analytics_messages() {
    let fake = Fake::start(sentinel_answer(400)).await;
    let error = client()
        .alerts(&target(SiemKind::Sentinel, &fake.url), &rules(), window())
        .await
        .unwrap_err();
    assert_eq!(
        error,
        SiemQueryError::Rejected {
            system: "Microsoft Sentinel",
            status: 400,
            message: "BadArgumentError: The request had some invalid properties".to_owned()
        }
    );
    let entra = Fake::start(Box::new(|_: &Seen, _: usize| {
        (
            401,
            json!({"error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided.",
            "error_codes": [7000215]}),
        )
    }))
    .await;
    let error = client()
        .check(&target(SiemKind::Sentinel, &entra.url))
        .await
        .unwrap_err();
    let SiemQueryError::Rejected {
        status, message, ..
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(*status, 401);
    assert!(
        message.starts_with("invalid_client: AADSTS7000215"),
        "{message}"
    );
}

#[tokio::test]
async fn each_check_runs_a_cheap_query() {
    let elastic = Fake::start(Box::new(elastic_answer)).await;
    client()
        .check(&target(SiemKind::Elastic, &elastic.url))
        .await
        .unwrap();
    let body: Value = serde_json::from_str(&elastic.seen()[0].body).unwrap();
    assert_eq!(body["size"], 0);
    let splunk = Fake::start(Box::new(|seen: &Seen, _: usize| {
        if seen.target == "/services/server/info?output_mode=json" {
            (
                200,
                json!({"entry": [{"name": "server-info", "content": {"version": "9.3.1"}}]}),
            )
        } else {
            (
                404,
                json!({"messages": [{"type": "ERROR", "text": "Not Found"}]}),
            )
        }
    }))
    .await;
    client()
        .check(&target(SiemKind::Splunk, &splunk.url))
        .await
        .unwrap();
    let sentinel = Fake::start(sentinel_answer(200)).await;
    client()
        .check(&target(SiemKind::Sentinel, &sentinel.url))
        .await
        .unwrap();
    let body: Value = serde_json::from_str(&sentinel.seen()[1].body).unwrap();
    assert_eq!(body["query"], "SecurityAlert | take 1");
}
