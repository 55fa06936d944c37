//! Signing in: refresh sessions (rotating, by family) and revoked access tokens.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::RepositoryError;
use crate::session::{ActiveSession, RefreshSession, RefreshSessionId, SessionFamilyId};
use crate::tenant::TenantId;
use crate::user::UserId;

#[async_trait]
pub trait RefreshSessionRepository: Send + Sync {
    /// # Errors
    /// `Duplicate(Subject::RefreshToken)` on a token hash collision.
    async fn insert_refresh_session(
        &self,
        tenant: TenantId,
        session: &RefreshSession,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_refresh_session(
        &self,
        tenant: TenantId,
        token_hash: &str,
    ) -> Result<Option<RefreshSession>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn mark_refresh_session_used(
        &self,
        tenant: TenantId,
        session: RefreshSessionId,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;

    /// Revokes every session of the family that is not revoked yet.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn revoke_session_family(
        &self,
        tenant: TenantId,
        family: SessionFamilyId,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;

    /// The user's sessions that can still refresh at `now` (each family's unspent, unrevoked,
    /// unexpired token, with when the family began), the most recently seen first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn active_sessions(
        &self,
        tenant: TenantId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<ActiveSession>, RepositoryError>;

    /// Revokes every session of the user, except those of `keep` (the caller's own login).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn revoke_user_sessions(
        &self,
        tenant: TenantId,
        user: UserId,
        keep: Option<SessionFamilyId>,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;
}

#[async_trait]
pub trait RevokedTokenRepository: Send + Sync {
    /// Records that the access token `jti` may no longer be used. Revoking twice is harmless.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn revoke_access_token(
        &self,
        tenant: TenantId,
        jti: &str,
        user: UserId,
        expires_at: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn is_access_token_revoked(
        &self,
        tenant: TenantId,
        jti: &str,
    ) -> Result<bool, RepositoryError>;
}
