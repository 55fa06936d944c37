//! `/api/v1/webhooks`: signed HTTP callbacks on events (admins), their allow-list of
//! internal targets, and the delivery log with redelivery.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use uuid::Uuid;

use aegis_application::Services;
use aegis_application::webhooks::{NewWebhook, WebhookChanges};

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::webhooks::{
    AllowListView, CreateWebhookRequest, DeliveryView, UpdateWebhookRequest, WebhookView,
    WebhookWithSecretView,
};
use crate::views::{PageQuery, Paginated};

/// The tenant's webhooks (admins).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = Vec<WebhookView>), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<Vec<WebhookView>>, ApiError> {
    let hooks = services.webhooks.list(&actor).await?;
    Ok(web::Json(hooks.into_iter().map(Into::into).collect()))
}

/// Register a webhook (admins). The signing secret is in this answer only. A URL that is,
/// or resolves only to, an internal address is refused with 422 naming `url` and why.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = CreateWebhookRequest,
    responses((status = 201, body = WebhookWithSecretView), (status = 403, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn create(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<CreateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let created = services
        .webhooks
        .create(
            &actor,
            NewWebhook {
                name: body.name,
                url: body.url,
                events: body.events,
                preset: body.preset,
                active: body.active,
                secret: body.secret,
            },
            &context,
        )
        .await?;
    Ok(
        HttpResponse::build(StatusCode::CREATED).json(WebhookWithSecretView {
            webhook: created.webhook.into(),
            secret: created.secret,
        }),
    )
}

/// One webhook.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 200, body = WebhookView), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<web::Json<WebhookView>, ApiError> {
    Ok(web::Json(services.webhooks.get(&actor, *id).await?.into()))
}

/// Change a webhook: name, URL, events, preset, activity, secret (a new or rotated secret is
/// in the answer this once).
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)),
    request_body = UpdateWebhookRequest,
    responses((status = 200, body = WebhookWithSecretView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn update(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
    body: web::Json<UpdateWebhookRequest>,
) -> Result<web::Json<WebhookWithSecretView>, ApiError> {
    let body = body.into_inner();
    let changes = WebhookChanges {
        name: body.name,
        url: body.url,
        events: body.events,
        preset: body.preset,
        active: body.active,
        secret: body.secret,
        rotate_secret: body.rotate_secret.unwrap_or(false),
    };
    let changed = services
        .webhooks
        .update(&actor, *id, changes, &context)
        .await?;
    Ok(web::Json(WebhookWithSecretView {
        webhook: changed.webhook.into(),
        secret: changed.secret,
    }))
}

/// Delete a webhook and its delivery log.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn delete(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    services.webhooks.delete(&actor, *id, &context).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The allow-list: internal hosts and ranges webhooks may reach (admins).
#[utoipa::path(get, path = "/api/v1/webhooks/allow-list", tag = "webhooks",
    responses((status = 200, body = AllowListView), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn allow_list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<AllowListView>, ApiError> {
    let entries = services.webhooks.allow_list(&actor).await?;
    Ok(web::Json(AllowListView { entries }))
}

/// Replace the allow-list; an entry that is no host name, address or CIDR range is a 422
/// naming `entries`.
#[utoipa::path(put, path = "/api/v1/webhooks/allow-list", tag = "webhooks", request_body = AllowListView,
    responses((status = 200, body = AllowListView), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn set_allow_list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<AllowListView>,
) -> Result<web::Json<AllowListView>, ApiError> {
    let entries = services
        .webhooks
        .set_allow_list(&actor, &body.entries, &context)
        .await?;
    Ok(web::Json(AllowListView { entries }))
}

/// A webhook's deliveries, newest first, each with its attempt log.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = Uuid, Path), PageQuery),
    responses((status = 200, body = Paginated<DeliveryView>), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn deliveries(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Paginated<DeliveryView>>, ApiError> {
    let page = services
        .webhooks
        .deliveries(&actor, *id, page.request())
        .await?;
    Ok(web::Json(Paginated::from_page(page, DeliveryView::from)))
}

/// Send a delivery again, as a new delivery with the same `webhook-id`.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", tag = "webhooks",
    params(("id" = Uuid, Path), ("delivery_id" = Uuid, Path)),
    responses((status = 202, body = DeliveryView), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn redeliver(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, delivery) = path.into_inner();
    let copy = services
        .webhooks
        .redeliver(&actor, id, delivery, &context)
        .await?;
    Ok(HttpResponse::Accepted().json(DeliveryView::of(copy, Vec::new())))
}

/// Send a `webhook.ping` now, whatever the webhook's events.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 202, body = DeliveryView), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn test(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let delivery = services.webhooks.ping(&actor, *id, &context).await?;
    Ok(HttpResponse::Accepted().json(DeliveryView::of(delivery, Vec::new())))
}

pub fn configure(config: &mut web::ServiceConfig) {
    // The allow-list first: `/{id}` would take the word for an id.
    config
        .route("/allow-list", web::get().to(allow_list))
        .route("/allow-list", web::put().to(set_allow_list))
        .route("", web::get().to(list))
        .route("", web::post().to(create))
        .route("/{id}", web::get().to(get))
        .route("/{id}", web::patch().to(update))
        .route("/{id}", web::delete().to(delete))
        .route("/{id}/deliveries", web::get().to(deliveries))
        .route(
            "/{id}/deliveries/{delivery_id}/redeliver",
            web::post().to(redeliver),
        )
        .route("/{id}/test", web::post().to(test));
}
