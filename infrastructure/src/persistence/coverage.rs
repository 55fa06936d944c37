//! Stored coverage scores per organization and technique.

use aegis_domain::ports::CoverageRepository;
use aegis_domain::test_case::TestCase;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use aegis_domain::catalog::TechniqueId;
use aegis_domain::ports::RepositoryError;
use aegis_domain::scoring::{Breakdown, CoverageStatus, StoredScore, TechniqueScore};
use aegis_domain::tenant::TenantId;

use super::error::{corrupt, unexpected};

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod technique_score {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "technique_scores")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub tenant_id: Uuid,
            #[sea_orm(primary_key, auto_increment = false)]
            pub technique_id: String,
            pub status: String,
            pub score: f64,
            pub breakdown: Json,
            pub validated_tests: i32,
            pub open_tests: i32,
            pub last_validated_at: Option<DateTimeUtc>,
            pub computed_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::technique_score;

use async_trait::async_trait;

use super::read_models::Scope;
use super::{Connection, SeaStore};

fn to_domain(row: technique_score::Model) -> Result<StoredScore, RepositoryError> {
    Ok(StoredScore {
        technique_id: TechniqueId::parse(&row.technique_id)
            .map_err(|e| corrupt("technique id", e))?,
        score: TechniqueScore {
            status: CoverageStatus::parse(&row.status)
                .ok_or_else(|| corrupt("coverage status", &row.status))?,
            score: row.score,
            breakdown: serde_json::from_value::<Breakdown>(row.breakdown)
                .map_err(|e| corrupt("score breakdown", e))?,
            validated_tests: u32::try_from(row.validated_tests).unwrap_or_default(),
            last_validated_at: row.last_validated_at,
        },
        open_tests: u32::try_from(row.open_tests).unwrap_or_default(),
        computed_at: row.computed_at,
    })
}

pub(crate) async fn save(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    stored: &StoredScore,
) -> Result<(), RepositoryError> {
    let score = &stored.score;
    let row = technique_score::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        technique_id: Set(stored.technique_id.to_string()),
        status: Set(score.status.as_str().to_owned()),
        score: Set(score.score),
        breakdown: Set(serde_json::json!(score.breakdown)),
        validated_tests: Set(i32::try_from(score.validated_tests).unwrap_or(i32::MAX)),
        open_tests: Set(i32::try_from(stored.open_tests).unwrap_or(i32::MAX)),
        last_validated_at: Set(score.last_validated_at),
        computed_at: Set(stored.computed_at),
    };
    technique_score::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                technique_score::Column::TenantId,
                technique_score::Column::TechniqueId,
            ])
            .update_columns([
                technique_score::Column::Status,
                technique_score::Column::Score,
                technique_score::Column::Breakdown,
                technique_score::Column::ValidatedTests,
                technique_score::Column::OpenTests,
                technique_score::Column::LastValidatedAt,
                technique_score::Column::ComputedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

pub(crate) async fn find(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    technique: &TechniqueId,
) -> Result<Option<StoredScore>, RepositoryError> {
    technique_score::Entity::find()
        .filter(technique_score::Column::TenantId.eq(tenant.as_uuid()))
        .filter(technique_score::Column::TechniqueId.eq(technique.as_str()))
        .one(db)
        .await
        .map_err(unexpected)?
        .map(to_domain)
        .transpose()
}

pub(crate) async fn all(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Vec<StoredScore>, RepositoryError> {
    technique_score::Entity::find()
        .filter(technique_score::Column::TenantId.eq(tenant.as_uuid()))
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(to_domain)
        .collect()
}

#[async_trait]
impl<C: Connection> CoverageRepository for SeaStore<C> {
    async fn tests_of_technique(
        &self,
        tenant: TenantId,
        technique: &TechniqueId,
    ) -> Result<Vec<TestCase>, RepositoryError> {
        super::test_cases::of_technique(self.conn(), tenant, technique).await
    }
    async fn save_technique_score(
        &self,
        tenant: TenantId,
        score: &StoredScore,
    ) -> Result<(), RepositoryError> {
        let outcome = save(self.conn(), tenant, score).await?;
        self.changed(Scope::Tenant(tenant)).await?;
        Ok(outcome)
    }
    async fn technique_score(
        &self,
        tenant: TenantId,
        technique: &TechniqueId,
    ) -> Result<Option<StoredScore>, RepositoryError> {
        find(&self.read(), tenant, technique).await
    }
    async fn technique_scores(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<StoredScore>, RepositoryError> {
        all(&self.read(), tenant).await
    }
    async fn detection_rules_of(
        &self,
        technique: &str,
    ) -> Result<Vec<aegis_domain::detection::RuleSummary>, RepositoryError> {
        super::rules::for_technique(self.conn(), technique).await
    }
    async fn countermeasure_count(&self, technique: &str) -> Result<u32, RepositoryError> {
        super::countermeasures::count_for_technique(&self.read(), technique).await
    }
    async fn detection_proof(
        &self,
        tenant: TenantId,
        technique: &TechniqueId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<aegis_domain::scoring::DetectionProof, RepositoryError> {
        super::detection_lifecycle::proof_of(self.conn(), tenant, technique, now).await
    }
}
