//! What each background job does, over the services of the capabilities it serves. Apart
//! from `jobs` (queueing, attempts, history), so that the capabilities that queue jobs (data
//! sources, reports) and the work that runs them import each other in one direction only.

use std::sync::Arc;

use aegis_domain::job::{JobCounts, JobKind, JobRun};

use crate::jobs::JobWork;

/// The services whose work the jobs do.
#[derive(Clone)]
pub(crate) struct Work {
    pub(crate) catalog: crate::catalog::CatalogService,
    pub(crate) coverage: crate::coverage::CoverageService,
    pub(crate) risk: crate::risk::RiskService,
    pub(crate) evidence: crate::evidence::EvidenceService,
    pub(crate) snapshots: crate::snapshots::SnapshotService,
    pub(crate) intel: crate::intel::IntelService,
    pub(crate) feed_sync: crate::data_sources::FeedSyncService,
    pub(crate) campaigns: crate::campaigns::CampaignService,
    pub(crate) detection_lifecycle: crate::detection_lifecycle::DetectionLifecycleService,
    pub(crate) reports: crate::reports::ReportGenerator,
    pub(crate) alerts: crate::alerts::AlertService,
    /// Queues an alert evaluation after the jobs whose changes move alert rules.
    pub(crate) alert_requests: crate::alerts::EvaluationRequests,
    pub(crate) webhooks: crate::webhooks::WebhookService,
    pub(crate) tickets: crate::tickets::TicketService,
    /// Sends the notification emails.
    pub(crate) notifications: crate::notifications::NotificationService,
    /// Runs the submitted scans.
    pub(crate) scans: crate::scans::ScanService,
    /// Reports scans from GitHub as check runs.
    pub(crate) github: crate::github::GithubService,
    /// Read notifications and the tenants whose notifications are swept.
    pub(crate) database: Arc<dyn crate::ports::Database>,
    pub(crate) clock: Arc<dyn crate::ports::Clock>,
    pub(crate) notification_retention: chrono::Duration,
    pub(crate) evidence_upload_grace: chrono::Duration,
}

#[async_trait::async_trait]
impl JobWork for Work {
    /// The job's work; the counts say what it did.
    async fn perform(&self, run: &JobRun) -> Result<JobCounts, String> {
        let counts = self.perform_kind(run).await?;
        // An import, a snapshot or a decay can move alert rules: evaluate them once it is in.
        if matches!(
            run.kind,
            JobKind::AttackSync
                | JobKind::FeedSync
                | JobKind::IntelScan
                | JobKind::CoverageSnapshot
                | JobKind::DetectionDecay
        ) {
            self.alert_requests.request(run.kind.as_str()).await;
        }
        Ok(counts)
    }
}

impl Work {
    async fn perform_kind(&self, run: &JobRun) -> Result<JobCounts, String> {
        let work = self;
        let count = |pairs: &[(&str, u64)]| -> JobCounts {
            pairs
                .iter()
                .map(|(name, value)| ((*name).to_owned(), *value))
                .collect()
        };
        match run.kind {
            JobKind::AttackSync => {
                let report = work
                    .catalog
                    .sync_from_feed(run.id)
                    .await
                    .map_err(|e| e.to_string())?;
                let totals = report.totals();
                Ok(count(&[
                    ("created", totals.created),
                    ("updated", totals.updated),
                    ("unchanged", totals.unchanged),
                    ("revoked", totals.revoked),
                    ("skipped", report.skipped.len() as u64),
                ]))
            }
            JobKind::IntelScan => {
                let scan = work.intel.scan().await.map_err(|e| e.to_string())?;
                Ok(count(&[
                    ("imports", scan.imports),
                    ("new_techniques", scan.new_techniques),
                    ("changed_techniques", scan.changed_techniques),
                    ("revoked_techniques", scan.revoked_techniques),
                    ("tracked_actor_news", scan.tracked_actor_news),
                    ("notified", scan.notified),
                ]))
            }
            JobKind::NotificationCleanup => {
                let cutoff = self.clock.now() - self.notification_retention;
                let (mut deleted, mut emails) = (0, 0);
                for tenant in self
                    .database
                    .list_tenants()
                    .await
                    .map_err(|e| e.to_string())?
                {
                    deleted += self
                        .database
                        .delete_read_notifications(tenant.id, cutoff)
                        .await
                        .map_err(|e| e.to_string())?;
                    // The email log keeps as long as the bell does.
                    emails += self
                        .database
                        .delete_finished_email_deliveries(tenant.id, cutoff)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                Ok(count(&[("deleted", deleted), ("emails_deleted", emails)]))
            }
            JobKind::CoverageSnapshot => {
                let taken = work
                    .snapshots
                    .take_for_every_tenant()
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(count(&[("snapshots", taken)]))
            }
            JobKind::CoverageRefresh => {
                let recomputed = work
                    .coverage
                    .recompute_all()
                    .await
                    .map_err(|e| e.to_string())?;
                // Risk reads the coverage just recomputed, so it follows in the same run.
                let assessed = work.risk.recompute_all().await.map_err(|e| e.to_string())?;
                Ok(count(&[
                    ("recomputed", recomputed),
                    ("risk_assessed", assessed),
                ]))
            }
            JobKind::EvidenceSweep => {
                // Diffs past retention join the queue first, so this run deletes them.
                let diffs_expired = work.scans.expire_diffs().await.map_err(|e| e.to_string())?;
                let report = work
                    .evidence
                    .sweep(self.evidence_upload_grace)
                    .await
                    .map_err(|e| e.to_string())?;
                if report.failed > 0 {
                    return Err(format!(
                        "{} leftover objects could not be removed",
                        report.failed
                    ));
                }
                Ok(count(&[
                    ("abandoned_uploads", report.abandoned_uploads),
                    ("purged", report.purged),
                    ("scan_diffs_expired", diffs_expired),
                ]))
            }
            JobKind::FeedSync => {
                let reports = work.feed_sync.sync_due().await.map_err(|e| e.to_string())?;
                let total = |pick: fn(&crate::data_sources::SyncReport) -> u64| {
                    reports.iter().map(pick).sum::<u64>()
                };
                Ok(count(&[
                    ("sources", reports.len() as u64),
                    ("created", total(|r| r.counts.created)),
                    ("updated", total(|r| r.counts.updated)),
                    ("unchanged", total(|r| r.counts.unchanged)),
                    ("skipped", total(|r| r.counts.skipped)),
                ]))
            }
            JobKind::RecurringCampaigns => {
                let spawned = work
                    .campaigns
                    .spawn_due_runs()
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(count(&[("spawned", spawned)]))
            }
            JobKind::ReportGeneration => {
                let counts = work
                    .reports
                    .generate_queued()
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(count(&[
                    ("generated", counts.generated),
                    ("failed", counts.failed),
                ]))
            }
            JobKind::AlertEvaluation => {
                let report = work
                    .alerts
                    .evaluate_all()
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(count(&[
                    ("rules_evaluated", report.rules_evaluated),
                    ("alerts_fired", report.alerts_fired),
                ]))
            }
            JobKind::WebhookDelivery => {
                let counts = work
                    .webhooks
                    .deliver_due()
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(count(&[
                    ("delivered", counts.delivered),
                    ("retrying", counts.retrying),
                    ("dead", counts.dead),
                ]))
            }
            JobKind::TicketSync => {
                let report = work.tickets.sync_all().await.map_err(|e| e.to_string())?;
                Ok(count(&[
                    ("checked", report.checked),
                    ("changed", report.changed),
                    ("failed", report.failed),
                    ("worklogs_pushed", report.worklogs_pushed),
                    ("worklogs_failed", report.worklogs_failed),
                ]))
            }
            JobKind::EmailDelivery => {
                let counts = work
                    .notifications
                    .send_due_emails()
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(count(&[
                    ("sent", counts.sent),
                    ("retrying", counts.retrying),
                    ("failed", counts.failed),
                ]))
            }
            JobKind::Scan => {
                let counts = work.scans.run_due().await.map_err(|e| e.to_string())?;
                Ok(count(&[
                    ("completed", counts.completed),
                    ("retrying", counts.retrying),
                    ("failed", counts.failed),
                ]))
            }
            JobKind::GithubChecks => {
                let report = work
                    .github
                    .report_checks()
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(count(&[
                    ("sent", report.sent),
                    ("failed", report.failed),
                    ("abandoned", report.abandoned),
                ]))
            }
            JobKind::DetectionDecay => {
                let report = work
                    .detection_lifecycle
                    .decay()
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(count(&[
                    ("expired", report.expired),
                    ("techniques", report.techniques),
                    ("notified", report.notified),
                ]))
            }
        }
    }
}
