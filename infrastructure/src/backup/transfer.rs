//! Moving an embedded installation's rows into PostgreSQL (`aegis migrate-data`): every table
//! the PostgreSQL schema has is filled from the SQLite copy of the same name, in one
//! transaction, with each value converted to its PostgreSQL column's type.
//!
//! Foreign keys are dropped for the copy and added back before the commit, so rows go in table
//! by table in any order (self-references included) and PostgreSQL still checks every
//! reference once, on the whole data set.

use std::collections::BTreeMap;

use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, Statement,
    TransactionTrait, Value,
};

use super::{BackupError, quoted};

/// The table sea-orm-migration keeps: the target's own, written by its migrations.
const MIGRATIONS_TABLE: &str = "seaql_migrations";
/// Rows read from SQLite at a time.
const READ_PAGE: usize = 5_000;
/// PostgreSQL takes at most 65,535 parameters per statement.
const MAX_PARAMETERS: usize = 60_000;

/// What a transfer copied, and which SQLite tables it left behind (the SQLite-only search
/// index and job queue tables: PostgreSQL keeps its own).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transferred {
    pub tables: BTreeMap<String, u64>,
    pub left_behind: Vec<String>,
}

/// A PostgreSQL column as the copy writes it.
#[derive(Debug, Clone)]
struct TargetColumn {
    name: String,
    /// `format_type`'s spelling, usable in a cast.
    sql_type: String,
    /// The base type's name (`uuid`, `bool`, `bytea`, …).
    base: String,
}

/// Why one SQLite value has no PostgreSQL spelling.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("a {len}-byte blob cannot be a uuid")]
    NotAUuid { len: usize },
    #[error("a blob cannot go into a column of type {0}")]
    BlobInto(String),
}

/// The text PostgreSQL casts into the column's type, from SQLite's storage class and the
/// value as SQLite prints it (blobs as hex).
///
/// # Errors
/// A blob where the column holds neither uuids nor bytes.
pub fn postgres_text(
    storage: &str,
    text: Option<String>,
    base: &str,
) -> Result<Option<String>, ValueError> {
    let Some(text) = text else {
        return Ok(None);
    };
    Ok(Some(match (storage, base) {
        ("null", _) => return Ok(None),
        ("blob", "uuid") if text.len() == 32 => {
            let hex = text.to_ascii_lowercase();
            format!(
                "{}-{}-{}-{}-{}",
                &hex[0..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..20],
                &hex[20..32]
            )
        }
        ("blob", "uuid") => {
            return Err(ValueError::NotAUuid {
                len: text.len() / 2,
            });
        }
        ("blob", "bytea") => format!("\\x{text}"),
        ("blob", other) => return Err(ValueError::BlobInto(other.to_owned())),
        // SQLite keeps booleans as 0 and 1.
        ("integer", "bool") => (text != "0").to_string(),
        _ => text,
    }))
}

/// Refuses a target that holds any row outside sea-orm-migration's own table: a migration
/// goes into an installation nobody uses yet (its schema may already be there).
///
/// # Errors
/// `NotEmpty` naming the first table with rows.
pub async fn ensure_unused(target: &DatabaseConnection) -> Result<(), BackupError> {
    for table in public_tables(target).await? {
        if table == MIGRATIONS_TABLE {
            continue;
        }
        if count(target, &table).await? > 0 {
            return Err(BackupError::NotEmpty(table));
        }
    }
    Ok(())
}

/// Copies every table of the migrated PostgreSQL schema from `source` (a SQLite database at
/// the same migration), in one transaction.
///
/// # Errors
/// `SchemaDiffers` when the two are not at the same migration or a table or column is
/// missing from the source; `Transfer` naming the table whose rows PostgreSQL refused.
pub async fn copy_sqlite_into_postgres(
    source: &DatabaseConnection,
    target: &DatabaseConnection,
) -> Result<Transferred, BackupError> {
    same_migrations(source, target).await?;
    let source_tables = sqlite_tables(source).await?;
    let target_tables: Vec<String> = public_tables(target)
        .await?
        .into_iter()
        .filter(|t| t != MIGRATIONS_TABLE)
        .collect();
    if let Some(missing) = target_tables.iter().find(|t| !source_tables.contains(t)) {
        return Err(BackupError::SchemaDiffers(format!(
            "the table `{missing}` is not in the embedded database"
        )));
    }
    let transaction = target.begin().await?;
    let foreign_keys = drop_foreign_keys(&transaction).await?;
    let mut tables = BTreeMap::new();
    for table in &target_tables {
        let copied = copy_table(source, &transaction, table).await?;
        tables.insert(table.clone(), copied);
    }
    for (table, name, definition) in &foreign_keys {
        transaction
            .execute_unprepared(&format!(
                "ALTER TABLE {table} ADD CONSTRAINT {} {definition}",
                quoted(name)
            ))
            .await
            .map_err(|e| BackupError::Transfer {
                table: table.clone(),
                message: format!("a reference does not hold ({name}): {e}"),
            })?;
    }
    transaction.commit().await?;
    let left_behind = source_tables
        .into_iter()
        .filter(|t| t != MIGRATIONS_TABLE && !target_tables.contains(t))
        .collect();
    Ok(Transferred {
        tables,
        left_behind,
    })
}

async fn applied_migrations(db: &DatabaseConnection) -> Result<Vec<String>, BackupError> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT version FROM {MIGRATIONS_TABLE} ORDER BY version"),
        ))
        .await?;
    rows.into_iter()
        .map(|r| r.try_get::<String>("", "version").map_err(Into::into))
        .collect()
}

async fn same_migrations(
    source: &DatabaseConnection,
    target: &DatabaseConnection,
) -> Result<(), BackupError> {
    let (embedded, production) = (
        applied_migrations(source).await?,
        applied_migrations(target).await?,
    );
    if embedded == production {
        return Ok(());
    }
    let behind: Vec<&String> = production
        .iter()
        .filter(|v| !embedded.contains(v))
        .collect();
    Err(BackupError::SchemaDiffers(if behind.is_empty() {
        "the embedded database has migrations this Aegis does not know: use the Aegis that \
         wrote it"
            .to_owned()
    } else {
        format!(
            "the embedded database lacks {} migration(s) (first: {}): start it once with this \
             Aegis, or run `aegis migrate`, before moving it",
            behind.len(),
            behind[0]
        )
    }))
}

async fn sqlite_tables(db: &DatabaseConnection) -> Result<Vec<String>, BackupError> {
    names(
        db,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         ORDER BY name",
    )
    .await
}

async fn public_tables<C: ConnectionTrait>(db: &C) -> Result<Vec<String>, BackupError> {
    names(
        db,
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' \
         AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .await
}

async fn names<C: ConnectionTrait>(db: &C, sql: &str) -> Result<Vec<String>, BackupError> {
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    rows.into_iter()
        .map(|row| row.try_get::<String>("", "name").map_err(Into::into))
        .collect()
}

async fn count<C: ConnectionTrait>(db: &C, table: &str) -> Result<u64, BackupError> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {}", quoted(table)),
        ))
        .await?;
    let n = row.map_or(Ok(0), |r| r.try_get::<i64>("", "n"))?;
    Ok(u64::try_from(n).unwrap_or_default())
}

/// Drops every foreign key of the public schema, returning (table, name, definition) to add
/// them back.
async fn drop_foreign_keys(
    transaction: &DatabaseTransaction,
) -> Result<Vec<(String, String, String)>, BackupError> {
    let rows = transaction
        .query_all_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT c.conrelid::regclass::text AS tbl, c.conname::text AS name, \
             pg_get_constraintdef(c.oid) AS def FROM pg_constraint c \
             JOIN pg_namespace n ON n.oid = c.connamespace \
             WHERE c.contype = 'f' AND n.nspname = 'public' ORDER BY 1, 2",
        ))
        .await?;
    let mut keys = Vec::with_capacity(rows.len());
    for row in rows {
        let key: (String, String, String) = (
            row.try_get("", "tbl")?,
            row.try_get("", "name")?,
            row.try_get("", "def")?,
        );
        transaction
            .execute_unprepared(&format!(
                "ALTER TABLE {} DROP CONSTRAINT {}",
                key.0,
                quoted(&key.1)
            ))
            .await?;
        keys.push(key);
    }
    Ok(keys)
}

/// The columns PostgreSQL lets the copy write (generated ones are computed by it).
async fn target_columns(
    transaction: &DatabaseTransaction,
    table: &str,
) -> Result<Vec<TargetColumn>, BackupError> {
    let rows = transaction
        .query_all_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS sql_type, \
             t.typname::text AS base FROM pg_attribute a \
             JOIN pg_class c ON c.oid = a.attrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_type t ON t.oid = a.atttypid \
             WHERE n.nspname = 'public' AND c.relname = $1 AND a.attnum > 0 \
             AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum",
            [Value::from(table.to_owned())],
        ))
        .await?;
    rows.into_iter()
        .map(|row| {
            Ok(TargetColumn {
                name: row.try_get("", "name")?,
                sql_type: row.try_get("", "sql_type")?,
                base: row.try_get("", "base")?,
            })
        })
        .collect()
}

async fn source_columns(db: &DatabaseConnection, table: &str) -> Result<Vec<String>, BackupError> {
    names(
        db,
        &format!(
            "SELECT name FROM pragma_table_info('{}')",
            table.replace('\'', "''")
        ),
    )
    .await
}

async fn copy_table(
    source: &DatabaseConnection,
    transaction: &DatabaseTransaction,
    table: &str,
) -> Result<u64, BackupError> {
    let columns = target_columns(transaction, table).await?;
    let present = source_columns(source, table).await?;
    if let Some(missing) = columns.iter().find(|c| !present.contains(&c.name)) {
        return Err(BackupError::SchemaDiffers(format!(
            "the column `{table}.{}` is not in the embedded database",
            missing.name
        )));
    }
    // Each value with its storage class, blobs in hex: one text form for every column.
    let select = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let name = quoted(&c.name);
            format!(
                "typeof({name}) AS s{i}, CASE WHEN typeof({name}) = 'blob' THEN hex({name}) \
                 ELSE CAST({name} AS TEXT) END AS v{i}"
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let insert_head = format!(
        "INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE VALUES ",
        quoted(table),
        columns
            .iter()
            .map(|c| quoted(&c.name))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let rows_per_insert = (MAX_PARAMETERS / columns.len().max(1)).clamp(1, 1_000);
    let mut copied = 0_u64;
    loop {
        let page = source
            .query_all_raw(Statement::from_string(
                DatabaseBackend::Sqlite,
                format!(
                    "SELECT {select} FROM {} LIMIT {READ_PAGE} OFFSET {copied}",
                    quoted(table)
                ),
            ))
            .await?;
        let read = page.len();
        for chunk in page.chunks(rows_per_insert) {
            let mut values = Vec::with_capacity(chunk.len() * columns.len());
            let mut tuples = Vec::with_capacity(chunk.len());
            for row in chunk {
                let mut placeholders = Vec::with_capacity(columns.len());
                for (i, column) in columns.iter().enumerate() {
                    let storage: String = row.try_get("", &format!("s{i}"))?;
                    let text: Option<String> = row.try_get("", &format!("v{i}"))?;
                    let text = postgres_text(&storage, text, &column.base).map_err(|e| {
                        BackupError::Transfer {
                            table: table.to_owned(),
                            message: format!("column {}: {e}", column.name),
                        }
                    })?;
                    values.push(Value::from(text));
                    placeholders.push(format!(
                        "CAST(${}::text AS {})",
                        values.len(),
                        column.sql_type
                    ));
                }
                tuples.push(format!("({})", placeholders.join(", ")));
            }
            transaction
                .execute_raw(Statement::from_sql_and_values(
                    DatabaseBackend::Postgres,
                    format!("{insert_head}{}", tuples.join(", ")),
                    values,
                ))
                .await
                .map_err(|e| BackupError::Transfer {
                    table: table.to_owned(),
                    message: e.to_string(),
                })?;
        }
        copied += read as u64;
        if read < READ_PAGE {
            break;
        }
    }
    restart_sequences(transaction, table, &columns).await?;
    Ok(copied)
}

/// Serial and identity columns continue after the highest copied value.
async fn restart_sequences(
    transaction: &DatabaseTransaction,
    table: &str,
    columns: &[TargetColumn],
) -> Result<(), BackupError> {
    for column in columns
        .iter()
        .filter(|c| matches!(c.base.as_str(), "int2" | "int4" | "int8"))
    {
        let sequence = transaction
            .query_one_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT pg_get_serial_sequence($1, $2) AS seq",
                [Value::from(quoted(table)), Value::from(column.name.clone())],
            ))
            .await?
            .and_then(|row| row.try_get::<Option<String>>("", "seq").ok().flatten());
        if let Some(sequence) = sequence {
            let name = quoted(&column.name);
            transaction
                .execute_raw(Statement::from_sql_and_values(
                    DatabaseBackend::Postgres,
                    format!(
                        "SELECT setval($1::regclass, COALESCE(MAX({name}), 0) + 1, false) FROM {}",
                        quoted(table)
                    ),
                    [Value::from(sequence)],
                ))
                .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    #[test]
    fn uuids_kept_as_blobs_become_uuid_text() {
        assert_eq!(
            postgres_text("blob", text("0193A1B2C3D47E8F9A0B1C2D3E4F5A6B"), "uuid"),
            Ok(text("0193a1b2-c3d4-7e8f-9a0b-1c2d3e4f5a6b"))
        );
        assert_eq!(
            postgres_text("blob", text("0193"), "uuid"),
            Err(ValueError::NotAUuid { len: 2 })
        );
    }

    #[test]
    fn booleans_bytes_and_nulls() {
        assert_eq!(
            postgres_text("integer", text("1"), "bool"),
            Ok(text("true"))
        );
        assert_eq!(
            postgres_text("integer", text("0"), "bool"),
            Ok(text("false"))
        );
        assert_eq!(
            postgres_text("blob", text("00FF"), "bytea"),
            Ok(text("\\x00FF"))
        );
        assert_eq!(postgres_text("null", None, "text"), Ok(None));
        assert_eq!(
            postgres_text("blob", text("00"), "timestamptz"),
            Err(ValueError::BlobInto("timestamptz".to_owned()))
        );
        assert_eq!(
            postgres_text("text", text("2026-12-07T15:30:00+00:00"), "timestamptz"),
            Ok(text("2026-12-07T15:30:00+00:00"))
        );
    }
}
