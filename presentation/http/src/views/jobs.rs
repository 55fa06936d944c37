//! The wire types of [`crate::routes::jobs`]: its views, request bodies and queries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::jobs::ScheduledJob;
use aegis_domain::job::{JobRun, JobTrigger};

#[derive(Debug, Serialize, ToSchema)]
pub struct JobRunView {
    pub id: Uuid,
    /// attack_sync, intel_scan, notification_cleanup, coverage_snapshot, coverage_refresh or
    /// evidence_sweep, feed_sync.
    #[schema(value_type = crate::views::enums::JobKind)]
    pub job: String,
    /// schedule or manual.
    #[schema(value_type = crate::views::enums::JobTrigger)]
    pub trigger: String,
    /// The due time of a scheduled run.
    pub due_at: Option<DateTime<Utc>>,
    /// Who asked for a manual run (none for the command line).
    pub requested_by: Option<Uuid>,
    pub queued_at: DateTime<Utc>,
    /// When the latest attempt started.
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub attempts: u32,
    pub max_attempts: u32,
    /// queued, running, succeeded, retrying or dead.
    #[schema(value_type = crate::views::enums::JobOutcome)]
    pub outcome: String,
    /// What the run did, e.g. `{"deleted": 12}`.
    pub counts: std::collections::BTreeMap<String, u64>,
    /// The latest attempt's error.
    pub error: Option<String>,
}

impl From<JobRun> for JobRunView {
    fn from(run: JobRun) -> Self {
        let (trigger, due_at, requested_by) = match run.trigger {
            JobTrigger::Schedule { due_at } => ("schedule", Some(due_at), None),
            JobTrigger::Manual { by } => ("manual", None, by.map(|u| u.as_uuid())),
        };
        Self {
            id: run.id,
            job: run.kind.as_str().to_owned(),
            trigger: trigger.to_owned(),
            due_at,
            requested_by,
            queued_at: run.queued_at,
            started_at: run.started_at,
            finished_at: run.finished_at,
            attempts: run.attempts,
            max_attempts: run.max_attempts,
            outcome: run.outcome.as_str().to_owned(),
            counts: run.counts,
            error: run.error,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduledJobView {
    #[schema(value_type = crate::views::enums::JobKind)]
    pub job: String,
    pub description: String,
    /// Cron expression, seconds first, UTC; none when the job runs only on demand.
    pub schedule: Option<String>,
    pub next_due: Option<DateTime<Utc>>,
    pub last_run: Option<JobRunView>,
}

impl From<ScheduledJob> for ScheduledJobView {
    fn from(job: ScheduledJob) -> Self {
        Self {
            job: job.kind.as_str().to_owned(),
            description: job.kind.description().to_owned(),
            schedule: job.schedule,
            next_due: job.next_due,
            last_run: job.last_run.map(Into::into),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobRunQuery {
    /// Only runs of this job.
    #[param(value_type = Option<crate::views::enums::JobKind>)]
    pub job: Option<String>,
    /// Only runs with this outcome: queued, running, succeeded, retrying or dead.
    #[param(value_type = Option<crate::views::enums::JobOutcome>)]
    pub outcome: Option<String>,
}
