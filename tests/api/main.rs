//! End-to-end tests of the HTTP API: the real `aegis` app on a free port, on a fresh SQLite
//! file and on a fresh PostgreSQL database, driven over HTTP.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    unreachable_pub,
    reason = "test code: a failed unwrap is a failed test"
)]

mod feed_server;
mod helpers;

mod alerts;
mod analytics;
mod api_keys;
mod attack_paths;
mod audit;
mod auth;
mod campaigns;
mod catalog;
mod compliance;
mod conventions;
mod coverage;
mod data_sources;
mod demo;
mod detection_lifecycle;
mod evidence;
mod exports;
mod findings;
mod github;
mod jobs;
mod knowledge;
mod mfa;
mod notification_channels;
mod notifications;
mod osint;
mod permissions;
mod read_models;
mod reports;
mod risk;
mod rules;
mod scan_policy;
mod scans;
mod siem;
mod sso;
mod system;
mod telemetry;
mod templates;
mod tenant_isolation;
mod tenants;
mod threat_intel;
mod tickets;
mod users;
mod webhooks;
mod workflow;
