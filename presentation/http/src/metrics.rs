//! Prometheus metrics: request counts and latency histograms by route, method and status,
//! served at `/metrics` only to a scraper that presents the configured bearer token.

use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, web};
use metrics::{Key, Label, Metadata, Recorder};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusRecorder};

const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];
const METADATA: Metadata<'static> = Metadata::new(module_path!(), metrics::Level::INFO, None);

/// The registry of this app's metrics. Owned, not installed globally, so several apps can
/// live in one process (tests) without sharing counts.
#[derive(Clone)]
pub struct HttpMetrics {
    recorder: Arc<PrometheusRecorder>,
}

impl HttpMetrics {
    pub fn new() -> Self {
        let builder = PrometheusBuilder::new();
        let builder = builder
            .set_buckets(&LATENCY_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        Self {
            recorder: Arc::new(builder.build_recorder()),
        }
    }

    pub fn render(&self) -> String {
        self.recorder.handle().render()
    }

    fn observe(&self, route: String, method: String, status: u16, seconds: f64) {
        let labels = vec![
            Label::new("route", route),
            Label::new("method", method),
            Label::new("status", status.to_string()),
        ];
        let requests = Key::from_parts("aegis_http_requests_total", labels.clone());
        self.recorder
            .register_counter(&requests, &METADATA)
            .increment(1);
        let latency = Key::from_parts("aegis_http_request_duration_seconds", labels);
        self.recorder
            .register_histogram(&latency, &METADATA)
            .record(seconds);
    }
}

/// Whether a request may read the metrics: only with `Authorization: Bearer <token>` equal to
/// the configured token. Without a configured token the metrics are not served at all (404,
/// as if absent), so that a default installation shows them to no one.
///
/// # Errors
/// A 404 problem when no token is configured, a 401 with `WWW-Authenticate: Bearer` when the
/// request does not present it.
pub fn authorize_scrape(
    headers: &actix_web::http::header::HeaderMap,
    configured: Option<&secrecy::SecretString>,
) -> Result<(), crate::problem::ApiError> {
    use secrecy::ExposeSecret;
    let Some(configured) = configured else {
        return Err(crate::problem::ApiError::not_found());
    };
    let presented = crate::auth::bearer_token(headers).unwrap_or_default();
    if same_secret(presented.as_bytes(), configured.expose_secret().as_bytes()) {
        Ok(())
    } else {
        Err(crate::problem::ApiError::new(
            actix_web::http::StatusCode::UNAUTHORIZED,
            "METRICS_TOKEN_REQUIRED",
            "The metrics need the configured bearer token",
        )
        .with_www_authenticate("Bearer realm=\"aegis-metrics\""))
    }
}

/// Compares every byte whatever the first difference, so that the time taken tells nothing of
/// how much of a guessed token was right.
fn same_secret(presented: &[u8], configured: &[u8]) -> bool {
    presented.len() == configured.len()
        && presented
            .iter()
            .zip(configured)
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

impl Default for HttpMetrics {
    fn default() -> Self {
        Self::new()
    }
}

pub async fn middleware(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let metrics = request.app_data::<web::Data<HttpMetrics>>().cloned();
    // The route pattern, not the path, keeps label cardinality bounded.
    let route = request
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().to_string();
    let response = next.call(request).await?;
    if let Some(metrics) = metrics {
        metrics.observe(
            route,
            method,
            response.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(response)
}
