//! Evidence files: streamed multipart upload, listing, metadata with the custody log,
//! streamed download, verification and deletion.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use futures::StreamExt;
use uuid::Uuid;

use aegis_application::Services;
use aegis_application::error::FieldError;
use aegis_application::ports::{ByteChunks, EvidenceStoreError};
use aegis_domain::evidence::EvidenceId;
use aegis_domain::test_case::TestId;
use aegis_domain::workflow::Team;

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::evidence::{
    DeleteEvidenceRequest, DownloadLinkView, EvidenceQuery, EvidenceVerificationView, EvidenceView,
};

/// Chunks in flight between the request body and the store: memory stays bounded.
const PIPE_DEPTH: usize = 4;

fn parse_team(text: Option<&str>) -> Result<Option<Team>, ApiError> {
    match text {
        None => Ok(None),
        Some("red") => Ok(Some(Team::Red)),
        Some("blue") => Ok(Some(Team::Blue)),
        Some(_) => Err(ApiError::validation(vec![FieldError::new(
            "team",
            "must be red or blue",
        )])),
    }
}

/// Upload evidence (`multipart/form-data`, field `file`), streamed; by the team whose phase
/// it is. The SHA-256 is computed on the way and the type sniffed from the bytes.
#[utoipa::path(post, path = "/api/v1/tests/{id}/evidence", tag = "evidence", params(("id" = Uuid, Path), EvidenceQuery),
    request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses(
        (status = 201, body = EvidenceView),
        (status = 403, body = Problem),
        (status = 409, body = Problem, description = "EVIDENCE_LOCKED outside the teams' phases"),
        (status = 422, body = Problem, description = "FILE_TOO_LARGE or no `file` field"),
    ),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn upload(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
    query: web::Query<EvidenceQuery>,
    mut payload: Multipart,
) -> Result<HttpResponse, ApiError> {
    let team = parse_team(query.team.as_deref())?;
    while let Some(field) = payload.next().await {
        let mut field =
            field.map_err(|e| ApiError::bad_request("UNREADABLE_BODY", e.to_string()))?;
        if field.name() != Some("file") {
            continue;
        }
        let filename = field
            .content_disposition()
            .and_then(|disposition| disposition.get_filename())
            .unwrap_or("evidence")
            .to_owned();
        // The multipart stream is bound to this worker thread; a small channel hands its
        // chunks to the store, which may run anywhere.
        let (sender, mut receiver) =
            tokio::sync::mpsc::channel::<Result<Vec<u8>, EvidenceStoreError>>(PIPE_DEPTH);
        let body: ByteChunks = Box::pin(futures::stream::poll_fn(move |cx| receiver.poll_recv(cx)));
        let pump = async move {
            while let Some(chunk) = field.next().await {
                let item = chunk
                    .map(|bytes| bytes.to_vec())
                    .map_err(|e| EvidenceStoreError::Unavailable(e.to_string()));
                let failed = item.is_err();
                if sender.send(item).await.is_err() || failed {
                    break;
                }
            }
        };
        let upload = services.evidence.upload(
            &actor,
            TestId::from_uuid(*id),
            &filename,
            team,
            body,
            &context,
        );
        let ((), record) = futures::join!(pump, upload);
        return Ok(HttpResponse::Created().json(EvidenceView::from(record?)));
    }
    Err(ApiError::validation(vec![FieldError::new(
        "file",
        "is required: send multipart/form-data with a `file` field",
    )]))
}

/// The test's evidence, optionally of one team.
#[utoipa::path(get, path = "/api/v1/tests/{id}/evidence", tag = "evidence", params(("id" = Uuid, Path), EvidenceQuery),
    responses((status = 200, body = Vec<EvidenceView>), (status = 404, body = Problem),
        (status = 422, body = Problem, description = "an unknown `team`")),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
    query: web::Query<EvidenceQuery>,
) -> Result<web::Json<Vec<EvidenceView>>, ApiError> {
    let team = parse_team(query.team.as_deref())?;
    let items = services
        .evidence
        .list(&actor, TestId::from_uuid(*id), team)
        .await?;
    Ok(web::Json(
        items
            .into_iter()
            .map(|e| EvidenceView::new(e, None))
            .collect(),
    ))
}

/// A file's metadata and chain of custody.
#[utoipa::path(get, path = "/api/v1/evidence/{id}", tag = "evidence", params(("id" = Uuid, Path)),
    responses((status = 200, body = EvidenceView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<web::Json<EvidenceView>, ApiError> {
    Ok(web::Json(
        services
            .evidence
            .get(&actor, EvidenceId::from_uuid(*id))
            .await?
            .into(),
    ))
}

/// The file itself, streamed through Aegis; the download joins the custody log.
#[utoipa::path(get, path = "/api/v1/evidence/{id}/download", tag = "evidence", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The file, with the media type it was uploaded with", content_type = "*/*"),
        (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn download(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (evidence, body) = services
        .evidence
        .download(&actor, EvidenceId::from_uuid(*id), &context)
        .await?;
    let disposition = header::ContentDisposition::attachment(evidence.filename.clone());
    Ok(HttpResponse::Ok()
        .content_type(evidence.content_type.clone())
        .insert_header(disposition)
        .insert_header(("X-Content-SHA256", evidence.sha256.clone()))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .streaming(body.map(|chunk| chunk.map(bytes::Bytes::from))))
}

/// A link to fetch the file with: presigned on the store's public endpoint when the store is
/// S3 (recorded in the custody log), Aegis's streaming download otherwise.
#[utoipa::path(get, path = "/api/v1/evidence/{id}/download-link", tag = "evidence", params(("id" = Uuid, Path)),
    responses((status = 200, body = DownloadLinkView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn download_link(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<web::Json<DownloadLinkView>, ApiError> {
    let link = services
        .evidence
        .download_link(&actor, EvidenceId::from_uuid(*id), &context)
        .await?;
    Ok(web::Json(match link {
        Some(link) => DownloadLinkView {
            url: link.url,
            presigned: true,
            expires_at: Some(link.expires_at),
        },
        None => DownloadLinkView {
            url: format!("/api/v1/evidence/{}/download", *id),
            presigned: false,
            expires_at: None,
        },
    }))
}

/// Re-hash the stored file and record whether it is intact.
#[utoipa::path(post, path = "/api/v1/evidence/{id}/verify", tag = "evidence", params(("id" = Uuid, Path)),
    responses((status = 200, body = EvidenceVerificationView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn verify(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<web::Json<EvidenceVerificationView>, ApiError> {
    Ok(web::Json(
        services
            .evidence
            .verify(&actor, EvidenceId::from_uuid(*id), &context)
            .await?
            .into(),
    ))
}

/// Delete a file (admin, with a reason, before validation); its record and custody log stay.
#[utoipa::path(delete, path = "/api/v1/evidence/{id}", tag = "evidence", params(("id" = Uuid, Path)),
    request_body = DeleteEvidenceRequest,
    responses((status = 200, body = EvidenceView), (status = 403, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn delete(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
    body: web::Json<DeleteEvidenceRequest>,
) -> Result<web::Json<EvidenceView>, ApiError> {
    let evidence = services
        .evidence
        .delete(&actor, EvidenceId::from_uuid(*id), &body.reason, &context)
        .await?;
    Ok(web::Json(EvidenceView::new(evidence, None)))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/{id}", web::get().to(get))
        .route("/{id}", web::delete().to(delete))
        .route("/{id}/download", web::get().to(download))
        .route("/{id}/download-link", web::get().to(download_link))
        .route("/{id}/verify", web::post().to(verify));
}
