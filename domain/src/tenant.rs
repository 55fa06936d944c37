//! Tenants: every operational row belongs to exactly one.

use chrono::{DateTime, Utc};

use crate::id::Id;

pub type TenantId = Id<Tenant>;

/// An organization using Aegis; the scope of every operational query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: TenantId,
    pub slug: TenantSlug,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// Set while the platform operator has disabled the tenant: nobody of it signs in, and
    /// its data stays as it was.
    pub disabled_at: Option<DateTime<Utc>>,
}

impl Tenant {
    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }
}

/// The longest tenant name, in characters.
pub const TENANT_NAME_MAX: usize = 120;

/// A tenant's display name: trimmed, 1 to `TENANT_NAME_MAX` characters.
///
/// # Errors
/// Returns `InvalidTenantName` when the trimmed name is empty or too long.
pub fn parse_tenant_name(text: &str) -> Result<String, InvalidTenantName> {
    let name = text.trim();
    if name.is_empty() || name.chars().count() > TENANT_NAME_MAX {
        Err(InvalidTenantName)
    } else {
        Ok(name.to_owned())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a tenant name is 1 to 120 characters")]
pub struct InvalidTenantName;

/// A short, URL-safe tenant name: lowercase letters, digits and dashes, 2 to 63 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantSlug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a tenant slug is 2 to 63 lowercase letters, digits or dashes, starting with a letter")]
pub struct InvalidTenantSlug;

impl TenantSlug {
    /// # Errors
    /// Returns `InvalidTenantSlug` when `text` breaks the slug rules.
    pub fn parse(text: &str) -> Result<Self, InvalidTenantSlug> {
        let valid_chars = text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        let starts_with_letter = text.chars().next().is_some_and(|c| c.is_ascii_lowercase());
        if (2..=63).contains(&text.len()) && valid_chars && starts_with_letter {
            Ok(Self(text.to_owned()))
        } else {
            Err(InvalidTenantSlug)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The position of a tenant's audit chain: the last sequence number and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHead {
    pub sequence: i64,
    pub hash: String,
}
