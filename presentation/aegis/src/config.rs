//! The one typed configuration: defaults, then an optional TOML file, then `AEGIS_*`
//! environment variables. `docs/configuration.md` lists every key.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use aegis_application::jobs::{JobSchedule, JobSettings};
use aegis_domain::job::{JobKind, RetryPolicy};
use aegis_infrastructure::jobs::WorkerSettings;

/// Passwords that ship in documentation and scripts everywhere; production refuses them.
const WELL_KNOWN_PASSWORDS: [&str; 8] = [
    "admin",
    "password",
    "changeme",
    "aegis",
    "Admin123!",
    "ChangeMe123!",
    "Aegis2026!",
    "AegisAdmin123!",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// SQLite, evidence on the local filesystem, zero set-up.
    Embedded,
    /// PostgreSQL, S3-compatible evidence storage, strict secrets.
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceBackend {
    Filesystem,
    S3,
}

/// How the SMTP connection is protected (`AEGIS_SMTP_SECURITY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain text: a relay on the same host or network only.
    None,
    /// STARTTLS, required (port 587).
    Starttls,
    /// Implicit TLS (port 465).
    Tls,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

/// Every setting of Aegis. Secrets are wrapped so they never print.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    pub profile: Profile,
    pub listen: String,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub database_max_connections: u32,
    /// Prepared statements each database connection keeps (0: none).
    pub database_statement_cache: usize,
    /// Apply pending migrations when `serve` starts (default: embedded yes, production no).
    pub auto_migrate: Option<bool>,
    #[serde(serialize_with = "hide")]
    pub secret_key: Option<SecretString>,
    /// The Ed25519 key that signs reports: 64 hex digits (a 32-byte seed). Without it, a key
    /// derived from the secret key signs them.
    #[serde(serialize_with = "hide")]
    pub report_signing_key: Option<SecretString>,
    /// The company name reports carry (default: the organization's name).
    pub report_company: Option<String>,
    /// A PNG, JPEG or SVG logo (at most 512 KiB) for the head of HTML reports.
    pub report_logo: Option<PathBuf>,
    pub tenant_name: String,
    pub admin_email: String,
    #[serde(serialize_with = "hide")]
    pub admin_password: Option<SecretString>,
    pub evidence_backend: Option<EvidenceBackend>,
    pub evidence_dir: Option<PathBuf>,
    pub s3_endpoint: Option<String>,
    pub s3_region: String,
    pub s3_bucket: String,
    pub s3_access_key: Option<String>,
    #[serde(serialize_with = "hide")]
    pub s3_secret_key: Option<SecretString>,
    pub s3_path_style: bool,
    /// The S3 endpoint as browsers reach it, for presigned download links (default: the
    /// endpoint itself).
    pub s3_public_endpoint: Option<String>,
    pub access_token_minutes: i64,
    pub refresh_token_days: i64,
    pub bcrypt_cost: u32,
    pub lockout_threshold: u32,
    pub lockout_base_seconds: i64,
    pub lockout_max_seconds: i64,
    pub auth_rate_limit_per_minute: u32,
    #[serde(deserialize_with = "list_or_csv")]
    pub cors_origins: Vec<String>,
    pub max_body_bytes: usize,
    pub trust_forwarded_for: bool,
    /// The bearer token a Prometheus scraper presents to read `/metrics`. Unset, `/metrics`
    /// is not served: it shares the public listener, and its counts would tell anyone who
    /// reaches it which routes are used and how they fail.
    #[serde(serialize_with = "hide")]
    pub metrics_token: Option<SecretString>,
    pub swagger_ui: Option<bool>,
    pub secure_cookies: Option<bool>,
    pub log_format: Option<LogFormat>,
    pub log_level: String,
    pub http_workers: Option<usize>,
    /// The largest evidence file accepted, in bytes.
    pub evidence_max_bytes: u64,
    /// How long a presigned evidence download link stays valid, in seconds.
    pub evidence_link_seconds: u64,
    /// How long an upload may take before the sweep treats its object as abandoned, in hours.
    pub evidence_upload_grace_hours: i64,
    /// How far the clocks of a test's telemetry may be off red's, in seconds.
    pub telemetry_clock_skew_seconds: i64,
    /// How long after red's execution a test's events still belong to its run, in seconds.
    pub telemetry_grace_seconds: i64,
    /// Run the job workers and schedulers inside `serve` (turn off when `aegis worker`
    /// processes run them).
    pub jobs_in_process: bool,
    /// Job attempts one process runs at once.
    pub job_concurrency: usize,
    /// How often an idle worker looks for due attempts, in milliseconds.
    pub job_poll_millis: u64,
    /// How often a worker reports it is alive, in seconds; after three missed heartbeats its
    /// attempts go back to the queue.
    pub job_heartbeat_seconds: u64,
    /// Attempts of a failing job before it is dead-lettered.
    pub job_max_attempts: u32,
    /// The wait before the first retry, in seconds; it doubles with each attempt (at most an
    /// hour).
    pub job_retry_seconds: u64,
    /// Read notifications are deleted after this many days.
    pub notification_retention_days: i64,
    /// Attempts of a webhook delivery before it is dead.
    pub webhook_max_attempts: u32,
    /// The wait before a delivery's first retry, in milliseconds; it doubles with each attempt
    /// (at most an hour).
    pub webhook_retry_millis: u64,
    /// Cron expressions (seconds first, UTC) of the scheduled jobs, or `off`.
    pub schedule_attack_sync: String,
    pub schedule_intel_scan: String,
    pub schedule_notification_cleanup: String,
    pub schedule_coverage_snapshot: String,
    pub schedule_coverage_refresh: String,
    pub schedule_evidence_sweep: String,
    pub schedule_feed_sync: String,
    pub schedule_recurring_campaigns: String,
    pub schedule_report_generation: String,
    pub schedule_detection_decay: String,
    pub schedule_alert_evaluation: String,
    pub schedule_webhook_delivery: String,
    pub schedule_ticket_sync: String,
    pub schedule_email_delivery: String,
    pub schedule_scan: String,
    pub schedule_github_checks: String,
    /// How scan artifacts are signed: `ed25519` (the report key, default) or `hmac-sha256`
    /// (a key derived from the server secret; verifiable only by this server).
    pub scan_signer: String,
    /// Coverage weights, in points: validated tests, detection rules, D3FEND
    /// countermeasures, freshness, platform diversity (they must add up to 100).
    pub scoring_weights: String,
    /// How sub-technique scores roll up into their parent: average, max or min.
    pub scoring_roll_up: String,
    /// A technique whose latest validation is older than this many days is stale.
    pub scoring_stale_after_days: i64,
    /// A validation loses half its weight over this many days.
    pub scoring_decay_half_life_days: f64,
    /// Freshness falls linearly to zero over this many days.
    pub scoring_freshness_days: f64,
    /// Where `sync-mitre` reads the ATT&CK bundle (and the fallback when TAXII fails).
    pub attack_url: String,
    /// A TAXII 2.1 objects URL; when set, `sync-mitre` reads TAXII first.
    pub attack_taxii_url: Option<String>,
    /// At the first start with an empty catalog, sync ATT&CK and every enabled feed at once
    /// (otherwise they wait for their schedules, or for an upload).
    pub first_start_sync: bool,
    /// The web UI as its users reach it (links in emails); default `http://<listen>`.
    pub public_url: Option<String>,
    /// The SMTP server notifications are emailed through; unset, email is off.
    pub smtp_host: Option<String>,
    /// Default: 25 without TLS, 587 with STARTTLS, 465 with TLS.
    pub smtp_port: Option<u16>,
    pub smtp_security: SmtpSecurity,
    pub smtp_username: Option<String>,
    #[serde(serialize_with = "hide")]
    pub smtp_password: Option<SecretString>,
    /// The sender, e.g. `Aegis <aegis@example.com>`.
    pub smtp_from: String,
    /// A PEM certificate to trust besides the public roots (a private CA).
    pub smtp_ca_file: Option<PathBuf>,
    pub smtp_timeout_seconds: u64,
}

fn hide<S: serde::Serializer>(_: &Option<SecretString>, serializer: S) -> Result<S::Ok, S::Error> {
    // Secrets are never written out; figment only serializes the defaults, which hold none.
    serializer.serialize_none()
}

/// Accepts a list (`["a", "b"]` in TOML) or a comma-separated string (an environment variable).
fn list_or_csv<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrCsv {
        List(Vec<String>),
        Csv(String),
    }
    Ok(match ListOrCsv::deserialize(deserializer)? {
        ListOrCsv::List(items) => items,
        ListOrCsv::Csv(text) => text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            profile: Profile::Embedded,
            listen: "127.0.0.1:8080".to_owned(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            database_max_connections: 10,
            database_statement_cache: 256,
            auto_migrate: None,
            secret_key: None,
            report_signing_key: None,
            report_company: None,
            report_logo: None,
            tenant_name: "Default".to_owned(),
            admin_email: "admin@aegis.local".to_owned(),
            admin_password: None,
            evidence_backend: None,
            evidence_dir: None,
            s3_endpoint: None,
            s3_region: "us-east-1".to_owned(),
            s3_bucket: "aegis-evidence".to_owned(),
            s3_access_key: None,
            s3_secret_key: None,
            s3_path_style: true,
            s3_public_endpoint: None,
            access_token_minutes: 15,
            refresh_token_days: 14,
            bcrypt_cost: 12,
            lockout_threshold: 5,
            lockout_base_seconds: 30,
            lockout_max_seconds: 900,
            auth_rate_limit_per_minute: 30,
            cors_origins: Vec::new(),
            max_body_bytes: 1024 * 1024,
            trust_forwarded_for: false,
            metrics_token: None,
            swagger_ui: None,
            secure_cookies: None,
            log_format: None,
            log_level: "info".to_owned(),
            http_workers: None,
            evidence_max_bytes: 1024 * 1024 * 1024,
            evidence_link_seconds: 300,
            evidence_upload_grace_hours: 6,
            telemetry_clock_skew_seconds: 300,
            telemetry_grace_seconds: 3600,
            jobs_in_process: true,
            job_concurrency: 4,
            job_poll_millis: 1000,
            job_heartbeat_seconds: 30,
            job_max_attempts: 5,
            job_retry_seconds: 30,
            notification_retention_days: 90,
            webhook_max_attempts: 5,
            webhook_retry_millis: 30_000,
            schedule_attack_sync: JobKind::AttackSync.default_schedule().to_owned(),
            schedule_intel_scan: JobKind::IntelScan.default_schedule().to_owned(),
            schedule_notification_cleanup: JobKind::NotificationCleanup
                .default_schedule()
                .to_owned(),
            schedule_coverage_snapshot: JobKind::CoverageSnapshot.default_schedule().to_owned(),
            schedule_coverage_refresh: JobKind::CoverageRefresh.default_schedule().to_owned(),
            schedule_evidence_sweep: JobKind::EvidenceSweep.default_schedule().to_owned(),
            schedule_feed_sync: JobKind::FeedSync.default_schedule().to_owned(),
            schedule_recurring_campaigns: JobKind::RecurringCampaigns.default_schedule().to_owned(),
            schedule_report_generation: JobKind::ReportGeneration.default_schedule().to_owned(),
            schedule_detection_decay: JobKind::DetectionDecay.default_schedule().to_owned(),
            schedule_alert_evaluation: JobKind::AlertEvaluation.default_schedule().to_owned(),
            schedule_webhook_delivery: JobKind::WebhookDelivery.default_schedule().to_owned(),
            schedule_ticket_sync: JobKind::TicketSync.default_schedule().to_owned(),
            schedule_email_delivery: JobKind::EmailDelivery.default_schedule().to_owned(),
            schedule_scan: JobKind::Scan.default_schedule().to_owned(),
            schedule_github_checks: JobKind::GithubChecks.default_schedule().to_owned(),
            scan_signer: "ed25519".to_owned(),
            scoring_weights: "40,20,15,15,10".to_owned(),
            scoring_roll_up: "max".to_owned(),
            scoring_stale_after_days: 180,
            scoring_decay_half_life_days: 365.0,
            scoring_freshness_days: 180.0,
            attack_url: aegis_infrastructure::feeds::remote::OFFICIAL_BUNDLE_URL.to_owned(),
            attack_taxii_url: None,
            first_start_sync: true,
            public_url: None,
            smtp_host: None,
            smtp_port: None,
            smtp_security: SmtpSecurity::Starttls,
            smtp_username: None,
            smtp_password: None,
            smtp_from: "Aegis <aegis@localhost>".to_owned(),
            smtp_ca_file: None,
            smtp_timeout_seconds: 30,
        }
    }
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration could not be read: {0}")]
    Read(#[from] Box<figment::Error>),
    #[error("configuration is not acceptable: {0}")]
    Refused(String),
}

impl Settings {
    /// Defaults, then `file` (or `aegis.toml` when present), then `AEGIS_*` variables.
    ///
    /// # Errors
    /// `Read` when a value has the wrong type or the file is unreadable.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match file {
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new("aegis.toml").exists() => {
                figment = figment.merge(Toml::file_exact("aegis.toml"))
            }
            None => {}
        }
        figment = figment.merge(Env::prefixed("AEGIS_").ignore(&["config"]));
        figment
            .extract()
            .map_err(|e| ConfigError::Read(Box::new(e)))
    }

    pub fn is_production(&self) -> bool {
        self.profile == Profile::Production
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("aegis.db").display()
            )
        })
    }

    pub fn evidence_backend(&self) -> EvidenceBackend {
        self.evidence_backend.unwrap_or(match self.profile {
            Profile::Embedded => EvidenceBackend::Filesystem,
            Profile::Production => EvidenceBackend::S3,
        })
    }

    /// The scoring policy these settings describe.
    ///
    /// # Errors
    /// `Refused` naming the setting when the weights or thresholds are not usable.
    pub fn scoring_policy(&self) -> Result<aegis_domain::scoring::ScoringPolicy, ConfigError> {
        let refuse = |message: String| ConfigError::Refused(message);
        let weights: Vec<f64> = self
            .scoring_weights
            .split(',')
            .map(|w| w.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| {
                refuse("AEGIS_SCORING_WEIGHTS must be five numbers, e.g. 40,20,15,15,10".to_owned())
            })?;
        let [tests, rules, countermeasures, freshness, diversity] = weights[..] else {
            return Err(refuse(
                "AEGIS_SCORING_WEIGHTS must be five numbers, e.g. 40,20,15,15,10".to_owned(),
            ));
        };
        let roll_up =
            aegis_domain::scoring::RollUp::parse(&self.scoring_roll_up).ok_or_else(|| {
                refuse("AEGIS_SCORING_ROLL_UP must be average, max or min".to_owned())
            })?;
        let policy = aegis_domain::scoring::ScoringPolicy {
            tests_weight: tests,
            rules_weight: rules,
            countermeasures_weight: countermeasures,
            freshness_weight: freshness,
            diversity_weight: diversity,
            stale_after_days: self.scoring_stale_after_days,
            decay_half_life_days: self.scoring_decay_half_life_days,
            freshness_days: self.scoring_freshness_days,
            roll_up,
            ..aegis_domain::scoring::ScoringPolicy::default()
        };
        policy
            .validate()
            .map_err(|reason| refuse(format!("AEGIS_SCORING_*: {reason}")))?;
        Ok(policy)
    }

    /// How jobs are scheduled, retried and what they keep.
    ///
    /// # Errors
    /// `Refused` naming the setting when a schedule or limit is not usable.
    pub fn job_settings(&self) -> Result<JobSettings, ConfigError> {
        let mut schedules = Vec::new();
        for kind in JobKind::ALL {
            let expression = match kind {
                JobKind::AttackSync => &self.schedule_attack_sync,
                JobKind::IntelScan => &self.schedule_intel_scan,
                JobKind::NotificationCleanup => &self.schedule_notification_cleanup,
                JobKind::CoverageSnapshot => &self.schedule_coverage_snapshot,
                JobKind::CoverageRefresh => &self.schedule_coverage_refresh,
                JobKind::EvidenceSweep => &self.schedule_evidence_sweep,
                JobKind::FeedSync => &self.schedule_feed_sync,
                JobKind::RecurringCampaigns => &self.schedule_recurring_campaigns,
                JobKind::ReportGeneration => &self.schedule_report_generation,
                JobKind::DetectionDecay => &self.schedule_detection_decay,
                JobKind::AlertEvaluation => &self.schedule_alert_evaluation,
                JobKind::WebhookDelivery => &self.schedule_webhook_delivery,
                JobKind::TicketSync => &self.schedule_ticket_sync,
                JobKind::EmailDelivery => &self.schedule_email_delivery,
                JobKind::Scan => &self.schedule_scan,
                JobKind::GithubChecks => &self.schedule_github_checks,
            };
            if expression.trim().eq_ignore_ascii_case("off") {
                continue;
            }
            let schedule = JobSchedule::parse(kind, expression.trim()).map_err(|reason| {
                ConfigError::Refused(format!(
                    "AEGIS_SCHEDULE_{}: {reason}",
                    kind.as_str().to_uppercase()
                ))
            })?;
            schedules.push(schedule);
        }
        if self.job_max_attempts < 1 || self.notification_retention_days < 1 {
            return Err(ConfigError::Refused(
                "AEGIS_JOB_MAX_ATTEMPTS and AEGIS_NOTIFICATION_RETENTION_DAYS must be positive"
                    .to_owned(),
            ));
        }
        Ok(JobSettings {
            retry: RetryPolicy {
                max_attempts: self.job_max_attempts,
                first_delay: std::time::Duration::from_secs(self.job_retry_seconds),
                max_delay: std::time::Duration::from_secs(60 * 60),
            },
            schedules,
            notification_retention: chrono::Duration::days(self.notification_retention_days),
            evidence_upload_grace: self.evidence_upload_grace(),
        })
    }

    /// How webhook deliveries are retried.
    pub fn webhook_policy(&self) -> aegis_domain::webhook::DeliveryPolicy {
        aegis_domain::webhook::DeliveryPolicy {
            max_attempts: self.webhook_max_attempts.max(1),
            first_delay: std::time::Duration::from_millis(self.webhook_retry_millis),
        }
    }

    /// The web UI's address for links in emails.
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_owned()
    }

    /// The SMTP port: configured, or the usual one for the security chosen.
    pub fn smtp_port(&self) -> u16 {
        self.smtp_port.unwrap_or(match self.smtp_security {
            SmtpSecurity::None => 25,
            SmtpSecurity::Starttls => 587,
            SmtpSecurity::Tls => 465,
        })
    }

    /// How this process's job workers poll and report.
    pub fn worker_settings(&self) -> WorkerSettings {
        WorkerSettings {
            concurrency: self.job_concurrency.max(1),
            poll_interval: std::time::Duration::from_millis(self.job_poll_millis.max(50)),
            heartbeat: std::time::Duration::from_secs(self.job_heartbeat_seconds.max(1)),
        }
    }

    pub fn evidence_upload_grace(&self) -> chrono::Duration {
        chrono::Duration::hours(self.evidence_upload_grace_hours)
    }

    pub fn evidence_dir(&self) -> PathBuf {
        self.evidence_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("evidence"))
    }

    pub fn auto_migrate(&self) -> bool {
        self.auto_migrate.unwrap_or(!self.is_production())
    }

    pub fn swagger_ui(&self) -> bool {
        self.swagger_ui.unwrap_or(!self.is_production())
    }

    pub fn secure_cookies(&self) -> bool {
        self.secure_cookies.unwrap_or(self.is_production())
    }

    pub fn log_format(&self) -> LogFormat {
        self.log_format.unwrap_or(if self.is_production() {
            LogFormat::Json
        } else {
            LogFormat::Human
        })
    }

    /// Checks the rules that must hold before anything starts.
    ///
    /// # Errors
    /// `Refused` naming the setting at fault.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let refuse = |message: String| Err(ConfigError::Refused(message));
        if !(4..=31).contains(&self.bcrypt_cost) {
            return refuse("AEGIS_BCRYPT_COST must be between 4 and 31".to_owned());
        }
        if self.access_token_minutes < 1 || self.refresh_token_days < 1 {
            return refuse(
                "AEGIS_ACCESS_TOKEN_MINUTES and AEGIS_REFRESH_TOKEN_DAYS must be positive"
                    .to_owned(),
            );
        }
        if self.database_max_connections == 0 {
            return refuse("AEGIS_DATABASE_MAX_CONNECTIONS must be at least 1".to_owned());
        }
        // S3 signs links for at most seven days.
        if !(1..=604_800).contains(&self.evidence_link_seconds) {
            return refuse(
                "AEGIS_EVIDENCE_LINK_SECONDS must be between 1 and 604800 (seven days)".to_owned(),
            );
        }
        if !(0..=86_400).contains(&self.telemetry_clock_skew_seconds)
            || !(0..=604_800).contains(&self.telemetry_grace_seconds)
        {
            return refuse(
                "AEGIS_TELEMETRY_CLOCK_SKEW_SECONDS must be 0 to 86400 and AEGIS_TELEMETRY_GRACE_SECONDS 0 to 604800"
                    .to_owned(),
            );
        }
        if self.evidence_upload_grace_hours < 1 {
            return refuse("AEGIS_EVIDENCE_UPLOAD_GRACE_HOURS must be positive".to_owned());
        }
        if let Some(token) = &self.metrics_token {
            let token = token.expose_secret();
            // A token that can be guessed is no protection; one with spaces or line breaks
            // cannot be sent in a header as Prometheus reads it from its credentials file.
            if token.len() < 32 || !token.chars().all(|c| c.is_ascii_graphic()) {
                return refuse("AEGIS_METRICS_TOKEN must be at least 32 printable characters without spaces (e.g. `openssl rand -hex 32`)".to_owned());
            }
        }
        if self.smtp_host.is_some() && self.smtp_username.is_some() != self.smtp_password.is_some()
        {
            return refuse(
                "AEGIS_SMTP_USERNAME and AEGIS_SMTP_PASSWORD go together: set both or neither"
                    .to_owned(),
            );
        }
        if !self.is_production() {
            return Ok(());
        }
        if self.scan_signer.trim() == "development" {
            return refuse("AEGIS_SCAN_SIGNER=development signs with a key everyone knows: production needs ed25519 or hmac-sha256".to_owned());
        }
        match &self.secret_key {
            None => return refuse("production needs AEGIS_SECRET_KEY: 32 or more random bytes (e.g. `openssl rand -hex 32`)".to_owned()),
            Some(secret) if !is_strong_secret(secret.expose_secret()) => {
                return refuse("AEGIS_SECRET_KEY is too weak: use 32 or more random bytes (e.g. `openssl rand -hex 32`)".to_owned());
            }
            Some(_) => {}
        }
        if let Some(password) = &self.admin_password {
            let password = password.expose_secret();
            if WELL_KNOWN_PASSWORDS
                .iter()
                .any(|known| known.eq_ignore_ascii_case(password))
            {
                return refuse(
                    "AEGIS_ADMIN_PASSWORD is a well-known default password; choose another"
                        .to_owned(),
                );
            }
        }
        if !self
            .database_url
            .as_deref()
            .is_some_and(|url| url.starts_with("postgres"))
        {
            return refuse(
                "production needs AEGIS_DATABASE_URL pointing at PostgreSQL (postgres://...)"
                    .to_owned(),
            );
        }
        if self.evidence_backend() == EvidenceBackend::S3
            && (self.s3_endpoint.is_none()
                || self.s3_access_key.is_none()
                || self.s3_secret_key.is_none())
        {
            return refuse("production stores evidence in S3: set AEGIS_S3_ENDPOINT, AEGIS_S3_ACCESS_KEY and AEGIS_S3_SECRET_KEY (or AEGIS_EVIDENCE_BACKEND=filesystem)".to_owned());
        }
        Ok(())
    }
}

/// At least 32 bytes, and not a repetition of a few characters.
fn is_strong_secret(secret: &str) -> bool {
    let distinct: std::collections::BTreeSet<char> = secret.chars().collect();
    secret.len() >= 32 && distinct.len() >= 12
}

#[cfg(test)]
mod tests {
    use super::*;

    fn production() -> Settings {
        Settings {
            profile: Profile::Production,
            secret_key: Some(SecretString::from(
                "3f9a1c0b7e5d2a8c4f6e1b9d0a7c3e5f2b8d4a6c1e9f0b7d",
            )),
            database_url: Some("postgres://aegis@db/aegis".to_owned()),
            s3_endpoint: Some("http://s3:9000".to_owned()),
            s3_access_key: Some("key".to_owned()),
            s3_secret_key: Some(SecretString::from("secret")),
            admin_password: Some(SecretString::from("Vq7#kLm2!pRz9x")),
            ..Settings::default()
        }
    }

    #[test]
    fn a_complete_production_configuration_is_accepted() {
        assert!(production().validate().is_ok());
    }

    #[test]
    fn production_refuses_weak_or_missing_secrets_and_default_passwords() {
        let missing = Settings {
            secret_key: None,
            ..production()
        };
        assert!(missing.validate().is_err());
        let weak = Settings {
            secret_key: Some(SecretString::from("a".repeat(64))),
            ..production()
        };
        assert!(weak.validate().is_err());
        let short = Settings {
            secret_key: Some(SecretString::from("abcdefghijklmnop")),
            ..production()
        };
        assert!(short.validate().is_err());
        let default_password = Settings {
            admin_password: Some(SecretString::from("ChangeMe123!")),
            ..production()
        };
        assert!(default_password.validate().is_err());
        let sqlite = Settings {
            database_url: None,
            ..production()
        };
        assert!(sqlite.validate().is_err());
    }

    #[test]
    fn a_metrics_token_must_be_long_and_printable() {
        let with = |token: &str| Settings {
            metrics_token: Some(SecretString::from(token)),
            ..Settings::default()
        };
        assert!(with("short").validate().is_err());
        assert!(with(&format!("{} x", "a".repeat(40))).validate().is_err());
        assert!(
            with("5d1c8a0f3e7b9d2c4a6f8e0b1d3c5a7f9e2b4d6c8a0f1e3d")
                .validate()
                .is_ok()
        );
        assert!(
            Settings::default().metrics_token.is_none(),
            "not served by default"
        );
    }

    #[test]
    fn embedded_defaults_need_nothing() {
        let settings = Settings::default();
        assert!(settings.validate().is_ok());
        assert!(settings.swagger_ui() && settings.auto_migrate() && !settings.secure_cookies());
        assert!(settings.database_url().starts_with("sqlite://"));
    }
}
