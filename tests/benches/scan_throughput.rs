//! Benchmark: detection-as-code scans end to end on one instance.
//!
//! Starts `aegis serve` (embedded profile, a fresh data directory, the real Enterprise ATT&CK
//! bundle from the shared feeds, else the small fixture) as its own process, then:
//! - throughput: posts the 39 real SigmaHQ diffs of `detection-diffs/` back to back and waits
//!   until every scan is decided: diffs per second, from the first post to the last decision;
//! - latency: `SCAN_ROUNDS` (3) rounds of `SCAN_CONCURRENCY` (20) concurrent submissions, each
//!   polling its scan every 25 ms: P50 and P95 from the post to the decision seen.
//!
//! `cargo build --release -p aegis && cargo bench -p aegis-tests --bench scan_throughput`
//! (`AEGIS_BIN` names another binary; `AEGIS_SHARED_FEEDS` the feeds). See docs/benchmarks.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    reason = "a benchmark program"
)]

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;

use support::{feeds, setting, start, token};

const LEAD: &str = "detection.lead@bench.test";

async fn submit(client: &reqwest::Client, base: &str, token: &str, diff: &str) -> String {
    let response = client
        .post(format!("{base}/api/v1/scans?repository=SigmaHQ/sigma"))
        .bearer_auth(token)
        .header("Content-Type", "text/x-diff")
        .body(diff.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::ACCEPTED);
    let scan: Value = response.json().await.unwrap();
    scan["id"].as_str().unwrap().to_owned()
}

/// Polls until the scan is decided; fails on a scan that ends in error.
async fn decided(client: &reqwest::Client, base: &str, token: &str, id: &str) {
    loop {
        let scan: Value = client
            .get(format!("{base}/api/v1/scans/{id}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        match scan["status"].as_str() {
            Some("completed") => return,
            Some("error") => panic!("scan {id} ended in error: {scan}"),
            _ => tokio::time::sleep(Duration::from_millis(25)).await,
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank]
}

#[tokio::main]
async fn main() {
    let concurrency = setting("SCAN_CONCURRENCY", 20);
    let rounds = setting("SCAN_ROUNDS", 3);
    let feeds = feeds();
    let diffs_dir = feeds.join("detection-diffs/SigmaHQ__sigma");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&diffs_dir)
        .unwrap_or_else(|e| panic!("{}: {e} (set AEGIS_SHARED_FEEDS)", diffs_dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "patch"))
        .collect();
    names.sort();
    let diffs: Vec<String> = names
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let real = feeds.join("attack-stix/mitre__cti/enterprise-attack/enterprise-attack.json.gz");
    let attack = if real.exists() {
        real
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/attack/enterprise-v1.json")
    };
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path(), &attack, &[(LEAD, "blue_lead")]).await;
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let lead = token(&client, &base, LEAD).await;
    println!(
        "catalog: {}; {} SigmaHQ diffs ({} KiB)",
        attack.file_name().unwrap().to_string_lossy(),
        diffs.len(),
        diffs.iter().map(String::len).sum::<usize>() / 1024
    );

    // Warm-up: one scan, so the first measured one does not pay for opening connections.
    let id = submit(&client, &base, &lead, &diffs[0]).await;
    decided(&client, &base, &lead, &id).await;

    let started = Instant::now();
    let mut ids = Vec::with_capacity(diffs.len());
    for diff in &diffs {
        ids.push(submit(&client, &base, &lead, diff).await);
    }
    for id in &ids {
        decided(&client, &base, &lead, id).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "throughput: {} diffs posted back to back, all decided in {elapsed:.2} s: {:.1} diffs/s",
        diffs.len(),
        diffs.len() as f64 / elapsed
    );

    for round in 1..=rounds {
        let mut tasks = Vec::with_capacity(concurrency);
        for i in 0..concurrency {
            let (client, base, lead) = (client.clone(), base.clone(), lead.clone());
            let diff = diffs[(round * concurrency + i) % diffs.len()].clone();
            tasks.push(tokio::spawn(async move {
                let posted = Instant::now();
                let id = submit(&client, &base, &lead, &diff).await;
                decided(&client, &base, &lead, &id).await;
                posted.elapsed().as_secs_f64()
            }));
        }
        let mut latencies = Vec::with_capacity(concurrency);
        for task in tasks {
            latencies.push(task.await.unwrap());
        }
        latencies.sort_by(f64::total_cmp);
        println!(
            "round {round}: {concurrency} concurrent submissions: P50 {:.2} s, P95 {:.2} s, max {:.2} s",
            percentile(&latencies, 50.0),
            percentile(&latencies, 95.0),
            percentile(&latencies, 100.0)
        );
    }
    drop(server);
}
