//! Single sign-on: each tenant's OpenID Connect configuration, the sign-ins in flight and the
//! provider subjects linked to users.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    sea_query::{Expr, OnConflict},
};
use serde::{Deserialize, Serialize};

use aegis_domain::ports::{RepositoryError, SsoRepository, Subject};
use aegis_domain::sso::{GroupRole, SsoConfig, SsoIdentity, SsoSignIn, SsoSignInId};
use aegis_domain::tenant::TenantId;
use aegis_domain::user::{Email, UserId};

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
        #[sea_orm(table_name = "sso_configs")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub tenant_id: Uuid,
            pub display_name: String,
            pub issuer: String,
            pub client_id: String,
            pub sealed_client_secret: Option<String>,
            pub scopes: String,
            pub groups_claim: String,
            pub role_mappings: String,
            pub default_role: Option<String>,
            pub jit_provisioning: bool,
            pub sso_only: bool,
            pub break_glass_email: Option<String>,
            pub enabled: bool,
            pub updated_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod sign_in {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "sso_sign_ins")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub state_hash: String,
            pub nonce: String,
            pub sealed_pkce_verifier: String,
            pub created_at: DateTimeUtc,
            pub expires_at: DateTimeUtc,
            pub used_at: Option<DateTimeUtc>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod identity {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "sso_identities")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub tenant_id: Uuid,
            #[sea_orm(primary_key, auto_increment = false)]
            pub issuer: String,
            #[sea_orm(primary_key, auto_increment = false)]
            pub subject: String,
            pub user_id: Uuid,
            pub created_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::{config, identity, sign_in};

/// One stored line of the group-to-role mapping.
#[derive(Serialize, Deserialize)]
struct StoredMapping {
    group: String,
    role: String,
}

fn to_row(tenant: TenantId, c: &SsoConfig) -> Result<config::ActiveModel, RepositoryError> {
    let mappings: Vec<StoredMapping> = c
        .role_mappings
        .iter()
        .map(|m| StoredMapping {
            group: m.group.clone(),
            role: m.role.as_str().to_owned(),
        })
        .collect();
    let mappings = serde_json::to_string(&mappings)
        .map_err(|e| RepositoryError::unexpected(format!("SSO role mappings: {e}")))?;
    Ok(config::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        display_name: Set(c.display_name.clone()),
        issuer: Set(c.issuer.clone()),
        client_id: Set(c.client_id.clone()),
        sealed_client_secret: Set(c.sealed_client_secret.clone()),
        scopes: Set(c.scopes.join(" ")),
        groups_claim: Set(c.groups_claim.clone()),
        role_mappings: Set(mappings),
        default_role: Set(c.default_role.map(|r| r.as_str().to_owned())),
        jit_provisioning: Set(c.jit_provisioning),
        sso_only: Set(c.sso_only),
        break_glass_email: Set(c.break_glass_email.as_ref().map(|e| e.as_str().to_owned())),
        enabled: Set(c.enabled),
        updated_at: Set(c.updated_at),
    })
}

fn from_row(row: config::Model) -> Result<SsoConfig, RepositoryError> {
    let stored: Vec<StoredMapping> =
        serde_json::from_str(&row.role_mappings).map_err(|e| corrupt("SSO role mappings", e))?;
    let role_mappings = stored
        .into_iter()
        .map(|m| {
            Ok(GroupRole {
                role: m.role.parse().map_err(|e| corrupt("SSO role mapping", e))?,
                group: m.group,
            })
        })
        .collect::<Result<Vec<_>, RepositoryError>>()?;
    Ok(SsoConfig {
        tenant_id: TenantId::from_uuid(row.tenant_id),
        display_name: row.display_name,
        issuer: row.issuer,
        client_id: row.client_id,
        sealed_client_secret: row.sealed_client_secret,
        scopes: row.scopes.split_whitespace().map(str::to_owned).collect(),
        groups_claim: row.groups_claim,
        role_mappings,
        default_role: row
            .default_role
            .map(|r| r.parse().map_err(|e| corrupt("SSO default role", e)))
            .transpose()?,
        jit_provisioning: row.jit_provisioning,
        sso_only: row.sso_only,
        break_glass_email: row
            .break_glass_email
            .map(|e| Email::parse(&e).map_err(|e| corrupt("SSO break-glass email", e)))
            .transpose()?,
        enabled: row.enabled,
        updated_at: row.updated_at,
    })
}

async fn find_config(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Option<SsoConfig>, RepositoryError> {
    config::Entity::find_by_id(tenant.as_uuid())
        .one(db)
        .await
        .map_err(unexpected)?
        .map(from_row)
        .transpose()
}

async fn save_config(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    c: &SsoConfig,
) -> Result<(), RepositoryError> {
    ensure_tenant(c.tenant_id, tenant, "SSO configuration")?;
    config::Entity::insert(to_row(tenant, c)?)
        .on_conflict(
            OnConflict::column(config::Column::TenantId)
                .update_columns([
                    config::Column::DisplayName,
                    config::Column::Issuer,
                    config::Column::ClientId,
                    config::Column::SealedClientSecret,
                    config::Column::Scopes,
                    config::Column::GroupsClaim,
                    config::Column::RoleMappings,
                    config::Column::DefaultRole,
                    config::Column::JitProvisioning,
                    config::Column::SsoOnly,
                    config::Column::BreakGlassEmail,
                    config::Column::Enabled,
                    config::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

async fn insert_sign_in(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    s: &SsoSignIn,
) -> Result<(), RepositoryError> {
    ensure_tenant(s.tenant_id, tenant, "SSO sign-in")?;
    let row = sign_in::ActiveModel {
        id: Set(s.id.as_uuid()),
        tenant_id: Set(tenant.as_uuid()),
        state_hash: Set(s.state_hash.clone()),
        nonce: Set(s.nonce.clone()),
        sealed_pkce_verifier: Set(s.sealed_pkce_verifier.clone()),
        created_at: Set(s.created_at),
        expires_at: Set(s.expires_at),
        used_at: Set(s.used_at),
    };
    sign_in::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

async fn find_sign_in(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    state_hash: &str,
) -> Result<Option<SsoSignIn>, RepositoryError> {
    let row = sign_in::Entity::find()
        .filter(sign_in::Column::TenantId.eq(tenant.as_uuid()))
        .filter(sign_in::Column::StateHash.eq(state_hash))
        .one(db)
        .await
        .map_err(unexpected)?;
    Ok(row.map(|row| SsoSignIn {
        id: SsoSignInId::from_uuid(row.id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        state_hash: row.state_hash,
        nonce: row.nonce,
        sealed_pkce_verifier: row.sealed_pkce_verifier,
        created_at: row.created_at,
        expires_at: row.expires_at,
        used_at: row.used_at,
    }))
}

async fn spend_sign_in(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: SsoSignInId,
    at: DateTime<Utc>,
) -> Result<bool, RepositoryError> {
    let result = sign_in::Entity::update_many()
        .col_expr(sign_in::Column::UsedAt, Expr::value(at))
        .filter(sign_in::Column::TenantId.eq(tenant.as_uuid()))
        .filter(sign_in::Column::Id.eq(id.as_uuid()))
        .filter(sign_in::Column::UsedAt.is_null())
        .exec(db)
        .await
        .map_err(unexpected)?;
    Ok(result.rows_affected > 0)
}

async fn find_identity(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    issuer: &str,
    subject: &str,
) -> Result<Option<UserId>, RepositoryError> {
    let row =
        identity::Entity::find_by_id((tenant.as_uuid(), issuer.to_owned(), subject.to_owned()))
            .one(db)
            .await
            .map_err(unexpected)?;
    Ok(row.map(|row| UserId::from_uuid(row.user_id)))
}

async fn insert_identity(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    i: &SsoIdentity,
) -> Result<(), RepositoryError> {
    ensure_tenant(i.tenant_id, tenant, "SSO identity")?;
    let row = identity::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        issuer: Set(i.issuer.clone()),
        subject: Set(i.subject.clone()),
        user_id: Set(i.user_id.as_uuid()),
        created_at: Set(i.created_at),
    };
    identity::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map_err(on_write(Subject::SsoIdentity))?;
    Ok(())
}

#[async_trait]
impl<C: Connection> SsoRepository for SeaStore<C> {
    async fn sso_config(&self, tenant: TenantId) -> Result<Option<SsoConfig>, RepositoryError> {
        find_config(self.conn(), tenant).await
    }
    async fn save_sso_config(
        &self,
        tenant: TenantId,
        config: &SsoConfig,
    ) -> Result<(), RepositoryError> {
        save_config(self.conn(), tenant, config).await
    }
    async fn insert_sso_sign_in(
        &self,
        tenant: TenantId,
        sign_in: &SsoSignIn,
    ) -> Result<(), RepositoryError> {
        insert_sign_in(self.conn(), tenant, sign_in).await
    }
    async fn find_sso_sign_in(
        &self,
        tenant: TenantId,
        state_hash: &str,
    ) -> Result<Option<SsoSignIn>, RepositoryError> {
        find_sign_in(self.conn(), tenant, state_hash).await
    }
    async fn spend_sso_sign_in(
        &self,
        tenant: TenantId,
        id: SsoSignInId,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        spend_sign_in(self.conn(), tenant, id, at).await
    }
    async fn find_sso_identity(
        &self,
        tenant: TenantId,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<UserId>, RepositoryError> {
        find_identity(self.conn(), tenant, issuer, subject).await
    }
    async fn insert_sso_identity(
        &self,
        tenant: TenantId,
        identity: &SsoIdentity,
    ) -> Result<(), RepositoryError> {
        insert_identity(self.conn(), tenant, identity).await
    }
}
