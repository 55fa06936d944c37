//! The data of the read-load benchmark (`scripts/bench-reads.sh`), written through the fast
//! path: the full ATT&CK Enterprise matrix, 5,000 detection rules and 50,000 validated tests
//! spread over its techniques (1,000 per transaction), then one recomputation of every score.
//! The server that is measured is a separate `aegis serve` on the same database.
//!
//! `AEGIS_BENCH_DATABASE_URL=sqlite://…/aegis.db?mode=rwc AEGIS_BENCH_DATA_DIR=… \
//!  cargo bench -p aegis-tests --bench read_load_seed` (the bundle from AEGIS_ATTACK_BUNDLE or
//! ../shared/feeds).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    reason = "a benchmark program"
)]

use std::path::PathBuf;
use std::time::Instant;

use chrono::Utc;

use aegis::config::{Profile, Settings};
use aegis_application::context::Initiator;
use aegis_application::ports::Database;
use aegis_domain::catalog::TechniqueId;
use aegis_domain::detection::{DetectionRule, RuleSource};
use aegis_domain::ports::{CatalogRepository, RuleRepository, TechniqueFilter};
use aegis_domain::test_case::{BlueReport, Outcome, TestCase, TestId};
use aegis_domain::user::UserId;
use aegis_domain::workflow::{TestState, Verdict, Workflow};
use aegis_infrastructure::feeds::attack::FileAttackSource;

const TESTS: usize = 50_000;
const RULES: usize = 5_000;

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

#[tokio::main]
async fn main() {
    let bundle = bundle_path();
    let (Some(url), Some(dir)) = (
        std::env::var_os("AEGIS_BENCH_DATABASE_URL"),
        std::env::var_os("AEGIS_BENCH_DATA_DIR"),
    ) else {
        println!(
            "set AEGIS_BENCH_DATABASE_URL and AEGIS_BENCH_DATA_DIR (see scripts/bench-reads.sh)"
        );
        return;
    };
    let settings = Settings {
        profile: Profile::Embedded,
        data_dir: PathBuf::from(dir),
        database_url: Some(url.to_string_lossy().into_owned()),
        ..Settings::default()
    };
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
        let uow = db.begin().await.unwrap();
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
}
