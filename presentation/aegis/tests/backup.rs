//! The backup drill: the demo data set backed up while it is there, restored into an empty
//! installation, and proven the same (row counts, object hashes, audit chains, report seals);
//! a damaged backup and a used target are refused. On SQLite and on PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use aegis_infrastructure::test_support::TestDatabase;
use sea_orm::{ConnectionTrait, Database, Statement};

fn aegis(data_dir: &Path, database: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aegis"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AEGIS_FIRST_START_SYNC", "false")
        .env("AEGIS_DATA_DIR", data_dir)
        .env("AEGIS_BCRYPT_COST", "4")
        .env("AEGIS_LOG", "warn")
        .current_dir(data_dir)
        .stdin(Stdio::null());
    if let Some(url) = database {
        command.env("AEGIS_DATABASE_URL", url);
    }
    command.output().unwrap()
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

async fn row_counts(url: &str) -> BTreeMap<String, i64> {
    let db = Database::connect(url).await.unwrap();
    let backend = db.get_database_backend();
    let sql = if url.starts_with("sqlite:") {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    } else {
        "SELECT table_schema || '.' || table_name AS name FROM information_schema.tables \
         WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')"
    };
    let mut counts = BTreeMap::new();
    for row in db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
    {
        let name: String = row.try_get("", "name").unwrap();
        let quoted: Vec<String> = name.split('.').map(|p| format!("\"{p}\"")).collect();
        let n: i64 = db
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT COUNT(*) AS n FROM {}", quoted.join(".")),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get("", "n")
            .unwrap();
        counts.insert(name, n);
    }
    db.close().await.unwrap();
    counts
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}?mode=ro", dir.join("aegis.db").display())
}

/// The drill between two installations; `databases` are their URLs on PostgreSQL, `None`
/// for the embedded SQLite file of each data directory.
fn drill(databases: Option<(String, String, String)>) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let source = tempfile::tempdir().unwrap();
    let target = tempfile::tempdir().unwrap();
    let spare = tempfile::tempdir().unwrap();
    let backups = tempfile::tempdir().unwrap();
    let (source_db, target_db, spare_db) = match &databases {
        Some((a, b, c)) => (Some(a.as_str()), Some(b.as_str()), Some(c.as_str())),
        None => (None, None, None),
    };

    ok(&aegis(source.path(), source_db, &["demo"]));
    let to = backups.path().join("b1");
    let said = ok(&aegis(
        source.path(),
        source_db,
        &["backup", "--to", to.to_str().unwrap()],
    ));
    assert!(said.contains("backed up into"), "{said}");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(to.join("manifest.json")).unwrap()).unwrap();
    let objects = manifest["objects"].as_array().unwrap();
    assert!(objects.iter().any(|o| o["kind"] == "evidence"));
    assert_eq!(objects.iter().filter(|o| o["kind"] == "report").count(), 1);
    assert_eq!(manifest["includes_secret"], true);

    let said = ok(&aegis(
        target.path(),
        target_db,
        &["restore", "--from", to.to_str().unwrap()],
    ));
    assert!(said.contains("1 report seal(s) valid"), "{said}");
    assert!(
        said.contains(&format!("{} objects matching", objects.len())),
        "{said}"
    );
    let said = ok(&aegis(target.path(), target_db, &["audit", "verify"]));
    assert!(said.contains("intact"), "{said}");

    let (source_url, target_url) = match &databases {
        Some((a, b, _)) => (a.clone(), b.clone()),
        None => (sqlite_url(source.path()), sqlite_url(target.path())),
    };
    let restored = runtime.block_on(row_counts(&target_url));
    assert_eq!(runtime.block_on(row_counts(&source_url)), restored);
    let listed: BTreeMap<String, i64> = manifest["tables"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_i64().unwrap()))
        .collect();
    assert_eq!(listed, restored, "the manifest counts what was restored");

    // The target is in use now: a second restore is refused.
    let again = aegis(
        target.path(),
        target_db,
        &["restore", "--from", to.to_str().unwrap()],
    );
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("not empty"),
        "{again:?}"
    );

    // One flipped byte in one evidence file: refused before anything is written.
    let evidence = objects.iter().find(|o| o["kind"] == "evidence").unwrap();
    let file = to.join("objects").join(evidence["key"].as_str().unwrap());
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&file, bytes).unwrap();
    let damaged = aegis(
        spare.path(),
        spare_db,
        &["restore", "--from", to.to_str().unwrap()],
    );
    assert!(!damaged.status.success());
    assert!(
        String::from_utf8_lossy(&damaged.stderr).contains("damaged"),
        "{damaged:?}"
    );
    assert!(
        !spare.path().join("aegis.db").exists(),
        "nothing was written"
    );
}

#[test]
fn a_backup_of_the_embedded_profile_restores_and_verifies() {
    drill(None);
}

#[test]
fn a_backup_of_postgresql_restores_and_verifies() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (a, b, c) = runtime.block_on(async {
        (
            TestDatabase::postgres().await,
            TestDatabase::postgres().await,
            TestDatabase::postgres().await,
        )
    });
    drill(Some((
        a.url().to_owned(),
        b.url().to_owned(),
        c.url().to_owned(),
    )));
    drop(runtime);
    drop((a, b, c));
}

/// The S3 server the test command starts, as the production profile's settings name it.
fn s3_settings() -> Option<Vec<(&'static str, String)>> {
    let var = |name: &str| std::env::var(name).ok();
    Some(vec![
        ("AEGIS_S3_ENDPOINT", var("AEGIS_TEST_S3_ENDPOINT")?),
        ("AEGIS_S3_ACCESS_KEY", var("AEGIS_TEST_S3_ACCESS_KEY")?),
        ("AEGIS_S3_SECRET_KEY", var("AEGIS_TEST_S3_SECRET_KEY")?),
        ("AEGIS_S3_BUCKET", var("AEGIS_TEST_S3_BUCKET")?),
        (
            "AEGIS_S3_REGION",
            var("AEGIS_TEST_S3_REGION").unwrap_or_else(|| "us-east-1".to_owned()),
        ),
    ])
}

fn aegis_with(data_dir: &Path, env: &[(&str, String)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aegis"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AEGIS_FIRST_START_SYNC", "false")
        .env("AEGIS_DATA_DIR", data_dir)
        .env("AEGIS_BCRYPT_COST", "4")
        .env("AEGIS_LOG", "warn")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .current_dir(data_dir)
        .stdin(Stdio::null());
    command.output().unwrap()
}

#[test]
fn an_embedded_installation_moves_to_postgresql_and_s3_and_verifies() {
    let Some(s3) = s3_settings() else {
        eprintln!("skipped: AEGIS_TEST_S3_* is not set (scripts/test.sh starts an S3 server)");
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (target, used) = runtime.block_on(async {
        (
            TestDatabase::postgres().await,
            TestDatabase::postgres().await,
        )
    });
    let source = tempfile::tempdir().unwrap();
    ok(&aegis(source.path(), None, &["demo"]));

    let said = ok(&aegis_with(
        source.path(),
        &s3,
        &["migrate-data", "--to", target.url()],
    ));
    assert!(said.contains("moved into PostgreSQL and S3"), "{said}");
    assert!(said.contains("1 report seal(s) valid"), "{said}");
    assert!(said.contains("AEGIS_SECRET_KEY"), "{said}");

    // Every table PostgreSQL has holds what SQLite held; the SQLite-only search index and
    // job queue stay behind.
    let embedded = runtime.block_on(row_counts(&sqlite_url(source.path())));
    let production = runtime.block_on(row_counts(target.url()));
    let mut compared = 0;
    for (table, rows) in &production {
        let Some(name) = table.strip_prefix("public.") else {
            continue;
        };
        if name == "seaql_migrations" {
            continue;
        }
        assert_eq!(embedded.get(name), Some(rows), "{name}");
        compared += 1;
    }
    assert!(compared > 40, "{compared} tables compared");
    assert!(embedded["users"] > 0 && embedded["evidence"] > 0);

    // The production profile runs on what was moved: the secret it needs is the data
    // directory's, and its audit trail verifies.
    let secret = std::fs::read_to_string(source.path().join("secret.key")).unwrap();
    let production_dir = tempfile::tempdir().unwrap();
    let mut env = s3.clone();
    env.extend([
        ("AEGIS_PROFILE", "production".to_owned()),
        ("AEGIS_DATABASE_URL", target.url().to_owned()),
        ("AEGIS_SECRET_KEY", secret.trim().to_owned()),
    ]);
    let said = ok(&aegis_with(
        production_dir.path(),
        &env,
        &["audit", "verify"],
    ));
    assert!(said.contains("intact"), "{said}");

    // A database with rows is never overwritten, and the embedded profile moves only from
    // SQLite.
    let second = tempfile::tempdir().unwrap();
    ok(&aegis(second.path(), None, &["demo"]));
    let again = aegis_with(second.path(), &s3, &["migrate-data", "--to", target.url()]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("not empty"),
        "{again:?}"
    );
    let mut from_postgres = s3.clone();
    from_postgres.push(("AEGIS_DATABASE_URL", used.url().to_owned()));
    let refused = aegis_with(
        second.path(),
        &from_postgres,
        &["migrate-data", "--to", target.url()],
    );
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("already uses PostgreSQL"),
        "{refused:?}"
    );
    drop(runtime);
    drop((target, used));
}
