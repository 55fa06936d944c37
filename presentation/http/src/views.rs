//! Wire formats shared by several routes. Domain and application types are mapped to these;
//! they are the API contract, documented in the OpenAPI document.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::users::UserSummary;
use aegis_domain::page::{Page, PageRequest};

/// A user account (never with its password hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub email: String,
    pub display_name: String,
    /// One of admin, red_lead, red_tech, blue_lead, blue_tech, viewer.
    pub role: String,
    pub is_active: bool,
    pub must_change_password: bool,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_login_at: Option<DateTime<Utc>>,
    #[schema(value_type = Object)]
    pub preferences: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deactivated_at: Option<DateTime<Utc>>,
}

impl From<UserSummary> for UserView {
    fn from(user: UserSummary) -> Self {
        Self {
            id: user.id,
            tenant_id: user.tenant_id,
            email: user.email,
            display_name: user.display_name,
            role: user.role,
            is_active: user.is_active,
            must_change_password: user.must_change_password,
            locked_until: user.locked_until,
            last_login_at: user.last_login_at,
            preferences: user.preferences,
            created_at: user.created_at,
            updated_at: user.updated_at,
            deactivated_at: user.deactivated_at,
        }
    }
}

/// One page of a list, with the total across pages.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Paginated<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

impl<T> Paginated<T> {
    pub fn from_page<U>(page: Page<U>, map: impl FnMut(U) -> T) -> Self {
        let request = page.request;
        Self {
            total: page.total,
            page: request.page(),
            per_page: request.per_page(),
            items: page.items.into_iter().map(map).collect(),
        }
    }
}

/// Pagination parameters of every list.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1-based page number (default 1).
    pub page: Option<u64>,
    /// Items per page, 1 to 200 (default 50).
    pub per_page: Option<u64>,
}

impl PageQuery {
    pub fn request(self) -> PageRequest {
        PageRequest::new(self.page.unwrap_or(1), self.per_page.unwrap_or(50))
    }
}

/// Tells an explicit null (clear the field) from an absent field (leave it).
pub(crate) fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}
