//! Each organization's stored coverage per technique, and what scoring reads.

use async_trait::async_trait;

use super::RepositoryError;
use crate::tenant::TenantId;

/// Each organization's stored coverage per technique.
#[async_trait]
pub trait CoverageRepository: Send + Sync {
    /// Every test of one technique (all states), for scoring it.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn tests_of_technique(
        &self,
        tenant: TenantId,
        technique: &crate::catalog::TechniqueId,
    ) -> Result<Vec<crate::test_case::TestCase>, RepositoryError>;

    /// Inserts or replaces the technique's score.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn save_technique_score(
        &self,
        tenant: TenantId,
        score: &crate::scoring::StoredScore,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn technique_score(
        &self,
        tenant: TenantId,
        technique: &crate::catalog::TechniqueId,
    ) -> Result<Option<crate::scoring::StoredScore>, RepositoryError>;

    /// Every stored score of the organization (techniques never scored have none).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn technique_scores(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<crate::scoring::StoredScore>, RepositoryError>;

    /// The detection rules tagged with the technique. Rules are global (like the catalog);
    /// they are read here so a score is computed on one connection, inside its transaction.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn detection_rules_of(
        &self,
        technique: &str,
    ) -> Result<Vec<crate::detection::RuleSummary>, RepositoryError>;

    /// How many D3FEND countermeasures counter the technique (global, like the rules).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn countermeasure_count(&self, technique: &str) -> Result<u32, RepositoryError>;

    /// How the technique's detection proofs stand at `now`: how many validations of
    /// detection assets are current (not ended, not expired) and how many have lapsed.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn detection_proof(
        &self,
        tenant: TenantId,
        technique: &crate::catalog::TechniqueId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<crate::scoring::DetectionProof, RepositoryError>;
}
