//! Tenants and the head of each tenant's audit chain.

use aegis_domain::ports::Entity;
use aegis_domain::ports::Subject;
use aegis_domain::ports::TenantRepository;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};

use aegis_domain::ports::RepositoryError;
use aegis_domain::tenant::{AuditHead, Tenant, TenantId, TenantSlug};
use aegis_domain::user::UserId;
use chrono::{DateTime, Utc};

use super::entities::{platform_operator, tenant, user};
use super::error::{corrupt, on_write, unexpected};

use async_trait::async_trait;

use super::{Connection, SeaStore};

fn to_domain(row: tenant::Model) -> Result<Tenant, RepositoryError> {
    Ok(Tenant {
        id: TenantId::from_uuid(row.id),
        slug: TenantSlug::parse(&row.slug).map_err(|e| corrupt("tenant slug", e))?,
        name: row.name,
        created_at: row.created_at,
        disabled_at: row.disabled_at,
    })
}

pub(crate) async fn find(
    db: &impl ConnectionTrait,
    id: TenantId,
) -> Result<Option<Tenant>, RepositoryError> {
    tenant::Entity::find_by_id(id.as_uuid())
        .one(db)
        .await
        .map_err(unexpected)?
        .map(to_domain)
        .transpose()
}

pub(crate) async fn find_by_slug(
    db: &impl ConnectionTrait,
    slug: &TenantSlug,
) -> Result<Option<Tenant>, RepositoryError> {
    tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(slug.as_str()))
        .one(db)
        .await
        .map_err(unexpected)?
        .map(to_domain)
        .transpose()
}

pub(crate) async fn list(db: &impl ConnectionTrait) -> Result<Vec<Tenant>, RepositoryError> {
    let rows = tenant::Entity::find()
        .order_by_asc(tenant::Column::Slug)
        .all(db)
        .await
        .map_err(unexpected)?;
    rows.into_iter().map(to_domain).collect()
}

pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
) -> Result<(), RepositoryError> {
    let row = tenant::ActiveModel {
        id: Set(tenant.id.as_uuid()),
        slug: Set(tenant.slug.as_str().to_owned()),
        name: Set(tenant.name.clone()),
        created_at: Set(tenant.created_at),
        audit_sequence: Set(0),
        audit_head_hash: Set(aegis_domain::audit::GENESIS_HASH.to_owned()),
        disabled_at: Set(tenant.disabled_at),
    };
    tenant::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map_err(on_write(Subject::TenantSlug))?;
    Ok(())
}

pub(crate) async fn update(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
) -> Result<(), RepositoryError> {
    let result = tenant::Entity::update_many()
        .col_expr(tenant::Column::Name, Expr::value(tenant.name.clone()))
        .col_expr(tenant::Column::DisabledAt, Expr::value(tenant.disabled_at))
        .filter(tenant::Column::Id.eq(tenant.id.as_uuid()))
        .exec(db)
        .await
        .map_err(unexpected)?;
    if result.rows_affected == 0 {
        return Err(RepositoryError::NotFound(Entity::Tenant));
    }
    Ok(())
}

async fn is_operator(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
) -> Result<bool, RepositoryError> {
    Ok(platform_operator::Entity::find_by_id(user.as_uuid())
        .filter(platform_operator::Column::TenantId.eq(tenant.as_uuid()))
        .one(db)
        .await
        .map_err(unexpected)?
        .is_some())
}

async fn grant_operator(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
    at: DateTime<Utc>,
) -> Result<(), RepositoryError> {
    let exists = user::Entity::find_by_id(user.as_uuid())
        .filter(user::Column::TenantId.eq(tenant.as_uuid()))
        .one(db)
        .await
        .map_err(unexpected)?
        .is_some();
    if !exists {
        return Err(RepositoryError::NotFound(Entity::User));
    }
    if is_operator(db, tenant, user).await? {
        return Ok(());
    }
    let row = platform_operator::ActiveModel {
        user_id: Set(user.as_uuid()),
        tenant_id: Set(tenant.as_uuid()),
        granted_at: Set(at),
    };
    platform_operator::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

/// A no-op update takes the row lock in PostgreSQL (held until the transaction ends), so
/// concurrent appenders queue here instead of forking the chain. SQLite serializes writers.
pub(crate) async fn lock_audit_head(
    db: &impl ConnectionTrait,
    id: TenantId,
) -> Result<AuditHead, RepositoryError> {
    tenant::Entity::update_many()
        .col_expr(
            tenant::Column::AuditSequence,
            Expr::col(tenant::Column::AuditSequence),
        )
        .filter(tenant::Column::Id.eq(id.as_uuid()))
        .exec(db)
        .await
        .map_err(unexpected)?;
    let row = tenant::Entity::find_by_id(id.as_uuid())
        .one(db)
        .await
        .map_err(unexpected)?
        .ok_or_else(|| RepositoryError::NotFound(Entity::Tenant))?;
    Ok(AuditHead {
        sequence: row.audit_sequence,
        hash: row.audit_head_hash,
    })
}

/// Moves the head to `next` if it still is `expected`; returns whether it moved.
pub(crate) async fn swap_audit_head(
    db: &impl ConnectionTrait,
    id: TenantId,
    expected: &AuditHead,
    next: &AuditHead,
) -> Result<bool, RepositoryError> {
    let result = tenant::Entity::update_many()
        .col_expr(tenant::Column::AuditSequence, Expr::value(next.sequence))
        .col_expr(
            tenant::Column::AuditHeadHash,
            Expr::value(next.hash.clone()),
        )
        .filter(tenant::Column::Id.eq(id.as_uuid()))
        .filter(tenant::Column::AuditSequence.eq(expected.sequence))
        .filter(tenant::Column::AuditHeadHash.eq(expected.hash.as_str()))
        .exec(db)
        .await
        .map_err(unexpected)?;
    Ok(result.rows_affected == 1)
}

#[async_trait]
impl<C: Connection> TenantRepository for SeaStore<C> {
    async fn find_tenant(&self, tenant: TenantId) -> Result<Option<Tenant>, RepositoryError> {
        find(self.conn(), tenant).await
    }
    async fn find_tenant_by_slug(
        &self,
        slug: &TenantSlug,
    ) -> Result<Option<Tenant>, RepositoryError> {
        find_by_slug(self.conn(), slug).await
    }
    async fn list_tenants(&self) -> Result<Vec<Tenant>, RepositoryError> {
        list(self.conn()).await
    }
    async fn insert_tenant(&self, tenant: &Tenant) -> Result<(), RepositoryError> {
        insert(self.conn(), tenant).await
    }
    async fn update_tenant(&self, tenant: &Tenant) -> Result<(), RepositoryError> {
        update(self.conn(), tenant).await
    }
    async fn is_platform_operator(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<bool, RepositoryError> {
        is_operator(self.conn(), tenant, user).await
    }
    async fn grant_platform_operator(
        &self,
        tenant: TenantId,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        grant_operator(self.conn(), tenant, user, at).await
    }
}
