//! `/api/v1/notifications`: one's in-app notifications.

use actix_web::web;
use uuid::Uuid;

use aegis_application::Services;
use aegis_domain::notification::NotificationId;

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::notifications::{MarkedRead, NotificationQuery, NotificationView, UnreadCount};
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

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("", web::get().to(list))
        .route("/unread-count", web::get().to(unread_count))
        .route("/read-all", web::post().to(mark_all_read))
        .route("/{id}/read", web::post().to(mark_read));
}
