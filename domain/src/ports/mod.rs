//! Repository ports: how the use cases read and write state, implemented in infrastructure.
//! One module per capability, named as the capability is in every layer.
//!
//! Every operational method takes the tenant, so a query without a scope does not compile.
//! The single exception is `UserRepository::find_user_for_login`: signing in is how a
//! caller's tenant becomes known, and emails are unique across the installation. Global
//! content (the catalog, rules, countermeasures, templates, intelligence, data sources and job
//! runs) has ports of its own, outside [`Repositories`].

pub mod alerts;
pub mod analytics;
pub mod api_keys;
pub mod attack_paths;
pub mod audit_log;
pub mod auth;
pub mod campaigns;
pub mod catalog;
pub mod compliance;
pub mod countermeasures;
pub mod coverage;
pub mod dashboard;
pub mod data_sources;
pub mod detection_lifecycle;
pub mod evidence;
pub mod findings;
pub mod github;
pub mod idempotency;
pub mod jobs;
pub mod knowledge;
pub mod mfa;
pub mod notifications;
pub mod osint;
pub mod read_models;
pub mod reports;
pub mod risk;
pub mod rules;
pub mod scan_policy;
pub mod scans;
pub mod siem;
pub mod snapshots;
pub mod sso;
pub mod templates;
pub mod tenants;
pub mod test_cases;
pub mod threat_intel;
pub mod tickets;
pub mod tracked_actors;
pub mod users;
pub mod webhooks;

pub use alerts::*;
pub use analytics::*;
pub use api_keys::*;
pub use attack_paths::*;
pub use audit_log::*;
pub use auth::*;
pub use campaigns::*;
pub use catalog::*;
pub use compliance::*;
pub use countermeasures::*;
pub use coverage::*;
pub use dashboard::*;
pub use data_sources::*;
pub use detection_lifecycle::*;
pub use evidence::*;
pub use findings::*;
pub use github::*;
pub use idempotency::*;
pub use jobs::*;
pub use knowledge::*;
pub use mfa::*;
pub use notifications::*;
pub use osint::*;
pub use read_models::*;
pub use reports::*;
pub use risk::*;
pub use rules::*;
pub use scan_policy::*;
pub use scans::*;
pub use siem::*;
pub use snapshots::*;
pub use sso::*;
pub use templates::*;
pub use tenants::*;
pub use test_cases::*;
pub use threat_intel::*;
pub use tickets::*;
pub use tracked_actors::*;
pub use users::*;
pub use webhooks::*;

/// The cause of a storage failure, kept for the logs (never shown to clients).
pub type StorageFailure = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a uniqueness rule protects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    ApiKey,
    AuditSequence,
    Campaign,
    Dependency,
    DetectionAsset,
    Email,
    Finding,
    /// A GitHub webhook delivery, once per tenant.
    GithubDelivery,
    IdempotencyKey,
    /// A recurring campaign's next run: one successor per run.
    Predecessor,
    RefreshToken,
    RunningImport,
    ScanWaiver,
    /// A provider subject linked to a user.
    SsoIdentity,
    Technique,
    TenantSlug,
    Test,
    Ticket,
    Worklog,
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::ApiKey => "API key",
            Self::AuditSequence => "audit sequence",
            Self::Campaign => "campaign",
            Self::Dependency => "dependency",
            Self::DetectionAsset => "detection asset",
            Self::Email => "email",
            Self::Finding => "finding",
            Self::GithubDelivery => "GitHub delivery",
            Self::IdempotencyKey => "idempotency key",
            Self::Predecessor => "predecessor",
            Self::RefreshToken => "refresh token",
            Self::SsoIdentity => "single sign-on identity",
            Self::RunningImport => "running import",
            Self::ScanWaiver => "scan waiver",
            Self::Technique => "technique",
            Self::TenantSlug => "tenant slug",
            Self::Test => "test",
            Self::Ticket => "ticket",
            Self::Worklog => "worklog",
        })
    }
}

/// A kind of stored thing an operation relies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Alert,
    AlertRule,
    ApiKey,
    AttackPath,
    Campaign,
    CustomTechnique,
    DecayPolicy,
    DetectionAsset,
    Evidence,
    Finding,
    Import,
    IntelItem,
    JobRun,
    Lesson,
    Playbook,
    Report,
    Scan,
    Technique,
    Tenant,
    Test,
    Ticket,
    User,
    Webhook,
    WebhookDelivery,
}

impl std::fmt::Display for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Alert => "alert",
            Self::AlertRule => "alert rule",
            Self::ApiKey => "API key",
            Self::AttackPath => "attack path",
            Self::Campaign => "campaign",
            Self::CustomTechnique => "custom technique",
            Self::DecayPolicy => "decay policy",
            Self::DetectionAsset => "detection asset",
            Self::Evidence => "evidence",
            Self::Finding => "finding",
            Self::Import => "import",
            Self::IntelItem => "intelligence item",
            Self::JobRun => "job run",
            Self::Lesson => "lesson",
            Self::Playbook => "playbook",
            Self::Report => "report",
            Self::Scan => "scan",
            Self::Technique => "technique",
            Self::Tenant => "tenant",
            Self::Test => "test",
            Self::Ticket => "ticket",
            Self::User => "user",
            Self::Webhook => "webhook",
            Self::WebhookDelivery => "webhook delivery",
        })
    }
}

/// Failures every repository can report. Use cases match on the variants, never on text; the
/// sources of `Unavailable` and `Unexpected` go to the logs.
#[derive(Debug, thiserror::Error)]
pub enum RepositoryError {
    /// A uniqueness rule was broken.
    #[error("duplicate {0}")]
    Duplicate(Subject),
    /// An optimistic update lost: the row changed since it was read.
    #[error("the stored version is {current}: the change was based on an older one")]
    StaleVersion { current: i32 },
    /// A row the operation relies on does not exist (any more).
    #[error("{0} not found")]
    NotFound(Entity),
    /// The store cannot be reached now (connection refused, pool exhausted); retrying may help.
    #[error("storage unavailable")]
    Unavailable(#[source] StorageFailure),
    /// The store refused or failed, or a stored value no longer parses.
    #[error("storage failure")]
    Unexpected(#[source] StorageFailure),
}

impl RepositoryError {
    /// An `Unexpected` failure described by a message (a broken invariant found in storage).
    pub fn unexpected(message: impl Into<String>) -> Self {
        Self::Unexpected(message.into().into())
    }

    /// This error and its sources, outermost first, joined for a log line.
    pub fn chain(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }
}

/// Every operational repository together: what a unit of work or a read connection offers.
pub trait Repositories:
    TenantRepository
    + AnalyticsRepository
    + CoverageRepository
    + RiskRepository
    + JobRunRepository
    + SnapshotRepository
    + MetricsRepository
    + EvidenceRepository
    + NotificationRepository
    + TestRepository
    + CampaignRepository
    + FindingRepository
    + DetectionLifecycleRepository
    + UserRepository
    + RefreshSessionRepository
    + RevokedTokenRepository
    + IdempotencyRepository
    + AuditLogRepository
    + ApiKeyRepository
    + MfaRepository
    + ReadModelRepository
    + AlertRepository
    + WebhookRepository
    + KnowledgeRepository
    + TicketRepository
    + AttackPathRepository
    + SiemRepository
    + ScanRepository
    + ScanPolicyRepository
    + SsoRepository
    + GithubRepository
{
}

impl<T> Repositories for T where
    T: TenantRepository
        + AnalyticsRepository
        + CoverageRepository
        + RiskRepository
        + JobRunRepository
        + SnapshotRepository
        + MetricsRepository
        + EvidenceRepository
        + NotificationRepository
        + TestRepository
        + CampaignRepository
        + FindingRepository
        + DetectionLifecycleRepository
        + UserRepository
        + RefreshSessionRepository
        + RevokedTokenRepository
        + IdempotencyRepository
        + AuditLogRepository
        + ApiKeyRepository
        + MfaRepository
        + ReadModelRepository
        + AlertRepository
        + WebhookRepository
        + KnowledgeRepository
        + TicketRepository
        + AttackPathRepository
        + SiemRepository
        + ScanRepository
        + ScanPolicyRepository
        + SsoRepository
        + GithubRepository
{
}
