//! Aggregates for dashboards: a few columns of every test, workflow actions by actor, and
//! the newest workflow steps.

use aegis_domain::ports::MetricsRepository;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use aegis_domain::catalog::TechniqueId;
use aegis_domain::metrics::{ActivityItem, TestFacts};
use aegis_domain::ports::RepositoryError;
use aegis_domain::tenant::TenantId;
use aegis_domain::test_case::{Outcome, TestId};
use aegis_domain::user::UserId;
use aegis_domain::workflow::TestState;

use super::error::{corrupt, unexpected};
use super::test_entities::{test, transition};

use async_trait::async_trait;

use super::{Connection, SeaStore};

type FactRow = (
    String,
    String,
    uuid::Uuid,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<String>,
    Option<DateTime<Utc>>,
);

pub(crate) async fn test_facts(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Vec<TestFacts>, RepositoryError> {
    let rows: Vec<FactRow> = test::Entity::find()
        .select_only()
        .columns([
            test::Column::TechniqueId,
            test::Column::State,
            test::Column::CreatedBy,
            test::Column::CreatedAt,
            test::Column::RedStartedAt,
            test::Column::RedExecutedAt,
            test::Column::BlueDetectedAt,
            test::Column::BlueOutcome,
            test::Column::ValidatedAt,
        ])
        .filter(test::Column::TenantId.eq(tenant.as_uuid()))
        .into_tuple()
        .all(db)
        .await
        .map_err(unexpected)?;
    rows.into_iter()
        .map(
            |(
                technique,
                state,
                created_by,
                created_at,
                started,
                executed,
                detected,
                outcome,
                validated,
            )| {
                Ok(TestFacts {
                    technique_id: TechniqueId::parse(&technique)
                        .map_err(|e| corrupt("technique id", e))?,
                    state: state
                        .parse::<TestState>()
                        .map_err(|e| corrupt("test state", e))?,
                    created_by: UserId::from_uuid(created_by),
                    created_at,
                    red_started_at: started,
                    red_executed_at: executed,
                    blue_detected_at: detected,
                    outcome: outcome
                        .as_deref()
                        .map(|o| Outcome::parse(o).ok_or_else(|| corrupt("outcome", o)))
                        .transpose()?,
                    validated_at: validated,
                })
            },
        )
        .collect()
}

pub(crate) async fn actions_by_actor(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    since: DateTime<Utc>,
) -> Result<Vec<(UserId, String, u64)>, RepositoryError> {
    let rows: Vec<(uuid::Uuid, String, i64)> = transition::Entity::find()
        .select_only()
        .column(transition::Column::ActorId)
        .column(transition::Column::Action)
        .column_as(transition::Column::Id.count(), "actions")
        .filter(transition::Column::TenantId.eq(tenant.as_uuid()))
        .filter(transition::Column::OccurredAt.gte(since))
        .group_by(transition::Column::ActorId)
        .group_by(transition::Column::Action)
        .into_tuple()
        .all(db)
        .await
        .map_err(unexpected)?;
    Ok(rows
        .into_iter()
        .map(|(actor, action, count)| {
            (
                UserId::from_uuid(actor),
                action,
                u64::try_from(count).unwrap_or_default(),
            )
        })
        .collect())
}

pub(crate) async fn recent_activity(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    limit: u64,
) -> Result<Vec<ActivityItem>, RepositoryError> {
    let steps = transition::Entity::find()
        .filter(transition::Column::TenantId.eq(tenant.as_uuid()))
        .order_by_desc(transition::Column::OccurredAt)
        .order_by_desc(transition::Column::Id)
        .limit(limit)
        .all(db)
        .await
        .map_err(unexpected)?;
    let ids: Vec<uuid::Uuid> = steps.iter().map(|s| s.test_id).collect();
    let tests: HashMap<uuid::Uuid, (String, String)> = test::Entity::find()
        .select_only()
        .columns([
            test::Column::Id,
            test::Column::Title,
            test::Column::TechniqueId,
        ])
        .filter(test::Column::TenantId.eq(tenant.as_uuid()))
        .filter(test::Column::Id.is_in(ids))
        .into_tuple::<(uuid::Uuid, String, String)>()
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(|(id, title, technique)| (id, (title, technique)))
        .collect();
    steps
        .into_iter()
        // A deleted test's steps go with it.
        .filter_map(|step| {
            let (title, technique) = tests.get(&step.test_id)?.clone();
            Some((step, title, technique))
        })
        .map(|(step, title, technique)| {
            Ok(ActivityItem {
                test_id: TestId::from_uuid(step.test_id),
                test_title: title,
                technique_id: TechniqueId::parse(&technique)
                    .map_err(|e| corrupt("technique id", e))?,
                actor: UserId::from_uuid(step.actor_id),
                action: step.action,
                from: step.from_state,
                to: step.to_state,
                at: step.occurred_at,
            })
        })
        .collect()
}

#[async_trait]
impl<C: Connection> MetricsRepository for SeaStore<C> {
    async fn test_facts(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<aegis_domain::metrics::TestFacts>, RepositoryError> {
        test_facts(&self.read(), tenant).await
    }
    async fn workflow_actions_by_actor(
        &self,
        tenant: TenantId,
        since: DateTime<Utc>,
    ) -> Result<Vec<(UserId, String, u64)>, RepositoryError> {
        actions_by_actor(&self.read(), tenant, since).await
    }
    async fn recent_activity(
        &self,
        tenant: TenantId,
        limit: u64,
    ) -> Result<Vec<aegis_domain::metrics::ActivityItem>, RepositoryError> {
        recent_activity(&self.read(), tenant, limit).await
    }
}
