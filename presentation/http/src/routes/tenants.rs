//! `/api/v1/platform/tenants`: the tenants a platform operator runs; `/api/v1/tenant`: the
//! caller's own tenant, which its admins rename.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use uuid::Uuid;

use aegis_application::Services;
use aegis_application::context::Initiator;
use aegis_application::tenants::{NewTenant, TenantChanges};

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::tenants::{
    CreateTenantRequest, CreatedTenantResponse, TenantSettingsView, TenantView, UpdateTenantRequest,
};

/// Every tenant of the installation, by slug (platform operators).
#[utoipa::path(get, path = "/api/v1/platform/tenants", tag = "platform",
    responses((status = 200, body = Vec<TenantView>),
        (status = 403, body = Problem, description = "PLATFORM_OPERATOR_REQUIRED")),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<Vec<TenantView>>, ApiError> {
    let tenants = services.tenants.list(&Initiator::User(actor)).await?;
    Ok(web::Json(tenants.into_iter().map(Into::into).collect()))
}

/// Create a tenant and its first admin, in one transaction (platform operators). The admin
/// must change the password at first sign-in; a generated password is in this response only.
/// Accepts `Idempotency-Key`: the same key and request answer the tenant made first (200,
/// without the password), another request with the key 409 `IDEMPOTENCY_KEY_REUSED`.
#[utoipa::path(post, path = "/api/v1/platform/tenants", tag = "platform",
    params(("Idempotency-Key" = Option<String>, Header, description = "replays the first response for the same request (without the password); 409 for another")),
    request_body = CreateTenantRequest,
    responses((status = 201, body = CreatedTenantResponse),
        (status = 200, body = CreatedTenantResponse, description = "the same Idempotency-Key and request: the tenant made first"),
        (status = 403, body = Problem, description = "PLATFORM_OPERATOR_REQUIRED"),
        (status = 409, body = Problem, description = "TENANT_SLUG_TAKEN or EMAIL_TAKEN"),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn create(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    request: actix_web::HttpRequest,
    body: web::Json<CreateTenantRequest>,
) -> Result<HttpResponse, ApiError> {
    let key = crate::routes::idempotency_key(&request)?;
    let body = body.into_inner();
    let created = services
        .tenants
        .create(
            &Initiator::User(actor),
            NewTenant {
                slug: body.slug,
                name: body.name,
                admin_email: body.admin_email,
                admin_password: body.admin_password,
            },
            key.as_ref(),
            &context,
        )
        .await?;
    let status = if created.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok(HttpResponse::build(status).json(CreatedTenantResponse {
        tenant: created.tenant.into(),
        admin: created.admin.into(),
        admin_password: created.generated_password,
    }))
}

/// One tenant (platform operators).
#[utoipa::path(get, path = "/api/v1/platform/tenants/{id}", tag = "platform",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = TenantView),
        (status = 403, body = Problem, description = "PLATFORM_OPERATOR_REQUIRED"),
        (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<web::Json<TenantView>, ApiError> {
    let tenant = services.tenants.get(&Initiator::User(actor), *id).await?;
    Ok(web::Json(tenant.into()))
}

/// Disable a tenant: its users can no longer sign in, refresh or use API keys; its data is
/// kept. An operator cannot disable their own tenant.
#[utoipa::path(post, path = "/api/v1/platform/tenants/{id}/disable", tag = "platform",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = TenantView),
        (status = 403, body = Problem, description = "PLATFORM_OPERATOR_REQUIRED"),
        (status = 404, body = Problem),
        (status = 409, body = Problem, description = "OWN_TENANT")),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn disable(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<web::Json<TenantView>, ApiError> {
    let tenant = services
        .tenants
        .disable(&Initiator::User(actor), *id, &context)
        .await?;
    Ok(web::Json(tenant.into()))
}

/// Enable a disabled tenant: its users sign in again, with their sessions and keys.
#[utoipa::path(post, path = "/api/v1/platform/tenants/{id}/enable", tag = "platform",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = TenantView),
        (status = 403, body = Problem, description = "PLATFORM_OPERATOR_REQUIRED"),
        (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn enable(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<web::Json<TenantView>, ApiError> {
    let tenant = services
        .tenants
        .enable(&Initiator::User(actor), *id, &context)
        .await?;
    Ok(web::Json(tenant.into()))
}

/// The caller's tenant, with links to its other settings.
#[utoipa::path(get, path = "/api/v1/tenant", tag = "platform",
    responses((status = 200, body = TenantSettingsView), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn current(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<TenantSettingsView>, ApiError> {
    Ok(web::Json(services.tenants.current(&actor).await?.into()))
}

/// Rename the caller's tenant (admins).
#[utoipa::path(patch, path = "/api/v1/tenant", tag = "platform",
    request_body = UpdateTenantRequest,
    responses((status = 200, body = TenantSettingsView), (status = 403, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn update_current(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<UpdateTenantRequest>,
) -> Result<web::Json<TenantSettingsView>, ApiError> {
    let changes = TenantChanges {
        name: body.into_inner().name,
    };
    let tenant = services
        .tenants
        .update_current(&actor, changes, &context)
        .await?;
    Ok(web::Json(tenant.into()))
}

/// Registered at `/api/v1`: the platform's routes and the caller's tenant.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/platform/tenants", web::get().to(list))
        .route("/platform/tenants", web::post().to(create))
        .route("/platform/tenants/{id}", web::get().to(get))
        .route("/platform/tenants/{id}/disable", web::post().to(disable))
        .route("/platform/tenants/{id}/enable", web::post().to(enable))
        .route("/tenant", web::get().to(current))
        .route("/tenant", web::patch().to(update_current));
}
