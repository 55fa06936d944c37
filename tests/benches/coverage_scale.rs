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

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::Utc;
use secrecy::SecretString;
use serde_json::{Value, json};

use aegis::config::{Profile, Settings};
use aegis_application::context::Initiator;
use aegis_application::ports::Database;
use aegis_domain::catalog::TechniqueId;
use aegis_domain::detection::{DetectionRule, RuleSource};
use aegis_domain::ports::RuleRepository;
use aegis_domain::ports::{CatalogRepository, TechniqueFilter};
use aegis_domain::test_case::{BlueReport, Outcome, TestCase, TestId};
use aegis_domain::user::UserId;
use aegis_domain::workflow::{TestState, Verdict, Workflow};
use aegis_infrastructure::feeds::attack::FileAttackSource;
use aegis_infrastructure::test_support::TestDatabase;

const TESTS: usize = 50_000;
const RULES: usize = 5_000;
const REQUESTS: usize = 100;
const PASSWORD: &str = "Bootstrap#Keeper-2026";
const NEW_PASSWORD: &str = "Kq9!vZr2#mTx7Lp";

fn bundle_path() -> PathBuf {
    std::env::var_os("AEGIS_ATTACK_BUNDLE").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../shared/feeds/attack-stix/mitre__cti/enterprise-attack/enterprise-attack.json.gz")
        },
        PathBuf::from,
    )
}

/// A small deterministic generator: the same data every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        usize::try_from((self.0 >> 33) % below as u64).unwrap()
    }
}

fn rule(n: usize, technique: &TechniqueId) -> DetectionRule {
    DetectionRule {
        source: RuleSource::Sigma,
        source_id: format!("00000000-0000-4000-8000-{n:012}"),
        title: format!("Bench rule {n}"),
        description: String::new(),
        status: "stable".to_owned(),
        severity: "medium".to_owned(),
        risk_score: None,
        kind: "sigma".to_owned(),
        techniques: vec![technique.to_string()],
        tactics: Vec::new(),
        author: None,
        references: Vec::new(),
        false_positives: Vec::new(),
        created: None,
        modified: None,
        log_source: Some("windows/process_creation".to_owned()),
        text: format!("title: Bench rule {n}\n"),
        path: format!("rules/bench/{n}.yml"),
    }
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() {
    let bundle = bundle_path();
    if !bundle.exists() {
        println!(
            "no ATT&CK bundle at {}: set AEGIS_ATTACK_BUNDLE",
            bundle.display()
        );
        return;
    }
    let database = TestDatabase::postgres().await;
    let data_dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        profile: Profile::Embedded,
        listen: "127.0.0.1:0".to_owned(),
        data_dir: data_dir.path().to_owned(),
        database_url: Some(database.url().to_owned()),
        database_max_connections: 10,
        admin_email: "operator@aegis.test".to_owned(),
        admin_password: Some(SecretString::from(PASSWORD)),
        bcrypt_cost: 4,
        http_workers: Some(2),
        ..Settings::default()
    };
    let application = aegis::app::build(&settings).await.unwrap();
    let base = format!("http://127.0.0.1:{}/api/v1", application.port);
    tokio::spawn(application.server);
    let prepared = aegis::app::prepare(&settings).await.unwrap();
    let services = &prepared.wired.services;
    let db = prepared.wired.database.clone();
    let tenant = prepared.tenant.id;

    let started = Instant::now();
    services
        .catalog
        .import_attack(
            &Initiator::System { tenant },
            &FileAttackSource::new(&bundle),
        )
        .await
        .unwrap();
    let techniques: Vec<TechniqueId> = db
        .all_techniques(&TechniqueFilter {
            include_subtechniques: true,
            ..TechniqueFilter::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.mitre_id)
        .collect();
    println!(
        "ATT&CK imported in {:.1} s: {} techniques and sub-techniques",
        started.elapsed().as_secs_f64(),
        techniques.len()
    );

    let mut random = Lcg(2026);
    let rules: Vec<DetectionRule> = (0..RULES)
        .map(|n| rule(n, &techniques[random.next(techniques.len())]))
        .collect();
    let started = Instant::now();
    db.apply_rules(RuleSource::Sigma, &rules, Utc::now())
        .await
        .unwrap();
    println!(
        "{RULES} rules imported in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let operator = UserId::from_uuid(uuid::Uuid::new_v4());
    let platforms = ["Windows", "Linux", "macOS"];
    let outcomes = Outcome::ALL;
    let now = Utc::now();
    for batch in 0..TESTS / 1_000 {
        let uow = services_database(&prepared).begin().await.unwrap();
        for n in 0..1_000 {
            let validated_at =
                now - chrono::Duration::hours(i64::try_from(random.next(24 * 365)).unwrap());
            let mut test = TestCase::draft(
                TestId::from_uuid(uuid::Uuid::new_v4()),
                tenant,
                format!("Bench test {}", batch * 1_000 + n),
                techniques[random.next(techniques.len())].clone(),
                operator,
                validated_at,
            )
            .restored(
                Workflow::restore(
                    TestState::Validated,
                    Some(Verdict::Approve),
                    Some(Verdict::Approve),
                    false,
                ),
                1,
            );
            test.platform = Some(platforms[random.next(platforms.len())].to_owned());
            test.blue = BlueReport {
                outcome: Some(outcomes[random.next(outcomes.len())]),
                ..BlueReport::default()
            };
            test.validated_at = Some(validated_at);
            uow.insert_test(tenant, &test).await.unwrap();
        }
        uow.commit().await.unwrap();
    }
    println!(
        "{TESTS} validated tests inserted in {:.1} s",
        started.elapsed().as_secs_f64()
    );

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
    let login = |password: &'static str| {
        let client = client.clone();
        let url = format!("{base}/auth/login");
        async move {
            let body: Value = client
                .post(url)
                .json(&json!({"email": "operator@aegis.test", "password": password}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body["access_token"].as_str().unwrap().to_owned()
        }
    };
    let first = login(PASSWORD).await;
    client
        .post(format!("{base}/auth/change-password"))
        .bearer_auth(&first)
        .json(&json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}))
        .send()
        .await
        .unwrap();
    let token = login(NEW_PASSWORD).await;
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

fn services_database(
    prepared: &aegis::app::Prepared,
) -> &aegis_infrastructure::persistence::SeaDatabase {
    prepared.wired.database.as_ref()
}
