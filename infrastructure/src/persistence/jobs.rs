//! The history of background job runs.

use aegis_domain::ports::JobRunRepository;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use aegis_domain::job::{JobCounts, JobKind, JobOutcome, JobRun, JobTrigger};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::RepositoryError;
use aegis_domain::user::UserId;

use super::error::{corrupt, unexpected};

pub(crate) mod entity {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "job_runs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub kind: String,
        pub run_key: String,
        pub trigger_kind: String,
        pub due_at: Option<DateTimeUtc>,
        pub requested_by: Option<Uuid>,
        pub queued_at: DateTimeUtc,
        pub started_at: Option<DateTimeUtc>,
        pub finished_at: Option<DateTimeUtc>,
        pub attempts: i32,
        pub max_attempts: i32,
        pub outcome: String,
        pub counts: Json,
        pub error: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity, Model};

use async_trait::async_trait;

use super::{Connection, SeaStore};

const SCHEDULE: &str = "schedule";
const MANUAL: &str = "manual";

fn to_domain(row: Model) -> Result<JobRun, RepositoryError> {
    let trigger = match (row.trigger_kind.as_str(), row.due_at, row.requested_by) {
        (SCHEDULE, Some(due_at), _) => JobTrigger::Schedule { due_at },
        (MANUAL, _, by) => JobTrigger::Manual {
            by: by.map(UserId::from_uuid),
        },
        _ => return Err(corrupt("job trigger", &row.trigger_kind)),
    };
    Ok(JobRun {
        id: row.id,
        kind: JobKind::parse(&row.kind).ok_or_else(|| corrupt("job kind", &row.kind))?,
        run_key: row.run_key,
        trigger,
        queued_at: row.queued_at,
        started_at: row.started_at,
        finished_at: row.finished_at,
        attempts: u32::try_from(row.attempts).unwrap_or_default(),
        max_attempts: u32::try_from(row.max_attempts).unwrap_or_default(),
        outcome: JobOutcome::parse(&row.outcome)
            .ok_or_else(|| corrupt("job outcome", &row.outcome))?,
        counts: serde_json::from_value::<JobCounts>(row.counts)
            .map_err(|e| corrupt("job counts", e))?,
        error: row.error,
    })
}

fn to_row(run: &JobRun) -> ActiveModel {
    let (trigger_kind, due_at, requested_by) = match run.trigger {
        JobTrigger::Schedule { due_at } => (SCHEDULE, Some(due_at), None),
        JobTrigger::Manual { by } => (MANUAL, None, by.map(|u| u.as_uuid())),
    };
    ActiveModel {
        id: Set(run.id),
        kind: Set(run.kind.as_str().to_owned()),
        run_key: Set(run.run_key.clone()),
        trigger_kind: Set(trigger_kind.to_owned()),
        due_at: Set(due_at),
        requested_by: Set(requested_by),
        queued_at: Set(run.queued_at),
        started_at: Set(run.started_at),
        finished_at: Set(run.finished_at),
        attempts: Set(i32::try_from(run.attempts).unwrap_or(i32::MAX)),
        max_attempts: Set(i32::try_from(run.max_attempts).unwrap_or(i32::MAX)),
        outcome: Set(run.outcome.as_str().to_owned()),
        counts: Set(serde_json::to_value(&run.counts).unwrap_or_default()),
        error: Set(run.error.clone()),
    }
}

pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    run: &JobRun,
) -> Result<bool, RepositoryError> {
    let inserted = Entity::insert(to_row(run))
        .on_conflict(OnConflict::column(Column::RunKey).do_nothing().to_owned())
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(inserted > 0)
}

pub(crate) async fn find(
    db: &impl ConnectionTrait,
    id: uuid::Uuid,
) -> Result<Option<JobRun>, RepositoryError> {
    Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(unexpected)?
        .map(to_domain)
        .transpose()
}

pub(crate) async fn find_by_key(
    db: &impl ConnectionTrait,
    run_key: &str,
) -> Result<Option<JobRun>, RepositoryError> {
    Entity::find()
        .filter(Column::RunKey.eq(run_key))
        .one(db)
        .await
        .map_err(unexpected)?
        .map(to_domain)
        .transpose()
}

pub(crate) async fn start_attempt(
    db: &impl ConnectionTrait,
    run: &JobRun,
) -> Result<bool, RepositoryError> {
    let previous = i32::try_from(run.attempts.saturating_sub(1)).unwrap_or(i32::MAX);
    let result = Entity::update_many()
        .set(to_row(run))
        .filter(Column::Id.eq(run.id))
        .filter(Column::Attempts.eq(previous))
        .filter(
            Column::Outcome.is_not_in([JobOutcome::Succeeded.as_str(), JobOutcome::Dead.as_str()]),
        )
        .exec(db)
        .await
        .map_err(unexpected)?;
    Ok(result.rows_affected == 1)
}

pub(crate) async fn update(db: &impl ConnectionTrait, run: &JobRun) -> Result<(), RepositoryError> {
    let result = Entity::update_many()
        .set(to_row(run))
        .filter(Column::Id.eq(run.id))
        .exec(db)
        .await
        .map_err(unexpected)?;
    if result.rows_affected == 0 {
        return Err(RepositoryError::NotFound(
            aegis_domain::ports::Entity::JobRun,
        ));
    }
    Ok(())
}

pub(crate) async fn list(
    db: &impl ConnectionTrait,
    kind: Option<JobKind>,
    outcome: Option<JobOutcome>,
    page: PageRequest,
) -> Result<Page<JobRun>, RepositoryError> {
    let mut query = Entity::find();
    if let Some(kind) = kind {
        query = query.filter(Column::Kind.eq(kind.as_str()));
    }
    if let Some(outcome) = outcome {
        query = query.filter(Column::Outcome.eq(outcome.as_str()));
    }
    let total = query.clone().count(db).await.map_err(unexpected)?;
    let items = query
        .order_by_desc(Column::QueuedAt)
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

pub(crate) async fn latest(db: &impl ConnectionTrait) -> Result<Vec<JobRun>, RepositoryError> {
    let mut runs = Vec::new();
    for kind in JobKind::ALL {
        let newest = Entity::find()
            .filter(Column::Kind.eq(kind.as_str()))
            .order_by_desc(Column::QueuedAt)
            .order_by_desc(Column::Id)
            .one(db)
            .await
            .map_err(unexpected)?;
        if let Some(row) = newest {
            runs.push(to_domain(row)?);
        }
    }
    Ok(runs)
}

pub(crate) async fn waiting(db: &impl ConnectionTrait) -> Result<Vec<JobRun>, RepositoryError> {
    Entity::find()
        .filter(Column::Outcome.is_in([JobOutcome::Queued.as_str(), JobOutcome::Retrying.as_str()]))
        .order_by_asc(Column::QueuedAt)
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(to_domain)
        .collect()
}

#[async_trait]
impl<C: Connection> JobRunRepository for SeaStore<C> {
    async fn insert_job_run(&self, run: &JobRun) -> Result<bool, RepositoryError> {
        insert(self.conn(), run).await
    }
    async fn find_job_run(&self, id: uuid::Uuid) -> Result<Option<JobRun>, RepositoryError> {
        find(self.conn(), id).await
    }
    async fn find_job_run_by_key(&self, run_key: &str) -> Result<Option<JobRun>, RepositoryError> {
        find_by_key(self.conn(), run_key).await
    }
    async fn start_job_attempt(&self, run: &JobRun) -> Result<bool, RepositoryError> {
        start_attempt(self.conn(), run).await
    }
    async fn update_job_run(&self, run: &JobRun) -> Result<(), RepositoryError> {
        update(self.conn(), run).await
    }
    async fn list_job_runs(
        &self,
        kind: Option<JobKind>,
        outcome: Option<JobOutcome>,
        page: PageRequest,
    ) -> Result<Page<JobRun>, RepositoryError> {
        list(self.conn(), kind, outcome, page).await
    }
    async fn latest_job_runs(&self) -> Result<Vec<JobRun>, RepositoryError> {
        latest(self.conn()).await
    }
    async fn waiting_job_runs(&self) -> Result<Vec<JobRun>, RepositoryError> {
        waiting(self.conn()).await
    }
}
