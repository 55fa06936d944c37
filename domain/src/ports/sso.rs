//! Single sign-on: a tenant's OpenID Connect configuration, the sign-ins in flight and the
//! provider subjects linked to users.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::RepositoryError;
use crate::sso::{SsoConfig, SsoIdentity, SsoSignIn, SsoSignInId};
use crate::tenant::TenantId;
use crate::user::UserId;

#[async_trait]
pub trait SsoRepository: Send + Sync {
    /// The tenant's configuration, if one was saved.
    ///
    /// # Errors
    /// `Unexpected` on storage failure or a stored value that no longer parses.
    async fn sso_config(&self, tenant: TenantId) -> Result<Option<SsoConfig>, RepositoryError>;

    /// Stores the tenant's configuration, replacing any earlier one.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn save_sso_config(
        &self,
        tenant: TenantId,
        config: &SsoConfig,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_sso_sign_in(
        &self,
        tenant: TenantId,
        sign_in: &SsoSignIn,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_sso_sign_in(
        &self,
        tenant: TenantId,
        state_hash: &str,
    ) -> Result<Option<SsoSignIn>, RepositoryError>;

    /// Spends the sign-in if it is still unused; returns whether this call spent it, so two
    /// callbacks racing with one state cannot both go on.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn spend_sso_sign_in(
        &self,
        tenant: TenantId,
        id: SsoSignInId,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError>;

    /// The user linked to the provider's subject.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_sso_identity(
        &self,
        tenant: TenantId,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<UserId>, RepositoryError>;

    /// # Errors
    /// `Duplicate(Subject::SsoIdentity)` when the subject is linked already.
    async fn insert_sso_identity(
        &self,
        tenant: TenantId,
        identity: &SsoIdentity,
    ) -> Result<(), RepositoryError>;
}
