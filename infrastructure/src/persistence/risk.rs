//! Stored risk per organization and technique, and the aggregates assessing it reads: the
//! validated tests' outcomes and times, and the recent intelligence naming each technique.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};

use aegis_domain::catalog::TechniqueId;
use aegis_domain::ports::{RepositoryError, RiskRepository};
use aegis_domain::risk::{RiskInputs, RiskLevel, TechniqueRisk, ValidatedObservation};
use aegis_domain::tenant::TenantId;
use aegis_domain::test_case::Outcome;

use super::error::{corrupt, unexpected};
use super::osint::entities::{osint_item, osint_item_technique};
use super::read_models::Scope;
use super::test_entities::test;
use super::{Connection, SeaStore};

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod technique_risk {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "technique_risks")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub tenant_id: Uuid,
            #[sea_orm(primary_key, auto_increment = false)]
            pub technique_id: String,
            pub score: f64,
            pub level: String,
            pub likelihood: i16,
            pub impact: i16,
            pub breakdown: Json,
            pub inputs: Json,
            pub computed_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::technique_risk;

/// Rows per insert: well under SQLite's bound on variables per statement.
const CHUNK: usize = 500;

fn to_row(tenant: TenantId, risk: &TechniqueRisk) -> technique_risk::ActiveModel {
    technique_risk::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        technique_id: Set(risk.technique_id.to_string()),
        score: Set(risk.score),
        level: Set(risk.level.as_str().to_owned()),
        likelihood: Set(i16::from(risk.likelihood)),
        impact: Set(i16::from(risk.impact)),
        breakdown: Set(serde_json::json!(risk.breakdown)),
        inputs: Set(serde_json::json!(risk.inputs)),
        computed_at: Set(risk.computed_at),
    }
}

fn to_domain(row: technique_risk::Model) -> Result<TechniqueRisk, RepositoryError> {
    let band = |value: i16, what: &str| {
        u8::try_from(value)
            .ok()
            .filter(|v| (1..=5).contains(v))
            .ok_or_else(|| corrupt(what, value))
    };
    Ok(TechniqueRisk {
        technique_id: TechniqueId::parse(&row.technique_id)
            .map_err(|e| corrupt("technique id", e))?,
        score: row.score,
        level: RiskLevel::parse(&row.level).ok_or_else(|| corrupt("risk level", &row.level))?,
        likelihood: band(row.likelihood, "likelihood")?,
        impact: band(row.impact, "impact")?,
        breakdown: serde_json::from_value(row.breakdown)
            .map_err(|e| corrupt("risk breakdown", e))?,
        inputs: serde_json::from_value::<RiskInputs>(row.inputs)
            .map_err(|e| corrupt("risk inputs", e))?,
        computed_at: row.computed_at,
    })
}

async fn insert(
    db: &impl ConnectionTrait,
    rows: Vec<technique_risk::ActiveModel>,
) -> Result<(), RepositoryError> {
    if rows.is_empty() {
        return Ok(());
    }
    technique_risk::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                technique_risk::Column::TenantId,
                technique_risk::Column::TechniqueId,
            ])
            .update_columns([
                technique_risk::Column::Score,
                technique_risk::Column::Level,
                technique_risk::Column::Likelihood,
                technique_risk::Column::Impact,
                technique_risk::Column::Breakdown,
                technique_risk::Column::Inputs,
                technique_risk::Column::ComputedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

#[async_trait]
impl<C: Connection> RiskRepository for SeaStore<C> {
    async fn validated_observations(
        &self,
        tenant: TenantId,
        technique: Option<&TechniqueId>,
    ) -> Result<Vec<ValidatedObservation>, RepositoryError> {
        let mut query = test::Entity::find()
            .select_only()
            .column(test::Column::TechniqueId)
            .column(test::Column::BlueOutcome)
            .column(test::Column::RedExecutedAt)
            .column(test::Column::BlueDetectedAt)
            .filter(test::Column::TenantId.eq(tenant.as_uuid()))
            .filter(test::Column::State.eq("validated"));
        if let Some(technique) = technique {
            query = query.filter(test::Column::TechniqueId.eq(technique.as_str()));
        }
        let rows: Vec<(
            String,
            Option<String>,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
        )> = query
            .into_tuple()
            .all(self.conn())
            .await
            .map_err(unexpected)?;
        let mut observations = Vec::with_capacity(rows.len());
        for (technique_id, outcome, executed_at, detected_at) in rows {
            // A validated test always carries an outcome; one without is not an observation.
            let Some(outcome) = outcome.as_deref().and_then(Outcome::parse) else {
                continue;
            };
            observations.push(ValidatedObservation {
                technique_id: TechniqueId::parse(&technique_id)
                    .map_err(|e| corrupt("technique id", e))?,
                outcome,
                executed_at,
                detected_at,
            });
        }
        Ok(observations)
    }

    async fn intelligence_signals(
        &self,
        since: DateTime<Utc>,
        technique: Option<&TechniqueId>,
    ) -> Result<HashMap<String, u32>, RepositoryError> {
        let mut query = osint_item_technique::Entity::find()
            .select_only()
            .column(osint_item_technique::Column::TechniqueId)
            .column_as(osint_item_technique::Column::ItemId.count(), "signals")
            .inner_join(osint_item::Entity)
            .filter(osint_item::Column::PublishedAt.gte(since))
            .group_by(osint_item_technique::Column::TechniqueId);
        if let Some(technique) = technique {
            query = query.filter(osint_item_technique::Column::TechniqueId.eq(technique.as_str()));
        }
        let rows: Vec<(String, i64)> = query
            .into_tuple()
            .all(self.conn())
            .await
            .map_err(unexpected)?;
        Ok(rows
            .into_iter()
            .map(|(id, n)| (id, u32::try_from(n).unwrap_or(u32::MAX)))
            .collect())
    }

    async fn replace_risks(
        &self,
        tenant: TenantId,
        risks: &[TechniqueRisk],
    ) -> Result<(), RepositoryError> {
        technique_risk::Entity::delete_many()
            .filter(technique_risk::Column::TenantId.eq(tenant.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(unexpected)?;
        for chunk in risks.chunks(CHUNK) {
            insert(
                self.conn(),
                chunk.iter().map(|risk| to_row(tenant, risk)).collect(),
            )
            .await?;
        }
        // The technique detail and the heatmap carry the risk: their cached copies are stale.
        self.changed(Scope::Tenant(tenant)).await
    }

    async fn save_risk(
        &self,
        tenant: TenantId,
        risk: &TechniqueRisk,
    ) -> Result<(), RepositoryError> {
        insert(self.conn(), vec![to_row(tenant, risk)]).await?;
        self.changed(Scope::Tenant(tenant)).await
    }

    async fn risks(&self, tenant: TenantId) -> Result<Vec<TechniqueRisk>, RepositoryError> {
        technique_risk::Entity::find()
            .filter(technique_risk::Column::TenantId.eq(tenant.as_uuid()))
            .all(self.conn())
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(to_domain)
            .collect()
    }

    async fn risk_of(
        &self,
        tenant: TenantId,
        technique: &TechniqueId,
    ) -> Result<Option<TechniqueRisk>, RepositoryError> {
        technique_risk::Entity::find()
            .filter(technique_risk::Column::TenantId.eq(tenant.as_uuid()))
            .filter(technique_risk::Column::TechniqueId.eq(technique.as_str()))
            .one(self.conn())
            .await
            .map_err(unexpected)?
            .map(to_domain)
            .transpose()
    }
}
