//! Multi-factor sign-in: factors, recovery codes, the tenant's policy and sign-in challenges.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::RepositoryError;
use crate::mfa::{MfaChallenge, MfaChallengeId, MfaPolicy, TotpFactor};
use crate::tenant::TenantId;
use crate::user::UserId;

#[async_trait]
pub trait MfaRepository: Send + Sync {
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_totp_factor(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Option<TotpFactor>, RepositoryError>;

    /// Stores the user's factor, replacing any earlier one.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn save_totp_factor(
        &self,
        tenant: TenantId,
        factor: &TotpFactor,
    ) -> Result<(), RepositoryError>;

    /// Removes the user's factor and recovery codes; returns whether there was a factor.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn delete_mfa(&self, tenant: TenantId, user: UserId) -> Result<bool, RepositoryError>;

    /// Replaces the user's recovery codes by these hashes.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn replace_recovery_codes(
        &self,
        tenant: TenantId,
        user: UserId,
        code_hashes: &[String],
    ) -> Result<(), RepositoryError>;

    /// Spends the unused recovery code with this hash; returns whether there was one.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn use_recovery_code(
        &self,
        tenant: TenantId,
        user: UserId,
        code_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn count_recovery_codes(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<u64, RepositoryError>;

    /// The tenant's policy (no role required when none was set).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn mfa_policy(&self, tenant: TenantId) -> Result<MfaPolicy, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn save_mfa_policy(
        &self,
        tenant: TenantId,
        policy: &MfaPolicy,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_mfa_challenge(
        &self,
        tenant: TenantId,
        challenge: &MfaChallenge,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_mfa_challenge(
        &self,
        tenant: TenantId,
        token_hash: &str,
    ) -> Result<Option<MfaChallenge>, RepositoryError>;

    /// Stores the challenge's failed attempts and use.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn update_mfa_challenge(
        &self,
        tenant: TenantId,
        id: MfaChallengeId,
        failed_attempts: u32,
        used_at: Option<DateTime<Utc>>,
    ) -> Result<(), RepositoryError>;
}
