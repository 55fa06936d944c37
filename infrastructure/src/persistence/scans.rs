//! Scans of detection-content diffs: one row each, the result's parts as JSON text.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement, sea_query::Expr, sea_query::ExprTrait,
};

use aegis_domain::evidence::PendingPurpose;
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::{RepositoryError, ScanFilter, ScanRepository};
use aegis_domain::scan::{
    Decision, LATENCY_BUCKETS_MS, Scan, ScanId, ScanQueueStats, ScanSource, ScanStatus,
};
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;

use super::error::{corrupt, ensure_tenant, unexpected};
use super::{Connection, SeaStore};

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod scan {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "scans")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub repository: Option<String>,
            pub commit: Option<String>,
            pub base: Option<String>,
            pub pull_request: Option<String>,
            pub diff_sha256: String,
            pub diff_bytes: i64,
            pub diff_key: String,
            pub status: String,
            pub decision: Option<String>,
            pub policy: String,
            pub findings: String,
            pub coverage: String,
            pub files: i32,
            pub error: Option<String>,
            pub attempts: i32,
            pub lease_until: Option<DateTimeUtc>,
            pub submitted_by: Uuid,
            pub created_at: DateTimeUtc,
            pub completed_at: Option<DateTimeUtc>,
            pub artifact: Option<String>,
            pub diff_deleted_at: Option<DateTimeUtc>,
            pub latency_ms: Option<i64>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::scan;

fn json<T: serde::Serialize>(value: &T) -> Result<String, RepositoryError> {
    serde_json::to_string(value).map_err(|e| RepositoryError::unexpected(format!("scan JSON: {e}")))
}

fn scan_of(row: scan::Model) -> Result<Scan, RepositoryError> {
    let parse = |what: &str, text: &str| -> Result<serde_json::Value, RepositoryError> {
        serde_json::from_str(text).map_err(|e| corrupt(what, e))
    };
    Ok(Scan {
        id: ScanId::from_uuid(row.id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        source: ScanSource {
            repository: row.repository,
            commit: row.commit,
            base: row.base,
            pull_request: row.pull_request,
        },
        diff_sha256: row.diff_sha256,
        diff_bytes: u64::try_from(row.diff_bytes).unwrap_or_default(),
        diff_key: row.diff_key,
        status: ScanStatus::parse(&row.status)
            .ok_or_else(|| corrupt("scan status", &row.status))?,
        decision: row
            .decision
            .map(|d| Decision::parse(&d).ok_or_else(|| corrupt("scan decision", &d)))
            .transpose()?,
        policy: serde_json::from_value(parse("scan policy", &row.policy)?)
            .map_err(|e| corrupt("scan policy", e))?,
        findings: serde_json::from_value(parse("scan findings", &row.findings)?)
            .map_err(|e| corrupt("scan findings", e))?,
        coverage: serde_json::from_value(parse("scan coverage", &row.coverage)?)
            .map_err(|e| corrupt("scan coverage", e))?,
        files: u32::try_from(row.files).unwrap_or_default(),
        error: row.error,
        attempts: u32::try_from(row.attempts).unwrap_or_default(),
        lease_until: row.lease_until,
        submitted_by: UserId::from_uuid(row.submitted_by),
        created_at: row.created_at,
        completed_at: row.completed_at,
        artifact: row.artifact,
        diff_deleted_at: row.diff_deleted_at,
    })
}

fn scan_row(s: &Scan) -> Result<scan::ActiveModel, RepositoryError> {
    Ok(scan::ActiveModel {
        id: Set(s.id.as_uuid()),
        tenant_id: Set(s.tenant_id.as_uuid()),
        repository: Set(s.source.repository.clone()),
        commit: Set(s.source.commit.clone()),
        base: Set(s.source.base.clone()),
        pull_request: Set(s.source.pull_request.clone()),
        diff_sha256: Set(s.diff_sha256.clone()),
        diff_bytes: Set(i64::try_from(s.diff_bytes).unwrap_or(i64::MAX)),
        diff_key: Set(s.diff_key.clone()),
        status: Set(s.status.as_str().to_owned()),
        decision: Set(s.decision.map(|d| d.as_str().to_owned())),
        policy: Set(json(&s.policy)?),
        findings: Set(json(&s.findings)?),
        coverage: Set(json(&s.coverage)?),
        files: Set(i32::try_from(s.files).unwrap_or(i32::MAX)),
        error: Set(s.error.clone()),
        attempts: Set(i32::try_from(s.attempts).unwrap_or(i32::MAX)),
        lease_until: Set(s.lease_until),
        submitted_by: Set(s.submitted_by.as_uuid()),
        created_at: Set(s.created_at),
        completed_at: Set(s.completed_at),
        artifact: Set(s.artifact.clone()),
        diff_deleted_at: Set(s.diff_deleted_at),
        latency_ms: Set(latency_ms(s)),
    })
}

/// From submission to decision, once decided.
fn latency_ms(scan: &Scan) -> Option<i64> {
    scan.completed_at
        .map(|done| (done - scan.created_at).num_milliseconds())
        .map(|ms| Ord::max(ms, 0))
}

async fn find_scan(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: ScanId,
) -> Result<Option<Scan>, RepositoryError> {
    scan::Entity::find()
        .filter(scan::Column::TenantId.eq(tenant.as_uuid()))
        .filter(scan::Column::Id.eq(id.as_uuid()))
        .one(db)
        .await
        .map_err(unexpected)?
        .map(scan_of)
        .transpose()
}

async fn list_scans(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    filter: &ScanFilter,
    page: PageRequest,
) -> Result<Page<Scan>, RepositoryError> {
    let mut query = scan::Entity::find().filter(scan::Column::TenantId.eq(tenant.as_uuid()));
    if let Some(repository) = &filter.repository {
        query = query.filter(scan::Column::Repository.eq(repository.as_str()));
    }
    if let Some(decision) = filter.decision {
        query = query.filter(scan::Column::Decision.eq(decision.as_str()));
    }
    if let Some(status) = filter.status {
        query = query.filter(scan::Column::Status.eq(status.as_str()));
    }
    if let Some(from) = filter.from.and_then(|d| d.and_hms_opt(0, 0, 0)) {
        query = query.filter(scan::Column::CreatedAt.gte(from.and_utc()));
    }
    if let Some(to) = filter
        .to
        .and_then(|d| d.succ_opt())
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        query = query.filter(scan::Column::CreatedAt.lt(to.and_utc()));
    }
    let total = query.clone().count(db).await.map_err(unexpected)?;
    let items = query
        .order_by_desc(scan::Column::CreatedAt)
        .order_by_desc(scan::Column::Id)
        .offset(page.offset())
        .limit(page.per_page())
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(scan_of)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page {
        items,
        total,
        request: page,
    })
}

/// Queued, or running under a lease that ran out.
fn due_condition(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(scan::Column::Status.eq(ScanStatus::Queued.as_str()))
        .add(
            Condition::all()
                .add(scan::Column::Status.eq(ScanStatus::Running.as_str()))
                .add(scan::Column::LeaseUntil.lt(now)),
        )
}

#[async_trait]
impl<C: Connection> ScanRepository for SeaStore<C> {
    async fn insert_scan(&self, tenant: TenantId, scan: &Scan) -> Result<(), RepositoryError> {
        ensure_tenant(scan.tenant_id, tenant, "scan")?;
        scan::Entity::insert(scan_row(scan)?)
            .exec_without_returning(self.conn())
            .await
            .map_err(unexpected)?;
        Ok(())
    }

    async fn find_scan(
        &self,
        tenant: TenantId,
        id: ScanId,
    ) -> Result<Option<Scan>, RepositoryError> {
        find_scan(&self.read(), tenant, id).await
    }

    async fn list_scans(
        &self,
        tenant: TenantId,
        filter: &ScanFilter,
        page: PageRequest,
    ) -> Result<Page<Scan>, RepositoryError> {
        list_scans(&self.read(), tenant, filter, page).await
    }

    async fn due_scans(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<(TenantId, ScanId)>, RepositoryError> {
        Ok(scan::Entity::find()
            .filter(due_condition(now))
            .order_by_asc(scan::Column::CreatedAt)
            .order_by_asc(scan::Column::Id)
            .limit(limit)
            .all(&self.read())
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(|row| {
                (
                    TenantId::from_uuid(row.tenant_id),
                    ScanId::from_uuid(row.id),
                )
            })
            .collect())
    }

    async fn claim_scan(
        &self,
        tenant: TenantId,
        id: ScanId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<Scan>, RepositoryError> {
        // One statement decides who gets it: the row must still be due when it is written.
        let result = scan::Entity::update_many()
            .col_expr(
                scan::Column::Status,
                Expr::value(ScanStatus::Running.as_str()),
            )
            .col_expr(
                scan::Column::Attempts,
                Expr::col(scan::Column::Attempts).add(1),
            )
            .col_expr(scan::Column::LeaseUntil, Expr::value(until))
            .filter(scan::Column::TenantId.eq(tenant.as_uuid()))
            .filter(scan::Column::Id.eq(id.as_uuid()))
            .filter(due_condition(now))
            .exec(self.conn())
            .await
            .map_err(unexpected)?;
        if result.rows_affected != 1 {
            return Ok(None);
        }
        find_scan(self.conn(), tenant, id).await
    }

    async fn save_scan_attempt(
        &self,
        tenant: TenantId,
        scan: &Scan,
        attempt: u32,
    ) -> Result<bool, RepositoryError> {
        ensure_tenant(scan.tenant_id, tenant, "scan")?;
        let result = scan::Entity::update_many()
            .col_expr(scan::Column::Status, Expr::value(scan.status.as_str()))
            .col_expr(
                scan::Column::Decision,
                Expr::value(scan.decision.map(|d| d.as_str().to_owned())),
            )
            .col_expr(scan::Column::Findings, Expr::value(json(&scan.findings)?))
            .col_expr(scan::Column::Coverage, Expr::value(json(&scan.coverage)?))
            .col_expr(
                scan::Column::Files,
                Expr::value(i32::try_from(scan.files).unwrap_or(i32::MAX)),
            )
            .col_expr(scan::Column::Error, Expr::value(scan.error.clone()))
            .col_expr(scan::Column::LeaseUntil, Expr::value(scan.lease_until))
            .col_expr(scan::Column::CompletedAt, Expr::value(scan.completed_at))
            .col_expr(scan::Column::Artifact, Expr::value(scan.artifact.clone()))
            .col_expr(scan::Column::LatencyMs, Expr::value(latency_ms(scan)))
            .filter(scan::Column::TenantId.eq(tenant.as_uuid()))
            .filter(scan::Column::Id.eq(scan.id.as_uuid()))
            .filter(scan::Column::Status.eq(ScanStatus::Running.as_str()))
            .filter(scan::Column::Attempts.eq(i32::try_from(attempt).unwrap_or(i32::MAX)))
            .exec(self.conn())
            .await
            .map_err(unexpected)?;
        Ok(result.rows_affected == 1)
    }

    async fn scans_past_retention(
        &self,
        tenant: TenantId,
        submitted_before: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Scan>, RepositoryError> {
        scan::Entity::find()
            .filter(scan::Column::TenantId.eq(tenant.as_uuid()))
            .filter(scan::Column::DiffDeletedAt.is_null())
            .filter(scan::Column::CreatedAt.lt(submitted_before))
            // A diff still to be scanned is never taken from under its worker.
            .filter(
                scan::Column::Status
                    .is_in([ScanStatus::Completed.as_str(), ScanStatus::Error.as_str()]),
            )
            .order_by_asc(scan::Column::CreatedAt)
            .order_by_asc(scan::Column::Id)
            .limit(limit)
            .all(self.conn())
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(scan_of)
            .collect()
    }

    async fn mark_diff_deleted(
        &self,
        tenant: TenantId,
        id: ScanId,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let result = scan::Entity::update_many()
            .col_expr(scan::Column::DiffDeletedAt, Expr::value(Some(at)))
            .filter(scan::Column::TenantId.eq(tenant.as_uuid()))
            .filter(scan::Column::Id.eq(id.as_uuid()))
            .filter(scan::Column::DiffDeletedAt.is_null())
            .exec(self.conn())
            .await
            .map_err(unexpected)?;
        Ok(result.rows_affected == 1)
    }

    async fn scan_queue_stats(&self) -> Result<ScanQueueStats, RepositoryError> {
        queue_stats(&self.read()).await
    }
}

/// One pass over the scans for the counts by status and the latency histogram, and one over
/// the pending deletions of diffs. The bucket bounds are our constants, never input.
async fn queue_stats(db: &impl ConnectionTrait) -> Result<ScanQueueStats, RepositoryError> {
    let count_where = |condition: String| {
        format!("CAST(COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0) AS BIGINT)")
    };
    let mut columns = vec![
        count_where(format!("status = '{}'", ScanStatus::Queued.as_str())),
        count_where(format!("status = '{}'", ScanStatus::Running.as_str())),
        count_where(format!("status = '{}'", ScanStatus::Completed.as_str())),
        count_where(format!("status = '{}'", ScanStatus::Error.as_str())),
        count_where("latency_ms IS NOT NULL".to_owned()),
        "CAST(COALESCE(SUM(latency_ms), 0) AS BIGINT)".to_owned(),
        count_where("diff_deleted_at IS NOT NULL".to_owned()),
    ];
    columns.extend(
        LATENCY_BUCKETS_MS
            .iter()
            .map(|bound| count_where(format!("latency_ms <= {bound}"))),
    );
    let backend = db.get_database_backend();
    let sql = format!("SELECT {} FROM scans", columns.join(", "));
    let row = db
        .query_one_raw(Statement::from_string(backend, sql))
        .await
        .map_err(unexpected)?;
    let mut values = Vec::with_capacity(columns.len());
    for index in 0..columns.len() {
        let value: i64 = match &row {
            Some(row) => row.try_get_by_index(index).map_err(unexpected)?,
            None => 0,
        };
        values.push(u64::try_from(value).unwrap_or_default());
    }
    let awaiting = super::evidence::entities::pending::Entity::find()
        .filter(super::evidence::entities::pending::Column::ObjectKey.starts_with("diffs/"))
        .filter(
            super::evidence::entities::pending::Column::Purpose.eq(PendingPurpose::Purge.as_str()),
        )
        .count(db)
        .await
        .map_err(unexpected)?;
    Ok(ScanQueueStats {
        queued: values[0],
        running: values[1],
        completed: values[2],
        dead_letters: values[3],
        latency_count: values[4],
        latency_sum_ms: values[5],
        diffs_expired: values[6],
        latency_buckets: values[7..].to_vec(),
        diffs_awaiting_deletion: awaiting,
    })
}
