//! Benchmark: full-text search at scale on PostgreSQL. The full ATT&CK Enterprise matrix,
//! 5,000 detection rules, 50,000 validated tests and 500 playbooks; then `GET /api/v1/search`
//! against a real server for a mix of queries (technique names and ids, a playbook's body
//! word, multi-word and prefix queries), 20 rounds each, with p50, p95 and max (target: p95
//! under 50 ms); and the worst case apart, a word that every seeded test and rule holds.
//!
//! `cargo bench -p aegis-tests --bench search_scale` (PostgreSQL from AEGIS_TEST_POSTGRES_URL;
//! the bundle from AEGIS_ATTACK_BUNDLE or ../shared/feeds). See docs/benchmarks.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    reason = "a benchmark program"
)]

mod seed;

use std::time::{Duration, Instant};

use serde_json::Value;

use aegis_application::ports::Database;
use aegis_domain::knowledge::{Playbook, PlaybookContent, PlaybookId, PlaybookKind};
use aegis_domain::user::UserId;

const TESTS: usize = 50_000;
const RULES: usize = 5_000;
const PLAYBOOKS: usize = 500;
const ROUNDS: usize = 20;

/// What analysts type: names, ids, a body word, several words, a word being typed.
const QUERIES: [&str; 13] = [
    "powershell",
    "credential dumping",
    "phishing",
    "scheduled task",
    "registry run keys",
    "process injection",
    "kerberos ticket",
    "T1059",
    "T1003.001",
    "lateral tool transfer",
    "quasarbeacon",
    "exfiltration over",
    "powersh",
];

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn percentiles(mut times: Vec<Duration>) -> (f64, f64, f64) {
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q).ceil() as usize).saturating_sub(1)];
    (millis(at(0.50)), millis(at(0.95)), millis(at(1.0)))
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
    let uow = db.begin().await.unwrap();
    for n in 0..PLAYBOOKS {
        let kind = PlaybookKind::ALL[n % PlaybookKind::ALL.len()];
        let word = if n == 0 { "quasarbeacon" } else { "telemetry" };
        let (playbook, first) = Playbook::create(
            PlaybookId::from_uuid(uuid::Uuid::now_v7()),
            tenant,
            PlaybookContent {
                technique_id: techniques[random.next(techniques.len())].clone(),
                kind,
                title: format!("Playbook {n}: {kind} the technique"),
                body: format!(
                    "## Steps\n\n1. Collect the {word} of the host.\n2. Compare with the baseline.\n\
                     3. Escalate to the incident lead when the process tree is unusual.\n"
                ),
                tools: vec!["Sysmon".to_owned()],
                prerequisites: vec![],
            },
            operator,
            chrono::Utc::now(),
        );
        uow.insert_playbook(tenant, &playbook, &first)
            .await
            .unwrap();
    }
    uow.commit().await.unwrap();
    println!(
        "{PLAYBOOKS} playbooks inserted in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // Fresh statistics, as autovacuum would gather after a bulk load.
    {
        use sea_orm::ConnectionTrait;
        let connection = sea_orm::Database::connect(server.database_url())
            .await
            .unwrap();
        connection.execute_unprepared("ANALYZE").await.unwrap();
        // The plan of the largest table's part of a search: its GIN index finds the rows.
        let plan = connection
            .query_all_raw(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Postgres,
                "EXPLAIN SELECT id FROM tests WHERE search_vector @@ \
                 to_tsquery('english'::regconfig, 'powershell & encod:*')",
            ))
            .await
            .unwrap();
        for row in plan {
            let line: String = row.try_get_by_index(0).unwrap();
            println!("  plan: {line}");
        }
    }

    let client = reqwest::Client::new();
    let token = seed::operator_token(&client, &base).await;
    let search = |q: &str| {
        let request = client
            .get(format!("{base}/search"))
            .query(&[("q", q), ("limit", "20")])
            .bearer_auth(&token);
        async move {
            let started = Instant::now();
            let response = request.send().await.unwrap();
            assert!(response.status().is_success(), "{}", response.status());
            let body: Value = response.json().await.unwrap();
            (
                started.elapsed(),
                body["items"].as_array().map_or(0, Vec::len),
            )
        }
    };
    // Warm the pools and caches.
    for q in QUERIES {
        search(q).await;
    }
    let mut times = Vec::new();
    for q in QUERIES {
        let mut hits = 0;
        let mut own = Vec::new();
        for _ in 0..ROUNDS {
            let (elapsed, found) = search(q).await;
            own.push(elapsed);
            hits = found;
        }
        let (p50, p95, _) = percentiles(own.clone());
        println!("  {q:<24} {hits:>2} hits  p50 {p50:.1} ms  p95 {p95:.1} ms");
        times.extend(own);
    }
    let (p50, p95, max) = percentiles(times);
    println!(
        "GET /api/v1/search x{} over {} techniques, {RULES} rules, {TESTS} tests, {PLAYBOOKS} \
         playbooks: p50 {p50:.1} ms, p95 {p95:.1} ms, max {max:.1} ms",
        QUERIES.len() * ROUNDS,
        techniques.len()
    );
    let mut worst = Vec::new();
    for _ in 0..ROUNDS {
        worst.push(search("bench").await.0);
    }
    let (p50, p95, max) = percentiles(worst);
    println!(
        "worst case, a word in all {TESTS} tests and {RULES} rules (\"bench\"): p50 {p50:.1} ms, \
         p95 {p95:.1} ms, max {max:.1} ms"
    );
}
