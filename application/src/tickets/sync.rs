//! The `ticket_sync` job: brings the status of every followed Jira issue back, and pushes the
//! sealed worklogs of the tests behind each issue to Tempo when it is configured. Every call
//! is made with no unit of work open; each answer is written on its own.

use std::collections::BTreeSet;

use aegis_domain::ports::RepositoryError;
use aegis_domain::tenant::TenantId;
use aegis_domain::test_case::{TestId, Worklog};
use aegis_domain::ticket::{PushedWorklog, TicketLink, TicketSubject};

use super::{JiraTarget, TempoTarget, TempoWorklog, TicketError, TicketService};

/// Issues one run checks per tenant; the least recently synced come first, so a large
/// backlog is covered over successive runs.
const BATCH: u64 = 200;

/// What a sync run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub checked: u64,
    pub changed: u64,
    pub failed: u64,
    pub worklogs_pushed: u64,
    pub worklogs_failed: u64,
}

impl TicketService {
    /// Syncs every tenant that has Jira configured (the `ticket_sync` job).
    ///
    /// # Errors
    /// `Unexpected` when storage fails; a tracker's refusal is recorded on the ticket and
    /// counted, never fatal.
    pub async fn sync_all(&self) -> Result<SyncReport, TicketError> {
        let mut report = SyncReport::default();
        for tenant in self.database.list_tenants().await? {
            if self.database.jira_config(tenant.id).await?.is_none() {
                continue;
            }
            match self.targets(tenant.id).await {
                Ok((_, jira, tempo)) => {
                    self.sync_tenant(tenant.id, &jira, tempo.as_ref(), &mut report)
                        .await?;
                }
                Err(TicketError::Invalid(_)) => {
                    // The token cannot be opened with this key; the admin sees it on saving.
                    tracing::warn!(tenant = %tenant.id, "the Jira token cannot be opened");
                    report.failed += 1;
                }
                Err(other) => return Err(other),
            }
        }
        Ok(report)
    }

    async fn sync_tenant(
        &self,
        tenant: TenantId,
        jira: &JiraTarget,
        tempo: Option<&TempoTarget>,
        report: &mut SyncReport,
    ) -> Result<(), TicketError> {
        for mut ticket in self.database.followed_tickets(tenant, BATCH).await? {
            report.checked += 1;
            let now = self.clock.now();
            match self.tracker.issue_status(jira, &ticket.key).await {
                Ok(status) => {
                    if ticket.external_id.is_none() && !status.id.is_empty() {
                        ticket.external_id = Some(status.id.chars().take(64).collect());
                    }
                    if ticket.record_status(&status.name, status.category, now) {
                        report.changed += 1;
                    }
                }
                Err(error) => {
                    report.failed += 1;
                    ticket.record_sync_failure(&error.to_string(), now);
                }
            }
            match self.database.update_ticket_status(tenant, &ticket).await {
                // Unlinked while Jira answered.
                Err(RepositoryError::NotFound(_)) => continue,
                other => other?,
            }
            if let Some(tempo) = tempo {
                self.push_worklogs(tenant, &ticket, tempo, report).await?;
            }
        }
        Ok(())
    }

    /// Pushes the sealed worklogs of the tests behind `ticket` that Tempo does not have yet:
    /// a test's own, or a finding's test and its retest. A worklog whose seal no longer
    /// matches is never pushed.
    async fn push_worklogs(
        &self,
        tenant: TenantId,
        ticket: &TicketLink,
        tempo: &TempoTarget,
        report: &mut SyncReport,
    ) -> Result<(), TicketError> {
        let (Some(issue_id), Some(account)) = (
            ticket.external_id.clone(),
            self.database
                .jira_config(tenant)
                .await?
                .and_then(|c| c.tempo_account_id),
        ) else {
            return Ok(());
        };
        let tests: Vec<TestId> = match ticket.subject {
            TicketSubject::Test(test) => vec![test],
            TicketSubject::Finding(finding) => {
                match self.database.find_finding(tenant, finding).await? {
                    Some(finding) => finding
                        .test_id()
                        .into_iter()
                        .chain(finding.retest_id)
                        .collect(),
                    None => Vec::new(),
                }
            }
            TicketSubject::RemediationStep { .. } => Vec::new(),
        };
        let pushed: BTreeSet<uuid::Uuid> = self
            .database
            .pushed_worklogs(tenant, ticket.id)
            .await?
            .into_iter()
            .map(|p| p.worklog_id)
            .collect();
        for test in tests {
            let worklogs: Vec<Worklog> = self
                .database
                .test_history(tenant, test)
                .await?
                .worklogs
                .into_iter()
                .filter(|w| w.is_intact() && !pushed.contains(&w.id))
                .collect();
            for worklog in worklogs {
                let entry = TempoWorklog {
                    issue_id: issue_id.clone(),
                    // Tempo refuses zero; a phase closed within its first second counts as one.
                    seconds: worklog.duration_seconds.max(1),
                    started_at: worklog.started_at,
                    author_account_id: account.clone(),
                    description: format!(
                        "Aegis {} team, test {} ({}): sealed worklog {}",
                        worklog.team.as_str(),
                        worklog.test_id,
                        ticket.key,
                        worklog.integrity_hash
                    ),
                };
                match self.tracker.push_worklog(tempo, &entry).await {
                    Ok(tempo_id) => {
                        let record = PushedWorklog {
                            id: self.ids.new_id(),
                            ticket_id: ticket.id,
                            worklog_id: worklog.id,
                            tempo_id: tempo_id.chars().take(64).collect(),
                            pushed_at: self.clock.now(),
                        };
                        match self.database.record_pushed_worklog(tenant, &record).await {
                            // Another run pushed it meanwhile.
                            Err(RepositoryError::Duplicate(_)) => {}
                            other => other?,
                        }
                        report.worklogs_pushed += 1;
                    }
                    Err(error) => {
                        tracing::warn!(ticket = %ticket.key, %error, "a worklog could not be pushed to Tempo");
                        report.worklogs_failed += 1;
                    }
                }
            }
        }
        Ok(())
    }
}
