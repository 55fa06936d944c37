//! The wire types of [`crate::routes::users`]: its views, request bodies and queries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::users::UserSummary;

/// A user account (never with its password hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub email: String,
    pub display_name: String,
    /// One of admin, red_lead, red_tech, blue_lead, blue_tech, viewer.
    #[schema(value_type = crate::views::enums::Role)]
    pub role: String,
    #[schema(value_type = crate::views::enums::UserKind)]
    pub kind: String,
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
            kind: user.kind,
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// Only users with this role.
    #[param(value_type = Option<crate::views::enums::Role>)]
    pub role: Option<String>,
    /// Only active (true) or deactivated (false) users.
    pub is_active: Option<bool>,
    /// Case-insensitive text in the email or display name.
    pub q: Option<String>,
    /// email (default), display_name, role, created_at or last_login_at; `-` before it for
    /// descending.
    pub sort: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateUserRequest {
    pub email: String,
    pub display_name: Option<String>,
    /// One of admin, red_lead, red_tech, blue_lead, blue_tech, viewer.
    #[schema(value_type = crate::views::enums::Role)]
    pub role: String,
    /// `person` (default) or `service`: a service account has no password; an admin gives it
    /// API keys (`POST /api/v1/api-keys` with `owner_id`).
    #[schema(value_type = Option<crate::views::enums::UserKind>)]
    pub kind: Option<String>,
    /// When absent, a password is generated and returned once in `generated_password`.
    pub password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedUserResponse {
    #[serde(flatten)]
    pub user: UserView,
    /// Only in the first response, only when the server generated the password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated_password: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateUserRequest {
    #[schema(value_type = Option<crate::views::enums::Role>)]
    pub role: Option<String>,
    pub is_active: Option<bool>,
    pub display_name: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ResetPasswordRequest {
    /// When absent, a password is generated and returned once.
    pub password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResetPasswordResponse {
    pub generated_password: Option<String>,
    /// Always true: the user must choose a new password at the next sign-in.
    pub must_change_password: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ColleagueView {
    pub id: Uuid,
    pub display_name: String,
    /// One of admin, red_lead, red_tech, blue_lead, blue_tech, viewer.
    #[schema(value_type = crate::views::enums::Role)]
    pub role: String,
    pub is_active: bool,
}
