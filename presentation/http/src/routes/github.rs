//! `/api/v1/integrations/github`: the GitHub integration (admins) and its webhook, which
//! GitHub calls with no user: the `X-Hub-Signature-256` over the raw body is the
//! authentication.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use aegis_application::Services;
use aegis_application::github::{WebhookDelivery, WebhookOutcome};

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::github::{
    GithubConfigRequest, GithubConfigView, GithubDeliveryListView, GithubDeliveryQuery,
    GithubWebhookView,
};

/// The largest delivery taken (GitHub caps payloads at 25 MB; a pull request event is a few
/// kilobytes).
const MAX_DELIVERY_BYTES: usize = 5 * 1024 * 1024;

/// The GitHub integration, without its token or secret (admins).
#[utoipa::path(get, path = "/api/v1/integrations/github", tag = "github",
    responses((status = 200, body = GithubConfigView), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn config(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<GithubConfigView>, ApiError> {
    Ok(web::Json(services.github.config(&actor).await?.into()))
}

/// Save the GitHub integration (admins). The token and the webhook secret are sealed and never
/// returned; an API address that is, or resolves only to, an internal one is refused with 422
/// unless the webhooks' allow-list names it. The first save creates the service account scans
/// from GitHub are submitted as.
#[utoipa::path(put, path = "/api/v1/integrations/github", tag = "github",
    request_body = GithubConfigRequest,
    responses((status = 200, body = GithubConfigView), (status = 403, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn set_config(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<GithubConfigRequest>,
) -> Result<web::Json<GithubConfigView>, ApiError> {
    let saved = services
        .github
        .set_config(&actor, body.into_inner().into(), &context)
        .await?;
    Ok(web::Json(Some(saved).into()))
}

/// Remove the GitHub integration (admins): deliveries are no longer taken.
#[utoipa::path(delete, path = "/api/v1/integrations/github", tag = "github",
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn delete_config(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
) -> Result<HttpResponse, ApiError> {
    services.github.delete_config(&actor, &context).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The newest webhook deliveries and what became of them (admins).
#[utoipa::path(get, path = "/api/v1/integrations/github/deliveries", tag = "github",
    params(GithubDeliveryQuery),
    responses((status = 200, body = GithubDeliveryListView), (status = 403, body = Problem),
        (status = 422, body = Problem, description = "`limit` outside 1 to 200")),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn deliveries(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<GithubDeliveryQuery>,
) -> Result<web::Json<GithubDeliveryListView>, ApiError> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::validation(vec![
            aegis_application::error::FieldError::new("limit", "must be between 1 and 200"),
        ]));
    }
    let items = services.github.deliveries(&actor, limit).await?;
    Ok(web::Json(GithubDeliveryListView {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

fn header(request: &HttpRequest, name: &str) -> Option<String> {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// GitHub's webhook (content type `application/json`; events "Pull requests"). No user: the
/// body must be signed (`X-Hub-Signature-256`) with the secret of an integration serving the
/// payload's repository. A `pull_request` opened, synchronized or reopened is fetched as a
/// diff and scanned (202); the scan is reported back as a check run. Each `X-GitHub-Delivery`
/// is taken once: a replay or a redelivery answers 200 `duplicate` and does nothing, except
/// for a delivery whose diff could not be fetched (502), which its redelivery tries again.
#[utoipa::path(post, path = "/api/v1/integrations/github/webhook", tag = "github",
    params(
        ("X-GitHub-Event" = String, Header, description = "`pull_request`, `ping`, ..."),
        ("X-GitHub-Delivery" = String, Header, description = "the delivery's GUID: each is taken once"),
        ("X-Hub-Signature-256" = String, Header, description = "`sha256=` and the hex HMAC-SHA256 of the body under the webhook secret"),
    ),
    request_body(description = "GitHub's event payload (at most 5 MiB)", content_type = "application/json", content = Object),
    responses(
        (status = 202, body = GithubWebhookView, description = "a scan was submitted"),
        (status = 200, body = GithubWebhookView, description = "`pong`, `duplicate` or `ignored`"),
        (status = 401, body = Problem, description = "`GITHUB_SIGNATURE_INVALID`: the signature is missing or does not match"),
        (status = 404, body = Problem, description = "`GITHUB_REPOSITORY_UNKNOWN`: no integration serves the repository"),
        (status = 413, body = Problem), (status = 422, body = Problem),
        (status = 502, body = Problem, description = "`GITHUB_REJECTED` or `GITHUB_UNREACHABLE`: the diff could not be fetched; the delivery is recorded as failed and its redelivery tried again"),
    ))]
pub async fn webhook(
    services: web::Data<Services>,
    Context(context): Context,
    request: HttpRequest,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    use futures::StreamExt;
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("UNREADABLE_BODY", e.to_string()))?;
        if body.len() + chunk.len() > MAX_DELIVERY_BYTES {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                format!("a delivery is at most {MAX_DELIVERY_BYTES} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    let delivery = WebhookDelivery {
        event: header(&request, "x-github-event"),
        delivery_id: header(&request, "x-github-delivery"),
        signature: header(&request, "x-hub-signature-256"),
        body,
    };
    let outcome = services.github.receive(delivery, &context).await?;
    let status = match outcome {
        WebhookOutcome::Scanned(_) => StatusCode::ACCEPTED,
        _ => StatusCode::OK,
    };
    Ok(HttpResponse::build(status).json(GithubWebhookView::from(&outcome)))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("", web::get().to(self::config))
        .route("", web::put().to(set_config))
        .route("", web::delete().to(delete_config))
        .route("/deliveries", web::get().to(deliveries))
        .route("/webhook", web::post().to(webhook));
}
