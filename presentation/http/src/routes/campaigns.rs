//! `/api/v1/campaigns`: campaigns with the original's paths (activate, complete, schedule,
//! tests link and unlink, from-threat-actor), plus phases, ordering, dependencies,
//! recurrence, template export and import, the campaign's own coverage compared run over
//! run, and its timeline.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

use aegis_application::Services;
use aegis_application::campaigns::{
    CampaignChanges, FromThreatActor, NewCampaign, PhaseInput, ScheduleChanges,
};
use aegis_application::error::FieldError;
use aegis_domain::campaign::{Campaign, CampaignFilter, CampaignId, CampaignKind, CampaignStatus};
use aegis_domain::test_case::TestId;

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::routes::test_cases::expected_version;
use crate::views::campaigns::{
    CampaignCoverageView, CampaignDetailView, CampaignEventView, CampaignListQuery,
    CampaignTemplateView, CampaignView, CreateCampaignRequest, DependenciesRequest,
    FromThreatActorRequest, ImportRequest, LinkTestRequest, OrderRequest, PhaseView,
    PlannedCampaignView, ScheduleRequest, UpdateCampaignRequest,
};
use crate::views::{PageQuery, Paginated};

fn phases(views: Vec<PhaseView>) -> Vec<PhaseInput> {
    views
        .into_iter()
        .map(|p| PhaseInput {
            name: p.name,
            starts_on: p.starts_on,
            ends_on: p.ends_on,
            status: p.status,
        })
        .collect()
}

fn field(name: &str, message: impl Into<String>) -> ApiError {
    ApiError::validation(vec![FieldError::new(name, message)])
}

fn tagged(status: StatusCode, campaign: Campaign) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((
            actix_web::http::header::ETAG,
            format!("\"{}\"", campaign.version()),
        ))
        .json(CampaignView::from(campaign))
}

fn campaign_id(id: &Uuid) -> CampaignId {
    CampaignId::from_uuid(*id)
}

/// Campaigns, newest first.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns", params(CampaignListQuery, PageQuery),
    responses((status = 200, body = Paginated<CampaignView>), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<CampaignListQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Paginated<CampaignView>>, ApiError> {
    let query = query.into_inner();
    let filter = CampaignFilter {
        status: query
            .status
            .as_deref()
            .map(|s| {
                CampaignStatus::parse(s)
                    .ok_or_else(|| field("status", "must be draft, active, completed or archived"))
            })
            .transpose()?,
        kind: query
            .campaign_type
            .as_deref()
            .map(|k| {
                CampaignKind::parse(k).ok_or_else(|| {
                    field(
                        "campaign_type",
                        "must be purple_team, red_team, blue_team or tabletop",
                    )
                })
            })
            .transpose()?,
        text: query.q.filter(|q| !q.trim().is_empty()),
    };
    let campaigns = services
        .campaigns
        .list(&actor, &filter, page.request())
        .await?;
    Ok(web::Json(Paginated::from_page(
        campaigns,
        CampaignView::from,
    )))
}

/// Create a campaign in draft (leads, admin).
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", request_body = CreateCampaignRequest,
    responses((status = 201, body = CampaignView), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn create(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<CreateCampaignRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let new = NewCampaign {
        name: body.name,
        description: body.description,
        objective: body.objective,
        kind: body.campaign_type,
        starts_on: body.start_date,
        ends_on: body.end_date,
        phases: phases(body.phases),
        recurrence: body.recurrence.map(Into::into),
    };
    let campaign = services.campaigns.create(&actor, new, &context).await?;
    Ok(tagged(StatusCode::CREATED, campaign))
}

/// One campaign with its tests in order, their dependencies and the progress.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns", params(("id" = Uuid, Path)),
    responses((status = 200, body = CampaignDetailView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<web::Json<CampaignDetailView>, ApiError> {
    let detail = services.campaigns.get(&actor, campaign_id(&id)).await?;
    Ok(web::Json(detail.into()))
}

/// Change name, description, objective, type (in draft) or phases (leads, admin).
#[utoipa::path(patch, path = "/api/v1/campaigns/{id}", tag = "campaigns", params(("id" = Uuid, Path)),
    request_body = UpdateCampaignRequest,
    responses((status = 200, body = CampaignView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn update(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<UpdateCampaignRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let version = expected_version(&request, body.version)?;
    let changes = CampaignChanges {
        name: body.name,
        description: body.description,
        objective: body.objective,
        kind: body.campaign_type,
        phases: body.phases.map(phases),
    };
    let campaign = services
        .campaigns
        .update(&actor, campaign_id(&id), changes, version, &context)
        .await?;
    Ok(tagged(StatusCode::OK, campaign))
}

/// Delete a campaign in draft; its tests stay, unlinked (leads, admin).
#[utoipa::path(delete, path = "/api/v1/campaigns/{id}", tag = "campaigns", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 409, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn delete(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    services
        .campaigns
        .delete(&actor, campaign_id(&id), &context)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Start and end dates and the recurrence (leads, admin).
#[utoipa::path(patch, path = "/api/v1/campaigns/{id}/schedule", tag = "campaigns", params(("id" = Uuid, Path)),
    request_body = ScheduleRequest,
    responses((status = 200, body = CampaignView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn schedule(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
    body: web::Json<ScheduleRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let changes = ScheduleChanges {
        starts_on: body.start_date,
        ends_on: body.end_date,
        recurrence: body.recurrence.map(|r| r.map(Into::into)),
    };
    let campaign = services
        .campaigns
        .schedule(&actor, campaign_id(&id), changes, &context)
        .await?;
    Ok(tagged(StatusCode::OK, campaign))
}

/// Link a draft test to a campaign in draft (leads, admin).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/tests", tag = "campaigns", params(("id" = Uuid, Path)),
    request_body = LinkTestRequest,
    responses((status = 200, body = CampaignView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn link_test(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
    body: web::Json<LinkTestRequest>,
) -> Result<HttpResponse, ApiError> {
    let campaign = services
        .campaigns
        .link_test(
            &actor,
            campaign_id(&id),
            TestId::from_uuid(body.test_id),
            &context,
        )
        .await?;
    Ok(tagged(StatusCode::OK, campaign))
}

/// Unlink a test from a campaign in draft (leads, admin).
#[utoipa::path(delete, path = "/api/v1/campaigns/{id}/tests/{test_id}", tag = "campaigns",
    params(("id" = Uuid, Path), ("test_id" = Uuid, Path)),
    responses((status = 200, body = CampaignView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn unlink_test(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, test) = path.into_inner();
    let campaign = services
        .campaigns
        .unlink_test(&actor, campaign_id(&id), TestId::from_uuid(test), &context)
        .await?;
    Ok(tagged(StatusCode::OK, campaign))
}

/// Set the execution order of a campaign in draft (leads, admin).
#[utoipa::path(put, path = "/api/v1/campaigns/{id}/tests/order", tag = "campaigns", params(("id" = Uuid, Path)),
    request_body = OrderRequest,
    responses((status = 200, body = CampaignView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn reorder(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
    body: web::Json<OrderRequest>,
) -> Result<HttpResponse, ApiError> {
    let order = body
        .test_ids
        .iter()
        .copied()
        .map(TestId::from_uuid)
        .collect();
    let campaign = services
        .campaigns
        .reorder(&actor, campaign_id(&id), order, &context)
        .await?;
    Ok(tagged(StatusCode::OK, campaign))
}

/// Set what a draft test of a campaign depends on: tests of the same campaign, no cycles
/// (leads, admin). It cannot start execution until they are validated.
#[utoipa::path(put, path = "/api/v1/tests/{id}/dependencies", tag = "campaigns", params(("id" = Uuid, Path)),
    request_body = DependenciesRequest,
    responses((status = 200, body = CampaignDetailView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn set_dependencies(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
    body: web::Json<DependenciesRequest>,
) -> Result<web::Json<CampaignDetailView>, ApiError> {
    let depends_on = body
        .depends_on
        .iter()
        .copied()
        .map(TestId::from_uuid)
        .collect();
    let detail = services
        .campaigns
        .set_dependencies(&actor, TestId::from_uuid(*id), depends_on, &context)
        .await?;
    Ok(web::Json(detail.into()))
}

/// Draft → active (leads, admin; at least one test).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/activate", tag = "campaigns", params(("id" = Uuid, Path)),
    responses((status = 200, body = CampaignView), (status = 403, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn activate(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let campaign = services
        .campaigns
        .activate(&actor, campaign_id(&id), &context)
        .await?;
    Ok(tagged(StatusCode::OK, campaign))
}

/// Active → completed (red lead, admin); nothing changes afterwards.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/complete", tag = "campaigns", params(("id" = Uuid, Path)),
    responses((status = 200, body = CampaignView), (status = 403, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn complete(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let campaign = services
        .campaigns
        .complete(&actor, campaign_id(&id), &context)
        .await?;
    Ok(tagged(StatusCode::OK, campaign))
}

/// Archive a completed or abandoned draft campaign; its recurrence stops (leads, admin).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/archive", tag = "campaigns", params(("id" = Uuid, Path)),
    responses((status = 200, body = CampaignView), (status = 409, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn archive(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let campaign = services
        .campaigns
        .archive(&actor, campaign_id(&id), &context)
        .await?;
    Ok(tagged(StatusCode::OK, campaign))
}

/// Plan a draft campaign from a threat actor: one draft test per technique it uses, from
/// the best matching template when one exists (leads, admin).
#[utoipa::path(post, path = "/api/v1/campaigns/from-threat-actor", tag = "campaigns",
    request_body = FromThreatActorRequest,
    responses((status = 201, body = PlannedCampaignView), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn from_threat_actor(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<FromThreatActorRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let request = FromThreatActor {
        threat_actor_id: body.threat_actor_id,
        name: body.name,
        kind: body.campaign_type,
        platform: body.platform,
        skip_validated_within_days: body.skip_validated_within_days,
    };
    let planned = services
        .campaigns
        .from_threat_actor(&actor, request, &context)
        .await?;
    Ok(HttpResponse::Created().json(PlannedCampaignView::from(planned)))
}

/// The campaign's plan as a template to share: no blue results, evidence or notes.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/export", tag = "campaigns", params(("id" = Uuid, Path)),
    responses((status = 200, body = CampaignTemplateView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn export(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let template = services.campaigns.export(&actor, campaign_id(&id)).await?;
    let filename = format!("campaign-{}.json", *id);
    Ok(HttpResponse::Ok()
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{filename}\""),
        ))
        .json(CampaignTemplateView::from(template)))
}

/// Create a draft campaign from a template (leads, admin).
#[utoipa::path(post, path = "/api/v1/campaigns/import", tag = "campaigns", request_body = ImportRequest,
    responses((status = 201, body = CampaignDetailView), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn import(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<ImportRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let detail = services
        .campaigns
        .import(&actor, body.template.into(), body.start_date, &context)
        .await?;
    Ok(HttpResponse::Created().json(CampaignDetailView::from(detail)))
}

/// The campaign's own coverage (from its tests alone), compared with its previous run.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/coverage", tag = "campaigns", params(("id" = Uuid, Path)),
    responses((status = 200, body = CampaignCoverageView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn coverage(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<web::Json<CampaignCoverageView>, ApiError> {
    let coverage = services
        .campaigns
        .coverage(&actor, campaign_id(&id))
        .await?;
    Ok(web::Json(coverage.into()))
}

/// What happened: the lifecycle and every workflow step of the tests you may see.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/timeline", tag = "campaigns", params(("id" = Uuid, Path)),
    responses((status = 200, body = [CampaignEventView]), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn timeline(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<CampaignEventView>>, ApiError> {
    let events = services
        .campaigns
        .timeline(&actor, campaign_id(&id))
        .await?;
    Ok(web::Json(events.into_iter().map(Into::into).collect()))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("", web::get().to(list))
        .route("", web::post().to(create))
        .route("/from-threat-actor", web::post().to(from_threat_actor))
        .route("/import", web::post().to(import))
        .route("/{id}", web::get().to(get))
        .route("/{id}", web::patch().to(update))
        .route("/{id}", web::delete().to(delete))
        .route("/{id}/schedule", web::patch().to(schedule))
        .route("/{id}/tests", web::post().to(link_test))
        .route("/{id}/tests/order", web::put().to(reorder))
        .route("/{id}/tests/{test_id}", web::delete().to(unlink_test))
        .route("/{id}/activate", web::post().to(activate))
        .route("/{id}/complete", web::post().to(complete))
        .route("/{id}/archive", web::post().to(archive))
        .route("/{id}/export", web::get().to(export))
        .route("/{id}/coverage", web::get().to(coverage))
        .route("/{id}/timeline", web::get().to(timeline));
}
