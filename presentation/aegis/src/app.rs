//! The composition root: turns the configuration into adapters, services and a running
//! server. `build` returns the bound port so tests can start the real app on port 0.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use chrono::Duration;
use sea_orm_migration::MigratorTrait;
use secrecy::{ExposeSecret, SecretString};

use aegis_application::auth::AuthSettings;
use aegis_application::bootstrap::{BootstrapAdmin, DEFAULT_TENANT_SLUG};
use aegis_application::catalog::AttackSource;
use aegis_application::ports::EvidenceStore;
use aegis_application::{Dependencies, Services};
use aegis_domain::lockout::LockoutPolicy;
use aegis_domain::tenant::Tenant;
use aegis_http::HttpSettings;
use aegis_infrastructure::evidence::{FilesystemEvidenceStore, S3EvidenceStore, S3Settings};
use aegis_infrastructure::feeds::remote::{TaxiiAttackSource, UrlAttackSource};
use aegis_infrastructure::jobs::{ApalisJobQueue, run_workers};
use aegis_infrastructure::notifications::NotificationHub;
use aegis_infrastructure::persistence::{PoolSettings, SeaDatabase, connect};
use aegis_infrastructure::security::{
    BcryptPasswordHasher, JwtTokenService, OsSecretGenerator, SystemClock, UuidV7Generator,
};
use aegis_migrations::Migrator;

use crate::config::{EvidenceBackend, Settings};
use crate::secret;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("the data directory {path} cannot be used: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("the database cannot be opened: {0}")]
    Database(String),
    #[error("migrations failed: {0}")]
    Migrations(String),
    #[error("the database schema is behind: run `aegis migrate up` (pending: {0})")]
    PendingMigrations(String),
    #[error("the evidence store cannot be set up: {0}")]
    Evidence(String),
    #[error("the job queue cannot be set up: {0}")]
    Jobs(String),
    #[error("bootstrap failed: {0}")]
    Bootstrap(String),
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: String,
        source: std::io::Error,
    },
}

/// Everything wired: the services, the database they run on and the job queue.
pub struct Wired {
    pub services: Services,
    pub database: Arc<SeaDatabase>,
    pub job_queue: ApalisJobQueue,
    /// Wakes the live notification streams of this process.
    pub notifications: NotificationHub,
}

/// Opens the database and builds the services, without serving HTTP (the CLI's commands).
///
/// # Errors
/// Any `StartupError` on the way.
pub async fn wire(settings: &Settings) -> Result<Wired, StartupError> {
    settings.validate()?;
    let data_dir = &settings.data_dir;
    if !settings.is_production() || settings.database_url.is_none() {
        std::fs::create_dir_all(data_dir).map_err(|source| StartupError::DataDir {
            path: data_dir.display().to_string(),
            source,
        })?;
    }
    let pool = PoolSettings {
        max_connections: settings.database_max_connections,
        statement_cache: settings.database_statement_cache,
    };
    let notifications = NotificationHub::default();
    let database = connect(&settings.database_url(), pool)
        .await
        .map_err(|e| StartupError::Database(e.to_string()))?
        .signalling(notifications.clone());
    let database = Arc::new(database);
    let secret_key = server_secret(settings)?;
    let evidence = evidence_store(settings).await?;
    let job_queue = ApalisJobQueue::open(&database, &settings.worker_settings())
        .await
        .map_err(|e| StartupError::Jobs(e.to_string()))?;
    let job_settings = settings.job_settings()?;
    let deps = Dependencies {
        database: database.clone(),
        catalog: database.clone(),
        rules: database.clone(),
        countermeasures: database.clone(),
        templates: database.clone(),
        intel: database.clone(),
        data_sources: database.clone(),
        tracking: database.clone(),
        compliance: database.clone(),
        osint: database.clone(),
        reports: database.clone(),
        renderer: Arc::new(aegis_infrastructure::reports::DocumentRenderer::new(
            report_branding(settings)?,
        )),
        signer: Arc::new(report_signer(settings, &secret_key)?),
        feeds: Arc::new(aegis_infrastructure::feeds::factory::SourceFeeds),
        cipher: Arc::new(aegis_infrastructure::credentials::SealedCredentials::new(
            secret_key.expose_secret().as_bytes(),
        )),
        hasher: Arc::new(BcryptPasswordHasher::new(settings.bcrypt_cost)),
        tokens: Arc::new(JwtTokenService::new(
            secret_key.expose_secret().as_bytes(),
            "aegis",
        )),
        clock: Arc::new(SystemClock),
        ids: Arc::new(UuidV7Generator),
        secrets: Arc::new(OsSecretGenerator),
        otp: Arc::new(aegis_infrastructure::otp::TotpCodes),
        evidence,
        jobs: Arc::new(job_queue.clone()),
        attack_feed: attack_feed(settings),
        scoring: Arc::new(settings.scoring_policy()?),
        telemetry: Arc::new(aegis_infrastructure::telemetry::OfflineEvaluator::default()),
        webhook_transport: Arc::new(
            aegis_infrastructure::webhooks::HttpWebhookTransport::default(),
        ),
        // The same key as data-source credentials: webhook secrets are credentials too.
        webhook_secrets: Arc::new(aegis_infrastructure::credentials::SealedCredentials::new(
            secret_key.expose_secret().as_bytes(),
        )),
        notification_signals: Arc::new(notifications.clone()),
        scan_reader: Arc::new(aegis_infrastructure::feeds::sarif::SarifReader),
        ticket_tracker: Arc::new(aegis_infrastructure::tickets::HttpTicketTracker::default()),
        mail: mailing(settings)?,
        attack_flows: Arc::new(aegis_infrastructure::feeds::attack_flow::AttackFlowFiles),
        siem: Arc::new(aegis_infrastructure::telemetry::siem::HttpSiemAlerts::default()),
        scan_signer: scan_signer(settings, &secret_key)?,
        detection_parser: Arc::new(aegis_infrastructure::scans::ImporterParsers),
        openid: Arc::new(aegis_infrastructure::sso::HttpOpenIdProvider::default()),
        sso_callback_url: format!("{}/api/v1/sso/callback", settings.public_url()),
        github_api: Arc::new(aegis_infrastructure::github::HttpGithubApi::default()),
        public_url: Some(settings.public_url()),
    };
    let auth = AuthSettings {
        access_token_ttl: Duration::minutes(settings.access_token_minutes),
        refresh_token_ttl: Duration::days(settings.refresh_token_days),
        lockout: LockoutPolicy {
            threshold: settings.lockout_threshold,
            base_seconds: settings.lockout_base_seconds,
            max_seconds: settings.lockout_max_seconds,
        },
    };
    Ok(Wired {
        services: Services::new(
            deps,
            auth,
            aegis_application::Limits {
                evidence_max_bytes: settings.evidence_max_bytes,
                evidence_link_ttl: std::time::Duration::from_secs(settings.evidence_link_seconds),
                telemetry_window: aegis_domain::telemetry::WindowPolicy {
                    clock_skew: Duration::seconds(settings.telemetry_clock_skew_seconds),
                    grace: Duration::seconds(settings.telemetry_grace_seconds),
                },
                webhook_delivery: settings.webhook_policy(),
            },
            job_settings,
        ),
        database,
        job_queue,
        notifications,
    })
}

/// Email as configured: `None` without `AEGIS_SMTP_HOST`.
///
/// # Errors
/// `Config` naming the SMTP setting at fault.
pub fn mailing(
    settings: &Settings,
) -> Result<Option<aegis_application::notifications::Mailing>, StartupError> {
    use aegis_infrastructure::mail::{SmtpMailSender, SmtpSecurity, SmtpSettings};
    let Some(host) = &settings.smtp_host else {
        return Ok(None);
    };
    let refused = |reason: String| {
        StartupError::Config(crate::config::ConfigError::Refused(format!(
            "AEGIS_SMTP_*: {reason}"
        )))
    };
    let extra_root_pem = match &settings.smtp_ca_file {
        None => None,
        Some(path) => Some(
            std::fs::read(path)
                .map_err(|e| refused(format!("cannot read {}: {e}", path.display())))?,
        ),
    };
    let sender = SmtpMailSender::new(SmtpSettings {
        host: host.clone(),
        port: settings.smtp_port(),
        security: match settings.smtp_security {
            crate::config::SmtpSecurity::None => SmtpSecurity::None,
            crate::config::SmtpSecurity::Starttls => SmtpSecurity::StartTls,
            crate::config::SmtpSecurity::Tls => SmtpSecurity::Tls,
        },
        credentials: settings
            .smtp_username
            .clone()
            .zip(settings.smtp_password.as_ref())
            .map(|(user, password)| (user, password.expose_secret().to_owned())),
        from: settings.smtp_from.clone(),
        extra_root_pem,
        timeout: std::time::Duration::from_secs(settings.smtp_timeout_seconds.max(1)),
    })
    .map_err(|e| refused(e.to_string()))?;
    Ok(Some(aegis_application::notifications::Mailing {
        sender: Arc::new(sender),
        web_url: settings.public_url(),
    }))
}

/// The configured ATT&CK feed for `sync-mitre`: TAXII with the bundle URL as fallback, or
/// the bundle URL alone.
fn attack_feed(settings: &Settings) -> Arc<dyn AttackSource> {
    let bundle = UrlAttackSource::new(settings.attack_url.clone());
    match &settings.attack_taxii_url {
        Some(taxii) => Arc::new(TaxiiAttackSource::new(taxii.clone(), Some(bundle))),
        None => Arc::new(bundle),
    }
}

/// The configured evidence store, its bucket created when S3 is reachable and it is missing.
///
/// # Errors
/// `StartupError::Evidence` when the S3 settings are incomplete or unusable.
pub async fn evidence_store(settings: &Settings) -> Result<Arc<dyn EvidenceStore>, StartupError> {
    Ok(match settings.evidence_backend() {
        EvidenceBackend::Filesystem => {
            Arc::new(FilesystemEvidenceStore::new(settings.evidence_dir()))
        }
        EvidenceBackend::S3 => {
            let missing = |key: &str| StartupError::Evidence(format!("AEGIS_{key} is not set"));
            let s3 = S3Settings {
                endpoint: settings
                    .s3_endpoint
                    .clone()
                    .ok_or_else(|| missing("S3_ENDPOINT"))?,
                region: settings.s3_region.clone(),
                bucket: settings.s3_bucket.clone(),
                access_key: settings
                    .s3_access_key
                    .clone()
                    .ok_or_else(|| missing("S3_ACCESS_KEY"))?,
                secret_key: settings
                    .s3_secret_key
                    .as_ref()
                    .map(|secret| secret.expose_secret().to_owned())
                    .ok_or_else(|| missing("S3_SECRET_KEY"))?,
                path_style: settings.s3_path_style,
                public_endpoint: settings.s3_public_endpoint.clone(),
            };
            let store =
                S3EvidenceStore::new(s3).map_err(|e| StartupError::Evidence(e.to_string()))?;
            // A store that is down at start is reported by /ready, not fatal: the bucket is
            // created when it is reachable and missing.
            if let Err(error) = store.ensure_bucket().await {
                tracing::warn!(%error, "the evidence bucket is not available yet");
            }
            Arc::new(store)
        }
    })
}

/// What a previous run may have left: coverage scored under another policy, evidence
/// objects of a crash. The scheduled jobs take over from here.
fn spawn_start_up_work(services: &Services, upload_grace: Duration) {
    let coverage = services.coverage.clone();
    let evidence = services.evidence.clone();
    tokio::spawn(async move {
        match coverage.recompute_all().await {
            Ok(count) => tracing::info!(count, "coverage recomputed"),
            Err(error) => tracing::warn!(%error, "coverage recomputation failed"),
        }
        match evidence.sweep(upload_grace).await {
            Ok(report) => tracing::info!(?report, "evidence swept"),
            Err(error) => tracing::warn!(%error, "evidence sweep failed"),
        }
    });
}

/// An empty catalog at start: every enabled feed is synced at once (ATT&CK first). A failure
/// here is logged, never fatal: the dashboard offers the offline uploads instead.
async fn first_start_sync(services: &Services, tenant: &Tenant) {
    use aegis_application::data_sources::FirstStart;
    let system = aegis_application::context::Initiator::System { tenant: tenant.id };
    let context = aegis_application::context::RequestContext {
        request_id: Some("first-start".to_owned()),
        ..Default::default()
    };
    match services
        .data_sources
        .sync_at_first_start(&system, &context)
        .await
    {
        Ok(FirstStart::Queued { sources, run }) => tracing::info!(
            sources = sources.len(),
            job = %run.id,
            "empty catalog: ATT&CK and the enabled feeds are syncing now"
        ),
        Ok(FirstStart::AlreadyStarted) => tracing::info!(
            "empty catalog and a first sync already tried: upload the offline bundles on the dashboard"
        ),
        Ok(FirstStart::CatalogPresent | FirstStart::NothingEnabled) => {}
        Err(error) => tracing::warn!(%error, "the first sync could not be queued"),
    }
}

/// Runs the job workers and schedulers of this process in the background.
pub fn spawn_job_workers(settings: &Settings, wired: &Wired) {
    let queue = wired.job_queue.clone();
    let jobs = wired.services.jobs.clone();
    let worker = settings.worker_settings();
    tokio::spawn(async move {
        if let Err(error) = run_workers(queue, jobs, worker, std::future::pending()).await {
            tracing::error!(%error, "the job workers stopped");
        }
    });
}

/// Applies pending migrations, or refuses to go on when they are pending and not applied
/// automatically.
async fn prepare_schema(settings: &Settings, database: &SeaDatabase) -> Result<(), StartupError> {
    let connection = database.connection();
    if settings.auto_migrate() {
        return Migrator::up(connection, None)
            .await
            .map_err(|e| StartupError::Migrations(e.to_string()));
    }
    let pending = Migrator::get_pending_migrations(connection)
        .await
        .map_err(|e| StartupError::Migrations(e.to_string()))?;
    if pending.is_empty() {
        Ok(())
    } else {
        let names: Vec<&str> = pending.iter().map(|m| m.name()).collect();
        Err(StartupError::PendingMigrations(names.join(", ")))
    }
}

/// A started server and what first start created.
pub struct Application {
    pub port: u16,
    pub server: Server,
    pub bootstrap_admin: Option<BootstrapAdmin>,
}

/// The installation ready for work: schema current, default tenant present.
pub struct Prepared {
    pub wired: Wired,
    pub tenant: Tenant,
}

/// Wires everything, prepares the schema and makes sure the default tenant exists.
///
/// # Errors
/// Any `StartupError` on the way.
pub async fn prepare(settings: &Settings) -> Result<Prepared, StartupError> {
    let wired = wire(settings).await?;
    prepare_schema(settings, &wired.database).await?;
    let tenant = wired
        .services
        .bootstrap
        .ensure_tenant(DEFAULT_TENANT_SLUG, &settings.tenant_name)
        .await
        .map_err(|e| StartupError::Bootstrap(e.to_string()))?;
    // Every organization has the eight system alert rules from its first start.
    wired
        .services
        .alerts
        .ensure_every_tenant()
        .await
        .map_err(|e| StartupError::Bootstrap(e.to_string()))?;
    Ok(Prepared { wired, tenant })
}

/// Prepares the installation, creates the first admin when there is none, and binds the
/// listener (port 0 picks a free one).
///
/// # Errors
/// Any `StartupError` on the way.
pub async fn build(settings: &Settings) -> Result<Application, StartupError> {
    let Prepared { wired, tenant } = prepare(settings).await?;
    let bootstrap_admin = if settings.is_production() && settings.admin_password.is_none() {
        // Production never prints a password: without one configured, the first admin is
        // created with `aegis admin create-user`.
        tracing::info!("no AEGIS_ADMIN_PASSWORD: no bootstrap admin is created");
        None
    } else {
        let password = settings
            .admin_password
            .as_ref()
            .map(|p: &SecretString| p.expose_secret().to_owned());
        wired
            .services
            .bootstrap
            .ensure_admin(&tenant, &settings.admin_email, password)
            .await
            .map_err(|e| StartupError::Bootstrap(e.to_string()))?
    };
    let listener = TcpListener::bind(&settings.listen).map_err(|source| StartupError::Listen {
        address: settings.listen.clone(),
        source,
    })?;
    let port = listener
        .local_addr()
        .map_err(|source| StartupError::Listen {
            address: settings.listen.clone(),
            source,
        })?
        .port();
    let http = HttpSettings {
        production: settings.is_production(),
        secure_cookies: settings.secure_cookies(),
        swagger_ui: settings.swagger_ui(),
        cors_origins: settings.cors_origins.clone(),
        max_body_bytes: settings.max_body_bytes,
        auth_requests_per_minute: settings.auth_rate_limit_per_minute,
        trust_forwarded_for: settings.trust_forwarded_for,
        metrics_token: settings.metrics_token.clone(),
    };
    let workers = settings
        .http_workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from));
    spawn_start_up_work(&wired.services, settings.evidence_upload_grace());
    if settings.first_start_sync {
        first_start_sync(&wired.services, &tenant).await;
    }
    if settings.jobs_in_process {
        spawn_job_workers(settings, &wired);
    }
    if wired.services.notifications.email_available() {
        // Emails leave as their notifications commit, not only at the scheduled run.
        tokio::spawn(wired.services.notifications.clone().relay_email_requests());
    }
    let connection = wired.database.connection();
    if connection.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        // Notifications committed by the other instances and the workers reach this one's
        // live streams through PostgreSQL.
        let pool = connection.get_postgres_connection_pool().clone();
        tokio::spawn(wired.notifications.clone().relay_from_postgres(pool));
    }
    let server = aegis_http::serve(listener, wired.services, http, workers).map_err(|source| {
        StartupError::Listen {
            address: settings.listen.clone(),
            source,
        }
    })?;
    Ok(Application {
        port,
        server,
        bootstrap_admin,
    })
}

/// The configured report signing key, or one derived from the server secret.
///
/// # Errors
/// `Config` when the configured key is not 64 hex digits.
pub fn report_signer(
    settings: &Settings,
    secret_key: &SecretString,
) -> Result<aegis_infrastructure::reports::Ed25519Signer, StartupError> {
    use aegis_infrastructure::reports::Ed25519Signer;
    match &settings.report_signing_key {
        Some(key) => Ed25519Signer::from_hex(key.expose_secret()).map_err(|e| {
            StartupError::Config(crate::config::ConfigError::Refused(format!(
                "AEGIS_REPORT_SIGNING_KEY: {e}"
            )))
        }),
        None => Ok(Ed25519Signer::derived(
            secret_key.expose_secret().as_bytes(),
        )),
    }
}

/// The scan artifact signer the configuration asks for (`AEGIS_SCAN_SIGNER`).
///
/// # Errors
/// `Config` for a signer that is none of `ed25519`, `hmac-sha256` and `development`, or a
/// bad report key.
pub fn scan_signer(
    settings: &Settings,
    secret_key: &SecretString,
) -> Result<Arc<dyn aegis_application::scans::ScanSigner>, StartupError> {
    match settings.scan_signer.trim() {
        "ed25519" => Ok(Arc::new(aegis_application::scans::ReportKeySigner(
            Arc::new(report_signer(settings, secret_key)?),
        ))),
        "hmac-sha256" => Ok(Arc::new(aegis_infrastructure::scans::HmacSigner::derived(
            secret_key.expose_secret().as_bytes(),
        ))),
        // `Settings::validate` refuses it on the production profile.
        "development" => Ok(Arc::new(
            aegis_infrastructure::scans::DevelopmentSigner::new(),
        )),
        other => Err(StartupError::Config(crate::config::ConfigError::Refused(
            format!("AEGIS_SCAN_SIGNER: `{other}` is none of ed25519, hmac-sha256 and development"),
        ))),
    }
}

/// The server secret: configured, or the embedded profile's generated `secret.key`.
///
/// # Errors
/// `DataDir` when the secret file cannot be read or created.
pub fn server_secret(settings: &Settings) -> Result<SecretString, StartupError> {
    let data_dir = &settings.data_dir;
    match &settings.secret_key {
        Some(secret) => Ok(secret.clone()),
        None => secret::load_or_create(&data_dir.join("secret.key")).map_err(|source| {
            StartupError::DataDir {
                path: data_dir.display().to_string(),
                source,
            }
        }),
    }
}

/// The company name and logo configured for reports.
///
/// # Errors
/// `Config` naming `AEGIS_REPORT_LOGO` when the file cannot be read or is not a usable image.
pub fn report_branding(
    settings: &Settings,
) -> Result<aegis_infrastructure::reports::Branding, StartupError> {
    use aegis_infrastructure::reports::{Branding, Logo};
    let refused = |reason: String| {
        StartupError::Config(crate::config::ConfigError::Refused(format!(
            "AEGIS_REPORT_LOGO: {reason}"
        )))
    };
    let logo = match &settings.report_logo {
        None => None,
        Some(path) => {
            let bytes = std::fs::read(path)
                .map_err(|e| refused(format!("cannot read {}: {e}", path.display())))?;
            Some(Logo::from_bytes(bytes).map_err(|e| refused(e.to_string()))?)
        }
    };
    Ok(Branding {
        company: settings.report_company.clone(),
        logo,
    })
}
