//! `/api/v1/notifications`: one's in-app notifications.

use std::time::Duration;

use actix_web::{HttpRequest, web};
use actix_web_lab::sse;
use futures::StreamExt;
use uuid::Uuid;

use aegis_application::Services;
use aegis_application::notifications::{KindRequest, LiveCursor};
use aegis_domain::notification::NotificationId;

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::notifications::{
    ChannelPreferencesRequest, ChannelPreferencesView, EmailDeliveryView, MarkedRead,
    NotificationQuery, NotificationView, UnreadCount,
};
use crate::views::{PageQuery, Paginated};

/// One's notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(NotificationQuery, PageQuery),
    responses((status = 200, body = Paginated<NotificationView>)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<NotificationQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Paginated<NotificationView>>, ApiError> {
    let items = services
        .notifications
        .list(&actor, query.unread.unwrap_or(false), page.request())
        .await?;
    Ok(web::Json(Paginated::from_page(items, Into::into)))
}

/// How many notifications are unread (the bell's badge).
#[utoipa::path(get, path = "/api/v1/notifications/unread-count", tag = "notifications",
    responses((status = 200, body = UnreadCount)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn unread_count(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<UnreadCount>, ApiError> {
    Ok(web::Json(UnreadCount {
        unread: services.notifications.unread_count(&actor).await?,
    }))
}

/// Mark one notification read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications", params(("id" = Uuid, Path)),
    responses((status = 200, body = MarkedRead), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn mark_read(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<web::Json<MarkedRead>, ApiError> {
    let marked = services
        .notifications
        .mark_read(&actor, Some(NotificationId::from_uuid(*id)), &context)
        .await?;
    Ok(web::Json(MarkedRead { marked }))
}

/// Mark every notification read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications",
    responses((status = 200, body = MarkedRead)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn mark_all_read(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
) -> Result<web::Json<MarkedRead>, ApiError> {
    let marked = services
        .notifications
        .mark_read(&actor, None, &context)
        .await?;
    Ok(web::Json(MarkedRead { marked }))
}

/// The signed-in user's channels for every kind of notification: in-app (the bell) and
/// email, chosen or their defaults.
#[utoipa::path(get, path = "/api/v1/notifications/preferences", tag = "notifications",
    responses((status = 200, body = ChannelPreferencesView)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn preferences(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<ChannelPreferencesView>, ApiError> {
    Ok(web::Json(
        services
            .notifications
            .channel_settings(&actor)
            .await?
            .into(),
    ))
}

/// Set the channels of the kinds named (the others keep theirs). An unknown kind or channel
/// is a 422 naming the field (`kinds[0].channels[1]`); `webhook` too, since webhooks are
/// chosen per organization by admins.
#[utoipa::path(put, path = "/api/v1/notifications/preferences", tag = "notifications",
    request_body = ChannelPreferencesRequest,
    responses((status = 200, body = ChannelPreferencesView), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn set_preferences(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<ChannelPreferencesRequest>,
) -> Result<web::Json<ChannelPreferencesView>, ApiError> {
    let requests: Vec<KindRequest> = body
        .into_inner()
        .kinds
        .into_iter()
        .map(|k| KindRequest {
            kind: k.kind,
            channels: k.channels,
        })
        .collect();
    Ok(web::Json(
        services
            .notifications
            .choose_channels(&actor, &requests, &context)
            .await?
            .into(),
    ))
}

/// The signed-in user's notification emails, newest first: pending, sent or failed (with
/// the reason).
#[utoipa::path(get, path = "/api/v1/notifications/emails", tag = "notifications", params(PageQuery),
    responses((status = 200, body = Paginated<EmailDeliveryView>)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn emails(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Paginated<EmailDeliveryView>>, ApiError> {
    let items = services
        .notifications
        .emails(&actor, page.request())
        .await?;
    Ok(web::Json(Paginated::from_page(items, Into::into)))
}

/// A stream lives this long, then ends so the client reconnects and its session is checked
/// again: a signed-out or disabled user stops hearing within this bound.
const STREAM_LIFETIME: Duration = Duration::from_secs(300);

/// Comments sent while nothing happens, so proxies keep the connection and a vanished client
/// is noticed.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// One's new notifications as server-sent events, as they are committed (on this instance
/// or any other). Each event is `notification` with the notification as JSON; its id resumes
/// the stream (`Last-Event-ID`) with what came after it. The stream ends after five minutes;
/// clients reconnect (`retry: 3000`).
#[utoipa::path(get, path = "/api/v1/notifications/stream", tag = "notifications",
    params(("Last-Event-ID" = Option<String>, Header, description = "The id of the last event received: the stream first sends what came after it.")),
    responses((status = 200, content_type = "text/event-stream", body = String,
        description = "`event: notification`, `id: <cursor>`, `data: <NotificationView JSON>`; comments keep the connection alive")),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn stream(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    request: HttpRequest,
) -> Result<impl actix_web::Responder, ApiError> {
    let resume = request
        .headers()
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .and_then(LiveCursor::parse);
    let feed = services.notifications.live(&actor, resume)?;
    let events = feed
        .take_until(tokio::time::sleep(STREAM_LIFETIME))
        .take_while(|item| {
            if let Err(error) = item {
                tracing::warn!(%error, "a live notification stream ended");
            }
            std::future::ready(item.is_ok())
        })
        .filter_map(|item| std::future::ready(item.ok().and_then(event)));
    Ok(sse::Sse::from_infallible_stream(events.boxed())
        .with_keep_alive(KEEP_ALIVE)
        .with_retry_duration(Duration::from_secs(3)))
}

fn event(notification: aegis_domain::notification::Notification) -> Option<sse::Event> {
    let id = LiveCursor::of(&notification).encode();
    let data = sse::Data::new_json(NotificationView::from(notification)).ok()?;
    Some(data.event("notification").id(id).into())
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("", web::get().to(list))
        .route("/stream", web::get().to(stream))
        .route("/unread-count", web::get().to(unread_count))
        .route("/preferences", web::get().to(preferences))
        .route("/preferences", web::put().to(set_preferences))
        .route("/emails", web::get().to(emails))
        .route("/read-all", web::post().to(mark_all_read))
        .route("/{id}/read", web::post().to(mark_read));
}
