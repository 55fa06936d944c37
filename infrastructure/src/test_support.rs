//! Fresh databases for tests: a SQLite file in a temporary directory, or a new PostgreSQL
//! database per test (dropped afterwards), so runs never see each other's rows and can run
//! in parallel. PostgreSQL comes from `AEGIS_TEST_POSTGRES_URL` (default: the local server
//! with trust authentication).

use sea_orm::{ConnectionTrait, Database};

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

enum Cleanup {
    Directory(#[expect(dead_code, reason = "held for its Drop")] tempfile::TempDir),
    PostgresDatabase { admin_url: String, name: String },
}

/// A database that exists for as long as this value does.
pub struct TestDatabase {
    url: String,
    cleanup: Cleanup,
}

impl TestDatabase {
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.cleanup, Cleanup::PostgresDatabase { .. })
    }

    /// # Panics
    /// When no temporary directory can be made (a broken test machine).
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temporary directory: {e}"));
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("aegis.db").display()
        );
        Self {
            url,
            cleanup: Cleanup::Directory(dir),
        }
    }

    /// A fresh database on the server of `AEGIS_TEST_POSTGRES_URL` (default: the local one).
    ///
    /// # Panics
    /// When PostgreSQL is unreachable: the suite needs it, and says how to provide it.
    pub async fn postgres() -> Self {
        fresh_postgres(&postgres_admin_url()).await
    }

    async fn create_postgres(admin_url: &str) -> Self {
        let admin_url = admin_url.to_owned();
        let name = format!("aegis_test_{}", uuid::Uuid::now_v7().simple());
        let admin = Database::connect(&admin_url).await.unwrap_or_else(|e| {
            panic!("PostgreSQL is needed at {admin_url} (set AEGIS_TEST_POSTGRES_URL, or run scripts/test.sh): {e}")
        });
        let create = format!("CREATE DATABASE \"{name}\"");
        admin
            .execute_unprepared(&create)
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        let _ = admin.close().await;
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(base, _)| base);
        let url = format!("{base}/{name}");
        Self {
            url,
            cleanup: Cleanup::PostgresDatabase { admin_url, name },
        }
    }
}

/// `AEGIS_TEST_POSTGRES_URL`, or the local server with trust authentication.
pub fn postgres_admin_url() -> String {
    std::env::var("AEGIS_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned())
}

/// A new, empty database `aegis_test_<uuid>` on the server of `admin_url` (a URL of an
/// existing database there, used to create and later drop it). Dropped with the value.
///
/// # Panics
/// When PostgreSQL is unreachable or refuses to create the database.
pub async fn fresh_postgres(admin_url: &str) -> TestDatabase {
    TestDatabase::create_postgres(admin_url).await
}

/// A SQLite file in a new temporary directory, removed with the value.
///
/// # Panics
/// When no temporary directory can be made.
pub async fn fresh_sqlite() -> TestDatabase {
    TestDatabase::sqlite().await
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Cleanup::PostgresDatabase { admin_url, name } = &self.cleanup else {
            return;
        };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // Drop may run inside an async runtime; do the blocking clean-up on a thread of its own.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(admin) = Database::connect(&admin_url).await {
                    let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    let _ = admin.execute_unprepared(&drop).await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}
