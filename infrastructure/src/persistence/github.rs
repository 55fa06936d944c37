//! The GitHub integration's configurations, webhook deliveries and check runs.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr, sea_query::OnConflict, sea_query::Query,
};

use aegis_domain::github::{
    CheckRun, CheckStage, DeliveryResult, GithubConfig, GithubDelivery, RepositoryName,
};
use aegis_domain::ports::{GithubRepository, RepositoryError, Subject};
use aegis_domain::scan::{ScanId, ScanStatus};
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;

use super::error::{corrupt, ensure_tenant, on_write, unexpected};
use super::{Connection, SeaStore};

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod config {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "github_configs")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub tenant_id: Uuid,
            pub api_url: String,
            pub token_sealed: Vec<u8>,
            pub webhook_secret_sealed: Vec<u8>,
            pub repositories: String,
            pub active: bool,
            pub check_name: String,
            pub service_user: Uuid,
            pub updated_by: Uuid,
            pub updated_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod delivery {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "github_deliveries")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub tenant_id: Uuid,
            #[sea_orm(primary_key, auto_increment = false)]
            pub delivery_id: String,
            pub event: String,
            pub action: Option<String>,
            pub repository: Option<String>,
            pub pull_request: Option<i64>,
            pub head_sha: Option<String>,
            pub result: String,
            pub scan_id: Option<Uuid>,
            pub error: Option<String>,
            pub received_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod check_run {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "github_check_runs")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub tenant_id: Uuid,
            #[sea_orm(primary_key, auto_increment = false)]
            pub scan_id: Uuid,
            pub repository: String,
            pub head_sha: String,
            pub github_id: Option<i64>,
            pub stage: String,
            pub annotations_sent: i32,
            pub attempts: i32,
            pub retry_at: Option<DateTimeUtc>,
            pub last_error: Option<String>,
            pub abandoned: bool,
            pub updated_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::{check_run, config, delivery};

fn config_of(row: config::Model) -> Result<GithubConfig, RepositoryError> {
    let repositories = row
        .repositories
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| RepositoryName::parse(l).map_err(|e| corrupt("GitHub repository", e)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(GithubConfig {
        tenant_id: TenantId::from_uuid(row.tenant_id),
        api_url: row.api_url,
        token_sealed: row.token_sealed,
        webhook_secret_sealed: row.webhook_secret_sealed,
        repositories,
        active: row.active,
        check_name: row.check_name,
        service_user: UserId::from_uuid(row.service_user),
        updated_by: UserId::from_uuid(row.updated_by),
        updated_at: row.updated_at,
    })
}

fn delivery_of(row: delivery::Model) -> Result<GithubDelivery, RepositoryError> {
    Ok(GithubDelivery {
        tenant_id: TenantId::from_uuid(row.tenant_id),
        result: DeliveryResult::parse(&row.result)
            .ok_or_else(|| corrupt("GitHub delivery result", &row.result))?,
        delivery_id: row.delivery_id,
        event: row.event,
        action: row.action,
        repository: row.repository,
        pull_request: row.pull_request.and_then(|n| u64::try_from(n).ok()),
        head_sha: row.head_sha,
        scan_id: row.scan_id.map(ScanId::from_uuid),
        error: row.error,
        received_at: row.received_at,
    })
}

fn delivery_row(d: &GithubDelivery) -> delivery::ActiveModel {
    delivery::ActiveModel {
        tenant_id: Set(d.tenant_id.as_uuid()),
        delivery_id: Set(d.delivery_id.clone()),
        event: Set(d.event.clone()),
        action: Set(d.action.clone()),
        repository: Set(d.repository.clone()),
        pull_request: Set(d.pull_request.and_then(|n| i64::try_from(n).ok())),
        head_sha: Set(d.head_sha.clone()),
        result: Set(d.result.as_str().to_owned()),
        scan_id: Set(d.scan_id.map(|s| s.as_uuid())),
        error: Set(d.error.clone()),
        received_at: Set(d.received_at),
    }
}

fn check_of(row: check_run::Model) -> Result<CheckRun, RepositoryError> {
    Ok(CheckRun {
        tenant_id: TenantId::from_uuid(row.tenant_id),
        scan_id: ScanId::from_uuid(row.scan_id),
        repository: RepositoryName::parse(&row.repository)
            .map_err(|e| corrupt("check run repository", e))?,
        head_sha: row.head_sha,
        github_id: row.github_id,
        stage: CheckStage::parse(&row.stage)
            .ok_or_else(|| corrupt("check run stage", &row.stage))?,
        annotations_sent: u32::try_from(row.annotations_sent).unwrap_or(0),
        attempts: u32::try_from(row.attempts).unwrap_or(0),
        retry_at: row.retry_at,
        last_error: row.last_error,
        abandoned: row.abandoned,
        updated_at: row.updated_at,
    })
}

fn check_row(c: &CheckRun) -> check_run::ActiveModel {
    check_run::ActiveModel {
        tenant_id: Set(c.tenant_id.as_uuid()),
        scan_id: Set(c.scan_id.as_uuid()),
        repository: Set(c.repository.full_name()),
        head_sha: Set(c.head_sha.clone()),
        github_id: Set(c.github_id),
        stage: Set(c.stage.as_str().to_owned()),
        annotations_sent: Set(i32::try_from(c.annotations_sent).unwrap_or(i32::MAX)),
        attempts: Set(i32::try_from(c.attempts).unwrap_or(i32::MAX)),
        retry_at: Set(c.retry_at),
        last_error: Set(c.last_error.clone()),
        abandoned: Set(c.abandoned),
        updated_at: Set(c.updated_at),
    }
}

#[async_trait]
impl<C: Connection> GithubRepository for SeaStore<C> {
    async fn github_config(
        &self,
        tenant: TenantId,
    ) -> Result<Option<GithubConfig>, RepositoryError> {
        config::Entity::find_by_id(tenant.as_uuid())
            .one(self.conn())
            .await
            .map_err(unexpected)?
            .map(config_of)
            .transpose()
    }

    async fn active_github_configs(&self) -> Result<Vec<GithubConfig>, RepositoryError> {
        config::Entity::find()
            .filter(config::Column::Active.eq(true))
            .all(&self.read())
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(config_of)
            .collect()
    }

    async fn save_github_config(
        &self,
        tenant: TenantId,
        config: &GithubConfig,
    ) -> Result<(), RepositoryError> {
        ensure_tenant(config.tenant_id, tenant, "GitHub configuration")?;
        let row = config::ActiveModel {
            tenant_id: Set(tenant.as_uuid()),
            api_url: Set(config.api_url.clone()),
            token_sealed: Set(config.token_sealed.clone()),
            webhook_secret_sealed: Set(config.webhook_secret_sealed.clone()),
            repositories: Set(config
                .repositories
                .iter()
                .map(RepositoryName::full_name)
                .collect::<Vec<_>>()
                .join("\n")),
            active: Set(config.active),
            check_name: Set(config.check_name.clone()),
            service_user: Set(config.service_user.as_uuid()),
            updated_by: Set(config.updated_by.as_uuid()),
            updated_at: Set(config.updated_at),
        };
        use config::Column as C;
        config::Entity::insert(row)
            .on_conflict(
                OnConflict::column(C::TenantId)
                    .update_columns([
                        C::ApiUrl,
                        C::TokenSealed,
                        C::WebhookSecretSealed,
                        C::Repositories,
                        C::Active,
                        C::CheckName,
                        C::ServiceUser,
                        C::UpdatedBy,
                        C::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(self.conn())
            .await
            .map_err(unexpected)?;
        Ok(())
    }

    async fn delete_github_config(&self, tenant: TenantId) -> Result<bool, RepositoryError> {
        let result = config::Entity::delete_by_id(tenant.as_uuid())
            .exec(self.conn())
            .await
            .map_err(unexpected)?;
        Ok(result.rows_affected > 0)
    }

    async fn find_github_delivery(
        &self,
        tenant: TenantId,
        delivery_id: &str,
    ) -> Result<Option<GithubDelivery>, RepositoryError> {
        delivery::Entity::find_by_id((tenant.as_uuid(), delivery_id.to_owned()))
            .one(self.conn())
            .await
            .map_err(unexpected)?
            .map(delivery_of)
            .transpose()
    }

    async fn record_github_delivery(
        &self,
        tenant: TenantId,
        d: &GithubDelivery,
    ) -> Result<(), RepositoryError> {
        ensure_tenant(d.tenant_id, tenant, "GitHub delivery")?;
        use delivery::Column as D;
        // A failed delivery is taken over by its redelivery; one statement decides which
        // request takes it, so two concurrent redeliveries never both scan.
        let taken = delivery::Entity::update_many()
            .col_expr(D::Event, Expr::value(d.event.clone()))
            .col_expr(D::Action, Expr::value(d.action.clone()))
            .col_expr(D::Repository, Expr::value(d.repository.clone()))
            .col_expr(
                D::PullRequest,
                Expr::value(d.pull_request.and_then(|n| i64::try_from(n).ok())),
            )
            .col_expr(D::HeadSha, Expr::value(d.head_sha.clone()))
            .col_expr(D::Result, Expr::value(d.result.as_str()))
            .col_expr(D::ScanId, Expr::value(d.scan_id.map(|s| s.as_uuid())))
            .col_expr(D::Error, Expr::value(d.error.clone()))
            .col_expr(D::ReceivedAt, Expr::value(d.received_at))
            .filter(D::TenantId.eq(tenant.as_uuid()))
            .filter(D::DeliveryId.eq(d.delivery_id.clone()))
            .filter(D::Result.eq(DeliveryResult::Failed.as_str()))
            .exec(self.conn())
            .await
            .map_err(unexpected)?;
        if taken.rows_affected == 1 {
            return Ok(());
        }
        delivery::Entity::insert(delivery_row(d))
            .exec_without_returning(self.conn())
            .await
            .map_err(on_write(Subject::GithubDelivery))?;
        Ok(())
    }

    async fn list_github_deliveries(
        &self,
        tenant: TenantId,
        limit: u64,
    ) -> Result<Vec<GithubDelivery>, RepositoryError> {
        delivery::Entity::find()
            .filter(delivery::Column::TenantId.eq(tenant.as_uuid()))
            .order_by_desc(delivery::Column::ReceivedAt)
            .order_by_desc(delivery::Column::DeliveryId)
            .limit(limit)
            .all(&self.read())
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(delivery_of)
            .collect()
    }

    async fn insert_check_run(
        &self,
        tenant: TenantId,
        check: &CheckRun,
    ) -> Result<(), RepositoryError> {
        ensure_tenant(check.tenant_id, tenant, "check run")?;
        check_run::Entity::insert(check_row(check))
            .exec_without_returning(self.conn())
            .await
            .map_err(unexpected)?;
        Ok(())
    }

    async fn find_check_run(
        &self,
        tenant: TenantId,
        scan: ScanId,
    ) -> Result<Option<CheckRun>, RepositoryError> {
        check_run::Entity::find_by_id((tenant.as_uuid(), scan.as_uuid()))
            .one(self.conn())
            .await
            .map_err(unexpected)?
            .map(check_of)
            .transpose()
    }

    async fn open_check_runs(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<CheckRun>, RepositoryError> {
        use super::scans::entities::scan;
        use check_run::Column as R;
        // Only check runs their scan has moved past: those waiting on a queued scan would
        // otherwise fill every batch and starve the ones with something to report.
        let scans_in = |statuses: &[ScanStatus]| {
            Query::select()
                .column(scan::Column::Id)
                .from(scan::Entity)
                .and_where(scan::Column::Status.is_in(statuses.iter().map(|s| s.as_str())))
                .to_owned()
        };
        let finished = [ScanStatus::Completed, ScanStatus::Error];
        let behind = Condition::any()
            .add(R::Stage.eq(CheckStage::Pending.as_str()))
            .add(
                Condition::all()
                    .add(R::Stage.eq(CheckStage::Queued.as_str()))
                    .add(R::ScanId.in_subquery(scans_in(&[
                        ScanStatus::Running,
                        ScanStatus::Completed,
                        ScanStatus::Error,
                    ]))),
            )
            .add(
                Condition::all()
                    .add(R::Stage.eq(CheckStage::InProgress.as_str()))
                    .add(R::ScanId.in_subquery(scans_in(&finished))),
            );
        check_run::Entity::find()
            .filter(behind)
            .filter(R::Abandoned.eq(false))
            .filter(
                Condition::any()
                    .add(R::RetryAt.is_null())
                    .add(R::RetryAt.lte(now)),
            )
            .order_by_asc(R::UpdatedAt)
            .limit(limit)
            .all(self.conn())
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(check_of)
            .collect()
    }

    async fn save_check_run(
        &self,
        tenant: TenantId,
        check: &CheckRun,
    ) -> Result<(), RepositoryError> {
        ensure_tenant(check.tenant_id, tenant, "check run")?;
        use check_run::Column as R;
        check_run::Entity::update_many()
            .col_expr(R::GithubId, Expr::value(check.github_id))
            .col_expr(R::Stage, Expr::value(check.stage.as_str()))
            .col_expr(
                R::AnnotationsSent,
                Expr::value(i32::try_from(check.annotations_sent).unwrap_or(i32::MAX)),
            )
            .col_expr(
                R::Attempts,
                Expr::value(i32::try_from(check.attempts).unwrap_or(i32::MAX)),
            )
            .col_expr(R::RetryAt, Expr::value(check.retry_at))
            .col_expr(R::LastError, Expr::value(check.last_error.clone()))
            .col_expr(R::Abandoned, Expr::value(check.abandoned))
            .col_expr(R::UpdatedAt, Expr::value(check.updated_at))
            .filter(R::TenantId.eq(tenant.as_uuid()))
            .filter(R::ScanId.eq(check.scan_id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(unexpected)?;
        Ok(())
    }
}
