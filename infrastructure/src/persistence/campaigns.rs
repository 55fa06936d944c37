//! Campaigns, and the dependencies between their tests.

use aegis_domain::ports::CampaignRepository;
use aegis_domain::ports::Entity;
use aegis_domain::ports::Subject;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};
use serde::{Deserialize, Serialize};

use aegis_domain::campaign::{
    Campaign, CampaignFilter, CampaignId, CampaignKind, CampaignStatus, Dependency, Phase,
    PhaseStatus, Recurrence,
};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::RepositoryError;
use aegis_domain::tenant::TenantId;
use aegis_domain::test_case::{TestCase, TestId, TransitionRecord};
use aegis_domain::user::UserId;

use super::error::{corrupt, ensure_tenant, on_write, unexpected};
use super::json_values::strings;
use super::test_entities::{test, transition};
use super::text_search::any_contains;
use super::versioned::{VersionedTable, find_in_tenant, update_versioned};

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod campaign {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "campaigns")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub name: String,
            pub description: String,
            pub objective: String,
            pub kind: String,
            pub status: String,
            pub starts_on: Option<Date>,
            pub ends_on: Option<Date>,
            pub phases: Json,
            pub recurrence: Option<String>,
            pub next_run_at: Option<DateTimeUtc>,
            pub threat_actor: Option<String>,
            pub predecessor_id: Option<Uuid>,
            pub run_number: i32,
            pub test_order: Json,
            pub version: i32,
            pub created_by: Option<Uuid>,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
            pub activated_at: Option<DateTimeUtc>,
            pub completed_at: Option<DateTimeUtc>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod dependency {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "test_dependencies")]
        pub struct Model {
            pub tenant_id: Uuid,
            #[sea_orm(primary_key, auto_increment = false)]
            pub test_id: Uuid,
            #[sea_orm(primary_key, auto_increment = false)]
            pub depends_on: Uuid,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::{campaign, dependency};

use async_trait::async_trait;

use super::read_models::Scope;
use super::{Connection, SeaStore};

/// A phase as stored in the `phases` JSON column.
#[derive(Serialize, Deserialize)]
struct StoredPhase {
    name: String,
    starts_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
    status: String,
}

fn to_domain(row: campaign::Model) -> Result<Campaign, RepositoryError> {
    let phases: Vec<StoredPhase> =
        serde_json::from_value(row.phases).map_err(|e| corrupt("campaign phases", e))?;
    let phases = phases
        .into_iter()
        .map(|p| {
            Ok(Phase {
                status: PhaseStatus::parse(&p.status)
                    .ok_or_else(|| corrupt("phase status", &p.status))?,
                name: p.name,
                starts_on: p.starts_on,
                ends_on: p.ends_on,
            })
        })
        .collect::<Result<_, RepositoryError>>()?;
    let test_order = strings(&row.test_order)
        .iter()
        .map(|id| TestId::parse(id).map_err(|e| corrupt("campaign test order", e)))
        .collect::<Result<_, _>>()?;
    let mut campaign = Campaign::draft(
        CampaignId::from_uuid(row.id),
        TenantId::from_uuid(row.tenant_id),
        row.name,
        CampaignKind::parse(&row.kind).ok_or_else(|| corrupt("campaign kind", &row.kind))?,
        row.created_by.map(UserId::from_uuid),
        row.created_at,
    )
    .restored(
        CampaignStatus::parse(&row.status)
            .ok_or_else(|| corrupt("campaign status", &row.status))?,
        row.version,
    );
    campaign.recurrence = row
        .recurrence
        .as_deref()
        .map(Recurrence::parse)
        .transpose()
        .map_err(|e| corrupt("campaign recurrence", e))?;
    campaign.description = row.description;
    campaign.objective = row.objective;
    campaign.starts_on = row.starts_on;
    campaign.ends_on = row.ends_on;
    campaign.phases = phases;
    campaign.next_run_at = row.next_run_at;
    campaign.threat_actor = row.threat_actor;
    campaign.predecessor_id = row.predecessor_id.map(CampaignId::from_uuid);
    campaign.run_number = row.run_number;
    campaign.test_order = test_order;
    campaign.updated_at = row.updated_at;
    campaign.activated_at = row.activated_at;
    campaign.completed_at = row.completed_at;
    Ok(campaign)
}

fn to_row(c: &Campaign) -> campaign::ActiveModel {
    let phases: Vec<StoredPhase> = c
        .phases
        .iter()
        .map(|p| StoredPhase {
            name: p.name.clone(),
            starts_on: p.starts_on,
            ends_on: p.ends_on,
            status: p.status.as_str().to_owned(),
        })
        .collect();
    campaign::ActiveModel {
        id: Set(c.id.as_uuid()),
        tenant_id: Set(c.tenant_id.as_uuid()),
        name: Set(c.name.clone()),
        description: Set(c.description.clone()),
        objective: Set(c.objective.clone()),
        kind: Set(c.kind.as_str().to_owned()),
        status: Set(c.status().as_str().to_owned()),
        starts_on: Set(c.starts_on),
        ends_on: Set(c.ends_on),
        phases: Set(serde_json::json!(phases)),
        recurrence: Set(c.recurrence.as_ref().map(Recurrence::describe)),
        next_run_at: Set(c.next_run_at),
        threat_actor: Set(c.threat_actor.clone()),
        predecessor_id: Set(c.predecessor_id.map(|id| id.as_uuid())),
        run_number: Set(c.run_number),
        test_order: Set(serde_json::json!(
            c.test_order
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        )),
        version: Set(c.version()),
        created_by: Set(c.created_by.map(|u| u.as_uuid())),
        created_at: Set(c.created_at),
        updated_at: Set(c.updated_at),
        activated_at: Set(c.activated_at),
        completed_at: Set(c.completed_at),
    }
}

pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    c: &Campaign,
) -> Result<(), RepositoryError> {
    ensure_tenant(c.tenant_id, tenant, "campaign")?;
    let subject = if c.predecessor_id.is_some() {
        Subject::Predecessor
    } else {
        Subject::Campaign
    };
    campaign::Entity::insert(to_row(c))
        .exec_without_returning(db)
        .await
        .map_err(on_write(subject))?;
    Ok(())
}

pub(crate) async fn find(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: CampaignId,
) -> Result<Option<Campaign>, RepositoryError> {
    find_in_tenant::<campaign::Entity>(db, tenant, id.as_uuid())
        .await?
        .map(to_domain)
        .transpose()
}

pub(crate) async fn update(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    c: &Campaign,
    expected_version: i32,
) -> Result<(), RepositoryError> {
    let mut row = to_row(c);
    row.id = NotSet;
    row.tenant_id = NotSet;
    row.created_at = NotSet;
    row.created_by = NotSet;
    update_versioned::<campaign::Entity, _>(db, tenant, c.id.as_uuid(), expected_version, row).await
}

pub(crate) async fn delete(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: CampaignId,
) -> Result<(), RepositoryError> {
    let tests = test_ids(db, tenant, id).await?;
    dependency::Entity::delete_many()
        .filter(dependency::Column::TenantId.eq(tenant.as_uuid()))
        .filter(dependency::Column::TestId.is_in(tests))
        .exec(db)
        .await
        .map_err(unexpected)?;
    test::Entity::update_many()
        .col_expr(
            test::Column::CampaignId,
            sea_orm::sea_query::Expr::value(Option::<uuid::Uuid>::None),
        )
        .filter(test::Column::TenantId.eq(tenant.as_uuid()))
        .filter(test::Column::CampaignId.eq(id.as_uuid()))
        .exec(db)
        .await
        .map_err(unexpected)?;
    let result = campaign::Entity::delete_many()
        .filter(campaign::Column::TenantId.eq(tenant.as_uuid()))
        .filter(campaign::Column::Id.eq(id.as_uuid()))
        .exec(db)
        .await
        .map_err(unexpected)?;
    if result.rows_affected == 0 {
        return Err(RepositoryError::NotFound(Entity::Campaign));
    }
    Ok(())
}

pub(crate) async fn list(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    filter: &CampaignFilter,
    page: PageRequest,
) -> Result<Page<Campaign>, RepositoryError> {
    let mut query =
        campaign::Entity::find().filter(campaign::Column::TenantId.eq(tenant.as_uuid()));
    if let Some(status) = filter.status {
        query = query.filter(campaign::Column::Status.eq(status.as_str()));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(campaign::Column::Kind.eq(kind.as_str()));
    }
    if let Some(text) = &filter.text {
        query = query.filter(any_contains(
            &[campaign::Column::Name, campaign::Column::Description],
            text,
        ));
    }
    let total = query.clone().count(db).await.map_err(unexpected)?;
    let items = query
        .order_by_desc(campaign::Column::CreatedAt)
        .order_by_desc(campaign::Column::Id)
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

pub(crate) async fn due(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    now: DateTime<Utc>,
) -> Result<Vec<Campaign>, RepositoryError> {
    campaign::Entity::find()
        .filter(campaign::Column::TenantId.eq(tenant.as_uuid()))
        .filter(campaign::Column::Recurrence.is_not_null())
        .filter(campaign::Column::NextRunAt.lte(now))
        .filter(campaign::Column::Status.ne(CampaignStatus::Archived.as_str()))
        .order_by_asc(campaign::Column::NextRunAt)
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(to_domain)
        .collect()
}

pub(crate) async fn successor(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: CampaignId,
) -> Result<Option<Campaign>, RepositoryError> {
    campaign::Entity::find()
        .filter(campaign::Column::TenantId.eq(tenant.as_uuid()))
        .filter(campaign::Column::PredecessorId.eq(id.as_uuid()))
        .one(db)
        .await
        .map_err(unexpected)?
        .map(to_domain)
        .transpose()
}

async fn test_ids(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: CampaignId,
) -> Result<Vec<uuid::Uuid>, RepositoryError> {
    test::Entity::find()
        .select_only()
        .column(test::Column::Id)
        .filter(test::Column::TenantId.eq(tenant.as_uuid()))
        .filter(test::Column::CampaignId.eq(id.as_uuid()))
        .into_tuple()
        .all(db)
        .await
        .map_err(unexpected)
}

pub(crate) async fn tests(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: CampaignId,
) -> Result<Vec<TestCase>, RepositoryError> {
    super::test_cases::matching(
        db,
        Condition::all()
            .add(test::Column::TenantId.eq(tenant.as_uuid()))
            .add(test::Column::CampaignId.eq(id.as_uuid())),
    )
    .await
}

pub(crate) async fn transitions(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: CampaignId,
) -> Result<Vec<TransitionRecord>, RepositoryError> {
    let of_campaign = test::Entity::find()
        .select_only()
        .column(test::Column::Id)
        .filter(test::Column::TenantId.eq(tenant.as_uuid()))
        .filter(test::Column::CampaignId.eq(id.as_uuid()))
        .into_query();
    Ok(transition::Entity::find()
        .filter(transition::Column::TenantId.eq(tenant.as_uuid()))
        .filter(transition::Column::TestId.in_subquery(of_campaign))
        .order_by_asc(transition::Column::OccurredAt)
        .order_by_asc(transition::Column::Id)
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(super::test_cases::transition_to_domain)
        .collect())
}

pub(crate) async fn dependencies(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: CampaignId,
) -> Result<Vec<Dependency>, RepositoryError> {
    let tests = test_ids(db, tenant, id).await?;
    Ok(dependency::Entity::find()
        .filter(dependency::Column::TenantId.eq(tenant.as_uuid()))
        .filter(dependency::Column::TestId.is_in(tests))
        .order_by_asc(dependency::Column::TestId)
        .order_by_asc(dependency::Column::DependsOn)
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(|row| Dependency {
            test: TestId::from_uuid(row.test_id),
            depends_on: TestId::from_uuid(row.depends_on),
        })
        .collect())
}

pub(crate) async fn replace_dependencies(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    test: TestId,
    depends_on: &[TestId],
) -> Result<(), RepositoryError> {
    dependency::Entity::delete_many()
        .filter(dependency::Column::TenantId.eq(tenant.as_uuid()))
        .filter(dependency::Column::TestId.eq(test.as_uuid()))
        .exec(db)
        .await
        .map_err(unexpected)?;
    if depends_on.is_empty() {
        return Ok(());
    }
    dependency::Entity::insert_many(depends_on.iter().map(|dep| dependency::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        test_id: Set(test.as_uuid()),
        depends_on: Set(dep.as_uuid()),
    }))
    .exec_without_returning(db)
    .await
    .map_err(on_write(Subject::Dependency))?;
    Ok(())
}

pub(crate) async fn drop_dependencies_of(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    test: TestId,
) -> Result<(), RepositoryError> {
    dependency::Entity::delete_many()
        .filter(dependency::Column::TenantId.eq(tenant.as_uuid()))
        .filter(
            Condition::any()
                .add(dependency::Column::TestId.eq(test.as_uuid()))
                .add(dependency::Column::DependsOn.eq(test.as_uuid())),
        )
        .exec(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

impl VersionedTable for campaign::Entity {
    const ENTITY: Entity = Entity::Campaign;
    fn tenant_column() -> Self::Column {
        campaign::Column::TenantId
    }
    fn id_column() -> Self::Column {
        campaign::Column::Id
    }
    fn version_column() -> Self::Column {
        campaign::Column::Version
    }
}

#[async_trait]
impl<C: Connection> CampaignRepository for SeaStore<C> {
    async fn insert_campaign(
        &self,
        tenant: TenantId,
        campaign: &Campaign,
    ) -> Result<(), RepositoryError> {
        let outcome = insert(self.conn(), tenant, campaign).await?;
        self.changed(Scope::Tenant(tenant)).await?;
        Ok(outcome)
    }
    async fn find_campaign(
        &self,
        tenant: TenantId,
        id: CampaignId,
    ) -> Result<Option<Campaign>, RepositoryError> {
        find(&self.read(), tenant, id).await
    }
    async fn update_campaign(
        &self,
        tenant: TenantId,
        campaign: &Campaign,
        expected_version: i32,
    ) -> Result<(), RepositoryError> {
        let outcome = update(self.conn(), tenant, campaign, expected_version).await?;
        self.changed(Scope::Tenant(tenant)).await?;
        Ok(outcome)
    }
    async fn delete_campaign(
        &self,
        tenant: TenantId,
        id: CampaignId,
    ) -> Result<(), RepositoryError> {
        let outcome = delete(self.conn(), tenant, id).await?;
        self.changed(Scope::Tenant(tenant)).await?;
        Ok(outcome)
    }
    async fn list_campaigns(
        &self,
        tenant: TenantId,
        filter: &CampaignFilter,
        page: PageRequest,
    ) -> Result<Page<Campaign>, RepositoryError> {
        list(&self.read(), tenant, filter, page).await
    }
    async fn due_campaigns(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Campaign>, RepositoryError> {
        due(self.conn(), tenant, now).await
    }
    async fn successor_of(
        &self,
        tenant: TenantId,
        id: CampaignId,
    ) -> Result<Option<Campaign>, RepositoryError> {
        successor(self.conn(), tenant, id).await
    }
    async fn tests_of_campaign(
        &self,
        tenant: TenantId,
        id: CampaignId,
    ) -> Result<Vec<TestCase>, RepositoryError> {
        tests(&self.read(), tenant, id).await
    }
    async fn transitions_of_campaign(
        &self,
        tenant: TenantId,
        id: CampaignId,
    ) -> Result<Vec<TransitionRecord>, RepositoryError> {
        transitions(self.conn(), tenant, id).await
    }
    async fn dependencies_in_campaign(
        &self,
        tenant: TenantId,
        id: CampaignId,
    ) -> Result<Vec<Dependency>, RepositoryError> {
        dependencies(self.conn(), tenant, id).await
    }
    async fn replace_dependencies(
        &self,
        tenant: TenantId,
        test: TestId,
        depends_on: &[TestId],
    ) -> Result<(), RepositoryError> {
        replace_dependencies(self.conn(), tenant, test, depends_on).await
    }
    async fn drop_dependencies_of(
        &self,
        tenant: TenantId,
        test: TestId,
    ) -> Result<(), RepositoryError> {
        drop_dependencies_of(self.conn(), tenant, test).await
    }
}
