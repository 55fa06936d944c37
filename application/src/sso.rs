//! Single sign-on through an OpenID provider (authorization code with PKCE): an admin's
//! configuration of the tenant's provider, the start of a sign-in (state, nonce and PKCE
//! verifier kept server-side, single use, ten minutes) and its end: the code exchanged, the
//! ID token checked by the `OpenIdProvider` port, the person's groups mapped to a role, the
//! account found, linked or provisioned, and our own tokens issued as a password sign-in
//! issues them (`auth`).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Duration;
use sha2::{Digest, Sha256};

use aegis_domain::permission::Action;
use aegis_domain::ports::{RepositoryError, Subject};
use aegis_domain::role::Role;
use aegis_domain::sso::{
    GroupRole, SIGN_IN_TTL_MINUTES, SsoConfig, SsoIdentity, SsoSignIn, SsoSignInId,
};
use aegis_domain::tenant::{TenantId, TenantSlug};
use aegis_domain::user::{Email, NO_PASSWORD, User, UserId, UserKind};
use aegis_domain::webhook::AllowList;

use crate::audit_trail::{self, Change};
use crate::auth::{AuthError, AuthService, TokenPair};
use crate::context::{Actor, Forbidden, RequestContext};
use crate::data_sources::CredentialCipher;
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::ports::{Clock, Database, IdGenerator, SecretGenerator, UnitOfWork};

/// The longest display name, client id and claim name accepted.
const NAME_MAX: usize = 100;
const CLIENT_ID_MAX: usize = 255;
const ISSUER_MAX: usize = 2048;
const MAPPINGS_MAX: usize = 100;

/// The provider and our client at it, as one sign-in needs them.
#[derive(Clone)]
pub struct ProviderClient {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// Where the provider sends the person back (`/api/v1/sso/callback` on our public URL).
    pub redirect_uri: String,
    /// The tenant's allow-list of internal hosts (the webhooks' one): a provider on a private
    /// address is reached only when an admin allowed it.
    pub allow: AllowList,
}

impl std::fmt::Debug for ProviderClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderClient")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

/// Where to send the person, and the PKCE verifier to keep until they come back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub url: String,
    pub pkce_verifier: String,
}

/// What the provider vouches for in a valid ID token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    /// The values of the configured groups claim (none when the claim is absent).
    pub groups: Vec<String>,
}

/// The code the provider sent back and what was kept to check its answer.
#[derive(Debug, Clone)]
pub struct CodeExchange {
    pub code: String,
    pub pkce_verifier: String,
    pub nonce: String,
    pub groups_claim: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// Discovery or the keys cannot be fetched, or the provider's documents are not valid.
    #[error("the provider cannot be used: {0}")]
    Provider(String),
    /// The token endpoint refused the code.
    #[error("the provider refused the authorization code: {0}")]
    TokenExchange(String),
    /// The ID token is missing or fails a check (signature, issuer, audience, expiry, nonce).
    #[error("the ID token is not valid: {0}")]
    IdToken(String),
}

/// An OpenID provider, reached over HTTP with the SSRF rules (`infrastructure::sso`).
#[async_trait]
pub trait OpenIdProvider: Send + Sync {
    /// Reads the provider's discovery document, as a check of a configuration.
    ///
    /// # Errors
    /// `Provider` when it cannot be read or is not valid.
    async fn discover(&self, client: &ProviderClient) -> Result<(), OidcError>;

    /// The authorization request (code flow, S256 PKCE) for this state and nonce.
    ///
    /// # Errors
    /// `Provider`.
    async fn authorization(
        &self,
        client: &ProviderClient,
        scopes: &[String],
        state: &str,
        nonce: &str,
    ) -> Result<Authorization, OidcError>;

    /// Exchanges the code and checks the ID token: signature against the provider's keys
    /// (fetched again once when the token names a key not seen yet), issuer, audience,
    /// expiry and nonce.
    ///
    /// # Errors
    /// `TokenExchange`, `IdToken` or `Provider`.
    async fn exchange(
        &self,
        client: &ProviderClient,
        exchange: &CodeExchange,
    ) -> Result<VerifiedIdentity, OidcError>;
}

/// An admin's configuration, as sent.
#[derive(Debug, Clone, Default)]
pub struct SsoConfigRequest {
    pub display_name: String,
    pub issuer: String,
    pub client_id: String,
    /// `None` keeps the stored secret.
    pub client_secret: Option<String>,
    pub scopes: Vec<String>,
    pub groups_claim: String,
    /// `(group, role)` pairs, read in order.
    pub role_mappings: Vec<(String, String)>,
    pub default_role: Option<String>,
    pub jit_provisioning: bool,
    pub sso_only: bool,
    pub break_glass_email: Option<String>,
    pub enabled: bool,
}

/// A provider the sign-in page offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoProvider {
    pub display_name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("invalid single sign-on request")]
    Invalid(Vec<FieldError>),
    #[error("the tenant has no single sign-on configured")]
    NotConfigured,
    #[error("the sign-in is unknown, expired or was already used; start again")]
    InvalidState,
    #[error("the identity provider refused the sign-in: {0}")]
    ProviderDenied(String),
    #[error("the identity provider's answer was refused: {0}")]
    Refused(String),
    #[error("the identity provider cannot be used: {0}")]
    Provider(String),
    #[error("no account exists for this person and just-in-time provisioning is off")]
    UnknownUser,
    #[error("none of the person's groups maps to a role and there is no default role")]
    NoRole,
    #[error("the account cannot sign in")]
    AccountUnusable,
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for SsoError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl Classified for SsoError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) | Self::UnknownUser | Self::NoRole | Self::AccountUnusable => {
                ErrorKind::Forbidden
            }
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::NotConfigured => ErrorKind::NotFound,
            Self::InvalidState | Self::ProviderDenied(_) | Self::Refused(_) => {
                ErrorKind::Unauthenticated
            }
            Self::Provider(_) => ErrorKind::Upstream,
            Self::Auth(error) => error.kind(),
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::NotConfigured => "SSO_NOT_CONFIGURED",
            Self::InvalidState => "INVALID_SSO_STATE",
            Self::ProviderDenied(_) => "SSO_DENIED",
            Self::Refused(_) => "SSO_TOKEN_REFUSED",
            Self::Provider(_) => "SSO_PROVIDER_UNAVAILABLE",
            Self::UnknownUser => "SSO_UNKNOWN_USER",
            Self::NoRole => "SSO_NO_ROLE",
            Self::AccountUnusable => "SSO_ACCOUNT_UNUSABLE",
            Self::Auth(error) => error.code(),
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

impl From<OidcError> for SsoError {
    fn from(error: OidcError) -> Self {
        match error {
            OidcError::Provider(reason) => Self::Provider(reason),
            OidcError::TokenExchange(reason) | OidcError::IdToken(reason) => Self::Refused(reason),
        }
    }
}

/// The adapters single sign-on draws on.
pub struct SsoPorts {
    pub database: Arc<dyn Database>,
    pub provider: Arc<dyn OpenIdProvider>,
    pub cipher: Arc<dyn CredentialCipher>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub secrets: Arc<dyn SecretGenerator>,
}

#[derive(Clone)]
pub struct SsoService {
    database: Arc<dyn Database>,
    provider: Arc<dyn OpenIdProvider>,
    cipher: Arc<dyn CredentialCipher>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    secrets: Arc<dyn SecretGenerator>,
    auth: AuthService,
    callback_url: String,
}

impl SsoService {
    /// `callback_url` is `/api/v1/sso/callback` on the public URL: the redirect URI
    /// registered at the provider.
    pub fn new(ports: SsoPorts, auth: AuthService, callback_url: String) -> Self {
        Self {
            database: ports.database,
            provider: ports.provider,
            cipher: ports.cipher,
            clock: ports.clock,
            ids: ports.ids,
            secrets: ports.secrets,
            auth,
            callback_url,
        }
    }

    /// The redirect URI to register at providers.
    pub fn callback_url(&self) -> &str {
        &self.callback_url
    }

    /// The tenant's configuration (its client secret only as "set"), if any.
    ///
    /// # Errors
    /// `Forbidden` for anyone but an admin.
    pub async fn config(&self, actor: &Actor) -> Result<Option<SsoConfig>, SsoError> {
        actor.authorize(Action::ManageUsers)?;
        Ok(self.database.sso_config(actor.tenant_id).await?)
    }

    /// Saves the tenant's configuration after checking every field and, when it is enabled,
    /// reading the provider's discovery document.
    ///
    /// # Errors
    /// `Forbidden`; `Invalid` naming each bad field (`issuer` when discovery fails).
    pub async fn save_config(
        &self,
        actor: &Actor,
        request: SsoConfigRequest,
        context: &RequestContext,
    ) -> Result<SsoConfig, SsoError> {
        actor.authorize(Action::ManageUsers)?;
        let tenant = actor.tenant_id;
        let stored = self.database.sso_config(tenant).await?;
        let mut fields = Vec::new();
        let checked = check_request(&request, &mut fields);
        let sealed_client_secret = match request.client_secret.as_deref().map(str::trim) {
            Some(secret) if !secret.is_empty() => Some(hex::encode(self.cipher.encrypt(secret))),
            Some(_) => {
                fields.push(FieldError::new("client_secret", "must not be empty"));
                None
            }
            None => {
                let kept = stored.as_ref().and_then(|c| c.sealed_client_secret.clone());
                if kept.is_none() {
                    fields.push(FieldError::new(
                        "client_secret",
                        "is required the first time",
                    ));
                }
                kept
            }
        };
        if let Some(email) = &checked.break_glass_email {
            let usable_admin = self
                .database
                .find_user_by_email(tenant, email)
                .await?
                .is_some_and(|user| {
                    user.is_active && user.kind == UserKind::Person && user.role == Role::Admin
                });
            if !usable_admin {
                fields.push(FieldError::new(
                    "break_glass_email",
                    "must be an active admin of this tenant",
                ));
            }
        }
        if !fields.is_empty() {
            return Err(SsoError::Invalid(fields));
        }
        // An enabled provider must answer now; a disabled one may be saved before it does.
        if request.enabled {
            let client = ProviderClient {
                issuer: checked.issuer.clone(),
                client_id: request.client_id.trim().to_owned(),
                client_secret: None,
                redirect_uri: self.callback_url.clone(),
                allow: self.database.webhook_allow_list(tenant).await?,
            };
            if let Err(error) = self.provider.discover(&client).await {
                return Err(SsoError::Invalid(vec![FieldError::new(
                    "issuer",
                    error.to_string(),
                )]));
            }
        }
        let config = SsoConfig {
            tenant_id: tenant,
            display_name: request.display_name.trim().to_owned(),
            issuer: checked.issuer,
            client_id: request.client_id.trim().to_owned(),
            sealed_client_secret,
            scopes: checked.scopes,
            groups_claim: request.groups_claim.trim().to_owned(),
            role_mappings: checked.role_mappings,
            default_role: checked.default_role,
            jit_provisioning: request.jit_provisioning,
            sso_only: request.sso_only,
            break_glass_email: checked.break_glass_email,
            enabled: request.enabled,
            updated_at: self.clock.now(),
        };
        let uow = self.database.begin().await?;
        uow.save_sso_config(tenant, &config).await?;
        let change = Change {
            tenant,
            actor: Some(actor.user_id),
            action: "sso.config_updated",
            entity_type: "sso_config",
            entity_id: Some(tenant.to_string()),
            details: serde_json::json!({
                "issuer": config.issuer,
                "client_id": config.client_id,
                "client_secret_changed": request.client_secret.is_some(),
                "jit_provisioning": config.jit_provisioning,
                "sso_only": config.sso_only,
                "break_glass_email": config.break_glass_email.as_ref().map(Email::as_str),
                "enabled": config.enabled,
            }),
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
        Ok(config)
    }

    /// The providers the sign-in page of the tenant offers (none for an unknown tenant, so
    /// the answer does not tell which tenants exist).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    pub async fn providers(&self, tenant: &str) -> Result<Vec<SsoProvider>, SsoError> {
        let Some(config) = self.enabled_config(tenant).await? else {
            return Ok(Vec::new());
        };
        Ok(vec![SsoProvider {
            display_name: config.display_name,
        }])
    }

    /// Starts a sign-in: the provider's authorization URL to send the person to.
    ///
    /// # Errors
    /// `NotConfigured` when the tenant has no enabled configuration; `Provider` when the
    /// provider cannot be reached.
    pub async fn begin(&self, tenant: &str) -> Result<String, SsoError> {
        let config = self
            .enabled_config(tenant)
            .await?
            .ok_or(SsoError::NotConfigured)?;
        let client = self.client(&config).await?;
        // The tenant travels in the state, so the callback finds the sign-in within it.
        let state = format!(
            "{}.{}",
            config.tenant_id.as_uuid().simple(),
            self.secrets.token()
        );
        let nonce = self.secrets.token();
        let authorization = self
            .provider
            .authorization(&client, &config.scopes, &state, &nonce)
            .await?;
        let now = self.clock.now();
        let sign_in = SsoSignIn {
            id: SsoSignInId::from_uuid(self.ids.new_id()),
            tenant_id: config.tenant_id,
            state_hash: digest(&state),
            nonce,
            sealed_pkce_verifier: hex::encode(self.cipher.encrypt(&authorization.pkce_verifier)),
            created_at: now,
            expires_at: now + Duration::minutes(SIGN_IN_TTL_MINUTES),
            used_at: None,
        };
        let uow = self.database.begin().await?;
        uow.insert_sso_sign_in(config.tenant_id, &sign_in).await?;
        uow.commit().await?;
        Ok(authorization.url)
    }

    /// Ends a sign-in with the provider's answer. The state is spent before anything else,
    /// so a replayed or raced answer is refused whatever happens next.
    ///
    /// # Errors
    /// `InvalidState`, `ProviderDenied` (the provider answered with an error), `Refused`
    /// (the code or ID token failed a check), `UnknownUser`, `NoRole`, `AccountUnusable`,
    /// `Provider`.
    pub async fn complete(
        &self,
        answer: ProviderAnswer,
        context: &RequestContext,
    ) -> Result<TokenPair, SsoError> {
        let tenant = state_tenant(&answer.state).ok_or(SsoError::InvalidState)?;
        let now = self.clock.now();
        let uow = self.database.begin().await?;
        let sign_in = uow
            .find_sso_sign_in(tenant, &digest(&answer.state))
            .await?
            .filter(|s| s.is_open(now))
            .ok_or(SsoError::InvalidState)?;
        if !uow.spend_sso_sign_in(tenant, sign_in.id, now).await? {
            return Err(SsoError::InvalidState);
        }
        uow.commit().await?;
        let code = match answer.outcome {
            Ok(code) => code,
            Err(error) => return Err(SsoError::ProviderDenied(error)),
        };
        let config = self
            .database
            .sso_config(tenant)
            .await?
            .filter(|c| c.enabled)
            .ok_or(SsoError::NotConfigured)?;
        let pkce_verifier = hex::decode(&sign_in.sealed_pkce_verifier)
            .ok()
            .and_then(|sealed| self.cipher.decrypt(&sealed).ok())
            .ok_or(SsoError::InvalidState)?;
        let client = self.client(&config).await?;
        let exchange = CodeExchange {
            code,
            pkce_verifier,
            nonce: sign_in.nonce.clone(),
            groups_claim: config.groups_claim.clone(),
        };
        let identity = match self.provider.exchange(&client, &exchange).await {
            Ok(identity) => identity,
            Err(error) => {
                let error = SsoError::from(error);
                self.record_refusal(tenant, None, &error, context).await?;
                return Err(error);
            }
        };
        let user = match self.account_for(&config, &identity, context).await {
            Ok(user) => user,
            Err(error) => {
                self.record_refusal(tenant, Some(&identity), &error, context)
                    .await?;
                return Err(error);
            }
        };
        let details = serde_json::json!({
            "method": "sso",
            "issuer": config.issuer,
            "subject": identity.subject,
        });
        Ok(self.auth.sign_in_federated(&user, context, details).await?)
    }

    /// The person's account: linked to the subject already, or found by a verified email
    /// and linked, or provisioned (just in time); the role follows the groups each time.
    async fn account_for(
        &self,
        config: &SsoConfig,
        identity: &VerifiedIdentity,
        context: &RequestContext,
    ) -> Result<User, SsoError> {
        let tenant = config.tenant_id;
        let role = config.role_for(&identity.groups).ok_or(SsoError::NoRole)?;
        let now = self.clock.now();
        let uow = self.database.begin().await?;
        let linked = match uow
            .find_sso_identity(tenant, &config.issuer, &identity.subject)
            .await?
        {
            Some(user) => uow.find_user(tenant, user).await?,
            None => None,
        };
        let verified_email = identity
            .email
            .as_deref()
            .filter(|_| identity.email_verified)
            .and_then(|email| Email::parse(email).ok());
        let (mut user, action) = match linked {
            Some(user) => (user, None),
            None => {
                let existing = match &verified_email {
                    Some(email) => uow.find_user_by_email(tenant, email).await?,
                    None => None,
                };
                match existing {
                    Some(user) => (user, Some("sso.identity_linked")),
                    None if config.jit_provisioning => {
                        let email = verified_email.clone().ok_or_else(|| {
                            SsoError::Refused("the ID token has no verified email".to_owned())
                        })?;
                        if uow.find_user_for_login(&email).await?.is_some() {
                            // The email belongs to an account of another tenant.
                            return Err(SsoError::AccountUnusable);
                        }
                        let user = self.provisioned(tenant, email, identity, role);
                        uow.insert_user(tenant, &user).await?;
                        (user, Some("sso.user_provisioned"))
                    }
                    None => return Err(SsoError::UnknownUser),
                }
            }
        };
        if !user.is_active || user.kind != UserKind::Person {
            return Err(SsoError::AccountUnusable);
        }
        if let Some(action) = action {
            let link = SsoIdentity {
                tenant_id: tenant,
                issuer: config.issuer.clone(),
                subject: identity.subject.clone(),
                user_id: user.id,
                created_at: now,
            };
            match uow.insert_sso_identity(tenant, &link).await {
                Err(RepositoryError::Duplicate(Subject::SsoIdentity)) => {
                    return Err(SsoError::InvalidState);
                }
                other => other?,
            }
            self.audit(
                uow.as_ref(),
                &user,
                action,
                serde_json::json!({
                    "issuer": config.issuer,
                    "subject": identity.subject,
                    "role": role.as_str(),
                    "groups": identity.groups,
                }),
                context,
            )
            .await?;
        }
        if user.must_change_password {
            // A temporary password is for a first sign-in with it. The provider has just
            // vouched for the person instead: the temporary password is void (an admin can
            // issue another), so their SSO session is not held at a password change.
            user.must_change_password = false;
            user.password_hash = NO_PASSWORD.to_owned();
            user.updated_at = now;
            uow.update_user(tenant, &user).await?;
            self.audit(
                uow.as_ref(),
                &user,
                "sso.temporary_password_voided",
                serde_json::json!({ "issuer": config.issuer }),
                context,
            )
            .await?;
        }
        if user.role != role {
            let previous = user.role;
            user.role = role;
            user.updated_at = now;
            uow.update_user(tenant, &user).await?;
            self.audit(
                uow.as_ref(),
                &user,
                "sso.role_synced",
                serde_json::json!({
                    "from": previous.as_str(),
                    "to": role.as_str(),
                    "groups": identity.groups,
                }),
                context,
            )
            .await?;
        }
        uow.commit().await?;
        Ok(user)
    }

    fn provisioned(
        &self,
        tenant: TenantId,
        email: Email,
        identity: &VerifiedIdentity,
        role: Role,
    ) -> User {
        let now = self.clock.now();
        let display_name = identity
            .name
            .as_deref()
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| email.local_part())
            .chars()
            .take(NAME_MAX)
            .collect();
        User {
            id: UserId::from_uuid(self.ids.new_id()),
            tenant_id: tenant,
            email,
            display_name,
            role,
            kind: UserKind::Person,
            // Signs in through the provider only, until an admin sets a password.
            password_hash: NO_PASSWORD.to_owned(),
            is_active: true,
            must_change_password: false,
            failed_login_attempts: 0,
            locked_until: None,
            credentials_changed_at: now,
            last_login_at: None,
            preferences: serde_json::json!({}),
            created_at: now,
            updated_at: now,
            deactivated_at: None,
        }
    }

    /// A refused sign-in is audited in the tenant, with who the provider said it was.
    async fn record_refusal(
        &self,
        tenant: TenantId,
        identity: Option<&VerifiedIdentity>,
        error: &SsoError,
        context: &RequestContext,
    ) -> Result<(), SsoError> {
        let uow = self.database.begin().await?;
        let change = Change {
            tenant,
            actor: None,
            action: "sso.sign_in_refused",
            entity_type: "sso",
            entity_id: identity.map(|i| i.subject.clone()),
            details: serde_json::json!({
                "code": error.code(),
                "reason": error.to_string(),
                "email": identity.and_then(|i| i.email.clone()),
            }),
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
        Ok(())
    }

    async fn audit(
        &self,
        uow: &dyn UnitOfWork,
        user: &User,
        action: &str,
        details: serde_json::Value,
        context: &RequestContext,
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

    async fn enabled_config(&self, tenant: &str) -> Result<Option<SsoConfig>, SsoError> {
        let Ok(slug) = TenantSlug::parse(tenant) else {
            return Ok(None);
        };
        let Some(tenant) = self.database.find_tenant_by_slug(&slug).await? else {
            return Ok(None);
        };
        Ok(self
            .database
            .sso_config(tenant.id)
            .await?
            .filter(|c| c.enabled))
    }

    async fn client(&self, config: &SsoConfig) -> Result<ProviderClient, SsoError> {
        let client_secret = match &config.sealed_client_secret {
            Some(sealed) => Some(
                hex::decode(sealed)
                    .ok()
                    .and_then(|sealed| self.cipher.decrypt(&sealed).ok())
                    .ok_or_else(|| {
                        SsoError::Provider(
                            "the stored client secret cannot be read with this server's secret; \
                             set it again"
                                .to_owned(),
                        )
                    })?,
            ),
            None => None,
        };
        Ok(ProviderClient {
            issuer: config.issuer.clone(),
            client_id: config.client_id.clone(),
            client_secret,
            redirect_uri: self.callback_url.clone(),
            allow: self.database.webhook_allow_list(config.tenant_id).await?,
        })
    }
}

/// What the provider sent back to the callback: a code, or its error, with the state.
#[derive(Debug, Clone)]
pub struct ProviderAnswer {
    pub state: String,
    /// The code, or the provider's `error` (and description).
    pub outcome: Result<String, String>,
}

/// The parts of a request that parse into domain values.
struct Checked {
    issuer: String,
    scopes: Vec<String>,
    role_mappings: Vec<GroupRole>,
    default_role: Option<Role>,
    break_glass_email: Option<Email>,
}

fn check_request(request: &SsoConfigRequest, fields: &mut Vec<FieldError>) -> Checked {
    let display_name = request.display_name.trim();
    if display_name.is_empty() || display_name.chars().count() > NAME_MAX {
        fields.push(FieldError::new(
            "display_name",
            format!("is 1 to {NAME_MAX} characters"),
        ));
    }
    let issuer = request.issuer.trim().trim_end_matches('/').to_owned();
    if let Err(message) = check_issuer(&issuer) {
        fields.push(FieldError::new("issuer", message));
    }
    let client_id = request.client_id.trim();
    if client_id.is_empty() || client_id.len() > CLIENT_ID_MAX {
        fields.push(FieldError::new(
            "client_id",
            format!("is 1 to {CLIENT_ID_MAX} characters"),
        ));
    }
    let mut scopes: Vec<String> = Vec::new();
    for scope in &request.scopes {
        let scope = scope.trim();
        let valid = !scope.is_empty()
            && scope.len() <= NAME_MAX
            && scope
                .chars()
                .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\');
        if !valid {
            fields.push(FieldError::new(
                "scopes",
                format!("`{scope}` is not a scope (printable ASCII, no quotes)"),
            ));
        } else if scope != "openid" && !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
    }
    let groups_claim = request.groups_claim.trim();
    if groups_claim.is_empty() || groups_claim.len() > NAME_MAX {
        fields.push(FieldError::new(
            "groups_claim",
            format!("is 1 to {NAME_MAX} characters"),
        ));
    }
    if request.role_mappings.len() > MAPPINGS_MAX {
        fields.push(FieldError::new(
            "role_mappings",
            format!("at most {MAPPINGS_MAX} mappings"),
        ));
    }
    let mut role_mappings = Vec::new();
    for (index, (group, role)) in request.role_mappings.iter().enumerate() {
        let group = group.trim();
        if group.is_empty() || group.len() > 255 {
            fields.push(FieldError::new(
                format!("role_mappings[{index}].group"),
                "is 1 to 255 characters",
            ));
        }
        match role.parse::<Role>() {
            Ok(role) if !group.is_empty() => role_mappings.push(GroupRole {
                group: group.to_owned(),
                role,
            }),
            Ok(_) => {}
            Err(error) => fields.push(FieldError::new(
                format!("role_mappings[{index}].role"),
                error.to_string(),
            )),
        }
    }
    let default_role = match request.default_role.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(role) => match role.parse::<Role>() {
            Ok(role) => Some(role),
            Err(error) => {
                fields.push(FieldError::new("default_role", error.to_string()));
                None
            }
        },
    };
    let break_glass_email = match request.break_glass_email.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(email) => match Email::parse(email) {
            Ok(email) => Some(email),
            Err(error) => {
                fields.push(FieldError::new("break_glass_email", error.to_string()));
                None
            }
        },
    };
    if request.sso_only && break_glass_email.is_none() {
        fields.push(FieldError::new(
            "break_glass_email",
            "is required with `sso_only`, so an admin can still sign in if the provider fails",
        ));
    }
    Checked {
        issuer,
        scopes,
        role_mappings,
        default_role,
        break_glass_email,
    }
}

/// An issuer is an `https` URL (or `http`, which the allow-list still has to permit for a
/// local provider) without query, fragment or credentials.
fn check_issuer(issuer: &str) -> Result<(), &'static str> {
    if issuer.is_empty() || issuer.len() > ISSUER_MAX {
        return Err("is required (the provider's issuer URL)");
    }
    let rest = issuer
        .strip_prefix("https://")
        .or_else(|| issuer.strip_prefix("http://"))
        .ok_or("must be an http(s) URL")?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || host.contains('@') {
        return Err("must name a host, without credentials");
    }
    if issuer.contains('?') || issuer.contains('#') || issuer.chars().any(char::is_whitespace) {
        return Err("must not have a query, a fragment or spaces");
    }
    Ok(())
}

fn state_tenant(state: &str) -> Option<TenantId> {
    let (tenant, secret) = state.split_once('.')?;
    if secret.is_empty() {
        return None;
    }
    TenantId::parse(tenant).ok()
}

fn digest(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}
