//! Benchmark: live notifications fanned out to many open streams on one instance.
//!
//! Starts `aegis serve` (embedded profile, a fresh data directory, the small ATT&CK fixture) as
//! its own process, opens `SSE_CLIENTS` (500) streams of one blue analyst, then has red submit
//! `SSE_ROUNDS` (10) tests: each submission notifies the analyst, and every stream must receive
//! it. It prints the delivery latency (from the notification's creation to its arrival at a
//! client: the commit, the signal, the stream's read and the write) at p50, p99 and max, and
//! the server's resident memory per open stream.
//!
//! `cargo build --release -p aegis && cargo bench -p aegis-tests --bench sse_fanout`
//! (`AEGIS_BIN` names another binary). See docs/benchmarks.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    reason = "a benchmark program"
)]

mod support;

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use support::{resident_kib, setting, start, token};

async fn send(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> Value {
    let response = client
        .request(method, format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.unwrap()
}

/// One client: opens the stream, says when it is open, then reports each notification's
/// delivery latency in microseconds.
async fn listen(
    client: reqwest::Client,
    url: String,
    token: String,
    open: mpsc::Sender<()>,
    latencies: mpsc::UnboundedSender<i64>,
) {
    let mut response = client.get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    open.send(()).await.unwrap();
    let mut buffer = String::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let arrived = Utc::now();
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: ")) else {
                continue;
            };
            let notification: Value = serde_json::from_str(data).unwrap();
            let created: DateTime<Utc> = notification["created_at"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            if latencies
                .send((arrived - created).num_microseconds().unwrap())
                .is_err()
            {
                return;
            }
        }
    }
}

fn percentile(sorted: &[i64], p: f64) -> f64 {
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank] as f64 / 1000.0
}

#[tokio::main]
async fn main() {
    let clients = setting("SSE_CLIENTS", 500);
    let rounds = setting("SSE_ROUNDS", 10);
    let data = tempfile::tempdir().unwrap();
    let fixture = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/attack/enterprise-v1.json");
    let server = start(
        data.path(),
        &fixture,
        &[
            ("red.lead@bench.test", "red_lead"),
            ("red.tech@bench.test", "red_tech"),
            ("blue.tech@bench.test", "blue_tech"),
        ],
    )
    .await;
    let base = server.base.clone();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients + 8)
        .build()
        .unwrap();
    let red_lead = token(&http, &base, "red.lead@bench.test").await;
    let red_tech = token(&http, &base, "red.tech@bench.test").await;
    let blue = token(&http, &base, "blue.tech@bench.test").await;

    let idle = resident_kib(server.process.id());
    let (open_tx, mut open_rx) = mpsc::channel(clients);
    let (latency_tx, mut latency_rx) = mpsc::unbounded_channel();
    for _ in 0..clients {
        // A client of its own per stream: one connection each, as separate browsers have.
        let client = reqwest::Client::new();
        tokio::spawn(listen(
            client,
            format!("{base}/api/v1/notifications/stream"),
            blue.clone(),
            open_tx.clone(),
            latency_tx.clone(),
        ));
    }
    drop(latency_tx);
    for _ in 0..clients {
        open_rx.recv().await.unwrap();
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let streaming = resident_kib(server.process.id());
    println!(
        "{clients} streams open: server resident memory {idle} KiB idle, {streaming} KiB with the streams: {:.1} KiB per stream",
        (streaming.saturating_sub(idle)) as f64 / clients as f64
    );

    let mut latencies = Vec::with_capacity(clients * rounds);
    for round in 0..rounds {
        let test = send(
            &http,
            &base,
            &red_lead,
            reqwest::Method::POST,
            "/api/v1/tests",
            json!({"title": format!("Fan-out {round}"), "technique_id": "T1059.001"}),
        )
        .await;
        let id = test["id"].as_str().unwrap();
        let act = |action: &str| format!("/api/v1/tests/{id}/{action}");
        send(
            &http,
            &base,
            &red_tech,
            reqwest::Method::POST,
            &act("start-execution"),
            json!({}),
        )
        .await;
        send(
            &http,
            &base,
            &red_tech,
            reqwest::Method::PATCH,
            &act("red"),
            json!({"executed_at": "2026-11-22T12:00:00Z", "command": "id", "result_summary": "ok"}),
        )
        .await;
        send(
            &http,
            &base,
            &red_tech,
            reqwest::Method::POST,
            &act("submit-red"),
            json!({}),
        )
        .await;
        for _ in 0..clients {
            let latency = tokio::time::timeout(Duration::from_secs(60), latency_rx.recv())
                .await
                .expect("every stream receives every notification")
                .unwrap();
            latencies.push(latency);
        }
    }
    latencies.sort_unstable();
    println!(
        "{} deliveries ({clients} streams x {rounds} notifications): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        percentile(&latencies, 100.0)
    );
    drop(server);
}
