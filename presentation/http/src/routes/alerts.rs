//! `/api/v1/alerts`: the organization's alert rules (eight system rules and custom ones),
//! their evaluation on request, and the alerts with their lifecycle.

use actix_web::{HttpResponse, web};
use uuid::Uuid;

use aegis_application::Services;
use aegis_domain::alert::{AlertAction, AlertId, AlertRuleId};

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::alerts::{
    AlertQuery, AlertRuleView, AlertRulesView, AlertStepRequest, AlertSummaryView, AlertView,
    EvaluationView, NewAlertRuleRequest, UpdateAlertRuleRequest,
};
use crate::views::{PageQuery, Paginated};

/// Evaluate the organization's rules now (leads and admins). Answers once evaluated, with
/// what fired; a condition fires once per its rule's cooldown.
#[utoipa::path(post, path = "/api/v1/alerts/evaluate", tag = "alerts",
    responses((status = 202, body = EvaluationView), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn evaluate(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
) -> Result<HttpResponse, ApiError> {
    let report = services.alerts.evaluate(&actor, &context).await?;
    Ok(HttpResponse::Accepted().json(EvaluationView::from(report)))
}

/// The organization's rules, system rules first.
#[utoipa::path(get, path = "/api/v1/alerts/rules", tag = "alerts",
    responses((status = 200, body = AlertRulesView)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn rules(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<AlertRulesView>, ApiError> {
    let rules = services.alerts.rules(&actor).await?;
    Ok(web::Json(AlertRulesView {
        items: rules.into_iter().map(Into::into).collect(),
    }))
}

/// Create a custom rule of one of the eight types (leads and admins).
#[utoipa::path(post, path = "/api/v1/alerts/rules", tag = "alerts", request_body = NewAlertRuleRequest,
    responses((status = 201, body = AlertRuleView), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn create_rule(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<NewAlertRuleRequest>,
) -> Result<HttpResponse, ApiError> {
    let rule = services
        .alerts
        .create_rule(&actor, &context, body.into_inner().into())
        .await?;
    Ok(HttpResponse::Created().json(AlertRuleView::from(rule)))
}

/// Change a rule: its name, configuration, severity, cooldown, channels, or whether it is
/// enabled (leads and admins).
#[utoipa::path(patch, path = "/api/v1/alerts/rules/{id}", tag = "alerts", params(("id" = Uuid, Path)),
    request_body = UpdateAlertRuleRequest,
    responses((status = 200, body = AlertRuleView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn update_rule(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
    body: web::Json<UpdateAlertRuleRequest>,
) -> Result<web::Json<AlertRuleView>, ApiError> {
    let rule = services
        .alerts
        .update_rule(
            &actor,
            &context,
            AlertRuleId::from_uuid(*id),
            body.into_inner().into(),
        )
        .await?;
    Ok(web::Json(rule.into()))
}

/// Delete a custom rule (admins); its alerts stay. A system rule answers 409: disable it.
#[utoipa::path(delete, path = "/api/v1/alerts/rules/{id}", tag = "alerts", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn delete_rule(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    services
        .alerts
        .delete_rule(&actor, &context, AlertRuleId::from_uuid(*id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Alerts, newest first, with filters.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", params(AlertQuery, PageQuery),
    responses((status = 200, body = Paginated<AlertView>), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<AlertQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Paginated<AlertView>>, ApiError> {
    let filter = query.into_inner().filter()?;
    let alerts = services
        .alerts
        .list(&actor, &filter, page.request())
        .await?;
    Ok(web::Json(Paginated::from_page(alerts, Into::into)))
}

/// Counts per status, and of the active alerts per severity and rule type.
#[utoipa::path(get, path = "/api/v1/alerts/summary", tag = "alerts",
    responses((status = 200, body = AlertSummaryView)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn summary(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<AlertSummaryView>, ApiError> {
    Ok(web::Json(services.alerts.summary(&actor).await?.into()))
}

async fn act(
    services: &Services,
    actor: &aegis_application::context::Actor,
    context: &aegis_application::context::RequestContext,
    id: Uuid,
    action: AlertAction,
    body: Option<web::Json<AlertStepRequest>>,
) -> Result<web::Json<AlertView>, ApiError> {
    let note = body.and_then(|b| b.into_inner().note);
    let alert = services
        .alerts
        .act(actor, context, AlertId::from_uuid(id), action, note)
        .await?;
    Ok(web::Json(alert.into()))
}

/// Acknowledge an open alert (leads and admins), with an optional note.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/acknowledge", tag = "alerts", params(("id" = Uuid, Path)),
    request_body(content = AlertStepRequest, description = "Optional"),
    responses((status = 200, body = AlertView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn acknowledge(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
    body: Option<web::Json<AlertStepRequest>>,
) -> Result<web::Json<AlertView>, ApiError> {
    act(
        &services,
        &actor,
        &context,
        *id,
        AlertAction::Acknowledge,
        body,
    )
    .await
}

/// Resolve an open or acknowledged alert (leads and admins), with an optional note.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/resolve", tag = "alerts", params(("id" = Uuid, Path)),
    request_body(content = AlertStepRequest, description = "Optional"),
    responses((status = 200, body = AlertView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn resolve(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
    body: Option<web::Json<AlertStepRequest>>,
) -> Result<web::Json<AlertView>, ApiError> {
    act(&services, &actor, &context, *id, AlertAction::Resolve, body).await
}

/// Dismiss an open or acknowledged alert (leads and admins), with an optional note.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/dismiss", tag = "alerts", params(("id" = Uuid, Path)),
    request_body(content = AlertStepRequest, description = "Optional"),
    responses((status = 200, body = AlertView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn dismiss(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
    body: Option<web::Json<AlertStepRequest>>,
) -> Result<web::Json<AlertView>, ApiError> {
    act(&services, &actor, &context, *id, AlertAction::Dismiss, body).await
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("", web::get().to(list))
        .route("/summary", web::get().to(summary))
        .route("/evaluate", web::post().to(evaluate))
        .route("/rules", web::get().to(rules))
        .route("/rules", web::post().to(create_rule))
        .route("/rules/{id}", web::patch().to(update_rule))
        .route("/rules/{id}", web::delete().to(delete_rule))
        .route("/{id}/acknowledge", web::post().to(acknowledge))
        .route("/{id}/resolve", web::post().to(resolve))
        .route("/{id}/dismiss", web::post().to(dismiss));
}
