//! `/api/v1/tests`: tests through the red/blue workflow, with the original's action paths.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

use aegis_application::Services;
use aegis_application::test_cases::{BlueChanges, NewTest, RedChanges, TestChanges};
use aegis_domain::test_case::{TestCase, TestId};
use aegis_domain::workflow::{Verdict, WorkflowAction};

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::test_cases::{
    ActionRequest, BlueReportRequest, CommentRequest, CommentView, CreateTestRequest,
    RedReportRequest, TestListQuery, TestView, TimelineView, UpdateTestRequest, field,
};
use crate::views::{PageQuery, Paginated};

/// The version the client holds: `If-Match` wins over the body.
pub(crate) fn expected_version(
    request: &HttpRequest,
    body: Option<i32>,
) -> Result<Option<i32>, ApiError> {
    match request.headers().get(actix_web::http::header::IF_MATCH) {
        Some(value) => {
            let text = value
                .to_str()
                .unwrap_or_default()
                .trim()
                .trim_start_matches("W/")
                .trim_matches('"');
            text.parse()
                .map(Some)
                .map_err(|_| field("If-Match", "must be the version you read, e.g. \"3\""))
        }
        None => Ok(body),
    }
}

pub(crate) fn tagged(status: StatusCode, test: TestCase) -> HttpResponse {
    let etag = format!("\"{}\"", test.version());
    HttpResponse::build(status)
        .insert_header((actix_web::http::header::ETAG, etag))
        .json(TestView::from(test))
}

/// Create a test in draft (leads, admin). Accepts `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/tests", tag = "tests", request_body = CreateTestRequest,
    responses((status = 201, body = TestView), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn create(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    request: HttpRequest,
    body: web::Json<CreateTestRequest>,
) -> Result<HttpResponse, ApiError> {
    let key = crate::routes::idempotency_key(&request)?;
    let body = body.into_inner();
    let new = NewTest {
        title: body.title,
        description: body.description,
        technique_id: body.technique_id,
        objective: body.objective,
        target_environment: body.target_environment,
        platform: body.platform,
        assignee_id: body.assignee_id,
    };
    let test = services
        .tests
        .create(&actor, new, key.as_ref(), &context)
        .await?;
    Ok(tagged(StatusCode::CREATED, test))
}

/// Tests, newest first, with filters.
#[utoipa::path(get, path = "/api/v1/tests", tag = "tests", params(TestListQuery, PageQuery),
    responses((status = 200, body = Paginated<TestView>),
        (status = 422, body = Problem, description = "a filter that is not valid (state, technique id, team)")),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<TestListQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Paginated<TestView>>, ApiError> {
    let filter = query.into_inner().filter()?;
    let tests = services.tests.list(&actor, &filter, page.request()).await?;
    Ok(web::Json(Paginated::from_page(tests, TestView::from)))
}

/// One test (with its version as ETag).
#[utoipa::path(get, path = "/api/v1/tests/{id}", tag = "tests", params(("id" = Uuid, Path)),
    responses((status = 200, body = TestView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let test = services.tests.get(&actor, TestId::from_uuid(*id)).await?;
    Ok(tagged(StatusCode::OK, test))
}

/// The test with every transition, worklog and comment.
#[utoipa::path(get, path = "/api/v1/tests/{id}/timeline", tag = "tests", params(("id" = Uuid, Path)),
    responses((status = 200, body = TimelineView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn timeline(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<web::Json<TimelineView>, ApiError> {
    Ok(web::Json(
        services
            .tests
            .timeline(&actor, TestId::from_uuid(*id))
            .await
            .map(|timeline| TimelineView::for_role(timeline, actor.role))?,
    ))
}

/// Change the general fields of a draft (leads, admin).
#[utoipa::path(patch, path = "/api/v1/tests/{id}", tag = "tests", params(("id" = Uuid, Path)),
    request_body = UpdateTestRequest,
    responses((status = 200, body = TestView), (status = 409, body = Problem, description = "VERSION_CONFLICT or TRANSITION_NOT_ALLOWED")),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn update(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<UpdateTestRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let version = expected_version(&request, body.version)?;
    let changes = TestChanges {
        title: body.title,
        description: body.description,
        technique_id: body.technique_id,
        objective: body.objective,
        target_environment: body.target_environment,
        platform: body.platform,
        assignee_id: body.assignee_id,
    };
    let test = services
        .tests
        .update(&actor, TestId::from_uuid(*id), changes, version, &context)
        .await?;
    Ok(tagged(StatusCode::OK, test))
}

/// Delete a test in draft or rejected (leads, admin).
#[utoipa::path(delete, path = "/api/v1/tests/{id}", tag = "tests", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 409, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn delete(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    services
        .tests
        .delete(&actor, TestId::from_uuid(*id), &context)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Red's report: only red, only while red executes.
#[utoipa::path(patch, path = "/api/v1/tests/{id}/red", tag = "tests", params(("id" = Uuid, Path)),
    request_body = RedReportRequest,
    responses((status = 200, body = TestView), (status = 403, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn update_red(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<RedReportRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let version = expected_version(&request, body.version)?;
    let changes = RedChanges {
        executed_at: body.executed_at,
        procedure: body.procedure,
        command: body.command,
        tool: body.tool,
        targets: body.targets,
        result_summary: body.result_summary,
    };
    let test = services
        .tests
        .update_red(&actor, TestId::from_uuid(*id), changes, version, &context)
        .await?;
    Ok(tagged(StatusCode::OK, test))
}

/// Blue's evaluation: only blue, only while blue evaluates.
#[utoipa::path(patch, path = "/api/v1/tests/{id}/blue", tag = "tests", params(("id" = Uuid, Path)),
    request_body = BlueReportRequest,
    responses((status = 200, body = TestView), (status = 403, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn update_blue(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<BlueReportRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let version = expected_version(&request, body.version)?;
    let changes = BlueChanges {
        outcome: body.outcome,
        detected_at: body.detected_at,
        detection_source: body.detection_source,
        fired_rules: body.fired_rules,
        rule_results: body
            .rule_results
            .map(|results| results.into_iter().map(|r| (r.rule, r.result)).collect()),
        notes: body.notes,
    };
    let test = services
        .tests
        .update_blue(&actor, TestId::from_uuid(*id), changes, version, &context)
        .await?;
    Ok(tagged(StatusCode::OK, test))
}

fn workflow_action(name: &str, verdict: Option<&str>) -> Result<WorkflowAction, ApiError> {
    let verdict = || match verdict {
        Some("approve") => Ok(Verdict::Approve),
        Some("reject") => Ok(Verdict::Reject),
        _ => Err(field("verdict", "must be approve or reject")),
    };
    Ok(match name {
        "start-execution" => WorkflowAction::StartExecution,
        "submit-red" => WorkflowAction::SubmitRed,
        "start-evaluation" => WorkflowAction::StartEvaluation,
        "submit-blue" => WorkflowAction::SubmitBlue,
        "validate-red" => WorkflowAction::ValidateRed(verdict()?),
        "validate-blue" => WorkflowAction::ValidateBlue(verdict()?),
        "reopen" => WorkflowAction::Reopen,
        "pause-timer" => WorkflowAction::PauseTimer,
        "resume-timer" => WorkflowAction::ResumeTimer,
        _ => return Err(ApiError::not_found()),
    })
}

/// A workflow step: start-execution, submit-red, start-evaluation, submit-blue, validate-red, validate-blue,
/// reopen, pause-timer or resume-timer. Refusals are 403 (role) or 409 (state), naming the rule.
#[utoipa::path(post, path = "/api/v1/tests/{id}/{action}", tag = "tests",
    params(("id" = Uuid, Path), ("action" = crate::views::enums::WorkflowAction, Path, description = "The step to take")),
    request_body(content = ActionRequest, description = "optional for most steps; validate-* need a verdict"),
    responses(
        (status = 200, body = TestView),
        (status = 403, body = Problem),
        (status = 409, body = Problem, description = "TRANSITION_NOT_ALLOWED, TIMER_STATE or VERSION_CONFLICT"),
        (status = 422, body = Problem, description = "fields missing for the submission, or a rejection without notes"),
    ),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn act(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    request: HttpRequest,
    path: web::Path<(Uuid, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (id, name) = path.into_inner();
    let body: ActionRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ActionRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| crate::json::body_error(&e))?
    };
    let action = workflow_action(&name, body.verdict.as_deref())?;
    let version = expected_version(&request, body.version)?;
    let test = services
        .tests
        .act(
            &actor,
            TestId::from_uuid(id),
            action,
            body.notes,
            version,
            &context,
        )
        .await?;
    Ok(tagged(StatusCode::OK, test))
}

/// Comment on a test (anyone who works on tests).
#[utoipa::path(post, path = "/api/v1/tests/{id}/comments", tag = "tests", params(("id" = Uuid, Path)),
    request_body = CommentRequest,
    responses((status = 201, body = CommentView), (status = 403, body = Problem),
        (status = 409, body = Problem, description = "CAMPAIGN_CLOSED: the test's campaign is completed or archived")),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn comment(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
    body: web::Json<CommentRequest>,
) -> Result<HttpResponse, ApiError> {
    let comment = services
        .tests
        .comment(&actor, TestId::from_uuid(*id), &body.body, &context)
        .await?;
    Ok(HttpResponse::Created().json(CommentView {
        id: comment.id,
        author_id: comment.author.as_uuid(),
        body: comment.body,
        created_at: comment.created_at,
    }))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("", web::get().to(list))
        .route("", web::post().to(create))
        .route(
            "/from-template",
            web::post().to(crate::routes::templates::create_test),
        )
        .route("/{id}", web::get().to(get))
        .route("/{id}", web::patch().to(update))
        .route("/{id}", web::delete().to(delete))
        .route("/{id}/timeline", web::get().to(timeline))
        .route("/{id}/red", web::patch().to(update_red))
        .route("/{id}/blue", web::patch().to(update_blue))
        .route("/{id}/comments", web::post().to(comment))
        .route(
            "/{id}/dependencies",
            web::put().to(crate::routes::campaigns::set_dependencies),
        )
        .route(
            "/{id}/evidence",
            web::post().to(crate::routes::evidence::upload),
        )
        .route(
            "/{id}/evidence",
            web::get().to(crate::routes::evidence::list),
        )
        .route(
            "/{id}/telemetry",
            web::get().to(crate::routes::telemetry::overview),
        )
        .route(
            "/{id}/telemetry/evaluate",
            web::post().to(crate::routes::telemetry::evaluate),
        )
        .route("/{id}/{action}", web::post().to(act));
}
