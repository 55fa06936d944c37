//! The wire types of [`crate::routes::sso`].

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use aegis_application::sso::SsoConfigRequest as ConfigRequest;
use aegis_domain::sso::SsoConfig;

/// One line of the group-to-role mapping.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupRoleView {
    /// A value of the groups claim.
    pub group: String,
    #[schema(value_type = crate::views::enums::Role)]
    pub role: String,
}

/// The tenant's OpenID Connect configuration. The client secret is never shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct SsoConfigView {
    /// Whether a configuration was saved (the other fields are defaults until then).
    pub configured: bool,
    /// Shown on the sign-in button.
    pub display_name: String,
    /// The provider's issuer URL (discovery reads `{issuer}/.well-known/openid-configuration`).
    pub issuer: String,
    pub client_id: String,
    /// Whether a client secret is stored.
    pub client_secret_set: bool,
    /// Scopes asked for besides `openid`.
    pub scopes: Vec<String>,
    /// The ID token claim listing the person's groups.
    pub groups_claim: String,
    /// Read in order: the first group the person is in gives the role.
    pub role_mappings: Vec<GroupRoleView>,
    /// The role of a person in none of the mapped groups; without one they are refused.
    #[schema(value_type = Option<crate::views::enums::Role>)]
    pub default_role: Option<String>,
    /// Unknown people get an account at their first sign-in.
    pub jit_provisioning: bool,
    /// Password sign-in is refused for all but the break-glass admin.
    pub sso_only: bool,
    pub break_glass_email: Option<String>,
    pub enabled: bool,
    /// The redirect URI to register at the provider.
    pub redirect_uri: String,
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl SsoConfigView {
    /// What an admin starts from before anything is saved.
    pub fn unconfigured(redirect_uri: String) -> Self {
        Self {
            configured: false,
            display_name: String::new(),
            issuer: String::new(),
            client_id: String::new(),
            client_secret_set: false,
            scopes: vec!["email".to_owned(), "profile".to_owned()],
            groups_claim: default_groups_claim(),
            role_mappings: Vec::new(),
            default_role: None,
            jit_provisioning: false,
            sso_only: false,
            break_glass_email: None,
            enabled: false,
            redirect_uri,
            updated_at: None,
        }
    }

    pub fn new(config: SsoConfig, redirect_uri: String) -> Self {
        Self {
            configured: true,
            display_name: config.display_name,
            issuer: config.issuer,
            client_id: config.client_id,
            client_secret_set: config.sealed_client_secret.is_some(),
            scopes: config.scopes,
            groups_claim: config.groups_claim,
            role_mappings: config
                .role_mappings
                .into_iter()
                .map(|m| GroupRoleView {
                    group: m.group,
                    role: m.role.as_str().to_owned(),
                })
                .collect(),
            default_role: config.default_role.map(|r| r.as_str().to_owned()),
            jit_provisioning: config.jit_provisioning,
            sso_only: config.sso_only,
            break_glass_email: config.break_glass_email.map(|e| e.as_str().to_owned()),
            enabled: config.enabled,
            redirect_uri,
            updated_at: Some(config.updated_at),
        }
    }
}

/// The configuration to save.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SsoConfigRequest {
    pub display_name: String,
    pub issuer: String,
    pub client_id: String,
    /// Required the first time; left out, the stored secret is kept.
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default = "default_groups_claim")]
    pub groups_claim: String,
    #[serde(default)]
    pub role_mappings: Vec<GroupRoleView>,
    #[serde(default)]
    #[schema(value_type = Option<crate::views::enums::Role>)]
    pub default_role: Option<String>,
    #[serde(default)]
    pub jit_provisioning: bool,
    #[serde(default)]
    pub sso_only: bool,
    #[serde(default)]
    pub break_glass_email: Option<String>,
    #[serde(default = "enabled")]
    pub enabled: bool,
}

fn default_groups_claim() -> String {
    "groups".to_owned()
}

const fn enabled() -> bool {
    true
}

impl From<SsoConfigRequest> for ConfigRequest {
    fn from(body: SsoConfigRequest) -> Self {
        Self {
            display_name: body.display_name,
            issuer: body.issuer,
            client_id: body.client_id,
            client_secret: body.client_secret,
            scopes: body.scopes,
            groups_claim: body.groups_claim,
            role_mappings: body
                .role_mappings
                .into_iter()
                .map(|m| (m.group, m.role))
                .collect(),
            default_role: body.default_role,
            jit_provisioning: body.jit_provisioning,
            sso_only: body.sso_only,
            break_glass_email: body.break_glass_email,
            enabled: body.enabled,
        }
    }
}

/// A provider the sign-in page offers.
#[derive(Debug, Serialize, ToSchema)]
pub struct SsoProviderView {
    pub display_name: String,
    /// Where the button leads: `/api/v1/sso/login?tenant=…`.
    pub login_url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SsoProvidersView {
    pub providers: Vec<SsoProviderView>,
}

/// The tenant whose provider to use.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TenantQuery {
    /// The tenant's slug (`default` on a single-tenant installation).
    pub tenant: String,
}

/// What the provider sends back (OpenID Connect Core 3.1.2.5 and 3.1.2.6).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// The issuer (RFC 9207), when the provider sends it.
    pub iss: Option<String>,
}
