//! `/api/v1/reports`: executive summary, coverage and purple-team campaign reports as HTML
//! or PDF, generated in the background, downloaded with their digest and signature, and
//! verified against the stored document.

use actix_web::{HttpResponse, web};
use uuid::Uuid;

use aegis_application::Services;
use aegis_domain::report::ReportId;

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::reports::{ReportRequest, ReportView, VerificationView};
use crate::views::{PageQuery, Paginated};

/// Reports, newest first.
#[utoipa::path(get, path = "/api/v1/reports", tag = "reports", params(PageQuery),
    responses((status = 200, body = Paginated<ReportView>)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Paginated<ReportView>>, ApiError> {
    let reports = services.reports.list(&actor, page.request()).await?;
    Ok(web::Json(Paginated::from_page(reports, ReportView::from)))
}

/// Ask for a report (leads, admin): it is generated in the background; poll it until
/// `ready`, then download it.
#[utoipa::path(post, path = "/api/v1/reports", tag = "reports", request_body = ReportRequest,
    responses((status = 202, body = ReportView), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn request(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<ReportRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let report = services
        .reports
        .request(
            &actor,
            &body.kind,
            body.format.as_deref().unwrap_or("html"),
            body.campaign_id,
            &context,
        )
        .await?;
    Ok(HttpResponse::Accepted().json(ReportView::from(report)))
}

/// One report's state.
#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "reports", params(("id" = Uuid, Path)),
    responses((status = 200, body = ReportView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<web::Json<ReportView>, ApiError> {
    let report = services
        .reports
        .get(&actor, ReportId::from_uuid(*id))
        .await?;
    Ok(web::Json(report.into()))
}

/// The document, with its digest and signature in `X-Aegis-SHA256` and `X-Aegis-Signature`.
#[utoipa::path(get, path = "/api/v1/reports/{id}/download", tag = "reports", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The HTML or PDF document", content((String = "text/html"), (crate::views::Binary = "application/pdf"))),
        (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn download(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (report, bytes) = services
        .reports
        .download(&actor, ReportId::from_uuid(*id))
        .await?;
    let mut response = HttpResponse::Ok();
    response
        .content_type(report.format.content_type())
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{}\"", report.file_name()),
        ));
    if let Some(document) = &report.document {
        response
            .insert_header(("x-aegis-sha256", document.sha256.clone()))
            .insert_header(("x-aegis-signature", document.signature.clone()));
    }
    Ok(response.body(bytes))
}

/// Re-read the stored document and check its digest and the server's signature.
#[utoipa::path(post, path = "/api/v1/reports/{id}/verify", tag = "reports", params(("id" = Uuid, Path)),
    responses((status = 200, body = VerificationView), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn verify(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<web::Json<VerificationView>, ApiError> {
    let verification = services
        .reports
        .verify(&actor, ReportId::from_uuid(*id))
        .await?;
    Ok(web::Json(verification.into()))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("", web::get().to(list))
        .route("", web::post().to(request))
        .route("/{id}", web::get().to(get))
        .route("/{id}/download", web::get().to(download))
        .route("/{id}/verify", web::post().to(verify));
}
