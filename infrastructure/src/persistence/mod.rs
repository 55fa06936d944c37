//! sea-orm persistence: one code path for PostgreSQL and SQLite. One generic adapter,
//! [`SeaStore`], implements every repository port over any `ConnectionTrait`; each capability's
//! module holds its tables, its queries and its port's implementation.

mod api_keys;
mod audit_log;
mod auth;
mod campaigns;
mod catalog;
mod compliance;
mod countermeasures;
mod coverage;
mod dashboard;
mod data_sources;
mod detection_lifecycle;
mod entities;
mod error;
mod evidence;
mod findings;
mod idempotency;
mod jobs;
mod json_values;
mod mfa;
mod notifications;
mod osint;
mod reports;
mod risk;
mod rules;
mod snapshots;
mod templates;
mod tenants;
mod test_cases;
mod test_entities;
mod text_search;
mod threat_intel;
mod tracked_actors;
mod users;
mod versioned;

use std::time::Duration;

use async_trait::async_trait;
use sea_orm::sqlx::sqlite::SqliteJournalMode;
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DatabaseTransaction, TransactionTrait,
};

use aegis_application::ports::{Database, UnitOfWork};
use aegis_domain::ports::RepositoryError;

#[derive(Debug, thiserror::Error)]
#[error("cannot connect to the database: {0}")]
pub struct DbSetupError(String);

/// A transaction that will write. On SQLite it takes the write lock at `BEGIN` (IMMEDIATE):
/// a deferred transaction that reads first cannot wait for another process's writer and fails
/// with `database is locked`, while an immediate one waits out the busy timeout.
pub(crate) async fn begin_write<C: Connection>(
    connection: &C,
) -> Result<DatabaseTransaction, sea_orm::DbErr> {
    if connection.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        connection
            .begin_with_options(sea_orm::TransactionOptions {
                sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                ..sea_orm::TransactionOptions::default()
            })
            .await
    } else {
        connection.begin().await
    }
}

/// What the adapter needs of a connection: queries, and transactions (on a transaction, a
/// nested one is a savepoint, so an import can run inside a caller's unit of work).
pub(crate) trait Connection:
    ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction> + Send + Sync
{
}

impl<T> Connection for T where
    T: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction> + Send + Sync
{
}

/// The one sea-orm adapter of every repository port, over any connection: a pool
/// ([`SeaDatabase`], autocommit reads) or a transaction ([`SeaUnitOfWork`]). Each capability's
/// module implements its port for it once, so both share one implementation and a write and
/// its audit entry can share a transaction.
#[derive(Debug, Clone)]
pub struct SeaStore<C> {
    connection: C,
}

impl<C: ConnectionTrait> SeaStore<C> {
    fn conn(&self) -> &C {
        &self.connection
    }
}

/// The database behind the `Database` port.
pub type SeaDatabase = SeaStore<DatabaseConnection>;

/// One transaction; dropping it without `commit` rolls back.
pub type SeaUnitOfWork = SeaStore<DatabaseTransaction>;

impl SeaDatabase {
    /// The raw connection, for the composition root's migrations.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.connection
    }
}

/// Opens a pool on `url` (`postgres://…` or `sqlite://…`).
///
/// SQLite gets WAL, a 10 s busy timeout and foreign keys, and exactly one connection:
/// SQLite has one writer anyway, and a single connection means a transaction that starts by
/// reading never fails to upgrade its lock (`SQLITE_BUSY`) under concurrent requests.
///
/// # Errors
/// `DbSetupError` when the database cannot be reached.
pub async fn connect(url: &str, max_connections: u32) -> Result<SeaDatabase, DbSetupError> {
    let sqlite = url.starts_with("sqlite:");
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(if sqlite { 1 } else { max_connections.max(1) })
        .min_connections(if sqlite { 1 } else { 0 })
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false);
    if sqlite {
        options.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
        });
    }
    let connection = sea_orm::Database::connect(options)
        .await
        .map_err(|e| DbSetupError(e.to_string()))?;
    Ok(SeaDatabase { connection })
}

#[async_trait]
impl UnitOfWork for SeaUnitOfWork {
    async fn commit(self: Box<Self>) -> Result<(), RepositoryError> {
        self.connection.commit().await.map_err(error::unexpected)
    }
}

#[async_trait]
impl Database for SeaDatabase {
    async fn begin(&self) -> Result<Box<dyn UnitOfWork>, RepositoryError> {
        let transaction = begin_write(&self.connection)
            .await
            .map_err(error::unexpected)?;
        Ok(Box::new(SeaStore {
            connection: transaction,
        }))
    }

    async fn ping(&self) -> Result<(), RepositoryError> {
        self.connection.ping().await.map_err(error::unexpected)
    }
}
