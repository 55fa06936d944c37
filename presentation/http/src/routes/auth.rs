//! `/api/v1/auth`: sign in (JSON or form), refresh, sign out, the current account, and
//! changing one's password.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use aegis_application::Services;
use aegis_application::account::PasswordChange;
use aegis_application::auth::{AuthError, Credentials, SignIn, TokenPair};
use aegis_application::error::FieldError;
use aegis_application::mfa::SecondFactor;

use crate::auth::{
    Authenticated, PendingPasswordChange, REFRESH_COOKIE, cleared_cookies, session_cookies,
};
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::settings::HttpSettings;
use crate::views::auth::{
    ChangePasswordRequest, EndSessionsQuery, EndedSessionsResponse, LoginForm, LoginRequest,
    MfaChallengeResponse, MfaVerifyRequest, RefreshRequest, SessionView, TokenResponse,
};
use crate::views::users::UserView;

fn token_response(pair: &TokenPair, settings: &HttpSettings) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    for cookie in session_cookies(pair, settings) {
        response.cookie(cookie);
    }
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(TokenResponse {
            access_token: pair.access_token.clone(),
            refresh_token: pair.refresh_token.clone(),
            token_type: "bearer".to_owned(),
            expires_in: pair.expires_in,
            must_change_password: pair.must_change_password,
            mfa_enrolment_required: pair.mfa_enrolment_required,
        })
}

fn media_type(request: &HttpRequest) -> String {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

fn parse_credentials(request: &HttpRequest, body: &[u8]) -> Result<Credentials, ApiError> {
    match media_type(request).as_str() {
        "application/json" => {
            let login: LoginRequest =
                serde_json::from_slice(body).map_err(|e| crate::json::body_error(&e))?;
            Ok(Credentials {
                email: login.email,
                password: login.password,
            })
        }
        "application/x-www-form-urlencoded" => {
            let form: LoginForm = serde_urlencoded::from_bytes(body).map_err(|e| {
                ApiError::validation(vec![FieldError::new(
                    "body",
                    format!("the form cannot be read: {e}"),
                )])
            })?;
            Ok(Credentials {
                email: form.username,
                password: form.password,
            })
        }
        _ => Err(crate::json::unsupported_media_type()),
    }
}

/// Sign in; sets the session cookies too. An account with a second factor gets 202 and a
/// challenge to answer at `POST /api/v1/auth/mfa` instead.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body(description = "JSON `{email, password}`, or a form with `username` (the email) and `password`",
        content(
            (LoginRequest = "application/json"),
            (LoginForm = "application/x-www-form-urlencoded"),
        )),
    responses(
        (status = 200, body = TokenResponse),
        (status = 202, body = MfaChallengeResponse, description = "the second step is required"),
        (status = 401, body = Problem, description = "INVALID_CREDENTIALS"),
        (status = 403, body = Problem, description = "TENANT_DISABLED: the platform operator has disabled the account's organization"),
        (status = 422, body = Problem),
        (status = 429, body = Problem, description = "ACCOUNT_LOCKED or RATE_LIMITED, with Retry-After"),
    ))]
pub async fn login(
    services: web::Data<Services>,
    settings: web::Data<HttpSettings>,
    Context(context): Context,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let credentials = parse_credentials(&request, &body)?;
    match services.auth.login(credentials, &context).await? {
        SignIn::Tokens(pair) => Ok(token_response(&pair, &settings)),
        SignIn::MfaRequired {
            challenge_token,
            expires_in,
        } => Ok(HttpResponse::Accepted()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(MfaChallengeResponse {
                mfa_required: true,
                challenge_token,
                expires_in,
            })),
    }
}

/// The second step of signing in: a code from the authenticator app (or a recovery code)
/// for the challenge the password gave. A wrong code counts towards the account's lockout.
#[utoipa::path(post, path = "/api/v1/auth/mfa", tag = "auth",
    request_body = MfaVerifyRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, body = Problem, description = "INVALID_MFA_CODE or INVALID_MFA_CHALLENGE"),
        (status = 403, body = Problem, description = "TENANT_DISABLED"),
        (status = 422, body = Problem),
        (status = 429, body = Problem, description = "ACCOUNT_LOCKED or RATE_LIMITED, with Retry-After"),
    ))]
pub async fn verify_mfa(
    services: web::Data<Services>,
    settings: web::Data<HttpSettings>,
    Context(context): Context,
    body: web::Json<MfaVerifyRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let answer = match (body.code, body.recovery_code) {
        (Some(code), None) if !code.trim().is_empty() => SecondFactor::Totp(code),
        (None, Some(code)) if !code.trim().is_empty() => SecondFactor::RecoveryCode(code),
        _ => {
            return Err(ApiError::validation(vec![FieldError::new(
                "code",
                "give either `code` or `recovery_code`",
            )]));
        }
    };
    let pair = services
        .auth
        .verify_mfa(&body.challenge_token, answer, &context)
        .await?;
    Ok(token_response(&pair, &settings))
}

/// Exchange a refresh token (body or cookie) for a new pair; the old one is spent.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth",
    request_body(content = RefreshRequest, content_type = "application/json"),
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, body = Problem, description = "INVALID_REFRESH_TOKEN or REFRESH_TOKEN_REUSED (the session is ended)"),
        (status = 403, body = Problem, description = "TENANT_DISABLED: the session is kept and works again once the organization is enabled"),
    ))]
pub async fn refresh(
    services: web::Data<Services>,
    settings: web::Data<HttpSettings>,
    Context(context): Context,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let from_body = if body.iter().all(u8::is_ascii_whitespace) {
        RefreshRequest::default()
    } else if media_type(&request) == "application/json" {
        serde_json::from_slice::<RefreshRequest>(&body).map_err(|e| crate::json::body_error(&e))?
    } else {
        return Err(crate::json::unsupported_media_type());
    };
    let token = from_body
        .refresh_token
        .or_else(|| {
            request
                .cookie(REFRESH_COOKIE)
                .map(|cookie| cookie.value().to_owned())
        })
        .ok_or(AuthError::InvalidRefreshToken)?;
    let pair = services.auth.refresh(&token, &context).await?;
    Ok(token_response(&pair, &settings))
}

/// Sign out: the access token and its refresh family are revoked on every instance.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204), (status = 401, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn logout(
    services: web::Data<Services>,
    settings: web::Data<HttpSettings>,
    PendingPasswordChange(actor): PendingPasswordChange,
    Context(context): Context,
) -> Result<HttpResponse, ApiError> {
    services.auth.logout(&actor, &context).await?;
    let mut response = HttpResponse::NoContent();
    for cookie in cleared_cookies(&settings) {
        response.cookie(cookie);
    }
    Ok(response.finish())
}

/// The signed-in account (answers even while a password change is pending).
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, body = UserView), (status = 401, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn me(
    services: web::Data<Services>,
    PendingPasswordChange(actor): PendingPasswordChange,
) -> Result<web::Json<UserView>, ApiError> {
    Ok(web::Json(services.account.me(&actor).await?.into()))
}

/// Change one's password; other sessions of the account end, this one stays.
#[utoipa::path(post, path = "/api/v1/auth/change-password", tag = "auth",
    request_body = ChangePasswordRequest,
    responses((status = 204), (status = 422, body = Problem, description = "wrong current password or a weak new one")),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn change_password(
    services: web::Data<Services>,
    PendingPasswordChange(actor): PendingPasswordChange,
    Context(context): Context,
    body: web::Json<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let change = PasswordChange {
        current_password: body.current_password,
        new_password: body.new_password,
    };
    services
        .account
        .change_password(&actor, change, &context)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's signed-in sessions (device, address, when started and last seen), the most
/// recently seen first; `current` marks the one this request comes from.
#[utoipa::path(get, path = "/api/v1/auth/sessions", tag = "auth",
    responses((status = 200, body = Vec<SessionView>), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn sessions(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<Vec<SessionView>>, ApiError> {
    let sessions = services.auth.sessions(&actor).await?;
    Ok(web::Json(sessions.into_iter().map(Into::into).collect()))
}

/// End one of the caller's sessions: it can no longer refresh (ending the current one signs
/// this request's token out too).
#[utoipa::path(delete, path = "/api/v1/auth/sessions/{id}", tag = "auth",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "SESSION_NOT_FOUND")),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn end_session(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    services.auth.end_session(&actor, *id, &context).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// End the caller's other sessions (`include_current=true`: all of them, this one too).
#[utoipa::path(delete, path = "/api/v1/auth/sessions", tag = "auth",
    params(EndSessionsQuery),
    responses((status = 200, body = EndedSessionsResponse), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn end_sessions(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    query: web::Query<EndSessionsQuery>,
) -> Result<web::Json<EndedSessionsResponse>, ApiError> {
    let ended = services
        .auth
        .end_sessions(&actor, query.include_current.unwrap_or(false), &context)
        .await?;
    Ok(web::Json(EndedSessionsResponse { ended }))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/login", web::post().to(login))
        .route("/mfa", web::post().to(verify_mfa))
        .route("/refresh", web::post().to(refresh))
        .route("/logout", web::post().to(logout))
        .route("/me", web::get().to(me))
        .route("/change-password", web::post().to(change_password))
        .route("/sessions", web::get().to(sessions))
        .route("/sessions", web::delete().to(end_sessions))
        .route("/sessions/{id}", web::delete().to(end_session));
}
