//! sea-orm persistence: one code path for PostgreSQL and SQLite. One generic adapter,
//! [`SeaStore`], implements every repository port over any `ConnectionTrait`; each capability's
//! module holds its tables, its queries and its port's implementation.

mod alerts;
mod analytics;
mod api_keys;
mod attack_paths;
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
mod github;
mod idempotency;
mod jobs;
mod json_values;
mod knowledge;
mod mfa;
mod notifications;
mod osint;
mod read_models;
mod reports;
mod risk;
mod rules;
mod scan_policy;
mod scans;
mod siem;
mod snapshots;
mod sso;
mod templates;
mod tenants;
mod test_cases;
mod test_entities;
mod text_search;
mod threat_intel;
mod tickets;
mod tracked_actors;
mod users;
mod versioned;
mod webhooks;

use std::time::Duration;

use async_trait::async_trait;
use sea_orm::sqlx::sqlite::SqliteJournalMode;
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    TransactionTrait,
};

use aegis_application::ports::{Database, UnitOfWork};

use crate::notifications::{Live, NotificationHub};
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
    /// SQLite's pool of read-only connections beside the one writer (WAL lets them read
    /// while it writes); `None` for a transaction, whose reads must see its own writes, and
    /// for PostgreSQL, whose one pool already reads in parallel.
    readers: Option<DatabaseConnection>,
    /// Wakes the live notification streams of the users this store notifies.
    live: Live,
    /// The derived views this transaction moved, bumped as it commits.
    bumps: read_models::PendingBumps,
}

impl<C: ConnectionTrait> SeaStore<C> {
    fn conn(&self) -> &C {
        &self.connection
    }

    /// The connection for a read that needs no transaction: a reader when there are any,
    /// so it never queues behind the writer, else the store's own connection.
    fn read(&self) -> Reader<'_, C> {
        match &self.readers {
            Some(readers) => Reader::Pool(readers),
            None => Reader::Own(&self.connection),
        }
    }
}

/// The connection a read runs on (see [`SeaStore::read`]).
pub(crate) enum Reader<'a, C> {
    Pool(&'a DatabaseConnection),
    Own(&'a C),
}

#[async_trait]
impl<C: ConnectionTrait> ConnectionTrait for Reader<'_, C> {
    fn get_database_backend(&self) -> sea_orm::DbBackend {
        match self {
            Self::Pool(c) => c.get_database_backend(),
            Self::Own(c) => c.get_database_backend(),
        }
    }

    async fn execute_raw(&self, stmt: sea_orm::Statement) -> Result<sea_orm::ExecResult, DbErr> {
        match self {
            Self::Pool(c) => c.execute_raw(stmt).await,
            Self::Own(c) => c.execute_raw(stmt).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<sea_orm::ExecResult, DbErr> {
        match self {
            Self::Pool(c) => c.execute_unprepared(sql).await,
            Self::Own(c) => c.execute_unprepared(sql).await,
        }
    }

    async fn query_one_raw(
        &self,
        stmt: sea_orm::Statement,
    ) -> Result<Option<sea_orm::QueryResult>, DbErr> {
        match self {
            Self::Pool(c) => c.query_one_raw(stmt).await,
            Self::Own(c) => c.query_one_raw(stmt).await,
        }
    }

    async fn query_all_raw(
        &self,
        stmt: sea_orm::Statement,
    ) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
        match self {
            Self::Pool(c) => c.query_all_raw(stmt).await,
            Self::Own(c) => c.query_all_raw(stmt).await,
        }
    }

    fn support_returning(&self) -> bool {
        match self {
            Self::Pool(c) => c.support_returning(),
            Self::Own(c) => c.support_returning(),
        }
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

    /// Signals on `hub` each notification this database (or a transaction of it) commits.
    #[must_use]
    pub fn signalling(mut self, hub: NotificationHub) -> Self {
        self.live = Live::new(hub);
        self
    }
}

/// How the pools are sized and tuned (`AEGIS_DATABASE_*`).
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    /// PostgreSQL: the pool's size. SQLite: the number of read-only connections beside the
    /// one writer.
    pub max_connections: u32,
    /// Prepared statements each connection keeps, so a repeated query is parsed and planned
    /// once per connection (0 turns the cache off).
    pub statement_cache: usize,
}

impl PoolSettings {
    pub const fn new(max_connections: u32) -> Self {
        Self {
            max_connections,
            statement_cache: 256,
        }
    }
}

/// Opens the database on `url` (`postgres://…` or `sqlite://…`).
///
/// SQLite gets WAL, a 10 s busy timeout and foreign keys, and one writing connection: SQLite
/// has one writer anyway, and a single one means a transaction that starts by reading never
/// fails to upgrade its lock (`SQLITE_BUSY`) under concurrent requests. Beside it, a pool of
/// read-only connections serves the reads that need no transaction: in WAL they read the last
/// commit while the writer works, so a long import never stalls a page (an in-memory database
/// has no readers: its connections would not share it).
///
/// # Errors
/// `DbSetupError` when the database cannot be reached.
pub async fn connect(url: &str, pool: PoolSettings) -> Result<SeaDatabase, DbSetupError> {
    let sqlite = url.starts_with("sqlite:");
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(if sqlite {
            1
        } else {
            pool.max_connections.max(1)
        })
        .min_connections(if sqlite { 1 } else { 0 })
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false);
    let cache = pool.statement_cache;
    if sqlite {
        options.map_sqlx_sqlite_opts(move |o| {
            // NORMAL is durable in WAL against a crash of the process (a power cut may lose
            // the last commits, never corrupt); FULL would sync every commit.
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
                .statement_cache_capacity(cache)
        });
    } else {
        options.map_sqlx_postgres_opts(move |o| o.statement_cache_capacity(cache));
    }
    let connection = sea_orm::Database::connect(options)
        .await
        .map_err(|e| DbSetupError(e.to_string()))?;
    let readers = if sqlite && !url.contains(":memory:") && !url.contains("mode=memory") {
        Some(open_readers(url, pool).await?)
    } else {
        None
    };
    Ok(SeaDatabase {
        connection,
        readers,
        live: Live::default(),
        bumps: read_models::PendingBumps::default(),
    })
}

/// SQLite's read-only pool: opened after the writer, which created the file and turned WAL
/// on (a read-only connection cannot). Connections open on demand and stay.
async fn open_readers(url: &str, pool: PoolSettings) -> Result<DatabaseConnection, DbSetupError> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(pool.max_connections.max(1))
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(30))
        .idle_timeout(Duration::from_secs(600))
        .sqlx_logging(false);
    let cache = pool.statement_cache;
    options.map_sqlx_sqlite_opts(move |o| {
        o.read_only(true)
            .create_if_missing(false)
            .busy_timeout(Duration::from_secs(10))
            .statement_cache_capacity(cache)
    });
    sea_orm::Database::connect(options)
        .await
        .map_err(|e| DbSetupError(e.to_string()))
}

#[async_trait]
impl UnitOfWork for SeaUnitOfWork {
    async fn commit(self: Box<Self>) -> Result<(), RepositoryError> {
        self.bumps.flush(&self.connection).await?;
        let live = self.live.clone();
        self.connection.commit().await.map_err(error::unexpected)?;
        live.committed();
        Ok(())
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
            readers: None,
            live: self.live.deferred(),
            bumps: read_models::PendingBumps::deferred(),
        }))
    }

    async fn ping(&self) -> Result<(), RepositoryError> {
        self.connection.ping().await.map_err(error::unexpected)
    }
}
