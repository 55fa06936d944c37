//! The analytics feeds' own reads.

use async_trait::async_trait;

use super::RepositoryError;
use crate::analytics::OperatorActivity;
use crate::tenant::TenantId;

#[async_trait]
pub trait AnalyticsRepository: Send + Sync {
    /// Each person's worklogs summed per team (a person who worked on both teams has two),
    /// in no particular order.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn operator_activity(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<OperatorActivity>, RepositoryError>;
}
