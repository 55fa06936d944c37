//! Ticket links, the tenant's Jira configuration, and the worklogs pushed to Tempo.

use super::RepositoryError;
use crate::tenant::TenantId;
use crate::ticket::{JiraConfig, PushedWorklog, TicketId, TicketLink, TicketSubject};

#[async_trait::async_trait]
pub trait TicketRepository: Send + Sync {
    /// # Errors
    /// `Duplicate(Subject::Ticket)` when the subject already links this system's key.
    async fn insert_ticket(
        &self,
        tenant: TenantId,
        ticket: &TicketLink,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_ticket(
        &self,
        tenant: TenantId,
        id: TicketId,
    ) -> Result<Option<TicketLink>, RepositoryError>;

    /// Removes the link and the record of what was pushed under it.
    ///
    /// # Errors
    /// `NotFound(Entity::Ticket)`.
    async fn delete_ticket(&self, tenant: TenantId, id: TicketId) -> Result<(), RepositoryError>;

    /// The subject's tickets, oldest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn tickets_of(
        &self,
        tenant: TenantId,
        subject: &TicketSubject,
    ) -> Result<Vec<TicketLink>, RepositoryError>;

    /// Jira tickets whose status is not done, least recently synced first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn followed_tickets(
        &self,
        tenant: TenantId,
        limit: u64,
    ) -> Result<Vec<TicketLink>, RepositoryError>;

    /// Stores the ticket's external id, status, category, sync time and error.
    ///
    /// # Errors
    /// `NotFound(Entity::Ticket)` when it was deleted meanwhile.
    async fn update_ticket_status(
        &self,
        tenant: TenantId,
        ticket: &TicketLink,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure (or a stored row that no longer parses).
    async fn jira_config(&self, tenant: TenantId) -> Result<Option<JiraConfig>, RepositoryError>;

    /// Creates or replaces the tenant's configuration.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn save_jira_config(
        &self,
        tenant: TenantId,
        config: &JiraConfig,
    ) -> Result<(), RepositoryError>;

    /// The ids of the worklogs already pushed under `ticket`.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn pushed_worklogs(
        &self,
        tenant: TenantId,
        ticket: TicketId,
    ) -> Result<Vec<PushedWorklog>, RepositoryError>;

    /// # Errors
    /// `Duplicate(Subject::Worklog)` when that worklog was already pushed under the ticket.
    async fn record_pushed_worklog(
        &self,
        tenant: TenantId,
        pushed: &PushedWorklog,
    ) -> Result<(), RepositoryError>;
}
