//! The history admins read: runs, one run, and the scheduler's status.

use aegis_domain::job::{JobKind, JobOutcome, JobRun, JobTrigger};
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
        let mut runs = self.database.list_job_runs(kind, outcome, page).await?;
        let mut seen = Vec::new();
        for run in &mut runs.items {
            self.conceal_foreign_requester(actor, run, &mut seen)
                .await?;
        }
        Ok(runs)
    }

    /// Job runs are the installation's, but who asked for one is a user of some tenant:
    /// another tenant's user is not named (`by` becomes unknown), so no tenant learns the
    /// ids of another's users. `seen` remembers the users already judged: (id, ours).
    async fn conceal_foreign_requester(
        &self,
        actor: &Actor,
        run: &mut JobRun,
        seen: &mut Vec<(aegis_domain::user::UserId, bool)>,
    ) -> Result<(), JobError> {
        let JobTrigger::Manual { by: Some(user) } = run.trigger else {
            return Ok(());
        };
        let ours = match seen.iter().find(|(id, _)| *id == user) {
            Some((_, ours)) => *ours,
            None => {
                let ours = self
                    .database
                    .find_user(actor.tenant_id, user)
                    .await?
                    .is_some();
                seen.push((user, ours));
                ours
            }
        };
        if !ours {
            run.trigger = JobTrigger::Manual { by: None };
        }
        Ok(())
    }

    /// # Errors
    /// `Forbidden` unless an admin, `NotFound`.
    pub async fn run(&self, actor: &Actor, id: uuid::Uuid) -> Result<JobRun, JobError> {
        actor.authorize(Action::ManageSystem)?;
        let mut run = self
            .database
            .find_job_run(id)
            .await?
            .ok_or(JobError::NotFound)?;
        self.conceal_foreign_requester(actor, &mut run, &mut Vec::new())
            .await?;
        Ok(run)
    }

    /// Every job with its schedule, next due time and last run.
    ///
    /// # Errors
    /// `Forbidden` unless an admin.
    pub async fn scheduler_status(&self, actor: &Actor) -> Result<Vec<ScheduledJob>, JobError> {
        actor.authorize(Action::ManageSystem)?;
        let now = self.clock.now();
        let mut latest = self.database.latest_job_runs().await?;
        let mut seen = Vec::new();
        for run in &mut latest {
            self.conceal_foreign_requester(actor, run, &mut seen)
                .await?;
        }
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
