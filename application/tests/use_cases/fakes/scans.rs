//! In-memory scans, and a detection parser that reads nothing (the use-case tests exercise
//! the hazard rules; the importers' parsers are tested with their adapter).

use aegis_application::scans::{DetectionContentParser, ParsedDetection};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::*;
use aegis_domain::scan::hazards::ContentKind;
use aegis_domain::scan::{LATENCY_BUCKETS_MS, Scan, ScanId, ScanQueueStats, ScanStatus};
use aegis_domain::tenant::TenantId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Memory, Slot};

fn due(scan: &Scan, now: DateTime<Utc>) -> bool {
    scan.status == ScanStatus::Queued
        || (scan.status == ScanStatus::Running && scan.lease_until.is_some_and(|l| l < now))
}

#[async_trait]
impl<S: Slot> ScanRepository for Memory<S> {
    async fn insert_scan(&self, _tenant: TenantId, scan: &Scan) -> Result<(), RepositoryError> {
        self.with(|s| s.scans.push(scan.clone()));
        Ok(())
    }

    async fn find_scan(
        &self,
        tenant: TenantId,
        id: ScanId,
    ) -> Result<Option<Scan>, RepositoryError> {
        Ok(self.with(|s| {
            s.scans
                .iter()
                .find(|x| x.tenant_id == tenant && x.id == id)
                .cloned()
        }))
    }

    async fn list_scans(
        &self,
        tenant: TenantId,
        filter: &ScanFilter,
        page: PageRequest,
    ) -> Result<Page<Scan>, RepositoryError> {
        let mut items: Vec<Scan> = self.with(|s| {
            s.scans
                .iter()
                .filter(|x| x.tenant_id == tenant)
                .filter(|x| filter.status.is_none_or(|st| x.status == st))
                .filter(|x| filter.decision.is_none_or(|d| x.decision == Some(d)))
                .filter(|x| {
                    filter
                        .repository
                        .as_ref()
                        .is_none_or(|r| x.source.repository.as_ref() == Some(r))
                })
                .cloned()
                .collect()
        });
        items.sort_by_key(|b| std::cmp::Reverse(b.created_at));
        let total = items.len() as u64;
        let items = items
            .into_iter()
            .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
            .take(usize::try_from(page.per_page()).unwrap_or(usize::MAX))
            .collect();
        Ok(Page {
            items,
            total,
            request: page,
        })
    }

    async fn due_scans(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<(TenantId, ScanId)>, RepositoryError> {
        Ok(self.with(|s| {
            s.scans
                .iter()
                .filter(|x| due(x, now))
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .map(|x| (x.tenant_id, x.id))
                .collect()
        }))
    }

    async fn claim_scan(
        &self,
        tenant: TenantId,
        id: ScanId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<Scan>, RepositoryError> {
        Ok(self.with(|s| {
            let scan = s
                .scans
                .iter_mut()
                .find(|x| x.tenant_id == tenant && x.id == id)?;
            if !due(scan, now) {
                return None;
            }
            scan.status = ScanStatus::Running;
            scan.attempts += 1;
            scan.lease_until = Some(until);
            Some(scan.clone())
        }))
    }

    async fn save_scan_attempt(
        &self,
        tenant: TenantId,
        scan: &Scan,
        attempt: u32,
    ) -> Result<bool, RepositoryError> {
        Ok(self.with(|s| {
            let Some(stored) = s
                .scans
                .iter_mut()
                .find(|x| x.tenant_id == tenant && x.id == scan.id)
            else {
                return false;
            };
            if stored.status != ScanStatus::Running || stored.attempts != attempt {
                return false;
            }
            *stored = Scan {
                attempts: attempt,
                ..scan.clone()
            };
            true
        }))
    }

    async fn scans_past_retention(
        &self,
        tenant: TenantId,
        submitted_before: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Scan>, RepositoryError> {
        Ok(self.with(|s| {
            let mut past: Vec<Scan> = s
                .scans
                .iter()
                .filter(|x| x.tenant_id == tenant && x.diff_deleted_at.is_none())
                .filter(|x| x.created_at < submitted_before)
                .filter(|x| matches!(x.status, ScanStatus::Completed | ScanStatus::Error))
                .cloned()
                .collect();
            past.sort_by_key(|x| x.created_at);
            past.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            past
        }))
    }

    async fn mark_diff_deleted(
        &self,
        tenant: TenantId,
        id: ScanId,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        Ok(self.with(|s| {
            match s
                .scans
                .iter_mut()
                .find(|x| x.tenant_id == tenant && x.id == id && x.diff_deleted_at.is_none())
            {
                Some(scan) => {
                    scan.diff_deleted_at = Some(at);
                    true
                }
                None => false,
            }
        }))
    }

    async fn scan_queue_stats(&self) -> Result<ScanQueueStats, RepositoryError> {
        Ok(self.with(|s| {
            let with =
                |status: ScanStatus| s.scans.iter().filter(|x| x.status == status).count() as u64;
            let latencies: Vec<u64> = s
                .scans
                .iter()
                .filter_map(|x| x.completed_at.map(|done| done - x.created_at))
                .map(|latency| u64::try_from(latency.num_milliseconds()).unwrap_or_default())
                .collect();
            ScanQueueStats {
                queued: with(ScanStatus::Queued),
                running: with(ScanStatus::Running),
                completed: with(ScanStatus::Completed),
                dead_letters: with(ScanStatus::Error),
                latency_buckets: LATENCY_BUCKETS_MS
                    .iter()
                    .map(|bound| latencies.iter().filter(|l| *l <= bound).count() as u64)
                    .collect(),
                latency_count: latencies.len() as u64,
                latency_sum_ms: latencies.iter().sum(),
                diffs_expired: s
                    .scans
                    .iter()
                    .filter(|x| x.diff_deleted_at.is_some())
                    .count() as u64,
                diffs_awaiting_deletion: s
                    .pending_objects
                    .iter()
                    .filter(|p| p.object_key.starts_with("diffs/"))
                    .count() as u64,
            }
        }))
    }
}

pub struct NoDetections;

impl DetectionContentParser for NoDetections {
    fn parse(
        &self,
        _kind: ContentKind,
        _path: &str,
        _text: &str,
    ) -> Result<Vec<ParsedDetection>, String> {
        Ok(Vec::new())
    }
}
