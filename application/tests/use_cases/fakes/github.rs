//! In-memory GitHub integration state, and a GitHub that answers a canned diff and records
//! the check-run requests it receives.

use std::sync::{Arc, Mutex};

use aegis_application::github::{
    CheckUpdate, GithubApi, GithubApiError, GithubTarget, NewCheckRun,
};
use aegis_domain::github::{
    CheckRun, CheckStage, DeliveryResult, GithubConfig, GithubDelivery, RepositoryName,
};
use aegis_domain::ports::*;
use aegis_domain::scan::ScanId;
use aegis_domain::tenant::TenantId;
use aegis_domain::webhook::{AllowList, TargetRefusal};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Memory, Slot};

#[derive(Clone, Default)]
pub struct GithubState {
    pub configs: Vec<GithubConfig>,
    pub deliveries: Vec<GithubDelivery>,
    pub checks: Vec<CheckRun>,
}

#[async_trait]
impl<S: Slot> GithubRepository for Memory<S> {
    async fn github_config(
        &self,
        tenant: TenantId,
    ) -> Result<Option<GithubConfig>, RepositoryError> {
        Ok(self.with(|s| {
            s.github
                .configs
                .iter()
                .find(|c| c.tenant_id == tenant)
                .cloned()
        }))
    }

    async fn active_github_configs(&self) -> Result<Vec<GithubConfig>, RepositoryError> {
        Ok(self.with(|s| {
            s.github
                .configs
                .iter()
                .filter(|c| c.active)
                .cloned()
                .collect()
        }))
    }

    async fn save_github_config(
        &self,
        tenant: TenantId,
        config: &GithubConfig,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            s.github.configs.retain(|c| c.tenant_id != tenant);
            s.github.configs.push(config.clone());
        });
        Ok(())
    }

    async fn delete_github_config(&self, tenant: TenantId) -> Result<bool, RepositoryError> {
        Ok(self.with(|s| {
            let before = s.github.configs.len();
            s.github.configs.retain(|c| c.tenant_id != tenant);
            s.github.configs.len() != before
        }))
    }

    async fn find_github_delivery(
        &self,
        tenant: TenantId,
        delivery_id: &str,
    ) -> Result<Option<GithubDelivery>, RepositoryError> {
        Ok(self.with(|s| {
            s.github
                .deliveries
                .iter()
                .find(|d| d.tenant_id == tenant && d.delivery_id == delivery_id)
                .cloned()
        }))
    }

    async fn record_github_delivery(
        &self,
        tenant: TenantId,
        delivery: &GithubDelivery,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            match s
                .github
                .deliveries
                .iter_mut()
                .find(|d| d.tenant_id == tenant && d.delivery_id == delivery.delivery_id)
            {
                Some(seen) if seen.result == DeliveryResult::Failed => {
                    *seen = delivery.clone();
                    Ok(())
                }
                Some(_) => Err(RepositoryError::Duplicate(Subject::GithubDelivery)),
                None => {
                    s.github.deliveries.push(delivery.clone());
                    Ok(())
                }
            }
        })
    }

    async fn list_github_deliveries(
        &self,
        tenant: TenantId,
        limit: u64,
    ) -> Result<Vec<GithubDelivery>, RepositoryError> {
        Ok(self.with(|s| {
            let mut list: Vec<_> = s
                .github
                .deliveries
                .iter()
                .filter(|d| d.tenant_id == tenant)
                .cloned()
                .collect();
            list.sort_by_key(|d| std::cmp::Reverse(d.received_at));
            list.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            list
        }))
    }

    async fn insert_check_run(
        &self,
        _tenant: TenantId,
        check: &CheckRun,
    ) -> Result<(), RepositoryError> {
        self.with(|s| s.github.checks.push(check.clone()));
        Ok(())
    }

    async fn find_check_run(
        &self,
        tenant: TenantId,
        scan: ScanId,
    ) -> Result<Option<CheckRun>, RepositoryError> {
        Ok(self.with(|s| {
            s.github
                .checks
                .iter()
                .find(|c| c.tenant_id == tenant && c.scan_id == scan)
                .cloned()
        }))
    }

    async fn open_check_runs(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<CheckRun>, RepositoryError> {
        Ok(self.with(|s| {
            s.github
                .checks
                .iter()
                .filter(|c| {
                    let reached = s
                        .scans
                        .iter()
                        .find(|scan| scan.tenant_id == c.tenant_id && scan.id == c.scan_id)
                        .map_or(CheckStage::Pending, |scan| CheckStage::of(scan.status));
                    (c.stage == CheckStage::Pending || c.stage < reached)
                        && !c.abandoned
                        && c.retry_at.is_none_or(|at| at <= now)
                })
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .cloned()
                .collect()
        }))
    }

    async fn save_check_run(
        &self,
        tenant: TenantId,
        check: &CheckRun,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            if let Some(stored) = s
                .github
                .checks
                .iter_mut()
                .find(|c| c.tenant_id == tenant && c.scan_id == check.scan_id)
            {
                *stored = check.clone();
            }
        });
        Ok(())
    }
}

/// One request the fake GitHub received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GithubCall {
    Diff(String, u64),
    Create(String, NewCheckRun),
    Update(i64, CheckUpdate),
}

/// A GitHub that answers `diff` for every pull request, or fails while `down` is set or
/// once `budget` requests were answered.
#[derive(Clone, Default)]
pub struct RecordingGithub {
    pub calls: Arc<Mutex<Vec<GithubCall>>>,
    pub diff: Arc<Mutex<String>>,
    pub down: Arc<Mutex<bool>>,
    pub budget: Arc<Mutex<Option<usize>>>,
}

impl RecordingGithub {
    fn refuse(&self) -> Result<(), GithubApiError> {
        let unreachable = || GithubApiError::Unreachable("connection refused".to_owned());
        if *self.down.lock().map_err(|_| unreachable())? {
            return Err(unreachable());
        }
        let mut budget = self.budget.lock().map_err(|_| unreachable())?;
        match budget.as_mut() {
            Some(0) => Err(unreachable()),
            Some(left) => {
                *left -= 1;
                Ok(())
            }
            None => Ok(()),
        }
    }

    pub fn calls(&self) -> Vec<GithubCall> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    fn push(&self, call: GithubCall) {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(call);
        }
    }
}

#[async_trait]
impl GithubApi for RecordingGithub {
    async fn check_target(&self, _url: &str, _allow: &AllowList) -> Result<(), TargetRefusal> {
        Ok(())
    }

    async fn pull_request_diff(
        &self,
        _target: &GithubTarget,
        repository: &RepositoryName,
        number: u64,
        _limit: usize,
    ) -> Result<Vec<u8>, GithubApiError> {
        self.refuse()?;
        self.push(GithubCall::Diff(repository.full_name(), number));
        Ok(self
            .diff
            .lock()
            .map(|d| d.clone().into_bytes())
            .unwrap_or_default())
    }

    async fn create_check_run(
        &self,
        _target: &GithubTarget,
        repository: &RepositoryName,
        check: &NewCheckRun,
    ) -> Result<i64, GithubApiError> {
        self.refuse()?;
        self.push(GithubCall::Create(repository.full_name(), check.clone()));
        Ok(77)
    }

    async fn update_check_run(
        &self,
        _target: &GithubTarget,
        _repository: &RepositoryName,
        id: i64,
        update: &CheckUpdate,
    ) -> Result<(), GithubApiError> {
        self.refuse()?;
        self.push(GithubCall::Update(id, update.clone()));
        Ok(())
    }
}
