//! In-memory playbooks, versions and lessons for use-case tests; search matches words in
//! the titles and bodies of the tenant's active playbooks and lessons.

use aegis_domain::knowledge::{
    KnowledgeStats, Lesson, LessonFilter, LessonId, Playbook, PlaybookFilter, PlaybookId,
    PlaybookVersion, SearchHit, SearchKind, SearchQuery,
};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::*;
use aegis_domain::tenant::TenantId;
use async_trait::async_trait;

use super::{Memory, Slot, replace_versioned};

#[async_trait]
impl<S: Slot> KnowledgeRepository for Memory<S> {
    async fn insert_playbook(
        &self,
        _tenant: TenantId,
        playbook: &Playbook,
        first: &PlaybookVersion,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            s.playbooks.push(playbook.clone());
            s.playbook_versions.push(first.clone());
        });
        Ok(())
    }
    async fn update_playbook(
        &self,
        tenant: TenantId,
        playbook: &Playbook,
        expected: i32,
        version: Option<&PlaybookVersion>,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            replace_versioned(
                &mut s.playbooks,
                playbook,
                expected,
                |p| p.tenant_id == tenant && p.id == playbook.id,
                Playbook::version,
                Entity::Playbook,
            )?;
            s.playbook_versions.extend(version.cloned());
            Ok(())
        })
    }
    async fn find_playbook(
        &self,
        tenant: TenantId,
        id: PlaybookId,
    ) -> Result<Option<Playbook>, RepositoryError> {
        Ok(self.with(|s| {
            s.playbooks
                .iter()
                .find(|p| p.tenant_id == tenant && p.id == id)
                .cloned()
        }))
    }
    async fn list_playbooks(
        &self,
        tenant: TenantId,
        filter: &PlaybookFilter,
        page: PageRequest,
    ) -> Result<Page<Playbook>, RepositoryError> {
        let items: Vec<Playbook> = self.with(|s| {
            s.playbooks
                .iter()
                .filter(|p| p.tenant_id == tenant && (p.active || filter.include_inactive))
                .filter(|p| filter.kind.is_none_or(|k| p.content.kind == k))
                .cloned()
                .collect()
        });
        Ok(Page {
            total: items.len() as u64,
            items,
            request: page,
        })
    }
    async fn playbook_versions(
        &self,
        _tenant: TenantId,
        id: PlaybookId,
    ) -> Result<Vec<PlaybookVersion>, RepositoryError> {
        let mut versions: Vec<PlaybookVersion> = self.with(|s| {
            s.playbook_versions
                .iter()
                .filter(|v| v.playbook_id == id)
                .cloned()
                .collect()
        });
        versions.sort_by_key(|v| std::cmp::Reverse(v.number));
        Ok(versions)
    }
    async fn playbook_version(
        &self,
        _tenant: TenantId,
        id: PlaybookId,
        number: i32,
    ) -> Result<Option<PlaybookVersion>, RepositoryError> {
        Ok(self.with(|s| {
            s.playbook_versions
                .iter()
                .find(|v| v.playbook_id == id && v.number == number)
                .cloned()
        }))
    }
    async fn insert_lesson(
        &self,
        _tenant: TenantId,
        lesson: &Lesson,
    ) -> Result<(), RepositoryError> {
        self.with(|s| s.lessons.push(lesson.clone()));
        Ok(())
    }
    async fn find_lesson(
        &self,
        tenant: TenantId,
        id: LessonId,
    ) -> Result<Option<Lesson>, RepositoryError> {
        Ok(self.with(|s| {
            s.lessons
                .iter()
                .find(|l| l.tenant_id == tenant && l.id == id)
                .cloned()
        }))
    }
    async fn update_lesson(
        &self,
        tenant: TenantId,
        lesson: &Lesson,
        expected: i32,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            replace_versioned(
                &mut s.lessons,
                lesson,
                expected,
                |l| l.tenant_id == tenant && l.id == lesson.id,
                Lesson::version,
                Entity::Lesson,
            )
        })
    }
    async fn delete_lesson(&self, tenant: TenantId, id: LessonId) -> Result<(), RepositoryError> {
        self.with(|s| {
            let before = s.lessons.len();
            s.lessons.retain(|l| !(l.tenant_id == tenant && l.id == id));
            if s.lessons.len() == before {
                Err(RepositoryError::NotFound(Entity::Lesson))
            } else {
                Ok(())
            }
        })
    }
    async fn list_lessons(
        &self,
        tenant: TenantId,
        filter: &LessonFilter,
        page: PageRequest,
    ) -> Result<Page<Lesson>, RepositoryError> {
        let items: Vec<Lesson> = self.with(|s| {
            s.lessons
                .iter()
                .filter(|l| l.tenant_id == tenant)
                .filter(|l| filter.severity.is_none_or(|sev| l.severity == sev))
                .cloned()
                .collect()
        });
        Ok(Page {
            total: items.len() as u64,
            items,
            request: page,
        })
    }
    async fn knowledge_stats(&self, tenant: TenantId) -> Result<KnowledgeStats, RepositoryError> {
        Ok(self.with(|s| KnowledgeStats {
            playbooks: s
                .playbooks
                .iter()
                .filter(|p| p.tenant_id == tenant && p.active)
                .count() as u64,
            lessons: s.lessons.iter().filter(|l| l.tenant_id == tenant).count() as u64,
            ..KnowledgeStats::default()
        }))
    }
    async fn search(
        &self,
        tenant: TenantId,
        query: &SearchQuery,
    ) -> Result<Vec<SearchHit>, RepositoryError> {
        Ok(self.with(|s| {
            let playbooks = s
                .playbooks
                .iter()
                .filter(|p| p.tenant_id == tenant && p.active)
                .filter(|_| query.includes(SearchKind::Playbook))
                .filter(|p| query.matches(&format!("{} {}", p.content.title, p.content.body)))
                .map(|p| SearchHit {
                    kind: SearchKind::Playbook,
                    id: p.id.to_string(),
                    title: p.content.title.clone(),
                    snippet: p.content.body.clone(),
                    score: 1.0,
                });
            let lessons = s
                .lessons
                .iter()
                .filter(|l| l.tenant_id == tenant)
                .filter(|_| query.includes(SearchKind::Lesson))
                .filter(|l| query.matches(&format!("{} {}", l.title, l.body)))
                .map(|l| SearchHit {
                    kind: SearchKind::Lesson,
                    id: l.id.to_string(),
                    title: l.title.clone(),
                    snippet: l.body.clone(),
                    score: 1.0,
                });
            playbooks
                .chain(lessons)
                .take(usize::try_from(query.limit).unwrap_or(usize::MAX))
                .collect()
        }))
    }
}
