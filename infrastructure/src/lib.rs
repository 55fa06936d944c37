//! Aegis adapters: sea-orm repositories for PostgreSQL and SQLite, bcrypt, JWT, evidence
//! stores. Each implements a port of `aegis-domain` or `aegis-application`.

pub mod credentials;
pub mod evidence;
pub mod feeds;
pub mod jobs;
pub mod persistence;
pub mod reports;
pub mod security;
pub mod telemetry;
#[cfg(feature = "test-support")]
pub mod test_support;
