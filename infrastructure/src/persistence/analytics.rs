//! The analytics feeds' own reads: worklogs summed per person and team.

use std::collections::{BTreeMap, HashSet};

use async_trait::async_trait;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use aegis_domain::analytics::OperatorActivity;
use aegis_domain::ports::{AnalyticsRepository, RepositoryError};
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;
use aegis_domain::workflow::Team;

use super::error::{corrupt, unexpected};
use super::test_entities::worklog;
use super::{Connection, SeaStore};

#[async_trait]
impl<C: Connection> AnalyticsRepository for SeaStore<C> {
    async fn operator_activity(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<OperatorActivity>, RepositoryError> {
        // Summed here rather than in SQL: SUM and MIN/MAX of timestamps decode differently on
        // the two engines, and a tenant's worklogs are a few per test.
        let rows = worklog::Entity::find()
            .filter(worklog::Column::TenantId.eq(tenant.as_uuid()))
            .all(&self.read())
            .await
            .map_err(unexpected)?;
        let mut totals: BTreeMap<
            (uuid::Uuid, &'static str),
            (OperatorActivity, HashSet<uuid::Uuid>),
        > = BTreeMap::new();
        for row in rows {
            let team = match row.team.as_str() {
                "red" => Team::Red,
                "blue" => Team::Blue,
                other => return Err(corrupt("worklog team", other)),
            };
            let (total, tests) = totals
                .entry((row.actor_id, team.as_str()))
                .or_insert_with(|| {
                    (
                        OperatorActivity {
                            user_id: UserId::from_uuid(row.actor_id),
                            team,
                            tests: 0,
                            worklogs: 0,
                            seconds: 0,
                            first_started_at: row.started_at,
                            last_ended_at: row.ended_at,
                        },
                        HashSet::new(),
                    )
                });
            tests.insert(row.test_id);
            total.worklogs += 1;
            total.seconds += row.duration_seconds;
            total.first_started_at = total.first_started_at.min(row.started_at);
            total.last_ended_at = total.last_ended_at.max(row.ended_at);
        }
        Ok(totals
            .into_values()
            .map(|(mut total, tests)| {
                total.tests = tests.len() as u64;
                total
            })
            .collect())
    }
}
