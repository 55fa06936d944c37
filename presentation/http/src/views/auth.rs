//! The wire types of [`crate::routes::auth`]: its views, request bodies and queries.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Sign-in with JSON.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Sign-in with a form, as the original accepted (`username` is the email).
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginForm {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `bearer`.
    pub token_type: String,
    /// Lifetime of the access token in seconds.
    pub expires_in: i64,
    /// When true, every endpoint but me, change-password and logout answers 403 until the
    /// password is changed.
    pub must_change_password: bool,
    /// When true, the tenant requires a second factor the user has not enrolled: every
    /// endpoint but me, the MFA enrolment ones, change-password and logout answers 403
    /// (`MFA_ENROLMENT_REQUIRED`) until it is; refresh after enrolling.
    pub mfa_enrolment_required: bool,
}

/// The password was right and the account has a second factor: answer the challenge at
/// `POST /api/v1/auth/mfa` within `expires_in` seconds.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaChallengeResponse {
    /// Always true.
    pub mfa_required: bool,
    pub challenge_token: String,
    pub expires_in: i64,
}

/// The second step of signing in: a code from the authenticator app, or a recovery code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaVerifyRequest {
    pub challenge_token: String,
    /// Six digits from the authenticator app.
    pub code: Option<String>,
    /// One of the recovery codes (each works once), instead of `code`.
    pub recovery_code: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RefreshRequest {
    /// Optional when the `aegis_refresh` cookie is sent.
    pub refresh_token: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// One of the caller's signed-in sessions (a sign-in and its refreshes).
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// The session's id, stable across its refreshes.
    pub id: uuid::Uuid,
    /// When the user signed in.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The session's last sign-in or refresh.
    pub last_seen_at: chrono::DateTime<chrono::Utc>,
    /// When it stops refreshing unless used.
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// The address of the last sign-in or refresh.
    pub client_ip: Option<String>,
    /// The device's browser or client, as its User-Agent header said.
    pub user_agent: Option<String>,
    /// The session this request comes from.
    pub current: bool,
}

impl From<aegis_application::auth::SessionSummary> for SessionView {
    fn from(summary: aegis_application::auth::SessionSummary) -> Self {
        let session = summary.session;
        Self {
            id: session.family_id.as_uuid(),
            created_at: session.started_at,
            last_seen_at: session.last_seen_at,
            expires_at: session.expires_at,
            client_ip: session.client_ip,
            user_agent: session.user_agent,
            current: summary.current,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EndSessionsQuery {
    /// End the current session too (the request's access token is revoked).
    pub include_current: Option<bool>,
}

/// How many sessions ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndedSessionsResponse {
    pub ended: usize,
}
