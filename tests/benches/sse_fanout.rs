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

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::sync::mpsc;

const FIRST_PASSWORD: &str = "Aegis#Welcome-2026";
const PASSWORD: &str = "Aegis#Bench-Sse-2026";

fn binary() -> PathBuf {
    std::env::var_os("AEGIS_BIN").map_or_else(
        || {
            // target/<profile>/deps/sse_fanout-… -> target/<profile>/aegis
            let exe = std::env::current_exe().unwrap();
            exe.parent().unwrap().parent().unwrap().join("aegis")
        },
        PathBuf::from,
    )
}

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The server process, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn aegis(data: &std::path::Path, port: u16) -> Command {
    let mut command = Command::new(binary());
    command
        .env("AEGIS_DATA_DIR", data)
        .env("AEGIS_LISTEN", format!("127.0.0.1:{port}"))
        .env("AEGIS_BCRYPT_COST", "4")
        .env("AEGIS_AUTH_RATE_LIMIT_PER_MINUTE", "100000")
        .env("AEGIS_LOG_LEVEL", "warn")
        .stdout(Stdio::null());
    command
}

fn start(data: &std::path::Path, port: u16) -> Server {
    let fixture =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/attack/enterprise-v1.json");
    assert!(
        aegis(data, port)
            .args(["migrate", "up"])
            .status()
            .unwrap()
            .success()
    );
    assert!(
        aegis(data, port)
            .args(["import", "attack", "--path"])
            .arg(&fixture)
            .status()
            .unwrap()
            .success()
    );
    for (email, role) in [
        ("red.lead@bench.test", "red_lead"),
        ("red.tech@bench.test", "red_tech"),
        ("blue.tech@bench.test", "blue_tech"),
    ] {
        let mut create = aegis(data, port)
            .args(["admin", "create-user", "--email", email, "--role", role])
            .args(["--display-name", role, "--password-stdin"])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        create
            .stdin
            .take()
            .unwrap()
            .write_all(FIRST_PASSWORD.as_bytes())
            .unwrap();
        assert!(create.wait().unwrap().success());
    }
    Server(aegis(data, port).arg("serve").spawn().unwrap())
}

fn resident_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

async fn token(client: &reqwest::Client, base: &str, email: &str) -> String {
    let login = |password: &'static str| {
        client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
    };
    let first: Value = login(FIRST_PASSWORD).await.unwrap().json().await.unwrap();
    let changed = client
        .post(format!("{base}/api/v1/auth/change-password"))
        .bearer_auth(first["access_token"].as_str().unwrap())
        .json(&json!({"current_password": FIRST_PASSWORD, "new_password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(changed.status().is_success(), "{}", changed.status());
    let answer: Value = login(PASSWORD).await.unwrap().json().await.unwrap();
    answer["access_token"].as_str().unwrap().to_owned()
}

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
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = start(data.path(), port);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients + 8)
        .build()
        .unwrap();
    for _ in 0..300 {
        if http
            .get(format!("{base}/ready"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let red_lead = token(&http, &base, "red.lead@bench.test").await;
    let red_tech = token(&http, &base, "red.tech@bench.test").await;
    let blue = token(&http, &base, "blue.tech@bench.test").await;

    let idle = resident_kib(server.0.id());
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
    let streaming = resident_kib(server.0.id());
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
