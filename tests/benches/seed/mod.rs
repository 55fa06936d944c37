//! The data the scale benchmarks share, written through the fast path: the full ATT&CK
//! Enterprise matrix, synthetic detection rules and validated tests spread over its techniques.
//! One place, so that the coverage, confidence and read-load figures measure the same data.
//! Included by each benchmark with `mod seed;` (a folder, so cargo does not take it for a
//! benchmark of its own).

#![allow(dead_code, reason = "each benchmark uses the part it needs")]

use std::path::PathBuf;
use std::time::Instant;

use chrono::{DateTime, Utc};

use aegis_application::Services;
use aegis_application::context::Initiator;
use aegis_application::ports::Database;
use aegis_domain::catalog::TechniqueId;
use aegis_domain::detection::{DetectionRule, RuleSource};
use aegis_domain::ports::{CatalogRepository, RuleRepository, TechniqueFilter};
use aegis_domain::tenant::TenantId;
use aegis_domain::test_case::{BlueReport, Outcome, TestCase, TestId};
use aegis_domain::user::UserId;
use aegis_domain::workflow::{TestState, Verdict, Workflow};
use aegis_infrastructure::feeds::attack::FileAttackSource;

/// Tests written per transaction.
const BATCH: usize = 1_000;

/// The Enterprise bundle: AEGIS_ATTACK_BUNDLE, or the one in ../shared/feeds.
pub(crate) fn bundle_path() -> PathBuf {
    std::env::var_os("AEGIS_ATTACK_BUNDLE").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../shared/feeds/attack-stix/mitre__cti/enterprise-attack/enterprise-attack.json.gz")
        },
        PathBuf::from,
    )
}

/// A small deterministic generator: the same data every run.
pub(crate) struct Lcg(pub u64);

impl Lcg {
    pub(crate) fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        usize::try_from((self.0 >> 33) % below as u64).unwrap()
    }
}

/// Imports the bundle as the tenant's system and returns every technique and sub-technique.
pub(crate) async fn import_attack(
    services: &Services,
    catalog: &dyn CatalogRepository,
    tenant: TenantId,
) -> Vec<TechniqueId> {
    let started = Instant::now();
    services
        .catalog
        .import_attack(
            &Initiator::System { tenant },
            &FileAttackSource::new(bundle_path()),
        )
        .await
        .unwrap();
    let techniques: Vec<TechniqueId> = catalog
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
    techniques
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

/// `count` Sigma rules, each on a technique drawn from `techniques`.
pub(crate) async fn apply_rules(
    rules: &dyn RuleRepository,
    techniques: &[TechniqueId],
    random: &mut Lcg,
    count: usize,
) {
    let written: Vec<DetectionRule> = (0..count)
        .map(|n| rule(n, &techniques[random.next(techniques.len())]))
        .collect();
    let started = Instant::now();
    rules
        .apply_rules(RuleSource::Sigma, &written, Utc::now())
        .await
        .unwrap();
    println!(
        "{count} rules imported in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// `count` validated tests over the last year, on techniques drawn from `techniques`, with an
/// outcome drawn from every outcome and, when `platforms` names some, a platform among them.
pub(crate) async fn insert_validated_tests(
    db: &dyn Database,
    tenant: TenantId,
    operator: UserId,
    techniques: &[TechniqueId],
    random: &mut Lcg,
    count: usize,
    platforms: &[&str],
) {
    let started = Instant::now();
    let now = Utc::now();
    for batch in 0..count.div_ceil(BATCH) {
        let uow = db.begin().await.unwrap();
        for n in 0..BATCH.min(count - batch * BATCH) {
            let validated_at: DateTime<Utc> =
                now - chrono::Duration::hours(i64::try_from(random.next(24 * 365)).unwrap());
            let mut test = TestCase::draft(
                TestId::from_uuid(uuid::Uuid::new_v4()),
                tenant,
                format!("Bench test {}", batch * BATCH + n),
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
            if !platforms.is_empty() {
                test.platform = Some(platforms[random.next(platforms.len())].to_owned());
            }
            test.blue = BlueReport {
                outcome: Some(Outcome::ALL[random.next(Outcome::ALL.len())]),
                ..BlueReport::default()
            };
            test.validated_at = Some(validated_at);
            uow.insert_test(tenant, &test).await.unwrap();
        }
        uow.commit().await.unwrap();
    }
    println!(
        "{count} validated tests inserted in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

const OPERATOR_PASSWORD: &str = "Bootstrap#Keeper-2026";
const OPERATOR_NEW_PASSWORD: &str = "Kq9!vZr2#mTx7Lp";

/// A server on a fresh PostgreSQL database (the embedded profile otherwise), for the
/// benchmarks that time requests: its API's base URL and the services to seed through.
pub(crate) struct BenchServer {
    pub(crate) base: String,
    pub(crate) prepared: aegis::app::Prepared,
    // Kept alive for the run: the database is dropped with it, the directory removed.
    _database: aegis_infrastructure::test_support::TestDatabase,
    _data_dir: tempfile::TempDir,
}

impl BenchServer {
    pub(crate) fn database_url(&self) -> &str {
        self._database.url()
    }
}

pub(crate) async fn start_on_postgres() -> BenchServer {
    let database = aegis_infrastructure::test_support::TestDatabase::postgres().await;
    let data_dir = tempfile::tempdir().unwrap();
    let settings = aegis::config::Settings {
        profile: aegis::config::Profile::Embedded,
        listen: "127.0.0.1:0".to_owned(),
        data_dir: data_dir.path().to_owned(),
        database_url: Some(database.url().to_owned()),
        database_max_connections: 10,
        admin_email: "operator@aegis.test".to_owned(),
        admin_password: Some(secrecy::SecretString::from(OPERATOR_PASSWORD)),
        bcrypt_cost: 4,
        http_workers: Some(2),
        ..aegis::config::Settings::default()
    };
    let application = aegis::app::build(&settings).await.unwrap();
    let base = format!("http://127.0.0.1:{}/api/v1", application.port);
    tokio::spawn(application.server);
    let prepared = aegis::app::prepare(&settings).await.unwrap();
    BenchServer {
        base,
        prepared,
        _database: database,
        _data_dir: data_dir,
    }
}

/// The operator's access token, after the first sign-in's password change.
pub(crate) async fn operator_token(client: &reqwest::Client, base: &str) -> String {
    let login = |password: &'static str| {
        let client = client.clone();
        let url = format!("{base}/auth/login");
        async move {
            let body: serde_json::Value = client
                .post(url)
                .json(&serde_json::json!({"email": "operator@aegis.test", "password": password}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body["access_token"].as_str().unwrap().to_owned()
        }
    };
    let first = login(OPERATOR_PASSWORD).await;
    client
        .post(format!("{base}/auth/change-password"))
        .bearer_auth(&first)
        .json(&serde_json::json!({"current_password": OPERATOR_PASSWORD, "new_password": OPERATOR_NEW_PASSWORD}))
        .send()
        .await
        .unwrap();
    login(OPERATOR_NEW_PASSWORD).await
}
