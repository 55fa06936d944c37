//! sea-orm persistence: one code path for PostgreSQL and SQLite. Each repository is written
//! once as functions over any `ConnectionTrait`; `SeaDatabase` (autocommit reads) and
//! `SeaUnitOfWork` (a transaction) both expose them through the domain's ports.

mod audit;
mod campaigns;
mod catalog_entities;
mod catalog_import;
mod catalog_read;
mod catalog_runs;
mod compliance;
mod countermeasures;
mod coverage;
mod data_sources;
mod entities;
mod error;
mod evidence;
mod findings;
mod idempotency;
mod intel;
mod job_runs;
mod json_values;
mod metrics;
mod notifications;
mod reports;
mod rules;
mod sessions;
mod snapshots;
mod templates;
mod tenants;
mod test_entities;
mod tests;
mod text_search;
mod tracked_actors;
mod users;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sqlx::sqlite::SqliteJournalMode;
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DatabaseTransaction, TransactionTrait,
};

use aegis_application::ports::{Database, UnitOfWork};
use aegis_domain::audit::AuditEntry;
use aegis_domain::campaign::{
    Campaign, CampaignFilter, CampaignId, CampaignRepository, Dependency,
};
use aegis_domain::catalog::TechniqueId;
use aegis_domain::evidence::{CustodyEvent, Evidence, EvidenceId, PendingObject};
use aegis_domain::finding::{Finding, FindingFilter, FindingId, FindingRepository};
use aegis_domain::job::{JobKind, JobOutcome, JobRun};
use aegis_domain::notification::{Notification, NotificationId};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::*;
use aegis_domain::scoring::StoredScore;
use aegis_domain::session::{RefreshSession, RefreshSessionId, SessionFamilyId};
use aegis_domain::snapshot::PostureSnapshot;
use aegis_domain::tenant::{AuditHead, Tenant, TenantId, TenantSlug};
use aegis_domain::test_case::{Comment, TestCase, TestId, TransitionRecord, Worklog};
use aegis_domain::user::{Email, User, UserId};

#[derive(Debug, thiserror::Error)]
#[error("cannot connect to the database: {0}")]
pub struct DbSetupError(String);

/// A transaction that will write. On SQLite it takes the write lock at `BEGIN` (IMMEDIATE):
/// a deferred transaction that reads first cannot wait for another process's writer and fails
/// with `database is locked`, while an immediate one waits out the busy timeout.
pub(crate) async fn begin_write(
    connection: &DatabaseConnection,
) -> Result<DatabaseTransaction, sea_orm::DbErr> {
    if connection.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        connection
            .begin_with_options(sea_orm::TransactionOptions {
                sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                ..sea_orm::TransactionOptions::default()
            })
            .await
    } else {
        connection.begin().await
    }
}

/// The database behind the `Database` port.
#[derive(Debug, Clone)]
pub struct SeaDatabase {
    connection: DatabaseConnection,
}

impl SeaDatabase {
    /// The raw connection, for the composition root's migrations.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.connection
    }
}

/// Opens a pool on `url` (`postgres://…` or `sqlite://…`).
///
/// SQLite gets WAL, a 10 s busy timeout and foreign keys, and exactly one connection:
/// SQLite has one writer anyway, and a single connection means a transaction that starts by
/// reading never fails to upgrade its lock (`SQLITE_BUSY`) under concurrent requests.
///
/// # Errors
/// `DbSetupError` when the database cannot be reached.
pub async fn connect(url: &str, max_connections: u32) -> Result<SeaDatabase, DbSetupError> {
    let sqlite = url.starts_with("sqlite:");
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(if sqlite { 1 } else { max_connections.max(1) })
        .min_connections(if sqlite { 1 } else { 0 })
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false);
    if sqlite {
        options.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
        });
    }
    let connection = sea_orm::Database::connect(options)
        .await
        .map_err(|e| DbSetupError(e.to_string()))?;
    Ok(SeaDatabase { connection })
}

/// One transaction; dropping it without `commit` rolls back.
pub struct SeaUnitOfWork {
    transaction: DatabaseTransaction,
}

trait Connection: Send + Sync {
    type Conn: ConnectionTrait;
    fn conn(&self) -> &Self::Conn;
}

impl Connection for SeaDatabase {
    type Conn = DatabaseConnection;
    fn conn(&self) -> &DatabaseConnection {
        &self.connection
    }
}

impl Connection for SeaUnitOfWork {
    type Conn = DatabaseTransaction;
    fn conn(&self) -> &DatabaseTransaction {
        &self.transaction
    }
}

/// Implements every repository port for a connection wrapper by delegating to the
/// repository functions, so both wrappers share one implementation.
macro_rules! repositories {
    ($target:ty) => {
        #[async_trait]
        impl TenantRepository for $target {
            async fn find_tenant(
                &self,
                tenant: TenantId,
            ) -> Result<Option<Tenant>, RepositoryError> {
                tenants::find(self.conn(), tenant).await
            }
            async fn find_tenant_by_slug(
                &self,
                slug: &TenantSlug,
            ) -> Result<Option<Tenant>, RepositoryError> {
                tenants::find_by_slug(self.conn(), slug).await
            }
            async fn list_tenants(&self) -> Result<Vec<Tenant>, RepositoryError> {
                tenants::list(self.conn()).await
            }
            async fn insert_tenant(&self, tenant: &Tenant) -> Result<(), RepositoryError> {
                tenants::insert(self.conn(), tenant).await
            }
        }

        #[async_trait]
        impl CoverageRepository for $target {
            async fn tests_of_technique(
                &self,
                tenant: TenantId,
                technique: &TechniqueId,
            ) -> Result<Vec<TestCase>, RepositoryError> {
                tests::of_technique(self.conn(), tenant, technique).await
            }
            async fn save_technique_score(
                &self,
                tenant: TenantId,
                score: &StoredScore,
            ) -> Result<(), RepositoryError> {
                coverage::save(self.conn(), tenant, score).await
            }
            async fn technique_score(
                &self,
                tenant: TenantId,
                technique: &TechniqueId,
            ) -> Result<Option<StoredScore>, RepositoryError> {
                coverage::find(self.conn(), tenant, technique).await
            }
            async fn technique_scores(
                &self,
                tenant: TenantId,
            ) -> Result<Vec<StoredScore>, RepositoryError> {
                coverage::all(self.conn(), tenant).await
            }
            async fn detection_rules_of(
                &self,
                technique: &str,
            ) -> Result<Vec<aegis_domain::detection::RuleSummary>, RepositoryError> {
                rules::for_technique(self.conn(), technique).await
            }
            async fn countermeasure_count(&self, technique: &str) -> Result<u32, RepositoryError> {
                countermeasures::count_for_technique(self.conn(), technique).await
            }
        }

        #[async_trait]
        impl EvidenceRepository for $target {
            async fn insert_evidence(
                &self,
                tenant: TenantId,
                item: &Evidence,
            ) -> Result<(), RepositoryError> {
                evidence::insert(self.conn(), tenant, item).await
            }
            async fn find_evidence(
                &self,
                tenant: TenantId,
                id: EvidenceId,
            ) -> Result<Option<Evidence>, RepositoryError> {
                evidence::find(self.conn(), tenant, id).await
            }
            async fn list_evidence(
                &self,
                tenant: TenantId,
                test: TestId,
            ) -> Result<Vec<Evidence>, RepositoryError> {
                evidence::list(self.conn(), tenant, test).await
            }
            async fn mark_evidence_deleted(
                &self,
                tenant: TenantId,
                item: &Evidence,
            ) -> Result<(), RepositoryError> {
                evidence::mark_deleted(self.conn(), tenant, item).await
            }
            async fn insert_custody_event(
                &self,
                tenant: TenantId,
                event: &CustodyEvent,
            ) -> Result<(), RepositoryError> {
                evidence::insert_custody(self.conn(), tenant, event).await
            }
            async fn custody_log(
                &self,
                tenant: TenantId,
                id: EvidenceId,
            ) -> Result<Vec<CustodyEvent>, RepositoryError> {
                evidence::custody_log(self.conn(), tenant, id).await
            }
            async fn record_pending_object(
                &self,
                object: &PendingObject,
            ) -> Result<(), RepositoryError> {
                evidence::record_pending(self.conn(), object).await
            }
            async fn claim_pending_object(&self, key: &str) -> Result<bool, RepositoryError> {
                evidence::claim_pending(self.conn(), key).await
            }
            async fn pending_objects(
                &self,
                recorded_before: chrono::DateTime<chrono::Utc>,
                limit: u64,
            ) -> Result<Vec<PendingObject>, RepositoryError> {
                evidence::pending_before(self.conn(), recorded_before, limit).await
            }
        }

        #[async_trait]
        impl NotificationRepository for $target {
            async fn insert_notifications(
                &self,
                tenant: TenantId,
                items: &[Notification],
            ) -> Result<(), RepositoryError> {
                notifications::insert(self.conn(), tenant, items).await
            }
            async fn list_notifications(
                &self,
                tenant: TenantId,
                user: UserId,
                unread_only: bool,
                page: PageRequest,
            ) -> Result<Page<Notification>, RepositoryError> {
                notifications::list(self.conn(), tenant, user, unread_only, page).await
            }
            async fn count_unread_notifications(
                &self,
                tenant: TenantId,
                user: UserId,
            ) -> Result<u64, RepositoryError> {
                notifications::count_unread(self.conn(), tenant, user).await
            }
            async fn mark_notifications_read(
                &self,
                tenant: TenantId,
                user: UserId,
                only: Option<NotificationId>,
                at: DateTime<Utc>,
            ) -> Result<u64, RepositoryError> {
                notifications::mark_read(self.conn(), tenant, user, only, at).await
            }
            async fn delete_read_notifications(
                &self,
                tenant: TenantId,
                cutoff: DateTime<Utc>,
            ) -> Result<u64, RepositoryError> {
                notifications::delete_read(self.conn(), tenant, cutoff).await
            }
        }

        #[async_trait]
        impl MetricsRepository for $target {
            async fn test_facts(
                &self,
                tenant: TenantId,
            ) -> Result<Vec<aegis_domain::metrics::TestFacts>, RepositoryError> {
                metrics::test_facts(self.conn(), tenant).await
            }
            async fn workflow_actions_by_actor(
                &self,
                tenant: TenantId,
                since: DateTime<Utc>,
            ) -> Result<Vec<(UserId, String, u64)>, RepositoryError> {
                metrics::actions_by_actor(self.conn(), tenant, since).await
            }
            async fn recent_activity(
                &self,
                tenant: TenantId,
                limit: u64,
            ) -> Result<Vec<aegis_domain::metrics::ActivityItem>, RepositoryError> {
                metrics::recent_activity(self.conn(), tenant, limit).await
            }
        }

        #[async_trait]
        impl SnapshotRepository for $target {
            async fn insert_snapshot(
                &self,
                snapshot: &PostureSnapshot,
            ) -> Result<(), RepositoryError> {
                snapshots::insert(self.conn(), snapshot).await
            }
            async fn list_snapshots(
                &self,
                tenant: TenantId,
                from: Option<DateTime<Utc>>,
                to: Option<DateTime<Utc>>,
                page: PageRequest,
            ) -> Result<Page<PostureSnapshot>, RepositoryError> {
                snapshots::list(self.conn(), tenant, from, to, page).await
            }
            async fn find_snapshot(
                &self,
                tenant: TenantId,
                id: uuid::Uuid,
            ) -> Result<Option<PostureSnapshot>, RepositoryError> {
                snapshots::find(self.conn(), tenant, id).await
            }
            async fn delete_snapshot(
                &self,
                tenant: TenantId,
                id: uuid::Uuid,
            ) -> Result<bool, RepositoryError> {
                snapshots::delete(self.conn(), tenant, id).await
            }
        }

        #[async_trait]
        impl JobRunRepository for $target {
            async fn insert_job_run(&self, run: &JobRun) -> Result<bool, RepositoryError> {
                job_runs::insert(self.conn(), run).await
            }
            async fn find_job_run(
                &self,
                id: uuid::Uuid,
            ) -> Result<Option<JobRun>, RepositoryError> {
                job_runs::find(self.conn(), id).await
            }
            async fn find_job_run_by_key(
                &self,
                run_key: &str,
            ) -> Result<Option<JobRun>, RepositoryError> {
                job_runs::find_by_key(self.conn(), run_key).await
            }
            async fn start_job_attempt(&self, run: &JobRun) -> Result<bool, RepositoryError> {
                job_runs::start_attempt(self.conn(), run).await
            }
            async fn update_job_run(&self, run: &JobRun) -> Result<(), RepositoryError> {
                job_runs::update(self.conn(), run).await
            }
            async fn list_job_runs(
                &self,
                kind: Option<JobKind>,
                outcome: Option<JobOutcome>,
                page: PageRequest,
            ) -> Result<Page<JobRun>, RepositoryError> {
                job_runs::list(self.conn(), kind, outcome, page).await
            }
            async fn latest_job_runs(&self) -> Result<Vec<JobRun>, RepositoryError> {
                job_runs::latest(self.conn()).await
            }
            async fn waiting_job_runs(&self) -> Result<Vec<JobRun>, RepositoryError> {
                job_runs::waiting(self.conn()).await
            }
        }

        #[async_trait]
        impl TestRepository for $target {
            async fn insert_test(
                &self,
                tenant: TenantId,
                test: &TestCase,
            ) -> Result<(), RepositoryError> {
                tests::insert(self.conn(), tenant, test).await
            }
            async fn find_test(
                &self,
                tenant: TenantId,
                test: TestId,
            ) -> Result<Option<TestCase>, RepositoryError> {
                tests::find(self.conn(), tenant, test).await
            }
            async fn update_test(
                &self,
                tenant: TenantId,
                test: &TestCase,
                expected_version: i32,
            ) -> Result<(), RepositoryError> {
                tests::update(self.conn(), tenant, test, expected_version).await
            }
            async fn delete_test(
                &self,
                tenant: TenantId,
                test: TestId,
            ) -> Result<(), RepositoryError> {
                tests::delete(self.conn(), tenant, test).await
            }
            async fn list_tests(
                &self,
                tenant: TenantId,
                filter: &TestFilter,
                page: PageRequest,
            ) -> Result<Page<TestCase>, RepositoryError> {
                tests::list(self.conn(), tenant, filter, page).await
            }
            async fn insert_transition(
                &self,
                tenant: TenantId,
                record: &TransitionRecord,
            ) -> Result<(), RepositoryError> {
                tests::insert_transition(self.conn(), tenant, record).await
            }
            async fn insert_worklog(
                &self,
                tenant: TenantId,
                worklog: &Worklog,
            ) -> Result<(), RepositoryError> {
                tests::insert_worklog(self.conn(), tenant, worklog).await
            }
            async fn insert_comment(
                &self,
                tenant: TenantId,
                comment: &Comment,
            ) -> Result<(), RepositoryError> {
                tests::insert_comment(self.conn(), tenant, comment).await
            }
            async fn test_history(
                &self,
                tenant: TenantId,
                test: TestId,
            ) -> Result<TestHistory, RepositoryError> {
                tests::history(self.conn(), tenant, test).await
            }
        }

        #[async_trait]
        impl UserRepository for $target {
            async fn find_user_for_login(
                &self,
                email: &Email,
            ) -> Result<Option<User>, RepositoryError> {
                users::find_for_login(self.conn(), email).await
            }
            async fn find_user(
                &self,
                tenant: TenantId,
                user: UserId,
            ) -> Result<Option<User>, RepositoryError> {
                users::find(self.conn(), tenant, user).await
            }
            async fn find_user_by_email(
                &self,
                tenant: TenantId,
                email: &Email,
            ) -> Result<Option<User>, RepositoryError> {
                users::find_by_email(self.conn(), tenant, email).await
            }
            async fn list_users(
                &self,
                tenant: TenantId,
                filter: &UserFilter,
                page: PageRequest,
            ) -> Result<Page<User>, RepositoryError> {
                users::list(self.conn(), tenant, filter, page).await
            }
            async fn count_usable_admins(
                &self,
                tenant: TenantId,
                except: Option<UserId>,
                now: DateTime<Utc>,
            ) -> Result<u64, RepositoryError> {
                users::count_usable_admins(self.conn(), tenant, except, now).await
            }
            async fn insert_user(
                &self,
                tenant: TenantId,
                user: &User,
            ) -> Result<(), RepositoryError> {
                users::insert(self.conn(), tenant, user).await
            }
            async fn update_user(
                &self,
                tenant: TenantId,
                user: &User,
            ) -> Result<(), RepositoryError> {
                users::update(self.conn(), tenant, user).await
            }
        }

        #[async_trait]
        impl RefreshSessionRepository for $target {
            async fn insert_refresh_session(
                &self,
                tenant: TenantId,
                session: &RefreshSession,
            ) -> Result<(), RepositoryError> {
                sessions::insert(self.conn(), tenant, session).await
            }
            async fn find_refresh_session(
                &self,
                tenant: TenantId,
                token_hash: &str,
            ) -> Result<Option<RefreshSession>, RepositoryError> {
                sessions::find(self.conn(), tenant, token_hash).await
            }
            async fn mark_refresh_session_used(
                &self,
                tenant: TenantId,
                session: RefreshSessionId,
                at: DateTime<Utc>,
            ) -> Result<(), RepositoryError> {
                sessions::mark_used(self.conn(), tenant, session, at).await
            }
            async fn revoke_session_family(
                &self,
                tenant: TenantId,
                family: SessionFamilyId,
                at: DateTime<Utc>,
            ) -> Result<(), RepositoryError> {
                sessions::revoke_family(self.conn(), tenant, family, at).await
            }
            async fn revoke_user_sessions(
                &self,
                tenant: TenantId,
                user: UserId,
                keep: Option<SessionFamilyId>,
                at: DateTime<Utc>,
            ) -> Result<(), RepositoryError> {
                sessions::revoke_for_user(self.conn(), tenant, user, keep, at).await
            }
        }

        #[async_trait]
        impl RevokedTokenRepository for $target {
            async fn revoke_access_token(
                &self,
                tenant: TenantId,
                jti: &str,
                user: UserId,
                expires_at: DateTime<Utc>,
            ) -> Result<(), RepositoryError> {
                sessions::revoke_access_token(self.conn(), tenant, jti, user, expires_at).await
            }
            async fn is_access_token_revoked(
                &self,
                tenant: TenantId,
                jti: &str,
            ) -> Result<bool, RepositoryError> {
                sessions::is_access_token_revoked(self.conn(), tenant, jti).await
            }
        }

        #[async_trait]
        impl IdempotencyRepository for $target {
            async fn find_idempotency_record(
                &self,
                tenant: TenantId,
                actor: UserId,
                scope: &str,
                key: &str,
            ) -> Result<Option<IdempotencyRecord>, RepositoryError> {
                idempotency::find(self.conn(), tenant, actor, scope, key).await
            }
            async fn insert_idempotency_record(
                &self,
                tenant: TenantId,
                record: &IdempotencyRecord,
            ) -> Result<(), RepositoryError> {
                idempotency::insert(self.conn(), tenant, record).await
            }
        }

        #[async_trait]
        impl CampaignRepository for $target {
            async fn insert_campaign(
                &self,
                tenant: TenantId,
                campaign: &Campaign,
            ) -> Result<(), RepositoryError> {
                campaigns::insert(self.conn(), tenant, campaign).await
            }
            async fn find_campaign(
                &self,
                tenant: TenantId,
                id: CampaignId,
            ) -> Result<Option<Campaign>, RepositoryError> {
                campaigns::find(self.conn(), tenant, id).await
            }
            async fn update_campaign(
                &self,
                tenant: TenantId,
                campaign: &Campaign,
                expected_version: i32,
            ) -> Result<(), RepositoryError> {
                campaigns::update(self.conn(), tenant, campaign, expected_version).await
            }
            async fn delete_campaign(
                &self,
                tenant: TenantId,
                id: CampaignId,
            ) -> Result<(), RepositoryError> {
                campaigns::delete(self.conn(), tenant, id).await
            }
            async fn list_campaigns(
                &self,
                tenant: TenantId,
                filter: &CampaignFilter,
                page: PageRequest,
            ) -> Result<Page<Campaign>, RepositoryError> {
                campaigns::list(self.conn(), tenant, filter, page).await
            }
            async fn due_campaigns(
                &self,
                tenant: TenantId,
                now: DateTime<Utc>,
            ) -> Result<Vec<Campaign>, RepositoryError> {
                campaigns::due(self.conn(), tenant, now).await
            }
            async fn successor_of(
                &self,
                tenant: TenantId,
                id: CampaignId,
            ) -> Result<Option<Campaign>, RepositoryError> {
                campaigns::successor(self.conn(), tenant, id).await
            }
            async fn tests_of_campaign(
                &self,
                tenant: TenantId,
                id: CampaignId,
            ) -> Result<Vec<TestCase>, RepositoryError> {
                campaigns::tests(self.conn(), tenant, id).await
            }
            async fn transitions_of_campaign(
                &self,
                tenant: TenantId,
                id: CampaignId,
            ) -> Result<Vec<TransitionRecord>, RepositoryError> {
                campaigns::transitions(self.conn(), tenant, id).await
            }
            async fn dependencies_in_campaign(
                &self,
                tenant: TenantId,
                id: CampaignId,
            ) -> Result<Vec<Dependency>, RepositoryError> {
                campaigns::dependencies(self.conn(), tenant, id).await
            }
            async fn replace_dependencies(
                &self,
                tenant: TenantId,
                test: TestId,
                depends_on: &[TestId],
            ) -> Result<(), RepositoryError> {
                campaigns::replace_dependencies(self.conn(), tenant, test, depends_on).await
            }
            async fn drop_dependencies_of(
                &self,
                tenant: TenantId,
                test: TestId,
            ) -> Result<(), RepositoryError> {
                campaigns::drop_dependencies_of(self.conn(), tenant, test).await
            }
        }

        #[async_trait]
        impl FindingRepository for $target {
            async fn insert_finding(
                &self,
                tenant: TenantId,
                finding: &Finding,
            ) -> Result<(), RepositoryError> {
                findings::insert(self.conn(), tenant, finding).await
            }
            async fn find_finding(
                &self,
                tenant: TenantId,
                id: FindingId,
            ) -> Result<Option<Finding>, RepositoryError> {
                findings::find(self.conn(), tenant, id).await
            }
            async fn update_finding(
                &self,
                tenant: TenantId,
                finding: &Finding,
                expected_version: i32,
            ) -> Result<(), RepositoryError> {
                findings::update(self.conn(), tenant, finding, expected_version).await
            }
            async fn list_findings(
                &self,
                tenant: TenantId,
                filter: &FindingFilter,
                page: PageRequest,
            ) -> Result<Page<Finding>, RepositoryError> {
                findings::list(self.conn(), tenant, filter, page).await
            }
            async fn findings_of_test(
                &self,
                tenant: TenantId,
                test: TestId,
            ) -> Result<Vec<Finding>, RepositoryError> {
                findings::of_test(self.conn(), tenant, test).await
            }
        }

        #[async_trait]
        impl AuditLogRepository for $target {
            async fn lock_audit_head(
                &self,
                tenant: TenantId,
            ) -> Result<AuditHead, RepositoryError> {
                tenants::lock_audit_head(self.conn(), tenant).await
            }
            async fn append_audit_entry(
                &self,
                tenant: TenantId,
                entry: &AuditEntry,
            ) -> Result<(), RepositoryError> {
                audit::append(self.conn(), tenant, entry).await
            }
            async fn list_audit_entries(
                &self,
                tenant: TenantId,
                filter: &AuditFilter,
                page: PageRequest,
            ) -> Result<Page<AuditEntry>, RepositoryError> {
                audit::list(self.conn(), tenant, filter, page).await
            }
            async fn audit_chain_batch(
                &self,
                tenant: TenantId,
                after: i64,
                limit: u64,
            ) -> Result<Vec<AuditEntry>, RepositoryError> {
                audit::chain_batch(self.conn(), tenant, after, limit).await
            }
        }
    };
}

repositories!(SeaDatabase);
repositories!(SeaUnitOfWork);

#[async_trait]
impl UnitOfWork for SeaUnitOfWork {
    async fn commit(self: Box<Self>) -> Result<(), RepositoryError> {
        self.transaction.commit().await.map_err(error::unexpected)
    }
}

#[async_trait]
impl Database for SeaDatabase {
    async fn begin(&self) -> Result<Box<dyn UnitOfWork>, RepositoryError> {
        let transaction = begin_write(&self.connection)
            .await
            .map_err(error::unexpected)?;
        Ok(Box::new(SeaUnitOfWork { transaction }))
    }

    async fn ping(&self) -> Result<(), RepositoryError> {
        self.connection.ping().await.map_err(error::unexpected)
    }
}

#[async_trait]
impl aegis_domain::report::ReportRepository for SeaDatabase {
    async fn insert_report(
        &self,
        report: &aegis_domain::report::Report,
    ) -> Result<(), RepositoryError> {
        reports::insert(&self.connection, report).await
    }
    async fn update_report(
        &self,
        report: &aegis_domain::report::Report,
    ) -> Result<(), RepositoryError> {
        reports::update(&self.connection, report).await
    }
    async fn find_report(
        &self,
        tenant: TenantId,
        id: aegis_domain::report::ReportId,
    ) -> Result<Option<aegis_domain::report::Report>, RepositoryError> {
        reports::find(&self.connection, tenant, id).await
    }
    async fn list_reports(
        &self,
        tenant: TenantId,
        page: PageRequest,
    ) -> Result<Page<aegis_domain::report::Report>, RepositoryError> {
        reports::list(&self.connection, tenant, page).await
    }
    async fn queued_reports(
        &self,
        limit: u64,
    ) -> Result<Vec<aegis_domain::report::Report>, RepositoryError> {
        reports::queued(&self.connection, limit).await
    }
}

#[async_trait]
impl aegis_domain::detection::CountermeasureRepository for SeaDatabase {
    async fn apply_countermeasures(
        &self,
        items: &[aegis_domain::detection::Countermeasure],
        at: DateTime<Utc>,
    ) -> Result<aegis_domain::detection::ImportCounts, RepositoryError> {
        countermeasures::apply(&self.connection, items, at).await
    }
    async fn countermeasures_for_technique(
        &self,
        technique: &str,
    ) -> Result<Vec<aegis_domain::detection::Countermeasure>, RepositoryError> {
        countermeasures::for_technique(&self.connection, technique).await
    }
    async fn countermeasure_counts(
        &self,
    ) -> Result<std::collections::HashMap<String, u32>, RepositoryError> {
        countermeasures::counts(&self.connection).await
    }
}

#[async_trait]
impl aegis_domain::template::TemplateRepository for SeaDatabase {
    async fn apply_templates(
        &self,
        source: aegis_domain::template::TemplateSource,
        items: &[aegis_domain::template::TestTemplate],
        at: DateTime<Utc>,
    ) -> Result<aegis_domain::feed::ImportCounts, RepositoryError> {
        templates::apply_templates(&self.connection, source, items, at).await
    }
    async fn apply_binaries(
        &self,
        source: aegis_domain::template::TemplateSource,
        items: &[aegis_domain::template::LolBinary],
        at: DateTime<Utc>,
    ) -> Result<
        (
            aegis_domain::feed::ImportCounts,
            aegis_domain::feed::ImportCounts,
        ),
        RepositoryError,
    > {
        templates::apply_binaries(&self.connection, source, items, at).await
    }
    async fn list_templates(
        &self,
        filter: &aegis_domain::template::TemplateFilter,
        page: PageRequest,
    ) -> Result<Page<aegis_domain::template::TemplateSummary>, RepositoryError> {
        templates::list(&self.connection, filter, page).await
    }
    async fn find_template(
        &self,
        id: uuid::Uuid,
    ) -> Result<
        Option<(
            aegis_domain::template::TemplateSummary,
            aegis_domain::template::TestTemplate,
        )>,
        RepositoryError,
    > {
        templates::find(&self.connection, id).await
    }
    async fn binaries_for_technique(
        &self,
        technique: &str,
    ) -> Result<Vec<aegis_domain::template::BinarySummary>, RepositoryError> {
        templates::binaries_for_technique(&self.connection, technique).await
    }
}

#[async_trait]
impl aegis_domain::threat_intel::IntelRepository for SeaDatabase {
    async fn apply_intel(
        &self,
        actors: &[aegis_domain::threat_intel::IntelActor],
        at: DateTime<Utc>,
    ) -> Result<aegis_domain::threat_intel::IntelCounts, RepositoryError> {
        intel::apply(&self.connection, actors, at).await
    }
    async fn intel_for_actor(
        &self,
        actor_stix_id: &str,
    ) -> Result<Vec<aegis_domain::threat_intel::IntelActor>, RepositoryError> {
        intel::for_actor(&self.connection, actor_stix_id).await
    }
}

#[async_trait]
impl aegis_domain::data_source::DataSourceRepository for SeaDatabase {
    async fn data_sources(
        &self,
    ) -> Result<Vec<aegis_domain::data_source::DataSource>, RepositoryError> {
        data_sources::all(&self.connection).await
    }
    async fn save_data_source(
        &self,
        source: &aegis_domain::data_source::DataSource,
    ) -> Result<(), RepositoryError> {
        data_sources::save(&self.connection, source).await
    }
}

#[async_trait]
impl aegis_domain::threat_intel::TrackedActorRepository for SeaDatabase {
    async fn tracked_actors(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<aegis_domain::threat_intel::TrackedActor>, RepositoryError> {
        tracked_actors::all(&self.connection, tenant).await
    }
    async fn save_tracked_actor(
        &self,
        tenant: TenantId,
        actor: &aegis_domain::threat_intel::TrackedActor,
    ) -> Result<(), RepositoryError> {
        tracked_actors::save(&self.connection, tenant, actor).await
    }
    async fn untrack_actor(
        &self,
        tenant: TenantId,
        actor_stix_id: &str,
    ) -> Result<bool, RepositoryError> {
        tracked_actors::remove(&self.connection, tenant, actor_stix_id).await
    }
}

#[async_trait]
impl aegis_domain::compliance::ComplianceRepository for SeaDatabase {
    async fn apply_framework(
        &self,
        framework: &aegis_domain::compliance::Framework,
        mappings: &[aegis_domain::compliance::ControlMapping],
        at: DateTime<Utc>,
    ) -> Result<aegis_domain::feed::ImportCounts, RepositoryError> {
        compliance::apply(&self.connection, framework, mappings, at).await
    }
    async fn frameworks(
        &self,
    ) -> Result<Vec<aegis_domain::compliance::FrameworkSummary>, RepositoryError> {
        compliance::summaries(&self.connection).await
    }
    async fn framework_mappings(
        &self,
        id: &str,
    ) -> Result<
        Option<(
            aegis_domain::compliance::Framework,
            Vec<aegis_domain::compliance::ControlMapping>,
        )>,
        RepositoryError,
    > {
        compliance::mappings_of(&self.connection, id).await
    }
}

#[async_trait]
impl aegis_domain::detection::RuleRepository for SeaDatabase {
    async fn apply_rules(
        &self,
        source: aegis_domain::detection::RuleSource,
        items: &[aegis_domain::detection::DetectionRule],
        at: DateTime<Utc>,
    ) -> Result<aegis_domain::detection::ImportCounts, RepositoryError> {
        rules::apply(&self.connection, source, items, at).await
    }
    async fn rules_for_technique(
        &self,
        technique: &str,
    ) -> Result<Vec<aegis_domain::detection::RuleSummary>, RepositoryError> {
        rules::for_technique(&self.connection, technique).await
    }
    async fn list_rules(
        &self,
        filter: &aegis_domain::detection::RuleFilter,
        page: PageRequest,
    ) -> Result<Page<aegis_domain::detection::RuleSummary>, RepositoryError> {
        rules::list(&self.connection, filter, page).await
    }
    async fn active_rule_counts(
        &self,
    ) -> Result<std::collections::HashMap<String, u32>, RepositoryError> {
        rules::active_counts(&self.connection).await
    }
    async fn find_rule(
        &self,
        id: uuid::Uuid,
    ) -> Result<
        Option<(
            aegis_domain::detection::RuleSummary,
            aegis_domain::detection::DetectionRule,
        )>,
        RepositoryError,
    > {
        rules::find(&self.connection, id).await
    }
}

#[async_trait]
impl aegis_domain::catalog_ports::CatalogRepository for SeaDatabase {
    async fn apply_attack_release(
        &self,
        release: &aegis_domain::catalog::AttackRelease,
        at: DateTime<Utc>,
    ) -> Result<aegis_domain::catalog_ports::ImportReport, RepositoryError> {
        catalog_import::apply(&self.connection, release, at).await
    }

    async fn begin_import(
        &self,
        run: &aegis_domain::catalog_ports::ImportRun,
    ) -> Result<(), RepositoryError> {
        catalog_runs::begin(&self.connection, run).await
    }

    async fn finish_import(
        &self,
        id: uuid::Uuid,
        outcome: Result<&aegis_domain::catalog_ports::ImportReport, &str>,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        catalog_runs::finish(&self.connection, id, outcome, at).await
    }

    async fn find_import(
        &self,
        id: uuid::Uuid,
    ) -> Result<Option<aegis_domain::catalog_ports::ImportRun>, RepositoryError> {
        catalog_runs::find(&self.connection, id).await
    }

    async fn list_imports(
        &self,
        limit: u64,
    ) -> Result<Vec<aegis_domain::catalog_ports::ImportRun>, RepositoryError> {
        catalog_runs::list(&self.connection, limit).await
    }

    async fn set_technique_review(
        &self,
        id: &aegis_domain::catalog::TechniqueId,
        required: bool,
        reason: Option<&str>,
    ) -> Result<(), RepositoryError> {
        catalog_read::set_review(&self.connection, id, required, reason).await
    }

    async fn insert_custom_technique(
        &self,
        technique: &aegis_domain::catalog::Technique,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        catalog_read::insert_custom(&self.connection, technique, at).await
    }

    async fn update_custom_technique(
        &self,
        technique: &aegis_domain::catalog::Technique,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        catalog_read::update_custom(&self.connection, technique, at).await
    }

    async fn list_tactics(&self) -> Result<Vec<aegis_domain::catalog::Tactic>, RepositoryError> {
        catalog_read::list_tactics(&self.connection).await
    }

    async fn list_techniques(
        &self,
        filter: &aegis_domain::catalog_ports::TechniqueFilter,
        page: PageRequest,
    ) -> Result<Page<aegis_domain::catalog_ports::TechniqueSummary>, RepositoryError> {
        catalog_read::list_techniques(&self.connection, filter, page).await
    }

    async fn find_technique(
        &self,
        id: &aegis_domain::catalog::TechniqueId,
    ) -> Result<Option<aegis_domain::catalog_ports::TechniqueDetail>, RepositoryError> {
        catalog_read::find_technique(&self.connection, id).await
    }

    async fn list_threat_actors(
        &self,
        filter: &aegis_domain::catalog_ports::ThreatActorFilter,
        page: PageRequest,
    ) -> Result<Page<aegis_domain::catalog::ThreatActor>, RepositoryError> {
        catalog_read::list_threat_actors(&self.connection, filter, page).await
    }

    async fn all_techniques(
        &self,
        filter: &aegis_domain::catalog_ports::TechniqueFilter,
    ) -> Result<Vec<aegis_domain::catalog_ports::TechniqueSummary>, RepositoryError> {
        catalog_read::all_techniques(&self.connection, filter).await
    }

    async fn actors_per_technique(
        &self,
    ) -> Result<std::collections::HashMap<TechniqueId, u32>, RepositoryError> {
        catalog_read::actors_per_technique(&self.connection).await
    }

    async fn find_threat_actor(
        &self,
        id: &str,
    ) -> Result<Option<aegis_domain::catalog_ports::ThreatActorDetail>, RepositoryError> {
        catalog_read::find_threat_actor(&self.connection, id).await
    }
    async fn technique_lineage(
        &self,
    ) -> Result<aegis_domain::technique_lineage::TechniqueLineage, RepositoryError> {
        catalog_read::lineage(&self.connection).await
    }
}
