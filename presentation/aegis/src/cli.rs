//! The command line: `serve`, `worker`, `migrate`, `admin`, `tenant`, `operator`, `import`,
//! `jobs`, `evidence`, `audit`, `report`, `demo`, `backup`, `restore` and `bundle`.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};
use sea_orm_migration::MigratorTrait;
use sea_orm_migration::migrator::MigrationStatus;

use aegis_application::bootstrap::DEFAULT_TENANT_SLUG;
use aegis_application::catalog::AttackSource;
use aegis_application::context::{Initiator, RequestContext};
use aegis_application::tenants::{NewTenant, TenantError};
use aegis_application::users::NewUser;
use aegis_domain::data_source::{FeedKind, SyncCounts};
use aegis_domain::detection::RuleSource;
use aegis_domain::feed::ImportCounts;
use aegis_domain::template::TemplateSource;
use aegis_infrastructure::feeds::attack::FileAttackSource;
use aegis_infrastructure::feeds::ctid::ComplianceFiles;
use aegis_infrastructure::feeds::remote::{
    OFFICIAL_BUNDLE_URL, OFFICIAL_TAXII_OBJECTS_URL, TaxiiAttackSource, UrlAttackSource,
};
use aegis_infrastructure::feeds::rule_files::{D3fendFiles, Location, RuleFiles};
use aegis_infrastructure::feeds::stix_intel::StixIntelFiles;
use aegis_infrastructure::feeds::template_files::LibraryFiles;
use aegis_migrations::Migrator;

use crate::app::{self, StartupError};
use crate::config::Settings;
use crate::telemetry;

#[derive(Debug, Parser)]
#[command(
    name = "aegis",
    version,
    about = "Prove how well you are defended against MITRE ATT&CK"
)]
pub struct Cli {
    /// A TOML configuration file (default: ./aegis.toml when present).
    #[arg(long, global = true, env = "AEGIS_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API and the web pages (and, unless AEGIS_JOBS_IN_PROCESS=false, run jobs).
    Serve,
    /// Run the job workers and schedulers without serving HTTP; run as many as you like.
    Worker,
    /// Run a background job now, in the foreground, recorded in the job history.
    Jobs {
        #[command(subcommand)]
        action: JobsAction,
    },
    /// Manage the database schema.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Manage users from the command line.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Run the installation's tenants, as the platform operator at the console.
    Tenant {
        #[command(subcommand)]
        action: TenantAction,
    },
    /// Grant platform operation (the tenants API) to a user.
    Operator {
        #[command(subcommand)]
        action: OperatorAction,
    },
    /// Import a feed into the catalog (a file or archive for air-gapped sites).
    Import {
        #[command(subcommand)]
        feed: ImportFeed,
    },
    /// Evidence store maintenance.
    Evidence {
        #[command(subcommand)]
        action: EvidenceAction,
    },
    /// Inspect the audit trail.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Check generated reports.
    Report {
        #[command(subcommand)]
        action: ReportAction,
    },
    /// Fill the installation with a demonstration data set (users of every role, APT29's
    /// techniques, a purple-team campaign, findings, twelve weeks of trend); run it twice and
    /// nothing changes.
    Demo,
    /// Back up the database (consistent while Aegis runs), the evidence and reports, and a
    /// manifest of counts and hashes into a new directory.
    Backup {
        #[arg(long)]
        to: PathBuf,
    },
    /// Restore a backup into an empty installation, then check it: row counts, every hash,
    /// the audit chains and the report seals.
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
    /// Move this embedded installation (SQLite and the evidence folder) into an empty
    /// PostgreSQL database and the S3 store of AEGIS_S3_*, then check it as a restore is
    /// checked: row counts, every hash, the audit chains and the report seals.
    MigrateData {
        /// The PostgreSQL database to fill (postgres://user@host/database); it must hold no rows.
        #[arg(long)]
        to: String,
    },
    /// Air-gapped installs: pack this binary, feed archives, the systemd units and install.sh.
    Bundle {
        #[command(subcommand)]
        action: BundleAction,
    },
    /// Prove detections from recorded telemetry, offline.
    Telemetry {
        #[command(subcommand)]
        action: TelemetryAction,
    },
    /// Scan a diff of detection content (a pipeline's gate: exits 1 on fail, 2 on error), or
    /// verify a signed scan artifact offline.
    Scan(crate::scan::ScanCommand),
}

#[derive(Debug, Subcommand)]
pub enum BundleAction {
    /// Write the bundle (a .tar.gz) that scripts/install.sh installs from.
    Create {
        #[arg(long)]
        out: PathBuf,
        /// A feed archive to carry and import at install: KIND=PATH (e.g.
        /// attack=enterprise-attack.json.gz, sigma=sigma_all_rules.zip); repeat it.
        #[arg(long = "feed")]
        feeds: Vec<crate::bundle::BundledFeed>,
    },
}

#[derive(Debug, Subcommand)]
pub enum TelemetryAction {
    /// Which Sigma rules fire on recorded events (EVTX or JSON lines in the flat Windows,
    /// Winlogbeat/ECS or Splunk shapes; plain, .gz or .zip).
    Evaluate {
        /// A Sigma rule file, a directory of rules, or a .zip / .tar.gz of them.
        #[arg(long)]
        rules: PathBuf,
        /// The telemetry file or archive.
        #[arg(long)]
        events: PathBuf,
        /// Print the result as one JSON document.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReportAction {
    /// Check that a downloaded report is unaltered and signed by this server (or by the
    /// holder of --public-key); exits non-zero when it is not.
    Verify {
        file: PathBuf,
        /// The Ed25519 public key (hex) to check against instead of this server's.
        #[arg(long)]
        public_key: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Apply pending migrations.
    Up,
    /// Revert the last migrations.
    Down {
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List migrations and whether they are applied.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum TenantAction {
    /// Create a tenant and its first admin (who must change the password at first sign-in).
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        admin_email: String,
        /// The first admin's password; generated and printed once when absent.
        #[arg(long)]
        admin_password: Option<String>,
    },
    /// List every tenant.
    List,
    /// Stop a tenant's sign-ins (password, refresh, API keys); its data is kept.
    Disable { slug: String },
    /// Let a disabled tenant's users sign in again.
    Enable { slug: String },
}

#[derive(Debug, Subcommand)]
pub enum OperatorAction {
    /// Make the user with this email a platform operator.
    Grant { email: String },
}

#[derive(Debug, Subcommand)]
pub enum AdminAction {
    /// Create a user who must change the password at first sign-in.
    CreateUser {
        #[arg(long)]
        email: String,
        /// admin, red_lead, red_tech, blue_lead, blue_tech or viewer.
        #[arg(long)]
        role: String,
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        #[arg(long, default_value = DEFAULT_TENANT_SLUG)]
        tenant: String,
    },
    /// Set a new password (generated unless read from stdin) that must be changed at next sign-in.
    ResetPassword {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password_stdin: bool,
        #[arg(long, default_value = DEFAULT_TENANT_SLUG)]
        tenant: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportFeed {
    /// MITRE ATT&CK Enterprise from a file, an HTTPS URL or a TAXII 2.1 server.
    #[command(group(clap::ArgGroup::new("source").required(true).args(["path", "url", "taxii"])))]
    Attack {
        /// A STIX bundle file (.json or .json.gz): the air-gapped way.
        #[arg(long)]
        path: Option<PathBuf>,
        /// A STIX bundle URL (default: the official Enterprise bundle); with --taxii, the
        /// fallback when TAXII fails.
        #[arg(long, num_args = 0..=1, default_missing_value = OFFICIAL_BUNDLE_URL)]
        url: Option<String>,
        /// A TAXII 2.1 collection's objects URL (default: MITRE's Enterprise collection).
        #[arg(long, num_args = 0..=1, default_missing_value = OFFICIAL_TAXII_OBJECTS_URL)]
        taxii: Option<String>,
    },
    /// Sigma rules (YAML); e.g. --url of sigma_all_rules.zip.
    Sigma(FeedLocation),
    /// Elastic detection rules (TOML): the repository's rules/ or an archive of it.
    Elastic(FeedLocation),
    /// D3FEND countermeasures from API responses (offensive-technique/attack/<T>.json).
    D3fend(FeedLocation),
    /// Atomic Red Team tests (atomics/<T>/<T>.yaml): the atomics folder or an archive of the
    /// repository, e.g. --url https://github.com/redcanaryco/atomic-red-team/archive/refs/heads/master.zip
    Atomic(FeedLocation),
    /// CALDERA abilities (data/abilities/**.yml) of the stockpile plugin.
    Caldera(FeedLocation),
    /// LOLBAS entries (yml/**.yml).
    Lolbas(FeedLocation),
    /// GTFOBins pages (_gtfobins/*, with _data/functions.yml for the ATT&CK mapping).
    Gtfobins(FeedLocation),
    /// Threat intelligence in STIX 2.x bundles (.json): intrusion sets and threat actors,
    /// merged with the ATT&CK groups by STIX id and alias.
    Stix(FeedLocation),
    /// Compliance mappings: Center for Threat-Informed Defense Mappings Explorer JSON (NIST SP
    /// 800-53 rev 5, CSA CCM, …), the CIS Controls v8 export and NIST's crosswalks to ISO 27001
    /// and the CSF (.xlsx).
    Compliance(FeedLocation),
}

/// Where a feed is: on disk or to download first.
#[derive(Debug, clap::Args)]
#[group(id = "from", required = true, multiple = false)]
pub struct FeedLocation {
    /// A file, a directory, a .zip or a .tar.gz.
    #[arg(long)]
    path: Option<PathBuf>,
    /// Download it first (a release archive or one file).
    #[arg(long)]
    url: Option<String>,
}

impl From<FeedLocation> for Location {
    fn from(from: FeedLocation) -> Self {
        match (from.path, from.url) {
            (Some(path), _) => Self::Path(path),
            (None, Some(url)) => Self::Url(url),
            (None, None) => Self::Path(PathBuf::from(".")),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum JobsAction {
    /// Run one job: attack_sync, intel_scan, notification_cleanup, coverage_snapshot,
    /// coverage_refresh, evidence_sweep or feed_sync.
    Run {
        job: String,
        /// Queue it for the workers and print the run's id instead of running it here.
        #[arg(long)]
        queued: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum EvidenceAction {
    /// Remove the objects of interrupted uploads (older than the grace period) and of
    /// deleted files now, instead of waiting for the server's periodic sweep.
    Sweep,
}

#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Recompute every tenant's hash chain; exits non-zero when one is broken.
    Verify,
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("{0}")]
    Failed(String),
    /// Ends the command with this exit status (a scan's fail or error).
    #[error("{message}")]
    Exit { code: u8, message: String },
}

fn read_password_from_stdin() -> Result<String, CliError> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("password (then Enter):");
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::Failed(format!("cannot read stdin: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Runs one command to completion.
///
/// # Errors
/// A `CliError` with a message for the operator.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let settings = Settings::load(cli.config.as_deref())?;
    telemetry::init(&settings);
    match cli.command {
        Command::Serve => serve(&settings).await,
        Command::Worker => worker(&settings).await,
        Command::Jobs {
            action: JobsAction::Run { job, queued },
        } => run_job(&settings, &job, queued).await,
        Command::Migrate { action } => migrate(&settings, action).await,
        Command::Admin { action } => admin(&settings, action).await,
        Command::Tenant { action } => tenant(&settings, action).await,
        Command::Operator { action } => operator(&settings, action).await,
        Command::Import { feed } => import(&settings, feed).await,
        Command::Evidence {
            action: EvidenceAction::Sweep,
        } => sweep_evidence(&settings).await,
        Command::Audit {
            action: AuditAction::Verify,
        } => verify_audit(&settings).await,
        Command::Report {
            action: ReportAction::Verify { file, public_key },
        } => verify_report(&settings, &file, public_key),
        Command::Demo => demo(&settings).await,
        Command::Backup { to } => {
            let started = std::time::Instant::now();
            let manifest = crate::backup::backup(&settings, &to).await?;
            println!(
                "backed up into {} in {:.1} s: {} tables, {} rows, {} objects{}",
                to.display(),
                started.elapsed().as_secs_f64(),
                manifest.tables.len(),
                manifest.rows(),
                manifest.objects.len(),
                if manifest.includes_secret {
                    " and the data directory's secret (keep the backup private)"
                } else {
                    ""
                }
            );
            Ok(())
        }
        Command::Bundle {
            action: BundleAction::Create { out, feeds },
        } => {
            let bundle = crate::bundle::create(&out, &feeds)?;
            println!(
                "wrote {}: {} files ({} bytes before compression); install with \
                 `tar xzf {} && sudo ./aegis-bundle/install.sh`",
                out.display(),
                bundle.files,
                bundle.bytes,
                out.display()
            );
            Ok(())
        }
        Command::Restore { from } => {
            let started = std::time::Instant::now();
            let restored = crate::backup::restore(&settings, &from).await?;
            println!(
                "restored from {} in {:.1} s and verified: {} tables and {} rows as in the manifest, \
                 {} objects matching their hashes, {} audit chain(s) intact ({} entries), {} report seal(s) valid",
                from.display(),
                started.elapsed().as_secs_f64(),
                restored.tables,
                restored.rows,
                restored.objects,
                restored.audit_chains,
                restored.audit_entries,
                restored.report_seals
            );
            Ok(())
        }
        Command::MigrateData { to } => {
            let started = std::time::Instant::now();
            let moved = crate::migrate_data::migrate_data(&settings, &to).await?;
            println!(
                "moved into PostgreSQL and S3 in {:.1} s and verified: {} tables and {} rows \
                 with the same counts, {} objects matching their hashes, {} audit chain(s) \
                 intact ({} entries), {} report seal(s) valid",
                started.elapsed().as_secs_f64(),
                moved.tables,
                moved.rows,
                moved.objects,
                moved.verified.audit_chains,
                moved.verified.audit_entries,
                moved.verified.report_seals
            );
            if !moved.left_behind.is_empty() {
                println!(
                    "left behind (PostgreSQL keeps these its own way): {}",
                    moved.left_behind.join(", ")
                );
            }
            if let Some(secret) = moved.secret_file {
                println!(
                    "start the production profile with AEGIS_SECRET_KEY set to the contents of \
                     {}: sessions, sealed credentials and report seals depend on it",
                    secret.display()
                );
            }
            Ok(())
        }
        Command::Telemetry {
            action:
                TelemetryAction::Evaluate {
                    rules,
                    events,
                    json,
                },
        } => evaluate_telemetry(&rules, &events, json),
        Command::Scan(command) => crate::scan::run(&settings, command).await,
    }
}

fn evaluate_telemetry(rules: &Path, events: &Path, json: bool) -> Result<(), CliError> {
    use aegis_infrastructure::telemetry::{TelemetryLimits, evaluate_file, load_rules};
    let set = load_rules(rules).map_err(|e| CliError::Failed(e.to_string()))?;
    let total = set.rules.len();
    let (evaluation, read) = evaluate_file(set.rules, events, TelemetryLimits::default())
        .map_err(|e| CliError::Failed(e.to_string()))?;
    if json {
        let document = serde_json::json!({
            "events": events.display().to_string(),
            "events_read": evaluation.events_read,
            "events_skipped": read.skipped,
            "skipped_reasons": read.skipped_reasons,
            "first_event_at": evaluation.first_event_at,
            "last_event_at": evaluation.last_event_at,
            "rules_total": total,
            "rule_files_skipped": set.skipped.len(),
            "rules_evaluated": evaluation.rules_evaluated,
            "rules_unsupported": evaluation.rules_unsupported,
            "rules_fired": evaluation.fired.len(),
            "fired": evaluation.fired,
            "unsupported": evaluation.unsupported,
        });
        println!("{document}");
        return Ok(());
    }
    println!(
        "events read: {} ({} skipped)",
        evaluation.events_read, read.skipped
    );
    println!(
        "rules: {total} read, {} evaluated, {} unsupported, {} files skipped",
        evaluation.rules_evaluated,
        evaluation.rules_unsupported,
        set.skipped.len()
    );
    println!("rules fired: {}", evaluation.fired.len());
    for rule in &evaluation.fired {
        println!(
            "  {}  {}  [{}]  {} matching event(s)",
            rule.id,
            rule.title,
            rule.techniques.join(", "),
            rule.matching_events
        );
    }
    Ok(())
}

fn verify_report(
    settings: &Settings,
    file: &Path,
    public_key: Option<String>,
) -> Result<(), CliError> {
    use aegis_application::reports::DocumentSigner;
    use sha2::Digest;
    let bytes = std::fs::read(file)
        .map_err(|e| CliError::Failed(format!("cannot read {}: {e}", file.display())))?;
    let public_key = match public_key {
        Some(key) => key,
        None => app::report_signer(settings, &app::server_secret(settings)?)?.public_key(),
    };
    let Some(seal) = aegis_domain::report::unseal(&bytes) else {
        return Err(CliError::Failed(format!(
            "{}: NOT VALID: it carries no Aegis signature",
            file.display()
        )));
    };
    let digest = sha2::Sha256::digest(seal.body);
    if hex::encode(digest) != seal.digest_hex {
        return Err(CliError::Failed(format!(
            "{}: NOT VALID: the document was altered after it was signed",
            file.display()
        )));
    }
    if !aegis_infrastructure::reports::verify_with(&public_key, &digest, &seal.signature_hex) {
        return Err(CliError::Failed(format!(
            "{}: NOT VALID: the signature is not from key {public_key}",
            file.display()
        )));
    }
    println!(
        "{}: valid: unaltered, signed by key {public_key} (sha256 {})",
        file.display(),
        seal.digest_hex
    );
    Ok(())
}

async fn serve(settings: &Settings) -> Result<(), CliError> {
    let application = app::build(settings).await?;
    let host = settings
        .listen
        .rsplit_once(':')
        .map_or("127.0.0.1", |(host, _)| host);
    let url = format!("http://{host}:{}", application.port);
    if let Some(admin) = &application.bootstrap_admin {
        // Printed once, on the terminal, never logged.
        println!("Created the first admin: {}", admin.email);
        match &admin.generated_password {
            Some(password) => println!(
                "  password: {password}  (shown once; you must change it at first sign-in)"
            ),
            None => println!(
                "  password: the value of AEGIS_ADMIN_PASSWORD (you must change it at first sign-in)"
            ),
        }
    }
    println!("Aegis is listening on {url}  (API docs: {url}/docs/, health: {url}/health)");
    tracing::info!(%url, profile = ?settings.profile, "aegis started");
    application
        .server
        .await
        .map_err(|e| CliError::Failed(format!("server stopped: {e}")))
}

async fn migrate(settings: &Settings, action: MigrateAction) -> Result<(), CliError> {
    let wired = app::wire(settings).await?;
    let connection = wired.database.connection();
    let failed = |e: sea_orm_migration::DbErr| CliError::Failed(format!("migration failed: {e}"));
    match action {
        MigrateAction::Up => {
            Migrator::up(connection, None).await.map_err(failed)?;
            println!("migrations applied");
        }
        MigrateAction::Down { steps } => {
            Migrator::down(connection, Some(steps))
                .await
                .map_err(failed)?;
            println!("reverted {steps} migration(s)");
        }
        MigrateAction::Status => {
            for migration in Migrator::get_migration_with_status(connection)
                .await
                .map_err(failed)?
            {
                let status = match migration.status() {
                    MigrationStatus::Applied => "applied",
                    MigrationStatus::Pending => "pending",
                };
                println!("{status:8} {}", migration.name());
            }
        }
    }
    Ok(())
}

async fn system_initiator(prepared: &app::Prepared, tenant: &str) -> Result<Initiator, CliError> {
    let tenant = prepared
        .wired
        .services
        .bootstrap
        .find_tenant(tenant)
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?
        .ok_or_else(|| CliError::Failed(format!("no tenant `{tenant}`")))?;
    Ok(Initiator::System { tenant: tenant.id })
}

async fn admin(settings: &Settings, action: AdminAction) -> Result<(), CliError> {
    let prepared = app::prepare(settings).await?;
    let users = &prepared.wired.services.users;
    let context = RequestContext {
        request_id: Some("cli".to_owned()),
        ..RequestContext::default()
    };
    match action {
        AdminAction::CreateUser {
            email,
            role,
            display_name,
            password_stdin,
            tenant,
        } => {
            let initiator = system_initiator(&prepared, &tenant).await?;
            let password = if password_stdin {
                Some(read_password_from_stdin()?)
            } else {
                None
            };
            let request = NewUser {
                email,
                display_name,
                role,
                kind: None,
                password,
            };
            let created = users
                .create(&initiator, request, None, &context)
                .await
                .map_err(|e| describe_user_error(&e))?;
            println!("created {} ({})", created.user.email, created.user.role);
            if let Some(password) = created.generated_password {
                println!("password: {password}  (shown once; must be changed at first sign-in)");
            }
        }
        AdminAction::ResetPassword {
            email,
            password_stdin,
            tenant,
        } => {
            let initiator = system_initiator(&prepared, &tenant).await?;
            let user = users
                .find_by_email(&initiator, &email)
                .await
                .map_err(|e| describe_user_error(&e))?;
            let password = if password_stdin {
                Some(read_password_from_stdin()?)
            } else {
                None
            };
            let id = aegis_domain::user::UserId::from_uuid(user.id);
            let generated = users
                .reset_password(&initiator, id, password, &context)
                .await
                .map_err(|e| describe_user_error(&e))?;
            println!("password reset for {}", user.email);
            if let Some(password) = generated {
                println!("password: {password}  (shown once; must be changed at next sign-in)");
            }
        }
    }
    Ok(())
}

/// The console acts as the platform operator: whoever runs the binary against the database
/// already holds the installation.
async fn tenant(settings: &Settings, action: TenantAction) -> Result<(), CliError> {
    let prepared = app::prepare(settings).await?;
    let tenants = &prepared.wired.services.tenants;
    let console = Initiator::System {
        tenant: prepared.tenant.id,
    };
    let context = RequestContext {
        request_id: Some("cli".to_owned()),
        ..RequestContext::default()
    };
    let failed = |e: TenantError| describe_tenant_error(&e);
    match action {
        TenantAction::Create {
            slug,
            name,
            admin_email,
            admin_password,
        } => {
            let request = NewTenant {
                slug,
                name,
                admin_email,
                admin_password,
            };
            let created = tenants
                .create(&console, request, None, &context)
                .await
                .map_err(failed)?;
            println!(
                "created tenant {} ({}) with admin {}",
                created.tenant.slug, created.tenant.name, created.admin.email
            );
            if let Some(password) = created.generated_password {
                println!("password: {password}  (shown once; must be changed at first sign-in)");
            }
        }
        TenantAction::List => {
            for tenant in tenants.list(&console).await.map_err(failed)? {
                println!(
                    "{:<24} {:<9} {}  {}",
                    tenant.slug, tenant.status, tenant.id, tenant.name
                );
            }
        }
        TenantAction::Disable { slug } => {
            let tenant = tenants.get_by_slug(&console, &slug).await.map_err(failed)?;
            let tenant = tenants
                .disable(&console, tenant.id, &context)
                .await
                .map_err(failed)?;
            println!("tenant {} is {}", tenant.slug, tenant.status);
        }
        TenantAction::Enable { slug } => {
            let tenant = tenants.get_by_slug(&console, &slug).await.map_err(failed)?;
            let tenant = tenants
                .enable(&console, tenant.id, &context)
                .await
                .map_err(failed)?;
            println!("tenant {} is {}", tenant.slug, tenant.status);
        }
    }
    Ok(())
}

async fn operator(settings: &Settings, action: OperatorAction) -> Result<(), CliError> {
    let prepared = app::prepare(settings).await?;
    let console = Initiator::System {
        tenant: prepared.tenant.id,
    };
    let context = RequestContext {
        request_id: Some("cli".to_owned()),
        ..RequestContext::default()
    };
    match action {
        OperatorAction::Grant { email } => {
            let user = prepared
                .wired
                .services
                .tenants
                .grant_operator(&console, &email, &context)
                .await
                .map_err(|e| describe_tenant_error(&e))?;
            println!("{} is a platform operator", user.email);
        }
    }
    Ok(())
}

fn describe_tenant_error(error: &TenantError) -> CliError {
    match error {
        TenantError::Invalid(fields) => {
            let details: Vec<String> = fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect();
            CliError::Failed(details.join("; "))
        }
        other => CliError::Failed(other.to_string()),
    }
}

fn describe_user_error(error: &aegis_application::users::UserError) -> CliError {
    use aegis_application::users::UserError;
    match error {
        UserError::Invalid(fields) => {
            let details: Vec<String> = fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect();
            CliError::Failed(details.join("; "))
        }
        other => CliError::Failed(other.to_string()),
    }
}

async fn import(settings: &Settings, feed: ImportFeed) -> Result<(), CliError> {
    match feed {
        ImportFeed::Attack { path, url, taxii } => import_attack(settings, path, url, taxii).await,
        ImportFeed::Sigma(from) => {
            import_rules(settings, RuleFiles::at(RuleSource::Sigma, from.into())).await
        }
        ImportFeed::Elastic(from) => {
            import_rules(settings, RuleFiles::at(RuleSource::Elastic, from.into())).await
        }
        ImportFeed::D3fend(from) => import_d3fend(settings, D3fendFiles::at(from.into())).await,
        ImportFeed::Atomic(from) => import_library(settings, TemplateSource::Atomic, from).await,
        ImportFeed::Caldera(from) => import_library(settings, TemplateSource::Caldera, from).await,
        ImportFeed::Lolbas(from) => import_library(settings, TemplateSource::Lolbas, from).await,
        ImportFeed::Gtfobins(from) => {
            import_library(settings, TemplateSource::Gtfobins, from).await
        }
        ImportFeed::Stix(from) => import_intel(settings, from).await,
        ImportFeed::Compliance(from) => import_compliance(settings, from).await,
    }
}

async fn import_attack(
    settings: &Settings,
    path: Option<PathBuf>,
    url: Option<String>,
    taxii: Option<String>,
) -> Result<(), CliError> {
    let source: Box<dyn AttackSource> = match (path, url, taxii) {
        (Some(path), _, _) => Box::new(FileAttackSource::new(path)),
        (None, url, Some(taxii)) => {
            let fallback =
                UrlAttackSource::new(url.unwrap_or_else(|| OFFICIAL_BUNDLE_URL.to_owned()));
            Box::new(TaxiiAttackSource::new(taxii, Some(fallback)))
        }
        (None, url, None) => Box::new(UrlAttackSource::new(
            url.unwrap_or_else(|| OFFICIAL_BUNDLE_URL.to_owned()),
        )),
    };
    let described = source.describe();
    let (report, started) = run_import(
        settings,
        FeedKind::Attack,
        |services, initiator| async move {
            services
                .catalog
                .import_attack(&initiator, source.as_ref())
                .await
        },
        |r| {
            let totals = r.totals();
            SyncCounts {
                created: totals.created,
                updated: totals.updated,
                unchanged: totals.unchanged,
                skipped: r.skipped.len() as u64,
            }
        },
    )
    .await?;
    println!(
        "ATT&CK imported from {described} in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    for (kind, counts) in &report.counts {
        println!(
            "  {kind:13} created {:5}  updated {:5}  unchanged {:5}  revoked {:4}",
            counts.created, counts.updated, counts.unchanged, counts.revoked
        );
    }
    if !report.flagged_for_review.is_empty() {
        println!(
            "  flagged for review: {}",
            report.flagged_for_review.join(", ")
        );
    }
    for skipped in &report.skipped {
        println!("  skipped {}: {}", skipped.stix_id, skipped.reason);
    }
    if report.is_unchanged() {
        println!("  nothing changed: the catalog already holds this release");
    }
    Ok(())
}

async fn worker(settings: &Settings) -> Result<(), CliError> {
    let prepared = app::prepare(settings).await?;
    let wired = prepared.wired;
    tracing::info!(
        concurrency = settings.job_concurrency,
        "job workers running; Ctrl-C stops them"
    );
    aegis_infrastructure::jobs::run_workers(
        wired.job_queue,
        wired.services.jobs,
        settings.worker_settings(),
        async {
            let _ = tokio::signal::ctrl_c().await;
        },
    )
    .await
    .map_err(|e| CliError::Failed(e.to_string()))
}

async fn run_job(settings: &Settings, job: &str, queued: bool) -> Result<(), CliError> {
    let kind = aegis_domain::job::JobKind::parse(job).ok_or_else(|| {
        let known: Vec<&str> = aegis_domain::job::JobKind::ALL
            .iter()
            .map(|k| k.as_str())
            .collect();
        CliError::Failed(format!("unknown job `{job}`; one of: {}", known.join(", ")))
    })?;
    let prepared = app::prepare(settings).await?;
    let initiator = Initiator::System {
        tenant: prepared.tenant.id,
    };
    let jobs = &prepared.wired.services.jobs;
    if queued {
        let run = jobs
            .run_now(&initiator, kind, &RequestContext::default())
            .await
            .map_err(|e| CliError::Failed(e.to_string()))?;
        println!("{}", run.id);
        return Ok(());
    }
    let run = jobs
        .run_in_foreground(&initiator, kind)
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    let counts: Vec<String> = run
        .counts
        .iter()
        .map(|(name, value)| format!("{name} {value}"))
        .collect();
    println!("{kind}: {} ({})", run.outcome.as_str(), counts.join(", "));
    match run.error {
        Some(error) => Err(CliError::Failed(error)),
        None => Ok(()),
    }
}

/// Runs one feed import as the system, under a spinner, and says how long it took.
async fn run_import<T, E, Fut>(
    settings: &Settings,
    kind: FeedKind,
    import: impl FnOnce(aegis_application::Services, Initiator) -> Fut,
    counts: impl Fn(&T) -> SyncCounts,
) -> Result<(T, std::time::Instant), CliError>
where
    E: std::fmt::Display,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let prepared = app::prepare(settings).await?;
    let progress = indicatif::ProgressBar::new_spinner();
    progress.enable_steady_tick(std::time::Duration::from_millis(120));
    progress.set_message(format!("importing {}", kind.title()));
    let started = std::time::Instant::now();
    let initiator = Initiator::System {
        tenant: prepared.tenant.id,
    };
    let services = prepared.wired.services.clone();
    let result = import(services.clone(), initiator.clone()).await;
    progress.finish_and_clear();
    // The registry shows command-line imports too.
    let outcome = result.as_ref().map(&counts).map_err(ToString::to_string);
    if let Err(error) = services
        .data_sources
        .record_import(&initiator, kind, outcome)
        .await
    {
        tracing::warn!(%error, "the import is not recorded on its data source");
    }
    let report = result.map_err(|e| CliError::Failed(e.to_string()))?;
    Ok((report, started))
}

/// A sync's counts from an import's.
fn sync_counts(counts: ImportCounts, skipped: usize) -> SyncCounts {
    SyncCounts {
        created: counts.created,
        updated: counts.updated,
        unchanged: counts.unchanged,
        skipped: skipped as u64,
    }
}

async fn import_rules(settings: &Settings, feed: RuleFiles) -> Result<(), CliError> {
    use aegis_application::rules::RuleFeed;

    let kind = match feed.source() {
        RuleSource::Sigma => FeedKind::Sigma,
        RuleSource::Elastic => FeedKind::Elastic,
    };
    let (report, started) = run_import(
        settings,
        kind,
        |services, initiator| async move { services.rules.import(&initiator, &feed).await },
        |r| sync_counts(r.counts, r.skipped.len()),
    )
    .await?;
    print_import_summary(
        &format!("{} rules", report.source.as_str()),
        started,
        report.counts,
        &report.skipped,
        report.rescored,
    );
    print_skipped_and_unresolved(
        &[],
        &NamedIds {
            unresolved: &report.unresolved_techniques,
            replaced: &report.replaced_techniques,
            retired: &report.retired_techniques,
        },
    );
    Ok(())
}

fn print_import_summary(
    what: &str,
    started: std::time::Instant,
    counts: aegis_domain::detection::ImportCounts,
    skipped: &[(String, String)],
    rescored: u64,
) {
    println!(
        "{what} imported in {:.2} s: {} created, {} updated, {} unchanged, {} skipped; {rescored} scores recomputed",
        started.elapsed().as_secs_f64(),
        counts.created,
        counts.updated,
        counts.unchanged,
        skipped.len(),
    );
    print_skipped_and_unresolved(skipped, &NamedIds::default());
}

/// The technique ids an import named that are not plainly current in the catalog.
#[derive(Default)]
struct NamedIds<'a> {
    unresolved: &'a [String],
    replaced: &'a [aegis_domain::technique_lineage::LegacyTechnique],
    retired: &'a [String],
}

/// Each file an import skipped with why, and what the catalog made of the technique ids it
/// named: revoked ones counted under their successor, deprecated ones, unknown ones.
fn print_skipped_and_unresolved(skipped: &[(String, String)], named: &NamedIds<'_>) {
    for (path, reason) in skipped {
        println!("  skipped {path}: {reason}");
    }
    if !named.replaced.is_empty() {
        let pairs: Vec<String> = named
            .replaced
            .iter()
            .map(|l| format!("{} -> {}", l.named, l.current))
            .collect();
        println!(
            "  revoked in ATT&CK, counted under the technique that replaced them: {}",
            pairs.join(", ")
        );
    }
    if !named.retired.is_empty() {
        println!(
            "  deprecated in ATT&CK without a replacement (kept under their own id): {}",
            named.retired.join(", ")
        );
    }
    if !named.unresolved.is_empty() {
        println!(
            "  unknown to this catalog (a newer ATT&CK release, another ATT&CK domain, or a \
             mistake; kept, they resolve when an ATT&CK import brings them): {}",
            named.unresolved.join(", ")
        );
    }
}

/// Atomic Red Team and CALDERA templates, or LOLBAS and GTFOBins binaries with the templates
/// their commands make.
async fn import_library(
    settings: &Settings,
    source: TemplateSource,
    from: FeedLocation,
) -> Result<(), CliError> {
    let feed = LibraryFiles::at(source, from.into());
    let kind = match source {
        TemplateSource::Atomic => FeedKind::Atomic,
        TemplateSource::Caldera => FeedKind::Caldera,
        TemplateSource::Lolbas => FeedKind::Lolbas,
        TemplateSource::Gtfobins => FeedKind::Gtfobins,
    };
    let (report, started) = run_import(
        settings,
        kind,
        |services, initiator| async move {
            match source {
                TemplateSource::Atomic | TemplateSource::Caldera => {
                    services.templates.import(&initiator, &feed).await
                }
                TemplateSource::Lolbas | TemplateSource::Gtfobins => {
                    services.templates.import_binaries(&initiator, &feed).await
                }
            }
        },
        |r| sync_counts(r.templates, r.skipped.len()),
    )
    .await?;
    let counts = |what: &str, c: aegis_domain::feed::ImportCounts| {
        format!(
            "{what}: {} created, {} updated, {} unchanged",
            c.created, c.updated, c.unchanged
        )
    };
    let binaries = matches!(source, TemplateSource::Lolbas | TemplateSource::Gtfobins)
        .then(|| format!("{}; ", counts("binaries", report.binaries)))
        .unwrap_or_default();
    println!(
        "{} imported in {:.2} s: {binaries}{}; {} skipped",
        source.title(),
        started.elapsed().as_secs_f64(),
        counts("templates", report.templates),
        report.skipped.len(),
    );
    print_skipped_and_unresolved(
        &report.skipped,
        &NamedIds {
            unresolved: &report.unresolved_techniques,
            replaced: &report.replaced_techniques,
            retired: &report.retired_techniques,
        },
    );
    Ok(())
}

async fn import_intel(settings: &Settings, from: FeedLocation) -> Result<(), CliError> {
    let feed = StixIntelFiles::at(from.into());
    let (report, started) = run_import(
        settings,
        FeedKind::Stix,
        |services, initiator| async move { services.threat_intel.import(&initiator, &feed).await },
        |r| sync_counts(r.counts.actors, r.skipped.len()),
    )
    .await?;
    let counts = report.counts;
    println!(
        "STIX intelligence imported in {:.2} s: {} created, {} updated, {} unchanged, {} skipped; {} merged into ATT&CK groups, {} new actors",
        started.elapsed().as_secs_f64(),
        counts.actors.created,
        counts.actors.updated,
        counts.actors.unchanged,
        report.skipped.len(),
        counts.merged,
        counts.added,
    );
    print_skipped_and_unresolved(
        &report.skipped,
        &NamedIds {
            unresolved: &report.unresolved_techniques,
            replaced: &report.replaced_techniques,
            retired: &report.retired_techniques,
        },
    );
    Ok(())
}

async fn import_compliance(settings: &Settings, from: FeedLocation) -> Result<(), CliError> {
    let feed = ComplianceFiles::at(from.into());
    let (report, started) = run_import(
        settings,
        FeedKind::Compliance,
        |services, initiator| async move { services.compliance.import(&initiator, &feed).await },
        |r| sync_counts(r.totals(), r.skipped.len()),
    )
    .await?;
    println!(
        "compliance mappings imported in {:.2} s: {} frameworks, {} skipped",
        started.elapsed().as_secs_f64(),
        report.frameworks.len(),
        report.skipped.len()
    );
    for (framework, counts) in &report.frameworks {
        println!(
            "  {framework}: {} created, {} updated, {} unchanged mappings",
            counts.created, counts.updated, counts.unchanged
        );
    }
    print_skipped_and_unresolved(&report.skipped, &NamedIds::default());
    Ok(())
}

async fn import_d3fend(settings: &Settings, feed: D3fendFiles) -> Result<(), CliError> {
    let (report, started) = run_import(
        settings,
        FeedKind::D3fend,
        |services, initiator| async move {
            services
                .rules
                .import_countermeasures(&initiator, &feed)
                .await
        },
        |r| sync_counts(r.counts, r.skipped.len()),
    )
    .await?;
    print_import_summary(
        "D3FEND countermeasures",
        started,
        report.counts,
        &report.skipped,
        report.rescored,
    );
    Ok(())
}

async fn sweep_evidence(settings: &Settings) -> Result<(), CliError> {
    let prepared = app::prepare(settings).await?;
    let report = prepared
        .wired
        .services
        .evidence
        .sweep(settings.evidence_upload_grace())
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    println!(
        "Evidence sweep: {} abandoned upload(s) and {} deleted file(s) removed, {} left for later",
        report.abandoned_uploads, report.purged, report.failed
    );
    if report.failed > 0 {
        return Err(CliError::Failed(format!(
            "{} object(s) could not be removed; the store said why in the log",
            report.failed
        )));
    }
    Ok(())
}

async fn verify_audit(settings: &Settings) -> Result<(), CliError> {
    let prepared = app::prepare(settings).await?;
    let reports = prepared
        .wired
        .services
        .audit_log
        .verify_all()
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    let mut broken = 0;
    for (tenant, report) in &reports {
        match &report.broken {
            None => println!(
                "{}: intact ({} entries)",
                tenant.slug.as_str(),
                report.entries_checked
            ),
            Some(problem) => {
                broken += 1;
                println!("{}: BROKEN: {problem}", tenant.slug.as_str());
            }
        }
    }
    if broken > 0 {
        return Err(CliError::Failed(format!(
            "{broken} audit chain(s) failed verification"
        )));
    }
    Ok(())
}

async fn demo(settings: &Settings) -> Result<(), CliError> {
    let prepared = app::prepare(settings).await?;
    let started = std::time::Instant::now();
    let report = crate::demo::seed(&prepared.wired.services, &prepared.tenant)
        .await
        .map_err(|e| CliError::Failed(format!("the demo data set is incomplete: {e}")))?;
    println!(
        "Demo data set in tenant `{}` ({:.1} s):",
        prepared.tenant.slug.as_str(),
        started.elapsed().as_secs_f64()
    );
    for user in &report.users {
        match &user.password {
            Some(password) => println!(
                "  {:9} {:34} password: {password}  (shown once; change it at first sign-in)",
                user.role.as_str(),
                user.email
            ),
            None => println!(
                "  {:9} {:34} (already there; `aegis admin reset-password --email {}` sets a new password)",
                user.role.as_str(),
                user.email,
                user.email
            ),
        }
    }
    if report.catalog_imported {
        println!("  imported APT29's techniques from the embedded ATT&CK subset");
    }
    if report.campaign_created {
        println!(
            "  campaign \"{}\": {} tests ({} validated, the others one in each workflow state), \
             {} evidence files, {} findings in remediation, {} scanner findings, {} Sigma rules, \
             {} weekly snapshots, {} signed report",
            crate::demo::DEMO_CAMPAIGN,
            report.tests,
            report.validated,
            report.evidence,
            report.findings,
            report.vulnerabilities,
            report.rules_created,
            report.snapshots,
            report.reports
        );
    } else {
        println!("  the demo campaign is already there: nothing else to do");
    }
    Ok(())
}
