//! `/api/v1/tracked-actors`: the threat actors an organization tracks. They weigh the
//! threat-weighted score, and the intel scan tells the leads of techniques newly reported for
//! them.

use actix_web::{HttpResponse, web};

use aegis_application::Services;

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::tracked_actors::TrackedActorView;

/// The actors this organization tracks.
#[utoipa::path(get, path = "/api/v1/tracked-actors", tag = "catalog",
    responses((status = 200, body = [TrackedActorView])),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<Vec<TrackedActorView>>, ApiError> {
    let tracked = services.threat_intel.tracked(&actor).await?;
    Ok(web::Json(tracked.into_iter().map(Into::into).collect()))
}

/// Track an actor (leads, admin), by ATT&CK id (G0016) or STIX id; tracking it again
/// refreshes the techniques it is known to use.
#[utoipa::path(put, path = "/api/v1/tracked-actors/{id}", tag = "catalog",
    params(("id" = String, Path, description = "G0016 or a STIX id")),
    responses((status = 200, body = TrackedActorView), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn track(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<String>,
) -> Result<web::Json<TrackedActorView>, ApiError> {
    let tracked = services.threat_intel.track(&actor, &id, &context).await?;
    Ok(web::Json(tracked.into()))
}

/// Stop tracking an actor (leads, admin).
#[utoipa::path(delete, path = "/api/v1/tracked-actors/{id}", tag = "catalog",
    params(("id" = String, Path, description = "G0016 or a STIX id")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn untrack(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    services.threat_intel.untrack(&actor, &id, &context).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("", web::get().to(list))
        .route("/{id}", web::put().to(track))
        .route("/{id}", web::delete().to(untrack));
}
