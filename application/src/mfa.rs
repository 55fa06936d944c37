//! Multi-factor sign-in: enrolling an authenticator app (TOTP, RFC 6238) with a QR code,
//! single-use recovery codes (stored as hashes), the tenant's policy of which roles must use a
//! second factor, and an admin's reset of a user's factor. The second step of signing in is in
//! `auth`, which checks codes with [`check_second_factor`].

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use aegis_domain::Role;
use aegis_domain::mfa::{MfaPolicy, RECOVERY_CODES, TotpFactor};
use aegis_domain::permission::Action;
use aegis_domain::ports::{MfaRepository, RepositoryError};
use aegis_domain::user::{User, UserId};

use crate::audit_trail::{self, Change};
use crate::context::{Actor, Forbidden, RequestContext};
use crate::data_sources::CredentialCipher;
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::ports::{Clock, Database, IdGenerator, OneTimePasswords, SecretGenerator, UnitOfWork};

/// The issuer authenticator apps show next to the account.
const ISSUER: &str = "Aegis";

/// Where a user stands with multi-factor sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MfaStatus {
    /// A confirmed authenticator app.
    pub enrolled: bool,
    /// An enrolment begun but not confirmed with a first code.
    pub pending: bool,
    pub recovery_codes_left: u64,
    /// The tenant's policy requires a second factor for the user's role.
    pub required: bool,
}

/// What the user scans or types into the authenticator app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpEnrolment {
    pub secret: String,
    pub uri: String,
    pub qr_svg: String,
}

/// A code typed at the second step: from the app, or one of the recovery codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondFactor {
    Totp(String),
    RecoveryCode(String),
}

impl SecondFactor {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Totp(_) => "totp",
            Self::RecoveryCode(_) => "recovery_code",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MfaError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    #[error("the code is not correct")]
    WrongCode,
    #[error("an authenticator app is already enrolled; disable it first")]
    AlreadyEnrolled,
    #[error("no authenticator app is enrolled")]
    NotEnrolled,
    #[error("the tenant's policy requires a second factor for your role")]
    RequiredByPolicy,
    #[error("user not found")]
    UserNotFound,
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for MfaError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl Classified for MfaError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) | Self::RequiredByPolicy => ErrorKind::Forbidden,
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::WrongCode => ErrorKind::Invalid(vec![FieldError::new("code", "is not correct")]),
            Self::AlreadyEnrolled | Self::NotEnrolled => ErrorKind::Conflict,
            Self::UserNotFound => ErrorKind::NotFound,
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::WrongCode => "INVALID_MFA_CODE",
            Self::AlreadyEnrolled => "MFA_ALREADY_ENROLLED",
            Self::NotEnrolled => "MFA_NOT_ENROLLED",
            Self::RequiredByPolicy => "MFA_REQUIRED_BY_POLICY",
            Self::UserNotFound => "USER_NOT_FOUND",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

#[derive(Clone)]
pub struct MfaService {
    database: Arc<dyn Database>,
    otp: Arc<dyn OneTimePasswords>,
    cipher: Arc<dyn CredentialCipher>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    secrets: Arc<dyn SecretGenerator>,
}

impl MfaService {
    pub fn new(
        database: Arc<dyn Database>,
        otp: Arc<dyn OneTimePasswords>,
        cipher: Arc<dyn CredentialCipher>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        secrets: Arc<dyn SecretGenerator>,
    ) -> Self {
        Self {
            database,
            otp,
            cipher,
            clock,
            ids,
            secrets,
        }
    }

    /// # Errors
    /// `Unexpected` on storage failure.
    pub async fn status(&self, actor: &Actor) -> Result<MfaStatus, MfaError> {
        interactive(actor)?;
        actor.authorize(Action::ReadOwnAccount)?;
        let db = self.database.as_ref();
        let factor = db.find_totp_factor(actor.tenant_id, actor.user_id).await?;
        Ok(MfaStatus {
            enrolled: factor.as_ref().is_some_and(TotpFactor::is_confirmed),
            pending: factor.as_ref().is_some_and(|f| !f.is_confirmed()),
            recovery_codes_left: db
                .count_recovery_codes(actor.tenant_id, actor.user_id)
                .await?,
            required: db.mfa_policy(actor.tenant_id).await?.requires(actor.role),
        })
    }

    /// Starts enrolling an authenticator app: a new secret, shown with its QR code, that
    /// counts once a first code confirms it.
    ///
    /// # Errors
    /// `AlreadyEnrolled` while a confirmed factor exists.
    pub async fn begin_enrolment(
        &self,
        actor: &Actor,
        context: &RequestContext,
    ) -> Result<TotpEnrolment, MfaError> {
        interactive(actor)?;
        actor.authorize(Action::ManageOwnAccount)?;
        let uow = self.database.begin().await?;
        if uow
            .find_totp_factor(actor.tenant_id, actor.user_id)
            .await?
            .is_some_and(|f| f.is_confirmed())
        {
            return Err(MfaError::AlreadyEnrolled);
        }
        let secret = self.otp.new_secret();
        let provisioning = self
            .otp
            .provisioning(&secret, ISSUER, actor.email.as_str())
            .map_err(|e| MfaError::Unexpected(e.to_string()))?;
        let factor = TotpFactor {
            tenant_id: actor.tenant_id,
            user_id: actor.user_id,
            sealed_secret: hex::encode(self.cipher.encrypt(&secret)),
            confirmed_at: None,
            created_at: self.clock.now(),
            last_used_step: None,
        };
        uow.save_totp_factor(actor.tenant_id, &factor).await?;
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "mfa.enrolment_started",
            actor.user_id,
            serde_json::json!({}),
        )
        .await?;
        uow.commit().await?;
        Ok(TotpEnrolment {
            secret: provisioning.secret,
            uri: provisioning.uri,
            qr_svg: provisioning.qr_svg,
        })
    }

    /// Confirms the enrolment with a first code and hands out the recovery codes, once.
    ///
    /// # Errors
    /// `NotEnrolled` without a pending enrolment, `AlreadyEnrolled`, `WrongCode`.
    pub async fn confirm_enrolment(
        &self,
        actor: &Actor,
        code: &str,
        context: &RequestContext,
    ) -> Result<Vec<String>, MfaError> {
        interactive(actor)?;
        actor.authorize(Action::ManageOwnAccount)?;
        let now = self.clock.now();
        let uow = self.database.begin().await?;
        let mut factor = uow
            .find_totp_factor(actor.tenant_id, actor.user_id)
            .await?
            .ok_or(MfaError::NotEnrolled)?;
        if factor.is_confirmed() {
            return Err(MfaError::AlreadyEnrolled);
        }
        let step = self
            .matching_step(&factor, code, now)?
            .ok_or(MfaError::WrongCode)?;
        factor.confirmed_at = Some(now);
        factor.last_used_step = Some(step);
        uow.save_totp_factor(actor.tenant_id, &factor).await?;
        let codes = self
            .new_recovery_codes(uow.as_ref(), actor.tenant_id, actor.user_id)
            .await?;
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "mfa.enrolled",
            actor.user_id,
            serde_json::json!({"factor": "totp"}),
        )
        .await?;
        uow.commit().await?;
        Ok(codes)
    }

    /// Replaces the recovery codes (the old ones stop working); needs a current code.
    ///
    /// # Errors
    /// `NotEnrolled`, `WrongCode`.
    pub async fn regenerate_recovery_codes(
        &self,
        actor: &Actor,
        code: &str,
        context: &RequestContext,
    ) -> Result<Vec<String>, MfaError> {
        interactive(actor)?;
        actor.authorize(Action::ManageOwnAccount)?;
        let uow = self.database.begin().await?;
        self.spend_code(uow.as_ref(), actor, code).await?;
        let codes = self
            .new_recovery_codes(uow.as_ref(), actor.tenant_id, actor.user_id)
            .await?;
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "mfa.recovery_codes_regenerated",
            actor.user_id,
            serde_json::json!({}),
        )
        .await?;
        uow.commit().await?;
        Ok(codes)
    }

    /// Turns one's second factor off; needs a current code, and the policy must allow it.
    ///
    /// # Errors
    /// `RequiredByPolicy`, `NotEnrolled`, `WrongCode`.
    pub async fn disable(
        &self,
        actor: &Actor,
        code: &str,
        context: &RequestContext,
    ) -> Result<(), MfaError> {
        interactive(actor)?;
        actor.authorize(Action::ManageOwnAccount)?;
        let uow = self.database.begin().await?;
        if uow.mfa_policy(actor.tenant_id).await?.requires(actor.role) {
            return Err(MfaError::RequiredByPolicy);
        }
        self.spend_code(uow.as_ref(), actor, code).await?;
        uow.delete_mfa(actor.tenant_id, actor.user_id).await?;
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "mfa.disabled",
            actor.user_id,
            serde_json::json!({}),
        )
        .await?;
        uow.commit().await?;
        Ok(())
    }

    /// An admin removes a user's factor and recovery codes (a lost phone); the user enrols
    /// again at the next sign-in if the policy requires it.
    ///
    /// # Errors
    /// `Forbidden` without the right to manage users, `UserNotFound`.
    pub async fn reset(
        &self,
        actor: &Actor,
        user: Uuid,
        context: &RequestContext,
    ) -> Result<(), MfaError> {
        actor.authorize(Action::ManageUsers)?;
        let user = UserId::from_uuid(user);
        let uow = self.database.begin().await?;
        if uow.find_user(actor.tenant_id, user).await?.is_none() {
            return Err(MfaError::UserNotFound);
        }
        let had_factor = uow.delete_mfa(actor.tenant_id, user).await?;
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "mfa.reset",
            user,
            serde_json::json!({"had_factor": had_factor}),
        )
        .await?;
        uow.commit().await?;
        Ok(())
    }

    /// # Errors
    /// `Forbidden` without the right to manage users.
    pub async fn policy(&self, actor: &Actor) -> Result<Vec<Role>, MfaError> {
        actor.authorize(Action::ManageUsers)?;
        let policy = self.database.mfa_policy(actor.tenant_id).await?;
        Ok(policy.required_roles.into_iter().collect())
    }

    /// Sets which roles must sign in with a second factor.
    ///
    /// # Errors
    /// `Forbidden`, `Invalid` naming `required_roles`.
    pub async fn set_policy(
        &self,
        actor: &Actor,
        roles: &[String],
        context: &RequestContext,
    ) -> Result<Vec<Role>, MfaError> {
        actor.authorize(Action::ManageUsers)?;
        let required_roles = roles
            .iter()
            .map(|r| r.parse::<Role>())
            .collect::<Result<BTreeSet<_>, _>>()
            .map_err(|e| {
                MfaError::Invalid(vec![FieldError::new("required_roles", e.to_string())])
            })?;
        let policy = MfaPolicy { required_roles };
        let uow = self.database.begin().await?;
        uow.save_mfa_policy(actor.tenant_id, &policy).await?;
        let change = Change {
            tenant: actor.tenant_id,
            actor: Some(actor.user_id),
            action: "mfa.policy_changed",
            entity_type: "tenant",
            entity_id: Some(actor.tenant_id.to_string()),
            details: serde_json::json!({"required_roles": policy.to_text()}),
        };
        audit_trail::record(
            self.clock.as_ref(),
            self.ids.as_ref(),
            uow.as_ref(),
            context,
            change,
        )
        .await?;
        uow.commit().await?;
        Ok(policy.required_roles.into_iter().collect())
    }

    /// Checks a current app code against the enrolled factor and spends its time step.
    async fn spend_code(
        &self,
        uow: &dyn UnitOfWork,
        actor: &Actor,
        code: &str,
    ) -> Result<(), MfaError> {
        let user = uow
            .find_user(actor.tenant_id, actor.user_id)
            .await?
            .ok_or(MfaError::UserNotFound)?;
        match check_second_factor(
            uow,
            self.otp.as_ref(),
            self.cipher.as_ref(),
            &user,
            &SecondFactor::Totp(code.to_owned()),
            self.clock.now(),
        )
        .await?
        {
            Verdict::Accepted => Ok(()),
            Verdict::Refused => Err(MfaError::WrongCode),
            Verdict::NoFactor => Err(MfaError::NotEnrolled),
        }
    }

    fn matching_step(
        &self,
        factor: &TotpFactor,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, MfaError> {
        let secret = unseal(self.cipher.as_ref(), factor)?;
        Ok(self
            .otp
            .matching_step(&secret, code, now)
            .filter(|step| factor.accepts_step(*step)))
    }

    async fn new_recovery_codes(
        &self,
        uow: &dyn UnitOfWork,
        tenant: aegis_domain::tenant::TenantId,
        user: UserId,
    ) -> Result<Vec<String>, RepositoryError> {
        let codes: Vec<String> = (0..RECOVERY_CODES)
            .map(|_| {
                // 64 random bits as 16 hex digits, whatever the generator's alphabet.
                let random = hex::encode(Sha256::digest(self.secrets.token().as_bytes()));
                let digits: String = random.chars().take(16).collect();
                format!(
                    "{}-{}-{}-{}",
                    &digits[0..4],
                    &digits[4..8],
                    &digits[8..12],
                    &digits[12..16]
                )
            })
            .collect();
        let hashes: Vec<String> = codes.iter().map(|c| recovery_hash(c)).collect();
        uow.replace_recovery_codes(tenant, user, &hashes).await?;
        Ok(codes)
    }

    async fn audit(
        &self,
        uow: &dyn UnitOfWork,
        actor: &Actor,
        context: &RequestContext,
        action: &str,
        user: UserId,
        details: serde_json::Value,
    ) -> Result<(), RepositoryError> {
        let change = Change {
            tenant: actor.tenant_id,
            actor: Some(actor.user_id),
            action,
            entity_type: "user",
            entity_id: Some(user.to_string()),
            details,
        };
        audit_trail::record(self.clock.as_ref(), self.ids.as_ref(), uow, context, change).await
    }
}

/// What a second-factor check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Accepted,
    Refused,
    NoFactor,
}

/// Checks `answer` for `user` within `uow`: an app code at a time step not used before (the
/// step is then spent), or an unused recovery code (then spent).
pub(crate) async fn check_second_factor(
    uow: &dyn UnitOfWork,
    otp: &dyn OneTimePasswords,
    cipher: &dyn CredentialCipher,
    user: &User,
    answer: &SecondFactor,
    now: DateTime<Utc>,
) -> Result<Verdict, RepositoryError> {
    let Some(mut factor) = uow
        .find_totp_factor(user.tenant_id, user.id)
        .await?
        .filter(TotpFactor::is_confirmed)
    else {
        return Ok(Verdict::NoFactor);
    };
    match answer {
        SecondFactor::Totp(code) => {
            let secret =
                unseal(cipher, &factor).map_err(|e| RepositoryError::unexpected(e.to_string()))?;
            match otp
                .matching_step(&secret, code, now)
                .filter(|step| factor.accepts_step(*step))
            {
                Some(step) => {
                    factor.last_used_step = Some(step);
                    uow.save_totp_factor(user.tenant_id, &factor).await?;
                    Ok(Verdict::Accepted)
                }
                None => Ok(Verdict::Refused),
            }
        }
        SecondFactor::RecoveryCode(code) => {
            let spent = uow
                .use_recovery_code(user.tenant_id, user.id, &recovery_hash(code), now)
                .await?;
            Ok(if spent {
                Verdict::Accepted
            } else {
                Verdict::Refused
            })
        }
    }
}

/// Whether the user has a confirmed factor, so signing in takes a second step.
pub(crate) async fn has_factor(
    repositories: &(impl MfaRepository + ?Sized),
    user: &User,
) -> Result<bool, RepositoryError> {
    Ok(repositories
        .find_totp_factor(user.tenant_id, user.id)
        .await?
        .is_some_and(|f| f.is_confirmed()))
}

fn unseal(cipher: &dyn CredentialCipher, factor: &TotpFactor) -> Result<String, MfaError> {
    let sealed = hex::decode(&factor.sealed_secret)
        .map_err(|e| MfaError::Unexpected(format!("stored MFA secret: {e}")))?;
    cipher
        .decrypt(&sealed)
        .map_err(|e| MfaError::Unexpected(format!("stored MFA secret: {e}")))
}

/// Recovery codes carry 64 random bits and are typed by people: dashes, spaces and case do
/// not count; SHA-256 of what remains is stored.
fn recovery_hash(code: &str) -> String {
    let normalized: String = code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hex::encode(Sha256::digest(normalized.as_bytes()))
}

fn interactive(actor: &Actor) -> Result<(), MfaError> {
    if actor.is_interactive() {
        Ok(())
    } else {
        Err(MfaError::Forbidden(Forbidden {
            role: actor.role,
            action: Action::ManageOwnAccount,
            missing_scope: None,
        }))
    }
}
