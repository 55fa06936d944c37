//! Signing in and out: credentials to tokens, rotating refresh tokens, and checking the
//! access token of every request.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use aegis_domain::lockout::LockoutPolicy;
use aegis_domain::ports::RepositoryError;
use aegis_domain::session::{RefreshSession, RefreshSessionId, RefreshVerdict, SessionFamilyId};
use aegis_domain::tenant::TenantId;
use aegis_domain::user::{Email, User};

use crate::audit_trail::{self, Change};
use crate::context::{Actor, PresentedToken, RequestContext};
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::ports::{
    AccessClaims, Clock, Database, IdGenerator, PasswordHasher, SecretGenerator, TokenError,
    TokenService, UnitOfWork,
};

/// Compared against when the account does not exist, so that a wrong email costs as much
/// time as a wrong password (bcrypt, cost 12, of a random string).
const TIMING_DECOY_HASH: &str = "$2b$12$C6UzMDM.H6dfI/f/IKcEeO5kOXJ9EBE6PzXpa8WfS3qX6bmkgKLVu";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthSettings {
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub lockout: LockoutPolicy,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            access_token_ttl: Duration::minutes(15),
            refresh_token_ttl: Duration::days(14),
            lockout: LockoutPolicy::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// What a successful sign-in or refresh hands out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    pub refresh_expires_in: i64,
    pub must_change_password: bool,
}

/// How much an authenticated request may do before the password is changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Everything the role allows; refused while a password change is pending.
    Full,
    /// Only reading one's account, changing the password and signing out.
    PasswordChange,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("invalid sign-in request")]
    Invalid(Vec<FieldError>),
    #[error("the email or password is not correct")]
    InvalidCredentials,
    #[error("the account is locked after repeated failed sign-ins")]
    AccountLocked { retry_after_seconds: u64 },
    #[error("the refresh token is not valid")]
    InvalidRefreshToken,
    #[error("the refresh token was already used; the session has been ended")]
    RefreshTokenReused,
    #[error("authentication is required")]
    MissingToken,
    #[error("the access token has expired")]
    TokenExpired,
    #[error("the access token is not valid")]
    InvalidToken,
    #[error("the access token has been revoked")]
    TokenRevoked,
    #[error("the password must be changed before anything else")]
    PasswordChangeRequired,
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for AuthError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl Classified for AuthError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::AccountLocked {
                retry_after_seconds,
            } => ErrorKind::Locked {
                retry_after_seconds: *retry_after_seconds,
            },
            Self::PasswordChangeRequired => ErrorKind::Forbidden,
            Self::Unexpected(_) => ErrorKind::Unexpected,
            _ => ErrorKind::Unauthenticated,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::InvalidCredentials => "INVALID_CREDENTIALS",
            Self::AccountLocked { .. } => "ACCOUNT_LOCKED",
            Self::InvalidRefreshToken => "INVALID_REFRESH_TOKEN",
            Self::RefreshTokenReused => "REFRESH_TOKEN_REUSED",
            Self::MissingToken => "AUTHENTICATION_REQUIRED",
            Self::TokenExpired => "TOKEN_EXPIRED",
            Self::InvalidToken => "INVALID_TOKEN",
            Self::TokenRevoked => "TOKEN_REVOKED",
            Self::PasswordChangeRequired => "PASSWORD_CHANGE_REQUIRED",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

#[derive(Clone)]
pub struct AuthService {
    database: Arc<dyn Database>,
    hasher: Arc<dyn PasswordHasher>,
    tokens: Arc<dyn TokenService>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    secrets: Arc<dyn SecretGenerator>,
    settings: AuthSettings,
}

impl AuthService {
    pub fn new(
        database: Arc<dyn Database>,
        hasher: Arc<dyn PasswordHasher>,
        tokens: Arc<dyn TokenService>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        secrets: Arc<dyn SecretGenerator>,
        settings: AuthSettings,
    ) -> Self {
        Self {
            database,
            hasher,
            tokens,
            clock,
            ids,
            secrets,
            settings,
        }
    }

    pub fn settings(&self) -> &AuthSettings {
        &self.settings
    }

    /// Exchanges an email and password for tokens.
    ///
    /// # Errors
    /// `Invalid` for empty fields, `InvalidCredentials` for any wrong or unknown account,
    /// `AccountLocked` while a lockout lasts.
    pub async fn login(
        &self,
        credentials: Credentials,
        context: &RequestContext,
    ) -> Result<TokenPair, AuthError> {
        let mut fields = Vec::new();
        if credentials.email.trim().is_empty() {
            fields.push(FieldError::new("email", "is required"));
        }
        if credentials.password.is_empty() {
            fields.push(FieldError::new("password", "is required"));
        }
        if !fields.is_empty() {
            return Err(AuthError::Invalid(fields));
        }
        let Ok(email) = Email::parse(&credentials.email) else {
            return Err(AuthError::InvalidCredentials);
        };
        let now = self.clock.now();
        let user = match self.database.find_user_for_login(&email).await? {
            Some(user) if user.is_active => user,
            _ => {
                self.hasher
                    .verify(&credentials.password, TIMING_DECOY_HASH)
                    .await;
                return Err(AuthError::InvalidCredentials);
            }
        };
        if let Some(until) = user.locked_until.filter(|until| *until > now) {
            return Err(AuthError::AccountLocked {
                retry_after_seconds: seconds_until(now, until),
            });
        }
        if !self
            .hasher
            .verify(&credentials.password, &user.password_hash)
            .await
        {
            return Err(self.record_failed_login(&user, context).await?);
        }

        let uow = self.database.begin().await?;
        let mut user = uow
            .find_user(user.tenant_id, user.id)
            .await?
            .ok_or(AuthError::InvalidCredentials)?;
        user.failed_login_attempts = 0;
        user.locked_until = None;
        user.last_login_at = Some(now);
        uow.update_user(user.tenant_id, &user).await?;
        let family = SessionFamilyId::from_uuid(self.ids.new_id());
        let refresh_token = self
            .open_refresh_session(uow.as_ref(), &user, family, context)
            .await?;
        self.audit(
            uow.as_ref(),
            &user,
            context,
            "auth.login",
            serde_json::json!({}),
        )
        .await?;
        uow.commit().await?;
        self.token_pair(&user, family, refresh_token)
    }

    /// Counts a failed sign-in and locks the account when the policy says so. Returns the
    /// error to answer with.
    async fn record_failed_login(
        &self,
        user: &User,
        context: &RequestContext,
    ) -> Result<AuthError, AuthError> {
        let now = self.clock.now();
        let uow = self.database.begin().await?;
        let Some(mut user) = uow.find_user(user.tenant_id, user.id).await? else {
            return Ok(AuthError::InvalidCredentials);
        };
        user.failed_login_attempts = user.failed_login_attempts.saturating_add(1);
        let last_usable_admin = user.is_usable_admin(now)
            && uow
                .count_usable_admins(user.tenant_id, Some(user.id), now)
                .await?
                == 0;
        user.locked_until =
            self.settings
                .lockout
                .lock_until(user.failed_login_attempts, now, last_usable_admin);
        uow.update_user(user.tenant_id, &user).await?;
        self.audit(
            uow.as_ref(),
            &user,
            context,
            "auth.login_failed",
            serde_json::json!({
                "failed_attempts": user.failed_login_attempts,
                "locked_until": user.locked_until,
            }),
        )
        .await?;
        uow.commit().await?;
        Ok(match user.locked_until {
            Some(until) => AuthError::AccountLocked {
                retry_after_seconds: seconds_until(now, until),
            },
            None => AuthError::InvalidCredentials,
        })
    }

    /// Exchanges a refresh token for a new pair; the old refresh token is spent. Presenting a
    /// spent token ends the whole session family.
    ///
    /// # Errors
    /// `InvalidRefreshToken`, or `RefreshTokenReused` when a spent token comes back.
    pub async fn refresh(
        &self,
        refresh_token: &str,
        context: &RequestContext,
    ) -> Result<TokenPair, AuthError> {
        let tenant = refresh_token_tenant(refresh_token).ok_or(AuthError::InvalidRefreshToken)?;
        let now = self.clock.now();
        let uow = self.database.begin().await?;
        let session = uow
            .find_refresh_session(tenant, &token_hash(refresh_token))
            .await?
            .ok_or(AuthError::InvalidRefreshToken)?;
        match session.verdict(now) {
            RefreshVerdict::Refuse => return Err(AuthError::InvalidRefreshToken),
            RefreshVerdict::ReuseDetected => {
                uow.revoke_session_family(tenant, session.family_id, now)
                    .await?;
                if let Some(user) = uow.find_user(tenant, session.user_id).await? {
                    self.audit(
                        uow.as_ref(),
                        &user,
                        context,
                        "auth.refresh_reuse_detected",
                        serde_json::json!({
                            "session_family": session.family_id,
                        }),
                    )
                    .await?;
                }
                uow.commit().await?;
                return Err(AuthError::RefreshTokenReused);
            }
            RefreshVerdict::Rotate => {}
        }
        let user = match uow.find_user(tenant, session.user_id).await? {
            Some(user) if user.is_active => user,
            _ => return Err(AuthError::InvalidRefreshToken),
        };
        uow.mark_refresh_session_used(tenant, session.id, now)
            .await?;
        let refresh_token = self
            .open_refresh_session(uow.as_ref(), &user, session.family_id, context)
            .await?;
        self.audit(
            uow.as_ref(),
            &user,
            context,
            "auth.refresh",
            serde_json::json!({
                "session_family": session.family_id,
            }),
        )
        .await?;
        uow.commit().await?;
        self.token_pair(&user, session.family_id, refresh_token)
    }

    /// Ends the actor's session: the access token is revoked (in the database, so on every
    /// instance) and so is the refresh-token family it belongs to.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    pub async fn logout(&self, actor: &Actor, context: &RequestContext) -> Result<(), AuthError> {
        let now = self.clock.now();
        let uow = self.database.begin().await?;
        if let Some(token) = &actor.token {
            uow.revoke_access_token(actor.tenant_id, &token.jti, actor.user_id, token.expires_at)
                .await?;
            uow.revoke_session_family(actor.tenant_id, token.session_family, now)
                .await?;
        }
        let user = uow
            .find_user(actor.tenant_id, actor.user_id)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        self.audit(
            uow.as_ref(),
            &user,
            context,
            "auth.logout",
            serde_json::json!({}),
        )
        .await?;
        uow.commit().await?;
        Ok(())
    }

    /// Checks an access token and returns who presents it. The role comes from the account,
    /// not the token, so a role change applies at once.
    ///
    /// # Errors
    /// `TokenExpired`, `InvalidToken`, `TokenRevoked`, and `PasswordChangeRequired` when
    /// `access` is `Full` and the account must change its password first.
    pub async fn authenticate(&self, token: &str, access: Access) -> Result<Actor, AuthError> {
        let claims = self.tokens.verify(token).map_err(|e| match e {
            TokenError::Expired => AuthError::TokenExpired,
            _ => AuthError::InvalidToken,
        })?;
        let database = &self.database;
        if database
            .is_access_token_revoked(claims.tenant_id, &claims.jti)
            .await?
        {
            return Err(AuthError::TokenRevoked);
        }
        let user = match database.find_user(claims.tenant_id, claims.user_id).await? {
            Some(user) if user.is_active => user,
            _ => return Err(AuthError::InvalidToken),
        };
        if claims.issued_at.timestamp() < user.credentials_changed_at.timestamp() {
            return Err(AuthError::TokenRevoked);
        }
        if user.must_change_password && access == Access::Full {
            return Err(AuthError::PasswordChangeRequired);
        }
        Ok(Actor {
            user_id: user.id,
            tenant_id: user.tenant_id,
            role: user.role,
            email: user.email,
            must_change_password: user.must_change_password,
            token: Some(PresentedToken {
                jti: claims.jti,
                session_family: claims.session_family,
                expires_at: claims.expires_at,
            }),
        })
    }

    async fn open_refresh_session(
        &self,
        uow: &dyn UnitOfWork,
        user: &User,
        family: SessionFamilyId,
        context: &RequestContext,
    ) -> Result<String, AuthError> {
        let now = self.clock.now();
        // The tenant travels in the token so that its lookup is scoped like every other.
        let token = format!(
            "{}.{}",
            user.tenant_id.as_uuid().simple(),
            self.secrets.token()
        );
        let session = RefreshSession {
            id: RefreshSessionId::from_uuid(self.ids.new_id()),
            tenant_id: user.tenant_id,
            user_id: user.id,
            family_id: family,
            token_hash: token_hash(&token),
            created_at: now,
            expires_at: now + self.settings.refresh_token_ttl,
            used_at: None,
            revoked_at: None,
            client_ip: context.client_ip.clone(),
            user_agent: context
                .user_agent
                .as_ref()
                .map(|ua| ua.chars().take(512).collect()),
        };
        uow.insert_refresh_session(user.tenant_id, &session).await?;
        Ok(token)
    }

    fn token_pair(
        &self,
        user: &User,
        family: SessionFamilyId,
        refresh_token: String,
    ) -> Result<TokenPair, AuthError> {
        let now = self.clock.now();
        let claims = AccessClaims {
            user_id: user.id,
            tenant_id: user.tenant_id,
            role: user.role,
            jti: self.ids.new_id().to_string(),
            session_family: family,
            issued_at: now,
            expires_at: now + self.settings.access_token_ttl,
        };
        let access_token = self
            .tokens
            .issue(&claims)
            .map_err(|e| AuthError::Unexpected(e.to_string()))?;
        Ok(TokenPair {
            access_token,
            refresh_token,
            expires_in: self.settings.access_token_ttl.num_seconds(),
            refresh_expires_in: self.settings.refresh_token_ttl.num_seconds(),
            must_change_password: user.must_change_password,
        })
    }

    async fn audit(
        &self,
        uow: &dyn UnitOfWork,
        user: &User,
        context: &RequestContext,
        action: &str,
        details: serde_json::Value,
    ) -> Result<(), RepositoryError> {
        let change = Change {
            tenant: user.tenant_id,
            actor: Some(user.id),
            action,
            entity_type: "user",
            entity_id: Some(user.id.to_string()),
            details,
        };
        audit_trail::record(self.clock.as_ref(), self.ids.as_ref(), uow, context, change).await
    }
}

fn refresh_token_tenant(token: &str) -> Option<TenantId> {
    let (tenant, secret) = token.split_once('.')?;
    if secret.is_empty() {
        return None;
    }
    TenantId::parse(tenant).ok()
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn seconds_until(now: DateTime<Utc>, until: DateTime<Utc>) -> u64 {
    u64::try_from((until - now).num_seconds().max(1)).unwrap_or(1)
}
