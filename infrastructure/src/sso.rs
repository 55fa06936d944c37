//! The OpenID Connect adapter of the `OpenIdProvider` port, over the maintained
//! `openidconnect` crate: discovery, the authorization request (code flow, S256 PKCE), the
//! code exchange and the ID token's checks (signature against the provider's JWKS, issuer,
//! audience, expiry, nonce).
//!
//! Every call goes through the webhooks' guarded client: names resolved through the SSRF
//! rules (a provider on a private address only when the tenant's allow-list names it), no
//! proxy, no redirects (a token endpoint that redirects could leak the code), bounded in time.
//! Discovery documents are kept for a while per issuer; when an ID token names a key the
//! kept JWKS does not have, the JWKS is fetched again once, which is how a provider's key
//! rotation is followed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{
    CoreClient, CoreIdToken, CoreJsonWebKeySet, CoreProviderMetadata, CoreResponseType,
};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, Scope, SignatureVerificationError, TokenResponse as _,
};
use serde_json::Value;

use aegis_application::sso::{
    Authorization, CodeExchange, OidcError, OpenIdProvider, ProviderClient, VerifiedIdentity,
};

use crate::webhooks::guarded_client;

/// How long a discovery document (and its keys) is kept before it is read again.
const METADATA_TTL: Duration = Duration::from_secs(600);
/// The most groups read from a token.
const GROUPS_MAX: usize = 500;

/// Timeouts of the provider client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenIdClientSettings {
    pub connect_timeout: Duration,
    pub total_timeout: Duration,
}

impl Default for OpenIdClientSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(15),
        }
    }
}

/// OpenID providers over HTTP.
#[derive(Default)]
pub struct HttpOpenIdProvider {
    settings: OpenIdClientSettings,
    metadata: Mutex<HashMap<String, (Instant, CoreProviderMetadata)>>,
}

impl std::fmt::Debug for HttpOpenIdProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpOpenIdProvider")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl HttpOpenIdProvider {
    #[must_use]
    pub fn new(settings: OpenIdClientSettings) -> Self {
        Self {
            settings,
            metadata: Mutex::default(),
        }
    }

    fn http(&self, client: &ProviderClient) -> Result<reqwest::Client, OidcError> {
        guarded_client(
            &client.allow,
            self.settings.connect_timeout,
            self.settings.total_timeout,
            "Aegis-SSO/1",
        )
        .map_err(|e| OidcError::Provider(crate::webhooks::chain(&e)))
    }

    /// The provider's discovery document: kept, or read (and kept) when there is none or
    /// it is old.
    async fn metadata(
        &self,
        http: &reqwest::Client,
        issuer: &str,
        fresh: bool,
    ) -> Result<CoreProviderMetadata, OidcError> {
        if !fresh && let Some(kept) = self.kept(issuer) {
            return Ok(kept);
        }
        let issuer_url = IssuerUrl::new(issuer.to_owned())
            .map_err(|e| OidcError::Provider(format!("the issuer is not a URL: {e}")))?;
        let metadata = CoreProviderMetadata::discover_async(issuer_url, http)
            .await
            .map_err(|e| {
                OidcError::Provider(format!(
                    "the discovery document cannot be read: {}",
                    error_chain(&e)
                ))
            })?;
        self.keep(issuer, &metadata);
        Ok(metadata)
    }

    fn kept(&self, issuer: &str) -> Option<CoreProviderMetadata> {
        let kept = self.metadata.lock().ok()?;
        kept.get(issuer)
            .filter(|(at, _)| at.elapsed() < METADATA_TTL)
            .map(|(_, metadata)| metadata.clone())
    }

    fn keep(&self, issuer: &str, metadata: &CoreProviderMetadata) {
        if let Ok(mut kept) = self.metadata.lock() {
            kept.insert(issuer.to_owned(), (Instant::now(), metadata.clone()));
        }
    }

    /// The same metadata with its JWKS read again (a key the token names is not in it).
    async fn refreshed_keys(
        &self,
        http: &reqwest::Client,
        issuer: &str,
        metadata: CoreProviderMetadata,
    ) -> Result<CoreProviderMetadata, OidcError> {
        let jwks = CoreJsonWebKeySet::fetch_async(metadata.jwks_uri(), http)
            .await
            .map_err(|e| {
                OidcError::Provider(format!(
                    "the provider's keys cannot be read: {}",
                    error_chain(&e)
                ))
            })?;
        let metadata = metadata.set_jwks(jwks);
        self.keep(issuer, &metadata);
        Ok(metadata)
    }
}

fn oidc_client(
    metadata: CoreProviderMetadata,
    client: &ProviderClient,
) -> Result<
    openidconnect::core::CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    OidcError,
> {
    let redirect = RedirectUrl::new(client.redirect_uri.clone())
        .map_err(|e| OidcError::Provider(format!("the redirect URI is not a URL: {e}")))?;
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(client.client_id.clone()),
        client.client_secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(redirect))
}

#[async_trait]
impl OpenIdProvider for HttpOpenIdProvider {
    async fn discover(&self, client: &ProviderClient) -> Result<(), OidcError> {
        let http = self.http(client)?;
        self.metadata(&http, &client.issuer, true).await.map(|_| ())
    }

    async fn authorization(
        &self,
        client: &ProviderClient,
        scopes: &[String],
        state: &str,
        nonce: &str,
    ) -> Result<Authorization, OidcError> {
        let http = self.http(client)?;
        let metadata = self.metadata(&http, &client.issuer, false).await?;
        let oidc = oidc_client(metadata, client)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let state = state.to_owned();
        let nonce = nonce.to_owned();
        let (url, _, _) = oidc
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                move || CsrfToken::new(state),
                move || Nonce::new(nonce),
            )
            .add_scopes(scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Authorization {
            url: url.to_string(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    async fn exchange(
        &self,
        client: &ProviderClient,
        exchange: &CodeExchange,
    ) -> Result<VerifiedIdentity, OidcError> {
        let http = self.http(client)?;
        let metadata = self.metadata(&http, &client.issuer, false).await?;
        let oidc = oidc_client(metadata.clone(), client)?;
        let response = oidc
            .exchange_code(AuthorizationCode::new(exchange.code.clone()))
            .map_err(|e| OidcError::Provider(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(exchange.pkce_verifier.clone()))
            .request_async(&http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(answer) => {
                    OidcError::TokenExchange(answer.to_string())
                }
                other => OidcError::Provider(format!(
                    "the token endpoint cannot be used: {}",
                    error_chain(&other)
                )),
            })?;
        let id_token = response
            .id_token()
            .ok_or_else(|| OidcError::IdToken("the provider sent no ID token".to_owned()))?;
        let nonce = Nonce::new(exchange.nonce.clone());
        let identity = match verified(&oidc, id_token, &nonce, &exchange.groups_claim) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                // A key not seen yet: the provider rotated its keys since they were read.
                let metadata = self.refreshed_keys(&http, &client.issuer, metadata).await?;
                let oidc = oidc_client(metadata, client)?;
                verified(&oidc, id_token, &nonce, &exchange.groups_claim)
            }
            other => other,
        };
        identity.map_err(|e| OidcError::IdToken(e.to_string()))
    }
}

/// The token's claims once every check passed, with the groups read from its payload (the
/// payload of a token whose signature was just verified).
fn verified(
    oidc: &CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    id_token: &CoreIdToken,
    nonce: &Nonce,
    groups_claim: &str,
) -> Result<VerifiedIdentity, ClaimsVerificationError> {
    let claims = id_token.claims(&oidc.id_token_verifier(), nonce)?;
    Ok(VerifiedIdentity {
        subject: claims.subject().as_str().to_owned(),
        email: claims.email().map(|email| email.as_str().to_owned()),
        email_verified: claims.email_verified().unwrap_or(false),
        name: claims
            .name()
            .and_then(|name| name.get(None))
            .map(|name| name.as_str().to_owned()),
        groups: groups(&id_token.to_string(), groups_claim),
    })
}

/// The values of `claim` in a compact JWT's payload: an array of strings or one string.
fn groups(jwt: &str, claim: &str) -> Vec<String> {
    let payload = jwt
        .split('.')
        .nth(1)
        .and_then(|part| URL_SAFE_NO_PAD.decode(part).ok())
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
    match payload.as_ref().and_then(|p| p.get(claim)) {
        Some(Value::Array(values)) => values
            .iter()
            .filter_map(Value::as_str)
            .take(GROUPS_MAX)
            .map(str::to_owned)
            .collect(),
        Some(Value::String(value)) => vec![value.clone()],
        _ => Vec::new(),
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &Value) -> String {
        format!(
            "e30.{}.sig",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(payload).unwrap_or_default())
        )
    }

    #[test]
    fn groups_are_read_from_an_array_or_a_single_string() {
        let token = jwt(&serde_json::json!({ "groups": ["a", "b", 3], "role": "admins" }));
        assert_eq!(groups(&token, "groups"), vec!["a", "b"]);
        assert_eq!(groups(&token, "role"), vec!["admins"]);
        assert!(groups(&token, "missing").is_empty());
        assert!(groups("not a token", "groups").is_empty());
    }
}
