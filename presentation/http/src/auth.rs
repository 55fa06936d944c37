//! Authentication of requests: the access token from the `Authorization: Bearer` header or
//! the `aegis_token` cookie, checked by the auth use case, or an API key (`aegis_...`) in the
//! bearer header, checked once per request by `api_key_middleware`. Authorization is not done
//! here.

use std::future::Future;
use std::pin::Pin;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpRequest, web};

use aegis_application::Services;
use aegis_application::auth::{Access, AuthError, TokenPair};
use aegis_application::context::{Actor, KeyUse};
use aegis_domain::api_key::KEY_PREFIX;

use crate::problem::ApiError;
use crate::settings::HttpSettings;

pub const ACCESS_COOKIE: &str = "aegis_token";
pub const REFRESH_COOKIE: &str = "aegis_refresh";
const REFRESH_COOKIE_PATH: &str = "/api/v1/auth";

/// The token of an `Authorization: Bearer` header (the scheme is case-insensitive). Any other
/// scheme (`Basic ...`) is no bearer token: such a request authenticates by its cookie, if at
/// all, and then needs the CSRF header like any cookie request (`csrf`).
pub(crate) fn bearer_token(headers: &header::HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// The access token: a bearer token when the request has one, else the session cookie. The
/// two are never mixed: a request with a bearer token is judged by that token alone.
fn presented_token(request: &HttpRequest) -> Option<String> {
    bearer_token(request.headers()).or_else(|| {
        request
            .cookie(ACCESS_COOKIE)
            .map(|cookie| cookie.value().to_owned())
    })
}

/// How the API key of a request was judged, kept in the request's extensions so that the
/// key is looked up once however many extractors ask.
#[derive(Debug, Clone)]
enum KeyAuthentication {
    Accepted(Actor),
    Refused(KeyRefused),
}

#[derive(Debug, Clone, Copy)]
enum KeyRefused {
    Invalid,
    Expired,
    Revoked,
    TenantDisabled,
    Unavailable,
}

impl From<&AuthError> for KeyRefused {
    fn from(error: &AuthError) -> Self {
        match error {
            AuthError::TokenExpired => Self::Expired,
            AuthError::TokenRevoked => Self::Revoked,
            AuthError::TenantDisabled => Self::TenantDisabled,
            AuthError::Unexpected(_) => Self::Unavailable,
            _ => Self::Invalid,
        }
    }
}

impl From<KeyRefused> for AuthError {
    fn from(refused: KeyRefused) -> Self {
        match refused {
            KeyRefused::Invalid => Self::InvalidToken,
            KeyRefused::Expired => Self::TokenExpired,
            KeyRefused::Revoked => Self::TokenRevoked,
            KeyRefused::TenantDisabled => Self::TenantDisabled,
            KeyRefused::Unavailable => Self::Unexpected("API key lookup failed".into()),
        }
    }
}

/// Authenticates a request whose bearer token is an API key, before any extractor runs: the
/// actor for `Authenticated`, and the key's name for the request context, so every change
/// made with the key is audited under its name.
pub async fn api_key_middleware(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let key = bearer_token(request.headers()).filter(|token| token.starts_with(KEY_PREFIX));
    let services = request.app_data::<web::Data<Services>>().cloned();
    if let (Some(key), Some(services)) = (key, services) {
        let ip = crate::client::request_ip(request.request());
        let judged = match services.api_keys.authenticate(&key, ip.as_deref()).await {
            Ok(actor) => KeyAuthentication::Accepted(actor),
            Err(error) => {
                if let AuthError::Unexpected(cause) = &error {
                    tracing::error!(%cause, "API key authentication failed");
                }
                KeyAuthentication::Refused(KeyRefused::from(&error))
            }
        };
        request.extensions_mut().insert(judged);
    }
    next.call(request).await
}

/// The API key a request was authenticated with, for the audit trail.
pub(crate) fn key_use(request: &HttpRequest) -> Option<KeyUse> {
    match request.extensions().get::<KeyAuthentication>()? {
        KeyAuthentication::Accepted(actor) => actor.api_key.as_ref().map(|key| KeyUse {
            id: key.id,
            name: key.name.clone(),
        }),
        KeyAuthentication::Refused(_) => None,
    }
}

fn authenticate(
    request: &HttpRequest,
    access: Access,
) -> Pin<Box<dyn Future<Output = Result<Actor, ApiError>>>> {
    let judged = request.extensions().get::<KeyAuthentication>().cloned();
    if let Some(judged) = judged {
        return Box::pin(async move {
            match judged {
                KeyAuthentication::Accepted(actor) => Ok(actor),
                KeyAuthentication::Refused(refused) => Err(AuthError::from(refused).into()),
            }
        });
    }
    let services = request.app_data::<web::Data<Services>>().cloned();
    let token = presented_token(request);
    Box::pin(async move {
        let services = services.ok_or_else(|| ApiError::internal("services are not configured"))?;
        let token = token.ok_or(AuthError::MissingToken)?;
        Ok(services.auth.authenticate(&token, access).await?)
    })
}

/// A signed-in user with nothing pending: what almost every endpoint requires.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Actor);

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let actor = authenticate(request, Access::Full);
        Box::pin(async move { actor.await.map(Self) })
    }
}

/// A signed-in user who may still have to change their password: for reading one's own
/// account, changing the password and signing out.
#[derive(Debug, Clone)]
pub struct PendingPasswordChange(pub Actor);

impl FromRequest for PendingPasswordChange {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let actor = authenticate(request, Access::PasswordChange);
        Box::pin(async move { actor.await.map(Self) })
    }
}

/// The session cookies for a fresh token pair: HttpOnly, SameSite=Strict, Secure when asked.
pub fn session_cookies(pair: &TokenPair, settings: &HttpSettings) -> [Cookie<'static>; 2] {
    let access = Cookie::build(ACCESS_COOKIE, pair.access_token.clone())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(settings.secure_cookies)
        .max_age(time::Duration::seconds(pair.expires_in))
        .finish();
    let refresh = Cookie::build(REFRESH_COOKIE, pair.refresh_token.clone())
        .path(REFRESH_COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(settings.secure_cookies)
        .max_age(time::Duration::seconds(pair.refresh_expires_in))
        .finish();
    [access, refresh]
}

/// Cookies that erase the session cookies.
pub fn cleared_cookies(settings: &HttpSettings) -> [Cookie<'static>; 2] {
    let mut access = Cookie::build(ACCESS_COOKIE, "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(settings.secure_cookies)
        .finish();
    access.make_removal();
    let mut refresh = Cookie::build(REFRESH_COOKIE, "")
        .path(REFRESH_COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(settings.secure_cookies)
        .finish();
    refresh.make_removal();
    [access, refresh]
}
