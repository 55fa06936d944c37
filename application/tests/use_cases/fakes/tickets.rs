//! In-memory tickets, and a tracker that records what it was asked and answers as told.

use std::sync::{Arc, Mutex};

use aegis_application::tickets::{
    CreatedIssue, IssueDraft, IssueStatus, JiraTarget, TempoTarget, TempoWorklog, TicketTracker,
    TrackerError,
};
use aegis_domain::ports::*;
use aegis_domain::tenant::TenantId;
use aegis_domain::ticket::{
    JiraConfig, PushedWorklog, StatusCategory, TicketId, TicketLink, TicketSubject,
};
use aegis_domain::webhook::{AllowList, TargetRefusal};
use async_trait::async_trait;

use super::{Memory, Slot};

#[derive(Clone, Default)]
pub struct TicketState {
    pub tickets: Vec<TicketLink>,
    pub configs: Vec<JiraConfig>,
    pub pushed: Vec<(TenantId, PushedWorklog)>,
}

#[async_trait]
impl<S: Slot> TicketRepository for Memory<S> {
    async fn insert_ticket(
        &self,
        _tenant: TenantId,
        ticket: &TicketLink,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            if s.tickets.tickets.iter().any(|t| {
                t.tenant_id == ticket.tenant_id
                    && t.subject == ticket.subject
                    && t.system == ticket.system
                    && t.key == ticket.key
            }) {
                return Err(RepositoryError::Duplicate(Subject::Ticket));
            }
            s.tickets.tickets.push(ticket.clone());
            Ok(())
        })
    }

    async fn find_ticket(
        &self,
        tenant: TenantId,
        id: TicketId,
    ) -> Result<Option<TicketLink>, RepositoryError> {
        Ok(self.with(|s| {
            s.tickets
                .tickets
                .iter()
                .find(|t| t.tenant_id == tenant && t.id == id)
                .cloned()
        }))
    }

    async fn delete_ticket(&self, tenant: TenantId, id: TicketId) -> Result<(), RepositoryError> {
        self.with(|s| {
            let before = s.tickets.tickets.len();
            s.tickets
                .tickets
                .retain(|t| !(t.tenant_id == tenant && t.id == id));
            s.tickets.pushed.retain(|(_, p)| p.ticket_id != id);
            if s.tickets.tickets.len() == before {
                Err(RepositoryError::NotFound(Entity::Ticket))
            } else {
                Ok(())
            }
        })
    }

    async fn tickets_of(
        &self,
        tenant: TenantId,
        subject: &TicketSubject,
    ) -> Result<Vec<TicketLink>, RepositoryError> {
        Ok(self.with(|s| {
            s.tickets
                .tickets
                .iter()
                .filter(|t| t.tenant_id == tenant && t.subject == *subject)
                .cloned()
                .collect()
        }))
    }

    async fn followed_tickets(
        &self,
        tenant: TenantId,
        limit: u64,
    ) -> Result<Vec<TicketLink>, RepositoryError> {
        Ok(self.with(|s| {
            let mut followed: Vec<TicketLink> = s
                .tickets
                .tickets
                .iter()
                .filter(|t| t.tenant_id == tenant && t.is_followed())
                .cloned()
                .collect();
            followed.sort_by_key(|t| t.last_synced_at);
            followed.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            followed
        }))
    }

    async fn update_ticket_status(
        &self,
        tenant: TenantId,
        ticket: &TicketLink,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            let stored = s
                .tickets
                .tickets
                .iter_mut()
                .find(|t| t.tenant_id == tenant && t.id == ticket.id)
                .ok_or(RepositoryError::NotFound(Entity::Ticket))?;
            *stored = ticket.clone();
            Ok(())
        })
    }

    async fn jira_config(&self, tenant: TenantId) -> Result<Option<JiraConfig>, RepositoryError> {
        Ok(self.with(|s| {
            s.tickets
                .configs
                .iter()
                .find(|c| c.tenant_id == tenant)
                .cloned()
        }))
    }

    async fn save_jira_config(
        &self,
        tenant: TenantId,
        config: &JiraConfig,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            s.tickets.configs.retain(|c| c.tenant_id != tenant);
            s.tickets.configs.push(config.clone());
        });
        Ok(())
    }

    async fn pushed_worklogs(
        &self,
        tenant: TenantId,
        ticket: TicketId,
    ) -> Result<Vec<PushedWorklog>, RepositoryError> {
        Ok(self.with(|s| {
            s.tickets
                .pushed
                .iter()
                .filter(|(t, p)| *t == tenant && p.ticket_id == ticket)
                .map(|(_, p)| p.clone())
                .collect()
        }))
    }

    async fn record_pushed_worklog(
        &self,
        tenant: TenantId,
        pushed: &PushedWorklog,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            if s.tickets
                .pushed
                .iter()
                .any(|(_, p)| p.ticket_id == pushed.ticket_id && p.worklog_id == pushed.worklog_id)
            {
                return Err(RepositoryError::Duplicate(Subject::Worklog));
            }
            s.tickets.pushed.push((tenant, pushed.clone()));
            Ok(())
        })
    }
}

/// What the tracker was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackerCall {
    Create(IssueDraft),
    Status(String),
    Worklog(TempoWorklog),
}

/// A tracker that records every call; creation answers `SEC-<n>` (or the refusal it was
/// given), statuses answer what it was told.
#[derive(Clone, Default)]
pub struct RecordingTracker {
    pub calls: Arc<Mutex<Vec<TrackerCall>>>,
    pub refusal: Arc<Mutex<Option<TrackerError>>>,
    pub status: Arc<Mutex<Option<(String, StatusCategory)>>>,
}

impl RecordingTracker {
    pub fn calls(&self) -> Vec<TrackerCall> {
        self.calls.lock().unwrap().clone()
    }
}

#[async_trait]
impl TicketTracker for RecordingTracker {
    async fn check_target(&self, url: &str, _allow: &AllowList) -> Result<(), TargetRefusal> {
        if url.contains("169.254.169.254") {
            return Err(TargetRefusal::NotHttp);
        }
        Ok(())
    }

    async fn create_issue(
        &self,
        _target: &JiraTarget,
        draft: &IssueDraft,
    ) -> Result<CreatedIssue, TrackerError> {
        let mut calls = self.calls.lock().unwrap();
        calls.push(TrackerCall::Create(draft.clone()));
        if let Some(refusal) = self.refusal.lock().unwrap().clone() {
            return Err(refusal);
        }
        let n = calls.len();
        Ok(CreatedIssue {
            id: format!("{}", 10_000 + n),
            key: format!("SEC-{n}"),
            browse_url: format!("https://jira.example/browse/SEC-{n}"),
        })
    }

    async fn issue_status(
        &self,
        _target: &JiraTarget,
        key: &str,
    ) -> Result<IssueStatus, TrackerError> {
        self.calls
            .lock()
            .unwrap()
            .push(TrackerCall::Status(key.to_owned()));
        let (name, category) = self
            .status
            .lock()
            .unwrap()
            .clone()
            .unwrap_or(("To Do".to_owned(), StatusCategory::New));
        Ok(IssueStatus {
            id: "10001".to_owned(),
            name,
            category,
        })
    }

    async fn push_worklog(
        &self,
        _target: &TempoTarget,
        worklog: &TempoWorklog,
    ) -> Result<String, TrackerError> {
        let mut calls = self.calls.lock().unwrap();
        calls.push(TrackerCall::Worklog(worklog.clone()));
        Ok(format!("{}", calls.len()))
    }
}
