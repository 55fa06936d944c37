//! Authentication of requests: the access token from the `Authorization: Bearer` header or
//! the `aegis_token` cookie, checked by the auth use case. Authorization is not done here.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use aegis_application::Services;
use aegis_application::auth::{Access, AuthError, TokenPair};
use aegis_application::context::Actor;

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

fn authenticate(
    request: &HttpRequest,
    access: Access,
) -> Pin<Box<dyn Future<Output = Result<Actor, ApiError>>>> {
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
