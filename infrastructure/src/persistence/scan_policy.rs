//! A tenant's scan policy profile (one row, the policy as JSON text) and its waivers (one
//! row each, unique by kind and subject).

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};

use aegis_domain::ports::{RepositoryError, ScanPolicyRepository, Subject};
use aegis_domain::scan::ScanId;
use aegis_domain::scan_policy::{
    ScanWaiver, ScanWaiverId, StoredScanPolicy, WaiverKind, WaiverScope,
};
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;

use super::error::{corrupt, ensure_tenant, on_write, unexpected};
use super::{Connection, SeaStore};

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod scan_policy {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "scan_policies")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub tenant_id: Uuid,
            pub policy: String,
            pub diff_retention_days: i32,
            pub updated_by: Uuid,
            pub updated_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod scan_waiver {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "scan_waivers")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub kind: String,
            pub subject: String,
            pub fingerprint: Option<String>,
            pub repository: Option<String>,
            pub scan_id: Option<Uuid>,
            pub fingerprints: Option<String>,
            pub rule_id: Option<String>,
            pub path_pattern: Option<String>,
            pub reason: String,
            pub created_by: Uuid,
            pub created_at: DateTimeUtc,
            pub expires_at: Option<DateTimeUtc>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::{scan_policy, scan_waiver};

/// What a waiver is unique by within its kind.
fn subject(scope: &WaiverScope) -> String {
    match scope {
        WaiverScope::Suppression { fingerprint } => fingerprint.clone(),
        WaiverScope::Baseline { repository, .. } => repository.clone(),
        WaiverScope::Exception {
            rule_id,
            path_pattern,
        } => format!("{rule_id}\n{path_pattern}"),
    }
}

fn waiver_row(w: &ScanWaiver) -> Result<scan_waiver::ActiveModel, RepositoryError> {
    let (mut fingerprint, mut repository, mut scan_id, mut fingerprints) = (None, None, None, None);
    let (mut rule_id, mut path_pattern) = (None, None);
    match &w.scope {
        WaiverScope::Suppression { fingerprint: f } => fingerprint = Some(f.clone()),
        WaiverScope::Baseline {
            repository: r,
            scan_id: s,
            fingerprints: f,
        } => {
            repository = Some(r.clone());
            scan_id = Some(s.as_uuid());
            fingerprints = Some(serde_json::to_string(f).map_err(|e| {
                RepositoryError::unexpected(format!("baseline fingerprints JSON: {e}"))
            })?);
        }
        WaiverScope::Exception {
            rule_id: r,
            path_pattern: p,
        } => {
            rule_id = Some(r.clone());
            path_pattern = Some(p.clone());
        }
    }
    Ok(scan_waiver::ActiveModel {
        id: Set(w.id.as_uuid()),
        tenant_id: Set(w.tenant_id.as_uuid()),
        kind: Set(w.scope.kind().as_str().to_owned()),
        subject: Set(subject(&w.scope)),
        fingerprint: Set(fingerprint),
        repository: Set(repository),
        scan_id: Set(scan_id),
        fingerprints: Set(fingerprints),
        rule_id: Set(rule_id),
        path_pattern: Set(path_pattern),
        reason: Set(w.reason.clone()),
        created_by: Set(w.created_by.as_uuid()),
        created_at: Set(w.created_at),
        expires_at: Set(w.expires_at),
    })
}

fn waiver_of(row: scan_waiver::Model) -> Result<ScanWaiver, RepositoryError> {
    let missing = |what: &str| corrupt("scan waiver", format!("{} without {what}", row.kind));
    let scope = match WaiverKind::parse(&row.kind) {
        Some(WaiverKind::Suppression) => WaiverScope::Suppression {
            fingerprint: row
                .fingerprint
                .clone()
                .ok_or_else(|| missing("fingerprint"))?,
        },
        Some(WaiverKind::Baseline) => {
            let text = row
                .fingerprints
                .as_deref()
                .ok_or_else(|| missing("fingerprints"))?;
            let fingerprints: BTreeSet<String> =
                serde_json::from_str(text).map_err(|e| corrupt("baseline fingerprints", e))?;
            WaiverScope::Baseline {
                repository: row
                    .repository
                    .clone()
                    .ok_or_else(|| missing("repository"))?,
                scan_id: ScanId::from_uuid(row.scan_id.ok_or_else(|| missing("scan"))?),
                fingerprints,
            }
        }
        Some(WaiverKind::Exception) => WaiverScope::Exception {
            rule_id: row.rule_id.clone().ok_or_else(|| missing("rule"))?,
            path_pattern: row
                .path_pattern
                .clone()
                .ok_or_else(|| missing("path pattern"))?,
        },
        None => return Err(corrupt("scan waiver kind", &row.kind)),
    };
    Ok(ScanWaiver {
        id: ScanWaiverId::from_uuid(row.id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        scope,
        reason: row.reason,
        created_by: UserId::from_uuid(row.created_by),
        created_at: row.created_at,
        expires_at: row.expires_at,
    })
}

async fn find_waiver(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: ScanWaiverId,
) -> Result<Option<ScanWaiver>, RepositoryError> {
    scan_waiver::Entity::find()
        .filter(scan_waiver::Column::TenantId.eq(tenant.as_uuid()))
        .filter(scan_waiver::Column::Id.eq(id.as_uuid()))
        .one(db)
        .await
        .map_err(unexpected)?
        .map(waiver_of)
        .transpose()
}

#[async_trait]
impl<C: Connection> ScanPolicyRepository for SeaStore<C> {
    async fn scan_policy(
        &self,
        tenant: TenantId,
    ) -> Result<Option<StoredScanPolicy>, RepositoryError> {
        let Some(row) = scan_policy::Entity::find_by_id(tenant.as_uuid())
            .one(&self.read())
            .await
            .map_err(unexpected)?
        else {
            return Ok(None);
        };
        Ok(Some(StoredScanPolicy {
            policy: serde_json::from_str(&row.policy).map_err(|e| corrupt("scan policy", e))?,
            diff_retention_days: u32::try_from(row.diff_retention_days)
                .map_err(|e| corrupt("scan diff retention", e))?,
            updated_by: UserId::from_uuid(row.updated_by),
            updated_at: row.updated_at,
        }))
    }

    async fn save_scan_policy(
        &self,
        tenant: TenantId,
        stored: &StoredScanPolicy,
    ) -> Result<(), RepositoryError> {
        let policy = serde_json::to_string(&stored.policy)
            .map_err(|e| RepositoryError::unexpected(format!("scan policy JSON: {e}")))?;
        let row = scan_policy::ActiveModel {
            tenant_id: Set(tenant.as_uuid()),
            policy: Set(policy),
            diff_retention_days: Set(i32::try_from(stored.diff_retention_days).unwrap_or(i32::MAX)),
            updated_by: Set(stored.updated_by.as_uuid()),
            updated_at: Set(stored.updated_at),
        };
        scan_policy::Entity::insert(row)
            .on_conflict(
                OnConflict::column(scan_policy::Column::TenantId)
                    .update_columns([
                        scan_policy::Column::Policy,
                        scan_policy::Column::DiffRetentionDays,
                        scan_policy::Column::UpdatedBy,
                        scan_policy::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(self.conn())
            .await
            .map_err(unexpected)?;
        Ok(())
    }

    async fn insert_scan_waiver(
        &self,
        tenant: TenantId,
        waiver: &ScanWaiver,
    ) -> Result<(), RepositoryError> {
        ensure_tenant(waiver.tenant_id, tenant, "scan waiver")?;
        scan_waiver::Entity::insert(waiver_row(waiver)?)
            .exec_without_returning(self.conn())
            .await
            .map_err(on_write(Subject::ScanWaiver))?;
        Ok(())
    }

    async fn scan_waivers(
        &self,
        tenant: TenantId,
        kind: Option<WaiverKind>,
        active_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<ScanWaiver>, RepositoryError> {
        let mut query =
            scan_waiver::Entity::find().filter(scan_waiver::Column::TenantId.eq(tenant.as_uuid()));
        if let Some(kind) = kind {
            query = query.filter(scan_waiver::Column::Kind.eq(kind.as_str()));
        }
        if let Some(now) = active_at {
            query = query.filter(
                Condition::any()
                    .add(scan_waiver::Column::ExpiresAt.is_null())
                    .add(scan_waiver::Column::ExpiresAt.gt(now)),
            );
        }
        query
            .order_by_desc(scan_waiver::Column::CreatedAt)
            .order_by_desc(scan_waiver::Column::Id)
            .all(&self.read())
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(waiver_of)
            .collect()
    }

    async fn find_scan_waiver(
        &self,
        tenant: TenantId,
        id: ScanWaiverId,
    ) -> Result<Option<ScanWaiver>, RepositoryError> {
        find_waiver(&self.read(), tenant, id).await
    }

    async fn delete_scan_waiver(
        &self,
        tenant: TenantId,
        id: ScanWaiverId,
    ) -> Result<bool, RepositoryError> {
        let result = scan_waiver::Entity::delete_many()
            .filter(scan_waiver::Column::TenantId.eq(tenant.as_uuid()))
            .filter(scan_waiver::Column::Id.eq(id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(unexpected)?;
        Ok(result.rows_affected == 1)
    }
}
