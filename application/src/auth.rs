//! Signing in and out: credentials to tokens, rotating refresh tokens, and checking the
//! access token of every request.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use aegis_domain::lockout::LockoutPolicy;
use aegis_domain::permission::Action;
use aegis_domain::ports::{RepositoryError, TenantRepository};
use aegis_domain::session::{
    ActiveSession, RefreshSession, RefreshSessionId, RefreshVerdict, SessionFamilyId,
};
use aegis_domain::tenant::TenantId;
use aegis_domain::user::{Email, User, UserKind};

use aegis_domain::mfa::{MfaChallenge, MfaChallengeId};

use crate::audit_trail::{self, Change};
use crate::context::{Actor, Forbidden, PresentedToken, RequestContext};
use crate::data_sources::CredentialCipher;
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::mfa::{SecondFactor, Verdict, check_second_factor, has_factor};
use crate::ports::{
    AccessClaims, Clock, Database, IdGenerator, OneTimePasswords, PasswordHasher, SecretGenerator,
    TokenError, TokenService, UnitOfWork,
};

/// How long the second step of a sign-in may take.
const MFA_CHALLENGE_TTL_MINUTES: i64 = 5;

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
    /// The tenant's policy requires a second factor the user has not enrolled yet: until
    /// they do, the token only reaches their account (`Access::PasswordChange`).
    pub mfa_enrolment_required: bool,
}

/// The answer to a correct password: tokens, or the second step when the user has a factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    Tokens(TokenPair),
    MfaRequired {
        challenge_token: String,
        expires_in: i64,
    },
}

/// One of the caller's sessions; `current` marks the one the request came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSummary {
    pub session: ActiveSession,
    pub current: bool,
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
    #[error("a second factor must be enrolled before anything else")]
    MfaEnrolmentRequired,
    #[error("the sign-in challenge is not valid or has expired; sign in again")]
    InvalidMfaChallenge,
    #[error("the code is not correct")]
    InvalidMfaCode,
    #[error("the organization of this account is disabled; ask the platform operator")]
    TenantDisabled,
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("session not found")]
    SessionNotFound,
    #[error("this organization signs in through single sign-on only")]
    SsoRequired,
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
            Self::PasswordChangeRequired
            | Self::MfaEnrolmentRequired
            | Self::TenantDisabled
            | Self::SsoRequired
            | Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::SessionNotFound => ErrorKind::NotFound,
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
            Self::MfaEnrolmentRequired => "MFA_ENROLMENT_REQUIRED",
            Self::InvalidMfaChallenge => "INVALID_MFA_CHALLENGE",
            Self::InvalidMfaCode => "INVALID_MFA_CODE",
            Self::TenantDisabled => "TENANT_DISABLED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::SessionNotFound => "SESSION_NOT_FOUND",
            Self::SsoRequired => "SSO_REQUIRED",
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
    otp: Arc<dyn OneTimePasswords>,
    cipher: Arc<dyn CredentialCipher>,
    settings: AuthSettings,
}

/// The adapters signing in draws on.
pub struct AuthPorts {
    pub database: Arc<dyn Database>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub tokens: Arc<dyn TokenService>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub secrets: Arc<dyn SecretGenerator>,
    pub otp: Arc<dyn OneTimePasswords>,
    pub cipher: Arc<dyn CredentialCipher>,
}

impl AuthService {
    pub fn new(ports: AuthPorts, settings: AuthSettings) -> Self {
        Self {
            database: ports.database,
            hasher: ports.hasher,
            tokens: ports.tokens,
            clock: ports.clock,
            ids: ports.ids,
            secrets: ports.secrets,
            otp: ports.otp,
            cipher: ports.cipher,
            settings,
        }
    }

    pub fn settings(&self) -> &AuthSettings {
        &self.settings
    }

    /// Exchanges an email and password for tokens, or for the second step when the user has
    /// a second factor. The failed-attempt count is not reset before the second step passes,
    /// so wrong codes count towards the lockout however many times the password is retyped.
    ///
    /// # Errors
    /// `Invalid` for empty fields, `InvalidCredentials` for any wrong or unknown account,
    /// `AccountLocked` while a lockout lasts.
    pub async fn login(
        &self,
        credentials: Credentials,
        context: &RequestContext,
    ) -> Result<SignIn, AuthError> {
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
            Some(user) if user.is_active && user.kind == UserKind::Person => user,
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
        // Said only to whoever knows the password, so it reveals nothing to a guesser.
        ensure_tenant_enabled(self.database.as_ref(), user.tenant_id).await?;
        // Checked after the password, so the answer does not tell who exists without it.
        if let Some(config) = self.database.sso_config(user.tenant_id).await?
            && config.refuses_password(&user.email)
        {
            return Err(AuthError::SsoRequired);
        }
        if has_factor(self.database.as_ref(), &user).await? {
            return self.open_mfa_challenge(&user).await;
        }
        self.complete_login(&user, context, serde_json::json!({ "second_factor": null }))
            .await
            .map(SignIn::Tokens)
    }

    /// Answers the second step of a sign-in with an app code or a recovery code. A wrong
    /// code counts as a failed sign-in (towards the lockout) and as an attempt of the
    /// challenge, which closes after five.
    ///
    /// # Errors
    /// `InvalidMfaChallenge` for an unknown, spent or expired challenge, `InvalidMfaCode`,
    /// `AccountLocked`.
    pub async fn verify_mfa(
        &self,
        challenge_token: &str,
        answer: SecondFactor,
        context: &RequestContext,
    ) -> Result<TokenPair, AuthError> {
        let tenant = refresh_token_tenant(challenge_token).ok_or(AuthError::InvalidMfaChallenge)?;
        let now = self.clock.now();
        let uow = self.database.begin().await?;
        let challenge = uow
            .find_mfa_challenge(tenant, &token_hash(challenge_token))
            .await?
            .filter(|c| c.is_open(now))
            .ok_or(AuthError::InvalidMfaChallenge)?;
        let user = match uow.find_user(tenant, challenge.user_id).await? {
            Some(user) if user.is_active => user,
            _ => return Err(AuthError::InvalidMfaChallenge),
        };
        ensure_tenant_enabled(uow.as_ref(), tenant).await?;
        if let Some(until) = user.locked_until.filter(|until| *until > now) {
            return Err(AuthError::AccountLocked {
                retry_after_seconds: seconds_until(now, until),
            });
        }
        let verdict = check_second_factor(
            uow.as_ref(),
            self.otp.as_ref(),
            self.cipher.as_ref(),
            &user,
            &answer,
            now,
        )
        .await?;
        if verdict != Verdict::Accepted {
            uow.update_mfa_challenge(tenant, challenge.id, challenge.failed_attempts + 1, None)
                .await?;
            uow.commit().await?;
            return Err(match self.record_failed_login(&user, context).await? {
                AuthError::InvalidCredentials => AuthError::InvalidMfaCode,
                other => other,
            });
        }
        uow.update_mfa_challenge(tenant, challenge.id, challenge.failed_attempts, Some(now))
            .await?;
        uow.commit().await?;
        self.complete_login(
            &user,
            context,
            serde_json::json!({ "second_factor": answer.kind() }),
        )
        .await
    }

    async fn open_mfa_challenge(&self, user: &User) -> Result<SignIn, AuthError> {
        let now = self.clock.now();
        let token = format!(
            "{}.{}",
            user.tenant_id.as_uuid().simple(),
            self.secrets.token()
        );
        let ttl = Duration::minutes(MFA_CHALLENGE_TTL_MINUTES);
        let challenge = MfaChallenge {
            id: MfaChallengeId::from_uuid(self.ids.new_id()),
            tenant_id: user.tenant_id,
            user_id: user.id,
            token_hash: token_hash(&token),
            created_at: now,
            expires_at: now + ttl,
            used_at: None,
            failed_attempts: 0,
        };
        let uow = self.database.begin().await?;
        uow.insert_mfa_challenge(user.tenant_id, &challenge).await?;
        uow.commit().await?;
        Ok(SignIn::MfaRequired {
            challenge_token: token,
            expires_in: ttl.num_seconds(),
        })
    }

    /// Signs in a person an identity provider vouched for (single sign-on): the same
    /// session, tokens and audit entry as a password sign-in, `details` saying how.
    ///
    /// # Errors
    /// `InvalidCredentials` when the account is gone, `TenantDisabled` when its tenant is,
    /// `Unexpected` on storage failure.
    pub(crate) async fn sign_in_federated(
        &self,
        user: &User,
        context: &RequestContext,
        details: serde_json::Value,
    ) -> Result<TokenPair, AuthError> {
        // An identity provider vouches for a person, not for an organization the operator
        // disabled.
        ensure_tenant_enabled(self.database.as_ref(), user.tenant_id).await?;
        self.complete_login(user, context, details).await
    }

    /// The end of a successful sign-in: counters reset, a session opened, the audit entry.
    async fn complete_login(
        &self,
        user: &User,
        context: &RequestContext,
        details: serde_json::Value,
    ) -> Result<TokenPair, AuthError> {
        let now = self.clock.now();
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
        self.audit(uow.as_ref(), &user, context, "auth.login", details)
            .await?;
        let enrolment = self.mfa_enrolment_required(uow.as_ref(), &user).await?;
        uow.commit().await?;
        self.token_pair(&user, family, refresh_token, enrolment)
    }

    /// Whether the tenant's policy requires a second factor the user has not enrolled.
    async fn mfa_enrolment_required(
        &self,
        uow: &dyn UnitOfWork,
        user: &User,
    ) -> Result<bool, RepositoryError> {
        Ok(uow.mfa_policy(user.tenant_id).await?.requires(user.role)
            && !has_factor(uow, user).await?)
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
        // The session is kept, not spent: it works again once the tenant is enabled.
        ensure_tenant_enabled(uow.as_ref(), tenant).await?;
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
        let enrolment = self.mfa_enrolment_required(uow.as_ref(), &user).await?;
        uow.commit().await?;
        self.token_pair(&user, session.family_id, refresh_token, enrolment)
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

    /// The caller's sessions that can still refresh, the most recently seen first.
    ///
    /// # Errors
    /// `Forbidden` for an actor that may not read their account.
    pub async fn sessions(&self, actor: &Actor) -> Result<Vec<SessionSummary>, AuthError> {
        actor.authorize(Action::ReadOwnAccount)?;
        let current = actor.token.as_ref().map(|token| token.session_family);
        let sessions = self
            .database
            .active_sessions(actor.tenant_id, actor.user_id, self.clock.now())
            .await?;
        Ok(sessions
            .into_iter()
            .map(|session| SessionSummary {
                current: Some(session.family_id) == current,
                session,
            })
            .collect())
    }

    /// Ends one of the caller's sessions: it can no longer refresh. Ending the current one
    /// also revokes the request's access token, as signing out does; another session's
    /// access token lasts until it expires (at most the access-token lifetime).
    ///
    /// # Errors
    /// `Forbidden`, `SessionNotFound` for a session that is not the caller's or has ended.
    pub async fn end_session(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
        context: &RequestContext,
    ) -> Result<(), AuthError> {
        actor.authorize(Action::ManageOwnAccount)?;
        let now = self.clock.now();
        let family = SessionFamilyId::from_uuid(id);
        let uow = self.database.begin().await?;
        let owned = uow
            .active_sessions(actor.tenant_id, actor.user_id, now)
            .await?
            .iter()
            .any(|session| session.family_id == family);
        if !owned {
            return Err(AuthError::SessionNotFound);
        }
        uow.revoke_session_family(actor.tenant_id, family, now)
            .await?;
        if let Some(token) = actor.token.as_ref().filter(|t| t.session_family == family) {
            uow.revoke_access_token(actor.tenant_id, &token.jti, actor.user_id, token.expires_at)
                .await?;
        }
        self.audit_actor(
            uow.as_ref(),
            actor,
            context,
            "auth.session_ended",
            serde_json::json!({ "session": id }),
        )
        .await?;
        uow.commit().await?;
        Ok(())
    }

    /// Ends the caller's other sessions, or all of them with `include_current` (then the
    /// request's access token is revoked too). Returns how many ended.
    ///
    /// # Errors
    /// `Forbidden`.
    pub async fn end_sessions(
        &self,
        actor: &Actor,
        include_current: bool,
        context: &RequestContext,
    ) -> Result<usize, AuthError> {
        actor.authorize(Action::ManageOwnAccount)?;
        let now = self.clock.now();
        let current = actor.token.as_ref().map(|token| token.session_family);
        let keep = if include_current { None } else { current };
        let uow = self.database.begin().await?;
        let ended = uow
            .active_sessions(actor.tenant_id, actor.user_id, now)
            .await?
            .iter()
            .filter(|session| Some(session.family_id) != keep)
            .count();
        uow.revoke_user_sessions(actor.tenant_id, actor.user_id, keep, now)
            .await?;
        if include_current && let Some(token) = &actor.token {
            uow.revoke_access_token(actor.tenant_id, &token.jti, actor.user_id, token.expires_at)
                .await?;
        }
        self.audit_actor(
            uow.as_ref(),
            actor,
            context,
            "auth.sessions_ended",
            serde_json::json!({ "ended": ended, "include_current": include_current }),
        )
        .await?;
        uow.commit().await?;
        Ok(ended)
    }

    async fn audit_actor(
        &self,
        uow: &dyn UnitOfWork,
        actor: &Actor,
        context: &RequestContext,
        action: &str,
        details: serde_json::Value,
    ) -> Result<(), RepositoryError> {
        let change = Change {
            tenant: actor.tenant_id,
            actor: Some(actor.user_id),
            action,
            entity_type: "user",
            entity_id: Some(actor.user_id.to_string()),
            details,
        };
        audit_trail::record(self.clock.as_ref(), self.ids.as_ref(), uow, context, change).await
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
        ensure_tenant_enabled(database.as_ref(), user.tenant_id).await?;
        if user.must_change_password && access == Access::Full {
            return Err(AuthError::PasswordChangeRequired);
        }
        if claims.mfa_enrolment_required && access == Access::Full {
            return Err(AuthError::MfaEnrolmentRequired);
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
            api_key: None,
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
        mfa_enrolment_required: bool,
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
            mfa_enrolment_required,
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
            mfa_enrolment_required,
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

/// Refuses the sign-ins and requests of a disabled tenant's users (and of a tenant that is
/// gone).
///
/// # Errors
/// `TenantDisabled`, or `Unexpected` on storage failure.
pub(crate) async fn ensure_tenant_enabled(
    tenants: &(impl TenantRepository + ?Sized),
    tenant: TenantId,
) -> Result<(), AuthError> {
    match tenants.find_tenant(tenant).await? {
        Some(found) if !found.is_disabled() => Ok(()),
        _ => Err(AuthError::TenantDisabled),
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
