//! Cross-site request forgery: a request that changes something and authenticates with the
//! session cookies must carry the `X-Aegis-Request` header. A form on another site cannot add
//! a header, and a script on another origin cannot send one without a CORS preflight that only
//! the configured origins pass; SameSite=Strict cookies are the first line, this the second.
//! Bearer-token clients (scripts, CI) are not affected: a request with a bearer token is
//! authenticated by that token alone (`auth::bearer_token`, the same test the authentication
//! makes). Any other `Authorization` header (`Basic ...`) authenticates nothing, so a request
//! that carries one beside the session cookie is a cookie request and needs the header too.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;

use crate::auth::{ACCESS_COOKIE, REFRESH_COOKIE, bearer_token};
use crate::problem::ApiError;

pub const HEADER: &str = "x-aegis-request";
/// Signing in sets the cookies; it needs none and so cannot be forged into a session.
const EXEMPT: &str = "/api/v1/auth/login";
const REFRESH: &str = "/api/v1/auth/refresh";

fn needs_header(request: &ServiceRequest) -> bool {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let by_cookie = match bearer_token(request.headers()) {
        // A bearer token authenticates the request by itself, except on refresh, which reads
        // the refresh cookie whatever the Authorization header says.
        Some(_) => request.path() == REFRESH && request.cookie(REFRESH_COOKIE).is_some(),
        None => request.cookie(ACCESS_COOKIE).is_some() || request.cookie(REFRESH_COOKIE).is_some(),
    };
    !safe && by_cookie && request.path() != EXEMPT && !request.headers().contains_key(HEADER)
}

pub async fn middleware(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    if needs_header(&request) {
        let problem = ApiError::new(
            StatusCode::FORBIDDEN,
            "CSRF_HEADER_MISSING",
            "Cookie-authenticated changes need the X-Aegis-Request header",
        );
        let (request, _) = request.into_parts();
        let response = actix_web::ResponseError::error_response(&problem);
        return Ok(ServiceResponse::new(request, response).map_into_right_body());
    }
    Ok(next.call(request).await?.map_into_left_body())
}
