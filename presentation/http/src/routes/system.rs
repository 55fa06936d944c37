//! Liveness, readiness and metrics.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use aegis_application::Services;

use crate::metrics::HttpMetrics;
use crate::settings::HttpSettings;
use crate::views::system::{Health, ReadinessResponse};

/// Liveness: the process answers.
#[utoipa::path(get, path = "/health", tag = "system", responses((status = 200, body = Health)))]
pub async fn health() -> web::Json<Health> {
    web::Json(Health {
        status: "ok".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}

/// Readiness: the database and the evidence store are reachable.
#[utoipa::path(get, path = "/ready", tag = "system",
    responses((status = 200, body = ReadinessResponse), (status = 503, body = ReadinessResponse, description = "Not ready: the database or the evidence store cannot be reached")))]
pub async fn ready(
    services: web::Data<Services>,
    settings: web::Data<HttpSettings>,
) -> HttpResponse {
    let readiness = services.health.readiness().await;
    let describe = |check: &Result<(), String>| match check {
        Ok(()) => "ok".to_owned(),
        Err(reason) => {
            tracing::warn!(%reason, "readiness check failed");
            // Production answers do not reveal internals; the log has the reason.
            if settings.production {
                "unavailable".to_owned()
            } else {
                format!("unavailable: {reason}")
            }
        }
    };
    let status = if readiness.is_ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    HttpResponse::build(status).json(ReadinessResponse {
        status: if readiness.is_ready() {
            "ready"
        } else {
            "not_ready"
        }
        .to_owned(),
        database: describe(&readiness.database),
        evidence_store: describe(&readiness.evidence_store),
    })
}

/// Prometheus metrics in the text exposition format, for the scraper that presents the
/// configured `AEGIS_METRICS_TOKEN` as a bearer token; not served when none is configured.
#[utoipa::path(get, path = "/metrics", tag = "system",
    responses(
        (status = 200, content_type = "text/plain"),
        (status = 401, body = crate::problem::Problem, content_type = "application/problem+json", description = "METRICS_TOKEN_REQUIRED: the bearer token is missing or wrong"),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json", description = "no metrics token is configured, so the metrics are not served"),
    ),
    security(("metrics_token" = [])))]
pub async fn metrics(
    request: actix_web::HttpRequest,
    metrics: web::Data<HttpMetrics>,
    settings: web::Data<HttpSettings>,
    services: web::Data<Services>,
) -> Result<HttpResponse, crate::problem::ApiError> {
    crate::metrics::authorize_scrape(request.headers(), settings.metrics_token.as_ref())?;
    let mut body = metrics.render();
    // The queue is read from the database, so every instance reports the same queue whichever
    // process ran the scans.
    let queue = services.scans.queue_stats().await?;
    crate::metrics::render_scan_queue(&queue, &mut body);
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(body))
}
