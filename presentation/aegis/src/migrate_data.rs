//! `aegis migrate-data --to postgres://...`: an embedded installation (SQLite and the evidence
//! folder) moved to the production profile's PostgreSQL and S3, then proven the same with the
//! backup drill's checks: every copied table's row count, every object's hash (evidence
//! against its chain of custody), every audit chain and every report seal.
//!
//! The rows are read from a consistent copy of the SQLite file (`VACUUM INTO`), so the move
//! may start while Aegis runs; what is written after that instant stays behind, which is why
//! the guide says to stop it first.

use std::path::PathBuf;

use sea_orm::Database;
use sea_orm_migration::MigratorTrait;

use aegis_infrastructure::backup::{self, Engine, transfer};
use aegis_migrations::Migrator;

use crate::app;
use crate::backup::{Verified, checked_object, failed, verify};
use crate::cli::CliError;
use crate::config::{EvidenceBackend, Settings};

/// What a move copied and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub tables: usize,
    pub rows: u64,
    pub objects: usize,
    /// SQLite-only tables (the search index, the job queue) PostgreSQL keeps its own way.
    pub left_behind: Vec<String>,
    pub verified: Verified,
    /// Where the embedded profile's secret is, when the production profile must be given it.
    pub secret_file: Option<PathBuf>,
}

/// The production installation's settings: the same secret, PostgreSQL at `to`, and the S3
/// store the settings name.
fn production_settings(settings: &Settings, to: &str) -> Settings {
    let mut target = settings.clone();
    target.database_url = Some(to.to_owned());
    target.evidence_backend = Some(EvidenceBackend::S3);
    target
}

/// Moves this embedded installation into the empty PostgreSQL database at `to` and the S3
/// store of the settings.
///
/// # Errors
/// When this installation is not embedded, the target is in use or unreachable, the two
/// schemas differ, an object no longer matches its hash, or a check fails afterwards.
pub async fn migrate_data(settings: &Settings, to: &str) -> Result<Moved, CliError> {
    let source_url = settings.database_url();
    if Engine::of_url(&source_url) != Engine::Sqlite {
        return Err(CliError::Failed(
            "this installation already uses PostgreSQL: `aegis migrate-data` moves an embedded \
             (SQLite) installation; use `aegis backup` and `aegis restore` between PostgreSQL \
             databases"
                .to_owned(),
        ));
    }
    if Engine::of_url(to) != Engine::Postgres || !to.starts_with("postgres") {
        return Err(CliError::Failed(format!(
            "--to must be a PostgreSQL URL (postgres://user@host/database), not `{to}`"
        )));
    }
    let target_settings = production_settings(settings, to);
    let target_store = app::evidence_store(&target_settings).await?;
    let target = Database::connect(to)
        .await
        .map_err(|e| failed("connecting to the PostgreSQL database")(&e))?;
    transfer::ensure_unused(&target)
        .await
        .map_err(|e| failed("the PostgreSQL database")(&e))?;

    let source = app::wire(settings).await?;
    let snapshot = tempfile::tempdir().map_err(|e| failed("a working directory")(&e))?;
    let copy_file = snapshot.path().join(Engine::Sqlite.file_name());
    let contents = backup::dump(source.database.connection(), &source_url, &copy_file)
        .await
        .map_err(|e| failed("copying the embedded database")(&e))?;
    let copy = Database::connect(format!("sqlite://{}?mode=ro", copy_file.display()))
        .await
        .map_err(|e| failed("opening the copy")(&e))?;

    Migrator::up(&target, None)
        .await
        .map_err(|e| failed("creating the PostgreSQL schema")(&e))?;

    // Objects first: a put is idempotent, so a move that fails later can be run again, and
    // no row ever names an object the store lacks.
    let source_store = app::evidence_store(settings).await?;
    let mut objects = Vec::with_capacity(contents.objects.len());
    for named in contents.objects {
        let (bytes, object) = checked_object(source_store.as_ref(), named).await?;
        target_store
            .put(&object.key, bytes, "application/octet-stream")
            .await
            .map_err(|e| CliError::Failed(format!("storing object {}: {e}", object.key)))?;
        objects.push(object);
    }

    let transferred = transfer::copy_sqlite_into_postgres(&copy, &target)
        .await
        .map_err(|e| failed("copying the rows")(&e))?;
    copy.close()
        .await
        .map_err(|e| failed("closing the copy")(&e))?;
    let moved = backup::contents(&target)
        .await
        .map_err(|e| failed("counting the moved rows")(&e))?;
    let differ: Vec<String> = transferred
        .tables
        .keys()
        .filter_map(|table| {
            let embedded = contents.tables.get(table).copied().unwrap_or_default();
            let production = moved
                .tables
                .get(&format!("public.{table}"))
                .copied()
                .unwrap_or_default();
            (embedded != production)
                .then(|| format!("{table}: {embedded} embedded, {production} in PostgreSQL"))
        })
        .collect();
    if !differ.is_empty() {
        return Err(CliError::Failed(format!(
            "the moved row counts differ: {}",
            differ.join("; ")
        )));
    }
    target
        .close()
        .await
        .map_err(|e| failed("closing the PostgreSQL connection")(&e))?;
    let verified = verify(&target_settings, &objects, target_store.as_ref()).await?;
    Ok(Moved {
        tables: transferred.tables.len(),
        rows: transferred.tables.values().sum(),
        objects: objects.len(),
        left_behind: transferred.left_behind,
        verified,
        secret_file: settings
            .secret_key
            .is_none()
            .then(|| settings.data_dir.join("secret.key")),
    })
}
