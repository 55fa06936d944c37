//! `/api/v1/api-keys`: one's API keys (and, for admins, service accounts' keys).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use uuid::Uuid;

use aegis_application::Services;
use aegis_application::api_keys::{ApiKeyChanges, NewApiKey};

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::api_keys::{
    ApiKeyListQuery, ApiKeyView, CreateApiKeyRequest, CreatedApiKeyResponse, UpdateApiKeyRequest,
};

/// Create an API key; the key is in this response only. A key acts as its owner, narrowed by
/// its scopes; keys cannot manage keys.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", request_body = CreateApiKeyRequest,
    responses(
        (status = 201, body = CreatedApiKeyResponse),
        (status = 403, body = Problem, description = "FORBIDDEN, or INTERACTIVE_SIGN_IN_REQUIRED with an API key"),
        (status = 422, body = Problem),
    ),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn create(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<CreateApiKeyRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let created = services
        .api_keys
        .create(
            &actor,
            NewApiKey {
                name: body.name,
                scopes: body.scopes,
                expires_at: body.expires_at,
                owner_id: body.owner_id,
            },
            &context,
        )
        .await?;
    Ok(
        HttpResponse::build(StatusCode::CREATED).json(CreatedApiKeyResponse {
            api_key: created.key.into(),
            key: created.secret,
        }),
    )
}

/// One's API keys, newest first (`all=true`: the tenant's, for admins).
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys", params(ApiKeyListQuery),
    responses((status = 200, body = Vec<ApiKeyView>), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<ApiKeyListQuery>,
) -> Result<web::Json<Vec<ApiKeyView>>, ApiError> {
    let keys = services
        .api_keys
        .list(&actor, query.all.unwrap_or(false))
        .await?;
    Ok(web::Json(keys.into_iter().map(Into::into).collect()))
}

/// One API key.
#[utoipa::path(get, path = "/api/v1/api-keys/{id}", tag = "api-keys", params(("id" = Uuid, Path)),
    responses((status = 200, body = ApiKeyView), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<web::Json<ApiKeyView>, ApiError> {
    Ok(web::Json(services.api_keys.get(&actor, *id).await?.into()))
}

/// Rename a key, change its scopes or expiry.
#[utoipa::path(patch, path = "/api/v1/api-keys/{id}", tag = "api-keys", params(("id" = Uuid, Path)),
    request_body = UpdateApiKeyRequest,
    responses((status = 200, body = ApiKeyView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn update(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
    body: web::Json<UpdateApiKeyRequest>,
) -> Result<web::Json<ApiKeyView>, ApiError> {
    let body = body.into_inner();
    let changes = ApiKeyChanges {
        name: body.name,
        scopes: body.scopes,
        expires_at: body.expires_at,
    };
    let key = services
        .api_keys
        .update(&actor, *id, changes, &context)
        .await?;
    Ok(web::Json(key.into()))
}

/// Revoke a key: it stops working at once and stays listed as revoked.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn revoke(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    services.api_keys.revoke(&actor, *id, &context).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("", web::get().to(list))
        .route("", web::post().to(create))
        .route("/{id}", web::get().to(get))
        .route("/{id}", web::patch().to(update))
        .route("/{id}", web::delete().to(revoke));
}
