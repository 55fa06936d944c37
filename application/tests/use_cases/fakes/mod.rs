//! In-memory adapters for use-case tests: a database whose units of work copy the state and
//! swap it back on commit, a fixed clock, counting ids, and a hasher that is not slow.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone, Utc};
use uuid::Uuid;

use aegis_application::ports::*;
use aegis_domain::audit::AuditEntry;
use aegis_domain::campaign::{Campaign, Dependency};
use aegis_domain::finding::Finding;
use aegis_domain::ports::*;
use aegis_domain::session::RefreshSession;
use aegis_domain::tenant::{AuditHead, Tenant, TenantId};
use aegis_domain::user::User;

#[derive(Clone, Default)]
pub struct State {
    pub tenants: Vec<Tenant>,
    pub heads: Vec<(TenantId, AuditHead)>,
    /// Platform operators: their tenant and user.
    pub operators: Vec<(TenantId, aegis_domain::user::UserId)>,
    pub users: Vec<User>,
    pub sessions: Vec<RefreshSession>,
    pub revoked: Vec<(TenantId, String)>,
    pub idempotency: Vec<IdempotencyRecord>,
    pub audit: Vec<AuditEntry>,
    pub tests: Vec<aegis_domain::test_case::TestCase>,
    pub history: Vec<(aegis_domain::test_case::TestId, TestHistory)>,
    pub notifications: Vec<aegis_domain::notification::Notification>,
    pub channel_preferences: Vec<(
        TenantId,
        aegis_domain::user::UserId,
        aegis_domain::notification::ChannelPreferences,
    )>,
    pub emails: Vec<aegis_domain::notification::EmailDelivery>,
    pub evidence: Vec<aegis_domain::evidence::Evidence>,
    pub custody: Vec<aegis_domain::evidence::CustodyEvent>,
    pub pending_objects: Vec<aegis_domain::evidence::PendingObject>,
    pub scores: Vec<(TenantId, aegis_domain::scoring::StoredScore)>,
    pub job_runs: Vec<aegis_domain::job::JobRun>,
    pub snapshots: Vec<aegis_domain::snapshot::PostureSnapshot>,
    pub campaigns: Vec<Campaign>,
    pub dependencies: Vec<(TenantId, Dependency)>,
    pub findings: Vec<Finding>,
    pub detection_assets: Vec<aegis_domain::detection_lifecycle::DetectionAsset>,
    pub asset_revisions: Vec<aegis_domain::detection_lifecycle::AssetRevision>,
    pub detection_validations: Vec<aegis_domain::detection_lifecycle::DetectionValidation>,
    pub infrastructure_changes: Vec<aegis_domain::detection_lifecycle::InfrastructureChange>,
    pub decay_policies: Vec<aegis_domain::detection_lifecycle::DecayPolicy>,
    pub api_keys: Vec<aegis_domain::api_key::ApiKey>,
    pub mfa_factors: Vec<aegis_domain::mfa::TotpFactor>,
    pub recovery_codes: Vec<mfa::StoredCode>,
    pub mfa_policies: Vec<(TenantId, aegis_domain::mfa::MfaPolicy)>,
    pub mfa_challenges: Vec<aegis_domain::mfa::MfaChallenge>,
    pub risks: Vec<(TenantId, aegis_domain::risk::TechniqueRisk)>,
    /// Intelligence items as risk counts them: when published, which technique they name.
    pub intelligence: Vec<(chrono::DateTime<chrono::Utc>, String)>,
    pub alert_rules: Vec<aegis_domain::alert::AlertRule>,
    pub alerts: Vec<aegis_domain::alert::Alert>,
    /// What `orphan_counts` answers (rules and techniques are global).
    pub orphans: aegis_domain::alert::OrphanCounts,
    pub webhooks: webhooks::WebhookState,
    pub tickets: tickets::TicketState,
    pub playbooks: Vec<aegis_domain::knowledge::Playbook>,
    pub playbook_versions: Vec<aegis_domain::knowledge::PlaybookVersion>,
    pub lessons: Vec<aegis_domain::knowledge::Lesson>,
    pub attack_paths: Vec<aegis_domain::attack_path::AttackPath>,
    pub siem_connections: Vec<aegis_domain::siem::SiemConnection>,
    pub scans: Vec<aegis_domain::scan::Scan>,
    pub scan_policies: Vec<(TenantId, aegis_domain::scan_policy::StoredScanPolicy)>,
    pub scan_waivers: Vec<aegis_domain::scan_policy::ScanWaiver>,
    pub sso: sso::SsoState,
    pub github: github::GithubState,
}

/// The in-memory adapter of every repository port, over a slot of state: the shared state
/// ([`MemoryDatabase`]) or a unit of work's private copy ([`MemoryUnitOfWork`]), as the
/// sea-orm adapter is over a pool or a transaction.
pub struct Memory<S> {
    slot: S,
}

impl<S: Slot> Memory<S> {
    pub fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        self.slot.with(f)
    }
}

/// Where a `Memory` keeps its state.
pub trait Slot: Send + Sync {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T;
}

/// The state every unit of work copies and swaps back on commit.
#[derive(Clone, Default)]
pub struct Shared(Arc<Mutex<State>>);

/// A unit of work's copy of the state, and where it goes on commit.
pub struct Copied {
    shared: Arc<Mutex<State>>,
    local: Mutex<State>,
}

impl Slot for Shared {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut lock(&self.0))
    }
}

impl Slot for Copied {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut lock(&self.local))
    }
}

pub type MemoryDatabase = Memory<Shared>;
pub type MemoryUnitOfWork = Memory<Copied>;

impl Default for MemoryDatabase {
    fn default() -> Self {
        Self {
            slot: Shared::default(),
        }
    }
}

impl Clone for MemoryDatabase {
    fn clone(&self) -> Self {
        Self {
            slot: self.slot.clone(),
        }
    }
}

impl MemoryDatabase {
    /// The committed state, for a test to inspect or arrange.
    pub fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.slot.0)
    }
}

/// The adapters' optimistic update: `item` replaces the stored one that `same` finds when that
/// one's version is still `expected`.
pub fn replace_versioned<T: Clone>(
    items: &mut [T],
    item: &T,
    expected: i32,
    same: impl Fn(&T) -> bool,
    version: impl Fn(&T) -> i32,
    entity: Entity,
) -> Result<(), RepositoryError> {
    match items.iter_mut().find(|stored| same(stored)) {
        Some(stored) if version(stored) == expected => {
            *stored = item.clone();
            Ok(())
        }
        Some(stored) => Err(RepositoryError::StaleVersion {
            current: version(stored),
        }),
        None => Err(RepositoryError::NotFound(entity)),
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[async_trait]
impl UnitOfWork for MemoryUnitOfWork {
    async fn commit(self: Box<Self>) -> Result<(), RepositoryError> {
        let local = lock(&self.slot.local).clone();
        *lock(&self.slot.shared) = local;
        Ok(())
    }
}

#[async_trait]
impl Database for MemoryDatabase {
    async fn begin(&self) -> Result<Box<dyn UnitOfWork>, RepositoryError> {
        let local = lock(&self.slot.0).clone();
        Ok(Box::new(Memory {
            slot: Copied {
                shared: self.slot.0.clone(),
                local: Mutex::new(local),
            },
        }))
    }
    async fn ping(&self) -> Result<(), RepositoryError> {
        Ok(())
    }
}

pub struct FixedClock {
    now: Mutex<DateTime<Utc>>,
}

impl FixedClock {
    pub fn new() -> Self {
        Self {
            now: Mutex::new(
                Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0)
                    .single()
                    .unwrap_or_default(),
            ),
        }
    }
    pub fn advance(&self, by: Duration) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *now += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[derive(Default)]
pub struct CountingIds(AtomicU64);

impl IdGenerator for CountingIds {
    fn new_id(&self) -> Uuid {
        Uuid::from_u128(u128::from(self.0.fetch_add(1, Ordering::Relaxed)) + 1)
    }
}

#[derive(Default)]
pub struct CountingSecrets(AtomicU64);

impl SecretGenerator for CountingSecrets {
    fn token(&self) -> String {
        format!("token-{}", self.0.fetch_add(1, Ordering::Relaxed))
    }
    fn password(&self) -> String {
        format!(
            "Generated#Pw-{}x",
            self.0.fetch_add(1, Ordering::Relaxed) + 7391
        )
    }
}

mod alerts;
mod analytics;
mod api_keys;
mod attack_paths;
mod audit_log;
mod auth;
mod campaigns;
mod catalog;
mod compliance;
mod countermeasures;
mod coverage;
mod dashboard;
mod data_sources;
mod detection_lifecycle;
mod evidence;
pub mod findings;
mod github;
mod idempotency;
mod jobs;
mod knowledge;
mod mfa;
mod notifications;
mod osint;
mod read_models;
mod reports;
mod risk;
mod rules;
mod scan_policy;
pub mod scans;
mod siem;
mod snapshots;
pub mod sso;
mod telemetry;
mod templates;
mod tenants;
mod test_cases;
mod threat_intel;
mod tickets;
mod tracked_actors;
mod users;
mod webhooks;
pub use attack_paths::NoFlowFiles;
pub use auth::*;
pub use catalog::*;
pub use data_sources::*;
pub use evidence::*;
pub use github::{GithubCall, RecordingGithub};
pub use jobs::*;
pub use mfa::StepCodes;
pub use notifications::{RecordingMail, Signals};
pub use reports::*;
pub use siem::NoSiem;
pub use telemetry::*;
pub use tickets::{RecordingTracker, TrackerCall};
pub use webhooks::RecordingTransport;
