//! The history of catalog imports: one running at a time, each with its report or error.

use aegis_domain::ports::Subject;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use aegis_domain::ports::RepositoryError;
use aegis_domain::ports::{ImportReport, ImportRun, ImportStatus};
use aegis_domain::user::UserId;

use super::Connection;
use super::entities::catalog_import::{ActiveModel, Column, Entity, Model};
use super::import::report_json;
use crate::persistence::error::{corrupt, unexpected};

fn to_domain(row: Model) -> Result<ImportRun, RepositoryError> {
    Ok(ImportRun {
        id: row.id,
        source: row.source,
        status: ImportStatus::parse(&row.status)
            .ok_or_else(|| corrupt("import status", &row.status))?,
        requested_by: row.requested_by.map(UserId::from_uuid),
        started_at: row.started_at,
        finished_at: row.finished_at,
        report: row.report,
        error: row.error,
    })
}

pub(crate) async fn begin(db: &impl Connection, run: &ImportRun) -> Result<(), RepositoryError> {
    let tx = crate::persistence::begin_write(db)
        .await
        .map_err(unexpected)?;
    let recent = run.started_at - Duration::hours(1);
    let running = Entity::find()
        .filter(Column::Status.eq(ImportStatus::Running.as_str()))
        .filter(Column::StartedAt.gt(recent))
        .filter(Column::Id.ne(run.id))
        .one(&tx)
        .await
        .map_err(unexpected)?;
    if running.is_some() {
        return Err(RepositoryError::Duplicate(Subject::RunningImport));
    }
    let row = ActiveModel {
        id: Set(run.id),
        source: Set(run.source.chars().take(512).collect()),
        status: Set(run.status.as_str().to_owned()),
        requested_by: Set(run.requested_by.map(|u| u.as_uuid())),
        started_at: Set(run.started_at),
        finished_at: Set(run.finished_at),
        report: Set(run.report.clone()),
        error: Set(run.error.clone()),
    };
    // The same id again is the same job run retried after its worker died: it restarts.
    Entity::delete_by_id(run.id)
        .exec(&tx)
        .await
        .map_err(unexpected)?;
    Entity::insert(row)
        .exec_without_returning(&tx)
        .await
        .map_err(unexpected)?;
    tx.commit().await.map_err(unexpected)
}

pub(crate) async fn finish(
    db: &impl ConnectionTrait,
    id: uuid::Uuid,
    outcome: Result<&ImportReport, &str>,
    at: DateTime<Utc>,
) -> Result<(), RepositoryError> {
    let (status, report, error) = match outcome {
        Ok(report) => (ImportStatus::Succeeded, Some(report_json(report)), None),
        Err(error) => (
            ImportStatus::Failed,
            None,
            Some(error.chars().take(4000).collect::<String>()),
        ),
    };
    let result = Entity::update_many()
        .col_expr(
            Column::Status,
            sea_orm::sea_query::Expr::value(status.as_str()),
        )
        .col_expr(Column::FinishedAt, sea_orm::sea_query::Expr::value(at))
        .col_expr(Column::Report, sea_orm::sea_query::Expr::value(report))
        .col_expr(Column::Error, sea_orm::sea_query::Expr::value(error))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await
        .map_err(unexpected)?;
    if result.rows_affected == 0 {
        return Err(RepositoryError::NotFound(
            aegis_domain::ports::Entity::Import,
        ));
    }
    Ok(())
}

pub(crate) async fn find(
    db: &impl ConnectionTrait,
    id: uuid::Uuid,
) -> Result<Option<ImportRun>, RepositoryError> {
    Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(unexpected)?
        .map(to_domain)
        .transpose()
}

pub(crate) async fn list(
    db: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<ImportRun>, RepositoryError> {
    let rows = Entity::find()
        .order_by_desc(Column::StartedAt)
        .limit(limit)
        .all(db)
        .await
        .map_err(unexpected)?;
    rows.into_iter().map(to_domain).collect()
}
