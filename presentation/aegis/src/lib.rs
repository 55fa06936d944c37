//! The `aegis` binary's library half: configuration, wiring of every layer (the only crate
//! that depends on all of them), and the command line. Tests start the real app through
//! `app::build`.

pub mod app;
pub mod backup;
pub mod bundle;
pub mod cli;
pub mod config;
pub mod demo;
pub mod migrate_data;
pub mod scan;
pub mod secret;
pub mod telemetry;
