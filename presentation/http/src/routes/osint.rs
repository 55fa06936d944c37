//! `/api/v1/osint`: intelligence items from NVD, CISA's KEV catalog and security news, tied
//! to ATT&CK techniques (named, or through the CTID KEV mapping); their summary; the items of
//! one technique; and the organization's review. Imports go through the data sources.

use actix_web::web;
use uuid::Uuid;

use aegis_application::Services;
use aegis_application::error::FieldError;
use aegis_domain::catalog::TechniqueId;

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::osint::{IntelItemQuery, IntelItemView, IntelSummaryView};
use crate::views::{PageQuery, Paginated};

/// Intelligence items, newest first, with filters.
#[utoipa::path(get, path = "/api/v1/osint/items", tag = "osint", params(IntelItemQuery, PageQuery),
    responses((status = 200, body = Paginated<IntelItemView>), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<IntelItemQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Paginated<IntelItemView>>, ApiError> {
    let filter = query.into_inner().filter()?;
    let items = services.osint.list(&actor, &filter, page.request()).await?;
    Ok(web::Json(Paginated::from_page(items, Into::into)))
}

/// One intelligence item.
#[utoipa::path(get, path = "/api/v1/osint/items/{id}", tag = "osint", params(("id" = Uuid, Path)),
    responses((status = 200, body = IntelItemView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<web::Json<IntelItemView>, ApiError> {
    Ok(web::Json(services.osint.item(&actor, *id).await?.into()))
}

/// Mark an item reviewed by the organization (leads, admins).
#[utoipa::path(post, path = "/api/v1/osint/items/{id}/review", tag = "osint", params(("id" = Uuid, Path)),
    responses((status = 200, body = IntelItemView), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn review(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<web::Json<IntelItemView>, ApiError> {
    Ok(web::Json(
        services.osint.review(&actor, *id, &context).await?.into(),
    ))
}

/// Counts by source and severity, unreviewed items and the most named techniques.
#[utoipa::path(get, path = "/api/v1/osint/summary", tag = "osint",
    responses((status = 200, body = IntelSummaryView)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn summary(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<IntelSummaryView>, ApiError> {
    Ok(web::Json(services.osint.summary(&actor).await?.into()))
}

/// The items that name a technique, newest first.
#[utoipa::path(get, path = "/api/v1/osint/technique/{mitre_id}", tag = "osint",
    params(("mitre_id" = String, Path, description = "ATT&CK technique id"), PageQuery),
    responses((status = 200, body = Paginated<IntelItemView>), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn technique(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    mitre_id: web::Path<String>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Paginated<IntelItemView>>, ApiError> {
    let id = TechniqueId::parse(&mitre_id).map_err(|_| {
        ApiError::validation(vec![FieldError::new(
            "mitre_id",
            "must be an ATT&CK technique id such as T1059 or T1059.001",
        )])
    })?;
    let items = services
        .osint
        .for_technique(&actor, &id, page.request())
        .await?;
    Ok(web::Json(Paginated::from_page(items, Into::into)))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/items", web::get().to(list))
        .route("/items/{id}", web::get().to(get))
        .route("/items/{id}/review", web::post().to(review))
        .route("/summary", web::get().to(summary))
        .route("/technique/{mitre_id}", web::get().to(technique));
}
