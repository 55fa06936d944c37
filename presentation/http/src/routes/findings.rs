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
    SarifImportView, SarifUploadForm, UpdateFindingRequest, UpdateStepRequest,
};
use crate::views::{PageQuery, Paginated};
use aegis_application::error::FieldError;

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

/// The most a SARIF upload may carry (the parser's own bound).
const MAX_SARIF_UPLOAD: usize = 32 * 1024 * 1024;

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        format!("a SARIF file is at most {MAX_SARIF_UPLOAD} bytes"),
    )
}

/// Reads a body stream whole, refusing it past the upload bound.
async fn bounded<S, E>(mut stream: S) -> Result<Vec<u8>, ApiError>
where
    S: futures::Stream<Item = Result<actix_web::web::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    use futures::StreamExt;
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("UNREADABLE_BODY", e.to_string()))?;
        if bytes.len() + chunk.len() > MAX_SARIF_UPLOAD {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// The SARIF file of a request: the `file` field of a multipart form, or the body itself.
async fn sarif_file(request: &HttpRequest, payload: web::Payload) -> Result<Vec<u8>, ApiError> {
    use futures::StreamExt;
    let multipart = request
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart {
        return bounded(payload).await;
    }
    let mut form = actix_multipart::Multipart::new(request.headers(), payload);
    while let Some(field) = form.next().await {
        let field = field.map_err(|e| ApiError::bad_request("UNREADABLE_BODY", e.to_string()))?;
        if field.name() == Some("file") {
            return bounded(field).await;
        }
    }
    Err(ApiError::validation(vec![FieldError::new(
        "file",
        "is required: send the SARIF file as the body, or as the `file` field of a multipart form",
    )]))
}

/// Import a scanner's SARIF 2.1.0 file as findings of kind vulnerability (leads, admin, or a
/// key with the `findings:write` scope). Idempotent: results already imported are matched by
/// fingerprint, and findings of the file's scans that it no longer reports are resolved.
#[utoipa::path(post, path = "/api/v1/findings/import/sarif", tag = "findings",
    request_body(description = "A SARIF 2.1.0 log as the body, or as the `file` field of a multipart form (at most 32 MiB)",
        content(
            (Object = "application/sarif+json"),
            (Object = "application/json"),
            (SarifUploadForm = "multipart/form-data"),
        )),
    responses((status = 200, body = SarifImportView), (status = 403, body = Problem),
        (status = 413, body = Problem),
        (status = 422, body = Problem, description = "VALIDATION_FAILED naming `file`: not a SARIF 2.1.0 log, or no `file` field")),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn import_sarif(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<web::Json<SarifImportView>, ApiError> {
    let file = sarif_file(&request, payload).await?;
    let import = services
        .findings
        .import_scan(&actor, &file, &context)
        .await?;
    Ok(web::Json(import.into()))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("", web::get().to(list))
        .route("/import/sarif", web::post().to(import_sarif))
        .route("/{id}", web::get().to(get))
        .route("/{id}", web::patch().to(update))
        .route("/{id}/accept-risk", web::post().to(accept_risk))
        .route("/{id}/retest", web::post().to(retest))
        .route("/{id}/steps", web::post().to(add_step))
        .route("/{id}/steps/{step_id}", web::patch().to(update_step))
        .route("/{id}/steps/{step_id}", web::delete().to(remove_step));
}
