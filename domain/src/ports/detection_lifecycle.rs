//! Detection assets, their validations, decay policies and infrastructure changes.

use chrono::{DateTime, Utc};

use super::RepositoryError;
use crate::catalog::TechniqueId;
use crate::detection_lifecycle::{
    AssetFilter, AssetId, AssetRevision, DecayPolicy, DetectionAsset, DetectionValidation,
    InfrastructureChange, ProofEnd, ValidationId,
};
use crate::page::{Page, PageRequest};
use crate::tenant::TenantId;

#[async_trait::async_trait]
pub trait DetectionLifecycleRepository: Send + Sync {
    /// Stores a new asset with its techniques and the first entry of its history.
    ///
    /// # Errors
    /// `Duplicate(Subject::DetectionAsset)` when the organization has an asset of that name
    /// on that platform; `Unexpected` on storage failure.
    async fn insert_asset(
        &self,
        tenant: TenantId,
        asset: &DetectionAsset,
        revision: &AssetRevision,
    ) -> Result<(), RepositoryError>;

    /// Stores `asset` (whose version is already the next one) if the stored version is still
    /// `expected_version`, its techniques replaced, and adds `revision` to its history.
    ///
    /// # Errors
    /// `StaleVersion { current }`; `NotFound(Entity::DetectionAsset)`;
    /// `Duplicate(Subject::DetectionAsset)` as for an insert.
    async fn update_asset(
        &self,
        tenant: TenantId,
        asset: &DetectionAsset,
        expected_version: i32,
        revision: &AssetRevision,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_asset(
        &self,
        tenant: TenantId,
        id: AssetId,
    ) -> Result<Option<DetectionAsset>, RepositoryError>;

    /// By name, then id.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_assets(
        &self,
        tenant: TenantId,
        filter: &AssetFilter,
        page: PageRequest,
    ) -> Result<Page<DetectionAsset>, RepositoryError>;

    /// Every asset of the organization that is not retired (for matching fired rules, rule
    /// re-imports and infrastructure changes).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn live_assets(&self, tenant: TenantId) -> Result<Vec<DetectionAsset>, RepositoryError>;

    /// Oldest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn asset_history(
        &self,
        tenant: TenantId,
        asset: AssetId,
    ) -> Result<Vec<AssetRevision>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_validations(
        &self,
        tenant: TenantId,
        validations: &[DetectionValidation],
    ) -> Result<(), RepositoryError>;

    /// Newest first; `asset` and `technique` narrow it.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn validations(
        &self,
        tenant: TenantId,
        asset: Option<AssetId>,
        technique: Option<&TechniqueId>,
    ) -> Result<Vec<DetectionValidation>, RepositoryError>;

    /// The validations not yet ended, of `assets` when given (else all), made before
    /// `validated_before` when given.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn unended_validations(
        &self,
        tenant: TenantId,
        assets: Option<&[AssetId]>,
        validated_before: Option<DateTime<Utc>>,
    ) -> Result<Vec<DetectionValidation>, RepositoryError>;

    /// Ends the validations `ids` that have not ended yet; returns how many it ended. A
    /// validation never changes otherwise.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn end_validations(
        &self,
        tenant: TenantId,
        ids: &[ValidationId],
        end: &ProofEnd,
    ) -> Result<u64, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_infrastructure_change(
        &self,
        tenant: TenantId,
        change: &InfrastructureChange,
    ) -> Result<(), RepositoryError>;

    /// Newest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn infrastructure_changes(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<InfrastructureChange>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn decay_policies(&self, tenant: TenantId) -> Result<Vec<DecayPolicy>, RepositoryError>;

    /// Inserts the policy, or replaces the one for the same platform and tactic.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn save_decay_policy(
        &self,
        tenant: TenantId,
        policy: &DecayPolicy,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `NotFound(Entity::DecayPolicy)` when the organization has no such policy.
    async fn delete_decay_policy(
        &self,
        tenant: TenantId,
        id: uuid::Uuid,
    ) -> Result<(), RepositoryError>;

    /// The tactic shortnames of a technique in the catalog (global, like the catalog), read
    /// here so a proof's expiry is computed inside its unit of work.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn tactics_of(&self, technique: &TechniqueId) -> Result<Vec<String>, RepositoryError>;
}
