//! In-memory analytics reads for use-case tests: the stored worklogs summed.

use std::collections::HashSet;

use aegis_domain::analytics::OperatorActivity;
use aegis_domain::ports::*;
use aegis_domain::tenant::TenantId;
use async_trait::async_trait;

use super::{Memory, Slot};

#[async_trait]
impl<S: Slot> AnalyticsRepository for Memory<S> {
    async fn operator_activity(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<OperatorActivity>, RepositoryError> {
        Ok(self.with(|s| {
            let tenant_tests: HashSet<_> = s
                .tests
                .iter()
                .filter(|t| t.tenant_id == tenant)
                .map(|t| t.id)
                .collect();
            let mut totals: Vec<(OperatorActivity, HashSet<_>)> = Vec::new();
            for log in s
                .history
                .iter()
                .filter(|(test, _)| tenant_tests.contains(test))
                .flat_map(|(_, history)| history.worklogs.iter())
            {
                let at = totals
                    .iter()
                    .position(|(t, _)| t.user_id == log.actor && t.team == log.team);
                let index = at.unwrap_or_else(|| {
                    totals.push((
                        OperatorActivity {
                            user_id: log.actor,
                            team: log.team,
                            tests: 0,
                            worklogs: 0,
                            seconds: 0,
                            first_started_at: log.started_at,
                            last_ended_at: log.ended_at,
                        },
                        HashSet::new(),
                    ));
                    totals.len() - 1
                });
                let (total, tests) = &mut totals[index];
                tests.insert(log.test_id);
                total.worklogs += 1;
                total.seconds += log.duration_seconds;
                total.first_started_at = total.first_started_at.min(log.started_at);
                total.last_ended_at = total.last_ended_at.max(log.ended_at);
            }
            totals
                .into_iter()
                .map(|(mut total, tests)| {
                    total.tests = tests.len() as u64;
                    total
                })
                .collect()
        }))
    }
}
