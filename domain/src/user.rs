//! User accounts: who they are, what role they hold, and the state of their credentials.

use chrono::{DateTime, Utc};

use crate::id::Id;
use crate::role::Role;
use crate::tenant::TenantId;

pub type UserId = Id<User>;

/// An account of one tenant. Emails are unique across the installation because login
/// happens before the tenant is known.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub tenant_id: TenantId,
    pub email: Email,
    pub display_name: String,
    pub role: Role,
    /// A person signs in; a service account has no password and acts only through API keys.
    pub kind: UserKind,
    pub password_hash: String,
    pub is_active: bool,
    pub must_change_password: bool,
    pub failed_login_attempts: u32,
    pub locked_until: Option<DateTime<Utc>>,
    /// Access tokens issued before this instant are refused (password reset, deactivation).
    pub credentials_changed_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub preferences: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deactivated_at: Option<DateTime<Utc>>,
}

/// Whether an account belongs to a person or to a machine (a service account).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserKind {
    Person,
    Service,
}

impl UserKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            UserKind::Person => "person",
            UserKind::Service => "service",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "person" => Some(UserKind::Person),
            "service" => Some(UserKind::Service),
            _ => None,
        }
    }
}

/// The stored password hash of a service account: no password ever matches it.
pub const NO_PASSWORD: &str = "!";

impl User {
    pub fn is_locked(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }

    /// An active admin that is not locked out: one who could still sign in.
    pub fn is_usable_admin(&self, now: DateTime<Utc>) -> bool {
        self.role == Role::Admin && self.is_active && !self.is_locked(now)
    }
}

/// A syntactically valid email address, stored lowercased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a valid email address")]
pub struct InvalidEmail(pub String);

impl Email {
    /// # Errors
    /// Returns `InvalidEmail` unless `text` is `local@domain.tld` of at most 254 characters.
    pub fn parse(text: &str) -> Result<Self, InvalidEmail> {
        let normalized = text.trim().to_lowercase();
        let invalid = || InvalidEmail(text.to_owned());
        if normalized.len() > 254 || normalized.chars().any(char::is_whitespace) {
            return Err(invalid());
        }
        let (local, domain) = normalized.split_once('@').ok_or_else(invalid)?;
        let domain_ok = !domain.contains('@')
            && domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(normalized))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn local_part(&self) -> &str {
        self.0.split('@').next().unwrap_or_default()
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(
            Email::parse(" Ana@Example.COM ").map(|e| e.0),
            Ok("ana@example.com".into())
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a b@example.com",
            "ana@ex..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }
}
