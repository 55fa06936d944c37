//! Generated reports.

use aegis_domain::ports::Entity;
use aegis_domain::ports::ReportRepository;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::RepositoryError;
use aegis_domain::report::{
    Report, ReportFormat, ReportId, ReportKind, ReportStatus, StoredDocument,
};
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;

use super::error::{corrupt, unexpected};

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod report {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "reports")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub kind: String,
            pub format: String,
            pub campaign_id: Option<Uuid>,
            pub status: String,
            pub requested_by: Uuid,
            pub requested_at: DateTimeUtc,
            pub generated_at: Option<DateTimeUtc>,
            pub object_key: Option<String>,
            pub size_bytes: Option<i64>,
            pub sha256: Option<String>,
            pub signature: Option<String>,
            pub error: Option<String>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::report;

use async_trait::async_trait;

use super::{Connection, SeaStore};

fn to_domain(row: report::Model) -> Result<Report, RepositoryError> {
    let document = match (row.object_key, row.size_bytes, row.sha256, row.signature) {
        (Some(object_key), Some(size_bytes), Some(sha256), Some(signature)) => {
            Some(StoredDocument {
                object_key,
                size_bytes,
                sha256,
                signature,
            })
        }
        _ => None,
    };
    Ok(Report {
        id: ReportId::from_uuid(row.id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        kind: ReportKind::parse(&row.kind).ok_or_else(|| corrupt("report kind", &row.kind))?,
        format: ReportFormat::parse(&row.format)
            .ok_or_else(|| corrupt("report format", &row.format))?,
        campaign_id: row.campaign_id,
        status: ReportStatus::parse(&row.status)
            .ok_or_else(|| corrupt("report status", &row.status))?,
        requested_by: UserId::from_uuid(row.requested_by),
        requested_at: row.requested_at,
        generated_at: row.generated_at,
        document,
        error: row.error,
    })
}

fn to_row(r: &Report) -> report::ActiveModel {
    let document = r.document.as_ref();
    report::ActiveModel {
        id: Set(r.id.as_uuid()),
        tenant_id: Set(r.tenant_id.as_uuid()),
        kind: Set(r.kind.as_str().to_owned()),
        format: Set(r.format.as_str().to_owned()),
        campaign_id: Set(r.campaign_id),
        status: Set(r.status.as_str().to_owned()),
        requested_by: Set(r.requested_by.as_uuid()),
        requested_at: Set(r.requested_at),
        generated_at: Set(r.generated_at),
        object_key: Set(document.map(|d| d.object_key.clone())),
        size_bytes: Set(document.map(|d| d.size_bytes)),
        sha256: Set(document.map(|d| d.sha256.clone())),
        signature: Set(document.map(|d| d.signature.clone())),
        error: Set(r.error.clone()),
    }
}

pub(crate) async fn insert(db: &impl ConnectionTrait, r: &Report) -> Result<(), RepositoryError> {
    report::Entity::insert(to_row(r))
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

pub(crate) async fn update(db: &impl ConnectionTrait, r: &Report) -> Result<(), RepositoryError> {
    let result = report::Entity::update_many()
        .set(to_row(r))
        .filter(report::Column::TenantId.eq(r.tenant_id.as_uuid()))
        .filter(report::Column::Id.eq(r.id.as_uuid()))
        .exec(db)
        .await
        .map_err(unexpected)?;
    if result.rows_affected == 0 {
        return Err(RepositoryError::NotFound(Entity::Report));
    }
    Ok(())
}

pub(crate) async fn find(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: ReportId,
) -> Result<Option<Report>, RepositoryError> {
    report::Entity::find()
        .filter(report::Column::TenantId.eq(tenant.as_uuid()))
        .filter(report::Column::Id.eq(id.as_uuid()))
        .one(db)
        .await
        .map_err(unexpected)?
        .map(to_domain)
        .transpose()
}

pub(crate) async fn list(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    page: PageRequest,
) -> Result<Page<Report>, RepositoryError> {
    let query = report::Entity::find().filter(report::Column::TenantId.eq(tenant.as_uuid()));
    let total = query.clone().count(db).await.map_err(unexpected)?;
    let items = query
        .order_by_desc(report::Column::RequestedAt)
        .order_by_desc(report::Column::Id)
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

pub(crate) async fn queued(
    db: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<Report>, RepositoryError> {
    report::Entity::find()
        .filter(report::Column::Status.eq(ReportStatus::Queued.as_str()))
        .order_by_asc(report::Column::RequestedAt)
        .limit(limit)
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(to_domain)
        .collect()
}

#[async_trait]
impl<C: Connection> ReportRepository for SeaStore<C> {
    async fn insert_report(
        &self,
        report: &aegis_domain::report::Report,
    ) -> Result<(), RepositoryError> {
        insert(self.conn(), report).await
    }
    async fn update_report(
        &self,
        report: &aegis_domain::report::Report,
    ) -> Result<(), RepositoryError> {
        update(self.conn(), report).await
    }
    async fn find_report(
        &self,
        tenant: TenantId,
        id: aegis_domain::report::ReportId,
    ) -> Result<Option<aegis_domain::report::Report>, RepositoryError> {
        find(self.conn(), tenant, id).await
    }
    async fn list_reports(
        &self,
        tenant: TenantId,
        page: PageRequest,
    ) -> Result<Page<aegis_domain::report::Report>, RepositoryError> {
        list(self.conn(), tenant, page).await
    }
    async fn queued_reports(
        &self,
        limit: u64,
    ) -> Result<Vec<aegis_domain::report::Report>, RepositoryError> {
        queued(self.conn(), limit).await
    }
}
