//! Per-client rate limiting of the authentication endpoints (429 with `Retry-After`).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError, web};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::client::client_ip;
use crate::problem::ApiError;
use crate::settings::HttpSettings;

/// Requests per minute per client address, shared by every worker of the server.
#[derive(Clone)]
pub struct AuthRateLimiter {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl AuthRateLimiter {
    pub fn per_minute(requests: NonZeroU32) -> Self {
        Self {
            limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(requests))),
        }
    }

    /// `None` when allowed, or the seconds to wait.
    fn check(&self, client: IpAddr) -> Option<u64> {
        self.limiter.check_key(&client).err().map(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs().max(1)
        })
    }
}

pub async fn middleware(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let limiter = request.app_data::<web::Data<AuthRateLimiter>>().cloned();
    let settings = request.app_data::<web::Data<HttpSettings>>().cloned();
    let ip = settings
        .and_then(|settings| client_ip(request.request(), settings.trust_forwarded_for))
        .and_then(|ip| ip.parse::<IpAddr>().ok());
    if let (Some(limiter), Some(ip)) = (limiter, ip)
        && let Some(retry_after) = limiter.check(ip)
    {
        let error = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
            "Too many requests",
        )
        .with_detail("Too many authentication requests from this address; retry later.")
        .with_retry_after(retry_after);
        let response = error.error_response().map_into_right_body();
        return Ok(request.into_response(response));
    }
    Ok(next.call(request).await?.map_into_left_body())
}
