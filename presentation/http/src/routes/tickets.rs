//! `/api/v1/tickets`: findings, tests and remediation steps linked to issues in a tracker;
//! the Jira configuration (admins); and `POST /api/v1/findings/{id}/ticket`, which creates a
//! Jira issue from a finding.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use uuid::Uuid;

use aegis_application::Services;
use aegis_application::tickets::{NewTicketLink, SubjectQuery};
use aegis_domain::finding::FindingId;

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::tickets::{
    JiraConfigRequest, JiraConfigView, LinkTicketRequest, TicketListView, TicketSubjectQuery,
    TicketView,
};

/// The tickets of one subject: `finding_id`, `test_id`, or `finding_id` with `step_id`.
#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", params(TicketSubjectQuery),
    responses((status = 200, body = TicketListView), (status = 403, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<TicketSubjectQuery>,
) -> Result<web::Json<TicketListView>, ApiError> {
    let list = services
        .tickets
        .list(&actor, query.into_inner().into())
        .await?;
    Ok(web::Json(TicketListView {
        items: list.items.into_iter().map(Into::into).collect(),
        jira_configured: list.jira_configured,
    }))
}

/// Link a subject to an issue of any tracker by its key and URL (leads, admin).
#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", request_body = LinkTicketRequest,
    responses((status = 201, body = TicketView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn link(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<LinkTicketRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let request = NewTicketLink {
        subject: SubjectQuery {
            finding_id: body.finding_id,
            test_id: body.test_id,
            step_id: body.step_id,
        },
        system: body.system,
        key: body.key,
        url: body.url,
        status: body.status,
    };
    let ticket = services.tickets.link(&actor, request, &context).await?;
    Ok(HttpResponse::build(StatusCode::CREATED).json(TicketView::from(ticket)))
}

/// Remove a link; the issue stays in its tracker (leads, admin).
#[utoipa::path(delete, path = "/api/v1/tickets/{id}", tag = "tickets", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn unlink(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    services.tickets.unlink(&actor, *id, &context).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The Jira (and Tempo) configuration, without its tokens (admins).
#[utoipa::path(get, path = "/api/v1/tickets/jira/config", tag = "tickets",
    responses((status = 200, body = JiraConfigView), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn jira_config(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<JiraConfigView>, ApiError> {
    Ok(web::Json(
        services.tickets.jira_config(&actor).await?.into(),
    ))
}

/// Save the Jira configuration (admins). Tokens are sealed and never returned; an address
/// that is, or resolves only to, an internal one is refused with 422 unless the webhooks'
/// allow-list names it.
#[utoipa::path(put, path = "/api/v1/tickets/jira/config", tag = "tickets",
    request_body = JiraConfigRequest,
    responses((status = 200, body = JiraConfigView), (status = 403, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn set_jira_config(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<JiraConfigRequest>,
) -> Result<web::Json<JiraConfigView>, ApiError> {
    let saved = services
        .tickets
        .set_jira_config(&actor, body.into_inner().into(), &context)
        .await?;
    Ok(web::Json(Some(saved).into()))
}

/// Create a Jira issue from a finding (its technique, outcome, and links to the test and its
/// evidence in Aegis) and link it (leads, admin). 409 when Jira is not configured or the
/// finding already has a Jira issue; 502 with Jira's own message when Jira refuses or cannot
/// be reached.
#[utoipa::path(post, path = "/api/v1/findings/{id}/ticket", tag = "tickets", params(("id" = Uuid, Path)),
    responses((status = 201, body = TicketView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 502, description = "`TRACKER_REJECTED` or `TRACKER_UNREACHABLE`: Jira refused the issue (its own messages follow) or could not be reached", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn create_from_finding(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let ticket = services
        .tickets
        .create_from_finding(&actor, FindingId::from_uuid(*id), &context)
        .await?;
    Ok(HttpResponse::build(StatusCode::CREATED).json(TicketView::from(ticket)))
}

pub fn configure(config: &mut web::ServiceConfig) {
    // The configuration first: `/{id}` would take `jira` for an id.
    config
        .route("/jira/config", web::get().to(jira_config))
        .route("/jira/config", web::put().to(set_jira_config))
        .route("", web::get().to(list))
        .route("", web::post().to(link))
        .route("/{id}", web::delete().to(unlink));
}
