//! The history of background job runs.

use async_trait::async_trait;

use super::RepositoryError;
use crate::page::{Page, PageRequest};

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
