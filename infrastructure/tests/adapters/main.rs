//! Adapter tests that the end-to-end crate's repository suite (`tests/repositories`) does not
//! cover: the audit chain under concurrent writers, and the head's compare-and-swap. Each test
//! runs on a fresh SQLite file and on a fresh PostgreSQL database.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    unreachable_pub,
    reason = "test code: a failed unwrap is a failed test"
)]

mod audit;
mod mail;
mod siem;
mod telemetry;

use chrono::{DateTime, SubsecRound, Utc};
use uuid::Uuid;

use aegis_domain::ports::TenantRepository;
use aegis_domain::tenant::{Tenant, TenantId, TenantSlug};
use aegis_infrastructure::persistence::{PoolSettings, SeaDatabase, connect};
use aegis_infrastructure::test_support::{
    TestDatabase, fresh_postgres, fresh_sqlite, postgres_admin_url,
};
use aegis_migrations::{Migrator, MigratorTrait};

/// A migrated database that lives as long as this value.
pub struct Store {
    pub db: SeaDatabase,
    _guard: TestDatabase,
}

// A scenario's `async move` block would otherwise capture only `db` and drop the guard (and
// with it the database) before running: a type with `Drop` is captured whole.
impl Drop for Store {
    fn drop(&mut self) {}
}

pub async fn store(postgres: bool) -> Store {
    let guard = if postgres {
        fresh_postgres(&postgres_admin_url()).await
    } else {
        fresh_sqlite().await
    };
    let db = connect(guard.url(), PoolSettings::new(8)).await.unwrap();
    Migrator::up(db.connection(), None).await.unwrap();
    Store { db, _guard: guard }
}

pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

pub async fn tenant(db: &SeaDatabase, slug: &str) -> TenantId {
    let tenant = Tenant {
        id: TenantId::from_uuid(Uuid::now_v7()),
        slug: TenantSlug::parse(slug).unwrap(),
        name: slug.to_uppercase(),
        created_at: now(),
        disabled_at: None,
    };
    db.insert_tenant(&tenant).await.unwrap();
    tenant.id
}

/// Runs one scenario (`|store: Store| async move { .. }`) as two tests, `sqlite` and `postgres`.
#[macro_export]
macro_rules! on_both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let scenario = $body;
                scenario($crate::store(false).await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let scenario = $body;
                scenario($crate::store(true).await).await;
            }
        }
    };
}
