//! Posture snapshots.

use aegis_domain::ports::SnapshotRepository;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::RepositoryError;
use aegis_domain::snapshot::{PostureSnapshot, TacticPosture};
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;

use super::error::{corrupt, unexpected};

pub(crate) mod entity {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "posture_snapshots")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tenant_id: Uuid,
        pub taken_at: DateTimeUtc,
        pub taken_by: Option<Uuid>,
        pub organization_score: Option<f64>,
        pub threat_weighted_score: Option<f64>,
        pub total_techniques: i32,
        pub covered_techniques: i32,
        pub validated_tests: i32,
        pub status_counts: Json,
        pub by_tactic: Json,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity, Model};

use async_trait::async_trait;

use super::read_models::Scope;
use super::{Connection, SeaStore};

fn count(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

fn to_domain(row: Model) -> Result<PostureSnapshot, RepositoryError> {
    Ok(PostureSnapshot {
        id: row.id,
        tenant_id: TenantId::from_uuid(row.tenant_id),
        taken_at: row.taken_at,
        taken_by: row.taken_by.map(UserId::from_uuid),
        organization_score: row.organization_score,
        threat_weighted_score: row.threat_weighted_score,
        total_techniques: u32::try_from(row.total_techniques).unwrap_or_default(),
        covered_techniques: u32::try_from(row.covered_techniques).unwrap_or_default(),
        validated_tests: u32::try_from(row.validated_tests).unwrap_or_default(),
        status_counts: serde_json::from_value::<BTreeMap<String, u32>>(row.status_counts)
            .map_err(|e| corrupt("snapshot status counts", e))?,
        by_tactic: serde_json::from_value::<Vec<TacticPosture>>(row.by_tactic)
            .map_err(|e| corrupt("snapshot tactics", e))?,
    })
}

pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    snapshot: &PostureSnapshot,
) -> Result<(), RepositoryError> {
    let row = ActiveModel {
        id: Set(snapshot.id),
        tenant_id: Set(snapshot.tenant_id.as_uuid()),
        taken_at: Set(snapshot.taken_at),
        taken_by: Set(snapshot.taken_by.map(|u| u.as_uuid())),
        organization_score: Set(snapshot.organization_score),
        threat_weighted_score: Set(snapshot.threat_weighted_score),
        total_techniques: Set(count(snapshot.total_techniques)),
        covered_techniques: Set(count(snapshot.covered_techniques)),
        validated_tests: Set(count(snapshot.validated_tests)),
        status_counts: Set(serde_json::to_value(&snapshot.status_counts).unwrap_or_default()),
        by_tactic: Set(serde_json::to_value(&snapshot.by_tactic).unwrap_or_default()),
    };
    Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

pub(crate) async fn list(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    page: PageRequest,
) -> Result<Page<PostureSnapshot>, RepositoryError> {
    let mut query = Entity::find().filter(Column::TenantId.eq(tenant.as_uuid()));
    if let Some(from) = from {
        query = query.filter(Column::TakenAt.gte(from));
    }
    if let Some(to) = to {
        query = query.filter(Column::TakenAt.lte(to));
    }
    let total = query.clone().count(db).await.map_err(unexpected)?;
    let items = query
        .order_by_desc(Column::TakenAt)
        .order_by_desc(Column::Id)
        .offset(page.offset())
        .limit(page.per_page())
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(to_domain)
        .collect::<Result<_, _>>()?;
    Ok(Page {
        items,
        total,
        request: page,
    })
}

pub(crate) async fn find(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: uuid::Uuid,
) -> Result<Option<PostureSnapshot>, RepositoryError> {
    Entity::find_by_id(id)
        .filter(Column::TenantId.eq(tenant.as_uuid()))
        .one(db)
        .await
        .map_err(unexpected)?
        .map(to_domain)
        .transpose()
}

pub(crate) async fn delete(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: uuid::Uuid,
) -> Result<bool, RepositoryError> {
    Ok(Entity::delete_many()
        .filter(Column::Id.eq(id))
        .filter(Column::TenantId.eq(tenant.as_uuid()))
        .exec(db)
        .await
        .map_err(unexpected)?
        .rows_affected
        > 0)
}

#[async_trait]
impl<C: Connection> SnapshotRepository for SeaStore<C> {
    async fn insert_snapshot(&self, snapshot: &PostureSnapshot) -> Result<(), RepositoryError> {
        let outcome = insert(self.conn(), snapshot).await?;
        self.changed(Scope::Tenant(snapshot.tenant_id)).await?;
        Ok(outcome)
    }
    async fn list_snapshots(
        &self,
        tenant: TenantId,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        page: PageRequest,
    ) -> Result<Page<PostureSnapshot>, RepositoryError> {
        list(&self.read(), tenant, from, to, page).await
    }
    async fn find_snapshot(
        &self,
        tenant: TenantId,
        id: uuid::Uuid,
    ) -> Result<Option<PostureSnapshot>, RepositoryError> {
        find(&self.read(), tenant, id).await
    }
    async fn delete_snapshot(
        &self,
        tenant: TenantId,
        id: uuid::Uuid,
    ) -> Result<bool, RepositoryError> {
        let outcome = delete(self.conn(), tenant, id).await?;
        self.changed(Scope::Tenant(tenant)).await?;
        Ok(outcome)
    }
}
