//! In-memory test cases for use-case tests.

use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::*;
use aegis_domain::tenant::TenantId;
use async_trait::async_trait;

use super::{Memory, Slot, State, replace_versioned};

#[async_trait]
impl<S: Slot> TestRepository for Memory<S> {
    async fn insert_test(
        &self,
        _tenant: TenantId,
        test: &aegis_domain::test_case::TestCase,
    ) -> Result<(), RepositoryError> {
        self.with(|s| s.tests.push(test.clone()));
        Ok(())
    }
    async fn find_test(
        &self,
        tenant: TenantId,
        id: aegis_domain::test_case::TestId,
    ) -> Result<Option<aegis_domain::test_case::TestCase>, RepositoryError> {
        Ok(self.with(|s| {
            s.tests
                .iter()
                .find(|t| t.tenant_id == tenant && t.id == id)
                .cloned()
        }))
    }
    async fn update_test(
        &self,
        tenant: TenantId,
        test: &aegis_domain::test_case::TestCase,
        expected: i32,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            replace_versioned(
                &mut s.tests,
                test,
                expected,
                |stored| stored.tenant_id == tenant && stored.id == test.id,
                |stored| stored.version(),
                Entity::Test,
            )
        })
    }
    async fn delete_test(
        &self,
        tenant: TenantId,
        id: aegis_domain::test_case::TestId,
    ) -> Result<(), RepositoryError> {
        self.with(|s| s.tests.retain(|t| !(t.tenant_id == tenant && t.id == id)));
        Ok(())
    }
    async fn list_tests(
        &self,
        tenant: TenantId,
        _filter: &TestFilter,
        page: PageRequest,
    ) -> Result<Page<aegis_domain::test_case::TestCase>, RepositoryError> {
        let items: Vec<_> = self.with(|s| {
            s.tests
                .iter()
                .filter(|t| t.tenant_id == tenant)
                .cloned()
                .collect()
        });
        Ok(Page {
            total: items.len() as u64,
            items,
            request: page,
        })
    }
    async fn insert_transition(
        &self,
        _tenant: TenantId,
        record: &aegis_domain::test_case::TransitionRecord,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            history_of(s, record.test_id)
                .transitions
                .push(record.clone())
        });
        Ok(())
    }
    async fn insert_worklog(
        &self,
        _tenant: TenantId,
        worklog: &aegis_domain::test_case::Worklog,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            history_of(s, worklog.test_id)
                .worklogs
                .push(worklog.clone())
        });
        Ok(())
    }
    async fn insert_comment(
        &self,
        _tenant: TenantId,
        comment: &aegis_domain::test_case::Comment,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            history_of(s, comment.test_id)
                .comments
                .push(comment.clone())
        });
        Ok(())
    }
    async fn test_history(
        &self,
        _tenant: TenantId,
        id: aegis_domain::test_case::TestId,
    ) -> Result<TestHistory, RepositoryError> {
        Ok(self.with(|s| history_of(s, id).clone()))
    }
}

fn history_of(state: &mut State, test: aegis_domain::test_case::TestId) -> &mut TestHistory {
    if let Some(index) = state.history.iter().position(|(id, _)| *id == test) {
        return &mut state.history[index].1;
    }
    state.history.push((test, TestHistory::default()));
    let last = state.history.len() - 1;
    &mut state.history[last].1
}
