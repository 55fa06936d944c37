//! Background jobs: queuing runs (on schedule or on demand), executing attempts with retries
//! and a dead-letter state, and the history admins read.
//!
//! Exactly once: a scheduled run is keyed by its job and due time, so however many schedulers
//! see it come due one run exists; the queue takes each attempt once; an attempt that finds its
//! run already finished does nothing.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use aegis_domain::job::{JobCounts, JobKind, JobOutcome, JobRun, JobTrigger, RetryPolicy};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::Action;
use aegis_domain::ports::RepositoryError;

use crate::Dependencies;
use crate::audit_trail::{self, Change};
use crate::context::{Actor, Forbidden, Initiator, RequestContext};
use crate::error::{Classified, ErrorKind, unexpected};
use crate::ports::{JobQueueError, JobTicket};

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("job run not found")]
    NotFound,
    #[error(transparent)]
    Queue(#[from] JobQueueError),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for JobError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl Classified for JobError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::NotFound => ErrorKind::NotFound,
            Self::Queue(_) | Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound => "JOB_RUN_NOT_FOUND",
            Self::Queue(_) => "JOB_QUEUE_UNAVAILABLE",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

/// A job's schedule: a cron expression (seconds first, UTC).
#[derive(Debug, Clone)]
pub struct JobSchedule {
    pub kind: JobKind,
    pub expression: String,
    pub schedule: cron::Schedule,
}

impl JobSchedule {
    /// # Errors
    /// The parser's message when `expression` is not a cron expression.
    pub fn parse(kind: JobKind, expression: &str) -> Result<Self, String> {
        let schedule = expression
            .parse::<cron::Schedule>()
            .map_err(|e| format!("`{expression}` is not a cron expression: {e}"))?;
        Ok(Self {
            kind,
            expression: expression.to_owned(),
            schedule,
        })
    }

    /// The first due time strictly after `after`.
    #[must_use]
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.schedule.after(&after).next()
    }
}

/// How jobs run, from configuration.
#[derive(Debug, Clone)]
pub struct JobSettings {
    pub retry: RetryPolicy,
    /// The scheduled jobs; a job without a schedule runs only on demand.
    pub schedules: Vec<JobSchedule>,
    /// Read notifications older than this are deleted (default 90 days).
    pub notification_retention: chrono::Duration,
    /// An upload that never committed counts as abandoned after this.
    pub evidence_upload_grace: chrono::Duration,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            schedules: JobKind::ALL
                .into_iter()
                .filter_map(|kind| JobSchedule::parse(kind, kind.default_schedule()).ok())
                .collect(),
            notification_retention: chrono::Duration::days(90),
            evidence_upload_grace: chrono::Duration::hours(6),
        }
    }
}

/// A job with its schedule and last run, for the scheduler status.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledJob {
    pub kind: JobKind,
    pub schedule: Option<String>,
    pub next_due: Option<DateTime<Utc>>,
    pub last_run: Option<JobRun>,
}

/// The services whose work the jobs do.
#[derive(Clone)]
pub(crate) struct JobWork {
    pub(crate) catalog: crate::catalog::CatalogService,
    pub(crate) coverage: crate::coverage::CoverageService,
    pub(crate) evidence: crate::evidence::EvidenceService,
    pub(crate) snapshots: crate::snapshots::SnapshotService,
    pub(crate) intel: crate::intel::IntelService,
    pub(crate) feed_sync: crate::data_sources::FeedSyncService,
    pub(crate) campaigns: crate::campaigns::CampaignService,
    pub(crate) reports: crate::reports::ReportGenerator,
}

#[derive(Clone)]
pub struct JobService {
    deps: Dependencies,
    settings: Arc<JobSettings>,
    work: JobWork,
}

impl JobService {
    pub(crate) fn new(deps: Dependencies, settings: JobSettings, work: JobWork) -> Self {
        Self {
            deps,
            settings: Arc::new(settings),
            work,
        }
    }

    /// The configured schedules, for the scheduler that turns them into runs.
    #[must_use]
    pub fn schedules(&self) -> &[JobSchedule] {
        &self.settings.schedules
    }

    /// Queues a run now on an admin's (or the operator's) request.
    ///
    /// # Errors
    /// `Forbidden` unless an admin; `Queue` when the queue cannot be written (the run is then
    /// recorded as dead with the reason).
    pub async fn run_now(
        &self,
        initiator: &Initiator,
        kind: JobKind,
        context: &RequestContext,
    ) -> Result<JobRun, JobError> {
        initiator.authorize(Action::ManageSystem)?;
        let mut run = JobRun::queued(
            self.deps.ids.new_id(),
            kind,
            JobTrigger::Manual {
                by: initiator.user_id(),
            },
            self.deps.clock.now(),
            self.settings.retry.max_attempts,
        );
        let uow = self.deps.database.begin().await?;
        uow.insert_job_run(&run).await?;
        let change = Change {
            tenant: initiator.tenant(),
            actor: initiator.user_id(),
            action: "job.run_requested",
            entity_type: "job_run",
            entity_id: Some(run.id.to_string()),
            details: serde_json::json!({ "job": kind.as_str() }),
        };
        audit_trail::record(&self.deps, uow.as_ref(), context, change).await?;
        uow.commit().await?;
        if let Err(error) = self.queue_attempt(&run, 1, std::time::Duration::ZERO).await {
            run.outcome = JobOutcome::Dead;
            run.finished_at = Some(self.deps.clock.now());
            run.error = Some(error.to_string());
            self.deps.database.update_job_run(&run).await?;
            return Err(error.into());
        }
        Ok(run)
    }

    /// Turns a due time of a job's schedule into its run, once: the run is recorded under its
    /// key and its first attempt queued; a scheduler that comes second finds both there.
    ///
    /// # Errors
    /// `Unexpected` or `Queue` when the run cannot be recorded or queued.
    pub async fn schedule_due(
        &self,
        kind: JobKind,
        due_at: DateTime<Utc>,
    ) -> Result<JobRun, JobError> {
        let run = JobRun::queued(
            self.deps.ids.new_id(),
            kind,
            JobTrigger::Schedule { due_at },
            self.deps.clock.now(),
            self.settings.retry.max_attempts,
        );
        if !self.deps.database.insert_job_run(&run).await? {
            let existing = self
                .deps
                .database
                .find_job_run_by_key(&run.run_key)
                .await?
                .ok_or(JobError::NotFound)?;
            return Ok(existing);
        }
        self.queue_attempt(&run, 1, std::time::Duration::ZERO)
            .await?;
        Ok(run)
    }

    /// Queues again every run that waits for an attempt, for a worker starting after a crash
    /// that came between recording a run and queuing it. Attempts already queued stay as
    /// they are.
    ///
    /// # Errors
    /// `Unexpected` or `Queue`.
    pub async fn requeue_waiting(&self) -> Result<usize, JobError> {
        let waiting = self.deps.database.waiting_job_runs().await?;
        for run in &waiting {
            self.queue_attempt(run, run.attempts + 1, std::time::Duration::ZERO)
                .await?;
        }
        Ok(waiting.len())
    }

    async fn queue_attempt(
        &self,
        run: &JobRun,
        attempt: u32,
        delay: std::time::Duration,
    ) -> Result<(), JobQueueError> {
        let ticket = JobTicket {
            run_id: run.id,
            kind: run.kind,
            attempt,
        };
        self.deps.jobs.enqueue(&ticket, delay).await
    }

    /// Executes one attempt of a run: records its start, does the job, and records success,
    /// a retry after the back-off, or the dead letter after the last attempt. An attempt of a
    /// run that already finished does nothing.
    ///
    /// # Errors
    /// `NotFound` for an unknown run; `Unexpected` when the history cannot be written (the
    /// queue then retries the attempt).
    pub async fn execute(&self, ticket: &JobTicket) -> Result<JobOutcome, JobError> {
        let database = &self.deps.database;
        let mut run = database
            .find_job_run(ticket.run_id)
            .await?
            .ok_or(JobError::NotFound)?;
        if run.outcome.is_final() {
            return Ok(run.outcome);
        }
        // An attempt the run has already made comes back only when the worker running it
        // died (a retry waits for its own, later attempt): it is made again, as a new one.
        let redelivered = ticket.attempt <= run.attempts;
        if redelivered && run.outcome != JobOutcome::Running {
            return Ok(run.outcome);
        }
        run.attempts += 1;
        run.outcome = JobOutcome::Running;
        run.started_at = Some(self.deps.clock.now());
        if !database.start_job_attempt(&run).await? {
            // Another worker started this attempt first.
            return Ok(JobOutcome::Running);
        }
        tracing::info!(job = %run.kind, run = %run.id, attempt = run.attempts, "job started");
        let result = self.perform(&run).await;
        run.finished_at = Some(self.deps.clock.now());
        match result {
            Ok(counts) => {
                run.outcome = JobOutcome::Succeeded;
                run.counts = counts;
                run.error = None;
                tracing::info!(job = %run.kind, run = %run.id, counts = ?run.counts, "job succeeded");
            }
            Err(error) => {
                run.error = Some(error.chars().take(4000).collect());
                match self.settings.retry.delay_after(run.attempts) {
                    Some(delay) if run.attempts < run.max_attempts => {
                        run.outcome = JobOutcome::Retrying;
                        tracing::warn!(job = %run.kind, run = %run.id, %error, ?delay, "job failed; retrying");
                        database.update_job_run(&run).await?;
                        self.queue_attempt(&run, run.attempts + 1, delay).await?;
                        return Ok(run.outcome);
                    }
                    _ => {
                        run.outcome = JobOutcome::Dead;
                        tracing::error!(job = %run.kind, run = %run.id, %error, "job failed for the last time");
                    }
                }
            }
        }
        database.update_job_run(&run).await?;
        Ok(run.outcome)
    }

    /// The job's work; the counts say what it did.
    async fn perform(&self, run: &JobRun) -> Result<JobCounts, String> {
        let work = &self.work;
        let count = |pairs: &[(&str, u64)]| -> JobCounts {
            pairs
                .iter()
                .map(|(name, value)| ((*name).to_owned(), *value))
                .collect()
        };
        match run.kind {
            JobKind::AttackSync => {
                let report = work
                    .catalog
                    .sync_from_feed(run.id)
                    .await
                    .map_err(|e| e.to_string())?;
                let totals = report.totals();
                Ok(count(&[
                    ("created", totals.created),
                    ("updated", totals.updated),
                    ("unchanged", totals.unchanged),
                    ("revoked", totals.revoked),
                    ("skipped", report.skipped.len() as u64),
                ]))
            }
            JobKind::IntelScan => {
                let scan = work.intel.scan().await.map_err(|e| e.to_string())?;
                Ok(count(&[
                    ("imports", scan.imports),
                    ("new_techniques", scan.new_techniques),
                    ("changed_techniques", scan.changed_techniques),
                    ("revoked_techniques", scan.revoked_techniques),
                    ("tracked_actor_news", scan.tracked_actor_news),
                    ("notified", scan.notified),
                ]))
            }
            JobKind::NotificationCleanup => {
                let cutoff = self.deps.clock.now() - self.settings.notification_retention;
                let mut deleted = 0;
                for tenant in self
                    .deps
                    .database
                    .list_tenants()
                    .await
                    .map_err(|e| e.to_string())?
                {
                    deleted += self
                        .deps
                        .database
                        .delete_read_notifications(tenant.id, cutoff)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                Ok(count(&[("deleted", deleted)]))
            }
            JobKind::CoverageSnapshot => {
                let taken = work
                    .snapshots
                    .take_for_every_tenant()
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(count(&[("snapshots", taken)]))
            }
            JobKind::CoverageRefresh => {
                let recomputed = work
                    .coverage
                    .recompute_all()
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(count(&[("recomputed", recomputed)]))
            }
            JobKind::EvidenceSweep => {
                let report = work
                    .evidence
                    .sweep(self.settings.evidence_upload_grace)
                    .await
                    .map_err(|e| e.to_string())?;
                if report.failed > 0 {
                    return Err(format!(
                        "{} leftover objects could not be removed",
                        report.failed
                    ));
                }
                Ok(count(&[
                    ("abandoned_uploads", report.abandoned_uploads),
                    ("purged", report.purged),
                ]))
            }
            JobKind::FeedSync => {
                let reports = work.feed_sync.sync_due().await.map_err(|e| e.to_string())?;
                let total = |pick: fn(&crate::data_sources::SyncReport) -> u64| {
                    reports.iter().map(pick).sum::<u64>()
                };
                Ok(count(&[
                    ("sources", reports.len() as u64),
                    ("created", total(|r| r.counts.created)),
                    ("updated", total(|r| r.counts.updated)),
                    ("unchanged", total(|r| r.counts.unchanged)),
                    ("skipped", total(|r| r.counts.skipped)),
                ]))
            }
            JobKind::RecurringCampaigns => {
                let spawned = work
                    .campaigns
                    .spawn_due_runs()
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(count(&[("spawned", spawned)]))
            }
            JobKind::ReportGeneration => {
                let counts = work
                    .reports
                    .generate_queued()
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(count(&[
                    ("generated", counts.generated),
                    ("failed", counts.failed),
                ]))
            }
        }
    }

    /// Runs, newest first.
    ///
    /// # Errors
    /// `Forbidden` unless an admin.
    pub async fn history(
        &self,
        actor: &Actor,
        kind: Option<JobKind>,
        outcome: Option<JobOutcome>,
        page: PageRequest,
    ) -> Result<Page<JobRun>, JobError> {
        actor.authorize(Action::ManageSystem)?;
        Ok(self
            .deps
            .database
            .list_job_runs(kind, outcome, page)
            .await?)
    }

    /// # Errors
    /// `Forbidden` unless an admin, `NotFound`.
    pub async fn run(&self, actor: &Actor, id: uuid::Uuid) -> Result<JobRun, JobError> {
        actor.authorize(Action::ManageSystem)?;
        self.deps
            .database
            .find_job_run(id)
            .await?
            .ok_or(JobError::NotFound)
    }

    /// Every job with its schedule, next due time and last run.
    ///
    /// # Errors
    /// `Forbidden` unless an admin.
    pub async fn scheduler_status(&self, actor: &Actor) -> Result<Vec<ScheduledJob>, JobError> {
        actor.authorize(Action::ManageSystem)?;
        let now = self.deps.clock.now();
        let latest = self.deps.database.latest_job_runs().await?;
        Ok(JobKind::ALL
            .into_iter()
            .map(|kind| {
                let schedule = self.settings.schedules.iter().find(|s| s.kind == kind);
                ScheduledJob {
                    kind,
                    schedule: schedule.map(|s| s.expression.clone()),
                    next_due: schedule.and_then(|s| s.next_after(now)),
                    last_run: latest.iter().find(|run| run.kind == kind).cloned(),
                }
            })
            .collect())
    }
}

/// The CLI runs a job in the foreground with the same bookkeeping as a worker.
impl JobService {
    /// Records a manual run by the operator and executes it here, now.
    ///
    /// # Errors
    /// `Unexpected` when the history cannot be written.
    pub async fn run_in_foreground(
        &self,
        initiator: &Initiator,
        kind: JobKind,
    ) -> Result<JobRun, JobError> {
        initiator.authorize(Action::ManageSystem)?;
        let trigger = match initiator {
            Initiator::User(actor) => JobTrigger::Manual {
                by: Some(actor.user_id),
            },
            Initiator::System { .. } => JobTrigger::Schedule {
                due_at: self.deps.clock.now(),
            },
        };
        let run = JobRun::queued(
            self.deps.ids.new_id(),
            kind,
            trigger,
            self.deps.clock.now(),
            1,
        );
        self.deps.database.insert_job_run(&run).await?;
        self.execute(&JobTicket {
            run_id: run.id,
            kind,
            attempt: 1,
        })
        .await?;
        self.deps
            .database
            .find_job_run(run.id)
            .await?
            .ok_or(JobError::NotFound)
    }
}
