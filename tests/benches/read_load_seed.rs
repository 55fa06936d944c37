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

mod seed;

use std::path::PathBuf;
use std::time::Instant;

use aegis::config::{Profile, Settings};
use aegis_domain::user::UserId;

const TESTS: usize = 50_000;
const RULES: usize = 5_000;

#[tokio::main]
async fn main() {
    let _bundle = seed::bundle_path();
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
}
