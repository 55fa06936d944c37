//! Logging: human-readable on the embedded profile, JSON in production. Every line of a
//! request carries its request id through the request span.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, Settings};

/// Installs the global subscriber once; later calls (tests) are no-ops.
pub fn init(settings: &Settings) {
    // Without this, every SQL statement is logged at INFO.
    let default = format!(
        "{},sqlx=warn,sea_orm=warn,sea_orm_migration=warn",
        settings.log_level
    );
    let filter = EnvFilter::try_from_env("AEGIS_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match settings.log_format() {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Human => builder.compact().try_init(),
    };
}
