//! `/api/v1/knowledge`: playbooks with their versions, diffs and restores, lessons learned
//! (by hand, from a finding, from a completed campaign) and statistics; `/api/v1/search`: the
//! full-text search over the catalog and the organization's work.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

use aegis_application::Services;
use aegis_domain::campaign::CampaignId;
use aegis_domain::finding::FindingId;
use aegis_domain::knowledge::{Lesson, LessonId, Playbook, PlaybookId};

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::routes::test_cases::expected_version;
use crate::views::knowledge::{
    CreateLessonRequest, CreatePlaybookRequest, DiffQuery, KnowledgeStatsView, LessonListQuery,
    LessonView, PlaybookDiffView, PlaybookListQuery, PlaybookVersionView, PlaybookView,
    SearchHitView, SearchParams, SearchResponse, UpdateLessonRequest, UpdatePlaybookRequest,
};
use crate::views::{PageQuery, Paginated};

fn playbook(status: StatusCode, playbook: Playbook) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((
            actix_web::http::header::ETAG,
            format!("\"{}\"", playbook.version()),
        ))
        .json(PlaybookView::from(playbook))
}

fn lesson(status: StatusCode, lesson: Lesson) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((
            actix_web::http::header::ETAG,
            format!("\"{}\"", lesson.version()),
        ))
        .json(LessonView::from(lesson))
}

fn playbook_id(id: &Uuid) -> PlaybookId {
    PlaybookId::from_uuid(*id)
}

/// Playbooks by technique, then type, then title; deleted ones with `include_inactive`.
#[utoipa::path(get, path = "/api/v1/knowledge/playbooks", tag = "knowledge",
    params(PlaybookListQuery, PageQuery),
    responses((status = 200, body = Paginated<PlaybookView>), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list_playbooks(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<PlaybookListQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Paginated<PlaybookView>>, ApiError> {
    let found = services
        .knowledge
        .list_playbooks(&actor, &query.into_inner().into(), page.request())
        .await?;
    Ok(web::Json(Paginated::from_page(found, PlaybookView::from)))
}

/// Write a playbook (its version 1). Accepts `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/knowledge/playbooks", tag = "knowledge",
    request_body = CreatePlaybookRequest,
    responses((status = 201, body = PlaybookView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn create_playbook(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    request: HttpRequest,
    body: web::Json<CreatePlaybookRequest>,
) -> Result<HttpResponse, ApiError> {
    let key = crate::routes::idempotency_key(&request)?;
    let created = services
        .knowledge
        .create_playbook(&actor, body.into_inner().into(), key.as_ref(), &context)
        .await?;
    Ok(playbook(StatusCode::CREATED, created))
}

/// One playbook (active or deleted), its version as ETag.
#[utoipa::path(get, path = "/api/v1/knowledge/playbooks/{id}", tag = "knowledge",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = PlaybookView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get_playbook(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let found = services
        .knowledge
        .get_playbook(&actor, playbook_id(&id))
        .await?;
    Ok(playbook(StatusCode::OK, found))
}

/// Edit a playbook: any content change is a new immutable version; `active` deletes or
/// undeletes. Send the version read (`If-Match` or `version`) to refuse lost updates.
#[utoipa::path(patch, path = "/api/v1/knowledge/playbooks/{id}", tag = "knowledge",
    params(("id" = Uuid, Path)), request_body = UpdatePlaybookRequest,
    responses((status = 200, body = PlaybookView), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn update_playbook(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<UpdatePlaybookRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let version = expected_version(&request, body.version)?;
    let updated = services
        .knowledge
        .update_playbook(&actor, playbook_id(&id), body.into(), version, &context)
        .await?;
    Ok(playbook(StatusCode::OK, updated))
}

/// Delete a playbook (soft: it and its versions stay, listed with `include_inactive`).
#[utoipa::path(delete, path = "/api/v1/knowledge/playbooks/{id}", tag = "knowledge",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn delete_playbook(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    services
        .knowledge
        .delete_playbook(&actor, playbook_id(&id), &context)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Every version of a playbook, newest first.
#[utoipa::path(get, path = "/api/v1/knowledge/playbooks/{id}/versions", tag = "knowledge",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<PlaybookVersionView>), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn versions(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<PlaybookVersionView>>, ApiError> {
    let found = services
        .knowledge
        .versions(&actor, playbook_id(&id))
        .await?;
    Ok(web::Json(
        found.into_iter().map(PlaybookVersionView::from).collect(),
    ))
}

/// One version of a playbook.
#[utoipa::path(get, path = "/api/v1/knowledge/playbooks/{id}/versions/{number}", tag = "knowledge",
    params(("id" = Uuid, Path), ("number" = i32, Path)),
    responses((status = 200, body = PlaybookVersionView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn version(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    path: web::Path<(Uuid, i32)>,
) -> Result<web::Json<PlaybookVersionView>, ApiError> {
    let (id, number) = path.into_inner();
    let found = services
        .knowledge
        .version(&actor, playbook_id(&id), number)
        .await?;
    Ok(web::Json(found.into()))
}

/// Two versions compared: the fields that differ and the body line by line.
#[utoipa::path(get, path = "/api/v1/knowledge/playbooks/{id}/diff", tag = "knowledge",
    params(("id" = Uuid, Path), DiffQuery),
    responses((status = 200, body = PlaybookDiffView), (status = 404, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn diff(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
    query: web::Query<DiffQuery>,
) -> Result<web::Json<PlaybookDiffView>, ApiError> {
    let found = services
        .knowledge
        .diff(&actor, playbook_id(&id), query.from, query.to)
        .await?;
    Ok(web::Json(found.into()))
}

/// Make an earlier version's content current again, as a new version.
#[utoipa::path(post, path = "/api/v1/knowledge/playbooks/{id}/restore/{number}", tag = "knowledge",
    params(("id" = Uuid, Path), ("number" = i32, Path)),
    responses((status = 200, body = PlaybookView), (status = 404, body = Problem),
        (status = 409, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn restore(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    path: web::Path<(Uuid, i32)>,
) -> Result<HttpResponse, ApiError> {
    let (id, number) = path.into_inner();
    let restored = services
        .knowledge
        .restore(&actor, playbook_id(&id), number, &context)
        .await?;
    Ok(playbook(StatusCode::OK, restored))
}

/// Lessons learned, newest first.
#[utoipa::path(get, path = "/api/v1/knowledge/lessons", tag = "knowledge",
    params(LessonListQuery, PageQuery),
    responses((status = 200, body = Paginated<LessonView>), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list_lessons(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<LessonListQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Paginated<LessonView>>, ApiError> {
    let found = services
        .knowledge
        .list_lessons(&actor, &query.into_inner().into(), page.request())
        .await?;
    Ok(web::Json(Paginated::from_page(found, LessonView::from)))
}

/// Write a lesson, linked to a test, a campaign or nothing. Accepts `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/knowledge/lessons", tag = "knowledge",
    request_body = CreateLessonRequest,
    responses((status = 201, body = LessonView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn create_lesson(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    request: HttpRequest,
    body: web::Json<CreateLessonRequest>,
) -> Result<HttpResponse, ApiError> {
    let key = crate::routes::idempotency_key(&request)?;
    let created = services
        .knowledge
        .create_lesson(&actor, body.into_inner().into(), key.as_ref(), &context)
        .await?;
    Ok(lesson(StatusCode::CREATED, created))
}

/// Draw a lesson from a finding in one step (title, severity, test, technique, remediation).
#[utoipa::path(post, path = "/api/v1/knowledge/lessons/from-finding/{id}", tag = "knowledge",
    params(("id" = Uuid, Path, description = "The finding")),
    responses((status = 201, body = LessonView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn from_finding(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let created = services
        .knowledge
        .lesson_from_finding(&actor, FindingId::from_uuid(*id), &context)
        .await?;
    Ok(lesson(StatusCode::CREATED, created))
}

/// Draw a lesson from a completed campaign in one step (outcomes and gaps).
#[utoipa::path(post, path = "/api/v1/knowledge/lessons/from-campaign/{id}", tag = "knowledge",
    params(("id" = Uuid, Path, description = "The completed campaign")),
    responses((status = 201, body = LessonView), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "the campaign is not completed")),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn from_campaign(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let created = services
        .knowledge
        .lesson_from_campaign(&actor, CampaignId::from_uuid(*id), &context)
        .await?;
    Ok(lesson(StatusCode::CREATED, created))
}

/// One lesson, its version as ETag.
#[utoipa::path(get, path = "/api/v1/knowledge/lessons/{id}", tag = "knowledge",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = LessonView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get_lesson(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let found = services
        .knowledge
        .get_lesson(&actor, LessonId::from_uuid(*id))
        .await?;
    Ok(lesson(StatusCode::OK, found))
}

/// Edit a lesson's title, body or severity.
#[utoipa::path(patch, path = "/api/v1/knowledge/lessons/{id}", tag = "knowledge",
    params(("id" = Uuid, Path)), request_body = UpdateLessonRequest,
    responses((status = 200, body = LessonView), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn update_lesson(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<UpdateLessonRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let version = expected_version(&request, body.version)?;
    let updated = services
        .knowledge
        .update_lesson(
            &actor,
            LessonId::from_uuid(*id),
            body.into(),
            version,
            &context,
        )
        .await?;
    Ok(lesson(StatusCode::OK, updated))
}

/// Delete a lesson.
#[utoipa::path(delete, path = "/api/v1/knowledge/lessons/{id}", tag = "knowledge",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn delete_lesson(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    services
        .knowledge
        .delete_lesson(&actor, LessonId::from_uuid(*id), &context)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The organization's knowledge in numbers.
#[utoipa::path(get, path = "/api/v1/knowledge/stats", tag = "knowledge",
    responses((status = 200, body = KnowledgeStatsView)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn stats(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<KnowledgeStatsView>, ApiError> {
    let found = services.knowledge.stats(&actor).await?;
    Ok(web::Json(found.into()))
}

/// Full-text search over techniques, tests, playbooks, lessons, detection rules and
/// templates: ranked, typed hits (the organization's own work and the shared catalog).
#[utoipa::path(get, path = "/api/v1/search", tag = "knowledge", params(SearchParams),
    responses((status = 200, body = SearchResponse), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn search(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<SearchParams>,
) -> Result<web::Json<SearchResponse>, ApiError> {
    let query = query.into_inner();
    let hits = services
        .knowledge
        .search(&actor, &query.q, query.types.as_deref(), query.limit)
        .await?;
    Ok(web::Json(SearchResponse {
        items: hits.into_iter().map(SearchHitView::from).collect(),
    }))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/playbooks", web::get().to(list_playbooks))
        .route("/playbooks", web::post().to(create_playbook))
        .route("/playbooks/{id}", web::get().to(get_playbook))
        .route("/playbooks/{id}", web::patch().to(update_playbook))
        .route("/playbooks/{id}", web::delete().to(delete_playbook))
        .route("/playbooks/{id}/versions", web::get().to(versions))
        .route("/playbooks/{id}/versions/{number}", web::get().to(version))
        .route("/playbooks/{id}/diff", web::get().to(diff))
        .route("/playbooks/{id}/restore/{number}", web::post().to(restore))
        .route("/lessons", web::get().to(list_lessons))
        .route("/lessons", web::post().to(create_lesson))
        .route("/lessons/from-finding/{id}", web::post().to(from_finding))
        .route("/lessons/from-campaign/{id}", web::post().to(from_campaign))
        .route("/lessons/{id}", web::get().to(get_lesson))
        .route("/lessons/{id}", web::patch().to(update_lesson))
        .route("/lessons/{id}", web::delete().to(delete_lesson))
        .route("/stats", web::get().to(stats));
}
