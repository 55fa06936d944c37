//! `/api/v1/heatmap` and `/api/v1/coverage`: the organization's coverage of the ATT&CK matrix.

use actix_web::web;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::Services;
use aegis_application::coverage::{Heatmap, HeatmapCell, HeatmapFilter};
use aegis_application::navigator::{LayerScope, NavigatorLayer};
use aegis_domain::campaign::CampaignId;
use aegis_domain::scoring::{Breakdown, CoverageStatus, StoredScore, TechniqueScore, heat_color};

use crate::auth::Authenticated;
use crate::problem::{ApiError, Problem};

/// Points per component; they add up to the score.
#[derive(Debug, Serialize, ToSchema)]
pub struct BreakdownView {
    pub tests: f64,
    pub rules: f64,
    pub countermeasures: f64,
    pub freshness: f64,
    pub diversity: f64,
}

impl From<Breakdown> for BreakdownView {
    fn from(b: Breakdown) -> Self {
        Self {
            tests: b.tests,
            rules: b.rules,
            countermeasures: b.countermeasures,
            freshness: b.freshness,
            diversity: b.diversity,
        }
    }
}

/// A technique's coverage in this organization.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageView {
    /// not_covered, in_progress, partial, validated or stale.
    pub status: String,
    /// 0 to 100.
    pub score: f64,
    pub color: String,
    pub breakdown: BreakdownView,
    pub validated_tests: u32,
    pub open_tests: u32,
    pub last_validated_at: Option<chrono::DateTime<chrono::Utc>>,
    pub computed_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl CoverageView {
    pub fn new(stored: Option<StoredScore>) -> Self {
        let (score, open_tests, computed_at) = match stored {
            Some(s) => (s.score, s.open_tests, Some(s.computed_at)),
            None => (TechniqueScore::uncovered(), 0, None),
        };
        Self {
            status: score.status.as_str().to_owned(),
            score: score.score,
            color: heat_color(score.score, score.status),
            breakdown: score.breakdown.into(),
            validated_tests: score.validated_tests,
            open_tests,
            last_validated_at: score.last_validated_at,
            computed_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HeatmapCellView {
    pub mitre_id: String,
    pub name: String,
    pub platforms: Vec<String>,
    /// not_covered, in_progress, partial, validated or stale.
    pub status: String,
    /// The technique's own score.
    pub score: f64,
    /// The score shown: its own, or rolled up with its sub-techniques' (configurable).
    pub rolled_score: f64,
    pub color: String,
    pub breakdown: BreakdownView,
    pub validated_tests: u32,
    pub open_tests: u32,
    /// In-scope threat actors that use it; for a parent, that use it or any of its
    /// sub-techniques, each actor once.
    pub threat_actors: u32,
    /// Active detection rules (Sigma, Elastic) tagged with it.
    pub detection_rules: u32,
    /// D3FEND countermeasures of it.
    pub countermeasures: u32,
    #[schema(no_recursion)]
    pub subtechniques: Vec<HeatmapCellView>,
}

impl From<HeatmapCell> for HeatmapCellView {
    fn from(cell: HeatmapCell) -> Self {
        Self {
            mitre_id: cell.technique.mitre_id.to_string(),
            name: cell.technique.name,
            platforms: cell.technique.platforms,
            status: cell.score.status.as_str().to_owned(),
            score: cell.score.score,
            rolled_score: cell.rolled_score,
            color: heat_color(cell.rolled_score, cell.score.status),
            breakdown: cell.score.breakdown.into(),
            validated_tests: cell.score.validated_tests,
            open_tests: cell.open_tests,
            threat_actors: cell.actors,
            detection_rules: cell.rules,
            countermeasures: cell.countermeasures,
            subtechniques: cell.subtechniques.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HeatmapColumnView {
    pub tactic_id: String,
    pub tactic: String,
    pub shortname: String,
    /// Mean of the column's rolled scores; null for an empty column.
    pub score: Option<f64>,
    pub techniques: Vec<HeatmapCellView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusCountView {
    pub status: String,
    pub techniques: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HeatmapView {
    /// Mean rolled score of every technique on the map.
    pub organization_score: Option<f64>,
    /// The same, each technique weighted by the threat actors that use it.
    pub threat_weighted_score: Option<f64>,
    pub status_counts: Vec<StatusCountView>,
    /// Tactics in ATT&CK matrix order.
    pub tactics: Vec<HeatmapColumnView>,
}

fn status_counts(counts: Vec<(CoverageStatus, u32)>) -> Vec<StatusCountView> {
    counts
        .into_iter()
        .map(|(status, techniques)| StatusCountView {
            status: status.as_str().to_owned(),
            techniques,
        })
        .collect()
}

impl From<Heatmap> for HeatmapView {
    fn from(map: Heatmap) -> Self {
        Self {
            organization_score: map.organization_score,
            threat_weighted_score: map.threat_weighted_score,
            status_counts: status_counts(map.status_counts),
            tactics: map
                .columns
                .into_iter()
                .map(|column| HeatmapColumnView {
                    tactic_id: column.tactic.mitre_id,
                    tactic: column.tactic.name,
                    shortname: column.tactic.shortname,
                    score: column.score,
                    techniques: column.techniques.into_iter().map(Into::into).collect(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HeatmapQuery {
    /// Only techniques for this platform, e.g. Windows.
    pub platform: Option<String>,
    /// Only the techniques this threat actor uses (G0016 or a STIX id).
    pub threat_actor: Option<String>,
    /// Only this campaign's techniques, scored from its tests alone.
    pub campaign_id: Option<Uuid>,
    /// Scores from the tests validated at or after this time alone (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// ...and before this time.
    pub to: Option<DateTime<Utc>>,
}

impl HeatmapQuery {
    pub(crate) fn filter(self) -> HeatmapFilter {
        HeatmapFilter {
            platform: self.platform.filter(|p| !p.trim().is_empty()),
            threat_actor: self.threat_actor.filter(|a| !a.trim().is_empty()),
            campaign: self.campaign_id.map(CampaignId::from_uuid),
            validated_from: self.from,
            validated_to: self.to,
        }
    }
}

/// The ATT&CK matrix coloured by this organization's coverage.
#[utoipa::path(get, path = "/api/v1/heatmap", tag = "coverage", params(HeatmapQuery),
    responses((status = 200, body = HeatmapView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn heatmap(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<HeatmapQuery>,
) -> Result<web::Json<HeatmapView>, ApiError> {
    let map = services
        .coverage
        .heatmap(&actor, &query.into_inner().filter())
        .await?;
    Ok(web::Json(map.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TacticCoverageView {
    pub tactic_id: String,
    pub tactic: String,
    pub shortname: String,
    pub score: Option<f64>,
    pub techniques: u32,
    /// Techniques whose status is validated.
    pub validated: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageSummaryView {
    pub organization_score: Option<f64>,
    pub threat_weighted_score: Option<f64>,
    /// Techniques (sub-techniques rolled into them) on the map.
    pub techniques: u32,
    /// Percentage of those whose status is validated.
    pub validated_percent: f64,
    pub status_counts: Vec<StatusCountView>,
    pub tactics: Vec<TacticCoverageView>,
}

/// The organization's coverage in numbers: overall, threat-weighted, by status and by tactic.
#[utoipa::path(get, path = "/api/v1/coverage", tag = "coverage", params(HeatmapQuery),
    responses((status = 200, body = CoverageSummaryView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn summary(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<HeatmapQuery>,
) -> Result<web::Json<CoverageSummaryView>, ApiError> {
    let map = services
        .coverage
        .heatmap(&actor, &query.into_inner().filter())
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
    Ok(web::Json(CoverageSummaryView {
        organization_score: map.organization_score,
        threat_weighted_score: map.threat_weighted_score,
        techniques,
        validated_percent: percent,
        status_counts: status_counts(map.status_counts),
        tactics,
    }))
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LayerQuery {
    /// One tactic's column: shortname (`execution`) or id (`TA0002`).
    pub tactic: Option<String>,
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

#[derive(Debug, Serialize, ToSchema)]
pub struct SkippedTechniqueView {
    pub technique_id: String,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LayerImportView {
    /// The draft tests created, one per scored or annotated technique.
    pub created: Vec<crate::routes::tests::TestView>,
    pub skipped: Vec<SkippedTechniqueView>,
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
