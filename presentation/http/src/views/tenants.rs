//! The wire types of [`crate::routes::tenants`]: tenants as operators and their admins see
//! them, and the request bodies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use aegis_application::tenants::TenantSummary;

use crate::views::users::UserView;

/// A tenant: an organization this installation serves.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TenantView {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// When the operator disabled it; null while it is active.
    pub disabled_at: Option<DateTime<Utc>>,
    #[schema(value_type = crate::views::enums::TenantStatus)]
    pub status: String,
}

impl From<TenantSummary> for TenantView {
    fn from(tenant: TenantSummary) -> Self {
        Self {
            id: tenant.id,
            slug: tenant.slug,
            name: tenant.name,
            created_at: tenant.created_at,
            disabled_at: tenant.disabled_at,
            status: tenant.status.to_owned(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenantRequest {
    /// 2 to 63 lowercase letters, digits or dashes, starting with a letter.
    pub slug: String,
    pub name: String,
    /// The first admin, who must change the password at first sign-in.
    pub admin_email: String,
    /// The first admin's password; generated and returned once when absent.
    pub admin_password: Option<String>,
}

/// A new tenant and its first admin; `admin_password` is shown this once, when generated.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedTenantResponse {
    pub tenant: TenantView,
    pub admin: UserView,
    pub admin_password: Option<String>,
}

/// The caller's own tenant and where its other settings live.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantSettingsView {
    #[serde(flatten)]
    pub tenant: TenantView,
    /// Where the tenant's other settings are read and changed.
    pub links: TenantSettingsLinks,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TenantSettingsLinks {
    /// The roles that must sign in with a second factor.
    pub mfa_policy: String,
}

impl From<TenantSummary> for TenantSettingsView {
    fn from(tenant: TenantSummary) -> Self {
        Self {
            tenant: tenant.into(),
            links: TenantSettingsLinks {
                mfa_policy: "/api/v1/mfa/policy".to_owned(),
            },
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenantRequest {
    pub name: Option<String>,
}
