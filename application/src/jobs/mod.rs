//! Background jobs: queuing runs (on schedule or on demand), executing attempts with retries
//! and a dead-letter state, and the history admins read.
//!
//! Exactly once: a scheduled run is keyed by its job and due time, so however many schedulers
//! see it come due one run exists; the queue takes each attempt once; an attempt that finds its
//! run already finished does nothing.
//!
//! `queueing`, `attempts` and `history` know nothing of what a job does: its work is the
//! [`JobWork`] port, implemented in `job_work` over the other capabilities' services. So the
//! capabilities that queue jobs (data sources, reports) do not import what runs them.

mod attempts;
mod history;
mod queueing;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use aegis_domain::job::{JobCounts, JobKind, JobRun, RetryPolicy};
use aegis_domain::ports::RepositoryError;

use crate::context::Forbidden;
use crate::error::{Classified, ErrorKind, unexpected};
use crate::ports::{Clock, Database, IdGenerator, JobQueue, JobQueueError};

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

/// What a job does, by kind; the counts say what it did. Implemented in `job_work`.
#[async_trait::async_trait]
pub(crate) trait JobWork: Send + Sync {
    async fn perform(&self, run: &JobRun) -> Result<JobCounts, String>;
}

#[derive(Clone)]
pub struct JobService {
    database: Arc<dyn Database>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    jobs: Arc<dyn JobQueue>,
    settings: Arc<JobSettings>,
    work: Arc<dyn JobWork>,
}

impl JobService {
    pub(crate) fn new(
        database: Arc<dyn Database>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        jobs: Arc<dyn JobQueue>,
        settings: JobSettings,
        work: Arc<dyn JobWork>,
    ) -> Self {
        Self {
            database,
            clock,
            ids,
            jobs,
            settings: Arc::new(settings),
            work,
        }
    }
}
