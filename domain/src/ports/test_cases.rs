//! Tests through the red/blue workflow: their rows, transitions, worklogs and comments.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::RepositoryError;
use crate::page::{Page, PageRequest};
use crate::tenant::TenantId;
use crate::user::UserId;

/// Filters of the test list; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestFilter {
    pub state: Option<crate::workflow::TestState>,
    pub technique: Option<crate::catalog::TechniqueId>,
    /// Tactic shortname or id: tests of techniques under that tactic.
    pub tactic: Option<String>,
    pub campaign: Option<uuid::Uuid>,
    pub assignee: Option<UserId>,
    /// Tests waiting for this team: red has draft and red_executing, blue has blue_evaluating.
    pub team: Option<crate::workflow::Team>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    /// Validated at or after.
    pub validated_from: Option<DateTime<Utc>>,
    /// Validated before.
    pub validated_to: Option<DateTime<Utc>>,
    /// Case-insensitive text in the title or description.
    pub text: Option<String>,
    /// Leave out the tests of campaigns of each kind in the states given: what a blind
    /// campaign's red team has not released yet. Set by [`TestFilter::seen_by`].
    pub concealed: Vec<(
        crate::campaign::CampaignKind,
        Vec<crate::workflow::TestState>,
    )>,
}

impl TestFilter {
    /// The filter as `role` may apply it: the blue side never lists what a blind campaign's
    /// red team has not released.
    #[must_use]
    pub fn seen_by(mut self, role: crate::role::Role) -> Self {
        self.concealed = crate::campaign::CampaignKind::ALL
            .into_iter()
            .map(|kind| (kind, kind.concealed_states(role)))
            .filter(|(_, states)| !states.is_empty())
            .collect();
        self
    }
}

#[async_trait]
pub trait TestRepository: Send + Sync {
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_test(
        &self,
        tenant: TenantId,
        test: &crate::test_case::TestCase,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_test(
        &self,
        tenant: TenantId,
        test: crate::test_case::TestId,
    ) -> Result<Option<crate::test_case::TestCase>, RepositoryError>;

    /// Stores `test` (whose `version` is already the next one) if the stored version is still
    /// `expected_version`.
    ///
    /// # Errors
    /// `StaleVersion { current }` (the stored version) when someone changed the test
    /// meanwhile; `NotFound(Entity::Test)`.
    async fn update_test(
        &self,
        tenant: TenantId,
        test: &crate::test_case::TestCase,
        expected_version: i32,
    ) -> Result<(), RepositoryError>;

    /// Deletes the test with its transitions, worklogs and comments.
    ///
    /// # Errors
    /// `NotFound(Entity::Test)`.
    async fn delete_test(
        &self,
        tenant: TenantId,
        test: crate::test_case::TestId,
    ) -> Result<(), RepositoryError>;

    /// Newest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_tests(
        &self,
        tenant: TenantId,
        filter: &TestFilter,
        page: PageRequest,
    ) -> Result<Page<crate::test_case::TestCase>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_transition(
        &self,
        tenant: TenantId,
        record: &crate::test_case::TransitionRecord,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_worklog(
        &self,
        tenant: TenantId,
        worklog: &crate::test_case::Worklog,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_comment(
        &self,
        tenant: TenantId,
        comment: &crate::test_case::Comment,
    ) -> Result<(), RepositoryError>;

    /// The test's transitions, worklogs and comments, oldest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn test_history(
        &self,
        tenant: TenantId,
        test: crate::test_case::TestId,
    ) -> Result<TestHistory, RepositoryError>;
}

/// Everything that happened to a test.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestHistory {
    pub transitions: Vec<crate::test_case::TransitionRecord>,
    pub worklogs: Vec<crate::test_case::Worklog>,
    pub comments: Vec<crate::test_case::Comment>,
}
