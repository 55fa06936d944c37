//! Playbooks with their versions, lessons learned, and the full-text search.

use super::RepositoryError;
use crate::knowledge::{
    KnowledgeStats, Lesson, LessonFilter, LessonId, Playbook, PlaybookFilter, PlaybookId,
    PlaybookVersion, SearchHit, SearchQuery,
};
use crate::page::{Page, PageRequest};
use crate::tenant::TenantId;

#[async_trait::async_trait]
pub trait KnowledgeRepository: Send + Sync {
    /// Stores a new playbook with its first version.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_playbook(
        &self,
        tenant: TenantId,
        playbook: &Playbook,
        first: &PlaybookVersion,
    ) -> Result<(), RepositoryError>;

    /// Stores `playbook` if the stored version is still `expected_version`, and keeps
    /// `version` (when given) beside the earlier ones.
    ///
    /// # Errors
    /// `StaleVersion { current }`; `NotFound(Entity::Playbook)`.
    async fn update_playbook(
        &self,
        tenant: TenantId,
        playbook: &Playbook,
        expected_version: i32,
        version: Option<&PlaybookVersion>,
    ) -> Result<(), RepositoryError>;

    /// Active or not.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_playbook(
        &self,
        tenant: TenantId,
        id: PlaybookId,
    ) -> Result<Option<Playbook>, RepositoryError>;

    /// By technique, then kind, then title.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_playbooks(
        &self,
        tenant: TenantId,
        filter: &PlaybookFilter,
        page: PageRequest,
    ) -> Result<Page<Playbook>, RepositoryError>;

    /// Newest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn playbook_versions(
        &self,
        tenant: TenantId,
        id: PlaybookId,
    ) -> Result<Vec<PlaybookVersion>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn playbook_version(
        &self,
        tenant: TenantId,
        id: PlaybookId,
        number: i32,
    ) -> Result<Option<PlaybookVersion>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_lesson(&self, tenant: TenantId, lesson: &Lesson)
    -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_lesson(
        &self,
        tenant: TenantId,
        id: LessonId,
    ) -> Result<Option<Lesson>, RepositoryError>;

    /// # Errors
    /// `StaleVersion { current }`; `NotFound(Entity::Lesson)`.
    async fn update_lesson(
        &self,
        tenant: TenantId,
        lesson: &Lesson,
        expected_version: i32,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `NotFound(Entity::Lesson)`.
    async fn delete_lesson(&self, tenant: TenantId, id: LessonId) -> Result<(), RepositoryError>;

    /// Newest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_lessons(
        &self,
        tenant: TenantId,
        filter: &LessonFilter,
        page: PageRequest,
    ) -> Result<Page<Lesson>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn knowledge_stats(&self, tenant: TenantId) -> Result<KnowledgeStats, RepositoryError>;

    /// Full-text search over the global catalog (techniques, rules, templates) and the
    /// tenant's tests, active playbooks and lessons: best first, at most `query.limit` hits.
    /// The full-text indexes are kept current by the database (triggers on SQLite, expression
    /// indexes on PostgreSQL), so a committed write is found by the next search.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn search(
        &self,
        tenant: TenantId,
        query: &SearchQuery,
    ) -> Result<Vec<SearchHit>, RepositoryError>;
}
