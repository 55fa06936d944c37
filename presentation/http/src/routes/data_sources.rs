//! `/api/v1/data-sources`: the registry of public feeds, their configuration, "sync now", and
//! offline bundles for air-gapped installations.

use actix_web::{HttpResponse, web};
use futures::StreamExt;

use aegis_application::Services;
use aegis_application::data_sources::DataSourceChanges;

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::ObjectBody;
use crate::views::data_sources::{BundleReportView, DataSourceRequest, DataSourceView};
use crate::views::jobs::JobRunView;

/// The largest offline bundle accepted (the same bound as a downloaded feed).
const MAX_BUNDLE_BYTES: usize = 512 * 1024 * 1024;

/// Every feed, configured or with its defaults.
#[utoipa::path(get, path = "/api/v1/data-sources", tag = "catalog",
    responses((status = 200, body = [DataSourceView])),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<Vec<DataSourceView>>, ApiError> {
    let sources = services.data_sources.list(&actor).await?;
    Ok(web::Json(sources.into_iter().map(Into::into).collect()))
}

/// Configure a feed: URL, schedule, credential, enabled (admins).
#[utoipa::path(patch, path = "/api/v1/data-sources/{kind}", tag = "catalog",
    params(("kind" = crate::views::enums::FeedKind, Path)), request_body = DataSourceRequest,
    responses((status = 200, body = DataSourceView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn configure(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    kind: web::Path<String>,
    body: web::Json<ObjectBody<DataSourceRequest>>,
) -> Result<web::Json<DataSourceView>, ApiError> {
    let ObjectBody(body) = body.into_inner();
    let changes = DataSourceChanges {
        url: body.url,
        enabled: body.enabled,
        schedule: body.schedule,
        credential: body.credential,
    };
    let source = services
        .data_sources
        .configure(&actor, &kind, changes, &context)
        .await?;
    Ok(web::Json(source.into()))
}

/// Sync a feed now (admins): queues the feed-sync job, whose run is returned.
#[utoipa::path(post, path = "/api/v1/data-sources/{kind}/sync", tag = "catalog",
    params(("kind" = crate::views::enums::FeedKind, Path)),
    responses((status = 202, body = JobRunView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn sync(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    kind: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let run = services
        .data_sources
        .sync_now(&actor, &kind, &context)
        .await?;
    Ok(HttpResponse::Accepted().json(JobRunView::from(run)))
}

/// Import an offline bundle now (admins): the body is a .zip or .tar.gz of the source's
/// files, or one file in its format, at most 512 MiB.
#[utoipa::path(post, path = "/api/v1/data-sources/{kind}/bundle", tag = "catalog",
    params(("kind" = crate::views::enums::FeedKind, Path)),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = BundleReportView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 413, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn upload_bundle(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    kind: web::Path<String>,
    mut payload: web::Payload,
) -> Result<web::Json<BundleReportView>, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("BAD_UPLOAD", e.to_string()))?;
        if bytes.len() + chunk.len() > MAX_BUNDLE_BYTES {
            return Err(ApiError::new(
                actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                format!("a bundle is at most {MAX_BUNDLE_BYTES} bytes"),
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    let report = services
        .data_sources
        .upload_bundle(&actor, &kind, bytes, &context)
        .await?;
    Ok(web::Json(report.into()))
}

pub fn configure_routes(config: &mut web::ServiceConfig) {
    config
        .route("", web::get().to(list))
        .route("/{kind}", web::patch().to(configure))
        .route("/{kind}/sync", web::post().to(sync))
        .route("/{kind}/bundle", web::post().to(upload_bundle));
}
