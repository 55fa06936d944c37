//! Evidence rows and their custody events.

use aegis_domain::ports::Entity;
use aegis_domain::ports::EvidenceRepository;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};

use aegis_domain::evidence::{
    CustodyEvent, CustodyKind, Evidence, EvidenceId, PendingObject, PendingPurpose,
};
use aegis_domain::ports::RepositoryError;
use aegis_domain::tenant::TenantId;
use aegis_domain::test_case::TestId;
use aegis_domain::user::UserId;
use aegis_domain::workflow::Team;

use super::error::{corrupt, ensure_tenant, unexpected};

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod evidence {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "evidence")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub test_id: Uuid,
            pub team: String,
            pub filename: String,
            pub content_type: String,
            pub size_bytes: i64,
            pub sha256: String,
            pub object_key: String,
            pub uploaded_by: Uuid,
            pub uploaded_at: DateTimeUtc,
            pub deleted_at: Option<DateTimeUtc>,
            pub deleted_by: Option<Uuid>,
            pub delete_reason: Option<String>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod pending {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "evidence_pending_objects")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub object_key: String,
            pub tenant_id: Uuid,
            pub purpose: String,
            pub recorded_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod custody {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "evidence_custody")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub evidence_id: Uuid,
            pub kind: String,
            pub actor_id: Uuid,
            pub occurred_at: DateTimeUtc,
            pub sha256: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::{custody, evidence, pending};

use async_trait::async_trait;

use super::{Connection, SeaStore};

fn to_domain(row: evidence::Model) -> Result<Evidence, RepositoryError> {
    let team = match row.team.as_str() {
        "red" => Team::Red,
        "blue" => Team::Blue,
        other => return Err(corrupt("evidence team", other)),
    };
    Ok(Evidence {
        id: EvidenceId::from_uuid(row.id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        test_id: TestId::from_uuid(row.test_id),
        team,
        filename: row.filename,
        content_type: row.content_type,
        size_bytes: row.size_bytes,
        sha256: row.sha256,
        object_key: row.object_key,
        uploaded_by: UserId::from_uuid(row.uploaded_by),
        uploaded_at: row.uploaded_at,
        deleted_at: row.deleted_at,
        deleted_by: row.deleted_by.map(UserId::from_uuid),
        delete_reason: row.delete_reason,
    })
}

fn to_row(e: &Evidence) -> evidence::ActiveModel {
    evidence::ActiveModel {
        id: Set(e.id.as_uuid()),
        tenant_id: Set(e.tenant_id.as_uuid()),
        test_id: Set(e.test_id.as_uuid()),
        team: Set(e.team.as_str().to_owned()),
        filename: Set(e.filename.clone()),
        content_type: Set(e.content_type.clone()),
        size_bytes: Set(e.size_bytes),
        sha256: Set(e.sha256.clone()),
        object_key: Set(e.object_key.clone()),
        uploaded_by: Set(e.uploaded_by.as_uuid()),
        uploaded_at: Set(e.uploaded_at),
        deleted_at: Set(e.deleted_at),
        deleted_by: Set(e.deleted_by.map(|u| u.as_uuid())),
        delete_reason: Set(e.delete_reason.clone()),
    }
}

pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    e: &Evidence,
) -> Result<(), RepositoryError> {
    ensure_tenant(e.tenant_id, tenant, "evidence")?;
    evidence::Entity::insert(to_row(e))
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

pub(crate) async fn find(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: EvidenceId,
) -> Result<Option<Evidence>, RepositoryError> {
    evidence::Entity::find()
        .filter(evidence::Column::TenantId.eq(tenant.as_uuid()))
        .filter(evidence::Column::Id.eq(id.as_uuid()))
        .one(db)
        .await
        .map_err(unexpected)?
        .map(to_domain)
        .transpose()
}

pub(crate) async fn list(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    test: TestId,
) -> Result<Vec<Evidence>, RepositoryError> {
    evidence::Entity::find()
        .filter(evidence::Column::TenantId.eq(tenant.as_uuid()))
        .filter(evidence::Column::TestId.eq(test.as_uuid()))
        .order_by_asc(evidence::Column::UploadedAt)
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(to_domain)
        .collect()
}

pub(crate) async fn mark_deleted(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    e: &Evidence,
) -> Result<(), RepositoryError> {
    let result = evidence::Entity::update_many()
        .col_expr(
            evidence::Column::DeletedAt,
            sea_orm::sea_query::Expr::value(e.deleted_at),
        )
        .col_expr(
            evidence::Column::DeletedBy,
            sea_orm::sea_query::Expr::value(e.deleted_by.map(|u| u.as_uuid())),
        )
        .col_expr(
            evidence::Column::DeleteReason,
            sea_orm::sea_query::Expr::value(e.delete_reason.clone()),
        )
        .filter(evidence::Column::TenantId.eq(tenant.as_uuid()))
        .filter(evidence::Column::Id.eq(e.id.as_uuid()))
        .exec(db)
        .await
        .map_err(unexpected)?;
    if result.rows_affected == 0 {
        return Err(RepositoryError::NotFound(Entity::Evidence));
    }
    Ok(())
}

pub(crate) async fn insert_custody(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    event: &CustodyEvent,
) -> Result<(), RepositoryError> {
    let row = custody::ActiveModel {
        id: Set(event.id),
        tenant_id: Set(tenant.as_uuid()),
        evidence_id: Set(event.evidence_id.as_uuid()),
        kind: Set(event.kind.as_str().to_owned()),
        actor_id: Set(event.actor.as_uuid()),
        occurred_at: Set(event.occurred_at),
        sha256: Set(event.sha256.clone()),
    };
    custody::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

pub(crate) async fn custody_log(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: EvidenceId,
) -> Result<Vec<CustodyEvent>, RepositoryError> {
    custody::Entity::find()
        .filter(custody::Column::TenantId.eq(tenant.as_uuid()))
        .filter(custody::Column::EvidenceId.eq(id.as_uuid()))
        .order_by_asc(custody::Column::OccurredAt)
        .order_by_asc(custody::Column::Id)
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(|row| {
            Ok(CustodyEvent {
                id: row.id,
                evidence_id: EvidenceId::from_uuid(row.evidence_id),
                kind: CustodyKind::parse(&row.kind)
                    .ok_or_else(|| corrupt("custody kind", &row.kind))?,
                actor: UserId::from_uuid(row.actor_id),
                occurred_at: row.occurred_at,
                sha256: row.sha256,
            })
        })
        .collect()
}

pub(crate) async fn record_pending(
    db: &impl ConnectionTrait,
    object: &PendingObject,
) -> Result<(), RepositoryError> {
    let row = pending::ActiveModel {
        object_key: Set(object.object_key.clone()),
        tenant_id: Set(object.tenant_id.as_uuid()),
        purpose: Set(object.purpose.as_str().to_owned()),
        recorded_at: Set(object.recorded_at),
    };
    pending::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

pub(crate) async fn claim_pending(
    db: &impl ConnectionTrait,
    object_key: &str,
) -> Result<bool, RepositoryError> {
    let result = pending::Entity::delete_many()
        .filter(pending::Column::ObjectKey.eq(object_key))
        .exec(db)
        .await
        .map_err(unexpected)?;
    Ok(result.rows_affected == 1)
}

pub(crate) async fn pending_before(
    db: &impl ConnectionTrait,
    recorded_before: chrono::DateTime<chrono::Utc>,
    limit: u64,
) -> Result<Vec<PendingObject>, RepositoryError> {
    use sea_orm::QuerySelect;
    pending::Entity::find()
        .filter(pending::Column::RecordedAt.lt(recorded_before))
        .order_by_asc(pending::Column::RecordedAt)
        .limit(limit)
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(|row| {
            Ok(PendingObject {
                purpose: PendingPurpose::parse(&row.purpose)
                    .ok_or_else(|| corrupt("pending object purpose", &row.purpose))?,
                object_key: row.object_key,
                tenant_id: TenantId::from_uuid(row.tenant_id),
                recorded_at: row.recorded_at,
            })
        })
        .collect()
}

#[async_trait]
impl<C: Connection> EvidenceRepository for SeaStore<C> {
    async fn insert_evidence(
        &self,
        tenant: TenantId,
        item: &Evidence,
    ) -> Result<(), RepositoryError> {
        insert(self.conn(), tenant, item).await
    }
    async fn find_evidence(
        &self,
        tenant: TenantId,
        id: EvidenceId,
    ) -> Result<Option<Evidence>, RepositoryError> {
        find(self.conn(), tenant, id).await
    }
    async fn list_evidence(
        &self,
        tenant: TenantId,
        test: TestId,
    ) -> Result<Vec<Evidence>, RepositoryError> {
        list(self.conn(), tenant, test).await
    }
    async fn mark_evidence_deleted(
        &self,
        tenant: TenantId,
        item: &Evidence,
    ) -> Result<(), RepositoryError> {
        mark_deleted(self.conn(), tenant, item).await
    }
    async fn insert_custody_event(
        &self,
        tenant: TenantId,
        event: &CustodyEvent,
    ) -> Result<(), RepositoryError> {
        insert_custody(self.conn(), tenant, event).await
    }
    async fn custody_log(
        &self,
        tenant: TenantId,
        id: EvidenceId,
    ) -> Result<Vec<CustodyEvent>, RepositoryError> {
        custody_log(self.conn(), tenant, id).await
    }
    async fn record_pending_object(&self, object: &PendingObject) -> Result<(), RepositoryError> {
        record_pending(self.conn(), object).await
    }
    async fn claim_pending_object(&self, key: &str) -> Result<bool, RepositoryError> {
        claim_pending(self.conn(), key).await
    }
    async fn pending_objects(
        &self,
        recorded_before: chrono::DateTime<chrono::Utc>,
        limit: u64,
    ) -> Result<Vec<PendingObject>, RepositoryError> {
        pending_before(self.conn(), recorded_before, limit).await
    }
}
