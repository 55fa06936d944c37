//! In-memory dashboard for use-case tests.

use aegis_domain::ports::*;
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Memory, Slot};

#[async_trait]
impl<S: Slot> MetricsRepository for Memory<S> {
    async fn test_facts(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<aegis_domain::metrics::TestFacts>, RepositoryError> {
        Ok(self.with(|s| {
            s.tests
                .iter()
                .filter(|t| t.tenant_id == tenant)
                .map(|t| aegis_domain::metrics::TestFacts {
                    technique_id: t.technique_id.clone(),
                    state: t.workflow().state(),
                    created_by: t.created_by,
                    created_at: t.created_at,
                    red_started_at: t.red_clock.started_at,
                    red_executed_at: t.red.executed_at,
                    blue_detected_at: t.blue.detected_at,
                    outcome: t.blue.outcome,
                    validated_at: t.validated_at,
                })
                .collect()
        }))
    }
    async fn workflow_actions_by_actor(
        &self,
        _tenant: TenantId,
        since: DateTime<Utc>,
    ) -> Result<Vec<(UserId, String, u64)>, RepositoryError> {
        Ok(self.with(|s| {
            s.history
                .iter()
                .flat_map(|(_, h)| h.transitions.iter())
                .filter(|t| t.occurred_at >= since)
                .map(|t| (t.actor, t.action.clone(), 1))
                .collect()
        }))
    }
    async fn recent_activity(
        &self,
        tenant: TenantId,
        limit: u64,
    ) -> Result<Vec<aegis_domain::metrics::ActivityItem>, RepositoryError> {
        Ok(self.with(|s| {
            let mut items: Vec<_> = s
                .history
                .iter()
                .flat_map(|(id, h)| h.transitions.iter().map(move |t| (*id, t)))
                .filter_map(|(id, t)| {
                    let test = s
                        .tests
                        .iter()
                        .find(|x| x.id == id && x.tenant_id == tenant)?;
                    Some(aegis_domain::metrics::ActivityItem {
                        test_id: id,
                        test_title: test.title.clone(),
                        technique_id: test.technique_id.clone(),
                        actor: t.actor,
                        action: t.action.clone(),
                        from: t.from.clone(),
                        to: t.to.clone(),
                        at: t.occurred_at,
                    })
                })
                .collect();
            items.sort_by_key(|item| std::cmp::Reverse(item.at));
            items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            items
        }))
    }
}
