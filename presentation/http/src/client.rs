//! Where a request comes from: its address, agent and id, as the use cases' `RequestContext`.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use aegis_application::context::RequestContext;

use crate::problem::ApiError;
use crate::request_id::RequestId;
use crate::settings::HttpSettings;

/// The client's IP address: the peer, or the first `X-Forwarded-For` hop when trusted.
pub fn client_ip(request: &HttpRequest, trust_forwarded_for: bool) -> Option<String> {
    let info = request.connection_info();
    let address = if trust_forwarded_for {
        info.realip_remote_addr()
    } else {
        info.peer_addr()
    }?;
    // Peer addresses carry a port; forwarded ones may not.
    let host = address
        .parse::<std::net::SocketAddr>()
        .map(|socket| socket.ip().to_string())
        .unwrap_or_else(|_| address.trim_matches(['[', ']']).to_owned());
    Some(host)
}

/// The client's IP address as the configuration says to read it.
pub(crate) fn request_ip(request: &HttpRequest) -> Option<String> {
    let trust = request
        .app_data::<web::Data<HttpSettings>>()
        .is_some_and(|settings| settings.trust_forwarded_for);
    client_ip(request, trust)
}

/// Extracts the application's request context.
#[derive(Debug, Clone)]
pub struct Context(pub RequestContext);

impl FromRequest for Context {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let trust = request
            .app_data::<web::Data<HttpSettings>>()
            .is_some_and(|settings| settings.trust_forwarded_for);
        // Separate statements: `connection_info` borrows the extensions mutably, which must
        // not overlap the shared borrow taken to read the request id.
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.0.clone());
        let client_ip = client_ip(request, trust);
        let api_key = crate::auth::key_use(request);
        ready(Ok(Self(RequestContext {
            api_key,
            request_id,
            client_ip,
            user_agent: request
                .headers()
                .get(actix_web::http::header::USER_AGENT)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
        })))
    }
}
