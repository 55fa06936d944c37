//! `/api/v1/snapshots`: the organization's coverage posture over time.

use actix_web::{HttpResponse, web};
use uuid::Uuid;

use aegis_application::Services;

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::snapshots::{SnapshotRange, SnapshotView, TrendPointView};
use crate::views::{PageQuery, Paginated};

/// Snapshots, newest first.
#[utoipa::path(get, path = "/api/v1/snapshots", tag = "snapshots", params(SnapshotRange, PageQuery),
    responses((status = 200, body = Paginated<SnapshotView>)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    range: web::Query<SnapshotRange>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Paginated<SnapshotView>>, ApiError> {
    let snapshots = services
        .snapshots
        .list(&actor, range.from, range.to, page.request())
        .await?;
    Ok(web::Json(Paginated::from_page(snapshots, Into::into)))
}

/// The posture trend, oldest first, for charts.
#[utoipa::path(get, path = "/api/v1/snapshots/trend", tag = "snapshots", params(SnapshotRange),
    responses((status = 200, body = Vec<TrendPointView>)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn trend(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    range: web::Query<SnapshotRange>,
) -> Result<web::Json<Vec<TrendPointView>>, ApiError> {
    let points = services
        .snapshots
        .trend(&actor, range.from, range.to)
        .await?;
    Ok(web::Json(points.into_iter().map(Into::into).collect()))
}

/// Record the organization's posture now (leads and admins).
#[utoipa::path(post, path = "/api/v1/snapshots", tag = "snapshots",
    responses((status = 201, body = SnapshotView), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn take(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
) -> Result<HttpResponse, ApiError> {
    let snapshot = services.snapshots.take(&actor, &context).await?;
    Ok(HttpResponse::Created().json(SnapshotView::from(snapshot)))
}

/// One snapshot.
#[utoipa::path(get, path = "/api/v1/snapshots/{id}", tag = "snapshots", params(("id" = Uuid, Path)),
    responses((status = 200, body = SnapshotView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<web::Json<SnapshotView>, ApiError> {
    Ok(web::Json(services.snapshots.get(&actor, *id).await?.into()))
}

/// Delete a snapshot (admin).
#[utoipa::path(delete, path = "/api/v1/snapshots/{id}", tag = "snapshots", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn delete(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    services.snapshots.delete(&actor, *id, &context).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("", web::get().to(list))
        .route("", web::post().to(take))
        .route("/trend", web::get().to(trend))
        .route("/{id}", web::get().to(get))
        .route("/{id}", web::delete().to(delete));
}
