//! API keys, stored by the hash of the key.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};

use aegis_domain::api_key::{ApiKey, ApiKeyId, Scopes};
use aegis_domain::ports::{ApiKeyRepository, Entity, RepositoryError, Subject};
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;

use super::error::{corrupt, ensure_tenant, on_write, unexpected};
use super::{Connection, SeaStore};

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod api_key {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "api_keys")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub owner_id: Uuid,
            pub name: String,
            pub prefix: String,
            pub secret_hash: String,
            pub scopes: String,
            pub expires_at: Option<DateTimeUtc>,
            pub created_by: Uuid,
            pub created_at: DateTimeUtc,
            pub last_used_at: Option<DateTimeUtc>,
            pub last_used_ip: Option<String>,
            pub revoked_at: Option<DateTimeUtc>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::api_key;

fn to_domain(row: api_key::Model) -> Result<ApiKey, RepositoryError> {
    Ok(ApiKey {
        id: ApiKeyId::from_uuid(row.id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        owner_id: UserId::from_uuid(row.owner_id),
        name: row.name,
        prefix: row.prefix,
        secret_hash: row.secret_hash,
        scopes: Scopes::parse(row.scopes.split_whitespace())
            .map_err(|e| corrupt("API key scopes", e))?,
        expires_at: row.expires_at,
        created_by: UserId::from_uuid(row.created_by),
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        last_used_ip: row.last_used_ip,
        revoked_at: row.revoked_at,
    })
}

fn to_row(key: &ApiKey) -> api_key::ActiveModel {
    api_key::ActiveModel {
        id: Set(key.id.as_uuid()),
        tenant_id: Set(key.tenant_id.as_uuid()),
        owner_id: Set(key.owner_id.as_uuid()),
        name: Set(key.name.clone()),
        prefix: Set(key.prefix.clone()),
        secret_hash: Set(key.secret_hash.clone()),
        scopes: Set(key.scopes.to_text()),
        expires_at: Set(key.expires_at),
        created_by: Set(key.created_by.as_uuid()),
        created_at: Set(key.created_at),
        last_used_at: Set(key.last_used_at),
        last_used_ip: Set(key.last_used_ip.clone()),
        revoked_at: Set(key.revoked_at),
    }
}

async fn insert(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    key: &ApiKey,
) -> Result<(), RepositoryError> {
    ensure_tenant(key.tenant_id, tenant, "API key")?;
    api_key::Entity::insert(to_row(key))
        .exec_without_returning(db)
        .await
        .map_err(on_write(Subject::ApiKey))?;
    Ok(())
}

async fn find(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: ApiKeyId,
) -> Result<Option<ApiKey>, RepositoryError> {
    api_key::Entity::find()
        .filter(api_key::Column::TenantId.eq(tenant.as_uuid()))
        .filter(api_key::Column::Id.eq(id.as_uuid()))
        .one(db)
        .await
        .map_err(unexpected)?
        .map(to_domain)
        .transpose()
}

async fn find_by_hash(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    secret_hash: &str,
) -> Result<Option<ApiKey>, RepositoryError> {
    api_key::Entity::find()
        .filter(api_key::Column::TenantId.eq(tenant.as_uuid()))
        .filter(api_key::Column::SecretHash.eq(secret_hash))
        .one(db)
        .await
        .map_err(unexpected)?
        .map(to_domain)
        .transpose()
}

async fn list(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    owner: Option<UserId>,
) -> Result<Vec<ApiKey>, RepositoryError> {
    let mut query = api_key::Entity::find().filter(api_key::Column::TenantId.eq(tenant.as_uuid()));
    if let Some(owner) = owner {
        query = query.filter(api_key::Column::OwnerId.eq(owner.as_uuid()));
    }
    query
        .order_by_desc(api_key::Column::CreatedAt)
        .order_by_desc(api_key::Column::Id)
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(to_domain)
        .collect()
}

async fn update(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    key: &ApiKey,
) -> Result<(), RepositoryError> {
    ensure_tenant(key.tenant_id, tenant, "API key")?;
    let result = api_key::Entity::update_many()
        .col_expr(api_key::Column::Name, Expr::value(key.name.clone()))
        .col_expr(api_key::Column::Scopes, Expr::value(key.scopes.to_text()))
        .col_expr(api_key::Column::ExpiresAt, Expr::value(key.expires_at))
        .col_expr(api_key::Column::RevokedAt, Expr::value(key.revoked_at))
        .filter(api_key::Column::TenantId.eq(tenant.as_uuid()))
        .filter(api_key::Column::Id.eq(key.id.as_uuid()))
        .exec(db)
        .await
        .map_err(unexpected)?;
    if result.rows_affected == 0 {
        return Err(RepositoryError::NotFound(Entity::ApiKey));
    }
    Ok(())
}

async fn record_use(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: ApiKeyId,
    at: DateTime<Utc>,
    ip: Option<&str>,
) -> Result<(), RepositoryError> {
    api_key::Entity::update_many()
        .col_expr(api_key::Column::LastUsedAt, Expr::value(at))
        .col_expr(
            api_key::Column::LastUsedIp,
            Expr::value(ip.map(|ip| ip.chars().take(64).collect::<String>())),
        )
        .filter(api_key::Column::TenantId.eq(tenant.as_uuid()))
        .filter(api_key::Column::Id.eq(id.as_uuid()))
        .exec(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

#[async_trait]
impl<C: Connection> ApiKeyRepository for SeaStore<C> {
    async fn insert_api_key(&self, tenant: TenantId, key: &ApiKey) -> Result<(), RepositoryError> {
        insert(self.conn(), tenant, key).await
    }
    async fn find_api_key(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
    ) -> Result<Option<ApiKey>, RepositoryError> {
        find(self.conn(), tenant, id).await
    }
    async fn find_api_key_by_hash(
        &self,
        tenant: TenantId,
        secret_hash: &str,
    ) -> Result<Option<ApiKey>, RepositoryError> {
        find_by_hash(self.conn(), tenant, secret_hash).await
    }
    async fn list_api_keys(
        &self,
        tenant: TenantId,
        owner: Option<UserId>,
    ) -> Result<Vec<ApiKey>, RepositoryError> {
        list(self.conn(), tenant, owner).await
    }
    async fn update_api_key(&self, tenant: TenantId, key: &ApiKey) -> Result<(), RepositoryError> {
        update(self.conn(), tenant, key).await
    }
    async fn record_api_key_use(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        at: DateTime<Utc>,
        ip: Option<&str>,
    ) -> Result<(), RepositoryError> {
        record_use(self.conn(), tenant, id, at, ip).await
    }
}
