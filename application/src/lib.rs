//! Aegis use cases: one module per capability, each use case taking an explicit actor.
//!
//! Authorization is decided here against the domain's permission matrix, never only in HTTP.
//! Every change runs in one unit of work together with its audit entry.

pub mod account;
pub mod alerts;
pub mod analytics;
pub mod api_keys;
pub mod attack_paths;
pub mod audit_log;
pub mod auth;
pub mod bootstrap;
pub mod campaigns;
pub mod catalog;
pub mod compliance;
pub mod context;
pub mod coverage;
pub mod dashboard;
pub mod data_sources;
pub mod detection_lifecycle;
pub mod error;
pub mod evidence;
pub mod exports;
pub mod findings;
pub mod github;
pub mod health;
pub mod idempotency;
pub mod intel;
mod job_work;
pub mod jobs;
pub mod knowledge;
pub mod mfa;
pub mod navigator;
pub mod notifications;
pub mod osint;
pub mod ports;
pub mod read_models;
pub mod reports;
pub mod risk;
pub mod rules;
pub mod scan_policy;
pub mod scans;
pub mod snapshots;
pub mod sso;
pub mod telemetry;
pub mod templates;
pub mod tenants;
pub mod test_cases;
pub mod threat_intel;
pub mod tickets;
pub mod users;
pub mod webhooks;

mod audit_trail;

use std::sync::Arc;

use aegis_domain::ports::CatalogRepository;

use ports::{
    Clock, Database, EvidenceStore, IdGenerator, PasswordHasher, SecretGenerator, TokenService,
};

/// The adapters every use case draws on, wired once by the composition root.
#[derive(Clone)]
pub struct Dependencies {
    pub database: Arc<dyn Database>,
    pub catalog: Arc<dyn CatalogRepository>,
    /// Detection rules (global, like the catalog).
    pub rules: Arc<dyn aegis_domain::ports::RuleRepository>,
    /// D3FEND countermeasures (global, like the catalog).
    pub countermeasures: Arc<dyn aegis_domain::ports::CountermeasureRepository>,
    /// Test templates and living-off-the-land binaries (global, like the catalog).
    pub templates: Arc<dyn aegis_domain::ports::TemplateRepository>,
    /// Threat intelligence beyond ATT&CK (global, like the catalog).
    pub intel: Arc<dyn aegis_domain::ports::IntelRepository>,
    /// Compliance frameworks and their control → technique mappings (global).
    pub compliance: Arc<dyn aegis_domain::ports::ComplianceRepository>,
    pub osint: Arc<dyn aegis_domain::ports::OsintRepository>,
    /// The threat actors each organization tracks.
    pub tracking: Arc<dyn aegis_domain::ports::TrackedActorRepository>,
    /// The data-source registry (global, like the catalog).
    pub data_sources: Arc<dyn aegis_domain::ports::DataSourceRepository>,
    /// Generated reports (what was asked for; the documents live in the evidence store).
    pub reports: Arc<dyn aegis_domain::ports::ReportRepository>,
    /// Renders report content as HTML or PDF.
    pub renderer: Arc<dyn reports::ReportRenderer>,
    /// Signs report digests with the server's key.
    pub signer: Arc<dyn reports::DocumentSigner>,
    /// Makes each source's feed from a URL or an uploaded bundle.
    pub feeds: Arc<dyn data_sources::FeedFactory>,
    /// Keeps data-source credentials encrypted at rest.
    pub cipher: Arc<dyn data_sources::CredentialCipher>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub tokens: Arc<dyn TokenService>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub secrets: Arc<dyn SecretGenerator>,
    /// Time-based one-time passwords for the second sign-in factor.
    pub otp: Arc<dyn ports::OneTimePasswords>,
    pub evidence: Arc<dyn EvidenceStore>,
    /// Where job attempts wait for a worker.
    pub jobs: Arc<dyn ports::JobQueue>,
    /// Where `sync-mitre` reads ATT&CK from (the configured URL or TAXII server).
    pub attack_feed: Arc<dyn catalog::AttackSource>,
    /// How coverage is scored (weights and thresholds from configuration).
    pub scoring: Arc<aegis_domain::scoring::ScoringPolicy>,
    /// Evaluates Sigma rules over a test's telemetry.
    pub telemetry: Arc<dyn telemetry::TelemetryEvaluator>,
    /// Sends webhook deliveries, with the SSRF rules at connection time.
    pub webhook_transport: Arc<dyn webhooks::WebhookTransport>,
    /// Seals webhook secrets (the credential cipher).
    pub webhook_secrets: Arc<dyn webhooks::WebhookSecrets>,
    /// Wakes the live notification streams when notifications are committed.
    pub notification_signals: Arc<dyn ports::NotificationSignals>,
    /// Reads scanners' SARIF files into results.
    pub scan_reader: Arc<dyn findings::ScanReader>,
    /// Calls Jira and Tempo, with the SSRF rules at connection time.
    pub ticket_tracker: Arc<dyn tickets::TicketTracker>,
    /// Email over SMTP, when configured.
    pub mail: Option<notifications::Mailing>,
    /// Reads and writes Attack Flow files (STIX bundles and Attack Flow Builder files).
    pub attack_flows: Arc<dyn attack_paths::AttackFlowCodec>,
    /// Asks Elasticsearch / OpenSearch, Splunk and Sentinel for alerts, with the SSRF rules.
    pub siem: Arc<dyn telemetry::siem::SiemAlerts>,
    /// Signs scan artifacts (Ed25519 with the report key, or HMAC-SHA256).
    pub scan_signer: Arc<dyn scans::ScanSigner>,
    /// Reads detection content with the importers' parsers, for the scans.
    pub detection_parser: Arc<dyn scans::DetectionContentParser>,
    /// Signs people in through OpenID providers, with the SSRF rules.
    pub openid: Arc<dyn sso::OpenIdProvider>,
    /// `/api/v1/sso/callback` on the public URL: the redirect URI registered at providers.
    pub sso_callback_url: String,
    /// Calls GitHub's REST API, with the SSRF rules at connection time.
    pub github_api: Arc<dyn github::GithubApi>,
    /// Where people reach this installation (the check runs' details links).
    pub public_url: Option<String>,
}

/// Size limits that use cases enforce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest evidence file accepted (default 1 GiB).
    pub evidence_max_bytes: u64,
    /// How long a presigned download link stays valid (default five minutes).
    pub evidence_link_ttl: std::time::Duration,
    /// How a test's telemetry is tied to its run: clock skew and grace after execution.
    pub telemetry_window: aegis_domain::telemetry::WindowPolicy,
    /// How webhook deliveries are retried.
    pub webhook_delivery: aegis_domain::webhook::DeliveryPolicy,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            evidence_max_bytes: 1024 * 1024 * 1024,
            evidence_link_ttl: std::time::Duration::from_secs(300),
            telemetry_window: aegis_domain::telemetry::WindowPolicy::default(),
            webhook_delivery: aegis_domain::webhook::DeliveryPolicy::default(),
        }
    }
}

/// Every capability's service, ready to be shared by request handlers and the CLI.
#[derive(Clone)]
pub struct Services {
    pub auth: auth::AuthService,
    pub sso: sso::SsoService,
    pub api_keys: api_keys::ApiKeyService,
    pub mfa: mfa::MfaService,
    pub account: account::AccountService,
    pub users: users::UserService,
    pub audit_log: audit_log::AuditLogService,
    pub health: health::HealthService,
    pub bootstrap: bootstrap::BootstrapService,
    /// Tenants an operator runs, and a tenant's own settings.
    pub tenants: tenants::TenantService,
    pub catalog: catalog::CatalogService,
    pub tests: test_cases::TestService,
    pub notifications: notifications::NotificationService,
    pub evidence: evidence::EvidenceService,
    pub coverage: coverage::CoverageService,
    pub snapshots: snapshots::SnapshotService,
    pub jobs: jobs::JobService,
    pub navigator: navigator::NavigatorService,
    pub dashboard: dashboard::DashboardService,
    pub rules: rules::RuleService,
    pub templates: templates::TemplateService,
    pub threat_intel: threat_intel::ThreatIntelService,
    pub data_sources: data_sources::DataSourceService,
    pub exports: exports::ExportService,
    pub analytics: analytics::AnalyticsService,
    pub compliance: compliance::ComplianceService,
    pub campaigns: campaigns::CampaignService,
    pub findings: findings::FindingService,
    pub reports: reports::ReportService,
    pub detection_lifecycle: detection_lifecycle::DetectionLifecycleService,
    pub risk: risk::RiskService,
    pub osint: osint::OsintService,
    pub read_models: read_models::ReadModelService,
    pub telemetry: telemetry::TelemetryService,
    pub alerts: alerts::AlertService,
    pub webhooks: webhooks::WebhookService,
    pub knowledge: knowledge::KnowledgeService,
    pub tickets: tickets::TicketService,
    pub attack_paths: attack_paths::AttackPathService,
    pub siem: telemetry::siem::SiemService,
    pub scans: scans::ScanService,
    pub scan_policy: scan_policy::ScanPolicyService,
    pub github: github::GithubService,
}

impl Services {
    pub fn new(
        deps: Dependencies,
        auth_settings: auth::AuthSettings,
        limits: Limits,
        job_settings: jobs::JobSettings,
    ) -> Self {
        // Rooms whose changes move alert rules queue an evaluation after their commit.
        let alert_requests = alerts::EvaluationRequests::new(
            deps.database.clone(),
            deps.clock.clone(),
            deps.ids.clone(),
            deps.jobs.clone(),
            job_settings.retry.max_attempts,
        );
        // Webhook events are recorded by several rooms; the job that sends them is attached
        // once the job service exists.
        let delivery_kick = webhooks::DeliveryKick::default();
        let outbox = webhooks::Outbox::new(
            deps.database.clone(),
            deps.clock.clone(),
            deps.ids.clone(),
            delivery_kick.clone(),
        );
        let alerts = alerts::AlertService::new(
            deps.database.clone(),
            deps.catalog.clone(),
            deps.tracking.clone(),
            deps.clock.clone(),
            deps.ids.clone(),
        )
        .publishing_to(Arc::new(outbox.clone()));
        let webhooks = webhooks::WebhookService::new(
            webhooks::WebhookPorts {
                database: deps.database.clone(),
                cipher: deps.webhook_secrets.clone(),
                transport: deps.webhook_transport.clone(),
                clock: deps.clock.clone(),
                ids: deps.ids.clone(),
                secrets: deps.secrets.clone(),
            },
            delivery_kick.clone(),
            limits.webhook_delivery,
        );
        let catalog = catalog::CatalogService::new(
            deps.database.clone(),
            deps.catalog.clone(),
            deps.rules.clone(),
            deps.countermeasures.clone(),
            deps.templates.clone(),
            deps.clock.clone(),
            deps.ids.clone(),
            deps.attack_feed.clone(),
        )
        .requesting_alerts(alert_requests.clone());
        let coverage = coverage::CoverageService::new(
            deps.database.clone(),
            deps.catalog.clone(),
            deps.rules.clone(),
            deps.countermeasures.clone(),
            deps.tracking.clone(),
            deps.clock.clone(),
            deps.scoring.clone(),
        );
        let evidence = evidence::EvidenceService::new(
            deps.database.clone(),
            deps.clock.clone(),
            deps.ids.clone(),
            deps.evidence.clone(),
            &limits,
        );
        let snapshots = snapshots::SnapshotService::new(
            deps.database.clone(),
            deps.clock.clone(),
            deps.ids.clone(),
            coverage.clone(),
        )
        .requesting_alerts(alert_requests.clone());
        let tests = test_cases::TestService::new(
            deps.database.clone(),
            deps.catalog.clone(),
            deps.tracking.clone(),
            deps.clock.clone(),
            deps.ids.clone(),
            deps.scoring.clone(),
            Arc::new(test_cases::FollowUps(vec![
                Arc::new(findings::FindingsOnValidation::new(
                    deps.clock.clone(),
                    deps.ids.clone(),
                    outbox.clone(),
                )),
                Arc::new(detection_lifecycle::LifecycleOnValidation::new(
                    deps.clock.clone(),
                    deps.ids.clone(),
                    deps.scoring.clone(),
                )),
                Arc::new(webhooks::WebhooksOnValidation::new(outbox.clone())),
            ])),
        )
        .requesting_alerts(alert_requests.clone());
        let detection_lifecycle = detection_lifecycle::DetectionLifecycleService::new(
            deps.database.clone(),
            deps.catalog.clone(),
            deps.rules.clone(),
            deps.clock.clone(),
            deps.ids.clone(),
            deps.scoring.clone(),
        );
        let campaigns = campaigns::CampaignService::new(
            deps.database.clone(),
            deps.catalog.clone(),
            deps.templates.clone(),
            deps.clock.clone(),
            deps.ids.clone(),
            deps.scoring.clone(),
            tests.clone(),
        );
        let rules = rules::RuleService::new(
            deps.catalog.clone(),
            deps.rules.clone(),
            deps.countermeasures.clone(),
            deps.clock.clone(),
            coverage.clone(),
            detection_lifecycle.clone(),
        );
        let templates = templates::TemplateService::new(
            deps.catalog.clone(),
            deps.templates.clone(),
            deps.clock.clone(),
            tests.clone(),
        );
        let risk = risk::RiskService::new(
            deps.database.clone(),
            deps.catalog.clone(),
            deps.templates.clone(),
            deps.tracking.clone(),
            deps.clock.clone(),
            deps.ids.clone(),
            Arc::new(aegis_domain::risk::RiskPolicy::default()),
        );
        let threat_intel = threat_intel::ThreatIntelService::new(
            deps.database.clone(),
            deps.catalog.clone(),
            deps.intel.clone(),
            deps.tracking.clone(),
            deps.clock.clone(),
            deps.ids.clone(),
            risk.clone(),
        );
        let osint = osint::OsintService::new(
            deps.database.clone(),
            deps.osint.clone(),
            deps.clock.clone(),
            deps.ids.clone(),
            risk.clone(),
        );
        let compliance = compliance::ComplianceService::new(
            deps.database.clone(),
            deps.compliance.clone(),
            deps.clock.clone(),
        );
        let feed_sync = data_sources::FeedSyncService::new(
            deps.data_sources.clone(),
            deps.feeds.clone(),
            deps.cipher.clone(),
            deps.clock.clone(),
            data_sources::Importers {
                catalog: catalog.clone(),
                rules: rules.clone(),
                templates: templates.clone(),
                threat_intel: threat_intel.clone(),
                compliance: compliance.clone(),
                osint: osint.clone(),
            },
            outbox.clone(),
        );
        let dashboard = dashboard::DashboardService::new(
            deps.database.clone(),
            deps.catalog.clone(),
            deps.clock.clone(),
            coverage.clone(),
        );
        let tickets = tickets::TicketService::new(tickets::TicketPorts {
            database: deps.database.clone(),
            tracker: deps.ticket_tracker.clone(),
            cipher: deps.cipher.clone(),
            clock: deps.clock.clone(),
            ids: deps.ids.clone(),
        });
        // Notifications are emailed by a job, queued as they commit once the job service exists.
        let mail_kick = notifications::MailKick::default();
        let notifications = notifications::NotificationService::new(
            deps.database.clone(),
            deps.clock.clone(),
            deps.ids.clone(),
            deps.notification_signals.clone(),
        )
        .mailing(deps.mail.clone(), limits.webhook_delivery)
        .kicking(mail_kick.clone());
        // Scans are run by a job, queued as they are submitted once the job service exists.
        let scan_kick = scans::ScanKick::default();
        let scans = scans::ScanService::new(
            scans::ScanPorts {
                database: deps.database.clone(),
                catalog: deps.catalog.clone(),
                rules: deps.rules.clone(),
                evidence: deps.evidence.clone(),
                signer: deps.scan_signer.clone(),
                parser: deps.detection_parser.clone(),
                clock: deps.clock.clone(),
                ids: deps.ids.clone(),
            },
            scan_kick.clone(),
            outbox.clone(),
        );
        let scan_policy = scan_policy::ScanPolicyService::new(
            deps.database.clone(),
            deps.clock.clone(),
            deps.ids.clone(),
        );
        // Check runs are reported by a job, queued as scans move once the job service exists.
        let check_kick = github::CheckKick::default();
        let github = github::GithubService::new(
            github::GithubPorts {
                database: deps.database.clone(),
                api: deps.github_api.clone(),
                cipher: deps.cipher.clone(),
                clock: deps.clock.clone(),
                ids: deps.ids.clone(),
                public_url: deps.public_url.clone(),
            },
            scans.clone(),
            check_kick.clone(),
        );
        let work = job_work::Work {
            github: github.clone(),
            scans: scans.clone(),
            tickets: tickets.clone(),
            notifications: notifications.clone(),
            database: deps.database.clone(),
            clock: deps.clock.clone(),
            notification_retention: job_settings.notification_retention,
            evidence_upload_grace: job_settings.evidence_upload_grace,
            alerts: alerts.clone(),
            alert_requests: alert_requests.clone(),
            catalog: catalog.clone(),
            coverage: coverage.clone(),
            risk: risk.clone(),
            evidence: evidence.clone(),
            snapshots: snapshots.clone(),
            intel: intel::IntelService::new(
                deps.database.clone(),
                deps.catalog.clone(),
                deps.tracking.clone(),
                deps.clock.clone(),
                deps.ids.clone(),
            ),
            feed_sync: feed_sync.clone(),
            campaigns: campaigns.clone(),
            detection_lifecycle: detection_lifecycle.clone(),
            reports: reports::ReportGenerator::new(
                deps.database.clone(),
                deps.reports.clone(),
                deps.renderer.clone(),
                deps.signer.clone(),
                deps.clock.clone(),
                deps.evidence.clone(),
                coverage.clone(),
                dashboard.clone(),
                campaigns.clone(),
                outbox.clone(),
            ),
            webhooks: webhooks.clone(),
        };
        let jobs = jobs::JobService::new(
            deps.database.clone(),
            deps.clock.clone(),
            deps.ids.clone(),
            deps.jobs.clone(),
            job_settings,
            Arc::new(work),
        );
        delivery_kick.attach(jobs.clone());
        mail_kick.attach(jobs.clone());
        scan_kick.attach(jobs.clone());
        check_kick.attach(jobs.clone());
        let auth = auth::AuthService::new(
            auth::AuthPorts {
                database: deps.database.clone(),
                hasher: deps.hasher.clone(),
                tokens: deps.tokens.clone(),
                clock: deps.clock.clone(),
                ids: deps.ids.clone(),
                secrets: deps.secrets.clone(),
                otp: deps.otp.clone(),
                cipher: deps.cipher.clone(),
            },
            auth_settings,
        );
        let users = users::UserService::new(
            deps.database.clone(),
            deps.hasher.clone(),
            deps.clock.clone(),
            deps.ids.clone(),
            deps.secrets.clone(),
        );
        let exports = exports::ExportService::new(
            deps.database.clone(),
            deps.clock.clone(),
            coverage.clone(),
        );
        let attack_paths = attack_paths::AttackPathService::new(
            deps.database.clone(),
            deps.catalog.clone(),
            deps.clock.clone(),
            deps.ids.clone(),
            deps.attack_flows.clone(),
            campaigns.clone(),
        );
        Self {
            siem: telemetry::siem::SiemService::new(telemetry::siem::SiemPorts {
                telemetry: telemetry::TelemetryService::new(
                    deps.database.clone(),
                    deps.rules.clone(),
                    deps.evidence.clone(),
                    deps.telemetry.clone(),
                    deps.clock.clone(),
                    deps.ids.clone(),
                    limits.telemetry_window,
                ),
                siem: deps.siem.clone(),
                cipher: deps.cipher.clone(),
            }),
            scans,
            scan_policy,
            github,
            attack_paths,
            alerts,
            webhooks,
            tickets,
            knowledge: knowledge::KnowledgeService::new(
                deps.database.clone(),
                deps.catalog.clone(),
                deps.clock.clone(),
                deps.ids.clone(),
            ),
            risk,
            osint,
            read_models: read_models::ReadModelService::new(
                deps.database.clone(),
                deps.clock.clone(),
            ),
            telemetry: telemetry::TelemetryService::new(
                deps.database.clone(),
                deps.rules.clone(),
                deps.evidence.clone(),
                deps.telemetry.clone(),
                deps.clock.clone(),
                deps.ids.clone(),
                limits.telemetry_window,
            ),
            reports: reports::ReportService::new(
                deps.database.clone(),
                deps.reports.clone(),
                deps.signer.clone(),
                deps.clock.clone(),
                deps.ids.clone(),
                deps.evidence.clone(),
                jobs.clone(),
            ),
            campaigns,
            detection_lifecycle,
            findings: findings::FindingService::new(
                deps.database.clone(),
                deps.clock.clone(),
                deps.ids.clone(),
                tests.clone(),
                deps.osint.clone(),
                deps.scan_reader.clone(),
                outbox.clone(),
            ),
            analytics: analytics::AnalyticsService::new(deps.database.clone(), exports.clone()),
            exports,
            compliance,
            data_sources: data_sources::DataSourceService::new(
                deps.database.clone(),
                deps.catalog.clone(),
                deps.data_sources.clone(),
                deps.cipher.clone(),
                deps.clock.clone(),
                deps.ids.clone(),
                feed_sync,
                jobs.clone(),
            )
            .requesting_alerts(alert_requests.clone()),
            jobs,
            navigator: navigator::NavigatorService::new(
                deps.database.clone(),
                coverage.clone(),
                tests.clone(),
            ),
            dashboard,
            rules,
            templates,
            threat_intel,
            snapshots,
            tests,
            api_keys: api_keys::ApiKeyService::new(
                deps.database.clone(),
                deps.clock.clone(),
                deps.ids.clone(),
                deps.secrets.clone(),
            ),
            mfa: mfa::MfaService::new(
                deps.database.clone(),
                deps.otp.clone(),
                deps.cipher.clone(),
                deps.clock.clone(),
                deps.ids.clone(),
                deps.secrets.clone(),
            ),
            sso: sso::SsoService::new(
                sso::SsoPorts {
                    database: deps.database.clone(),
                    provider: deps.openid.clone(),
                    cipher: deps.cipher.clone(),
                    clock: deps.clock.clone(),
                    ids: deps.ids.clone(),
                    secrets: deps.secrets.clone(),
                },
                auth.clone(),
                deps.sso_callback_url.clone(),
            ),
            auth,
            account: account::AccountService::new(
                deps.database.clone(),
                deps.hasher.clone(),
                deps.clock.clone(),
                deps.ids.clone(),
            ),
            bootstrap: bootstrap::BootstrapService::new(
                deps.database.clone(),
                deps.clock.clone(),
                deps.ids.clone(),
                users.clone(),
            ),
            tenants: tenants::TenantService::new(
                deps.database.clone(),
                deps.clock.clone(),
                deps.ids.clone(),
                users.clone(),
            ),
            users,
            audit_log: audit_log::AuditLogService::new(deps.database.clone()),
            health: health::HealthService::new(deps.database.clone(), deps.evidence.clone()),
            catalog,
            notifications,
            evidence,
            coverage,
        }
    }
}
