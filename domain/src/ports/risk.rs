//! Each organization's stored risk per technique, and what assessing it reads.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::RepositoryError;
use crate::catalog::TechniqueId;
use crate::risk::{TechniqueRisk, ValidatedObservation};
use crate::tenant::TenantId;

/// Each organization's stored risk per technique.
#[async_trait::async_trait]
pub trait RiskRepository: Send + Sync {
    /// The organization's validated tests with their outcome and times (one technique's when
    /// given), for the failed-tests term, the prevention split and the time to detect.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn validated_observations(
        &self,
        tenant: TenantId,
        technique: Option<&TechniqueId>,
    ) -> Result<Vec<ValidatedObservation>, RepositoryError>;

    /// How many intelligence items published at or after `since` name each technique id (as
    /// named; one technique's count when given). Intelligence is global, like the catalog.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn intelligence_signals(
        &self,
        since: DateTime<Utc>,
        technique: Option<&TechniqueId>,
    ) -> Result<HashMap<String, u32>, RepositoryError>;

    /// Replaces every stored risk of the organization with `risks`.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn replace_risks(
        &self,
        tenant: TenantId,
        risks: &[TechniqueRisk],
    ) -> Result<(), RepositoryError>;

    /// Inserts or replaces one technique's risk.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn save_risk(
        &self,
        tenant: TenantId,
        risk: &TechniqueRisk,
    ) -> Result<(), RepositoryError>;

    /// Every stored risk of the organization (unordered).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn risks(&self, tenant: TenantId) -> Result<Vec<TechniqueRisk>, RepositoryError>;

    /// The stored risk of one technique, `None` when it was never assessed.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn risk_of(
        &self,
        tenant: TenantId,
        technique: &TechniqueId,
    ) -> Result<Option<TechniqueRisk>, RepositoryError>;
}
