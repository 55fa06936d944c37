//! `/api/v1/scans`: detection as code. A pipeline posts the diff of its detection repository
//! and polls the scan until it is decided; the signed artifact is the proof it can keep.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

use aegis_application::Services;
use aegis_application::error::FieldError;
use aegis_application::scans::SubmitScan;
use aegis_domain::scan::diff::MAX_DIFF_BYTES;
use aegis_domain::scan::{ScanId, ScanSource};

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::scans::{
    ArtifactQuery, ScanFindingView, ScanListQuery, ScanSourceQuery, ScanSubmission, ScanUploadForm,
    ScanVerificationView, ScanView, findings_of,
};
use crate::views::{PageQuery, Paginated};

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        format!("a diff is at most {MAX_DIFF_BYTES} bytes"),
    )
}

/// Reads a body stream whole, refusing it past the diff bound.
async fn bounded<S, E>(mut stream: S) -> Result<Vec<u8>, ApiError>
where
    S: futures::Stream<Item = Result<actix_web::web::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    use futures::StreamExt;
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("UNREADABLE_BODY", e.to_string()))?;
        if bytes.len() + chunk.len() > MAX_DIFF_BYTES {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// The diff and its metadata: a JSON submission, a multipart form's `file` and fields, or
/// the body with the query's metadata.
async fn submission(
    request: &HttpRequest,
    payload: web::Payload,
    query: ScanSourceQuery,
) -> Result<SubmitScan, ApiError> {
    use futures::StreamExt;
    let content_type = request
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("application/json") {
        let body = bounded(payload).await?;
        let submission: ScanSubmission = serde_json::from_slice(&body).map_err(|e| {
            ApiError::validation(vec![FieldError::new(
                "diff",
                format!("not a submission: {e}"),
            )])
        })?;
        let mut source: ScanSource = query.into();
        source.repository = submission.repository.or(source.repository);
        source.commit = submission.commit.or(source.commit);
        source.base = submission.base.or(source.base);
        source.pull_request = submission.pull_request.or(source.pull_request);
        return Ok(SubmitScan {
            diff: submission.diff.into_bytes(),
            source,
        });
    }
    if !content_type.starts_with("multipart/form-data") {
        return Ok(SubmitScan {
            diff: bounded(payload).await?,
            source: query.into(),
        });
    }
    let mut form = actix_multipart::Multipart::new(request.headers(), payload);
    let mut diff = None;
    let mut source: ScanSource = query.into();
    while let Some(field) = form.next().await {
        let field = field.map_err(|e| ApiError::bad_request("UNREADABLE_BODY", e.to_string()))?;
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = bounded(field).await?;
        let text = || String::from_utf8_lossy(&bytes).into_owned();
        match name.as_str() {
            "file" => diff = Some(bytes.clone()),
            "repository" => source.repository = Some(text()),
            "commit" => source.commit = Some(text()),
            "base" => source.base = Some(text()),
            "pull_request" => source.pull_request = Some(text()),
            _ => {}
        }
    }
    let diff = diff.ok_or_else(|| {
        ApiError::validation(vec![FieldError::new(
            "file",
            "is required: send the diff as the body, or as the `file` field of a multipart form",
        )])
    })?;
    Ok(SubmitScan { diff, source })
}

/// Submit a unified diff of detection content to be scanned (leads, admin, or a key with
/// `scans:write`). Answers 202 with the queued scan; poll it until `status` is `completed`
/// or `error`. Accepts `Idempotency-Key`: the same key and payload answer the first scan
/// (200), another payload 409.
#[utoipa::path(post, path = "/api/v1/scans", tag = "scans",
    params(ScanSourceQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "replays the first scan for the same payload; 409 for another")),
    request_body(description = "A unified diff (`git diff`) as the body, or as the `file` field of a multipart form with the metadata fields (at most 5 MiB)",
        content(
            (String = "text/x-diff"),
            (String = "text/plain"),
            (ScanUploadForm = "multipart/form-data"),
            (ScanSubmission = "application/json"),
        )),
    responses((status = 202, body = ScanView, description = "queued"),
        (status = 200, body = ScanView, description = "the first scan of this Idempotency-Key"),
        (status = 403, body = Problem), (status = 409, body = Problem),
        (status = 413, body = Problem),
        (status = 422, body = Problem, description = "VALIDATION_FAILED naming `diff` (not UTF-8, not a unified diff, no file) or a metadata field")),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn submit(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    request: HttpRequest,
    payload: web::Payload,
    query: web::Query<ScanSourceQuery>,
) -> Result<HttpResponse, ApiError> {
    let key = crate::routes::idempotency_key(&request)?;
    let submission = submission(&request, payload, query.into_inner()).await?;
    let submitted = services
        .scans
        .submit(&actor, submission, key.as_ref(), &context)
        .await?;
    let status = if submitted.replayed {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok(HttpResponse::build(status).json(ScanView::from(&submitted.scan)))
}

/// Scans, newest first.
#[utoipa::path(get, path = "/api/v1/scans", tag = "scans", params(ScanListQuery, PageQuery),
    responses((status = 200, body = Paginated<ScanView>), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<ScanListQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Paginated<ScanView>>, ApiError> {
    let filter = query.into_inner().filter().map_err(|(field, value)| {
        ApiError::validation(vec![FieldError::new(
            field,
            format!("`{value}` is not one of its values"),
        )])
    })?;
    let scans = services.scans.list(&actor, &filter, page.request()).await?;
    Ok(web::Json(Paginated::from_page(scans, |s| {
        ScanView::from(&s)
    })))
}

/// One scan.
#[utoipa::path(get, path = "/api/v1/scans/{id}", tag = "scans", params(("id" = Uuid, Path)),
    responses((status = 200, body = ScanView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<web::Json<ScanView>, ApiError> {
    let scan = services
        .scans
        .get(&actor, ScanId::from_uuid(id.into_inner()))
        .await?;
    Ok(web::Json(ScanView::from(&scan)))
}

/// A scan's findings, in file and line order (none until it completes).
#[utoipa::path(get, path = "/api/v1/scans/{id}/findings", tag = "scans", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<ScanFindingView>), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn scan_findings(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<ScanFindingView>>, ApiError> {
    let scan = services
        .scans
        .get(&actor, ScanId::from_uuid(id.into_inner()))
        .await?;
    Ok(web::Json(findings_of(&scan)))
}

/// The raw diff the scan was submitted with, exactly as stored (its SHA-256 is the scan's
/// `diff_sha256`). Diffs are kept for the retention period only; after it the scan and its
/// artifact remain and this answers 410.
#[utoipa::path(get, path = "/api/v1/scans/{id}/diff", tag = "scans", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The unified diff", content((String = "text/x-diff"))),
        (status = 404, body = Problem),
        (status = 410, body = Problem, description = "`SCAN_DIFF_EXPIRED`: the retention sweep deleted it")),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn diff(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let bytes = services
        .scans
        .diff(&actor, ScanId::from_uuid(id.into_inner()))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/x-diff; charset=utf-8")
        .body(bytes))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The signed canonical artifact of a finished scan, exactly as signed (keys sorted, no
/// whitespace; verify it with `POST /scans/{id}/verify` or `aegis scan verify`), or with
/// `?format=html` a page for people.
#[utoipa::path(get, path = "/api/v1/scans/{id}/artifact", tag = "scans",
    params(("id" = Uuid, Path), ArtifactQuery),
    responses((status = 200, description = "The artifact", content(
            (Object = "application/json"),
            (String = "text/html"),
        )),
        (status = 404, body = Problem),
        (status = 409, body = Problem, description = "SCAN_NOT_READY: queued or running"),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn artifact(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
    query: web::Query<ArtifactQuery>,
) -> Result<HttpResponse, ApiError> {
    let (scan, artifact) = services
        .scans
        .artifact(&actor, ScanId::from_uuid(id.into_inner()))
        .await?;
    match query.into_inner().format.as_deref() {
        None | Some("json") => Ok(HttpResponse::Ok()
            .content_type("application/json")
            .insert_header((
                actix_web::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"scan-{}.json\"", scan.id),
            ))
            .body(artifact)),
        Some("html") => {
            let rows: String = scan
                .findings
                .iter()
                .map(|f| {
                    format!(
                        "<tr><td>{}</td><td>{}</td><td>{}:{}</td><td>{}</td><td>{}</td></tr>",
                        escape(f.severity.as_str()),
                        escape(&f.rule_id),
                        escape(&f.file),
                        f.line.map(|l| l.to_string()).unwrap_or_default(),
                        escape(&f.message),
                        escape(&f.suggestion),
                    )
                })
                .collect();
            let decision = scan.decision.map_or("none", |d| d.as_str());
            let page = format!(
                "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Scan {id}</title></head><body>\
                 <h1>Scan {id}: {decision}</h1>\
                 <p>Repository {repository}, commit {commit}; diff SHA-256 <code>{sha}</code>.</p>\
                 <table><thead><tr><th>Severity</th><th>Rule</th><th>Where</th><th>Finding</th><th>Suggestion</th></tr></thead><tbody>{rows}</tbody></table>\
                 <h2>Signed artifact</h2><pre>{artifact}</pre></body></html>",
                id = scan.id,
                decision = escape(decision),
                repository = escape(scan.source.repository.as_deref().unwrap_or("-")),
                commit = escape(scan.source.commit.as_deref().unwrap_or("-")),
                sha = escape(&scan.diff_sha256),
                artifact = escape(&artifact),
            );
            Ok(HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .body(page))
        }
        Some(other) => Err(ApiError::validation(vec![FieldError::new(
            "format",
            format!("`{other}` is neither json nor html"),
        )])),
    }
}

/// Whether an artifact (the body, as downloaded) is this server's signed result of the scan,
/// unaltered: any changed byte makes it invalid.
#[utoipa::path(post, path = "/api/v1/scans/{id}/verify", tag = "scans", params(("id" = Uuid, Path)),
    request_body(description = "The artifact as `GET /scans/{id}/artifact` served it", content((Object = "application/json"))),
    responses((status = 200, body = ScanVerificationView), (status = 404, body = Problem),
        (status = 413, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn verify(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
    payload: web::Payload,
) -> Result<web::Json<ScanVerificationView>, ApiError> {
    let body = bounded(payload).await?;
    let verification = services
        .scans
        .verify(&actor, ScanId::from_uuid(id.into_inner()), &body)
        .await?;
    Ok(web::Json(verification.into()))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("", web::get().to(list))
        .route("", web::post().to(submit))
        .route("/{id}", web::get().to(get))
        .route("/{id}/findings", web::get().to(scan_findings))
        .route("/{id}/diff", web::get().to(diff))
        .route("/{id}/artifact", web::get().to(artifact))
        .route("/{id}/verify", web::post().to(verify));
}
