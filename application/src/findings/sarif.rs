//! Scanner results as findings: a SARIF file's results become findings of kind
//! vulnerability, with the techniques their CVEs lead to (the KEV→ATT&CK mapping and the
//! intelligence items naming them) and their CWEs lead to (the domain's table). An import is
//! one unit of work and idempotent: a result already imported (same fingerprint) is updated
//! only when the scanner says something new, and a finding its scope no longer reports is
//! resolved.

use std::collections::{BTreeSet, HashMap, HashSet};

use aegis_domain::finding::vulnerability::{
    ScanReport, ScannedResult, SkippedResult, Vulnerability,
};
use aegis_domain::finding::{Finding, FindingId, Rescan};
use aegis_domain::osint::IntelFilter;
use aegis_domain::page::PageRequest;
use aegis_domain::permission::Action;
use aegis_domain::webhook::WebhookEvent;

use super::{FindingError, FindingService, finding_data, invalid};
use crate::audit_trail::{self, Change};
use crate::context::{Actor, RequestContext};

/// Reads a scan file (SARIF 2.1.0) into the results it reports: pure and bounded.
pub trait ScanReader: Send + Sync {
    /// # Errors
    /// `UnreadableScan` saying what is wrong with the file as a whole; one bad result is
    /// skipped with its reason instead.
    fn read(&self, bytes: &[u8]) -> Result<ScanReport, UnreadableScan>;
}

/// A file that is not a SARIF 2.1.0 log this reader can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnreadableScan(pub String);

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanImport {
    pub created: u64,
    /// Reported again with something new, or reopened after being resolved.
    pub updated: u64,
    pub unchanged: u64,
    /// Findings of the file's scopes that it no longer reports.
    pub resolved: u64,
    pub skipped: Vec<SkippedResult>,
}

/// At most this many CVEs per import are looked up among the intelligence items (one query
/// each); the KEV mapping covers them all.
const MAX_CVE_LOOKUPS: usize = 200;

impl FindingService {
    /// Imports a scanner's SARIF file as vulnerability findings.
    ///
    /// # Errors
    /// `Forbidden` unless a lead or admin (or a key with the findings scope); `Invalid`
    /// naming `file` when it is no SARIF 2.1.0 log.
    pub async fn import_scan(
        &self,
        actor: &Actor,
        file: &[u8],
        context: &RequestContext,
    ) -> Result<ScanImport, FindingError> {
        actor.authorize(Action::ManageFindings)?;
        let report = self
            .scans
            .read(file)
            .map_err(|e| invalid("file", e.to_string()))?;
        // Intelligence is read before the unit of work: SQLite has one writing connection.
        let cve_techniques = self.cve_techniques(actor, &report.results).await?;
        let tenant = actor.tenant_id;
        let now = self.clock.now();
        let mut outcome = ScanImport {
            skipped: report.skipped,
            ..ScanImport::default()
        };
        let uow = self.database.begin().await?;
        let mut known: HashMap<String, Finding> = uow
            .scanned_findings(tenant, &report.scopes)
            .await?
            .into_iter()
            .filter_map(|f| Some((f.vulnerability()?.fingerprint.clone(), f)))
            .collect();
        let mut seen = HashSet::new();
        let mut events = Vec::new();
        for result in report.results {
            let (run, index, rule) = (result.run, result.index, result.rule_id.clone());
            let techniques: Vec<String> = result
                .cves
                .iter()
                .filter_map(|cve| cve_techniques.get(cve))
                .flatten()
                .cloned()
                .collect();
            let Some(vulnerability) = Vulnerability::of(result, &techniques) else {
                outcome.skipped.push(SkippedResult {
                    run,
                    index,
                    rule_id: Some(rule),
                    reason: "its level is none: not a problem".to_owned(),
                });
                continue;
            };
            if !seen.insert(vulnerability.fingerprint.clone()) {
                outcome.skipped.push(SkippedResult {
                    run,
                    index,
                    rule_id: Some(rule),
                    reason: "the same result is reported earlier in the file".to_owned(),
                });
                continue;
            }
            match known.get_mut(&vulnerability.fingerprint) {
                Some(finding) => match finding.rescan(vulnerability, now) {
                    Rescan::Unchanged => outcome.unchanged += 1,
                    rescan @ (Rescan::Updated | Rescan::Reopened) => {
                        let expected = finding.record_change(now);
                        uow.update_finding(tenant, finding, expected).await?;
                        outcome.updated += 1;
                        if matches!(rescan, Rescan::Reopened) {
                            events.push((WebhookEvent::FindingOpened, finding_data(finding)));
                        }
                    }
                },
                None => {
                    let finding = Finding::from_scan(
                        FindingId::from_uuid(self.ids.new_id()),
                        tenant,
                        vulnerability,
                        now,
                    );
                    uow.insert_finding(tenant, &finding).await?;
                    outcome.created += 1;
                    events.push((WebhookEvent::FindingOpened, finding_data(&finding)));
                }
            }
        }
        for (fingerprint, finding) in &mut known {
            if !seen.contains(fingerprint) && finding.no_longer_reported(now) {
                let expected = finding.record_change(now);
                uow.update_finding(tenant, finding, expected).await?;
                outcome.resolved += 1;
                events.push((WebhookEvent::FindingResolved, finding_data(finding)));
            }
        }
        let change = Change {
            tenant,
            actor: Some(actor.user_id),
            action: "finding.scan_imported",
            entity_type: "finding",
            entity_id: None,
            details: serde_json::json!({
                "scopes": report.scopes,
                "created": outcome.created,
                "updated": outcome.updated,
                "unchanged": outcome.unchanged,
                "resolved": outcome.resolved,
                "skipped": outcome.skipped.len(),
            }),
        };
        audit_trail::record(
            self.clock.as_ref(),
            self.ids.as_ref(),
            uow.as_ref(),
            context,
            change,
        )
        .await?;
        let mut published = 0;
        for (event, data) in events {
            published += self
                .outbox
                .record(uow.as_ref(), tenant, event, data)
                .await?;
        }
        uow.commit().await?;
        if published > 0 {
            self.outbox.dispatch().await;
        }
        Ok(outcome)
    }

    /// The techniques each CVE of `results` leads to: through the KEV→ATT&CK mapping, and
    /// the techniques of the intelligence items that name it.
    async fn cve_techniques(
        &self,
        actor: &Actor,
        results: &[ScannedResult],
    ) -> Result<HashMap<String, BTreeSet<String>>, FindingError> {
        let cves: BTreeSet<&String> = results.iter().flat_map(|r| &r.cves).collect();
        if cves.is_empty() {
            return Ok(HashMap::new());
        }
        let mapping = self.osint.kev_mapping().await?;
        let mut found: HashMap<String, BTreeSet<String>> = HashMap::new();
        for (n, cve) in cves.into_iter().enumerate() {
            let techniques = found.entry(cve.clone()).or_default();
            techniques.extend(mapping.techniques_of([cve]));
            if n >= MAX_CVE_LOOKUPS {
                continue;
            }
            let filter = IntelFilter {
                text: Some(cve.clone()),
                ..IntelFilter::default()
            };
            let items = self
                .osint
                .list_items(actor.tenant_id, &filter, PageRequest::new(1, 50))
                .await?;
            for item in items.items {
                if item.entry.cves.contains(cve) {
                    techniques.extend(item.entry.techniques);
                }
            }
        }
        Ok(found)
    }
}
