//! `/api/v1/tactics`, `/api/v1/techniques` and `/api/v1/threat-actors`: the ATT&CK catalog.

use actix_web::{HttpRequest, HttpResponse, web};

use aegis_application::Services;
use aegis_application::context::Initiator;
use aegis_application::read_models::ReadModel;
use aegis_domain::ports::{TechniqueFilter, ThreatActorFilter};
use aegis_domain::scoring::CoverageStatus;

use crate::auth::Authenticated;
use crate::problem::{ApiError, Problem};
use crate::read_cache::{ReadCache, answer};
use crate::views::catalog::{
    CustomTechniqueRequest, ImportRunView, IntelSourceView, ReferenceView, ReviewRequest,
    TacticView, TechniqueDetailView, TechniqueQuery, TechniqueSummaryView, ThreatActorDetailView,
    ThreatActorQuery, ThreatActorView,
};
use crate::views::{PageQuery, Paginated};

/// The tactics of the matrix, in matrix order.
#[utoipa::path(get, path = "/api/v1/tactics", tag = "catalog",
    responses((status = 200, body = Vec<TacticView>, headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 304, description = "Not modified: the `If-None-Match` or `If-Modified-Since` copy is current")),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn tactics(
    request: HttpRequest,
    services: web::Data<Services>,
    cache: web::Data<ReadCache>,
    Authenticated(actor): Authenticated,
) -> Result<HttpResponse, ApiError> {
    let tag = services.read_models.tag(&actor, ReadModel::Catalog).await?;
    answer(&request, &cache, &actor, tag, || async {
        let tactics = services
            .catalog
            .tactics(&Initiator::User(actor.clone()))
            .await?;
        Ok(tactics
            .into_iter()
            .map(TacticView::from)
            .collect::<Vec<_>>())
    })
    .await
}

/// Techniques, filtered and paginated, ordered by ATT&CK id.
#[utoipa::path(get, path = "/api/v1/techniques", tag = "catalog", params(TechniqueQuery, PageQuery),
    responses((status = 200, body = Paginated<TechniqueSummaryView>, headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 304, description = "Not modified: the `If-None-Match` or `If-Modified-Since` copy is current"),
        (status = 422, body = Problem, description = "an unknown `sort` or `coverage_status`")),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn techniques(
    request: HttpRequest,
    services: web::Data<Services>,
    cache: web::Data<ReadCache>,
    Authenticated(actor): Authenticated,
    query: web::Query<TechniqueQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
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
        // A closed set, documented as such: a blank or padded value is refused like any other.
        .map(|text| {
            CoverageStatus::parse(text).ok_or_else(|| {
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
    let tag = services.read_models.tag(&actor, ReadModel::Catalog).await?;
    answer(&request, &cache, &actor, tag, || async {
        techniques_page(&services, actor.clone(), &filter, page.request()).await
    })
    .await
}

async fn techniques_page(
    services: &Services,
    actor: aegis_application::context::Actor,
    filter: &TechniqueFilter,
    page: aegis_domain::page::PageRequest,
) -> Result<Paginated<TechniqueSummaryView>, ApiError> {
    let scores = services.coverage.scores(&actor).await?;
    let page = services
        .catalog
        .techniques(&Initiator::User(actor), filter, page)
        .await?;
    Ok(Paginated::from_page(page, |t| {
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
    }))
}

/// One technique by ATT&CK id, with sub-techniques, mitigations, the actors and software
/// that use it.
#[utoipa::path(get, path = "/api/v1/techniques/{mitre_id}", tag = "catalog",
    params(("mitre_id" = String, Path, description = "T1059 or T1059.001")),
    responses((status = 200, body = TechniqueDetailView, headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 304, description = "Not modified: the `If-None-Match` or `If-Modified-Since` copy is current"),
        (status = 404, body = Problem),
        (status = 422, body = Problem, description = "not an ATT&CK technique id")),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn technique(
    request: HttpRequest,
    services: web::Data<Services>,
    cache: web::Data<ReadCache>,
    Authenticated(actor): Authenticated,
    mitre_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let tag = services.read_models.tag(&actor, ReadModel::Catalog).await?;
    answer(&request, &cache, &actor, tag, || async {
        let detail = services.catalog.technique(&actor, &mitre_id).await?;
        Ok(TechniqueDetailView::from(detail))
    })
    .await
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
    responses((status = 200, body = TechniqueDetailView), (status = 404, body = Problem),
        (status = 422, body = Problem, description = "not an ATT&CK technique id")),
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
