//! The scan job: takes each due scan under a lease, evaluates its diff, decides, signs and
//! stores the result once. A worker that dies holding a scan leaves it running under a lease
//! that runs out; the next run takes it again, and the dead worker's late write (if it ever
//! comes) is refused because the attempt is no longer its own.

use std::collections::{BTreeSet, HashSet};

use aegis_domain::detection::RuleFilter;
use aegis_domain::page::PageRequest;
use aegis_domain::scan::diff::{self, FileDiff};
use aegis_domain::scan::{
    CoverageDelta, Finding, Scan, ScanPolicy, ScanStatus, artifact, hazards, sort_findings,
};
use aegis_domain::scan_policy::Waivers;
use aegis_domain::tenant::TenantId;
use aegis_domain::webhook::WebhookEvent;

use super::verify::{self, Facts};
use super::{OfflineScan, ScanError, ScanService};

/// Scans one run takes before it queues the next run.
const BATCH: u64 = 20;
/// How long a claimed scan is held for its worker.
const LEASE: chrono::Duration = chrono::Duration::seconds(120);
/// Attempts before a scan is given up as an error.
const MAX_ATTEMPTS: u32 = 3;
/// The most techniques one scan asks the rule catalog about.
const MAX_TECHNIQUES: usize = 500;

/// What one run of the scan job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanCounts {
    pub completed: u64,
    pub retrying: u64,
    pub failed: u64,
}

/// A scan's evaluation.
struct Evaluation {
    files: u32,
    findings: Vec<Finding>,
    coverage: CoverageDelta,
}

impl ScanService {
    /// The scan job: runs the scans that are due.
    ///
    /// # Errors
    /// `Unexpected` on storage failure (the queue retries the run).
    pub async fn run_due(&self) -> Result<ScanCounts, ScanError> {
        let now = self.ports.clock.now();
        let due = self.ports.database.due_scans(now, BATCH).await?;
        let mut counts = ScanCounts::default();
        let mut retry = false;
        for (tenant, id) in &due {
            let now = self.ports.clock.now();
            let Some(mut scan) = self
                .ports
                .database
                .claim_scan(*tenant, *id, now, now + LEASE)
                .await?
            else {
                continue;
            };
            self.watch.changed().await;
            let attempt = scan.attempts;
            match self.execute(&scan).await {
                Ok(mut evaluation) => {
                    // The waivers standing when the scan is decided, not when it was sent.
                    let waivers = self
                        .ports
                        .database
                        .scan_waivers(*tenant, None, Some(now))
                        .await?;
                    Waivers::active(waivers, now)
                        .apply(&mut evaluation.findings, scan.source.repository.as_deref());
                    scan.findings = evaluation.findings;
                    scan.coverage = evaluation.coverage;
                    scan.files = evaluation.files;
                    scan.decision = Some(scan.policy.decide(&scan.findings));
                    self.finish(&mut scan, ScanStatus::Completed, None);
                    counts.completed += 1;
                }
                Err(error) if attempt < MAX_ATTEMPTS => {
                    tracing::warn!(%error, scan = %scan.id, attempt, "a scan attempt failed; it will be retried");
                    scan.status = ScanStatus::Queued;
                    scan.lease_until = None;
                    scan.error = Some(error);
                    retry = true;
                    counts.retrying += 1;
                }
                Err(error) => {
                    tracing::warn!(%error, scan = %scan.id, attempt, "a scan failed for good");
                    scan.decision = Some(scan.policy.decide_failure());
                    self.finish(&mut scan, ScanStatus::Error, Some(error));
                    counts.failed += 1;
                }
            }
            self.save_attempt(*tenant, &scan, attempt).await?;
        }
        if due.len() as u64 == BATCH {
            self.kick.at(self.ports.clock.now()).await;
        }
        if retry {
            self.kick
                .at(self.ports.clock.now() + chrono::Duration::seconds(5))
                .await;
        }
        Ok(counts)
    }

    /// Stores an attempt's outcome; a finished scan tells webhooks (`scan.finished`) in the
    /// same transaction, so the event is sent once, by the attempt that stands.
    async fn save_attempt(
        &self,
        tenant: TenantId,
        scan: &Scan,
        attempt: u32,
    ) -> Result<(), ScanError> {
        let uow = self.ports.database.begin().await?;
        if !uow.save_scan_attempt(tenant, scan, attempt).await? {
            tracing::warn!(scan = %scan.id, attempt, "a scan outlived its lease; another worker's attempt stands");
            return Ok(());
        }
        let mut published = 0;
        if scan.status != ScanStatus::Queued {
            published = self
                .outbox
                .record(
                    uow.as_ref(),
                    tenant,
                    WebhookEvent::ScanFinished,
                    finished(scan),
                )
                .await?;
        }
        uow.commit().await?;
        if published > 0 {
            self.outbox.dispatch().await;
        }
        self.watch.changed().await;
        Ok(())
    }

    fn finish(&self, scan: &mut Scan, status: ScanStatus, error: Option<String>) {
        scan.status = status;
        scan.error = error;
        scan.lease_until = None;
        scan.completed_at = Some(self.ports.clock.now());
        let unsigned = artifact::unsigned(scan, &scan.policy);
        let message = artifact::canonical(&unsigned);
        let signer = &self.ports.signer;
        let signature = artifact::signature_block(
            signer.algorithm(),
            signer.public_key().as_deref(),
            &signer.sign(message.as_bytes()),
        );
        scan.artifact = Some(artifact::signed(&unsigned, signature));
    }

    async fn execute(&self, scan: &Scan) -> Result<Evaluation, String> {
        let bytes = self
            .ports
            .evidence
            .get(&scan.diff_key)
            .await
            .map_err(|e| e.to_string())?;
        if aegis_domain::scan::diff_sha256(&bytes) != scan.diff_sha256 {
            return Err("the stored diff no longer matches its SHA-256".to_owned());
        }
        let text = String::from_utf8(bytes).map_err(|e| e.to_string())?;
        let files = diff::parse(&text).map_err(|e| e.to_string())?;
        self.evaluate(Some(scan.tenant_id), &files, &scan.policy)
            .await
            .map_err(|e| e.to_string())
    }

    /// Scans a diff without storing anything, against this server's catalog (no tenant: no
    /// proven detections). The command line's offline mode.
    ///
    /// # Errors
    /// `Invalid` for a diff that does not read; `Unexpected` on storage failure.
    pub async fn scan_offline(&self, text: &str) -> Result<OfflineScan, ScanError> {
        let files = diff::parse(text).map_err(|e| {
            ScanError::Invalid(vec![crate::error::FieldError::new("diff", e.to_string())])
        })?;
        let evaluation = self.evaluate(None, &files, &self.policy).await?;
        Ok(OfflineScan {
            files: evaluation.files,
            decision: self.policy.decide(&evaluation.findings),
            findings: evaluation.findings,
            coverage: evaluation.coverage,
        })
    }

    async fn evaluate(
        &self,
        tenant: Option<TenantId>,
        files: &[FileDiff],
        policy: &ScanPolicy,
    ) -> Result<Evaluation, ScanError> {
        let mut findings = hazards::scan(files, policy);
        let readings = verify::read(files, self.ports.parser.as_ref());
        let facts = self.facts(tenant, &readings).await?;
        let (verified, coverage) = verify::check(&readings, &facts);
        findings.extend(verified);
        sort_findings(&mut findings);
        Ok(Evaluation {
            files: u32::try_from(files.len()).unwrap_or(u32::MAX),
            findings,
            coverage,
        })
    }

    async fn facts(
        &self,
        tenant: Option<TenantId>,
        readings: &[verify::Reading],
    ) -> Result<Facts, ScanError> {
        let mut facts = Facts {
            lineage: self.ports.catalog.technique_lineage().await?,
            ..Facts::default()
        };
        let techniques = verify::named_techniques(readings);
        let mut asked: HashSet<String> = HashSet::new();
        for technique in techniques.iter().take(MAX_TECHNIQUES) {
            let current = facts.lineage.current_of(technique);
            if !asked.insert(current.clone()) {
                continue;
            }
            let rules = self.ports.rules.rules_for_technique(&current).await?;
            let mut active = BTreeSet::new();
            for rule in rules {
                facts
                    .known_rules
                    .insert(rule.source_id.clone(), rule.title.clone());
                if !rule.deprecated {
                    active.insert(rule.source_id);
                }
            }
            facts.rules_per_technique.insert(current, active);
        }
        // A copied rule keeps its title more often than its tags.
        for reading in readings {
            for detection in &reading.detections {
                if detection.title.is_empty() {
                    continue;
                }
                let filter = RuleFilter {
                    text: Some(detection.title.clone()),
                    include_deprecated: true,
                    ..RuleFilter::default()
                };
                let page = self
                    .ports
                    .rules
                    .list_rules(&filter, PageRequest::new(1, 50))
                    .await?;
                for rule in page.items {
                    facts.known_rules.insert(rule.source_id, rule.title);
                }
            }
        }
        if let Some(tenant) = tenant {
            let assets = self.ports.database.live_assets(tenant).await?;
            let proven: HashSet<_> = self
                .ports
                .database
                .unended_validations(tenant, None, None)
                .await?
                .into_iter()
                .map(|v| v.asset_id)
                .collect();
            for asset in assets {
                if let Some(rule) = &asset.rule
                    && proven.contains(&asset.id)
                {
                    facts
                        .proven
                        .insert(rule.source_id.clone(), asset.name.clone());
                }
            }
        }
        Ok(facts)
    }
}

/// The `scan.finished` event's data: what a pipeline or a chat channel needs to act on it.
fn finished(scan: &Scan) -> serde_json::Value {
    let blocking = scan
        .findings
        .iter()
        .filter(|f| scan.policy.blocks(f))
        .count();
    serde_json::json!({
        "scan_id": scan.id,
        "repository": scan.source.repository,
        "commit": scan.source.commit,
        "pull_request": scan.source.pull_request,
        "status": scan.status.as_str(),
        "decision": scan.decision.map(|d| d.as_str()),
        "findings": scan.findings.len(),
        "blocking_findings": blocking,
        "files": scan.files,
        "diff_sha256": scan.diff_sha256,
        "completed_at": scan.completed_at,
    })
}
