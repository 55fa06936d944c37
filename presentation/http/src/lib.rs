//! The Aegis HTTP API: thin actix-web handlers over the application's use cases.
//!
//! This crate cannot reach infrastructure or any database crate (the layer test checks it);
//! it receives ready-made `Services` from the composition root.

pub mod auth;
pub mod client;
pub mod csrf;
pub mod json;
pub mod metrics;
pub mod openapi;
pub mod problem;
pub mod rate_limit;
pub mod read_cache;
pub mod request_id;
pub mod routes;
pub mod settings;
pub mod views;
pub mod web_app;

use std::net::TcpListener;
use std::num::NonZeroU32;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::{Compress, Condition, DefaultHeaders, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use utoipa_swagger_ui::{SwaggerUi, Url};

use aegis_application::Services;

pub use settings::HttpSettings;

use crate::metrics::HttpMetrics;
use crate::problem::ApiError;
use crate::rate_limit::AuthRateLimiter;

const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";
// Swagger UI needs its own inline scripts and styles.
const DOCS_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
    script-src 'self' 'unsafe-inline'; frame-ancestors 'none'";
// The web UI loads only its own scripts; charts set inline style attributes.
const APP_CSP: &str = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; \
    script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(openapi::document())
}

/// Pages for GET and HEAD outside the API; a problem+json 404 for anything else.
async fn fallback(request: actix_web::HttpRequest) -> Result<HttpResponse, ApiError> {
    let method = request.method();
    if method == actix_web::http::Method::GET || method == actix_web::http::Method::HEAD {
        web_app::serve(request).await
    } else {
        Err(ApiError::not_found())
    }
}

fn cors(settings: &HttpSettings) -> Cors {
    let cors = Cors::default()
        .allowed_methods(["GET", "POST", "PATCH", "PUT", "DELETE"])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .allowed_header("idempotency-key")
        .allowed_header(csrf::HEADER)
        .allowed_header(request_id::HEADER)
        .expose_headers([request_id::HEADER, "retry-after"])
        .supports_credentials()
        .max_age(3600);
    settings
        .cors_origins
        .iter()
        .fold(cors, |cors, origin| cors.allowed_origin(origin))
}

/// Binds the API to `listener` and returns the running server (await it to serve).
///
/// # Errors
/// When the listener cannot be used.
pub fn serve(
    listener: TcpListener,
    services: Services,
    settings: HttpSettings,
    workers: usize,
) -> std::io::Result<Server> {
    let services = web::Data::new(services);
    let metrics = web::Data::new(HttpMetrics::new());
    let per_minute = NonZeroU32::new(settings.auth_requests_per_minute).unwrap_or(NonZeroU32::MIN);
    let limiter = web::Data::new(AuthRateLimiter::per_minute(per_minute));
    let settings = web::Data::new(settings);
    let read_cache = web::Data::new(read_cache::ReadCache::new());
    let server = HttpServer::new(move || {
        let mut security_headers = DefaultHeaders::new()
            .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .add((header::X_FRAME_OPTIONS, "DENY"))
            .add((header::REFERRER_POLICY, "no-referrer"))
            .add((
                "Permissions-Policy",
                "camera=(), microphone=(), geolocation=()",
            ));
        if settings.production {
            security_headers = security_headers.add((
                header::STRICT_TRANSPORT_SECURITY,
                "max-age=31536000; includeSubDomains",
            ));
        }
        let limit = settings.max_body_bytes;
        let swagger = settings.swagger_ui;
        App::new()
            .app_data(services.clone())
            .app_data(metrics.clone())
            .app_data(limiter.clone())
            .app_data(settings.clone())
            .app_data(read_cache.clone())
            .configure(|config| json::configure(config, limit))
            .wrap(from_fn(auth::api_key_middleware))
            .wrap(from_fn(json::keep_json_bodies))
            .wrap(from_fn(csrf::middleware))
            .wrap(from_fn(problem::fallback_middleware))
            .wrap(from_fn(content_security_policy))
            .wrap(security_headers)
            .wrap(Condition::new(
                !settings.cors_origins.is_empty(),
                cors(&settings),
            ))
            .wrap(Compress::default())
            .wrap(from_fn(metrics::middleware))
            .wrap(from_fn(request_id::middleware))
            .route("/health", web::get().to(routes::system::health))
            .route("/ready", web::get().to(routes::system::ready))
            .route("/metrics", web::get().to(routes::system::metrics))
            .service(
                web::scope("/api/v1")
                    .route("/openapi.json", web::get().to(openapi_json))
                    .service(
                        web::scope("/auth")
                            .wrap(from_fn(rate_limit::middleware))
                            .configure(routes::auth::configure),
                    )
                    .configure(routes::catalog::configure)
                    .configure(routes::coverage::configure)
                    .configure(routes::dashboard::configure)
                    .service(web::scope("/evidence").configure(routes::evidence::configure))
                    .service(
                        web::scope("/system")
                            .configure(routes::catalog::configure_system)
                            .configure(routes::jobs::configure),
                    )
                    .service(web::scope("/snapshots").configure(routes::snapshots::configure))
                    .service(web::scope("/risk").configure(routes::risk::configure))
                    .service(web::scope("/osint").configure(routes::osint::configure))
                    .service(web::scope("/alerts").configure(routes::alerts::configure))
                    .service(web::scope("/detection-rules").configure(routes::rules::configure))
                    .service(web::scope("/compliance").configure(routes::compliance::configure))
                    .service(web::scope("/exports").configure(routes::exports::configure))
                    .service(web::scope("/analytics").configure(routes::analytics::configure))
                    .service(
                        web::scope("/tracked-actors").configure(routes::tracked_actors::configure),
                    )
                    .service(
                        web::scope("/data-sources")
                            .configure(routes::data_sources::configure_routes),
                    )
                    .service(web::scope("/test-templates").configure(routes::templates::configure))
                    // Before the tests' scope, which would otherwise take the path.
                    .route(
                        "/tests/{id}/siem/evaluate",
                        web::post().to(routes::siem::evaluate),
                    )
                    .service(web::scope("/tests").configure(routes::test_cases::configure))
                    .service(web::scope("/campaigns").configure(routes::campaigns::configure))
                    // Before the findings' scope, which would otherwise take the path.
                    .route(
                        "/findings/{id}/ticket",
                        web::post().to(routes::tickets::create_from_finding),
                    )
                    .service(web::scope("/attack-paths").configure(routes::attack_paths::configure))
                    .service(web::scope("/findings").configure(routes::findings::configure))
                    .service(
                        web::scope("/detection-lifecycle")
                            .configure(routes::detection_lifecycle::configure),
                    )
                    .service(web::scope("/reports").configure(routes::reports::configure))
                    .service(
                        web::scope("/notifications").configure(routes::notifications::configure),
                    )
                    .service(web::scope("/users").configure(routes::users::configure))
                    .service(web::scope("/api-keys").configure(routes::api_keys::configure))
                    .service(web::scope("/webhooks").configure(routes::webhooks::configure))
                    .service(web::scope("/tickets").configure(routes::tickets::configure))
                    .service(
                        web::scope("/integrations/github").configure(routes::github::configure),
                    )
                    .service(web::scope("/siem").configure(routes::siem::configure))
                    .service(web::scope("/mfa").configure(routes::mfa::configure))
                    .configure(routes::tenants::configure)
                    .service(web::scope("/sso").configure(routes::sso::configure))
                    .service(web::scope("/audit-logs").configure(routes::audit_log::configure))
                    .service(web::scope("/knowledge").configure(routes::knowledge::configure))
                    .service(
                        web::scope("/scans")
                            .configure(routes::scan_policy::configure)
                            .configure(routes::scans::configure),
                    )
                    .route("/search", web::get().to(routes::knowledge::search)),
            )
            .configure(|config| {
                if swagger {
                    config.service(SwaggerUi::new("/docs/{_:.*}").url(
                        Url::new("Aegis API", "/api/v1/openapi.json"),
                        <openapi::ApiDoc as utoipa::OpenApi>::openapi(),
                    ));
                }
            })
            .default_service(web::to(fallback))
    })
    .workers(workers.max(1))
    .listen(listener)?
    .run();
    Ok(server)
}

async fn content_security_policy(
    request: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let path = request.path();
    let policy = if path.starts_with("/docs") {
        DOCS_CSP
    } else if web_app::is_page(path) {
        APP_CSP
    } else {
        API_CSP
    };
    let mut response = next.call(request).await?;
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(policy),
    );
    Ok(response)
}
