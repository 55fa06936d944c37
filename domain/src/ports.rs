//! Repository ports: how the use cases read and write state, implemented in infrastructure.
//!
//! Every operational method takes the tenant, so a query without a scope does not compile.
//! The single exception is `UserRepository::find_user_for_login`: signing in is how a
//! caller's tenant becomes known, and emails are unique across the installation.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::audit::AuditEntry;
use crate::page::{Page, PageRequest};
use crate::role::Role;
use crate::session::{RefreshSession, RefreshSessionId, SessionFamilyId};
use crate::tenant::{AuditHead, Tenant, TenantId, TenantSlug};
use crate::user::{Email, User, UserId};

/// Failures every repository can report.
#[derive(Debug, thiserror::Error)]
pub enum RepositoryError {
    /// A uniqueness rule was broken; the string names the constraint's subject (e.g. `email`).
    #[error("duplicate {0}")]
    Duplicate(String),
    /// A row the operation relies on does not exist (any more).
    #[error("{0} not found")]
    NotFound(String),
    /// The store refused or failed; the text is for logs, never for clients.
    #[error("storage failure: {0}")]
    Unexpected(String),
}

#[async_trait]
pub trait TenantRepository: Send + Sync {
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_tenant(&self, tenant: TenantId) -> Result<Option<Tenant>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_tenant_by_slug(
        &self,
        slug: &TenantSlug,
    ) -> Result<Option<Tenant>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_tenants(&self) -> Result<Vec<Tenant>, RepositoryError>;

    /// # Errors
    /// `Duplicate("tenant slug")` when the slug is taken.
    async fn insert_tenant(&self, tenant: &Tenant) -> Result<(), RepositoryError>;
}

/// Filters of the user list; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub is_active: Option<bool>,
    /// Case-insensitive substring of the email or display name.
    pub text: Option<String>,
    pub sort: UserSort,
}

/// The column a user list is ordered by; ties are broken by email.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UserSortKey {
    #[default]
    Email,
    DisplayName,
    Role,
    CreatedAt,
    LastLoginAt,
}

/// A list order: a key, ascending unless `descending`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UserSort {
    pub key: UserSortKey,
    pub descending: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown sort `{0}`: expected email, display_name, role, created_at or last_login_at, with `-` for descending"
)]
pub struct UnknownSort(pub String);

impl std::str::FromStr for UserSort {
    type Err = UnknownSort;

    /// `created_at` ascending, `-created_at` descending.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (descending, name) = text
            .strip_prefix('-')
            .map_or((false, text), |rest| (true, rest));
        let key = match name {
            "email" => UserSortKey::Email,
            "display_name" => UserSortKey::DisplayName,
            "role" => UserSortKey::Role,
            "created_at" => UserSortKey::CreatedAt,
            "last_login_at" => UserSortKey::LastLoginAt,
            _ => return Err(UnknownSort(text.to_owned())),
        };
        Ok(Self { key, descending })
    }
}

#[async_trait]
pub trait UserRepository: Send + Sync {
    /// The account with this email in any tenant (see the module documentation).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_user_for_login(&self, email: &Email) -> Result<Option<User>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_user(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Option<User>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_user_by_email(
        &self,
        tenant: TenantId,
        email: &Email,
    ) -> Result<Option<User>, RepositoryError>;

    /// Users ordered by email.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_users(
        &self,
        tenant: TenantId,
        filter: &UserFilter,
        page: PageRequest,
    ) -> Result<Page<User>, RepositoryError>;

    /// Active admins of the tenant that are not locked at `now`, other than `except`.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn count_usable_admins(
        &self,
        tenant: TenantId,
        except: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<u64, RepositoryError>;

    /// # Errors
    /// `Duplicate("email")` when the email is taken in any tenant.
    async fn insert_user(&self, tenant: TenantId, user: &User) -> Result<(), RepositoryError>;

    /// Replaces every mutable field of the user.
    ///
    /// # Errors
    /// `NotFound("user")` when it does not exist in the tenant.
    async fn update_user(&self, tenant: TenantId, user: &User) -> Result<(), RepositoryError>;
}

#[async_trait]
pub trait RefreshSessionRepository: Send + Sync {
    /// # Errors
    /// `Duplicate("refresh token")` on a token hash collision.
    async fn insert_refresh_session(
        &self,
        tenant: TenantId,
        session: &RefreshSession,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_refresh_session(
        &self,
        tenant: TenantId,
        token_hash: &str,
    ) -> Result<Option<RefreshSession>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn mark_refresh_session_used(
        &self,
        tenant: TenantId,
        session: RefreshSessionId,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;

    /// Revokes every session of the family that is not revoked yet.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn revoke_session_family(
        &self,
        tenant: TenantId,
        family: SessionFamilyId,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;

    /// Revokes every session of the user, except those of `keep` (the caller's own login).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn revoke_user_sessions(
        &self,
        tenant: TenantId,
        user: UserId,
        keep: Option<SessionFamilyId>,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;
}

#[async_trait]
pub trait RevokedTokenRepository: Send + Sync {
    /// Records that the access token `jti` may no longer be used. Revoking twice is harmless.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn revoke_access_token(
        &self,
        tenant: TenantId,
        jti: &str,
        user: UserId,
        expires_at: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn is_access_token_revoked(
        &self,
        tenant: TenantId,
        jti: &str,
    ) -> Result<bool, RepositoryError>;
}

/// The stored outcome of a create request made with an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq)]
pub struct IdempotencyRecord {
    pub tenant_id: TenantId,
    pub actor_id: UserId,
    /// The operation the key was used for (`users.create`): keys are per operation.
    pub scope: String,
    pub key: String,
    /// SHA-256 of the request's canonical form; the same key with another payload is refused.
    pub fingerprint: String,
    pub response: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait IdempotencyRepository: Send + Sync {
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_idempotency_record(
        &self,
        tenant: TenantId,
        actor: UserId,
        scope: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, RepositoryError>;

    /// # Errors
    /// `Duplicate("idempotency key")` when a concurrent request stored the key first.
    async fn insert_idempotency_record(
        &self,
        tenant: TenantId,
        record: &IdempotencyRecord,
    ) -> Result<(), RepositoryError>;
}

/// Filters of the audit log; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<UserId>,
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait AuditLogRepository: Send + Sync {
    /// Reads the tenant's chain head and, inside a transaction, holds it until commit so that
    /// concurrent appends queue up instead of forking the chain.
    ///
    /// # Errors
    /// `NotFound("tenant")` when the tenant does not exist.
    async fn lock_audit_head(&self, tenant: TenantId) -> Result<AuditHead, RepositoryError>;

    /// Stores `entry` and moves the tenant's head to it.
    ///
    /// # Errors
    /// `Duplicate("audit sequence")` when the head moved since it was locked.
    async fn append_audit_entry(
        &self,
        tenant: TenantId,
        entry: &AuditEntry,
    ) -> Result<(), RepositoryError>;

    /// Newest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_audit_entries(
        &self,
        tenant: TenantId,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEntry>, RepositoryError>;

    /// Up to `limit` entries with a sequence above `after`, oldest first: the chain in batches.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn audit_chain_batch(
        &self,
        tenant: TenantId,
        after: i64,
        limit: u64,
    ) -> Result<Vec<AuditEntry>, RepositoryError>;
}

/// Each organization's stored coverage per technique.
#[async_trait]
pub trait CoverageRepository: Send + Sync {
    /// Every test of one technique (all states), for scoring it.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn tests_of_technique(
        &self,
        tenant: TenantId,
        technique: &crate::catalog::TechniqueId,
    ) -> Result<Vec<crate::test_case::TestCase>, RepositoryError>;

    /// Inserts or replaces the technique's score.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn save_technique_score(
        &self,
        tenant: TenantId,
        score: &crate::scoring::StoredScore,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn technique_score(
        &self,
        tenant: TenantId,
        technique: &crate::catalog::TechniqueId,
    ) -> Result<Option<crate::scoring::StoredScore>, RepositoryError>;

    /// Every stored score of the organization (techniques never scored have none).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn technique_scores(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<crate::scoring::StoredScore>, RepositoryError>;

    /// The detection rules tagged with the technique. Rules are global (like the catalog);
    /// they are read here so a score is computed on one connection, inside its transaction.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn detection_rules_of(
        &self,
        technique: &str,
    ) -> Result<Vec<crate::detection::RuleSummary>, RepositoryError>;

    /// How many D3FEND countermeasures counter the technique (global, like the rules).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn countermeasure_count(&self, technique: &str) -> Result<u32, RepositoryError>;
}

/// The history of background job runs. Runs belong to the installation, not a tenant.
#[async_trait]
pub trait JobRunRepository: Send + Sync {
    /// Records a queued run unless a run with the same key exists; true when recorded.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_job_run(&self, run: &crate::job::JobRun) -> Result<bool, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_job_run(
        &self,
        id: uuid::Uuid,
    ) -> Result<Option<crate::job::JobRun>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_job_run_by_key(
        &self,
        run_key: &str,
    ) -> Result<Option<crate::job::JobRun>, RepositoryError>;

    /// Starts the run's next attempt: writes `run` (its attempts one more than stored, its
    /// outcome running) only if the stored run still has `run.attempts - 1` attempts and has
    /// not finished. False when another worker started that attempt first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn start_job_attempt(&self, run: &crate::job::JobRun) -> Result<bool, RepositoryError>;

    /// Writes the run's progress (attempts, times, outcome, counts, error).
    ///
    /// # Errors
    /// `NotFound` when the run does not exist, `Unexpected` on storage failure.
    async fn update_job_run(&self, run: &crate::job::JobRun) -> Result<(), RepositoryError>;

    /// Runs, newest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_job_runs(
        &self,
        kind: Option<crate::job::JobKind>,
        outcome: Option<crate::job::JobOutcome>,
        page: PageRequest,
    ) -> Result<Page<crate::job::JobRun>, RepositoryError>;

    /// The newest run of each job that has run at all.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn latest_job_runs(&self) -> Result<Vec<crate::job::JobRun>, RepositoryError>;

    /// Runs that still wait for an attempt (queued or retrying), oldest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn waiting_job_runs(&self) -> Result<Vec<crate::job::JobRun>, RepositoryError>;
}

/// Posture snapshots of an organization.
#[async_trait]
pub trait SnapshotRepository: Send + Sync {
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_snapshot(
        &self,
        snapshot: &crate::snapshot::PostureSnapshot,
    ) -> Result<(), RepositoryError>;

    /// Snapshots taken in `[from, to]`, newest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_snapshots(
        &self,
        tenant: TenantId,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        page: PageRequest,
    ) -> Result<Page<crate::snapshot::PostureSnapshot>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_snapshot(
        &self,
        tenant: TenantId,
        id: uuid::Uuid,
    ) -> Result<Option<crate::snapshot::PostureSnapshot>, RepositoryError>;

    /// Returns whether it existed.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn delete_snapshot(
        &self,
        tenant: TenantId,
        id: uuid::Uuid,
    ) -> Result<bool, RepositoryError>;
}

/// Read-only aggregates for dashboards and metrics.
#[async_trait]
pub trait MetricsRepository: Send + Sync {
    /// The facts of every test of the organization (a few columns each).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn test_facts(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<crate::metrics::TestFacts>, RepositoryError>;

    /// Workflow actions since `since`, counted by actor and action.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn workflow_actions_by_actor(
        &self,
        tenant: TenantId,
        since: DateTime<Utc>,
    ) -> Result<Vec<(UserId, String, u64)>, RepositoryError>;

    /// The newest workflow steps, newest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn recent_activity(
        &self,
        tenant: TenantId,
        limit: u64,
    ) -> Result<Vec<crate::metrics::ActivityItem>, RepositoryError>;
}

/// Every repository together: what a unit of work or a read connection offers.
pub trait Repositories:
    TenantRepository
    + CoverageRepository
    + JobRunRepository
    + SnapshotRepository
    + MetricsRepository
    + EvidenceRepository
    + NotificationRepository
    + TestRepository
    + crate::campaign::CampaignRepository
    + crate::finding::FindingRepository
    + UserRepository
    + RefreshSessionRepository
    + RevokedTokenRepository
    + IdempotencyRepository
    + AuditLogRepository
{
}

impl<T> Repositories for T where
    T: TenantRepository
        + CoverageRepository
        + JobRunRepository
        + SnapshotRepository
        + MetricsRepository
        + EvidenceRepository
        + NotificationRepository
        + TestRepository
        + crate::campaign::CampaignRepository
        + crate::finding::FindingRepository
        + UserRepository
        + RefreshSessionRepository
        + RevokedTokenRepository
        + IdempotencyRepository
        + AuditLogRepository
{
}

/// Filters of the test list; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestFilter {
    pub state: Option<crate::workflow::TestState>,
    pub technique: Option<crate::catalog::TechniqueId>,
    /// Tactic shortname or id: tests of techniques under that tactic.
    pub tactic: Option<String>,
    pub campaign: Option<uuid::Uuid>,
    pub assignee: Option<UserId>,
    /// Tests waiting for this team: red has draft and red_executing, blue has blue_evaluating.
    pub team: Option<crate::workflow::Team>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    /// Validated at or after.
    pub validated_from: Option<DateTime<Utc>>,
    /// Validated before.
    pub validated_to: Option<DateTime<Utc>>,
    /// Case-insensitive text in the title or description.
    pub text: Option<String>,
    /// Leave out the tests of blind (red team) campaigns that red has not released yet.
    pub unreleased_hidden: bool,
}

impl TestFilter {
    /// The filter as `role` may apply it: the blue side never lists what a blind campaign's
    /// red team has not released.
    #[must_use]
    pub const fn seen_by(mut self, role: crate::role::Role) -> Self {
        self.unreleased_hidden = !crate::campaign::CampaignKind::RedTeam
            .reveals(role, crate::workflow::TestState::Draft);
        self
    }
}

#[async_trait]
pub trait TestRepository: Send + Sync {
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_test(
        &self,
        tenant: TenantId,
        test: &crate::test_case::TestCase,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_test(
        &self,
        tenant: TenantId,
        test: crate::test_case::TestId,
    ) -> Result<Option<crate::test_case::TestCase>, RepositoryError>;

    /// Stores `test` (whose `version` is already the next one) if the stored version is still
    /// `expected_version`.
    ///
    /// # Errors
    /// `Duplicate("version")` when someone changed the test meanwhile; `NotFound("test")`.
    async fn update_test(
        &self,
        tenant: TenantId,
        test: &crate::test_case::TestCase,
        expected_version: i32,
    ) -> Result<(), RepositoryError>;

    /// Deletes the test with its transitions, worklogs and comments.
    ///
    /// # Errors
    /// `NotFound("test")`.
    async fn delete_test(
        &self,
        tenant: TenantId,
        test: crate::test_case::TestId,
    ) -> Result<(), RepositoryError>;

    /// Newest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_tests(
        &self,
        tenant: TenantId,
        filter: &TestFilter,
        page: PageRequest,
    ) -> Result<Page<crate::test_case::TestCase>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_transition(
        &self,
        tenant: TenantId,
        record: &crate::test_case::TransitionRecord,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_worklog(
        &self,
        tenant: TenantId,
        worklog: &crate::test_case::Worklog,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_comment(
        &self,
        tenant: TenantId,
        comment: &crate::test_case::Comment,
    ) -> Result<(), RepositoryError>;

    /// The test's transitions, worklogs and comments, oldest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn test_history(
        &self,
        tenant: TenantId,
        test: crate::test_case::TestId,
    ) -> Result<TestHistory, RepositoryError>;
}

/// Everything that happened to a test.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestHistory {
    pub transitions: Vec<crate::test_case::TransitionRecord>,
    pub worklogs: Vec<crate::test_case::Worklog>,
    pub comments: Vec<crate::test_case::Comment>,
}

#[async_trait]
pub trait NotificationRepository: Send + Sync {
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_notifications(
        &self,
        tenant: TenantId,
        notifications: &[crate::notification::Notification],
    ) -> Result<(), RepositoryError>;

    /// The user's notifications, newest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_notifications(
        &self,
        tenant: TenantId,
        user: UserId,
        unread_only: bool,
        page: PageRequest,
    ) -> Result<Page<crate::notification::Notification>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn count_unread_notifications(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<u64, RepositoryError>;

    /// Marks the user's notifications read: the one given, or all. Returns how many changed.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn mark_notifications_read(
        &self,
        tenant: TenantId,
        user: UserId,
        only: Option<crate::notification::NotificationId>,
        at: DateTime<Utc>,
    ) -> Result<u64, RepositoryError>;

    /// Deletes the tenant's notifications read before `cutoff`; returns how many went.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn delete_read_notifications(
        &self,
        tenant: TenantId,
        cutoff: DateTime<Utc>,
    ) -> Result<u64, RepositoryError>;
}

#[async_trait]
pub trait EvidenceRepository: Send + Sync {
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_evidence(
        &self,
        tenant: TenantId,
        evidence: &crate::evidence::Evidence,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_evidence(
        &self,
        tenant: TenantId,
        id: crate::evidence::EvidenceId,
    ) -> Result<Option<crate::evidence::Evidence>, RepositoryError>;

    /// The test's files, oldest first, deleted ones included.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_evidence(
        &self,
        tenant: TenantId,
        test: crate::test_case::TestId,
    ) -> Result<Vec<crate::evidence::Evidence>, RepositoryError>;

    /// Records the deletion on the row (which is kept, with its custody log).
    ///
    /// # Errors
    /// `NotFound("evidence")`.
    async fn mark_evidence_deleted(
        &self,
        tenant: TenantId,
        evidence: &crate::evidence::Evidence,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_custody_event(
        &self,
        tenant: TenantId,
        event: &crate::evidence::CustodyEvent,
    ) -> Result<(), RepositoryError>;

    /// Oldest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn custody_log(
        &self,
        tenant: TenantId,
        evidence: crate::evidence::EvidenceId,
    ) -> Result<Vec<crate::evidence::CustodyEvent>, RepositoryError>;

    /// Records an object the store is about to hold (or still holds) without a live row.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn record_pending_object(
        &self,
        object: &crate::evidence::PendingObject,
    ) -> Result<(), RepositoryError>;

    /// Removes the record of `object_key`; false when there was none (someone else claimed
    /// it first). Whoever claims a record owns what happens to its object.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn claim_pending_object(&self, object_key: &str) -> Result<bool, RepositoryError>;

    /// Records of every tenant made before `recorded_before`, oldest first, at most `limit`.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn pending_objects(
        &self,
        recorded_before: chrono::DateTime<chrono::Utc>,
        limit: u64,
    ) -> Result<Vec<crate::evidence::PendingObject>, RepositoryError>;
}
