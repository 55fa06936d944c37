//! `/api/v1/heatmap` and `/api/v1/coverage`: the organization's coverage of the ATT&CK matrix.

use actix_web::{HttpRequest, HttpResponse, web};

use aegis_application::Services;
use aegis_application::navigator::{LayerScope, NavigatorLayer};
use aegis_application::read_models::ReadModel;
use aegis_domain::scoring::CoverageStatus;

use crate::auth::Authenticated;
use crate::problem::{ApiError, Problem};
use crate::read_cache::{ReadCache, answer};
use crate::views::coverage::{
    CoverageSummaryView, HeatmapQuery, HeatmapView, LayerImportView, LayerQuery,
    SkippedTechniqueView, TacticCoverageView, status_counts,
};

/// The ATT&CK matrix coloured by this organization's coverage.
#[utoipa::path(get, path = "/api/v1/heatmap", tag = "coverage", params(HeatmapQuery),
    responses((status = 200, body = HeatmapView, headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 304, description = "Not modified: the `If-None-Match` or `If-Modified-Since` copy is current"),
        (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn heatmap(
    request: HttpRequest,
    services: web::Data<Services>,
    cache: web::Data<ReadCache>,
    Authenticated(actor): Authenticated,
    query: web::Query<HeatmapQuery>,
) -> Result<HttpResponse, ApiError> {
    let tag = services.read_models.tag(&actor, ReadModel::Catalog).await?;
    answer(&request, &cache, &actor, tag, || async {
        let map = services
            .coverage
            .heatmap(&actor, &query.into_inner().filter())
            .await?;
        Ok(HeatmapView::from(map))
    })
    .await
}

/// The organization's coverage in numbers: overall, threat-weighted, by status and by tactic.
#[utoipa::path(get, path = "/api/v1/coverage", tag = "coverage", params(HeatmapQuery),
    responses((status = 200, body = CoverageSummaryView, headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 304, description = "Not modified: the `If-None-Match` or `If-Modified-Since` copy is current"),
        (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn summary(
    request: HttpRequest,
    services: web::Data<Services>,
    cache: web::Data<ReadCache>,
    Authenticated(actor): Authenticated,
    query: web::Query<HeatmapQuery>,
) -> Result<HttpResponse, ApiError> {
    let tag = services.read_models.tag(&actor, ReadModel::Catalog).await?;
    answer(&request, &cache, &actor, tag, || {
        summary_of(&services, &actor, query)
    })
    .await
}

async fn summary_of(
    services: &Services,
    actor: &aegis_application::context::Actor,
    query: web::Query<HeatmapQuery>,
) -> Result<CoverageSummaryView, ApiError> {
    let map = services
        .coverage
        .heatmap(actor, &query.into_inner().filter())
        .await?;
    let techniques: u32 = map.status_counts.iter().map(|(_, n)| n).sum();
    let validated = map
        .status_counts
        .iter()
        .find(|(s, _)| *s == CoverageStatus::Validated)
        .map_or(0, |(_, n)| *n);
    let percent = if techniques == 0 {
        0.0
    } else {
        (f64::from(validated) * 1000.0 / f64::from(techniques)).round() / 10.0
    };
    let tactics = map
        .columns
        .iter()
        .map(|column| TacticCoverageView {
            tactic_id: column.tactic.mitre_id.clone(),
            tactic: column.tactic.name.clone(),
            shortname: column.tactic.shortname.clone(),
            score: column.score,
            techniques: u32::try_from(column.techniques.len()).unwrap_or(u32::MAX),
            validated: u32::try_from(
                column
                    .techniques
                    .iter()
                    .filter(|c| c.score.status == CoverageStatus::Validated)
                    .count(),
            )
            .unwrap_or(u32::MAX),
        })
        .collect();
    Ok(CoverageSummaryView {
        organization_score: map.organization_score,
        threat_weighted_score: map.threat_weighted_score,
        techniques,
        validated_percent: percent,
        status_counts: status_counts(map.status_counts),
        tactics,
    })
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/heatmap", web::get().to(heatmap))
        .route("/heatmap/navigator-layer", web::get().to(navigator_layer))
        .route(
            "/heatmap/navigator-layer",
            web::post().to(import_navigator_layer),
        )
        .route("/coverage", web::get().to(summary));
}

/// The coverage heatmap as an ATT&CK Navigator layer (format 4.5), for the whole matrix, a
/// tactic, a threat actor, a campaign or a period; downloaded as a file.
#[utoipa::path(get, path = "/api/v1/heatmap/navigator-layer", tag = "coverage", params(HeatmapQuery, LayerQuery),
    responses((status = 200, description = "An ATT&CK Navigator layer, format 4.5", content_type = "application/json"),
        (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn navigator_layer(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    heatmap: web::Query<HeatmapQuery>,
    query: web::Query<LayerQuery>,
) -> Result<actix_web::HttpResponse, ApiError> {
    let scope = LayerScope {
        heatmap: heatmap.into_inner().filter(),
        tactic: query.into_inner().tactic.filter(|t| !t.trim().is_empty()),
    };
    let layer = services.navigator.export(&actor, &scope).await?;
    Ok(actix_web::HttpResponse::Ok()
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"aegis-coverage-layer.json\"",
        ))
        .json(layer))
}

/// Import an ATT&CK Navigator layer: one draft test per technique it scores or comments on
/// (leads), all in one transaction; unknown techniques are listed, not fatal.
#[utoipa::path(post, path = "/api/v1/heatmap/navigator-layer", tag = "coverage",
    request_body(content = Object, description = "An ATT&CK Navigator layer (format 4.x)", content_type = "application/json"),
    responses((status = 201, body = LayerImportView), (status = 200, body = LayerImportView, description = "Nothing to plan"),
        (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn import_navigator_layer(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    crate::client::Context(context): crate::client::Context,
    layer: web::Json<NavigatorLayer>,
) -> Result<actix_web::HttpResponse, ApiError> {
    let imported = services.navigator.import(&actor, &layer, &context).await?;
    let view = LayerImportView {
        skipped: imported
            .skipped
            .into_iter()
            .map(|(technique_id, reason)| SkippedTechniqueView {
                technique_id,
                reason,
            })
            .collect(),
        created: imported.created.into_iter().map(Into::into).collect(),
    };
    Ok(if view.created.is_empty() {
        actix_web::HttpResponse::Ok().json(view)
    } else {
        actix_web::HttpResponse::Created().json(view)
    })
}
