//! The history admins read: runs, one run, and the scheduler's status.

use aegis_domain::job::{JobKind, JobOutcome, JobRun};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::Action;

use crate::context::Actor;

use super::*;

impl JobService {
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
        Ok(self.database.list_job_runs(kind, outcome, page).await?)
    }

    /// # Errors
    /// `Forbidden` unless an admin, `NotFound`.
    pub async fn run(&self, actor: &Actor, id: uuid::Uuid) -> Result<JobRun, JobError> {
        actor.authorize(Action::ManageSystem)?;
        self.database
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
        let now = self.clock.now();
        let latest = self.database.latest_job_runs().await?;
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
