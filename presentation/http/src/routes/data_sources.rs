//! `/api/v1/data-sources`: the registry of public feeds, their configuration, "sync now", and
//! offline bundles for air-gapped installations.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use aegis_application::Services;
use aegis_application::data_sources::{DataSourceChanges, SyncReport};
use aegis_domain::data_source::{DataSource, SyncCounts};

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::routes::jobs::JobRunView;

/// The largest offline bundle accepted (the same bound as a downloaded feed).
const MAX_BUNDLE_BYTES: usize = 512 * 1024 * 1024;

#[derive(Debug, Serialize, ToSchema)]
pub struct SyncCountsView {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub skipped: u64,
}

impl From<SyncCounts> for SyncCountsView {
    fn from(c: SyncCounts) -> Self {
        Self {
            created: c.created,
            updated: c.updated,
            unchanged: c.unchanged,
            skipped: c.skipped,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DataSourceView {
    /// attack, atomic, caldera, sigma, elastic, d3fend, lolbas, gtfobins, stix or compliance.
    pub kind: String,
    pub title: String,
    pub url: String,
    pub enabled: bool,
    /// A cron expression with seconds first (UTC); null syncs only on request or upload.
    pub schedule: Option<String>,
    /// Whether a credential is stored (it is never shown).
    pub has_credential: bool,
    /// The licence the source's content is published under.
    pub licence: String,
    /// never, running, succeeded or failed.
    pub status: String,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_counts: Option<SyncCountsView>,
    pub last_error: Option<String>,
    /// Whether a sync was asked for and waits for the feed-sync job.
    pub sync_requested: bool,
}

impl From<DataSource> for DataSourceView {
    fn from(s: DataSource) -> Self {
        Self {
            kind: s.kind.as_str().to_owned(),
            title: s.kind.title().to_owned(),
            licence: s.kind.licence().to_owned(),
            url: s.url,
            enabled: s.enabled,
            schedule: s.schedule,
            has_credential: s.credential.is_some(),
            status: s.status.as_str().to_owned(),
            last_sync_at: s.last_sync_at,
            last_counts: s.last_counts.map(Into::into),
            last_error: s.last_error,
            sync_requested: s.sync_requested_at.is_some(),
        }
    }
}

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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DataSourceRequest {
    pub url: Option<String>,
    pub enabled: Option<bool>,
    /// A cron expression with seconds first (UTC); null removes the schedule.
    #[serde(default, deserialize_with = "crate::views::double_option")]
    #[schema(value_type = Option<String>)]
    pub schedule: Option<Option<String>>,
    /// A credential such as a GitHub token, stored encrypted; null removes it.
    #[serde(default, deserialize_with = "crate::views::double_option")]
    #[schema(value_type = Option<String>)]
    pub credential: Option<Option<String>>,
}

/// Configure a feed: URL, schedule, credential, enabled (admins).
#[utoipa::path(patch, path = "/api/v1/data-sources/{kind}", tag = "catalog",
    params(("kind" = String, Path)), request_body = DataSourceRequest,
    responses((status = 200, body = DataSourceView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn configure(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    kind: web::Path<String>,
    body: web::Json<DataSourceRequest>,
) -> Result<web::Json<DataSourceView>, ApiError> {
    let body = body.into_inner();
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
    params(("kind" = String, Path)),
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

#[derive(Debug, Serialize, ToSchema)]
pub struct BundleReportView {
    pub kind: String,
    pub counts: SyncCountsView,
    /// Files or items not imported, with why.
    pub skipped: Vec<SkippedView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SkippedView {
    pub path: String,
    pub reason: String,
}

impl From<SyncReport> for BundleReportView {
    fn from(r: SyncReport) -> Self {
        Self {
            kind: r.kind.as_str().to_owned(),
            counts: r.counts.into(),
            skipped: r
                .skipped
                .into_iter()
                .map(|(path, reason)| SkippedView { path, reason })
                .collect(),
        }
    }
}

/// Import an offline bundle now (admins): the body is a .zip or .tar.gz of the source's
/// files, or one file in its format, at most 512 MiB.
#[utoipa::path(post, path = "/api/v1/data-sources/{kind}/bundle", tag = "catalog",
    params(("kind" = String, Path)),
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
