//! In-memory multi-factor sign-in for use-case tests.

use aegis_domain::mfa::{MfaChallenge, MfaChallengeId, MfaPolicy, TotpFactor};
use aegis_domain::ports::*;
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Memory, Slot};

/// A recovery code as stored: its hash and when it was used.
#[derive(Clone, Debug)]
pub struct StoredCode {
    pub tenant: TenantId,
    pub user: UserId,
    pub hash: String,
    pub used_at: Option<DateTime<Utc>>,
}

#[async_trait]
impl<S: Slot> MfaRepository for Memory<S> {
    async fn find_totp_factor(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Option<TotpFactor>, RepositoryError> {
        Ok(self.with(|s| {
            s.mfa_factors
                .iter()
                .find(|f| f.tenant_id == tenant && f.user_id == user)
                .cloned()
        }))
    }
    async fn save_totp_factor(
        &self,
        tenant: TenantId,
        factor: &TotpFactor,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            s.mfa_factors
                .retain(|f| !(f.tenant_id == tenant && f.user_id == factor.user_id));
            s.mfa_factors.push(factor.clone());
        });
        Ok(())
    }
    async fn delete_mfa(&self, tenant: TenantId, user: UserId) -> Result<bool, RepositoryError> {
        Ok(self.with(|s| {
            s.recovery_codes
                .retain(|c| !(c.tenant == tenant && c.user == user));
            let before = s.mfa_factors.len();
            s.mfa_factors
                .retain(|f| !(f.tenant_id == tenant && f.user_id == user));
            before != s.mfa_factors.len()
        }))
    }
    async fn replace_recovery_codes(
        &self,
        tenant: TenantId,
        user: UserId,
        code_hashes: &[String],
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            s.recovery_codes
                .retain(|c| !(c.tenant == tenant && c.user == user));
            s.recovery_codes
                .extend(code_hashes.iter().map(|hash| StoredCode {
                    tenant,
                    user,
                    hash: hash.clone(),
                    used_at: None,
                }));
        });
        Ok(())
    }
    async fn use_recovery_code(
        &self,
        tenant: TenantId,
        user: UserId,
        code_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        Ok(self.with(|s| {
            match s.recovery_codes.iter_mut().find(|c| {
                c.tenant == tenant && c.user == user && c.hash == code_hash && c.used_at.is_none()
            }) {
                Some(code) => {
                    code.used_at = Some(at);
                    true
                }
                None => false,
            }
        }))
    }
    async fn count_recovery_codes(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<u64, RepositoryError> {
        Ok(self.with(|s| {
            s.recovery_codes
                .iter()
                .filter(|c| c.tenant == tenant && c.user == user && c.used_at.is_none())
                .count() as u64
        }))
    }
    async fn mfa_policy(&self, tenant: TenantId) -> Result<MfaPolicy, RepositoryError> {
        Ok(self.with(|s| {
            s.mfa_policies
                .iter()
                .find(|(t, _)| *t == tenant)
                .map(|(_, p)| p.clone())
                .unwrap_or_default()
        }))
    }
    async fn save_mfa_policy(
        &self,
        tenant: TenantId,
        policy: &MfaPolicy,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            s.mfa_policies.retain(|(t, _)| *t != tenant);
            s.mfa_policies.push((tenant, policy.clone()));
        });
        Ok(())
    }
    async fn insert_mfa_challenge(
        &self,
        _tenant: TenantId,
        challenge: &MfaChallenge,
    ) -> Result<(), RepositoryError> {
        self.with(|s| s.mfa_challenges.push(challenge.clone()));
        Ok(())
    }
    async fn find_mfa_challenge(
        &self,
        tenant: TenantId,
        token_hash: &str,
    ) -> Result<Option<MfaChallenge>, RepositoryError> {
        Ok(self.with(|s| {
            s.mfa_challenges
                .iter()
                .find(|c| c.tenant_id == tenant && c.token_hash == token_hash)
                .cloned()
        }))
    }
    async fn update_mfa_challenge(
        &self,
        tenant: TenantId,
        id: MfaChallengeId,
        failed_attempts: u32,
        used_at: Option<DateTime<Utc>>,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            if let Some(c) = s
                .mfa_challenges
                .iter_mut()
                .find(|c| c.tenant_id == tenant && c.id == id)
            {
                c.failed_attempts = failed_attempts;
                c.used_at = used_at;
            }
        });
        Ok(())
    }
}

/// Codes that are the time step itself (six digits), so tests can type the right one.
pub struct StepCodes;

impl StepCodes {
    pub fn code_at(now: DateTime<Utc>) -> String {
        format!("{:06}", (now.timestamp() / 30).rem_euclid(1_000_000))
    }
}

impl aegis_application::ports::OneTimePasswords for StepCodes {
    fn new_secret(&self) -> String {
        "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".to_owned()
    }
    fn provisioning(
        &self,
        secret: &str,
        issuer: &str,
        account: &str,
    ) -> Result<aegis_application::ports::TotpProvisioning, aegis_application::ports::OtpError>
    {
        Ok(aegis_application::ports::TotpProvisioning {
            secret: secret.to_owned(),
            uri: format!("otpauth://totp/{issuer}:{account}?secret={secret}"),
            qr_svg: "<svg/>".to_owned(),
        })
    }
    fn matching_step(&self, _secret: &str, code: &str, now: DateTime<Utc>) -> Option<i64> {
        let current = now.timestamp() / 30;
        [current - 1, current, current + 1]
            .into_iter()
            .find(|step| format!("{:06}", step.rem_euclid(1_000_000)) == code)
    }
}
