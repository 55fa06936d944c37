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

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "system", responses((status = 200, content_type = "text/plain")))]
pub async fn metrics(metrics: web::Data<HttpMetrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(metrics.render())
}
