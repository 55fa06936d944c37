//! `/api/v1/users`: administration of accounts (admins), and one's own profile.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

use aegis_application::Services;
use aegis_application::context::Initiator;
use aegis_application::error::FieldError;
use aegis_application::users::{NewUser, UserChanges};
use aegis_domain::Role;
use aegis_domain::ports::{UserFilter, UserSort};
use aegis_domain::user::UserId;

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::users::UserView;
use crate::views::users::{
    ColleagueView, CreateUserRequest, CreatedUserResponse, ResetPasswordRequest,
    ResetPasswordResponse, UpdateUserRequest, UserListQuery,
};
use crate::views::{PageQuery, Paginated};

/// List users.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserListQuery, PageQuery),
    responses((status = 200, body = Paginated<UserView>), (status = 403, body = Problem),
        (status = 422, body = Problem, description = "an unknown `role` or `sort`")),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<UserListQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Paginated<UserView>>, ApiError> {
    let query = query.into_inner();
    let role = query
        .role
        .as_deref()
        .map(str::parse::<Role>)
        .transpose()
        .map_err(|e| ApiError::validation(vec![FieldError::new("role", e.to_string())]))?;
    let sort = query
        .sort
        .as_deref()
        .map(str::parse::<UserSort>)
        .transpose()
        .map_err(|e| ApiError::validation(vec![FieldError::new("sort", e.to_string())]))?
        .unwrap_or_default();
    let filter = UserFilter {
        sort,
        role,
        is_active: query.is_active,
        text: query.q.filter(|q| !q.trim().is_empty()),
    };
    let users = services
        .users
        .list(&Initiator::User(actor), &filter, page.request())
        .await?;
    Ok(web::Json(Paginated::from_page(users, UserView::from)))
}

/// Everyone in the tenant by name and role (any signed-in user): names for the ids on
/// timelines and comments, and assignee choices.
#[utoipa::path(get, path = "/api/v1/users/directory", tag = "users",
    responses((status = 200, body = Vec<ColleagueView>)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn directory(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<Vec<ColleagueView>>, ApiError> {
    let colleagues = services.users.directory(&Initiator::User(actor)).await?;
    Ok(web::Json(
        colleagues
            .into_iter()
            .map(|c| ColleagueView {
                id: c.id,
                display_name: c.display_name,
                role: c.role,
                is_active: c.is_active,
            })
            .collect(),
    ))
}

/// Create a user, who must change the password at first sign-in. Accepts `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUserRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays the first response for the same payload; 409 for another")),
    responses(
        (status = 201, body = CreatedUserResponse),
        (status = 409, body = Problem, description = "EMAIL_TAKEN or IDEMPOTENCY_KEY_REUSED"),
        (status = 422, body = Problem),
    ),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn create(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    request: HttpRequest,
    body: web::Json<CreateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    let key = crate::routes::idempotency_key(&request)?;
    let body = body.into_inner();
    let new_user = NewUser {
        email: body.email,
        display_name: body.display_name,
        role: body.role,
        kind: body.kind,
        password: body.password,
    };
    let created = services
        .users
        .create(&Initiator::User(actor), new_user, key.as_ref(), &context)
        .await?;
    let mut response = HttpResponse::build(StatusCode::CREATED);
    if created.replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(response.json(CreatedUserResponse {
        user: created.user.into(),
        generated_password: created.generated_password,
    }))
}

/// One user.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 200, body = UserView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<web::Json<UserView>, ApiError> {
    let user = services
        .users
        .get(&Initiator::User(actor), UserId::from_uuid(*id))
        .await?;
    Ok(web::Json(user.into()))
}

/// Change a user's role, active flag or display name. The last active admin cannot be
/// demoted or deactivated (409 LAST_ADMIN).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    request_body = UpdateUserRequest,
    responses((status = 200, body = UserView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn update(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
    body: web::Json<UpdateUserRequest>,
) -> Result<web::Json<UserView>, ApiError> {
    let body = body.into_inner();
    let changes = UserChanges {
        role: body.role,
        is_active: body.is_active,
        display_name: body.display_name,
    };
    let user = services
        .users
        .update(
            &Initiator::User(actor),
            UserId::from_uuid(*id),
            changes,
            &context,
        )
        .await?;
    Ok(web::Json(user.into()))
}

/// Deactivate a user (soft delete).
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 200, body = UserView), (status = 409, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn deactivate(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<web::Json<UserView>, ApiError> {
    let user = services
        .users
        .deactivate(&Initiator::User(actor), UserId::from_uuid(*id), &context)
        .await?;
    Ok(web::Json(user.into()))
}

/// Reset a user's password; their sessions end and they must change it at next sign-in.
#[utoipa::path(post, path = "/api/v1/users/{id}/reset-password", tag = "users", params(("id" = Uuid, Path)),
    request_body = ResetPasswordRequest,
    responses((status = 200, body = ResetPasswordResponse), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn reset_password(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<web::Json<ResetPasswordResponse>, ApiError> {
    // The body is optional: an empty one asks for a generated password.
    let password = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<ResetPasswordRequest>(&body)
            .map_err(|e| crate::json::body_error(&e))?
            .password
    };
    let generated = services
        .users
        .reset_password(
            &Initiator::User(actor),
            UserId::from_uuid(*id),
            password,
            &context,
        )
        .await?;
    Ok(web::Json(ResetPasswordResponse {
        generated_password: generated,
        must_change_password: true,
    }))
}

/// One's own profile.
#[utoipa::path(get, path = "/api/v1/users/me", tag = "users",
    responses((status = 200, body = UserView)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn me(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<UserView>, ApiError> {
    Ok(web::Json(services.account.me(&actor).await?.into()))
}

/// Merge UI preferences into one's profile (a key set to null is removed).
#[utoipa::path(patch, path = "/api/v1/users/me/preferences", tag = "users",
    request_body(content = Object, description = "a JSON object of at most 16 KiB"),
    responses((status = 200, body = UserView), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn update_preferences(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<serde_json::Value>,
) -> Result<web::Json<UserView>, ApiError> {
    let user = services
        .account
        .update_preferences(&actor, body.into_inner(), &context)
        .await?;
    Ok(web::Json(user.into()))
}

/// End every session of a user (admins): their refresh tokens stop working and the access
/// tokens already issued are refused at once.
#[utoipa::path(delete, path = "/api/v1/users/{id}/sessions", tag = "users",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn end_sessions(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    services
        .users
        .end_sessions(&Initiator::User(actor), UserId::from_uuid(*id), &context)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(config: &mut web::ServiceConfig) {
    // `/me` before `/{id}`, or "me" would be read as an id.
    config
        .route("", web::get().to(list))
        .route("", web::post().to(create))
        .route("/me", web::get().to(me))
        .route("/directory", web::get().to(directory))
        .route("/me/preferences", web::patch().to(update_preferences))
        .route("/{id}", web::get().to(get))
        .route("/{id}", web::patch().to(update))
        .route("/{id}", web::delete().to(deactivate))
        .route("/{id}/reset-password", web::post().to(reset_password))
        .route("/{id}/sessions", web::delete().to(end_sessions));
}
