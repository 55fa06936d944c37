//! `/api/v1/tactics`, `/api/v1/techniques` and `/api/v1/threat-actors`: the ATT&CK catalog.

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use aegis_application::Services;
use aegis_application::catalog::{CustomTechnique, TechniqueOverview};
use aegis_application::context::Initiator;
use aegis_domain::catalog::{Tactic, ThreatActor};
use aegis_domain::ports::{
    Named, TechniqueDetail, TechniqueFilter, TechniqueSummary, ThreatActorFilter,
};
use aegis_domain::scoring::CoverageStatus;

use crate::auth::Authenticated;
use crate::problem::{ApiError, Problem};
use crate::views::{PageQuery, Paginated};

#[derive(Debug, Serialize, ToSchema)]
pub struct TacticView {
    pub mitre_id: String,
    pub name: String,
    pub shortname: String,
    pub description: String,
    pub url: Option<String>,
    /// Position in the matrix, from 1.
    pub matrix_order: i32,
}

impl From<Tactic> for TacticView {
    fn from(tactic: Tactic) -> Self {
        Self {
            mitre_id: tactic.mitre_id,
            name: tactic.name,
            shortname: tactic.shortname,
            description: tactic.description,
            url: tactic.url,
            matrix_order: tactic.matrix_order,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TechniqueSummaryView {
    pub mitre_id: String,
    pub name: String,
    /// Tactic shortnames.
    pub tactics: Vec<String>,
    pub platforms: Vec<String>,
    pub is_subtechnique: bool,
    pub revoked: bool,
    pub deprecated: bool,
    pub review_required: bool,
    /// This organization's coverage status (lists only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage_status: Option<String>,
    /// This organization's score, 0 to 100 (lists only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

impl From<TechniqueSummary> for TechniqueSummaryView {
    fn from(t: TechniqueSummary) -> Self {
        Self {
            coverage_status: None,
            score: None,
            mitre_id: t.mitre_id.to_string(),
            name: t.name,
            tactics: t.tactics,
            platforms: t.platforms,
            is_subtechnique: t.is_subtechnique,
            revoked: t.revoked,
            deprecated: t.deprecated,
            review_required: t.review_required,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NamedView {
    pub mitre_id: Option<String>,
    pub name: String,
}

impl From<Named> for NamedView {
    fn from(named: Named) -> Self {
        Self {
            mitre_id: named.mitre_id,
            name: named.name,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DetectionStrategyView {
    /// `DET0103`.
    pub mitre_id: String,
    pub name: String,
    pub url: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TechniqueDetailView {
    pub mitre_id: String,
    pub stix_id: String,
    pub name: String,
    pub description: String,
    pub tactics: Vec<String>,
    pub platforms: Vec<String>,
    pub detection: String,
    /// Data components that observe the technique (`Process Creation`).
    pub data_components: Vec<String>,
    /// ATT&CK detection strategies (v18+).
    pub detection_strategies: Vec<DetectionStrategyView>,
    pub url: Option<String>,
    pub version: Option<String>,
    pub parent: Option<String>,
    pub revoked: bool,
    pub deprecated: bool,
    /// STIX id of the replacement of a revoked technique.
    pub revoked_by: Option<String>,
    pub review_required: bool,
    pub subtechniques: Vec<TechniqueSummaryView>,
    pub mitigations: Vec<NamedView>,
    pub threat_actors: Vec<NamedView>,
    pub software: Vec<NamedView>,
    /// True for an organization's own technique.
    pub custom: bool,
    /// This organization's tests of the technique (the latest 50).
    pub tests: Vec<crate::routes::tests::TestView>,
    /// This organization's coverage of the technique, with the breakdown of its score.
    pub coverage: crate::routes::coverage::CoverageView,
    /// Detection rules (Sigma, Elastic) tagged with the technique.
    pub detection_rules: Vec<crate::routes::rules::RuleSummaryView>,
    /// D3FEND countermeasures of the technique.
    pub countermeasures: Vec<CountermeasureView>,
    /// Test templates for the technique (`POST /api/v1/tests/from-template` makes a test).
    pub templates: Vec<crate::routes::templates::TemplateSummaryView>,
    /// Living-off-the-land binaries (LOLBAS, GTFOBins) with the uses that enable it.
    pub lol_binaries: Vec<crate::routes::templates::BinaryView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CountermeasureView {
    /// `D3-EFA`.
    pub d3fend_id: String,
    pub name: String,
    /// Model, Harden, Detect, Isolate, Deceive, Evict or Restore.
    pub tactic: String,
    pub url: String,
}

impl From<TechniqueOverview> for TechniqueDetailView {
    fn from(overview: TechniqueOverview) -> Self {
        let tests = overview.tests.into_iter().map(Into::into).collect();
        let coverage = crate::routes::coverage::CoverageView::new(overview.coverage);
        let detection_rules = overview.rules.into_iter().map(Into::into).collect();
        let countermeasures = overview
            .countermeasures
            .into_iter()
            .map(|c| CountermeasureView {
                url: format!(
                    "https://d3fend.mitre.org/technique/d3f:{}/",
                    c.name.replace(' ', "")
                ),
                d3fend_id: c.d3fend_id,
                name: c.name,
                tactic: c.tactic,
            })
            .collect();
        let templates = overview.templates.into_iter().map(Into::into).collect();
        let lol_binaries = overview.binaries.into_iter().map(Into::into).collect();
        let detail: TechniqueDetail = overview.detail;
        let t = detail.technique;
        let custom = t.stix_id.starts_with("x-aegis-technique--");
        Self {
            mitre_id: t.mitre_id.to_string(),
            stix_id: t.stix_id,
            name: t.name,
            description: t.description,
            tactics: t.tactics,
            platforms: t.platforms,
            detection: t.detection,
            data_components: t.data_components,
            detection_strategies: t
                .detection_strategies
                .into_iter()
                .map(|s| DetectionStrategyView {
                    mitre_id: s.mitre_id,
                    name: s.name,
                    url: s.url,
                })
                .collect(),
            url: t.url,
            version: t.version,
            parent: t.parent.map(|p| p.to_string()),
            revoked: t.revoked,
            deprecated: t.deprecated,
            revoked_by: t.revoked_by,
            review_required: detail.review_required,
            subtechniques: detail.subtechniques.into_iter().map(Into::into).collect(),
            mitigations: detail.mitigations.into_iter().map(Into::into).collect(),
            threat_actors: detail.threat_actors.into_iter().map(Into::into).collect(),
            software: detail.software.into_iter().map(Into::into).collect(),
            custom,
            tests,
            coverage,
            detection_rules,
            countermeasures,
            templates,
            lol_binaries,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ThreatActorView {
    pub mitre_id: Option<String>,
    pub stix_id: String,
    pub name: String,
    pub aliases: Vec<String>,
    pub description: String,
    pub revoked: bool,
    pub deprecated: bool,
}

impl From<ThreatActor> for ThreatActorView {
    fn from(actor: ThreatActor) -> Self {
        Self {
            mitre_id: actor.mitre_id,
            stix_id: actor.stix_id,
            name: actor.name,
            aliases: actor.aliases,
            description: actor.description,
            revoked: actor.revoked,
            deprecated: actor.deprecated,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ThreatActorDetailView {
    #[serde(flatten)]
    pub actor: ThreatActorView,
    pub references: Vec<ReferenceView>,
    pub techniques: Vec<TechniqueSummaryView>,
    /// STIX industry sectors merged intelligence says it targets.
    pub target_sectors: Vec<String>,
    /// Regions and countries merged intelligence says it targets.
    pub target_regions: Vec<String>,
    /// The intelligence merged into this actor, by source.
    pub intel: Vec<IntelSourceView>,
}

/// One intelligence report's view of an actor.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntelSourceView {
    pub stix_id: String,
    /// intrusion-set or threat-actor.
    pub kind: String,
    pub name: String,
    pub aliases: Vec<String>,
    /// The file it was imported from.
    pub path: String,
    /// ATT&CK ids it reports, known to the catalog or not yet (a revoked id replaced by its
    /// successor).
    pub techniques: Vec<String>,
    /// The revoked ids it names, each with the technique it counts under.
    pub legacy_techniques: Vec<crate::routes::rules::LegacyTechniqueView>,
    pub references: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReferenceView {
    pub source: String,
    pub url: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TechniqueQuery {
    /// Tactic id (TA0002) or shortname (execution).
    pub tactic: Option<String>,
    /// Platform, e.g. Windows.
    pub platform: Option<String>,
    /// Text in the id, name or description.
    pub q: Option<String>,
    /// Include sub-techniques (default false).
    pub include_subtechniques: Option<bool>,
    /// Include revoked and deprecated techniques (default false).
    pub include_revoked: Option<bool>,
    /// Only techniques flagged (true) or not flagged (false) for review.
    pub review_required: Option<bool>,
    /// mitre_id (default), name or modified; `-` before it for descending.
    pub sort: Option<String>,
    /// not_covered, in_progress, partial, validated or stale, in this organization.
    pub coverage_status: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ThreatActorQuery {
    /// Text in the name, aliases or description.
    pub q: Option<String>,
    /// Include revoked and deprecated actors (default false).
    pub include_revoked: Option<bool>,
}

/// The tactics of the matrix, in matrix order.
#[utoipa::path(get, path = "/api/v1/tactics", tag = "catalog",
    responses((status = 200, body = Vec<TacticView>)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn tactics(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<Vec<TacticView>>, ApiError> {
    let tactics = services.catalog.tactics(&Initiator::User(actor)).await?;
    Ok(web::Json(tactics.into_iter().map(Into::into).collect()))
}

/// Techniques, filtered and paginated, ordered by ATT&CK id.
#[utoipa::path(get, path = "/api/v1/techniques", tag = "catalog", params(TechniqueQuery, PageQuery),
    responses((status = 200, body = Paginated<TechniqueSummaryView>)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn techniques(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<TechniqueQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Paginated<TechniqueSummaryView>>, ApiError> {
    let query = query.into_inner();
    let sort = query
        .sort
        .as_deref()
        .map(str::parse::<aegis_domain::ports::TechniqueSort>)
        .transpose()
        .map_err(|e| {
            ApiError::validation(vec![aegis_application::error::FieldError::new(
                "sort",
                e.to_string(),
            )])
        })?
        .unwrap_or_default();
    let coverage = query
        .coverage_status
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|text| {
            CoverageStatus::parse(text.trim()).ok_or_else(|| {
                ApiError::validation(vec![aegis_application::error::FieldError::new(
                    "coverage_status",
                    "must be not_covered, in_progress, partial, validated or stale",
                )])
            })
        })
        .transpose()?;
    let filter = TechniqueFilter {
        coverage: coverage.map(|status| (actor.tenant_id, status)),
        sort,
        tactic: query.tactic.filter(|t| !t.trim().is_empty()),
        platform: query.platform.filter(|p| !p.trim().is_empty()),
        text: query.q.filter(|q| !q.trim().is_empty()),
        include_subtechniques: query.include_subtechniques.unwrap_or(false),
        include_revoked: query.include_revoked.unwrap_or(false),
        review_required: query.review_required,
    };
    let scores = services.coverage.scores(&actor).await?;
    let page = services
        .catalog
        .techniques(&Initiator::User(actor), &filter, page.request())
        .await?;
    Ok(web::Json(Paginated::from_page(page, |t| {
        let stored = scores.get(&t.mitre_id).map(|s| &s.score);
        let mut view = TechniqueSummaryView::from(t);
        view.coverage_status = Some(
            stored
                .map_or(CoverageStatus::NotCovered, |s| s.status)
                .as_str()
                .to_owned(),
        );
        view.score = Some(stored.map_or(0.0, |s| s.score));
        view
    })))
}

/// One technique by ATT&CK id, with sub-techniques, mitigations, the actors and software
/// that use it.
#[utoipa::path(get, path = "/api/v1/techniques/{mitre_id}", tag = "catalog",
    params(("mitre_id" = String, Path, description = "T1059 or T1059.001")),
    responses((status = 200, body = TechniqueDetailView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn technique(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    mitre_id: web::Path<String>,
) -> Result<web::Json<TechniqueDetailView>, ApiError> {
    let detail = services.catalog.technique(&actor, &mitre_id).await?;
    Ok(web::Json(detail.into()))
}

/// Threat actors (ATT&CK groups), filtered and paginated.
#[utoipa::path(get, path = "/api/v1/threat-actors", tag = "catalog", params(ThreatActorQuery, PageQuery),
    responses((status = 200, body = Paginated<ThreatActorView>)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn threat_actors(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<ThreatActorQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Paginated<ThreatActorView>>, ApiError> {
    let query = query.into_inner();
    let filter = ThreatActorFilter {
        text: query.q.filter(|q| !q.trim().is_empty()),
        include_revoked: query.include_revoked.unwrap_or(false),
    };
    let page = services
        .catalog
        .threat_actors(&Initiator::User(actor), &filter, page.request())
        .await?;
    Ok(web::Json(Paginated::from_page(page, Into::into)))
}

/// One threat actor by ATT&CK id (G0016) or STIX id, with the techniques it uses.
#[utoipa::path(get, path = "/api/v1/threat-actors/{id}", tag = "catalog",
    params(("id" = String, Path, description = "G0016 or a STIX id")),
    responses((status = 200, body = ThreatActorDetailView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn threat_actor(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<String>,
) -> Result<web::Json<ThreatActorDetailView>, ApiError> {
    let detail = services
        .catalog
        .threat_actor(&Initiator::User(actor), &id)
        .await?;
    let references = detail
        .actor
        .references
        .iter()
        .map(|r| ReferenceView {
            source: r.source.clone(),
            url: r.url.clone(),
            description: r.description.clone(),
        })
        .collect();
    let union = |pick: fn(&aegis_domain::threat_intel::IntelActor) -> &Vec<String>| {
        let mut all: Vec<String> = detail.intel.iter().flat_map(|i| pick(i).clone()).collect();
        all.sort();
        all.dedup();
        all
    };
    let target_sectors = union(|i| &i.sectors);
    let target_regions = union(|i| &i.regions);
    let intel = detail
        .intel
        .into_iter()
        .map(|i| IntelSourceView {
            stix_id: i.stix_id,
            kind: i.kind,
            name: i.name,
            aliases: i.aliases,
            path: i.path,
            techniques: i.techniques,
            legacy_techniques: i.legacy_techniques.into_iter().map(Into::into).collect(),
            references: i.references,
        })
        .collect();
    Ok(web::Json(ThreatActorDetailView {
        references,
        techniques: detail.techniques.into_iter().map(Into::into).collect(),
        actor: detail.actor.into(),
        target_sectors,
        target_regions,
        intel,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReviewRequest {
    pub review_required: bool,
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CustomTechniqueRequest {
    /// The new technique's id (create only), e.g. T9001 or T1059.901 under T1059.
    #[serde(default)]
    pub mitre_id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Tactic shortnames of the catalog, e.g. execution.
    pub tactics: Vec<String>,
    #[serde(default)]
    pub platforms: Vec<String>,
    #[serde(default)]
    pub detection: String,
    /// Data components that observe it, e.g. `Process Creation`.
    #[serde(default)]
    pub data_components: Vec<String>,
}

impl From<CustomTechniqueRequest> for CustomTechnique {
    fn from(r: CustomTechniqueRequest) -> Self {
        Self {
            mitre_id: r.mitre_id,
            name: r.name,
            description: r.description,
            tactics: r.tactics,
            platforms: r.platforms,
            detection: r.detection,
            data_components: r.data_components,
        }
    }
}

/// Flag a technique for review, or clear the flag (leads, admin).
#[utoipa::path(patch, path = "/api/v1/techniques/{mitre_id}/review", tag = "catalog",
    params(("mitre_id" = String, Path)), request_body = ReviewRequest,
    responses((status = 200, body = TechniqueDetailView), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn review(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    crate::client::Context(context): crate::client::Context,
    mitre_id: web::Path<String>,
    body: web::Json<ReviewRequest>,
) -> Result<web::Json<TechniqueDetailView>, ApiError> {
    let body = body.into_inner();
    let overview = services
        .catalog
        .flag_for_review(
            &actor,
            &mitre_id,
            body.review_required,
            body.reason,
            &context,
        )
        .await?;
    Ok(web::Json(overview.into()))
}

/// Add an organization's own technique (admin).
#[utoipa::path(post, path = "/api/v1/techniques", tag = "catalog", request_body = CustomTechniqueRequest,
    responses((status = 201, body = TechniqueDetailView), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn create_technique(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    crate::client::Context(context): crate::client::Context,
    body: web::Json<CustomTechniqueRequest>,
) -> Result<actix_web::HttpResponse, ApiError> {
    let overview = services
        .catalog
        .create_custom_technique(&actor, body.into_inner().into(), &context)
        .await?;
    Ok(actix_web::HttpResponse::Created().json(TechniqueDetailView::from(overview)))
}

/// Change an organization's own technique (admin); imported ones change only by import.
#[utoipa::path(patch, path = "/api/v1/techniques/{mitre_id}", tag = "catalog", params(("mitre_id" = String, Path)),
    request_body = CustomTechniqueRequest,
    responses((status = 200, body = TechniqueDetailView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn update_technique(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    crate::client::Context(context): crate::client::Context,
    mitre_id: web::Path<String>,
    body: web::Json<CustomTechniqueRequest>,
) -> Result<web::Json<TechniqueDetailView>, ApiError> {
    let overview = services
        .catalog
        .update_custom_technique(&actor, &mitre_id, body.into_inner().into(), &context)
        .await?;
    Ok(web::Json(overview.into()))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/tactics", web::get().to(tactics))
        .route("/techniques", web::get().to(techniques))
        .route("/techniques", web::post().to(create_technique))
        .route("/techniques/{mitre_id}", web::get().to(technique))
        .route("/techniques/{mitre_id}", web::patch().to(update_technique))
        .route("/techniques/{mitre_id}/review", web::patch().to(review))
        .route("/threat-actors", web::get().to(threat_actors))
        .route("/threat-actors/{id}", web::get().to(threat_actor));
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRunView {
    pub id: uuid::Uuid,
    pub source: String,
    /// running, succeeded or failed.
    pub status: String,
    pub requested_by: Option<uuid::Uuid>,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Counts per kind (created, updated, unchanged, revoked), techniques flagged for review,
    /// and skipped objects with their reasons.
    #[schema(value_type = Option<Object>)]
    pub report: Option<serde_json::Value>,
    pub error: Option<String>,
}

impl From<aegis_domain::ports::ImportRun> for ImportRunView {
    fn from(run: aegis_domain::ports::ImportRun) -> Self {
        Self {
            id: run.id,
            source: run.source,
            status: run.status.as_str().to_owned(),
            requested_by: run.requested_by.map(|u| u.as_uuid()),
            started_at: run.started_at,
            finished_at: run.finished_at,
            report: run.report,
            error: run.error,
        }
    }
}

/// The latest catalog imports, newest first (admin).
#[utoipa::path(get, path = "/api/v1/system/imports", tag = "catalog",
    responses((status = 200, body = Vec<ImportRunView>), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn imports(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<Vec<ImportRunView>>, ApiError> {
    Ok(web::Json(
        services
            .catalog
            .imports(&actor)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// One catalog import and how it went (admin).
#[utoipa::path(get, path = "/api/v1/system/imports/{id}", tag = "catalog", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = ImportRunView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn import(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<uuid::Uuid>,
) -> Result<web::Json<ImportRunView>, ApiError> {
    Ok(web::Json(
        services.catalog.import(&actor, *id).await?.into(),
    ))
}

pub fn configure_system(config: &mut web::ServiceConfig) {
    config
        .route("/imports", web::get().to(imports))
        .route("/imports/{id}", web::get().to(import));
}
