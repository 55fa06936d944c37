//! Asking for an evaluation after a change that can move the rules (a validation, an import,
//! a snapshot, a decay): a run of the `alert_evaluation` job, queued after the change's
//! commit, never inside its transaction (on SQLite the queue shares the one writer).

use std::sync::Arc;

use aegis_domain::job::{JobKind, JobOutcome, JobRun, JobTrigger};

use crate::ports::{Clock, Database, IdGenerator, JobQueue, JobTicket};

/// Queues `alert_evaluation` runs on behalf of the rooms whose changes move the rules.
#[derive(Clone)]
pub struct EvaluationRequests {
    database: Arc<dyn Database>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    queue: Arc<dyn JobQueue>,
    max_attempts: u32,
}

impl EvaluationRequests {
    pub(crate) fn new(
        database: Arc<dyn Database>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        queue: Arc<dyn JobQueue>,
        max_attempts: u32,
    ) -> Self {
        Self {
            database,
            clock,
            ids,
            queue,
            max_attempts,
        }
    }

    /// Queues an evaluation unless one is already waiting to start (it will see this change
    /// too). The change that asks has committed: a failure here is logged, not returned, and
    /// the hourly run catches up.
    pub(crate) async fn request(&self, reason: &'static str) {
        match self.try_request().await {
            Ok(true) => tracing::debug!(reason, "alert evaluation queued"),
            Ok(false) => tracing::debug!(reason, "alert evaluation already waiting"),
            Err(error) => {
                tracing::warn!(reason, %error, "alert evaluation could not be queued");
            }
        }
    }

    async fn try_request(&self) -> Result<bool, String> {
        let waiting = self
            .database
            .waiting_job_runs()
            .await
            .map_err(|e| e.chain())?;
        if waiting.iter().any(|run| {
            run.kind == JobKind::AlertEvaluation
                && run.outcome == JobOutcome::Queued
                && run.attempts == 0
        }) {
            return Ok(false);
        }
        let run = JobRun::queued(
            self.ids.new_id(),
            JobKind::AlertEvaluation,
            JobTrigger::Manual { by: None },
            self.clock.now(),
            self.max_attempts,
        );
        self.database
            .insert_job_run(&run)
            .await
            .map_err(|e| e.chain())?;
        self.queue
            .enqueue(
                &JobTicket {
                    run_id: run.id,
                    kind: run.kind,
                    attempt: 1,
                },
                std::time::Duration::ZERO,
            )
            .await
            .map_err(|e| e.to_string())?;
        Ok(true)
    }
}
