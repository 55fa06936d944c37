//! In-memory auth for use-case tests.

use aegis_application::ports::*;
use aegis_domain::Role;
use aegis_domain::ports::*;
use aegis_domain::session::{ActiveSession, RefreshSession, RefreshSessionId, SessionFamilyId};
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;
use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use std::sync::Arc;

use super::{FixedClock, Memory, Slot};

#[async_trait]
impl<S: Slot> RefreshSessionRepository for Memory<S> {
    async fn insert_refresh_session(
        &self,
        _tenant: TenantId,
        session: &RefreshSession,
    ) -> Result<(), RepositoryError> {
        self.with(|s| s.sessions.push(session.clone()));
        Ok(())
    }
    async fn find_refresh_session(
        &self,
        tenant: TenantId,
        token_hash: &str,
    ) -> Result<Option<RefreshSession>, RepositoryError> {
        Ok(self.with(|s| {
            s.sessions
                .iter()
                .find(|x| x.tenant_id == tenant && x.token_hash == token_hash)
                .cloned()
        }))
    }
    async fn mark_refresh_session_used(
        &self,
        _tenant: TenantId,
        session: RefreshSessionId,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            s.sessions
                .iter_mut()
                .filter(|x| x.id == session)
                .for_each(|x| x.used_at = Some(at))
        });
        Ok(())
    }
    async fn revoke_session_family(
        &self,
        _tenant: TenantId,
        family: SessionFamilyId,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            s.sessions
                .iter_mut()
                .filter(|x| x.family_id == family)
                .for_each(|x| x.revoked_at = Some(at))
        });
        Ok(())
    }
    async fn active_sessions(
        &self,
        tenant: TenantId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<ActiveSession>, RepositoryError> {
        Ok(self.with(|s| {
            let mut heads: Vec<ActiveSession> = s
                .sessions
                .iter()
                .filter(|x| x.tenant_id == tenant && x.user_id == user)
                .filter(|x| x.used_at.is_none() && x.revoked_at.is_none() && x.expires_at > now)
                .map(|head| ActiveSession {
                    family_id: head.family_id,
                    user_id: head.user_id,
                    started_at: s
                        .sessions
                        .iter()
                        .filter(|x| x.family_id == head.family_id)
                        .map(|x| x.created_at)
                        .min()
                        .unwrap_or(head.created_at),
                    last_seen_at: head.created_at,
                    expires_at: head.expires_at,
                    client_ip: head.client_ip.clone(),
                    user_agent: head.user_agent.clone(),
                })
                .collect();
            heads.sort_by_key(|session| std::cmp::Reverse(session.last_seen_at));
            heads
        }))
    }
    async fn revoke_user_sessions(
        &self,
        _tenant: TenantId,
        user: UserId,
        keep: Option<SessionFamilyId>,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            s.sessions
                .iter_mut()
                .filter(|x| x.user_id == user && Some(x.family_id) != keep)
                .for_each(|x| x.revoked_at = Some(at))
        });
        Ok(())
    }
}

#[async_trait]
impl<S: Slot> RevokedTokenRepository for Memory<S> {
    async fn revoke_access_token(
        &self,
        tenant: TenantId,
        jti: &str,
        _user: UserId,
        _expires_at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        self.with(|s| s.revoked.push((tenant, jti.to_owned())));
        Ok(())
    }
    async fn is_access_token_revoked(
        &self,
        tenant: TenantId,
        jti: &str,
    ) -> Result<bool, RepositoryError> {
        Ok(self.with(|s| s.revoked.iter().any(|(t, j)| *t == tenant && j == jti)))
    }
}

/// "Hashes" by prefixing: the use cases only need hash and verify to agree.
pub struct PlainHasher;

#[async_trait]
impl PasswordHasher for PlainHasher {
    async fn hash(&self, password: &str) -> Result<String, HashingError> {
        Ok(format!("plain:{password}"))
    }
    async fn verify(&self, password: &str, hash: &str) -> bool {
        hash.strip_prefix("plain:") == Some(password)
    }
}

/// Tokens are the claims' fields joined by `|`; good enough to round-trip in tests.
pub struct TransparentTokens {
    pub clock: Arc<FixedClock>,
}

impl TokenService for TransparentTokens {
    fn issue(&self, claims: &AccessClaims) -> Result<String, TokenError> {
        Ok(format!(
            "{}|{}|{}|{}|{}|{}|{}|{}",
            claims.user_id,
            claims.tenant_id,
            claims.role,
            claims.jti,
            claims.session_family,
            claims.issued_at.timestamp(),
            claims.expires_at.timestamp(),
            claims.mfa_enrolment_required
        ))
    }
    fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let parts: Vec<&str> = token.split('|').collect();
        let [user, tenant, role, jti, family, iat, exp, mfa] = parts.as_slice() else {
            return Err(TokenError::Invalid);
        };
        let time = |t: &str| {
            t.parse::<i64>()
                .ok()
                .and_then(|s| Utc.timestamp_opt(s, 0).single())
                .ok_or(TokenError::Invalid)
        };
        let claims = AccessClaims {
            user_id: UserId::parse(user).map_err(|_| TokenError::Invalid)?,
            tenant_id: TenantId::parse(tenant).map_err(|_| TokenError::Invalid)?,
            role: role.parse::<Role>().map_err(|_| TokenError::Invalid)?,
            jti: (*jti).to_owned(),
            session_family: SessionFamilyId::parse(family).map_err(|_| TokenError::Invalid)?,
            issued_at: time(iat)?,
            expires_at: time(exp)?,
            mfa_enrolment_required: *mfa == "true",
        };
        if claims.expires_at <= self.clock.now() {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}
