//! The job queue and its workers on apalis: SQL storage in the application's own database
//! (PostgreSQL in production, SQLite embedded), one cron scheduler per scheduled job.
//!
//! Every attempt carries an idempotency key (`run id#attempt`), so the storage holds it once
//! however many processes queue it; PostgreSQL's row locks hand it to one worker; a worker that
//! dies mid-attempt stops sending heartbeats and its attempt goes back to the queue.

use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use apalis::layers::WorkerBuilderExt;
use apalis::prelude::*;
use apalis_cron::{CronScheduler, Tick};
use apalis_postgres::PostgresStorage;
use apalis_sqlite::SqliteStorage;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use aegis_application::jobs::{JobError, JobService};
use aegis_application::ports::{JobQueue, JobQueueError, JobTicket};
use aegis_domain::job::JobKind;

use crate::persistence::SeaDatabase;

/// The queue every job attempt goes through.
const QUEUE: &str = "aegis-jobs";

/// An attempt as stored in the queue.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct QueuedAttempt {
    run_id: uuid::Uuid,
    job: String,
    attempt: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum JobSetupError {
    #[error("the job tables cannot be created: {0}")]
    Storage(String),
}

/// How workers poll and prove they are alive.
#[derive(Debug, Clone, Copy)]
pub struct WorkerSettings {
    /// Attempts run at once by one process.
    pub concurrency: usize,
    /// How often an idle worker looks for due attempts.
    pub poll_interval: Duration,
    /// How often a worker reports it is alive; after three missed heartbeats its attempts go
    /// back to the queue.
    pub heartbeat: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            concurrency: 4,
            poll_interval: Duration::from_secs(1),
            heartbeat: Duration::from_secs(30),
        }
    }
}

const MISSED_HEARTBEATS: usize = 3;

/// Wakes an idle worker every `interval` to look for due attempts.
///
/// apalis' own interval strategy replaces its timer when it fires without polling the new one,
/// so nothing is left to wake the worker unless the storage happens to; with sub-second
/// intervals an idle SQLite worker was seen to sleep for good (a queued report never ran).
/// tokio's interval registers the next wake-up as soon as a tick is taken.
struct Ticker(tokio::time::Interval);

impl Ticker {
    fn every(interval: Duration) -> Self {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Self(ticks)
    }
}

impl PollStrategy for Ticker {
    fn poll_drive(
        &mut self,
        cx: &mut std::task::Context<'_>,
        _: &PollSnapshot,
    ) -> std::task::Poll<Option<()>> {
        let mut ticked = false;
        // Taking every due tick leaves the next one registered with `cx`'s waker.
        while self.0.poll_tick(cx).is_ready() {
            ticked = true;
        }
        if ticked {
            std::task::Poll::Ready(Some(()))
        } else {
            std::task::Poll::Pending
        }
    }
}

/// The apalis storage behind the `JobQueue` port.
#[derive(Clone)]
pub struct ApalisJobQueue {
    storage: Storage,
}

#[derive(Clone)]
enum Storage {
    Postgres(PostgresStorage<QueuedAttempt>),
    Sqlite(SqliteStorage<QueuedAttempt>),
}

impl std::fmt::Debug for ApalisJobQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.storage {
            Storage::Postgres(_) => "ApalisJobQueue(PostgreSQL)",
            Storage::Sqlite(_) => "ApalisJobQueue(SQLite)",
        })
    }
}

impl ApalisJobQueue {
    /// Creates apalis's tables when missing (its own migrations, beside the application's)
    /// and opens the queue on the application's connection pool.
    ///
    /// # Errors
    /// `Storage` when the tables cannot be created.
    pub async fn open(
        database: &SeaDatabase,
        settings: &WorkerSettings,
    ) -> Result<Self, JobSetupError> {
        let connection = database.connection();
        let storage_error = |e: &dyn std::fmt::Display| JobSetupError::Storage(e.to_string());
        match connection.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                let pool = connection.get_postgres_connection_pool();
                PostgresStorage::setup(pool)
                    .await
                    .map_err(|e| storage_error(&e))?;
                let config = apalis_postgres::Config::default()
                    .queue(QUEUE)
                    .heartbeat_interval(settings.heartbeat)
                    .missed_heartbeats(MISSED_HEARTBEATS);
                Ok(Self {
                    storage: Storage::Postgres(PostgresStorage::new(pool).with_config(config)),
                })
            }
            _ => {
                let pool = connection.get_sqlite_connection_pool();
                SqliteStorage::setup(pool)
                    .await
                    .map_err(|e| storage_error(&e))?;
                let config = apalis_sqlite::Config::default()
                    .queue(QUEUE)
                    .heartbeat_interval(settings.heartbeat)
                    .missed_heartbeats(MISSED_HEARTBEATS);
                Ok(Self {
                    storage: Storage::Sqlite(SqliteStorage::new(pool).with_config(config)),
                })
            }
        }
    }
}

fn is_unique_violation(error: &sea_orm::sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}

#[async_trait]
impl JobQueue for ApalisJobQueue {
    async fn enqueue(&self, ticket: &JobTicket, delay: Duration) -> Result<(), JobQueueError> {
        let attempt = QueuedAttempt {
            run_id: ticket.run_id,
            job: ticket.kind.as_str().to_owned(),
            attempt: ticket.attempt,
        };
        let task = TaskBuilder::new(attempt)
            .run_after(delay)
            .idempotency_key(format!("{}#{}", ticket.run_id, ticket.attempt))
            // Re-deliveries after a worker died; failures of the job itself are retried by
            // the job service with its own back-off.
            .max_attempts(3)
            .build();
        match &self.storage {
            Storage::Postgres(storage) => match storage.clone().push_task(task).await {
                Ok(()) => Ok(()),
                Err(TaskSinkError::PushError(apalis_postgres::Error::Database(e)))
                    if is_unique_violation(&e) =>
                {
                    Ok(())
                }
                Err(e) => Err(JobQueueError(e.to_string())),
            },
            // SQLite's insert ignores a duplicate key by itself.
            Storage::Sqlite(storage) => storage
                .clone()
                .push_task(task)
                .await
                .map_err(|e| JobQueueError(e.to_string())),
        }
    }
}

/// Runs one attempt taken from the queue.
async fn run_attempt(attempt: QueuedAttempt, jobs: Data<JobService>) -> Result<(), BoxDynError> {
    let Some(kind) = JobKind::parse(&attempt.job) else {
        tracing::error!(job = %attempt.job, "an unknown job was queued; dropped");
        return Ok(());
    };
    let ticket = JobTicket {
        run_id: attempt.run_id,
        kind,
        attempt: attempt.attempt,
    };
    match jobs.execute(&ticket).await {
        Ok(_) => Ok(()),
        Err(JobError::NotFound) => {
            tracing::error!(run = %attempt.run_id, "a queued attempt has no run; dropped");
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}

/// Turns a due time of a schedule into its run.
async fn on_tick(
    tick: Tick,
    kind: Data<JobKind>,
    jobs: Data<JobService>,
) -> Result<(), BoxDynError> {
    let seconds = i64::try_from(tick.get_timestamp()).unwrap_or(i64::MAX);
    let due_at: DateTime<Utc> = DateTime::from_timestamp(seconds, 0).unwrap_or_default();
    jobs.schedule_due(*kind, due_at).await?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error(transparent)]
    Setup(#[from] JobSetupError),
    #[error("the job workers stopped: {0}")]
    Monitor(String),
    #[error("a schedule is invalid: {0}")]
    Schedule(String),
}

/// A name no other worker process uses: apalis registers workers by name.
fn worker_name(role: &str) -> String {
    format!(
        "aegis-{role}-{}-{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

/// Runs the job workers and the schedulers until `shutdown` completes: attempts waiting from
/// before a crash are queued again first.
///
/// # Errors
/// `Monitor` when the workers cannot run.
pub async fn run_workers(
    queue: ApalisJobQueue,
    jobs: JobService,
    settings: WorkerSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), WorkerError> {
    if let Err(error) = jobs.requeue_waiting().await {
        tracing::warn!(%error, "waiting job runs could not be queued again");
    }
    // A worker whose poll fails (the pool timed out, the database restarted) ends; without a
    // restart this process would queue runs that nobody ever takes.
    let mut monitor = Monitor::new()
        .shutdown_timeout(Duration::from_secs(30))
        .should_restart(|worker, error| {
            tracing::warn!(worker = worker.name(), restarts = worker.restarts(), %error, "a job worker failed and restarts");
            true
        });
    let name = worker_name("jobs");
    monitor = match queue.storage {
        Storage::Postgres(storage) => {
            let jobs = jobs.clone();
            monitor.register(move |_| {
                WorkerBuilder::new(name.clone())
                    .backend(
                        storage
                            .clone()
                            .poll_with_strategy(Ticker::every(settings.poll_interval)),
                    )
                    .concurrency(settings.concurrency)
                    .data(jobs.clone())
                    .build(run_attempt)
            })
        }
        Storage::Sqlite(storage) => {
            let jobs = jobs.clone();
            monitor.register(move |_| {
                WorkerBuilder::new(name.clone())
                    .backend(
                        storage
                            .clone()
                            .poll_with_strategy(Ticker::every(settings.poll_interval)),
                    )
                    .concurrency(settings.concurrency)
                    .data(jobs.clone())
                    .build(run_attempt)
            })
        }
    };
    for schedule in jobs.schedules() {
        let cron = cron::Schedule::from_str(&schedule.expression)
            .map_err(|e| WorkerError::Schedule(e.to_string()))?;
        let kind = schedule.kind;
        let jobs = jobs.clone();
        let name = worker_name(&format!("schedule-{kind}"));
        monitor = monitor.register(move |_| {
            WorkerBuilder::new(name.clone())
                .backend(CronScheduler::new(cron.clone()))
                .data(kind)
                .data(jobs.clone())
                .build(on_tick)
        });
    }
    monitor
        .run_with_signal(async move {
            shutdown.await;
            Ok(())
        })
        .await
        .map_err(|e| WorkerError::Monitor(e.to_string()))
}
