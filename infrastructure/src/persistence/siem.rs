//! The tenants' SIEM connections.

use async_trait::async_trait;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::OnConflict,
};

use aegis_domain::ports::{RepositoryError, SiemRepository};
use aegis_domain::siem::{SiemConnection, SiemConnectionId, SiemKind};
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;

use super::error::{corrupt, ensure_tenant, unexpected};
use super::{Connection, SeaStore};

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod siem_connection {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "siem_connections")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub name: String,
            pub kind: String,
            pub base_url: String,
            pub index: Option<String>,
            pub rule_field: Option<String>,
            pub search: Option<String>,
            pub workspace_id: Option<String>,
            pub directory_id: Option<String>,
            pub login_url: Option<String>,
            pub username: Option<String>,
            pub secret_sealed: Vec<u8>,
            pub created_by: Uuid,
            pub created_at: DateTimeUtc,
            pub updated_by: Uuid,
            pub updated_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::siem_connection as row;

fn connection_of(model: row::Model) -> Result<SiemConnection, RepositoryError> {
    Ok(SiemConnection {
        id: SiemConnectionId::from_uuid(model.id),
        tenant_id: TenantId::from_uuid(model.tenant_id),
        kind: SiemKind::parse(&model.kind).ok_or_else(|| corrupt("SIEM kind", &model.kind))?,
        name: model.name,
        base_url: model.base_url,
        index: model.index,
        rule_field: model.rule_field,
        search: model.search,
        workspace_id: model.workspace_id,
        directory_id: model.directory_id,
        login_url: model.login_url,
        username: model.username,
        secret_sealed: model.secret_sealed,
        created_by: UserId::from_uuid(model.created_by),
        created_at: model.created_at,
        updated_by: UserId::from_uuid(model.updated_by),
        updated_at: model.updated_at,
    })
}

async fn connections(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Vec<SiemConnection>, RepositoryError> {
    row::Entity::find()
        .filter(row::Column::TenantId.eq(tenant.as_uuid()))
        .order_by_asc(row::Column::Name)
        .order_by_asc(row::Column::Id)
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(connection_of)
        .collect()
}

async fn find(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: SiemConnectionId,
) -> Result<Option<SiemConnection>, RepositoryError> {
    row::Entity::find()
        .filter(row::Column::TenantId.eq(tenant.as_uuid()))
        .filter(row::Column::Id.eq(id.as_uuid()))
        .one(db)
        .await
        .map_err(unexpected)?
        .map(connection_of)
        .transpose()
}

#[async_trait]
impl<C: Connection> SiemRepository for SeaStore<C> {
    async fn siem_connections(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<SiemConnection>, RepositoryError> {
        connections(&self.read(), tenant).await
    }

    async fn find_siem_connection(
        &self,
        tenant: TenantId,
        id: SiemConnectionId,
    ) -> Result<Option<SiemConnection>, RepositoryError> {
        find(&self.read(), tenant, id).await
    }

    async fn save_siem_connection(
        &self,
        tenant: TenantId,
        connection: &SiemConnection,
    ) -> Result<(), RepositoryError> {
        ensure_tenant(connection.tenant_id, tenant, "SIEM connection")?;
        let c = connection;
        let model = row::ActiveModel {
            id: Set(c.id.as_uuid()),
            tenant_id: Set(tenant.as_uuid()),
            name: Set(c.name.clone()),
            kind: Set(c.kind.as_str().to_owned()),
            base_url: Set(c.base_url.clone()),
            index: Set(c.index.clone()),
            rule_field: Set(c.rule_field.clone()),
            search: Set(c.search.clone()),
            workspace_id: Set(c.workspace_id.clone()),
            directory_id: Set(c.directory_id.clone()),
            login_url: Set(c.login_url.clone()),
            username: Set(c.username.clone()),
            secret_sealed: Set(c.secret_sealed.clone()),
            created_by: Set(c.created_by.as_uuid()),
            created_at: Set(c.created_at),
            updated_by: Set(c.updated_by.as_uuid()),
            updated_at: Set(c.updated_at),
        };
        use row::Column as Col;
        row::Entity::insert(model)
            .on_conflict(
                OnConflict::column(Col::Id)
                    .update_columns([
                        Col::Name,
                        Col::Kind,
                        Col::BaseUrl,
                        Col::Index,
                        Col::RuleField,
                        Col::Search,
                        Col::WorkspaceId,
                        Col::DirectoryId,
                        Col::LoginUrl,
                        Col::Username,
                        Col::SecretSealed,
                        Col::UpdatedBy,
                        Col::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(self.conn())
            .await
            .map_err(unexpected)?;
        Ok(())
    }

    async fn delete_siem_connection(
        &self,
        tenant: TenantId,
        id: SiemConnectionId,
    ) -> Result<bool, RepositoryError> {
        let result = row::Entity::delete_many()
            .filter(row::Column::TenantId.eq(tenant.as_uuid()))
            .filter(row::Column::Id.eq(id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(unexpected)?;
        Ok(result.rows_affected > 0)
    }
}
