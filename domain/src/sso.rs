//! Single sign-on through an OpenID provider: a tenant's configuration (the provider, how its
//! groups map to our roles, just-in-time provisioning, "SSO only"), the sign-ins in flight
//! (state, nonce and PKCE verifier kept server-side, single use) and the link between a
//! provider's subject and one of our users.

use chrono::{DateTime, Utc};

use crate::id::Id;
use crate::role::Role;
use crate::tenant::TenantId;
use crate::user::{Email, UserId};

pub type SsoSignInId = Id<SsoSignIn>;

/// How long a person has to come back from the provider.
pub const SIGN_IN_TTL_MINUTES: i64 = 10;

/// One line of the group-to-role mapping: people in `group` get `role`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRole {
    pub group: String,
    pub role: Role,
}

/// A tenant's OpenID Connect configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoConfig {
    pub tenant_id: TenantId,
    /// Shown on the sign-in button ("Sign in with Contoso").
    pub display_name: String,
    /// The provider's issuer; discovery reads `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// The client secret sealed with the credential cipher (hex), never shown again.
    pub sealed_client_secret: Option<String>,
    /// Scopes asked for besides `openid`.
    pub scopes: Vec<String>,
    /// The ID token claim that lists the person's groups.
    pub groups_claim: String,
    /// Read in order: the first group the person is in gives the role.
    pub role_mappings: Vec<GroupRole>,
    /// The role of a person in none of the mapped groups; without one, such a person is
    /// refused.
    pub default_role: Option<Role>,
    /// Unknown people get an account on their first sign-in; otherwise they are refused.
    pub jit_provisioning: bool,
    /// Password sign-in is refused for everyone but the break-glass admin.
    pub sso_only: bool,
    pub break_glass_email: Option<Email>,
    pub enabled: bool,
    pub updated_at: DateTime<Utc>,
}

impl SsoConfig {
    /// The role a person with these groups gets: the first mapping that matches, else the
    /// default role, else none (the sign-in is refused).
    pub fn role_for(&self, groups: &[String]) -> Option<Role> {
        self.role_mappings
            .iter()
            .find(|mapping| groups.contains(&mapping.group))
            .map(|mapping| mapping.role)
            .or(self.default_role)
    }

    /// Whether a password sign-in of this account is refused: SSO only is on and the
    /// account is not the break-glass admin.
    pub fn refuses_password(&self, email: &Email) -> bool {
        self.enabled && self.sso_only && self.break_glass_email.as_ref() != Some(email)
    }
}

/// A sign-in sent to the provider and not yet back. The state travels to the provider and
/// back; only its hash is stored. The nonce and the PKCE verifier never leave the server
/// but in the forms the protocol needs (the nonce in the request, the verifier at the token
/// endpoint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSignIn {
    pub id: SsoSignInId,
    pub tenant_id: TenantId,
    pub state_hash: String,
    pub nonce: String,
    /// The PKCE verifier, sealed with the credential cipher (hex).
    pub sealed_pkce_verifier: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

impl SsoSignIn {
    /// Not used and not expired.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.used_at.is_none() && now < self.expires_at
    }
}

/// Who a provider's subject is among our users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoIdentity {
    pub tenant_id: TenantId,
    pub issuer: String,
    pub subject: String,
    pub user_id: UserId,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]
mod tests {
    use super::*;

    fn config(mappings: &[(&str, Role)], default_role: Option<Role>) -> SsoConfig {
        SsoConfig {
            tenant_id: TenantId::from_uuid(uuid::Uuid::nil()),
            display_name: "IdP".to_owned(),
            issuer: "https://idp.example".to_owned(),
            client_id: "aegis".to_owned(),
            sealed_client_secret: None,
            scopes: Vec::new(),
            groups_claim: "groups".to_owned(),
            role_mappings: mappings
                .iter()
                .map(|(group, role)| GroupRole {
                    group: (*group).to_owned(),
                    role: *role,
                })
                .collect(),
            default_role,
            jit_provisioning: true,
            sso_only: false,
            break_glass_email: None,
            enabled: true,
            updated_at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn the_first_matching_mapping_gives_the_role_then_the_default() {
        let config = config(
            &[("admins", Role::Admin), ("red", Role::RedTech)],
            Some(Role::Viewer),
        );
        let groups = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            config.role_for(&groups(&["red", "admins"])),
            Some(Role::Admin)
        );
        assert_eq!(config.role_for(&groups(&["red"])), Some(Role::RedTech));
        assert_eq!(config.role_for(&groups(&["staff"])), Some(Role::Viewer));
        let strict = self::config(&[("admins", Role::Admin)], None);
        assert_eq!(strict.role_for(&groups(&["staff"])), None);
    }

    #[test]
    fn sso_only_spares_the_break_glass_admin() {
        let mut config = config(&[], None);
        let admin = Email::parse("root@aegis.test").unwrap();
        let other = Email::parse("someone@aegis.test").unwrap();
        assert!(!config.refuses_password(&other));
        config.sso_only = true;
        config.break_glass_email = Some(admin.clone());
        assert!(config.refuses_password(&other));
        assert!(!config.refuses_password(&admin));
        config.enabled = false;
        assert!(!config.refuses_password(&other));
    }
}
