//! Benchmark: the full ATT&CK Enterprise bundle into a fresh PostgreSQL database and a fresh
//! SQLite file, then the same bundle again (the idempotent no-op path).
//!
//! `cargo bench -p aegis-tests --bench attack_import` (PostgreSQL from AEGIS_TEST_POSTGRES_URL;
//! the bundle from AEGIS_ATTACK_BUNDLE or ../shared/feeds when present). See docs/benchmarks.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    reason = "a benchmark program"
)]

use std::path::PathBuf;
use std::time::Instant;

use chrono::Utc;
use sea_orm_migration::MigratorTrait;

use aegis_domain::ports::CatalogRepository;
use aegis_infrastructure::feeds::attack::parse_bundle;
use aegis_infrastructure::feeds::{MAX_FEED_BYTES, read_feed_file};
use aegis_infrastructure::persistence::{PoolSettings, connect};
use aegis_infrastructure::test_support::TestDatabase;

fn bundle_path() -> PathBuf {
    std::env::var_os("AEGIS_ATTACK_BUNDLE").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../shared/feeds/attack-stix/mitre__cti/enterprise-attack/enterprise-attack.json.gz")
        },
        PathBuf::from,
    )
}

#[tokio::main]
async fn main() {
    let path = bundle_path();
    let started = Instant::now();
    let bytes = read_feed_file(&path, MAX_FEED_BYTES).unwrap_or_else(|e| panic!("{e}"));
    let read = started.elapsed();
    let started = Instant::now();
    let release = parse_bundle(&bytes).unwrap();
    let parsed = started.elapsed();
    println!(
        "bundle {}: {} bytes read in {:.0} ms, parsed in {:.0} ms ({} techniques, {} relationships)",
        path.display(),
        bytes.len(),
        read.as_secs_f64() * 1e3,
        parsed.as_secs_f64() * 1e3,
        release.techniques.len(),
        release.relationships.len()
    );
    for (name, database) in [
        ("postgresql", TestDatabase::postgres().await),
        ("sqlite", TestDatabase::sqlite().await),
    ] {
        let db = connect(database.url(), PoolSettings::new(5)).await.unwrap();
        aegis_migrations::Migrator::up(db.connection(), None)
            .await
            .unwrap();
        let started = Instant::now();
        let first = db.apply_attack_release(&release, Utc::now()).await.unwrap();
        let first_time = started.elapsed();
        let started = Instant::now();
        let again = db.apply_attack_release(&release, Utc::now()).await.unwrap();
        let again_time = started.elapsed();
        println!(
            "{name:10}  first import {:6.0} ms ({} created)   re-import {:6.0} ms (unchanged: {})",
            first_time.as_secs_f64() * 1e3,
            first.totals().created,
            again_time.as_secs_f64() * 1e3,
            again.is_unchanged()
        );
    }
}
