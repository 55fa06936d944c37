//! `/api/v1/system/jobs` and friends: background job history, the scheduler's status, and
//! running a job now (admins).

use actix_web::{HttpResponse, web};
use uuid::Uuid;

use aegis_application::Services;
use aegis_application::error::FieldError;
use aegis_domain::job::{JobKind, JobOutcome};

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::jobs::{JobRunQuery, JobRunView, ScheduledJobView};
use crate::views::{PageQuery, Paginated};

const JOB_NAMES: &str = "attack_sync, intel_scan, notification_cleanup, coverage_snapshot, coverage_refresh, evidence_sweep or feed_sync";

fn parse_job(field: &str, text: &str) -> Result<JobKind, ApiError> {
    JobKind::parse(text).ok_or_else(|| {
        ApiError::validation(vec![FieldError::new(field, format!("must be {JOB_NAMES}"))])
    })
}

/// The job history, newest first (admin).
#[utoipa::path(get, path = "/api/v1/system/jobs", tag = "jobs", params(JobRunQuery, PageQuery),
    responses((status = 200, body = Paginated<JobRunView>), (status = 422, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<JobRunQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Paginated<JobRunView>>, ApiError> {
    let kind = query
        .job
        .as_deref()
        // Closed sets, documented as such: a blank or padded value is refused like any other.
        .map(|t| parse_job("job", t))
        .transpose()?;
    let outcome = query
        .outcome
        .as_deref()
        .map(|t| {
            JobOutcome::parse(t).ok_or_else(|| {
                ApiError::validation(vec![FieldError::new(
                    "outcome",
                    "must be queued, running, succeeded, retrying or dead",
                )])
            })
        })
        .transpose()?;
    let runs = services
        .jobs
        .history(&actor, kind, outcome, page.request())
        .await?;
    Ok(web::Json(Paginated::from_page(runs, Into::into)))
}

/// One job run and how it went (admin).
#[utoipa::path(get, path = "/api/v1/system/jobs/{id}", tag = "jobs", params(("id" = Uuid, Path)),
    responses((status = 200, body = JobRunView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<web::Json<JobRunView>, ApiError> {
    Ok(web::Json(services.jobs.run(&actor, *id).await?.into()))
}

async fn start(
    services: &Services,
    actor: &aegis_application::context::Actor,
    context: &aegis_application::context::RequestContext,
    kind: JobKind,
) -> Result<HttpResponse, ApiError> {
    let initiator = aegis_application::context::Initiator::User(actor.clone());
    let run = services.jobs.run_now(&initiator, kind, context).await?;
    Ok(HttpResponse::Accepted().json(JobRunView::from(run)))
}

/// Queue a job to run now (admin); `GET /api/v1/system/jobs/{id}` tells how it goes.
#[utoipa::path(post, path = "/api/v1/system/jobs/{job}/run", tag = "jobs", params(("job" = crate::views::enums::JobKind, Path, description = "attack_sync, intel_scan, notification_cleanup, coverage_snapshot, coverage_refresh, evidence_sweep or feed_sync")),
    responses((status = 202, body = JobRunView), (status = 422, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn run(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    job: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let kind = parse_job("job", &job)?;
    start(&services, &actor, &context, kind).await
}

/// Queue an ATT&CK sync from the configured feed (admin; the original's path).
#[utoipa::path(post, path = "/api/v1/system/sync-mitre", tag = "jobs",
    responses((status = 202, body = JobRunView), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn sync_mitre(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
) -> Result<HttpResponse, ApiError> {
    start(&services, &actor, &context, JobKind::AttackSync).await
}

/// Queue an intel scan (admin; the original's path).
#[utoipa::path(post, path = "/api/v1/system/run-intel-scan", tag = "jobs",
    responses((status = 202, body = JobRunView), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn run_intel_scan(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
) -> Result<HttpResponse, ApiError> {
    start(&services, &actor, &context, JobKind::IntelScan).await
}

/// Every job with its schedule, next due time and last run (admin).
#[utoipa::path(get, path = "/api/v1/system/scheduler-status", tag = "jobs",
    responses((status = 200, body = Vec<ScheduledJobView>), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn scheduler_status(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<Vec<ScheduledJobView>>, ApiError> {
    Ok(web::Json(
        services
            .jobs
            .scheduler_status(&actor)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/jobs", web::get().to(list))
        .route("/jobs/{id}", web::get().to(get))
        .route("/jobs/{job}/run", web::post().to(run))
        .route("/sync-mitre", web::post().to(sync_mitre))
        .route("/run-intel-scan", web::post().to(run_intel_scan))
        .route("/scheduler-status", web::get().to(scheduler_status));
}
