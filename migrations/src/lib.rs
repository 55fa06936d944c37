//! The Aegis schema with sea-orm-migration, forward and backward. Tables are described with
//! `DeriveIden` enums, never with the live entities, so old migrations stay valid forever.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_foundation;
mod m20261122_000002_attack_catalog;
mod m20261122_000003_tests;
mod m20261122_000004_notifications;
mod m20261122_000005_evidence;
mod m20261129_000006_technique_detection;
mod m20261129_000007_evidence_pending_objects;
mod m20261129_000008_coverage;
mod m20261129_000009_job_runs;
mod m20261129_000010_posture_snapshots;
mod m20261129_000011_detection_rules;
mod m20261129_000012_countermeasures;
mod m20261129_000013_test_templates;
mod m20261129_000014_intel_actors;
mod m20261129_000015_data_sources;
mod m20261129_000016_tracked_actors;
mod m20261129_000017_compliance;
mod m20261206_000018_campaigns;
mod m20261206_000019_reports;
mod m20261207_001001_detection_lifecycle;
mod m20261207_002001_risk;
mod m20261207_005001_api_keys;
mod m20261207_005002_mfa;
mod m20261207_006001_read_model_versions;
mod m20261207_007001_alerts;
mod m20261207_008001_webhooks;
mod m20261207_009001_knowledge;
mod m20261207_010001_notification_signals;
mod m20261208_001001_scanner_findings;
mod m20261208_002001_attack_paths;
mod m20261208_003001_channel_preferences;
mod m20261208_004001_tickets;
mod m20261208_010001_siem_connections;
mod m20261208_020001_scans;
mod m20261209_100001_platform_tenants;
mod m20261209_200001_sso;
mod m20261209_300001_scan_policy;
mod m20261210_100001_github;
mod m20261210_300001_scan_retention;

/// Every migration, oldest first.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_foundation::Migration),
            Box::new(m20261122_000002_attack_catalog::Migration),
            Box::new(m20261122_000003_tests::Migration),
            Box::new(m20261122_000004_notifications::Migration),
            Box::new(m20261122_000005_evidence::Migration),
            Box::new(m20261129_000006_technique_detection::Migration),
            Box::new(m20261129_000007_evidence_pending_objects::Migration),
            Box::new(m20261129_000008_coverage::Migration),
            Box::new(m20261129_000009_job_runs::Migration),
            Box::new(m20261129_000010_posture_snapshots::Migration),
            Box::new(m20261129_000011_detection_rules::Migration),
            Box::new(m20261129_000012_countermeasures::Migration),
            Box::new(m20261129_000013_test_templates::Migration),
            Box::new(m20261129_000014_intel_actors::Migration),
            Box::new(m20261129_000015_data_sources::Migration),
            Box::new(m20261129_000016_tracked_actors::Migration),
            Box::new(m20261129_000017_compliance::Migration),
            Box::new(m20261206_000018_campaigns::Migration),
            Box::new(m20261206_000019_reports::Migration),
            Box::new(m20261207_001001_detection_lifecycle::Migration),
            Box::new(m20261207_005001_api_keys::Migration),
            Box::new(m20261207_005002_mfa::Migration),
            Box::new(m20261207_002001_risk::Migration),
            Box::new(m20261207_006001_read_model_versions::Migration),
            Box::new(m20261207_008001_webhooks::Migration),
            Box::new(m20261207_010001_notification_signals::Migration),
            Box::new(m20261207_007001_alerts::Migration),
            Box::new(m20261207_009001_knowledge::Migration),
            Box::new(m20261208_001001_scanner_findings::Migration),
            Box::new(m20261208_002001_attack_paths::Migration),
            Box::new(m20261208_003001_channel_preferences::Migration),
            Box::new(m20261208_004001_tickets::Migration),
            Box::new(m20261208_010001_siem_connections::Migration),
            Box::new(m20261208_020001_scans::Migration),
            Box::new(m20261209_100001_platform_tenants::Migration),
            Box::new(m20261209_200001_sso::Migration),
            Box::new(m20261209_300001_scan_policy::Migration),
            Box::new(m20261210_100001_github::Migration),
            Box::new(m20261210_300001_scan_retention::Migration),
        ]
    }
}
