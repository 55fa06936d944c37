//! In-memory jobs for use-case tests.

use aegis_application::ports::*;
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::*;
use async_trait::async_trait;
use std::sync::{Arc, Mutex};

use super::{Memory, Slot};

#[async_trait]
impl<S: Slot> JobRunRepository for Memory<S> {
    async fn insert_job_run(
        &self,
        run: &aegis_domain::job::JobRun,
    ) -> Result<bool, RepositoryError> {
        Ok(self.with(|s| {
            if s.job_runs.iter().any(|r| r.run_key == run.run_key) {
                return false;
            }
            s.job_runs.push(run.clone());
            true
        }))
    }
    async fn find_job_run(
        &self,
        id: uuid::Uuid,
    ) -> Result<Option<aegis_domain::job::JobRun>, RepositoryError> {
        Ok(self.with(|s| s.job_runs.iter().find(|r| r.id == id).cloned()))
    }
    async fn find_job_run_by_key(
        &self,
        run_key: &str,
    ) -> Result<Option<aegis_domain::job::JobRun>, RepositoryError> {
        Ok(self.with(|s| s.job_runs.iter().find(|r| r.run_key == run_key).cloned()))
    }
    async fn start_job_attempt(
        &self,
        run: &aegis_domain::job::JobRun,
    ) -> Result<bool, RepositoryError> {
        Ok(
            self.with(|s| match s.job_runs.iter_mut().find(|r| r.id == run.id) {
                Some(stored)
                    if stored.attempts + 1 == run.attempts && !stored.outcome.is_final() =>
                {
                    *stored = run.clone();
                    true
                }
                _ => false,
            }),
        )
    }
    async fn update_job_run(&self, run: &aegis_domain::job::JobRun) -> Result<(), RepositoryError> {
        self.with(|s| match s.job_runs.iter_mut().find(|r| r.id == run.id) {
            Some(stored) => {
                *stored = run.clone();
                Ok(())
            }
            None => Err(RepositoryError::NotFound(Entity::JobRun)),
        })
    }
    async fn list_job_runs(
        &self,
        kind: Option<aegis_domain::job::JobKind>,
        outcome: Option<aegis_domain::job::JobOutcome>,
        page: PageRequest,
    ) -> Result<Page<aegis_domain::job::JobRun>, RepositoryError> {
        let mut items: Vec<_> = self.with(|s| {
            s.job_runs
                .iter()
                .filter(|r| kind.is_none_or(|k| r.kind == k))
                .filter(|r| outcome.is_none_or(|o| r.outcome == o))
                .cloned()
                .collect()
        });
        items.reverse();
        Ok(Page {
            total: items.len() as u64,
            items,
            request: page,
        })
    }
    async fn latest_job_runs(&self) -> Result<Vec<aegis_domain::job::JobRun>, RepositoryError> {
        Ok(self.with(|s| {
            aegis_domain::job::JobKind::ALL
                .iter()
                .filter_map(|k| s.job_runs.iter().rev().find(|r| r.kind == *k).cloned())
                .collect()
        }))
    }
    async fn waiting_job_runs(&self) -> Result<Vec<aegis_domain::job::JobRun>, RepositoryError> {
        Ok(self.with(|s| {
            s.job_runs
                .iter()
                .filter(|r| {
                    matches!(
                        r.outcome,
                        aegis_domain::job::JobOutcome::Queued
                            | aegis_domain::job::JobOutcome::Retrying
                    )
                })
                .cloned()
                .collect()
        }))
    }
}

/// A queue that remembers what was queued, so tests can deliver the attempts themselves.
#[derive(Clone, Default)]
pub struct RecordingQueue {
    pub queued: Arc<Mutex<Vec<(JobTicket, std::time::Duration)>>>,
}

impl RecordingQueue {
    pub fn take(&self) -> Vec<(JobTicket, std::time::Duration)> {
        std::mem::take(
            &mut *self
                .queued
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

#[async_trait]
impl JobQueue for RecordingQueue {
    async fn enqueue(
        &self,
        ticket: &JobTicket,
        delay: std::time::Duration,
    ) -> Result<(), JobQueueError> {
        let mut queued = self
            .queued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Like the real queue: an attempt already queued is not queued twice.
        if !queued.iter().any(|(t, _)| t == ticket) {
            queued.push((*ticket, delay));
        }
        Ok(())
    }
}
