//! Liveness, readiness, metrics and the landing page.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use aegis_application::Services;

use crate::metrics::HttpMetrics;
use crate::settings::HttpSettings;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the process serves requests.
    pub status: String,
    pub version: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadinessResponse {
    /// `ready` or `not_ready`.
    pub status: String,
    pub database: String,
    pub evidence_store: String,
}

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
    responses((status = 200, body = ReadinessResponse), (status = 503, body = ReadinessResponse)))]
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

const LANDING_PAGE: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Aegis</title>
<style>body{font-family:system-ui,sans-serif;max-width:42rem;margin:4rem auto;padding:0 1rem;color:#1b1f24}
a{color:#0b57d0}code{background:#f1f3f4;padding:.1rem .3rem;border-radius:4px}</style></head>
<body>
<h1>Aegis</h1>
<p>Prove, technique by technique, how well you are defended against MITRE ATT&amp;CK.</p>
<ul>
{docs}<li><a href="/api/v1/openapi.json">OpenAPI document</a></li>
<li><a href="/health">Health</a> and <a href="/ready">readiness</a></li>
</ul>
<p>Sign in with <code>POST /api/v1/auth/login</code>; the web interface arrives with a later release.</p>
</body></html>
"#;

/// The landing page, until the web UI is served here.
pub async fn landing(settings: web::Data<HttpSettings>) -> HttpResponse {
    let docs = if settings.swagger_ui {
        "<li><a href=\"/docs/\">API documentation (Swagger UI)</a></li>\n"
    } else {
        ""
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(LANDING_PAGE.replace("{docs}", docs))
}
