//! Multi-factor sign-in: factors, recovery codes, policies and challenges.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    sea_query::{Expr, OnConflict},
};
use uuid::Uuid;

use aegis_domain::mfa::{MfaChallenge, MfaChallengeId, MfaPolicy, TotpFactor};
use aegis_domain::ports::{MfaRepository, RepositoryError};
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;

use super::error::{corrupt, ensure_tenant, unexpected};
use super::{Connection, SeaStore};

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod factor {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "mfa_factors")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub tenant_id: Uuid,
            #[sea_orm(primary_key, auto_increment = false)]
            pub user_id: Uuid,
            pub sealed_secret: String,
            pub confirmed_at: Option<DateTimeUtc>,
            pub created_at: DateTimeUtc,
            pub last_used_step: Option<i64>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod recovery_code {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "mfa_recovery_codes")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub user_id: Uuid,
            pub code_hash: String,
            pub used_at: Option<DateTimeUtc>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod policy {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "mfa_policies")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub tenant_id: Uuid,
            pub required_roles: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod challenge {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "mfa_challenges")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub user_id: Uuid,
            pub token_hash: String,
            pub created_at: DateTimeUtc,
            pub expires_at: DateTimeUtc,
            pub used_at: Option<DateTimeUtc>,
            pub failed_attempts: i32,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::{challenge, factor, policy, recovery_code};

async fn find_factor(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
) -> Result<Option<TotpFactor>, RepositoryError> {
    let row = factor::Entity::find_by_id((tenant.as_uuid(), user.as_uuid()))
        .one(db)
        .await
        .map_err(unexpected)?;
    Ok(row.map(|row| TotpFactor {
        tenant_id: TenantId::from_uuid(row.tenant_id),
        user_id: UserId::from_uuid(row.user_id),
        sealed_secret: row.sealed_secret,
        confirmed_at: row.confirmed_at,
        created_at: row.created_at,
        last_used_step: row.last_used_step,
    }))
}

async fn save_factor(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    factor_: &TotpFactor,
) -> Result<(), RepositoryError> {
    ensure_tenant(factor_.tenant_id, tenant, "MFA factor")?;
    let row = factor::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        user_id: Set(factor_.user_id.as_uuid()),
        sealed_secret: Set(factor_.sealed_secret.clone()),
        confirmed_at: Set(factor_.confirmed_at),
        created_at: Set(factor_.created_at),
        last_used_step: Set(factor_.last_used_step),
    };
    factor::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([factor::Column::TenantId, factor::Column::UserId])
                .update_columns([
                    factor::Column::SealedSecret,
                    factor::Column::ConfirmedAt,
                    factor::Column::CreatedAt,
                    factor::Column::LastUsedStep,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

async fn delete_all(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
) -> Result<bool, RepositoryError> {
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::TenantId.eq(tenant.as_uuid()))
        .filter(recovery_code::Column::UserId.eq(user.as_uuid()))
        .exec(db)
        .await
        .map_err(unexpected)?;
    let deleted = factor::Entity::delete_many()
        .filter(factor::Column::TenantId.eq(tenant.as_uuid()))
        .filter(factor::Column::UserId.eq(user.as_uuid()))
        .exec(db)
        .await
        .map_err(unexpected)?;
    Ok(deleted.rows_affected > 0)
}

async fn replace_codes(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
    hashes: &[String],
) -> Result<(), RepositoryError> {
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::TenantId.eq(tenant.as_uuid()))
        .filter(recovery_code::Column::UserId.eq(user.as_uuid()))
        .exec(db)
        .await
        .map_err(unexpected)?;
    if hashes.is_empty() {
        return Ok(());
    }
    let rows = hashes.iter().map(|hash| recovery_code::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant.as_uuid()),
        user_id: Set(user.as_uuid()),
        code_hash: Set(hash.clone()),
        used_at: Set(None),
    });
    recovery_code::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

async fn use_code(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
    hash: &str,
    at: DateTime<Utc>,
) -> Result<bool, RepositoryError> {
    let result = recovery_code::Entity::update_many()
        .col_expr(recovery_code::Column::UsedAt, Expr::value(at))
        .filter(recovery_code::Column::TenantId.eq(tenant.as_uuid()))
        .filter(recovery_code::Column::UserId.eq(user.as_uuid()))
        .filter(recovery_code::Column::CodeHash.eq(hash))
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(db)
        .await
        .map_err(unexpected)?;
    Ok(result.rows_affected > 0)
}

async fn count_codes(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
) -> Result<u64, RepositoryError> {
    recovery_code::Entity::find()
        .filter(recovery_code::Column::TenantId.eq(tenant.as_uuid()))
        .filter(recovery_code::Column::UserId.eq(user.as_uuid()))
        .filter(recovery_code::Column::UsedAt.is_null())
        .count(db)
        .await
        .map_err(unexpected)
}

async fn find_policy(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<MfaPolicy, RepositoryError> {
    let row = policy::Entity::find_by_id(tenant.as_uuid())
        .one(db)
        .await
        .map_err(unexpected)?;
    match row {
        Some(row) => MfaPolicy::parse(&row.required_roles).map_err(|e| corrupt("MFA policy", e)),
        None => Ok(MfaPolicy::default()),
    }
}

async fn save_policy(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    policy_: &MfaPolicy,
) -> Result<(), RepositoryError> {
    let row = policy::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        required_roles: Set(policy_.to_text()),
    };
    policy::Entity::insert(row)
        .on_conflict(
            OnConflict::column(policy::Column::TenantId)
                .update_column(policy::Column::RequiredRoles)
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

async fn insert_challenge(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    c: &MfaChallenge,
) -> Result<(), RepositoryError> {
    ensure_tenant(c.tenant_id, tenant, "MFA challenge")?;
    let row = challenge::ActiveModel {
        id: Set(c.id.as_uuid()),
        tenant_id: Set(tenant.as_uuid()),
        user_id: Set(c.user_id.as_uuid()),
        token_hash: Set(c.token_hash.clone()),
        created_at: Set(c.created_at),
        expires_at: Set(c.expires_at),
        used_at: Set(c.used_at),
        failed_attempts: Set(i32::try_from(c.failed_attempts).unwrap_or(i32::MAX)),
    };
    challenge::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

async fn find_challenge(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    token_hash: &str,
) -> Result<Option<MfaChallenge>, RepositoryError> {
    let row = challenge::Entity::find()
        .filter(challenge::Column::TenantId.eq(tenant.as_uuid()))
        .filter(challenge::Column::TokenHash.eq(token_hash))
        .one(db)
        .await
        .map_err(unexpected)?;
    Ok(row.map(|row| MfaChallenge {
        id: MfaChallengeId::from_uuid(row.id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        user_id: UserId::from_uuid(row.user_id),
        token_hash: row.token_hash,
        created_at: row.created_at,
        expires_at: row.expires_at,
        used_at: row.used_at,
        failed_attempts: u32::try_from(row.failed_attempts).unwrap_or(u32::MAX),
    }))
}

async fn update_challenge(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: MfaChallengeId,
    failed_attempts: u32,
    used_at: Option<DateTime<Utc>>,
) -> Result<(), RepositoryError> {
    challenge::Entity::update_many()
        .col_expr(
            challenge::Column::FailedAttempts,
            Expr::value(i32::try_from(failed_attempts).unwrap_or(i32::MAX)),
        )
        .col_expr(challenge::Column::UsedAt, Expr::value(used_at))
        .filter(challenge::Column::TenantId.eq(tenant.as_uuid()))
        .filter(challenge::Column::Id.eq(id.as_uuid()))
        .exec(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

#[async_trait]
impl<C: Connection> MfaRepository for SeaStore<C> {
    async fn find_totp_factor(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Option<TotpFactor>, RepositoryError> {
        find_factor(self.conn(), tenant, user).await
    }
    async fn save_totp_factor(
        &self,
        tenant: TenantId,
        factor: &TotpFactor,
    ) -> Result<(), RepositoryError> {
        save_factor(self.conn(), tenant, factor).await
    }
    async fn delete_mfa(&self, tenant: TenantId, user: UserId) -> Result<bool, RepositoryError> {
        delete_all(self.conn(), tenant, user).await
    }
    async fn replace_recovery_codes(
        &self,
        tenant: TenantId,
        user: UserId,
        code_hashes: &[String],
    ) -> Result<(), RepositoryError> {
        replace_codes(self.conn(), tenant, user, code_hashes).await
    }
    async fn use_recovery_code(
        &self,
        tenant: TenantId,
        user: UserId,
        code_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        use_code(self.conn(), tenant, user, code_hash, at).await
    }
    async fn count_recovery_codes(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<u64, RepositoryError> {
        count_codes(self.conn(), tenant, user).await
    }
    async fn mfa_policy(&self, tenant: TenantId) -> Result<MfaPolicy, RepositoryError> {
        find_policy(self.conn(), tenant).await
    }
    async fn save_mfa_policy(
        &self,
        tenant: TenantId,
        policy: &MfaPolicy,
    ) -> Result<(), RepositoryError> {
        save_policy(self.conn(), tenant, policy).await
    }
    async fn insert_mfa_challenge(
        &self,
        tenant: TenantId,
        challenge: &MfaChallenge,
    ) -> Result<(), RepositoryError> {
        insert_challenge(self.conn(), tenant, challenge).await
    }
    async fn find_mfa_challenge(
        &self,
        tenant: TenantId,
        token_hash: &str,
    ) -> Result<Option<MfaChallenge>, RepositoryError> {
        find_challenge(self.conn(), tenant, token_hash).await
    }
    async fn update_mfa_challenge(
        &self,
        tenant: TenantId,
        id: MfaChallengeId,
        failed_attempts: u32,
        used_at: Option<DateTime<Utc>>,
    ) -> Result<(), RepositoryError> {
        update_challenge(self.conn(), tenant, id, failed_attempts, used_at).await
    }
}
