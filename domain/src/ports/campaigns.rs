//! Campaigns: plans of tests, their runs, dependencies and recurrence.

use chrono::{DateTime, Utc};

use super::RepositoryError;
use crate::campaign::{Campaign, CampaignFilter, CampaignId, Dependency};
use crate::page::{Page, PageRequest};
use crate::tenant::TenantId;
use crate::test_case::{TestCase, TestId, TransitionRecord};

#[async_trait::async_trait]
pub trait CampaignRepository: Send + Sync {
    /// # Errors
    /// `Duplicate(Subject::Predecessor)` when the run was already spawned.
    async fn insert_campaign(
        &self,
        tenant: TenantId,
        campaign: &Campaign,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_campaign(
        &self,
        tenant: TenantId,
        id: CampaignId,
    ) -> Result<Option<Campaign>, RepositoryError>;

    /// Stores `campaign` (whose `version` is already the next one) if the stored version is
    /// still `expected_version`.
    ///
    /// # Errors
    /// `StaleVersion { current }` (the stored version) when someone changed it meanwhile;
    /// `NotFound(Entity::Campaign)`.
    async fn update_campaign(
        &self,
        tenant: TenantId,
        campaign: &Campaign,
        expected_version: i32,
    ) -> Result<(), RepositoryError>;

    /// Deletes a campaign; its tests stay, unlinked.
    ///
    /// # Errors
    /// `NotFound(Entity::Campaign)`.
    async fn delete_campaign(
        &self,
        tenant: TenantId,
        id: CampaignId,
    ) -> Result<(), RepositoryError>;

    /// Newest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_campaigns(
        &self,
        tenant: TenantId,
        filter: &CampaignFilter,
        page: PageRequest,
    ) -> Result<Page<Campaign>, RepositoryError>;

    /// Recurring campaigns whose next run is due at `now`.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn due_campaigns(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Campaign>, RepositoryError>;

    /// The run spawned from `id`, if any.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn successor_of(
        &self,
        tenant: TenantId,
        id: CampaignId,
    ) -> Result<Option<Campaign>, RepositoryError>;

    /// Every test linked to the campaign, in no particular order.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn tests_of_campaign(
        &self,
        tenant: TenantId,
        id: CampaignId,
    ) -> Result<Vec<TestCase>, RepositoryError>;

    /// The workflow steps of the campaign's tests, oldest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn transitions_of_campaign(
        &self,
        tenant: TenantId,
        id: CampaignId,
    ) -> Result<Vec<TransitionRecord>, RepositoryError>;

    /// The dependencies among the campaign's tests.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn dependencies_in_campaign(
        &self,
        tenant: TenantId,
        id: CampaignId,
    ) -> Result<Vec<Dependency>, RepositoryError>;

    /// Replaces what `test` depends on.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn replace_dependencies(
        &self,
        tenant: TenantId,
        test: TestId,
        depends_on: &[TestId],
    ) -> Result<(), RepositoryError>;

    /// Removes every dependency from or to `test` (it left its campaign or was deleted).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn drop_dependencies_of(
        &self,
        tenant: TenantId,
        test: TestId,
    ) -> Result<(), RepositoryError>;
}
