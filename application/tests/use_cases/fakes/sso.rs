//! In-memory single sign-on for use-case tests, and a scripted OpenID provider.

use std::sync::{Arc, Mutex};

use aegis_application::sso::{
    Authorization, CodeExchange, OidcError, OpenIdProvider, ProviderClient, VerifiedIdentity,
};
use aegis_domain::ports::*;
use aegis_domain::sso::{SsoConfig, SsoIdentity, SsoSignIn, SsoSignInId};
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Memory, Slot};

#[derive(Clone, Default)]
pub struct SsoState {
    pub configs: Vec<SsoConfig>,
    pub sign_ins: Vec<SsoSignIn>,
    pub identities: Vec<SsoIdentity>,
}

#[async_trait]
impl<S: Slot> SsoRepository for Memory<S> {
    async fn sso_config(&self, tenant: TenantId) -> Result<Option<SsoConfig>, RepositoryError> {
        Ok(self.with(|s| {
            s.sso
                .configs
                .iter()
                .find(|c| c.tenant_id == tenant)
                .cloned()
        }))
    }
    async fn save_sso_config(
        &self,
        tenant: TenantId,
        config: &SsoConfig,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            s.sso.configs.retain(|c| c.tenant_id != tenant);
            s.sso.configs.push(config.clone());
        });
        Ok(())
    }
    async fn insert_sso_sign_in(
        &self,
        _tenant: TenantId,
        sign_in: &SsoSignIn,
    ) -> Result<(), RepositoryError> {
        self.with(|s| s.sso.sign_ins.push(sign_in.clone()));
        Ok(())
    }
    async fn find_sso_sign_in(
        &self,
        tenant: TenantId,
        state_hash: &str,
    ) -> Result<Option<SsoSignIn>, RepositoryError> {
        Ok(self.with(|s| {
            s.sso
                .sign_ins
                .iter()
                .find(|i| i.tenant_id == tenant && i.state_hash == state_hash)
                .cloned()
        }))
    }
    async fn spend_sso_sign_in(
        &self,
        tenant: TenantId,
        id: SsoSignInId,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        Ok(self.with(|s| {
            match s
                .sso
                .sign_ins
                .iter_mut()
                .find(|i| i.tenant_id == tenant && i.id == id && i.used_at.is_none())
            {
                Some(sign_in) => {
                    sign_in.used_at = Some(at);
                    true
                }
                None => false,
            }
        }))
    }
    async fn find_sso_identity(
        &self,
        tenant: TenantId,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<UserId>, RepositoryError> {
        Ok(self.with(|s| {
            s.sso
                .identities
                .iter()
                .find(|i| i.tenant_id == tenant && i.issuer == issuer && i.subject == subject)
                .map(|i| i.user_id)
        }))
    }
    async fn insert_sso_identity(
        &self,
        tenant: TenantId,
        identity: &SsoIdentity,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            if s.sso.identities.iter().any(|i| {
                i.tenant_id == tenant
                    && i.issuer == identity.issuer
                    && i.subject == identity.subject
            }) {
                Err(RepositoryError::Duplicate(Subject::SsoIdentity))
            } else {
                s.sso.identities.push(identity.clone());
                Ok(())
            }
        })
    }
}

/// A provider that vouches for whoever the test says: the next exchange answers
/// `identity`, and the nonce it was given is recorded.
#[derive(Clone, Default)]
pub struct ScriptedProvider {
    pub identity: Arc<Mutex<Option<VerifiedIdentity>>>,
    pub exchanges: Arc<Mutex<Vec<CodeExchange>>>,
}

#[async_trait]
impl OpenIdProvider for ScriptedProvider {
    async fn discover(&self, client: &ProviderClient) -> Result<(), OidcError> {
        if client.issuer.contains("unreachable") {
            Err(OidcError::Provider("connection refused".to_owned()))
        } else {
            Ok(())
        }
    }
    async fn authorization(
        &self,
        client: &ProviderClient,
        _scopes: &[String],
        state: &str,
        nonce: &str,
    ) -> Result<Authorization, OidcError> {
        Ok(Authorization {
            url: format!("{}/auth?state={state}&nonce={nonce}", client.issuer),
            pkce_verifier: "verifier".to_owned(),
        })
    }
    async fn exchange(
        &self,
        _client: &ProviderClient,
        exchange: &CodeExchange,
    ) -> Result<VerifiedIdentity, OidcError> {
        if let Ok(mut seen) = self.exchanges.lock() {
            seen.push(exchange.clone());
        }
        self.identity
            .lock()
            .ok()
            .and_then(|identity| identity.clone())
            .ok_or_else(|| OidcError::IdToken("nonce mismatch".to_owned()))
    }
}
