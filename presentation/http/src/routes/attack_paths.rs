//! `/api/v1/attack-paths`: chains of techniques with their coverage per step, the weakest
//! step and where the chain is first stopped; made by hand, from a threat actor or from an
//! Attack Flow file; exported as Attack Flow STIX; planned as a campaign.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use futures::StreamExt;
use uuid::Uuid;

use aegis_application::Services;
use aegis_application::attack_paths::{AttackPathChanges, AttackPathDetail, NewAttackPath};
use aegis_application::error::FieldError;
use aegis_domain::attack_path::AttackPathId;

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::routes::test_cases::expected_version;
use crate::views::attack_paths::{
    AttackPathDetailView, AttackPathView, CreateAttackPathRequest, MadePathView, NameQuery,
    UpdateAttackPathRequest,
};
use crate::views::campaigns::CampaignDetailView;
use crate::views::{PageQuery, Paginated};

/// The largest flow file accepted (the parser's own bound).
const MAX_FLOW_BYTES: usize = 16 * 1024 * 1024;

fn path_id(id: &Uuid) -> AttackPathId {
    AttackPathId::from_uuid(*id)
}

fn tagged(status: StatusCode, detail: AttackPathDetail) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((
            actix_web::http::header::ETAG,
            format!("\"{}\"", detail.path.version()),
        ))
        .json(AttackPathDetailView::from(detail))
}

/// Attack paths, newest first.
#[utoipa::path(get, path = "/api/v1/attack-paths", tag = "attack-paths", params(PageQuery),
    responses((status = 200, body = Paginated<AttackPathView>)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Paginated<AttackPathView>>, ApiError> {
    let paths = services.attack_paths.list(&actor, page.request()).await?;
    Ok(web::Json(Paginated::from_page(paths, AttackPathView::from)))
}

/// Draw a path by hand: technique and operator steps and the edges between them, without
/// cycles (leads, admin).
#[utoipa::path(post, path = "/api/v1/attack-paths", tag = "attack-paths", request_body = CreateAttackPathRequest,
    responses((status = 201, body = AttackPathDetailView), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn create(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<CreateAttackPathRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let new = NewAttackPath {
        name: body.name,
        description: body.description,
        steps: body.steps.into_iter().map(Into::into).collect(),
        edges: body.edges.into_iter().map(Into::into).collect(),
    };
    let detail = services.attack_paths.create(&actor, new, &context).await?;
    Ok(tagged(StatusCode::CREATED, detail))
}

/// One path with each step's coverage, its weakest step and where it is first stopped.
#[utoipa::path(get, path = "/api/v1/attack-paths/{id}", tag = "attack-paths", params(("id" = Uuid, Path)),
    responses((status = 200, body = AttackPathDetailView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let detail = services.attack_paths.get(&actor, path_id(&id)).await?;
    Ok(tagged(StatusCode::OK, detail))
}

/// Change the name, the description or the graph (steps and edges together), with the
/// version you read in `If-Match` or `version` (leads, admin).
#[utoipa::path(patch, path = "/api/v1/attack-paths/{id}", tag = "attack-paths", params(("id" = Uuid, Path)),
    request_body = UpdateAttackPathRequest,
    responses((status = 200, body = AttackPathDetailView), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn update(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<UpdateAttackPathRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let version = expected_version(&request, body.version)?;
    let graph = match (body.steps, body.edges) {
        (Some(steps), Some(edges)) => Some((
            steps.into_iter().map(Into::into).collect(),
            edges.into_iter().map(Into::into).collect(),
        )),
        (None, None) => None,
        (Some(_), None) => {
            return Err(ApiError::validation(vec![FieldError::new(
                "edges",
                "give the edges with the steps: they replace the graph together",
            )]));
        }
        (None, Some(_)) => {
            return Err(ApiError::validation(vec![FieldError::new(
                "steps",
                "give the steps with the edges: they replace the graph together",
            )]));
        }
    };
    let changes = AttackPathChanges {
        name: body.name,
        description: body.description,
        graph,
    };
    let detail = services
        .attack_paths
        .update(&actor, path_id(&id), changes, version, &context)
        .await?;
    Ok(tagged(StatusCode::OK, detail))
}

/// Delete a path (leads, admin).
#[utoipa::path(delete, path = "/api/v1/attack-paths/{id}", tag = "attack-paths", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn delete(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    services
        .attack_paths
        .delete(&actor, path_id(&id), &context)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Import an Attack Flow (leads, admin): the body is the file itself, an Attack Flow 2.0 STIX
/// 2.1 bundle or an Attack Flow Builder `.afb` file, at most 16 MiB. Actions become technique
/// steps, operators operator steps; conditions and actions without a known technique are
/// passed through, and listed in `notes`.
#[utoipa::path(post, path = "/api/v1/attack-paths/import", tag = "attack-paths", params(NameQuery),
    request_body(content = Object, content_type = "application/json",
        description = "the .afb file or the STIX bundle, as is"),
    responses((status = 201, body = MadePathView), (status = 403, body = Problem), (status = 413, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn import(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    query: web::Query<NameQuery>,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("BAD_UPLOAD", e.to_string()))?;
        if bytes.len() + chunk.len() > MAX_FLOW_BYTES {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                format!("a flow file is at most {MAX_FLOW_BYTES} bytes"),
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    let imported = services
        .attack_paths
        .import(&actor, &bytes, query.into_inner().name, &context)
        .await?;
    Ok(HttpResponse::Created().json(MadePathView {
        attack_path: imported.detail.into(),
        notes: imported.notes,
    }))
}

/// Make a path from a threat actor (ATT&CK id or STIX id): its techniques in kill-chain
/// order, one step each, chained (leads, admin).
#[utoipa::path(post, path = "/api/v1/attack-paths/from-actor/{id}", tag = "attack-paths",
    params(("id" = String, Path, description = "the threat actor: ATT&CK id (G0016) or STIX id"), NameQuery),
    responses((status = 201, body = MadePathView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn from_actor(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    actor_id: web::Path<String>,
    query: web::Query<NameQuery>,
) -> Result<HttpResponse, ApiError> {
    let made = services
        .attack_paths
        .from_threat_actor(&actor, &actor_id, query.into_inner().name, &context)
        .await?;
    Ok(HttpResponse::Created().json(MadePathView {
        attack_path: made.detail.into(),
        notes: made.notes,
    }))
}

/// The path as an Attack Flow 2.0 STIX 2.1 bundle (with the extension's definition).
#[utoipa::path(get, path = "/api/v1/attack-paths/{id}/export", tag = "attack-paths", params(("id" = Uuid, Path)),
    responses((status = 200, body = Object, description = "an Attack Flow STIX 2.1 bundle"), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn export(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (path, bundle) = services.attack_paths.export(&actor, path_id(&id)).await?;
    let filename: String = path
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(80)
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{filename}.json\""),
        ))
        .json(bundle))
}

/// Plan a draft campaign from the path: one draft test per technique step, each depending on
/// the tests of the steps before it (leads, admin).
#[utoipa::path(post, path = "/api/v1/attack-paths/{id}/campaign", tag = "attack-paths",
    params(("id" = Uuid, Path), NameQuery),
    responses((status = 201, body = CampaignDetailView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn plan_campaign(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
    query: web::Query<NameQuery>,
) -> Result<HttpResponse, ApiError> {
    let detail = services
        .attack_paths
        .plan_campaign(&actor, path_id(&id), query.into_inner().name, &context)
        .await?;
    Ok(HttpResponse::Created().json(CampaignDetailView::from(detail)))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("", web::get().to(list))
        .route("", web::post().to(create))
        .route("/import", web::post().to(import))
        .route("/from-actor/{id}", web::post().to(from_actor))
        .route("/{id}", web::get().to(get))
        .route("/{id}", web::patch().to(update))
        .route("/{id}", web::delete().to(delete))
        .route("/{id}/export", web::get().to(export))
        .route("/{id}/campaign", web::post().to(plan_campaign));
}
