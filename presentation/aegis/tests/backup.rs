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
