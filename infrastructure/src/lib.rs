//! Aegis adapters: sea-orm repositories for PostgreSQL and SQLite, bcrypt, JWT, evidence
//! stores. Each implements a port of `aegis-domain` or `aegis-application`.

pub mod backup;
pub mod credentials;
pub mod evidence;
pub mod feeds;
pub mod github;
pub mod jobs;
pub mod mail;
pub mod notifications;
pub mod otp;
pub mod persistence;
pub mod reports;
pub mod scans;
pub mod security;
pub mod sso;
pub mod telemetry;
pub mod tickets;
pub mod webhooks;
// Fresh SQLite and PostgreSQL databases for the test suites. Not behind a feature: a feature
// that only the tests turn on gave the test build and `scripts/run.sh` different builds of
// this crate and of everything above it, so a newcomer compiled the tree twice.
#[doc(hidden)]
pub mod test_support;
