//! Queuing runs: on schedule, on demand, and each attempt for a worker.

use chrono::{DateTime, Utc};

use aegis_domain::job::{JobKind, JobOutcome, JobRun, JobTrigger};
use aegis_domain::permission::Action;

use crate::audit_trail::{self, Change};
use crate::context::{Initiator, RequestContext};
use crate::ports::{JobQueueError, JobTicket};

use super::*;

impl JobService {
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
            self.ids.new_id(),
            kind,
            JobTrigger::Manual {
                by: initiator.user_id(),
            },
            self.clock.now(),
            self.settings.retry.max_attempts,
        );
        let uow = self.database.begin().await?;
        uow.insert_job_run(&run).await?;
        let change = Change {
            tenant: initiator.tenant(),
            actor: initiator.user_id(),
            action: "job.run_requested",
            entity_type: "job_run",
            entity_id: Some(run.id.to_string()),
            details: serde_json::json!({ "job": kind.as_str() }),
        };
        audit_trail::record(
            self.clock.as_ref(),
            self.ids.as_ref(),
            uow.as_ref(),
            context,
            change,
        )
        .await?;
        uow.commit().await?;
        if let Err(error) = self.queue_attempt(&run, 1, std::time::Duration::ZERO).await {
            run.outcome = JobOutcome::Dead;
            run.finished_at = Some(self.clock.now());
            run.error = Some(error.to_string());
            self.database.update_job_run(&run).await?;
            return Err(error.into());
        }
        Ok(run)
    }

    /// Queues a run the system itself needs now (a webhook delivery after an event
    /// commits). Not audited: no one asked for it, and the event that caused it is audited.
    ///
    /// # Errors
    /// `Unexpected` or `Queue` when the run cannot be recorded or queued.
    pub async fn queue_follow_up(&self, kind: JobKind) -> Result<JobRun, JobError> {
        let run = JobRun::queued(
            self.ids.new_id(),
            kind,
            JobTrigger::Manual { by: None },
            self.clock.now(),
            self.settings.retry.max_attempts,
        );
        self.database.insert_job_run(&run).await?;
        self.queue_attempt(&run, 1, std::time::Duration::ZERO)
            .await?;
        Ok(run)
    }

    /// Queues a run due at `due_at` (a webhook retry), keyed by its job and due time like a
    /// scheduled one, so that any number of callers asking for the same time make one run.
    /// Returns whether this call queued it.
    ///
    /// # Errors
    /// `Unexpected` or `Queue` when the run cannot be recorded or queued.
    pub async fn queue_due(&self, kind: JobKind, due_at: DateTime<Utc>) -> Result<bool, JobError> {
        let now = self.clock.now();
        let run = JobRun::queued(
            self.ids.new_id(),
            kind,
            JobTrigger::Schedule { due_at },
            now,
            self.settings.retry.max_attempts,
        );
        if !self.database.insert_job_run(&run).await? {
            return Ok(false);
        }
        let delay = (due_at - now).to_std().unwrap_or(std::time::Duration::ZERO);
        self.queue_attempt(&run, 1, delay).await?;
        Ok(true)
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
            self.ids.new_id(),
            kind,
            JobTrigger::Schedule { due_at },
            self.clock.now(),
            self.settings.retry.max_attempts,
        );
        if !self.database.insert_job_run(&run).await? {
            let existing = self
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
        let waiting = self.database.waiting_job_runs().await?;
        for run in &waiting {
            self.queue_attempt(run, run.attempts + 1, std::time::Duration::ZERO)
                .await?;
        }
        Ok(waiting.len())
    }

    pub(super) async fn queue_attempt(
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
        self.jobs.enqueue(&ticket, delay).await
    }
}
