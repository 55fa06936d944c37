//! `/api/v1/sso`: single sign-on through an OpenID provider. An admin's configuration, the
//! public list of a tenant's providers for the sign-in page, and the two legs of the
//! authorization code flow: `login` sends the browser to the provider, `callback` takes the
//! provider's answer, sets our session cookies as a password sign-in does and sends the
//! browser to the web UI.

use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::{HttpRequest, HttpResponse, web};

use aegis_application::Services;
use aegis_application::error::Classified;
use aegis_application::sso::ProviderAnswer;

use crate::auth::{Authenticated, session_cookies};
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::settings::HttpSettings;
use crate::views::sso::{
    CallbackQuery, SsoConfigRequest, SsoConfigView, SsoProviderView, SsoProvidersView, TenantQuery,
};

/// Where the browser goes once signed in: the web UI, which finds its session cookies.
const AFTER_SIGN_IN: &str = "/";

/// The tenant's OpenID Connect configuration (admins); `configured` is false, and the
/// fields are defaults, while none is saved.
#[utoipa::path(get, path = "/api/v1/sso/config", tag = "sso",
    responses((status = 200, body = SsoConfigView), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn config(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<SsoConfigView>, ApiError> {
    let redirect_uri = services.sso.callback_url().to_owned();
    Ok(web::Json(match services.sso.config(&actor).await? {
        Some(config) => SsoConfigView::new(config, redirect_uri),
        None => SsoConfigView::unconfigured(redirect_uri),
    }))
}

/// Save the tenant's OpenID Connect configuration (admins). The provider's discovery
/// document is read before saving; the client secret is stored sealed and never shown.
#[utoipa::path(put, path = "/api/v1/sso/config", tag = "sso",
    request_body = SsoConfigRequest,
    responses((status = 200, body = SsoConfigView), (status = 403, body = Problem),
        (status = 422, body = Problem, description = "a field is invalid, or `issuer` when discovery fails")),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn set_config(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<SsoConfigRequest>,
) -> Result<web::Json<SsoConfigView>, ApiError> {
    let config = services
        .sso
        .save_config(&actor, body.into_inner().into(), &context)
        .await?;
    Ok(web::Json(SsoConfigView::new(
        config,
        services.sso.callback_url().to_owned(),
    )))
}

/// The identity providers a tenant's sign-in page offers (public; empty for a tenant
/// without single sign-on, or an unknown one).
#[utoipa::path(get, path = "/api/v1/sso/providers", tag = "sso", params(TenantQuery),
    responses((status = 200, body = SsoProvidersView), (status = 422, body = Problem)))]
pub async fn providers(
    services: web::Data<Services>,
    query: web::Query<TenantQuery>,
) -> Result<HttpResponse, ApiError> {
    let providers = services.sso.providers(&query.tenant).await?;
    let login_url = format!(
        "/api/v1/sso/login?{}",
        serde_urlencoded::to_string([("tenant", query.tenant.as_str())]).unwrap_or_default()
    );
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(SsoProvidersView {
            providers: providers
                .into_iter()
                .map(|p| SsoProviderView {
                    display_name: p.display_name,
                    login_url: login_url.clone(),
                })
                .collect(),
        }))
}

/// Start signing in through the tenant's identity provider: a redirect to its
/// authorization endpoint (code flow with PKCE; state and nonce kept here, single use, ten
/// minutes).
#[utoipa::path(get, path = "/api/v1/sso/login", tag = "sso", params(TenantQuery),
    responses((status = 302, description = "to the identity provider", headers(("Location" = String))),
        (status = 404, body = Problem, description = "SSO_NOT_CONFIGURED"),
        (status = 422, body = Problem),
        (status = 429, body = Problem, description = "RATE_LIMITED, with Retry-After"),
        (status = 502, body = Problem, description = "SSO_PROVIDER_UNAVAILABLE")))]
pub async fn login(
    services: web::Data<Services>,
    query: web::Query<TenantQuery>,
) -> Result<HttpResponse, ApiError> {
    let url = services.sso.begin(&query.tenant).await?;
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, url))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// The identity provider's answer (OpenID Connect sends it with GET): the code is exchanged,
/// the ID token checked (signature through the provider's keys, issuer, audience, expiry,
/// nonce), the person's groups mapped to a role, the account found or provisioned; then our
/// session cookies are set and the browser goes to the web UI.
#[utoipa::path(get, path = "/api/v1/sso/callback", tag = "sso", params(CallbackQuery),
    responses((status = 303, description = "signed in: session cookies set, to the web UI; or, for a browser (`Accept: text/html`), refused: to `/login?sso_error=CODE`", headers(("Location" = String))),
        (status = 401, body = Problem, description = "INVALID_SSO_STATE, SSO_DENIED or SSO_TOKEN_REFUSED"),
        (status = 403, body = Problem, description = "SSO_UNKNOWN_USER, SSO_NO_ROLE or SSO_ACCOUNT_UNUSABLE"),
        (status = 404, body = Problem, description = "SSO_NOT_CONFIGURED"),
        (status = 429, body = Problem, description = "RATE_LIMITED, with Retry-After"),
        (status = 502, body = Problem, description = "SSO_PROVIDER_UNAVAILABLE")))]
pub async fn callback(
    services: web::Data<Services>,
    settings: web::Data<HttpSettings>,
    Context(context): Context,
    query: web::Query<CallbackQuery>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let outcome = match (query.code, query.error) {
        (_, Some(error)) => Err(match query.error_description {
            Some(description) => format!("{error}: {description}"),
            None => error,
        }),
        (Some(code), None) => Ok(code),
        (None, None) => Err("the provider sent neither a code nor an error".to_owned()),
    };
    let answer = ProviderAnswer {
        state: query.state.unwrap_or_default(),
        outcome,
    };
    let pair = match services.sso.complete(answer, &context).await {
        Ok(pair) => pair,
        // A browser is sent back to the sign-in page, which says what went wrong; an API
        // client gets the problem document.
        Err(error) if accepts_html(&request) => {
            let target = format!(
                "/login?{}",
                serde_urlencoded::to_string([("sso_error", error.code())]).unwrap_or_default()
            );
            return Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, target))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish());
        }
        Err(error) => return Err(error.into()),
    };
    let mut response = HttpResponse::SeeOther();
    for cookie in session_cookies(&pair, &settings) {
        response.cookie(cookie);
    }
    Ok(response
        .insert_header((header::LOCATION, AFTER_SIGN_IN))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

pub fn configure(routes: &mut web::ServiceConfig) {
    routes
        .route("/config", web::get().to(config))
        .route("/config", web::put().to(set_config))
        .route("/providers", web::get().to(providers))
        // The two legs of a sign-in share the sign-in's rate limit per address.
        .service(
            web::resource("/login")
                .wrap(from_fn(crate::rate_limit::middleware))
                .route(web::get().to(login)),
        )
        .service(
            web::resource("/callback")
                .wrap(from_fn(crate::rate_limit::middleware))
                .route(web::get().to(callback)),
        );
}

/// Whether the caller is a browser navigating (it asks for HTML first).
fn accepts_html(request: &HttpRequest) -> bool {
    request
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}
