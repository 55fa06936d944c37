//! Findings with their remediation steps (a JSON list, always read and written whole with
//! the finding it belongs to).

use aegis_domain::ports::Entity;
use aegis_domain::ports::FindingRepository;
use aegis_domain::ports::Subject;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};

use aegis_domain::catalog::TechniqueId;
use aegis_domain::finding::{
    Finding, FindingFilter, FindingId, FindingStatus, RemediationStep, RiskAcceptance, Severity,
    StepStatus,
};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::RepositoryError;
use aegis_domain::tenant::TenantId;
use aegis_domain::test_case::{Outcome, TestId};
use aegis_domain::user::UserId;

use super::error::{corrupt, ensure_tenant, on_write, unexpected};
use super::versioned::{VersionedTable, find_in_tenant, update_versioned};

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod finding {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "findings")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub test_id: Uuid,
            pub technique_id: String,
            pub campaign_id: Option<Uuid>,
            pub title: String,
            pub outcome: String,
            pub severity: String,
            /// Severity as a number, so lists sort most severe first.
            pub severity_rank: i16,
            pub status: String,
            pub owner_id: Option<Uuid>,
            pub due_on: Option<Date>,
            pub steps: Json,
            pub risk_reason: Option<String>,
            pub risk_expires_on: Option<Date>,
            pub risk_accepted_by: Option<Uuid>,
            pub retest_id: Option<Uuid>,
            pub last_retest_outcome: Option<String>,
            pub resolved_at: Option<DateTimeUtc>,
            pub version: i32,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::finding;

use async_trait::async_trait;

use super::{Connection, SeaStore};

/// A step as stored in the `steps` JSON column.
#[derive(Serialize, Deserialize)]
struct StoredStep {
    id: uuid::Uuid,
    title: String,
    assignee: Option<uuid::Uuid>,
    status: String,
    notes: String,
    updated_at: DateTime<Utc>,
}

fn outcome(text: &str) -> Result<Outcome, RepositoryError> {
    Outcome::parse(text).ok_or_else(|| corrupt("finding outcome", text))
}

fn to_domain(row: finding::Model) -> Result<Finding, RepositoryError> {
    let steps: Vec<StoredStep> =
        serde_json::from_value(row.steps).map_err(|e| corrupt("remediation steps", e))?;
    let steps = steps
        .into_iter()
        .map(|s| {
            Ok(RemediationStep {
                status: StepStatus::parse(&s.status)
                    .ok_or_else(|| corrupt("step status", &s.status))?,
                id: s.id,
                title: s.title,
                assignee: s.assignee.map(UserId::from_uuid),
                notes: s.notes,
                updated_at: s.updated_at,
            })
        })
        .collect::<Result<_, RepositoryError>>()?;
    let risk_acceptance = match (row.risk_reason, row.risk_expires_on, row.risk_accepted_by) {
        (Some(reason), Some(expires_on), Some(by)) => Some(RiskAcceptance {
            reason,
            expires_on,
            accepted_by: UserId::from_uuid(by),
        }),
        _ => None,
    };
    let mut finding = Finding::open(
        FindingId::from_uuid(row.id),
        TenantId::from_uuid(row.tenant_id),
        TestId::from_uuid(row.test_id),
        TechniqueId::parse(&row.technique_id).map_err(|e| corrupt("finding technique", e))?,
        outcome(&row.outcome)?,
        Severity::parse(&row.severity).ok_or_else(|| corrupt("finding severity", &row.severity))?,
        row.created_at,
    )
    .restored(
        FindingStatus::parse(&row.status).ok_or_else(|| corrupt("finding status", &row.status))?,
        row.version,
    );
    finding.campaign_id = row.campaign_id;
    finding.title = row.title;
    finding.owner = row.owner_id.map(UserId::from_uuid);
    finding.due_on = row.due_on;
    finding.steps = steps;
    finding.risk_acceptance = risk_acceptance;
    finding.retest_id = row.retest_id.map(TestId::from_uuid);
    finding.last_retest_outcome = row
        .last_retest_outcome
        .as_deref()
        .map(outcome)
        .transpose()?;
    finding.resolved_at = row.resolved_at;
    finding.updated_at = row.updated_at;
    Ok(finding)
}

fn rank(severity: Severity) -> i16 {
    match severity {
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
        Severity::Critical => 4,
    }
}

fn to_row(f: &Finding) -> finding::ActiveModel {
    let steps: Vec<StoredStep> = f
        .steps
        .iter()
        .map(|s| StoredStep {
            id: s.id,
            title: s.title.clone(),
            assignee: s.assignee.map(|u| u.as_uuid()),
            status: s.status.as_str().to_owned(),
            notes: s.notes.clone(),
            updated_at: s.updated_at,
        })
        .collect();
    let acceptance = f.risk_acceptance.as_ref();
    finding::ActiveModel {
        id: Set(f.id.as_uuid()),
        tenant_id: Set(f.tenant_id.as_uuid()),
        test_id: Set(f.test_id.as_uuid()),
        technique_id: Set(f.technique_id.as_str().to_owned()),
        campaign_id: Set(f.campaign_id),
        title: Set(f.title.clone()),
        outcome: Set(f.outcome.as_str().to_owned()),
        severity: Set(f.severity.as_str().to_owned()),
        severity_rank: Set(rank(f.severity)),
        status: Set(f.status().as_str().to_owned()),
        owner_id: Set(f.owner.map(|u| u.as_uuid())),
        due_on: Set(f.due_on),
        steps: Set(serde_json::json!(steps)),
        risk_reason: Set(acceptance.map(|a| a.reason.clone())),
        risk_expires_on: Set(acceptance.map(|a| a.expires_on)),
        risk_accepted_by: Set(acceptance.map(|a| a.accepted_by.as_uuid())),
        retest_id: Set(f.retest_id.map(|t| t.as_uuid())),
        last_retest_outcome: Set(f.last_retest_outcome.map(|o| o.as_str().to_owned())),
        resolved_at: Set(f.resolved_at),
        version: Set(f.version()),
        created_at: Set(f.created_at),
        updated_at: Set(f.updated_at),
    }
}

pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    f: &Finding,
) -> Result<(), RepositoryError> {
    ensure_tenant(f.tenant_id, tenant, "finding")?;
    finding::Entity::insert(to_row(f))
        .exec_without_returning(db)
        .await
        .map_err(on_write(Subject::Finding))?;
    Ok(())
}

pub(crate) async fn find(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: FindingId,
) -> Result<Option<Finding>, RepositoryError> {
    find_in_tenant::<finding::Entity>(db, tenant, id.as_uuid())
        .await?
        .map(to_domain)
        .transpose()
}

pub(crate) async fn update(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    f: &Finding,
    expected_version: i32,
) -> Result<(), RepositoryError> {
    let mut row = to_row(f);
    row.id = NotSet;
    row.tenant_id = NotSet;
    row.created_at = NotSet;
    update_versioned::<finding::Entity, _>(db, tenant, f.id.as_uuid(), expected_version, row).await
}

fn unresolved() -> impl Iterator<Item = &'static str> {
    FindingStatus::ALL
        .into_iter()
        .filter(|s| s.is_unresolved())
        .map(FindingStatus::as_str)
}

pub(crate) async fn list(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    filter: &FindingFilter,
    page: PageRequest,
) -> Result<Page<Finding>, RepositoryError> {
    let mut query = finding::Entity::find().filter(finding::Column::TenantId.eq(tenant.as_uuid()));
    if let Some(status) = filter.status {
        query = query.filter(finding::Column::Status.eq(status.as_str()));
    }
    if let Some(severity) = filter.severity {
        query = query.filter(finding::Column::Severity.eq(severity.as_str()));
    }
    if let Some(technique) = &filter.technique {
        query = query.filter(finding::Column::TechniqueId.eq(technique.as_str()));
    }
    if let Some(owner) = filter.owner {
        query = query.filter(finding::Column::OwnerId.eq(owner.as_uuid()));
    }
    if let Some(campaign) = filter.campaign {
        query = query.filter(finding::Column::CampaignId.eq(campaign));
    }
    if let Some(today) = filter.overdue_on {
        query = query
            .filter(finding::Column::DueOn.lt(today))
            .filter(finding::Column::Status.is_in(unresolved()));
    }
    let total = query.clone().count(db).await.map_err(unexpected)?;
    let items = query
        .order_by_desc(finding::Column::SeverityRank)
        .order_by_asc(finding::Column::CreatedAt)
        .order_by_asc(finding::Column::Id)
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

pub(crate) async fn of_test(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    test: TestId,
) -> Result<Vec<Finding>, RepositoryError> {
    finding::Entity::find()
        .filter(finding::Column::TenantId.eq(tenant.as_uuid()))
        .filter(
            Condition::any()
                .add(finding::Column::TestId.eq(test.as_uuid()))
                .add(finding::Column::RetestId.eq(test.as_uuid())),
        )
        .order_by_asc(finding::Column::CreatedAt)
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(to_domain)
        .collect()
}

impl VersionedTable for finding::Entity {
    const ENTITY: Entity = Entity::Finding;
    fn tenant_column() -> Self::Column {
        finding::Column::TenantId
    }
    fn id_column() -> Self::Column {
        finding::Column::Id
    }
    fn version_column() -> Self::Column {
        finding::Column::Version
    }
}

#[async_trait]
impl<C: Connection> FindingRepository for SeaStore<C> {
    async fn insert_finding(
        &self,
        tenant: TenantId,
        finding: &Finding,
    ) -> Result<(), RepositoryError> {
        insert(self.conn(), tenant, finding).await
    }
    async fn find_finding(
        &self,
        tenant: TenantId,
        id: FindingId,
    ) -> Result<Option<Finding>, RepositoryError> {
        find(&self.read(), tenant, id).await
    }
    async fn update_finding(
        &self,
        tenant: TenantId,
        finding: &Finding,
        expected_version: i32,
    ) -> Result<(), RepositoryError> {
        update(self.conn(), tenant, finding, expected_version).await
    }
    async fn list_findings(
        &self,
        tenant: TenantId,
        filter: &FindingFilter,
        page: PageRequest,
    ) -> Result<Page<Finding>, RepositoryError> {
        list(&self.read(), tenant, filter, page).await
    }
    async fn findings_of_test(
        &self,
        tenant: TenantId,
        test: TestId,
    ) -> Result<Vec<Finding>, RepositoryError> {
        of_test(self.conn(), tenant, test).await
    }
}
