//! Read-only aggregates for dashboards and metrics.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::RepositoryError;
use crate::tenant::TenantId;
use crate::user::UserId;

/// Read-only aggregates for dashboards and metrics.
#[async_trait]
pub trait MetricsRepository: Send + Sync {
    /// The facts of every test of the organization (a few columns each).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn test_facts(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<crate::metrics::TestFacts>, RepositoryError>;

    /// Workflow actions since `since`, counted by actor and action.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn workflow_actions_by_actor(
        &self,
        tenant: TenantId,
        since: DateTime<Utc>,
    ) -> Result<Vec<(UserId, String, u64)>, RepositoryError>;

    /// The newest workflow steps, newest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn recent_activity(
        &self,
        tenant: TenantId,
        limit: u64,
    ) -> Result<Vec<crate::metrics::ActivityItem>, RepositoryError>;
}
