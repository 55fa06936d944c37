//! `/api/v1/detection-lifecycle`: detection assets, the validations that prove them and when
//! those lapse, infrastructure changes, decay policies, confidence and the dashboard.

use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

use aegis_application::Services;
use aegis_application::detection_lifecycle::{
    AssetChanges, AssetFromRule, ManualProof, NewAsset, NewDecayPolicy, NewInfrastructureChange,
};
use aegis_domain::detection_lifecycle::AssetId;

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::routes::test_cases::expected_version;
use crate::views::detection_lifecycle::{
    AssetChangeView, AssetDetailView, AssetFromRuleRequest, AssetListQuery, AssetView,
    ChangeOutcomeView, ConfidenceSummaryView, ConfidenceView, DecayPolicyRequest, DecayPolicyView,
    InfrastructureChangeView, LifecycleDashboardView, ManualValidationRequest, NewAssetRequest,
    NewInfrastructureChangeRequest, UpdateAssetRequest, ValidationListQuery, ValidationView,
};
use crate::views::{PageQuery, Paginated};

fn asset_id(id: &Uuid) -> AssetId {
    AssetId::from_uuid(*id)
}

fn tagged(asset: &AssetView) -> (actix_web::http::header::HeaderName, String) {
    (
        actix_web::http::header::ETAG,
        format!("\"{}\"", asset.version),
    )
}

/// Detection assets, by name, with filters.
#[utoipa::path(get, path = "/api/v1/detection-lifecycle/assets", tag = "detection-lifecycle",
    params(AssetListQuery, PageQuery),
    responses((status = 200, body = Paginated<AssetView>), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list_assets(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<AssetListQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Paginated<AssetView>>, ApiError> {
    let assets = services
        .detection_lifecycle
        .list_assets(&actor, &query.into_inner().into(), page.request())
        .await?;
    Ok(web::Json(Paginated::from_page(assets, AssetView::from)))
}

/// A new detection asset described by hand (blue lead, admin).
#[utoipa::path(post, path = "/api/v1/detection-lifecycle/assets", tag = "detection-lifecycle",
    request_body = NewAssetRequest,
    responses((status = 201, body = AssetView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn create_asset(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<NewAssetRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let asset = services
        .detection_lifecycle
        .create_asset(
            &actor,
            NewAsset {
                name: body.name,
                kind: body.kind,
                platform: body.platform,
                team: body.team,
                owner_id: body.owner_id,
                content: body.content,
                techniques: body.techniques,
            },
            &context,
        )
        .await?;
    let view = AssetView::from(asset);
    Ok(HttpResponse::Created()
        .insert_header(tagged(&view))
        .json(view))
}

/// A detection asset made from a catalog Sigma or Elastic rule, keeping the link (blue lead,
/// admin).
#[utoipa::path(post, path = "/api/v1/detection-lifecycle/assets/from-rule", tag = "detection-lifecycle",
    request_body = AssetFromRuleRequest,
    responses((status = 201, body = AssetView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn create_from_rule(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<AssetFromRuleRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let asset = services
        .detection_lifecycle
        .create_from_rule(
            &actor,
            AssetFromRule {
                rule_id: body.rule_id,
                platform: body.platform,
                name: body.name,
                kind: body.kind,
                team: body.team,
                owner_id: body.owner_id,
            },
            &context,
        )
        .await?;
    let view = AssetView::from(asset);
    Ok(HttpResponse::Created()
        .insert_header(tagged(&view))
        .json(view))
}

/// A detection asset with its validations (newest first) and its history.
#[utoipa::path(get, path = "/api/v1/detection-lifecycle/assets/{id}", tag = "detection-lifecycle",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = AssetDetailView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get_asset(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let detail = services
        .detection_lifecycle
        .asset(&actor, asset_id(&id))
        .await?;
    let view = AssetDetailView::from(detail);
    Ok(HttpResponse::Ok()
        .insert_header(tagged(&view.asset))
        .json(view))
}

/// Edits a detection asset; a changed content ends its proofs at once, rescoring the
/// techniques, telling the owner and planning retests (blue lead, admin).
#[utoipa::path(patch, path = "/api/v1/detection-lifecycle/assets/{id}", tag = "detection-lifecycle",
    params(("id" = Uuid, Path)), request_body = UpdateAssetRequest,
    responses((status = 200, body = AssetChangeView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn update_asset(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<UpdateAssetRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let version = expected_version(&request, body.version)?;
    let changes = AssetChanges {
        name: body.name,
        kind: body.kind,
        platform: body.platform,
        team: body.team,
        owner_id: body.owner_id,
        status: body.status,
        content: body.content,
        techniques: body.techniques,
    };
    let (asset, ended) = services
        .detection_lifecycle
        .update_asset(&actor, asset_id(&id), changes, version, &context)
        .await?;
    let view = AssetChangeView {
        asset: asset.into(),
        ended: ended.into(),
    };
    Ok(HttpResponse::Ok()
        .insert_header(tagged(&view.asset))
        .json(view))
}

/// Retires a detection asset: its proofs end, its history stays (blue lead, admin).
#[utoipa::path(delete, path = "/api/v1/detection-lifecycle/assets/{id}", tag = "detection-lifecycle",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = AssetChangeView), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn retire_asset(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    request: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let version = expected_version(&request, None)?;
    let (asset, ended) = services
        .detection_lifecycle
        .retire_asset(&actor, asset_id(&id), version, &context)
        .await?;
    Ok(HttpResponse::Ok().json(AssetChangeView {
        asset: asset.into(),
        ended: ended.into(),
    }))
}

/// Validations, newest first, of one asset or technique or all.
#[utoipa::path(get, path = "/api/v1/detection-lifecycle/validations", tag = "detection-lifecycle",
    params(ValidationListQuery),
    responses((status = 200, body = Vec<ValidationView>), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list_validations(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<ValidationListQuery>,
) -> Result<web::Json<Vec<ValidationView>>, ApiError> {
    let query = query.into_inner();
    let proofs = services
        .detection_lifecycle
        .validations(
            &actor,
            query.asset_id.map(AssetId::from_uuid),
            query
                .technique_id
                .as_deref()
                .filter(|t| !t.trim().is_empty()),
        )
        .await?;
    Ok(web::Json(proofs.into_iter().map(Into::into).collect()))
}

/// A validation recorded by hand, with its evidence (blue lead, admin).
#[utoipa::path(post, path = "/api/v1/detection-lifecycle/validations", tag = "detection-lifecycle",
    request_body = ManualValidationRequest,
    responses((status = 201, body = ValidationView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn record_validation(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<ManualValidationRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let proof = services
        .detection_lifecycle
        .record_proof(
            &actor,
            ManualProof {
                asset_id: body.asset_id,
                technique_id: body.technique_id,
                evidence: body.evidence,
                notes: body.notes,
            },
            &context,
        )
        .await?;
    Ok(HttpResponse::Created().json(ValidationView::from(proof)))
}

/// Confidence of every technique an asset covers.
#[utoipa::path(get, path = "/api/v1/detection-lifecycle/confidence", tag = "detection-lifecycle",
    responses((status = 200, body = Vec<ConfidenceSummaryView>)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn confidence_matrix(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<Vec<ConfidenceSummaryView>>, ApiError> {
    let matrix = services
        .detection_lifecycle
        .confidence_matrix(&actor)
        .await?;
    Ok(web::Json(matrix.into_iter().map(Into::into).collect()))
}

/// Which assets cover a technique, which are proven and until when ("unproven" when none).
#[utoipa::path(get, path = "/api/v1/detection-lifecycle/confidence/{technique_id}", tag = "detection-lifecycle",
    params(("technique_id" = String, Path)),
    responses((status = 200, body = ConfidenceView), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn confidence(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    technique: web::Path<String>,
) -> Result<web::Json<ConfidenceView>, ApiError> {
    let confidence = services
        .detection_lifecycle
        .confidence(&actor, &technique)
        .await?;
    Ok(web::Json(confidence.into()))
}

/// Infrastructure changes, newest first.
#[utoipa::path(get, path = "/api/v1/detection-lifecycle/infrastructure-changes", tag = "detection-lifecycle",
    responses((status = 200, body = Vec<InfrastructureChangeView>)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list_changes(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<Vec<InfrastructureChangeView>>, ApiError> {
    let changes = services
        .detection_lifecycle
        .infrastructure_changes(&actor)
        .await?;
    Ok(web::Json(changes.into_iter().map(Into::into).collect()))
}

/// Logs an infrastructure change; the proofs it touches end at once (blue lead, admin).
#[utoipa::path(post, path = "/api/v1/detection-lifecycle/infrastructure-changes", tag = "detection-lifecycle",
    request_body = NewInfrastructureChangeRequest,
    responses((status = 201, body = ChangeOutcomeView), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn record_change(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<NewInfrastructureChangeRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let outcome = services
        .detection_lifecycle
        .record_infrastructure_change(
            &actor,
            NewInfrastructureChange {
                title: body.title,
                description: body.description,
                occurred_at: body.occurred_at,
                platforms: body.platforms,
                asset_ids: body.asset_ids,
            },
            &context,
        )
        .await?;
    Ok(HttpResponse::Created().json(ChangeOutcomeView::from(outcome)))
}

/// The organization's decay policies.
#[utoipa::path(get, path = "/api/v1/detection-lifecycle/decay-policies", tag = "detection-lifecycle",
    responses((status = 200, body = Vec<DecayPolicyView>)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list_policies(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<Vec<DecayPolicyView>>, ApiError> {
    let policies = services.detection_lifecycle.decay_policies(&actor).await?;
    Ok(web::Json(policies.into_iter().map(Into::into).collect()))
}

/// Sets how long proofs last for a platform, a tactic, both or neither (blue lead, admin).
#[utoipa::path(put, path = "/api/v1/detection-lifecycle/decay-policies", tag = "detection-lifecycle",
    request_body = DecayPolicyRequest,
    responses((status = 200, body = DecayPolicyView), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn set_policy(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<DecayPolicyRequest>,
) -> Result<web::Json<DecayPolicyView>, ApiError> {
    let body = body.into_inner();
    let policy = services
        .detection_lifecycle
        .set_decay_policy(
            &actor,
            NewDecayPolicy {
                platform: body.platform,
                tactic: body.tactic,
                validity_days: body.validity_days,
            },
            &context,
        )
        .await?;
    Ok(web::Json(policy.into()))
}

/// Removes a decay policy (blue lead, admin).
#[utoipa::path(delete, path = "/api/v1/detection-lifecycle/decay-policies/{id}", tag = "detection-lifecycle",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn delete_policy(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    services
        .detection_lifecycle
        .delete_decay_policy(&actor, *id, &context)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Expiring in 7 and 30 days, expired, invalidated, and the techniques whose proof lapses next.
#[utoipa::path(get, path = "/api/v1/detection-lifecycle/dashboard", tag = "detection-lifecycle",
    responses((status = 200, body = LifecycleDashboardView)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn dashboard(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<LifecycleDashboardView>, ApiError> {
    let dashboard = services.detection_lifecycle.dashboard(&actor).await?;
    Ok(web::Json(dashboard.into()))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/assets", web::get().to(list_assets))
        .route("/assets", web::post().to(create_asset))
        .route("/assets/from-rule", web::post().to(create_from_rule))
        .route("/assets/{id}", web::get().to(get_asset))
        .route("/assets/{id}", web::patch().to(update_asset))
        .route("/assets/{id}", web::delete().to(retire_asset))
        .route("/validations", web::get().to(list_validations))
        .route("/validations", web::post().to(record_validation))
        .route("/confidence", web::get().to(confidence_matrix))
        .route("/confidence/{technique_id}", web::get().to(confidence))
        .route("/infrastructure-changes", web::get().to(list_changes))
        .route("/infrastructure-changes", web::post().to(record_change))
        .route("/decay-policies", web::get().to(list_policies))
        .route("/decay-policies", web::put().to(set_policy))
        .route("/decay-policies/{id}", web::delete().to(delete_policy))
        .route("/dashboard", web::get().to(dashboard));
}
