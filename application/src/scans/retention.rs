//! Raw diffs are kept for the tenant's retention (90 days by default). Past it, the scan is
//! marked and its diff handed to the evidence sweep in one transaction, so a crash between the
//! two never leaves a diff marked but kept, or deleted but unmarked; the sweep removes the
//! object (retrying while the store fails). The scan keeps the diff's hash and the marker.

use aegis_domain::evidence::{PendingObject, PendingPurpose};
use aegis_domain::scan::ScanQueueStats;

use super::{ScanError, ScanService};
use crate::audit_trail::{self, Change};
use crate::context::RequestContext;

/// Scans marked per transaction.
const BATCH: u64 = 200;

impl ScanService {
    /// Marks the diffs of every tenant past its retention and queues their deletion; returns
    /// how many. Run by the evidence sweep, before it deletes what is queued.
    ///
    /// # Errors
    /// `Unexpected` on storage failure (what was committed stays marked).
    pub async fn expire_diffs(&self) -> Result<u64, ScanError> {
        let database = &self.ports.database;
        let now = self.ports.clock.now();
        let context = RequestContext::default();
        let mut expired = 0;
        for tenant in database.list_tenants().await? {
            let days = crate::scan_policy::effective(database.scan_policy(tenant.id).await?)
                .diff_retention_days;
            let cutoff = now - chrono::Duration::days(i64::from(days));
            loop {
                let uow = database.begin().await?;
                let due = uow.scans_past_retention(tenant.id, cutoff, BATCH).await?;
                for scan in &due {
                    // Another sweep may have marked it meanwhile: that one queued its deletion.
                    if !uow.mark_diff_deleted(tenant.id, scan.id, now).await? {
                        continue;
                    }
                    uow.record_pending_object(&PendingObject {
                        object_key: scan.diff_key.clone(),
                        tenant_id: tenant.id,
                        purpose: PendingPurpose::Purge,
                        recorded_at: now,
                    })
                    .await?;
                    audit_trail::record(
                        self.ports.clock.as_ref(),
                        self.ports.ids.as_ref(),
                        uow.as_ref(),
                        &context,
                        Change {
                            tenant: tenant.id,
                            actor: None,
                            action: "scan.diff_expired",
                            entity_type: "scan",
                            entity_id: Some(scan.id.to_string()),
                            details: serde_json::json!({
                                "diff_sha256": scan.diff_sha256,
                                "diff_bytes": scan.diff_bytes,
                                "retention_days": days,
                            }),
                        },
                    )
                    .await?;
                    expired += 1;
                }
                uow.commit().await?;
                if (due.len() as u64) < BATCH {
                    break;
                }
            }
        }
        Ok(expired)
    }

    /// The queue over every tenant, for the operators' metrics (no actor: `/metrics` has its
    /// own token).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    pub async fn queue_stats(&self) -> Result<ScanQueueStats, ScanError> {
        Ok(self.ports.database.scan_queue_stats().await?)
    }
}
