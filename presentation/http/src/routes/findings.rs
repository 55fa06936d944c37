//! `/api/v1/findings`: what validated tests showed the defence missed or only logged, their
//! remediation steps, risk acceptance, and the retest that closes them.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

use aegis_application::Services;
use aegis_application::findings::{FindingChanges, FindingView, NewStep, StepChanges};
use aegis_domain::finding::FindingId;

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::routes::test_cases::expected_version;
use crate::views::findings::{
    AcceptRiskRequest, FindingListQuery, FindingResponse, NewStepRequest, RetestView,
    UpdateFindingRequest, UpdateStepRequest,
};
use crate::views::{PageQuery, Paginated};

fn tagged(status: StatusCode, view: FindingView) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((
            actix_web::http::header::ETAG,
            format!("\"{}\"", view.finding.version()),
        ))
        .json(FindingResponse::from(view))
}

fn finding_id(id: &Uuid) -> FindingId {
    FindingId::from_uuid(*id)
}

/// Findings, most severe first, with filters.
#[utoipa::path(get, path = "/api/v1/findings", tag = "findings", params(FindingListQuery, PageQuery),
    responses((status = 200, body = Paginated<FindingResponse>), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<FindingListQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Paginated<FindingResponse>>, ApiError> {
    let findings = services
        .findings
        .list(&actor, &query.into_inner().into(), page.request())
        .await?;
    Ok(web::Json(Paginated::from_page(
        findings,
        FindingResponse::from,
    )))
}

/// One finding with its steps.
#[utoipa::path(get, path = "/api/v1/findings/{id}", tag = "findings", params(("id" = Uuid, Path)),
    responses((status = 200, body = FindingResponse), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let view = services.findings.get(&actor, finding_id(&id)).await?;
    Ok(tagged(StatusCode::OK, view))
}

/// Owner, due date, severity, or start remediation / reopen an accepted risk (leads, admin).
#[utoipa::path(patch, path = "/api/v1/findings/{id}", tag = "findings", params(("id" = Uuid, Path)),
    request_body = UpdateFindingRequest,
    responses((status = 200, body = FindingResponse), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn update(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<UpdateFindingRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let version = expected_version(&request, body.version)?;
    let changes = FindingChanges {
        owner_id: body.owner_id,
        due_on: body.due_on,
        severity: body.severity,
        status: body.status,
    };
    let view = services
        .findings
        .update(&actor, finding_id(&id), changes, version, &context)
        .await?;
    Ok(tagged(StatusCode::OK, view))
}

/// Leave the gap open on purpose, for a reason, until a date (leads, admin).
#[utoipa::path(post, path = "/api/v1/findings/{id}/accept-risk", tag = "findings", params(("id" = Uuid, Path)),
    request_body = AcceptRiskRequest,
    responses((status = 200, body = FindingResponse), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn accept_risk(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
    body: web::Json<AcceptRiskRequest>,
) -> Result<HttpResponse, ApiError> {
    let view = services
        .findings
        .accept_risk(
            &actor,
            finding_id(&id),
            &body.reason,
            body.expires_on,
            &context,
        )
        .await?;
    Ok(tagged(StatusCode::OK, view))
}

/// The gap is fixed: create the retest (a new draft test of the same plan); the finding
/// resolves when it validates with a better outcome (leads, admin).
#[utoipa::path(post, path = "/api/v1/findings/{id}/retest", tag = "findings", params(("id" = Uuid, Path)),
    responses((status = 201, body = RetestView), (status = 409, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn retest(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (finding, retest) = services
        .findings
        .request_retest(&actor, finding_id(&id), &context)
        .await?;
    Ok(HttpResponse::Created().json(RetestView {
        finding: finding.into(),
        retest: retest.into(),
    }))
}

/// Add a remediation step at the end (leads, admin).
#[utoipa::path(post, path = "/api/v1/findings/{id}/steps", tag = "findings", params(("id" = Uuid, Path)),
    request_body = NewStepRequest,
    responses((status = 201, body = FindingResponse), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn add_step(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
    body: web::Json<NewStepRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let step = NewStep {
        title: body.title,
        assignee_id: body.assignee_id,
        notes: body.notes,
    };
    let view = services
        .findings
        .add_step(&actor, finding_id(&id), step, &context)
        .await?;
    Ok(tagged(StatusCode::CREATED, view))
}

/// Change a step (leads, admin; its assignee may change its status and notes).
#[utoipa::path(patch, path = "/api/v1/findings/{id}/steps/{step_id}", tag = "findings",
    params(("id" = Uuid, Path), ("step_id" = Uuid, Path)), request_body = UpdateStepRequest,
    responses((status = 200, body = FindingResponse), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn update_step(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<UpdateStepRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, step) = path.into_inner();
    let body = body.into_inner();
    let changes = StepChanges {
        title: body.title,
        assignee_id: body.assignee_id,
        status: body.status,
        notes: body.notes,
        position: body.position,
    };
    let view = services
        .findings
        .update_step(&actor, finding_id(&id), step, changes, &context)
        .await?;
    Ok(tagged(StatusCode::OK, view))
}

/// Remove a step (leads, admin).
#[utoipa::path(delete, path = "/api/v1/findings/{id}/steps/{step_id}", tag = "findings",
    params(("id" = Uuid, Path), ("step_id" = Uuid, Path)),
    responses((status = 200, body = FindingResponse), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn remove_step(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, step) = path.into_inner();
    let view = services
        .findings
        .remove_step(&actor, finding_id(&id), step, &context)
        .await?;
    Ok(tagged(StatusCode::OK, view))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("", web::get().to(list))
        .route("/{id}", web::get().to(get))
        .route("/{id}", web::patch().to(update))
        .route("/{id}/accept-risk", web::post().to(accept_risk))
        .route("/{id}/retest", web::post().to(retest))
        .route("/{id}/steps", web::post().to(add_step))
        .route("/{id}/steps/{step_id}", web::patch().to(update_step))
        .route("/{id}/steps/{step_id}", web::delete().to(remove_step));
}
