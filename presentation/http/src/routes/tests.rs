//! `/api/v1/tests`: tests through the red/blue workflow, with the original's action paths.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::Services;
use aegis_application::error::FieldError;
use aegis_application::test_cases::{BlueChanges, NewTest, RedChanges, TestChanges, Timeline};
use aegis_domain::Role;
use aegis_domain::catalog::TechniqueId;
use aegis_domain::ports::TestFilter;
use aegis_domain::test_case::{TestCase, TestId};
use aegis_domain::user::UserId;
use aegis_domain::workflow::{Team, TestState, Verdict, WorkflowAction, available_actions};

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::{PageQuery, Paginated};

#[derive(Debug, Serialize, ToSchema)]
pub struct RedReportView {
    pub executed_at: Option<DateTime<Utc>>,
    pub procedure: Option<String>,
    pub command: Option<String>,
    pub tool: Option<String>,
    pub targets: Vec<String>,
    pub result_summary: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub paused_seconds: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BlueReportView {
    /// prevented, detected, logged or not_detected.
    pub outcome: Option<String>,
    pub detected_at: Option<DateTime<Utc>>,
    pub detection_source: Option<String>,
    /// The rules whose result is `triggered`.
    pub fired_rules: Vec<String>,
    /// Each detection rule blue checked, with what it did.
    pub rule_results: Vec<RuleResultView>,
    pub notes: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub paused_seconds: i64,
}

/// One detection rule's result in a test.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RuleResultView {
    /// The rule's id, `source:id` (e.g. `sigma:3b6ab547-…`) or title.
    pub rule: String,
    /// triggered, not_triggered or not_evaluated.
    pub result: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VoteView {
    /// approve or reject.
    pub verdict: Option<String>,
    pub notes: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TestView {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub technique_id: String,
    pub objective: String,
    pub target_environment: String,
    /// The platform it runs on (Windows, Linux, macOS...): coverage counts platform diversity.
    pub platform: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    /// draft, red_executing, blue_evaluating, in_review, validated, rejected or disputed.
    pub state: String,
    pub paused: bool,
    pub red: RedReportView,
    pub blue: BlueReportView,
    /// When both leads' approval validated it; null until then and after a reopen.
    pub validated_at: Option<chrono::DateTime<chrono::Utc>>,
    pub red_vote: VoteView,
    pub blue_vote: VoteView,
    /// Send it back (If-Match or `version`) to change the test: a stale one is 409.
    pub version: i32,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<TestCase> for TestView {
    fn from(t: TestCase) -> Self {
        Self {
            id: t.id.as_uuid(),
            title: t.title,
            description: t.description,
            technique_id: t.technique_id.to_string(),
            objective: t.objective,
            target_environment: t.target_environment,
            platform: t.platform,
            validated_at: t.validated_at,
            assignee_id: t.assignee.map(|a| a.as_uuid()),
            campaign_id: t.campaign_id,
            state: t.workflow.state().as_str().to_owned(),
            paused: t.workflow.is_paused(),
            red: RedReportView {
                executed_at: t.red.executed_at,
                procedure: t.red.procedure,
                command: t.red.command,
                tool: t.red.tool,
                targets: t.red.targets,
                result_summary: t.red.result_summary,
                started_at: t.red_clock.started_at,
                paused_seconds: t.red_clock.paused_seconds,
            },
            blue: BlueReportView {
                outcome: t.blue.outcome.map(|o| o.as_str().to_owned()),
                detected_at: t.blue.detected_at,
                fired_rules: t.blue.fired_rules().map(str::to_owned).collect(),
                detection_source: t.blue.detection_source,
                rule_results: t
                    .blue
                    .rule_results
                    .iter()
                    .map(|r| RuleResultView {
                        rule: r.rule.clone(),
                        result: r.verdict.as_str().to_owned(),
                    })
                    .collect(),
                notes: t.blue.notes,
                started_at: t.blue_clock.started_at,
                paused_seconds: t.blue_clock.paused_seconds,
            },
            red_vote: VoteView {
                verdict: t.workflow.red_vote().map(|v| v.as_str().to_owned()),
                notes: t.red_vote_notes,
            },
            blue_vote: VoteView {
                verdict: t.workflow.blue_vote().map(|v| v.as_str().to_owned()),
                notes: t.blue_vote_notes,
            },
            version: t.version,
            created_by: t.created_by.as_uuid(),
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransitionView {
    pub action: String,
    pub from: String,
    pub to: String,
    pub actor_id: Uuid,
    pub comment: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorklogView {
    /// red or blue.
    pub team: String,
    pub actor_id: Uuid,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub paused_seconds: i64,
    pub duration_seconds: i64,
    pub integrity_hash: String,
    /// Whether the hash still matches the worklog's fields.
    pub intact: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentView {
    pub id: Uuid,
    pub author_id: Uuid,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineView {
    pub test: TestView,
    pub transitions: Vec<TransitionView>,
    pub worklogs: Vec<WorklogView>,
    pub comments: Vec<CommentView>,
    /// The workflow steps the caller's role may take on the test in its state now
    /// (`POST /tests/{id}/{action}`); the campaign's own rules may still refuse one.
    pub available_actions: Vec<String>,
}

impl TimelineView {
    fn for_role(timeline: Timeline, role: Role) -> Self {
        let history = timeline.history;
        Self {
            available_actions: available_actions(&timeline.test.workflow, role)
                .into_iter()
                .map(str::to_owned)
                .collect(),
            test: timeline.test.into(),
            transitions: history
                .transitions
                .into_iter()
                .map(|t| TransitionView {
                    action: t.action,
                    from: t.from,
                    to: t.to,
                    actor_id: t.actor.as_uuid(),
                    comment: t.comment,
                    occurred_at: t.occurred_at,
                })
                .collect(),
            worklogs: history
                .worklogs
                .into_iter()
                .map(|w| WorklogView {
                    intact: w.is_intact(),
                    team: w.team.as_str().to_owned(),
                    actor_id: w.actor.as_uuid(),
                    started_at: w.started_at,
                    ended_at: w.ended_at,
                    paused_seconds: w.paused_seconds,
                    duration_seconds: w.duration_seconds,
                    integrity_hash: w.integrity_hash,
                })
                .collect(),
            comments: history
                .comments
                .into_iter()
                .map(|c| CommentView {
                    id: c.id,
                    author_id: c.author.as_uuid(),
                    body: c.body,
                    created_at: c.created_at,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateTestRequest {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// ATT&CK technique id, e.g. T1059.001; it must be in the catalog.
    pub technique_id: String,
    #[serde(default)]
    pub objective: String,
    #[serde(default)]
    pub target_environment: String,
    /// Windows, Linux, macOS...
    pub platform: Option<String>,
    pub assignee_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateTestRequest {
    pub title: Option<String>,
    pub description: Option<String>,
    pub technique_id: Option<String>,
    pub objective: Option<String>,
    pub target_environment: Option<String>,
    /// A platform, or null to clear it.
    #[serde(default, deserialize_with = "crate::views::double_option")]
    #[schema(value_type = Option<String>)]
    pub platform: Option<Option<String>>,
    /// A user id, or null to unassign.
    #[serde(default, deserialize_with = "crate::views::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    /// The version read; or send If-Match.
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RedReportRequest {
    pub executed_at: Option<DateTime<Utc>>,
    pub procedure: Option<String>,
    pub command: Option<String>,
    pub tool: Option<String>,
    pub targets: Option<Vec<String>>,
    pub result_summary: Option<String>,
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BlueReportRequest {
    /// prevented, detected, logged or not_detected.
    pub outcome: Option<String>,
    pub detected_at: Option<DateTime<Utc>>,
    pub detection_source: Option<String>,
    /// Shorthand: these rules fired (each becomes a `triggered` result).
    pub fired_rules: Option<Vec<String>>,
    /// Each checked rule with triggered, not_triggered or not_evaluated; replaces the
    /// test's rule results (and takes precedence over `fired_rules`).
    pub rule_results: Option<Vec<RuleResultView>>,
    pub notes: Option<String>,
    pub version: Option<i32>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ActionRequest {
    /// For validate-red and validate-blue: approve or reject.
    pub verdict: Option<String>,
    /// Vote notes (required to reject) or a comment on the step.
    pub notes: Option<String>,
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CommentRequest {
    pub body: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TestListQuery {
    pub state: Option<String>,
    pub technique_id: Option<String>,
    /// Tactic id or shortname.
    pub tactic: Option<String>,
    pub campaign_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    /// red or blue: the tests waiting for that team.
    pub team: Option<String>,
    /// Created at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Created before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Validated at or after (RFC 3339).
    pub validated_from: Option<DateTime<Utc>>,
    /// Validated before (RFC 3339).
    pub validated_to: Option<DateTime<Utc>>,
    /// Text in the title or description.
    pub q: Option<String>,
}

impl TestListQuery {
    /// The filter it asks for, or the field at fault.
    pub(crate) fn filter(self) -> Result<TestFilter, ApiError> {
        let state = self
            .state
            .as_deref()
            .map(str::parse::<TestState>)
            .transpose()
            .map_err(|e| field("state", e.to_string()))?;
        let technique = self
            .technique_id
            .as_deref()
            .map(TechniqueId::parse)
            .transpose()
            .map_err(|e| field("technique_id", e.to_string()))?;
        let team = match self.team.as_deref() {
            None => None,
            Some("red") => Some(Team::Red),
            Some("blue") => Some(Team::Blue),
            Some(_) => return Err(field("team", "must be red or blue")),
        };
        Ok(TestFilter {
            state,
            technique,
            tactic: self.tactic.filter(|t| !t.trim().is_empty()),
            campaign: self.campaign_id,
            assignee: self.assignee_id.map(UserId::from_uuid),
            team,
            created_from: self.from,
            created_to: self.to,
            validated_from: self.validated_from,
            validated_to: self.validated_to,
            text: self.q.filter(|q| !q.trim().is_empty()),
            concealed: Vec::new(),
        })
    }
}

fn field(name: &str, message: impl Into<String>) -> ApiError {
    ApiError::validation(vec![FieldError::new(name, message)])
}

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
    let etag = format!("\"{}\"", test.version);
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
    responses((status = 200, body = Paginated<TestView>)),
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
        "submit-blue" => WorkflowAction::SubmitBlue,
        "validate-red" => WorkflowAction::ValidateRed(verdict()?),
        "validate-blue" => WorkflowAction::ValidateBlue(verdict()?),
        "reopen" => WorkflowAction::Reopen,
        "pause-timer" => WorkflowAction::PauseTimer,
        "resume-timer" => WorkflowAction::ResumeTimer,
        _ => return Err(ApiError::not_found()),
    })
}

/// A workflow step: start-execution, submit-red, submit-blue, validate-red, validate-blue,
/// reopen, pause-timer or resume-timer. Refusals are 403 (role) or 409 (state), naming the rule.
#[utoipa::path(post, path = "/api/v1/tests/{id}/{action}", tag = "tests",
    params(("id" = Uuid, Path), ("action" = String, Path, description = "start-execution | submit-red | submit-blue | validate-red | validate-blue | reopen | pause-timer | resume-timer")),
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
    responses((status = 201, body = CommentView), (status = 403, body = Problem)),
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
        .route("/{id}/{action}", web::post().to(act));
}
