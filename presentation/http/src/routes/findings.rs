//! `/api/v1/findings`: what validated tests showed the defence missed or only logged, their
//! remediation steps, risk acceptance, and the retest that closes them.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::Services;
use aegis_application::findings::{
    FindingChanges, FindingQuery, FindingView, NewStep, StepChanges,
};
use aegis_domain::finding::FindingId;

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::routes::tests::{TestView, expected_version};
use crate::views::{PageQuery, Paginated};

#[derive(Debug, Serialize, ToSchema)]
pub struct StepView {
    pub id: Uuid,
    pub title: String,
    pub assignee_id: Option<Uuid>,
    /// todo, in_progress or done.
    pub status: String,
    pub notes: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RiskAcceptanceView {
    pub reason: String,
    pub expires_on: NaiveDate,
    pub accepted_by: Uuid,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FindingResponse {
    pub id: Uuid,
    /// The validated test that showed the gap.
    pub test_id: Uuid,
    pub technique_id: String,
    pub campaign_id: Option<Uuid>,
    pub title: String,
    /// logged or not_detected.
    pub outcome: String,
    /// low, medium, high or critical.
    pub severity: String,
    /// open, in_remediation, awaiting_retest, resolved or risk_accepted.
    pub status: String,
    pub owner_id: Option<Uuid>,
    pub due_on: Option<NaiveDate>,
    /// Unresolved past its due date.
    pub overdue: bool,
    /// In order.
    pub steps: Vec<StepView>,
    pub risk_acceptance: Option<RiskAcceptanceView>,
    /// The accepted risk's expiry has passed: it needs a new decision.
    pub acceptance_expired: bool,
    /// The retest that must validate with a better outcome to resolve the finding.
    pub retest_id: Option<Uuid>,
    /// The outcome of the last retest that did not improve.
    pub last_retest_outcome: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<FindingView> for FindingResponse {
    fn from(view: FindingView) -> Self {
        let f = view.finding;
        Self {
            id: f.id.as_uuid(),
            test_id: f.test_id.as_uuid(),
            technique_id: f.technique_id.to_string(),
            campaign_id: f.campaign_id,
            title: f.title,
            outcome: f.outcome.as_str().to_owned(),
            severity: f.severity.as_str().to_owned(),
            status: f.status.as_str().to_owned(),
            owner_id: f.owner.map(|u| u.as_uuid()),
            due_on: f.due_on,
            overdue: view.overdue,
            steps: f
                .steps
                .into_iter()
                .map(|s| StepView {
                    id: s.id,
                    title: s.title,
                    assignee_id: s.assignee.map(|u| u.as_uuid()),
                    status: s.status.as_str().to_owned(),
                    notes: s.notes,
                    updated_at: s.updated_at,
                })
                .collect(),
            risk_acceptance: f.risk_acceptance.map(|a| RiskAcceptanceView {
                reason: a.reason,
                expires_on: a.expires_on,
                accepted_by: a.accepted_by.as_uuid(),
            }),
            acceptance_expired: view.acceptance_expired,
            retest_id: f.retest_id.map(|t| t.as_uuid()),
            last_retest_outcome: f.last_retest_outcome.map(|o| o.as_str().to_owned()),
            resolved_at: f.resolved_at,
            version: f.version,
            created_at: f.created_at,
            updated_at: f.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FindingListQuery {
    /// open, in_remediation, awaiting_retest, resolved or risk_accepted.
    pub status: Option<String>,
    /// low, medium, high or critical.
    pub severity: Option<String>,
    pub technique_id: Option<String>,
    pub owner_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    /// Only unresolved findings past their due date.
    pub overdue: Option<bool>,
}

impl From<FindingListQuery> for FindingQuery {
    fn from(q: FindingListQuery) -> Self {
        Self {
            status: q.status.filter(|s| !s.trim().is_empty()),
            severity: q.severity.filter(|s| !s.trim().is_empty()),
            technique: q.technique_id.filter(|s| !s.trim().is_empty()),
            owner: q.owner_id,
            campaign: q.campaign_id,
            overdue: q.overdue.unwrap_or(false),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateFindingRequest {
    /// A user id, or null to clear.
    #[serde(default, deserialize_with = "crate::views::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub owner_id: Option<Option<Uuid>>,
    /// A date, or null to clear.
    #[serde(default, deserialize_with = "crate::views::double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub due_on: Option<Option<NaiveDate>>,
    /// low, medium, high or critical.
    pub severity: Option<String>,
    /// in_remediation (start the work) or open (take back an accepted risk).
    pub status: Option<String>,
    /// The version read; or send If-Match.
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AcceptRiskRequest {
    pub reason: String,
    /// After today; the finding needs a new decision then.
    pub expires_on: NaiveDate,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewStepRequest {
    pub title: String,
    pub assignee_id: Option<Uuid>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateStepRequest {
    pub title: Option<String>,
    #[serde(default, deserialize_with = "crate::views::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    /// todo, in_progress or done.
    pub status: Option<String>,
    pub notes: Option<String>,
    /// Move the step to this place (0 first).
    pub position: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RetestView {
    pub finding: FindingResponse,
    /// The new draft test that must validate with a better outcome.
    pub retest: TestView,
}

fn tagged(status: StatusCode, view: FindingView) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((
            actix_web::http::header::ETAG,
            format!("\"{}\"", view.finding.version),
        ))
        .json(FindingResponse::from(view))
}

fn finding_id(id: &Uuid) -> FindingId {
    FindingId::from_uuid(*id)
}

/// Findings, most severe first, with filters.
#[utoipa::path(get, path = "/api/v1/findings", tag = "findings", params(FindingListQuery, PageQuery),
    responses((status = 200, body = Paginated<FindingResponse>), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<FindingListQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Paginated<FindingResponse>>, ApiError> {
    let findings = services
        .findings
        .list(&actor, &query.into_inner().into(), page.request())
        .await?;
    Ok(web::Json(Paginated::from_page(
        findings,
        FindingResponse::from,
    )))
}

/// One finding with its steps.
#[utoipa::path(get, path = "/api/v1/findings/{id}", tag = "findings", params(("id" = Uuid, Path)),
    responses((status = 200, body = FindingResponse), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let view = services.findings.get(&actor, finding_id(&id)).await?;
    Ok(tagged(StatusCode::OK, view))
}

/// Owner, due date, severity, or start remediation / reopen an accepted risk (leads, admin).
#[utoipa::path(patch, path = "/api/v1/findings/{id}", tag = "findings", params(("id" = Uuid, Path)),
    request_body = UpdateFindingRequest,
    responses((status = 200, body = FindingResponse), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn update(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<UpdateFindingRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let version = expected_version(&request, body.version)?;
    let changes = FindingChanges {
        owner_id: body.owner_id,
        due_on: body.due_on,
        severity: body.severity,
        status: body.status,
    };
    let view = services
        .findings
        .update(&actor, finding_id(&id), changes, version, &context)
        .await?;
    Ok(tagged(StatusCode::OK, view))
}

/// Leave the gap open on purpose, for a reason, until a date (leads, admin).
#[utoipa::path(post, path = "/api/v1/findings/{id}/accept-risk", tag = "findings", params(("id" = Uuid, Path)),
    request_body = AcceptRiskRequest,
    responses((status = 200, body = FindingResponse), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn accept_risk(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
    body: web::Json<AcceptRiskRequest>,
) -> Result<HttpResponse, ApiError> {
    let view = services
        .findings
        .accept_risk(
            &actor,
            finding_id(&id),
            &body.reason,
            body.expires_on,
            &context,
        )
        .await?;
    Ok(tagged(StatusCode::OK, view))
}

/// The gap is fixed: create the retest (a new draft test of the same plan); the finding
/// resolves when it validates with a better outcome (leads, admin).
#[utoipa::path(post, path = "/api/v1/findings/{id}/retest", tag = "findings", params(("id" = Uuid, Path)),
    responses((status = 201, body = RetestView), (status = 409, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn retest(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (finding, retest) = services
        .findings
        .request_retest(&actor, finding_id(&id), &context)
        .await?;
    Ok(HttpResponse::Created().json(RetestView {
        finding: finding.into(),
        retest: retest.into(),
    }))
}

/// Add a remediation step at the end (leads, admin).
#[utoipa::path(post, path = "/api/v1/findings/{id}/steps", tag = "findings", params(("id" = Uuid, Path)),
    request_body = NewStepRequest,
    responses((status = 201, body = FindingResponse), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn add_step(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
    body: web::Json<NewStepRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let step = NewStep {
        title: body.title,
        assignee_id: body.assignee_id,
        notes: body.notes,
    };
    let view = services
        .findings
        .add_step(&actor, finding_id(&id), step, &context)
        .await?;
    Ok(tagged(StatusCode::CREATED, view))
}

/// Change a step (leads, admin; its assignee may change its status and notes).
#[utoipa::path(patch, path = "/api/v1/findings/{id}/steps/{step_id}", tag = "findings",
    params(("id" = Uuid, Path), ("step_id" = Uuid, Path)), request_body = UpdateStepRequest,
    responses((status = 200, body = FindingResponse), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn update_step(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<UpdateStepRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, step) = path.into_inner();
    let body = body.into_inner();
    let changes = StepChanges {
        title: body.title,
        assignee_id: body.assignee_id,
        status: body.status,
        notes: body.notes,
        position: body.position,
    };
    let view = services
        .findings
        .update_step(&actor, finding_id(&id), step, changes, &context)
        .await?;
    Ok(tagged(StatusCode::OK, view))
}

/// Remove a step (leads, admin).
#[utoipa::path(delete, path = "/api/v1/findings/{id}/steps/{step_id}", tag = "findings",
    params(("id" = Uuid, Path), ("step_id" = Uuid, Path)),
    responses((status = 200, body = FindingResponse), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn remove_step(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, step) = path.into_inner();
    let view = services
        .findings
        .remove_step(&actor, finding_id(&id), step, &context)
        .await?;
    Ok(tagged(StatusCode::OK, view))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("", web::get().to(list))
        .route("/{id}", web::get().to(get))
        .route("/{id}", web::patch().to(update))
        .route("/{id}/accept-risk", web::post().to(accept_risk))
        .route("/{id}/retest", web::post().to(retest))
        .route("/{id}/steps", web::post().to(add_step))
        .route("/{id}/steps/{step_id}", web::patch().to(update_step))
        .route("/{id}/steps/{step_id}", web::delete().to(remove_step));
}
