//! Refresh sessions and revoked access tokens.

use aegis_domain::ports::RefreshSessionRepository;
use aegis_domain::ports::RevokedTokenRepository;
use aegis_domain::ports::Subject;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr,
};

use aegis_domain::ports::RepositoryError;
use aegis_domain::session::{ActiveSession, RefreshSession, RefreshSessionId, SessionFamilyId};
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;

use super::entities::{refresh_session, revoked_token};
use super::error::{on_write, unexpected};

use async_trait::async_trait;

use super::{Connection, SeaStore};

fn to_domain(row: refresh_session::Model) -> RefreshSession {
    RefreshSession {
        id: RefreshSessionId::from_uuid(row.id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        user_id: UserId::from_uuid(row.user_id),
        family_id: SessionFamilyId::from_uuid(row.family_id),
        token_hash: row.token_hash,
        created_at: row.created_at,
        expires_at: row.expires_at,
        used_at: row.used_at,
        revoked_at: row.revoked_at,
        client_ip: row.client_ip,
        user_agent: row.user_agent,
    }
}

pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    session: &RefreshSession,
) -> Result<(), RepositoryError> {
    let row = refresh_session::ActiveModel {
        id: Set(session.id.as_uuid()),
        tenant_id: Set(tenant.as_uuid()),
        user_id: Set(session.user_id.as_uuid()),
        family_id: Set(session.family_id.as_uuid()),
        token_hash: Set(session.token_hash.clone()),
        created_at: Set(session.created_at),
        expires_at: Set(session.expires_at),
        used_at: Set(session.used_at),
        revoked_at: Set(session.revoked_at),
        client_ip: Set(session.client_ip.clone()),
        user_agent: Set(session.user_agent.clone()),
    };
    refresh_session::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map_err(on_write(Subject::RefreshToken))?;
    Ok(())
}

pub(crate) async fn find(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    token_hash: &str,
) -> Result<Option<RefreshSession>, RepositoryError> {
    let row = refresh_session::Entity::find()
        .filter(refresh_session::Column::TenantId.eq(tenant.as_uuid()))
        .filter(refresh_session::Column::TokenHash.eq(token_hash))
        .one(db)
        .await
        .map_err(unexpected)?;
    Ok(row.map(to_domain))
}

pub(crate) async fn mark_used(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    session: RefreshSessionId,
    at: DateTime<Utc>,
) -> Result<(), RepositoryError> {
    refresh_session::Entity::update_many()
        .col_expr(refresh_session::Column::UsedAt, Expr::value(at))
        .filter(refresh_session::Column::TenantId.eq(tenant.as_uuid()))
        .filter(refresh_session::Column::Id.eq(session.as_uuid()))
        .exec(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

pub(crate) async fn revoke_family(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    family: SessionFamilyId,
    at: DateTime<Utc>,
) -> Result<(), RepositoryError> {
    refresh_session::Entity::update_many()
        .col_expr(refresh_session::Column::RevokedAt, Expr::value(at))
        .filter(refresh_session::Column::TenantId.eq(tenant.as_uuid()))
        .filter(refresh_session::Column::FamilyId.eq(family.as_uuid()))
        .filter(refresh_session::Column::RevokedAt.is_null())
        .exec(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

/// Each live family's head (its one unspent token), then when each of those families began.
pub(crate) async fn active(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<Vec<ActiveSession>, RepositoryError> {
    let heads = refresh_session::Entity::find()
        .filter(refresh_session::Column::TenantId.eq(tenant.as_uuid()))
        .filter(refresh_session::Column::UserId.eq(user.as_uuid()))
        .filter(refresh_session::Column::UsedAt.is_null())
        .filter(refresh_session::Column::RevokedAt.is_null())
        .filter(refresh_session::Column::ExpiresAt.gt(now))
        .order_by_desc(refresh_session::Column::CreatedAt)
        .all(db)
        .await
        .map_err(unexpected)?;
    if heads.is_empty() {
        return Ok(Vec::new());
    }
    let started: Vec<(uuid::Uuid, DateTime<Utc>)> = refresh_session::Entity::find()
        .select_only()
        .column(refresh_session::Column::FamilyId)
        .column_as(refresh_session::Column::CreatedAt.min(), "started_at")
        .filter(refresh_session::Column::TenantId.eq(tenant.as_uuid()))
        .filter(refresh_session::Column::FamilyId.is_in(heads.iter().map(|head| head.family_id)))
        .group_by(refresh_session::Column::FamilyId)
        .into_tuple()
        .all(db)
        .await
        .map_err(unexpected)?;
    Ok(heads
        .into_iter()
        .map(|head| ActiveSession {
            family_id: SessionFamilyId::from_uuid(head.family_id),
            user_id: UserId::from_uuid(head.user_id),
            started_at: started
                .iter()
                .find(|(family, _)| *family == head.family_id)
                .map_or(head.created_at, |(_, at)| *at),
            last_seen_at: head.created_at,
            expires_at: head.expires_at,
            client_ip: head.client_ip,
            user_agent: head.user_agent,
        })
        .collect())
}

pub(crate) async fn revoke_for_user(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
    keep: Option<SessionFamilyId>,
    at: DateTime<Utc>,
) -> Result<(), RepositoryError> {
    let mut update = refresh_session::Entity::update_many()
        .col_expr(refresh_session::Column::RevokedAt, Expr::value(at))
        .filter(refresh_session::Column::TenantId.eq(tenant.as_uuid()))
        .filter(refresh_session::Column::UserId.eq(user.as_uuid()))
        .filter(refresh_session::Column::RevokedAt.is_null());
    if let Some(keep) = keep {
        update = update.filter(refresh_session::Column::FamilyId.ne(keep.as_uuid()));
    }
    update.exec(db).await.map_err(unexpected)?;
    Ok(())
}

pub(crate) async fn revoke_access_token(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    jti: &str,
    user: UserId,
    expires_at: DateTime<Utc>,
) -> Result<(), RepositoryError> {
    let row = revoked_token::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        jti: Set(jti.to_owned()),
        user_id: Set(user.as_uuid()),
        expires_at: Set(expires_at),
        revoked_at: Set(Utc::now()),
    };
    revoked_token::Entity::insert(row)
        .on_conflict_do_nothing_on([revoked_token::Column::TenantId, revoked_token::Column::Jti])
        .exec(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

pub(crate) async fn is_access_token_revoked(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    jti: &str,
) -> Result<bool, RepositoryError> {
    let found = revoked_token::Entity::find_by_id((tenant.as_uuid(), jti.to_owned()))
        .one(db)
        .await
        .map_err(unexpected)?;
    Ok(found.is_some())
}

#[async_trait]
impl<C: Connection> RefreshSessionRepository for SeaStore<C> {
    async fn insert_refresh_session(
        &self,
        tenant: TenantId,
        session: &RefreshSession,
    ) -> Result<(), RepositoryError> {
        insert(self.conn(), tenant, session).await
    }
    async fn find_refresh_session(
        &self,
        tenant: TenantId,
        token_hash: &str,
    ) -> Result<Option<RefreshSession>, RepositoryError> {
        find(self.conn(), tenant, token_hash).await
    }
    async fn mark_refresh_session_used(
        &self,
        tenant: TenantId,
        session: RefreshSessionId,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        mark_used(self.conn(), tenant, session, at).await
    }
    async fn revoke_session_family(
        &self,
        tenant: TenantId,
        family: SessionFamilyId,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        revoke_family(self.conn(), tenant, family, at).await
    }
    async fn active_sessions(
        &self,
        tenant: TenantId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<ActiveSession>, RepositoryError> {
        active(self.conn(), tenant, user, now).await
    }
    async fn revoke_user_sessions(
        &self,
        tenant: TenantId,
        user: UserId,
        keep: Option<SessionFamilyId>,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        revoke_for_user(self.conn(), tenant, user, keep, at).await
    }
}

#[async_trait]
impl<C: Connection> RevokedTokenRepository for SeaStore<C> {
    async fn revoke_access_token(
        &self,
        tenant: TenantId,
        jti: &str,
        user: UserId,
        expires_at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        revoke_access_token(self.conn(), tenant, jti, user, expires_at).await
    }
    async fn is_access_token_revoked(
        &self,
        tenant: TenantId,
        jti: &str,
    ) -> Result<bool, RepositoryError> {
        is_access_token_revoked(self.conn(), tenant, jti).await
    }
}
