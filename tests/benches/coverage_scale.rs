//! Benchmark: coverage at scale on PostgreSQL. The full ATT&CK Enterprise matrix, 5,000
//! detection rules and 50,000 validated tests spread over its techniques; then a full
//! recomputation of every technique's score (what follows a bulk import) and 100 requests of
//! `GET /api/v1/heatmap` against a real server, with p50, p95 and max; and the recomputation
//! of the organization's risk over the whole matrix (target: under 2 s).
//!
//! `cargo bench -p aegis-tests --bench coverage_scale` (PostgreSQL from AEGIS_TEST_POSTGRES_URL;
//! the bundle from AEGIS_ATTACK_BUNDLE or ../shared/feeds). See docs/benchmarks.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    reason = "a benchmark program"
)]

mod seed;

use std::time::{Duration, Instant};

use aegis_domain::user::UserId;

const TESTS: usize = 50_000;
const RULES: usize = 5_000;
const REQUESTS: usize = 100;

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() {
    let bundle = seed::bundle_path();
    if !bundle.exists() {
        println!(
            "no ATT&CK bundle at {}: set AEGIS_ATTACK_BUNDLE",
            bundle.display()
        );
        return;
    }
    let server = seed::start_on_postgres().await;
    let base = server.base.clone();
    let services = &server.prepared.wired.services;
    let db = server.prepared.wired.database.clone();
    let tenant = server.prepared.tenant.id;

    let techniques = seed::import_attack(services, db.as_ref(), tenant).await;

    let mut random = seed::Lcg(2026);
    seed::apply_rules(db.as_ref(), &techniques, &mut random, RULES).await;

    let operator = UserId::from_uuid(uuid::Uuid::new_v4());
    seed::insert_validated_tests(
        db.as_ref(),
        tenant,
        operator,
        &techniques,
        &mut random,
        TESTS,
        &["Windows", "Linux", "macOS"],
    )
    .await;

    let started = Instant::now();
    let recomputed = services.coverage.recompute_with(&techniques).await.unwrap();
    println!(
        "full recomputation: {recomputed} technique scores in {:.2} s",
        started.elapsed().as_secs_f64()
    );

    // Risk reads the stored scores, every validated test's outcome and the intelligence
    // window, and replaces the organization's risks over the whole matrix.
    let started = Instant::now();
    let assessed = services.risk.recompute_tenant(tenant).await.unwrap();
    println!(
        "risk recomputation: {assessed} techniques over {TESTS} tests in {:.2} s",
        started.elapsed().as_secs_f64()
    );

    let client = reqwest::Client::new();
    let token = seed::operator_token(&client, &base).await;
    let mut times = Vec::with_capacity(REQUESTS);
    let mut size = 0;
    for n in 0..REQUESTS + 5 {
        let started = Instant::now();
        let response = client
            .get(format!("{base}/heatmap"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
        let body = response.bytes().await.unwrap();
        // The first five warm the connection pool and caches.
        if n >= 5 {
            times.push(started.elapsed());
        }
        size = body.len();
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q).ceil() as usize).saturating_sub(1)];
    println!(
        "GET /api/v1/heatmap x{REQUESTS} ({} KiB): p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        size / 1024,
        millis(at(0.50)),
        millis(at(0.95)),
        millis(at(1.0))
    );
}
