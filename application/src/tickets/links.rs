//! Linking by hand (any tracker), unlinking, listing a subject's tickets, and creating a Jira
//! issue from a finding.

use uuid::Uuid;

use aegis_domain::finding::{Finding, FindingId};
use aegis_domain::permission::Action;
use aegis_domain::tenant::TenantId;
use aegis_domain::test_case::TestId;
use aegis_domain::ticket::{
    KEY_MAX, StatusCategory, TicketId, TicketLink, TicketSubject, TicketSystem, single_line,
    web_url,
};

use super::{IssueDraft, IssueLink, TicketError, TicketService, describe, invalid};
use crate::context::{Actor, RequestContext};
use crate::error::FieldError;
use crate::ports::UnitOfWork;

/// Which subject's tickets, as a caller names it: one of a finding, a test, or a finding's
/// step (`finding_id` and `step_id`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubjectQuery {
    pub finding_id: Option<Uuid>,
    pub test_id: Option<Uuid>,
    pub step_id: Option<Uuid>,
}

impl SubjectQuery {
    /// # Errors
    /// `Invalid` unless exactly one subject is named.
    pub fn subject(&self) -> Result<TicketSubject, TicketError> {
        match (self.finding_id, self.test_id, self.step_id) {
            (Some(finding), None, None) => {
                Ok(TicketSubject::Finding(FindingId::from_uuid(finding)))
            }
            (None, Some(test), None) => Ok(TicketSubject::Test(TestId::from_uuid(test))),
            (Some(finding), None, Some(step)) => Ok(TicketSubject::RemediationStep {
                finding: FindingId::from_uuid(finding),
                step,
            }),
            (None, None, Some(_)) => Err(invalid(
                "finding_id",
                "is required with step_id: a step is named within its finding",
            )),
            _ => Err(invalid(
                "finding_id",
                "name one subject: finding_id, test_id, or finding_id with step_id",
            )),
        }
    }
}

/// A subject's tickets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketList {
    pub items: Vec<TicketLink>,
    pub jira_configured: bool,
}

/// A link made by hand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewTicketLink {
    pub subject: SubjectQuery,
    /// `jira`, `github` or `other`.
    pub system: String,
    pub key: String,
    pub url: String,
    /// The tracker's status, as the person linking it knows it.
    pub status: Option<String>,
}

const SYNC_SUMMARY_MAX: usize = 255;

impl TicketService {
    /// The subject's tickets, oldest first, and whether Jira is configured (so a client can
    /// offer to create an issue).
    ///
    /// # Errors
    /// `Invalid` unless one subject is named.
    pub async fn list(
        &self,
        actor: &Actor,
        query: SubjectQuery,
    ) -> Result<TicketList, TicketError> {
        actor.authorize(Action::ReadOperations)?;
        let subject = query.subject()?;
        Ok(TicketList {
            items: self.database.tickets_of(actor.tenant_id, &subject).await?,
            jira_configured: self.database.jira_config(actor.tenant_id).await?.is_some(),
        })
    }

    /// Links a subject to an issue of any tracker.
    ///
    /// # Errors
    /// `Forbidden` unless a lead or admin; `Invalid` naming the field; `SubjectNotFound`;
    /// `AlreadyLinked` when the subject already links that key.
    pub async fn link(
        &self,
        actor: &Actor,
        request: NewTicketLink,
        context: &RequestContext,
    ) -> Result<TicketLink, TicketError> {
        actor.authorize(Action::ManageFindings)?;
        let mut fields = Vec::new();
        let subject = match request.subject.subject() {
            Ok(subject) => Some(subject),
            Err(TicketError::Invalid(mut named)) => {
                fields.append(&mut named);
                None
            }
            Err(other) => return Err(other),
        };
        let system = TicketSystem::parse(request.system.trim());
        if system.is_none() {
            fields.push(FieldError::new("system", "must be jira, github or other"));
        }
        let key = single_line(&request.key, KEY_MAX)
            .map_err(|e| fields.push(FieldError::new("key", e.to_string())))
            .ok();
        let url = web_url(&request.url)
            .map_err(|e| fields.push(FieldError::new("url", e.to_string())))
            .ok();
        let status = match request.status.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(status) => single_line(status, aegis_domain::ticket::STATUS_MAX)
                .map_err(|e| fields.push(FieldError::new("status", e.to_string())))
                .ok(),
        };
        let (Some(subject), Some(system), Some(key), Some(url), true) =
            (subject, system, key, url, fields.is_empty())
        else {
            fields.sort_by(|a, b| a.field.cmp(&b.field));
            return Err(TicketError::Invalid(fields));
        };
        let now = self.clock.now();
        let ticket = TicketLink {
            id: TicketId::from_uuid(self.ids.new_id()),
            tenant_id: actor.tenant_id,
            subject,
            system,
            key,
            url,
            external_id: None,
            status,
            status_category: StatusCategory::Unknown,
            last_synced_at: None,
            sync_error: None,
            created_by: actor.user_id,
            created_at: now,
        };
        let uow = self.database.begin().await?;
        ensure_subject(uow.as_ref(), actor.tenant_id, &subject).await?;
        uow.insert_ticket(actor.tenant_id, &ticket).await?;
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "ticket.linked",
            ticket.id.to_string(),
            describe(&ticket),
        )
        .await?;
        uow.commit().await?;
        Ok(ticket)
    }

    /// Removes a link (the issue itself stays in its tracker).
    ///
    /// # Errors
    /// `Forbidden` unless a lead or admin; `NotFound`.
    pub async fn unlink(
        &self,
        actor: &Actor,
        id: Uuid,
        context: &RequestContext,
    ) -> Result<(), TicketError> {
        actor.authorize(Action::ManageFindings)?;
        let uow = self.database.begin().await?;
        let ticket = uow
            .find_ticket(actor.tenant_id, TicketId::from_uuid(id))
            .await?
            .ok_or(TicketError::NotFound)?;
        uow.delete_ticket(actor.tenant_id, ticket.id).await?;
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "ticket.unlinked",
            ticket.id.to_string(),
            describe(&ticket),
        )
        .await?;
        uow.commit().await?;
        Ok(())
    }

    /// Creates a Jira issue from a finding (its technique, outcome and the links to its test
    /// and evidence in Aegis) and links it.
    ///
    /// # Errors
    /// `Forbidden` unless a lead or admin; `SubjectNotFound`; `NotConfigured`;
    /// `AlreadyLinked` when the finding already has a Jira issue; `Tracker` with what Jira
    /// answered when it refuses or cannot be reached.
    pub async fn create_from_finding(
        &self,
        actor: &Actor,
        finding: FindingId,
        context: &RequestContext,
    ) -> Result<TicketLink, TicketError> {
        actor.authorize(Action::ManageFindings)?;
        let tenant = actor.tenant_id;
        let finding = self
            .database
            .find_finding(tenant, finding)
            .await?
            .ok_or(TicketError::SubjectNotFound("finding"))?;
        let subject = TicketSubject::Finding(finding.id);
        if let Some(existing) = self
            .database
            .tickets_of(tenant, &subject)
            .await?
            .into_iter()
            .find(|t| t.system == TicketSystem::Jira)
        {
            return Err(TicketError::AlreadyLinked(format!(
                "the finding is already linked to Jira issue {}",
                existing.key
            )));
        }
        let (config, target, _) = self.targets(tenant).await?;
        let draft = self.draft(tenant, &finding, &config).await?;
        // No unit of work is open while Jira answers.
        let created = self
            .tracker
            .create_issue(&target, &draft)
            .await
            .map_err(TicketError::Tracker)?;
        let key = single_line(&created.key, KEY_MAX).map_err(|_| {
            TicketError::Tracker(super::TrackerError::Unreachable {
                system: "Jira",
                message: "the answer carries no usable issue key".to_owned(),
            })
        })?;
        let now = self.clock.now();
        let ticket = TicketLink {
            id: TicketId::from_uuid(self.ids.new_id()),
            tenant_id: tenant,
            subject,
            system: TicketSystem::Jira,
            key,
            url: created.browse_url,
            external_id: Some(created.id.chars().take(64).collect()),
            status: None,
            status_category: StatusCategory::Unknown,
            last_synced_at: None,
            sync_error: None,
            created_by: actor.user_id,
            created_at: now,
        };
        let uow = self.database.begin().await?;
        uow.insert_ticket(tenant, &ticket).await?;
        let mut details = describe(&ticket);
        details["created_in_tracker"] = serde_json::json!(true);
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "ticket.created",
            ticket.id.to_string(),
            details,
        )
        .await?;
        uow.commit().await?;
        Ok(ticket)
    }

    /// The issue to create: the finding's technique and outcome, the test behind it, what
    /// red ran, and links to the finding, the test and each evidence file in Aegis.
    async fn draft(
        &self,
        tenant: TenantId,
        finding: &Finding,
        config: &aegis_domain::ticket::JiraConfig,
    ) -> Result<IssueDraft, TicketError> {
        // A scanner's vulnerability has no test behind it, so no test or evidence to link.
        let (test, evidence) = match finding.test_id() {
            Some(test_id) => (
                self.database.find_test(tenant, test_id).await?,
                self.database.list_evidence(tenant, test_id).await?,
            ),
            None => (None, Vec::new()),
        };
        let page = |path: String| IssueLink {
            url: config
                .aegis_url
                .as_ref()
                .map(|base| format!("{base}{path}")),
            text: String::new(),
        };
        let mut finding_link = page(format!("/findings/{}", finding.id));
        finding_link.text = format!("Finding in Aegis: {}", finding.title);
        let test_link = finding.test_id().map(|test_id| {
            let mut link = page(format!("/tests/{test_id}"));
            link.text = format!(
                "Test in Aegis: {}",
                test.as_ref().map_or("(deleted)", |t| t.title.as_str())
            );
            link
        });
        let evidence = evidence
            .iter()
            .filter(|e| e.deleted_at.is_none())
            .map(|e| {
                let mut link = page(format!("/tests/{}#evidence-{}", e.test_id, e.id));
                link.text = format!("{} (SHA-256 {})", e.filename, e.sha256);
                link
            })
            .collect();
        let execution = test
            .as_ref()
            .map(|t| {
                let red = &t.red;
                let mut parts = Vec::new();
                if let Some(procedure) = red.procedure.as_deref().filter(|c| !c.is_empty()) {
                    parts.push(format!("Procedure: {procedure}"));
                }
                if let Some(command) = red.command.as_deref().filter(|c| !c.is_empty()) {
                    parts.push(format!("Ran: {command}"));
                }
                if let Some(tool) = red.tool.as_deref().filter(|c| !c.is_empty()) {
                    parts.push(format!("With: {tool}"));
                }
                if let Some(at) = red.executed_at {
                    parts.push(format!("At: {}", at.to_rfc3339()));
                }
                if let Some(result) = red.result_summary.as_deref().filter(|c| !c.is_empty()) {
                    parts.push(format!("Result: {result}"));
                }
                parts.join("\n")
            })
            .unwrap_or_default();
        let summary: String = format!("[Aegis] {}", finding.title)
            .chars()
            .take(SYNC_SUMMARY_MAX)
            .collect();
        Ok(IssueDraft {
            project_key: config.project_key.clone(),
            issue_type: config.issue_type.clone(),
            summary,
            labels: config.labels.clone(),
            technique: finding
                .technique_id
                .as_ref()
                .map_or_else(String::new, |t| t.as_str().to_owned()),
            outcome: finding.outcome().map_or_else(
                || "vulnerability".to_owned(),
                |o| o.as_str().replace('_', " "),
            ),
            severity: finding.severity.as_str().to_owned(),
            test_title: test.as_ref().map(|t| t.title.clone()).unwrap_or_default(),
            execution,
            due_on: finding.due_on,
            links: std::iter::once(finding_link).chain(test_link).collect(),
            evidence,
        })
    }
}

/// The subject must exist in the tenant (a step within its finding).
async fn ensure_subject(
    uow: &dyn UnitOfWork,
    tenant: TenantId,
    subject: &TicketSubject,
) -> Result<(), TicketError> {
    match subject {
        TicketSubject::Finding(id) => {
            uow.find_finding(tenant, *id)
                .await?
                .ok_or(TicketError::SubjectNotFound("finding"))?;
        }
        TicketSubject::Test(id) => {
            uow.find_test(tenant, *id)
                .await?
                .ok_or(TicketError::SubjectNotFound("test"))?;
        }
        TicketSubject::RemediationStep { finding, step } => {
            let finding = uow
                .find_finding(tenant, *finding)
                .await?
                .ok_or(TicketError::SubjectNotFound("finding"))?;
            if !finding.steps.iter().any(|s| s.id == *step) {
                return Err(TicketError::SubjectNotFound("remediation step"));
            }
        }
    }
    Ok(())
}
