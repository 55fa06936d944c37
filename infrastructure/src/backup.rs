//! The database side of backups: a consistent copy of the whole database taken while Aegis
//! runs (SQLite's `VACUUM INTO`; `pg_dump` inside an exported snapshot), what that copy holds
//! (each table's row count, each stored object it names), and putting such a copy into an
//! empty database.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sea_orm::{
    ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, Statement, TransactionTrait,
};
use serde::{Deserialize, Serialize};

pub mod transfer;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("{0}")]
    Io(String),
    #[error("{tool} failed: {message}")]
    Tool { tool: &'static str, message: String },
    #[error("the target database is not empty (see the table `{0}`): it must be empty")]
    NotEmpty(String),
    #[error("the databases differ: {0}")]
    SchemaDiffers(String),
    #[error("copying `{table}`: {message}")]
    Transfer { table: String, message: String },
}

/// Which database engine a dump is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn of_url(url: &str) -> Self {
        if url.starts_with("sqlite:") {
            Self::Sqlite
        } else {
            Self::Postgres
        }
    }

    /// The dump's file name in a backup directory.
    pub const fn file_name(self) -> &'static str {
        match self {
            Self::Sqlite => "database.sqlite",
            Self::Postgres => "database.pgdump",
        }
    }
}

/// What kind of row names a stored object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    /// An evidence file; `recorded_sha256` is its chain-of-custody hash.
    Evidence,
    /// A generated report; `recorded_sha256` is the digest its seal signs.
    Report,
    /// A scan's raw diff, until its retention ends; `recorded_sha256` is the hash the scan and
    /// its signed artifact keep.
    ScanDiff,
}

/// An object in the evidence store that a row of the dump names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedObject {
    pub key: String,
    pub kind: ObjectKind,
    pub recorded_sha256: String,
}

/// What a dump holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DumpContents {
    pub tables: BTreeMap<String, u64>,
    pub objects: Vec<NamedObject>,
}

fn io(context: &str) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |e| BackupError::Io(format!("{context}: {e}"))
}

/// Every table of the database (the job queue's schema included on PostgreSQL).
async fn tables<C: ConnectionTrait>(db: &C) -> Result<Vec<String>, BackupError> {
    let sql = match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        _ => {
            "SELECT table_schema || '.' || table_name AS name FROM information_schema.tables \
             WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') \
             ORDER BY 1"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    rows.into_iter()
        .map(|row| row.try_get::<String>("", "name").map_err(Into::into))
        .collect()
}

fn quoted(name: &str) -> String {
    name.split('.')
        .map(|part| format!("\"{}\"", part.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(".")
}

/// Each table's rows and the objects the rows name, read in one consistent view.
///
/// # Errors
/// Storage failures.
pub async fn contents<C: ConnectionTrait>(db: &C) -> Result<DumpContents, BackupError> {
    let backend = db.get_database_backend();
    let mut counts = BTreeMap::new();
    for table in tables(db).await? {
        let row = db
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT COUNT(*) AS n FROM {}", quoted(&table)),
            ))
            .await?;
        let n = row.map_or(Ok(0), |r| r.try_get::<i64>("", "n"))?;
        counts.insert(table, u64::try_from(n).unwrap_or_default());
    }
    let objects_sql = "SELECT object_key AS key, sha256, 'evidence' AS kind FROM evidence \
         WHERE deleted_at IS NULL \
         UNION ALL SELECT object_key AS key, sha256, 'report' AS kind FROM reports \
         WHERE object_key IS NOT NULL \
         UNION ALL SELECT diff_key AS key, diff_sha256 AS sha256, 'scan_diff' AS kind FROM scans \
         WHERE diff_deleted_at IS NULL ORDER BY 1";
    let mut objects = Vec::new();
    for row in db
        .query_all_raw(Statement::from_string(backend, objects_sql))
        .await?
    {
        let kind: String = row.try_get("", "kind")?;
        objects.push(NamedObject {
            key: row.try_get("", "key")?,
            kind: match kind.as_str() {
                "report" => ObjectKind::Report,
                "scan_diff" => ObjectKind::ScanDiff,
                _ => ObjectKind::Evidence,
            },
            recorded_sha256: row
                .try_get::<Option<String>>("", "sha256")?
                .unwrap_or_default(),
        });
    }
    Ok(DumpContents {
        tables: counts,
        objects,
    })
}

/// Copies the live database at `url` into `file`, consistent at one instant while writes go
/// on, and returns what the copy holds.
///
/// # Errors
/// Storage failures; `Tool` when `pg_dump` is missing or fails.
pub async fn dump(
    db: &DatabaseConnection,
    url: &str,
    file: &Path,
) -> Result<DumpContents, BackupError> {
    match Engine::of_url(url) {
        Engine::Sqlite => {
            let target = file.display().to_string().replace('\'', "''");
            db.execute_unprepared(&format!("VACUUM INTO '{target}'"))
                .await?;
            // What the copy holds, read from the copy itself.
            let copy = Database::connect(format!("sqlite://{}?mode=ro", file.display())).await?;
            let contents = contents(&copy).await;
            copy.close().await?;
            contents
        }
        Engine::Postgres => {
            // The counts and pg_dump read the same exported snapshot.
            let transaction = db
                .begin_with_config(Some(sea_orm::IsolationLevel::RepeatableRead), None)
                .await?;
            let snapshot: String = transaction
                .query_one_raw(Statement::from_string(
                    DatabaseBackend::Postgres,
                    "SELECT pg_export_snapshot() AS id",
                ))
                .await?
                .ok_or_else(|| BackupError::Io("no snapshot id".to_owned()))?
                .try_get("", "id")?;
            let contents = contents(&transaction).await?;
            let output = run_tool(
                "pg_dump",
                vec![
                    "--format=custom".into(),
                    "--no-owner".into(),
                    "--no-privileges".into(),
                    format!("--snapshot={snapshot}").into(),
                    format!("--file={}", file.display()).into(),
                    format!("--dbname={url}").into(),
                ],
            )
            .await?;
            transaction.commit().await?;
            if !output.status.success() {
                return Err(BackupError::Tool {
                    tool: "pg_dump",
                    message: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
                });
            }
            Ok(contents)
        }
    }
}

/// Runs one of PostgreSQL's client tools to completion, off the async executor.
async fn run_tool(
    tool: &'static str,
    args: Vec<std::ffi::OsString>,
) -> Result<std::process::Output, BackupError> {
    tokio::task::spawn_blocking(move || std::process::Command::new(tool).args(args).output())
        .await
        .map_err(|e| BackupError::Io(e.to_string()))?
        .map_err(|e| BackupError::Tool {
            tool,
            message: format!("cannot run it (is the PostgreSQL client installed?): {e}"),
        })
}

/// The SQLite file a `sqlite://` URL opens.
fn sqlite_path(url: &str) -> PathBuf {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    PathBuf::from(path.split('?').next().unwrap_or(path))
}

/// Puts the dump `file` into the empty database at `url`, and returns what it then holds.
///
/// # Errors
/// `NotEmpty` when the target has tables; `Tool` when `pg_restore` fails.
pub async fn restore(url: &str, file: &Path) -> Result<DumpContents, BackupError> {
    match Engine::of_url(url) {
        Engine::Sqlite => {
            let target = sqlite_path(url);
            if target.exists() {
                let existing =
                    Database::connect(format!("sqlite://{}?mode=ro", target.display())).await?;
                let found = tables(&existing).await?;
                existing.close().await?;
                if let Some(table) = found.into_iter().next() {
                    return Err(BackupError::NotEmpty(table));
                }
            }
            if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
                tokio::fs::create_dir_all(parent)
                    .await
                    .map_err(io("the data directory"))?;
            }
            for suffix in ["-wal", "-shm"] {
                let _ = tokio::fs::remove_file(format!("{}{suffix}", target.display())).await;
            }
            tokio::fs::copy(file, &target)
                .await
                .map_err(io("copying the database"))?;
        }
        Engine::Postgres => {
            let db = Database::connect(url).await?;
            let found = tables(&db).await?;
            db.close().await?;
            if let Some(table) = found.into_iter().next() {
                return Err(BackupError::NotEmpty(table));
            }
            let output = run_tool(
                "pg_restore",
                vec![
                    "--no-owner".into(),
                    "--no-privileges".into(),
                    "--exit-on-error".into(),
                    format!("--dbname={url}").into(),
                    file.as_os_str().to_owned(),
                ],
            )
            .await?;
            if !output.status.success() {
                return Err(BackupError::Tool {
                    tool: "pg_restore",
                    message: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
                });
            }
        }
    }
    let db = Database::connect(url).await?;
    let contents = contents(&db).await;
    db.close().await?;
    contents
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_part_by_part() {
        assert_eq!(quoted("apalis.jobs"), "\"apalis\".\"jobs\"");
        assert_eq!(quoted("users"), "\"users\"");
        assert_eq!(quoted("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn the_sqlite_file_of_a_url() {
        assert_eq!(
            sqlite_path("sqlite:///var/lib/aegis/aegis.db?mode=rwc"),
            PathBuf::from("/var/lib/aegis/aegis.db")
        );
        assert_eq!(
            sqlite_path("sqlite://data/aegis.db"),
            PathBuf::from("data/aegis.db")
        );
    }
}
