//! `/api/v1/risk`: each technique's risk for the organization, the likelihood x impact
//! matrix, the summary, the most urgent techniques and the actions they call for, how
//! validated tests split between prevention and detection, and recomputing on demand.

use actix_web::web;

use aegis_application::Services;
use aegis_domain::catalog::TechniqueId;

use aegis_application::error::FieldError;

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::risk::{
    ComputedView, DetectionPerformanceView, LimitQuery, RecommendationView, RiskCellView,
    RiskListQuery, RiskSummaryView, RiskView,
};
use crate::views::{PageQuery, Paginated};

/// Techniques by risk, most urgent first unless sorted otherwise.
#[utoipa::path(get, path = "/api/v1/risk", tag = "risk", params(RiskListQuery, PageQuery),
    responses((status = 200, body = Paginated<RiskView>), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<RiskListQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Paginated<RiskView>>, ApiError> {
    let filter = query.into_inner().filter()?;
    let risks = services.risk.list(&actor, &filter, page.request()).await?;
    Ok(web::Json(Paginated::from_page(risks, RiskView::from)))
}

/// The 5 x 5 likelihood x impact matrix: every cell, likelihood 5 first, with its count and
/// techniques.
#[utoipa::path(get, path = "/api/v1/risk/matrix", tag = "risk",
    responses((status = 200, body = Vec<RiskCellView>)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn matrix(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<Vec<RiskCellView>>, ApiError> {
    let cells = services.risk.matrix(&actor).await?;
    Ok(web::Json(cells.into_iter().map(Into::into).collect()))
}

/// Techniques per level, the average and the highest risk.
#[utoipa::path(get, path = "/api/v1/risk/summary", tag = "risk",
    responses((status = 200, body = RiskSummaryView)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn summary(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<RiskSummaryView>, ApiError> {
    Ok(web::Json(services.risk.summary(&actor).await?.into()))
}

/// The most urgent techniques.
#[utoipa::path(get, path = "/api/v1/risk/top", tag = "risk", params(LimitQuery),
    responses((status = 200, body = Vec<RiskView>), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn top(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<LimitQuery>,
) -> Result<web::Json<Vec<RiskView>>, ApiError> {
    let entries = services.risk.top(&actor, query.value()).await?;
    Ok(web::Json(entries.into_iter().map(Into::into).collect()))
}

/// Ordered actions, each with its reason.
#[utoipa::path(get, path = "/api/v1/risk/recommendations", tag = "risk", params(LimitQuery),
    responses((status = 200, body = Vec<RecommendationView>), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn recommendations(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<LimitQuery>,
) -> Result<web::Json<Vec<RecommendationView>>, ApiError> {
    let advice = services.risk.recommendations(&actor, query.value()).await?;
    Ok(web::Json(
        (1u32..)
            .zip(advice)
            .map(|(rank, r)| RecommendationView::ranked(rank, r))
            .collect(),
    ))
}

/// One technique's risk with its breakdown.
#[utoipa::path(get, path = "/api/v1/risk/techniques/{id}", tag = "risk",
    params(("id" = String, Path, description = "ATT&CK technique id")),
    responses((status = 200, body = RiskView), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn technique(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<String>,
) -> Result<web::Json<RiskView>, ApiError> {
    let id = TechniqueId::parse(&id).map_err(|_| {
        ApiError::validation(vec![FieldError::new(
            "id",
            "must be an ATT&CK technique id such as T1059 or T1059.001",
        )])
    })?;
    Ok(web::Json(
        services.risk.technique(&actor, &id).await?.into(),
    ))
}

/// How validated tests split into prevented, detected, logged only and missed, with the time
/// to detect, overall, per technique and per tactic.
#[utoipa::path(get, path = "/api/v1/risk/detection-performance", tag = "risk",
    responses((status = 200, body = DetectionPerformanceView)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn detection_performance(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<DetectionPerformanceView>, ApiError> {
    Ok(web::Json(
        services.risk.detection_performance(&actor).await?.into(),
    ))
}

/// Recompute the organization's risk over the whole matrix now (leads and admins).
#[utoipa::path(post, path = "/api/v1/risk/compute", tag = "risk",
    responses((status = 200, body = ComputedView), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn compute(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
) -> Result<web::Json<ComputedView>, ApiError> {
    let assessed = services.risk.compute(&actor, &context).await?;
    Ok(web::Json(ComputedView { assessed }))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("", web::get().to(list))
        .route("/matrix", web::get().to(matrix))
        .route("/summary", web::get().to(summary))
        .route("/top", web::get().to(top))
        .route("/recommendations", web::get().to(recommendations))
        .route("/techniques/{id}", web::get().to(technique))
        .route(
            "/detection-performance",
            web::get().to(detection_performance),
        )
        .route("/compute", web::post().to(compute));
}
