//! Benchmark: detection confidence at scale on PostgreSQL. The full ATT&CK Enterprise matrix,
//! 50,000 validated tests and 5,000 detection assets (each covering one to three techniques,
//! each proven once: most proofs current, some ended); then the confidence of every technique
//! (`GET /api/v1/detection-lifecycle/confidence`'s use case) and a full recomputation of every
//! technique's coverage score, which now reads the detection proofs too.
//!
//! `cargo bench -p aegis-tests --bench detection_confidence` (PostgreSQL from
//! AEGIS_TEST_POSTGRES_URL; the bundle from AEGIS_ATTACK_BUNDLE or ../shared/feeds). See
//! docs/benchmarks.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    reason = "a benchmark program"
)]

mod seed;

use std::time::Instant;

use chrono::Utc;
use secrecy::SecretString;

use aegis::config::{Profile, Settings};
use aegis_application::context::Actor;
use aegis_application::ports::Database;
use aegis_domain::catalog::TechniqueId;
use aegis_domain::detection_lifecycle::{
    AssetId, AssetKind, AssetRevision, DetectionAsset, DetectionValidation, ProofEnd, ProofSource,
    ValidationId,
};
use aegis_domain::ports::UserRepository;
use aegis_domain::test_case::Outcome;
use aegis_domain::user::Email;
use aegis_infrastructure::test_support::TestDatabase;

const TESTS: usize = 50_000;
const ASSETS: usize = 5_000;
const PASSWORD: &str = "Bootstrap#Keeper-2026";

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
        ..Settings::default()
    };
    // Building the app migrates the database and makes the operator's account.
    drop(aegis::app::build(&settings).await.unwrap());
    let prepared = aegis::app::prepare(&settings).await.unwrap();
    let services = &prepared.wired.services;
    let db = prepared.wired.database.clone();
    let tenant = prepared.tenant.id;
    let techniques = seed::import_attack(services, db.as_ref(), tenant).await;
    let operator = db
        .find_user_for_login(&Email::parse("operator@aegis.test").unwrap())
        .await
        .unwrap()
        .unwrap();
    let actor = Actor {
        user_id: operator.id,
        tenant_id: tenant,
        role: operator.role,
        email: operator.email.clone(),
        must_change_password: false,
        token: None,
        api_key: None,
    };

    let mut random = seed::Lcg(2026);
    seed::insert_validated_tests(
        db.as_ref(),
        tenant,
        operator.id,
        &techniques,
        &mut random,
        TESTS,
        &[],
    )
    .await;
    let now = Utc::now();

    let started = Instant::now();
    let platforms = ["splunk", "sentinel", "crowdstrike", "defender"];
    for batch in 0..ASSETS / 500 {
        let uow = db.begin().await.unwrap();
        let mut proofs = Vec::new();
        for n in 0..500 {
            let covered: Vec<TechniqueId> = (0..=random.next(3))
                .map(|_| techniques[random.next(techniques.len())].clone())
                .collect();
            let asset = DetectionAsset::new(
                AssetId::from_uuid(uuid::Uuid::now_v7()),
                tenant,
                format!("Bench asset {}", batch * 500 + n),
                AssetKind::SiemRule,
                platforms[random.next(platforms.len())].to_owned(),
                format!("rule {n}"),
                covered.clone(),
                operator.id,
                now,
            );
            let revision = AssetRevision {
                id: uuid::Uuid::now_v7(),
                asset_id: asset.id,
                version: 1,
                change: "created".to_owned(),
                content_sha256: asset.content_sha256().to_owned(),
                status: asset.status,
                changed_by: Some(operator.id),
                changed_at: now,
            };
            uow.insert_asset(tenant, &asset, &revision).await.unwrap();
            let validated_at =
                now - chrono::Duration::days(i64::try_from(random.next(200)).unwrap());
            let ended = (random.next(5) == 0).then(|| ProofEnd {
                at: now,
                reason: "rule changed since it was proven".to_owned(),
                change: None,
            });
            proofs.push(DetectionValidation {
                id: ValidationId::from_uuid(uuid::Uuid::now_v7()),
                tenant_id: tenant,
                asset_id: asset.id,
                technique_id: covered[0].clone(),
                source: ProofSource::Test,
                test_id: None,
                outcome: Some(Outcome::Detected),
                evidence: None,
                notes: String::new(),
                content_sha256: asset.content_sha256().to_owned(),
                validated_by: Some(operator.id),
                validated_at,
                expires_at: validated_at + chrono::Duration::days(180),
                ended,
            });
        }
        uow.insert_validations(tenant, &proofs).await.unwrap();
        uow.commit().await.unwrap();
    }
    println!(
        "{ASSETS} assets with one proof each inserted in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    for round in 1..=3 {
        let started = Instant::now();
        let matrix = services
            .detection_lifecycle
            .confidence_matrix(&actor)
            .await
            .unwrap();
        let proven = matrix.iter().filter(|c| c.proven > 0).count();
        println!(
            "confidence of the full matrix (round {round}): {} techniques covered, {proven} proven, in {:.3} s",
            matrix.len(),
            started.elapsed().as_secs_f64()
        );
    }
    let started = Instant::now();
    let recomputed = services.coverage.recompute_with(&techniques).await.unwrap();
    println!(
        "full coverage recomputation with detection proofs: {recomputed} technique scores in {:.2} s",
        started.elapsed().as_secs_f64()
    );
}
