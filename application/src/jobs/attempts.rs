//! Executing attempts: the compare-and-set start, the retry with back-off, the dead letter,
//! and the CLI's foreground run with the same bookkeeping.

use aegis_domain::job::{JobKind, JobOutcome, JobRun, JobTrigger};
use aegis_domain::permission::Action;

use crate::context::Initiator;
use crate::ports::JobTicket;

use super::*;

impl JobService {
    /// Executes one attempt of a run: records its start, does the job, and records success,
    /// a retry after the back-off, or the dead letter after the last attempt. An attempt of a
    /// run that already finished does nothing.
    ///
    /// # Errors
    /// `NotFound` for an unknown run; `Unexpected` when the history cannot be written (the
    /// queue then retries the attempt).
    pub async fn execute(&self, ticket: &JobTicket) -> Result<JobOutcome, JobError> {
        let database = &self.database;
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
        run.started_at = Some(self.clock.now());
        if !database.start_job_attempt(&run).await? {
            // Another worker started this attempt first.
            return Ok(JobOutcome::Running);
        }
        tracing::info!(job = %run.kind, run = %run.id, attempt = run.attempts, "job started");
        let result = self.work.perform(&run).await;
        run.finished_at = Some(self.clock.now());
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
                due_at: self.clock.now(),
            },
        };
        let run = JobRun::queued(self.ids.new_id(), kind, trigger, self.clock.now(), 1);
        self.database.insert_job_run(&run).await?;
        self.execute(&JobTicket {
            run_id: run.id,
            kind,
            attempt: 1,
        })
        .await?;
        self.database
            .find_job_run(run.id)
            .await?
            .ok_or(JobError::NotFound)
    }
}
