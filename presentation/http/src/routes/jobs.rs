//! `/api/v1/system/jobs` and friends: background job history, the scheduler's status, and
//! running a job now (admins).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::Services;
use aegis_application::error::FieldError;
use aegis_application::jobs::ScheduledJob;
use aegis_domain::job::{JobKind, JobOutcome, JobRun, JobTrigger};

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::{PageQuery, Paginated};

const JOB_NAMES: &str = "attack_sync, intel_scan, notification_cleanup, coverage_snapshot, coverage_refresh, evidence_sweep or feed_sync";

#[derive(Debug, Serialize, ToSchema)]
pub struct JobRunView {
    pub id: Uuid,
    /// attack_sync, intel_scan, notification_cleanup, coverage_snapshot, coverage_refresh or
    /// evidence_sweep, feed_sync.
    pub job: String,
    /// schedule or manual.
    pub trigger: String,
    /// The due time of a scheduled run.
    pub due_at: Option<DateTime<Utc>>,
    /// Who asked for a manual run (none for the command line).
    pub requested_by: Option<Uuid>,
    pub queued_at: DateTime<Utc>,
    /// When the latest attempt started.
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub attempts: u32,
    pub max_attempts: u32,
    /// queued, running, succeeded, retrying or dead.
    pub outcome: String,
    /// What the run did, e.g. `{"deleted": 12}`.
    pub counts: std::collections::BTreeMap<String, u64>,
    /// The latest attempt's error.
    pub error: Option<String>,
}

impl From<JobRun> for JobRunView {
    fn from(run: JobRun) -> Self {
        let (trigger, due_at, requested_by) = match run.trigger {
            JobTrigger::Schedule { due_at } => ("schedule", Some(due_at), None),
            JobTrigger::Manual { by } => ("manual", None, by.map(|u| u.as_uuid())),
        };
        Self {
            id: run.id,
            job: run.kind.as_str().to_owned(),
            trigger: trigger.to_owned(),
            due_at,
            requested_by,
            queued_at: run.queued_at,
            started_at: run.started_at,
            finished_at: run.finished_at,
            attempts: run.attempts,
            max_attempts: run.max_attempts,
            outcome: run.outcome.as_str().to_owned(),
            counts: run.counts,
            error: run.error,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduledJobView {
    pub job: String,
    pub description: String,
    /// Cron expression, seconds first, UTC; none when the job runs only on demand.
    pub schedule: Option<String>,
    pub next_due: Option<DateTime<Utc>>,
    pub last_run: Option<JobRunView>,
}

impl From<ScheduledJob> for ScheduledJobView {
    fn from(job: ScheduledJob) -> Self {
        Self {
            job: job.kind.as_str().to_owned(),
            description: job.kind.description().to_owned(),
            schedule: job.schedule,
            next_due: job.next_due,
            last_run: job.last_run.map(Into::into),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobRunQuery {
    /// Only runs of this job.
    pub job: Option<String>,
    /// Only runs with this outcome: queued, running, succeeded, retrying or dead.
    pub outcome: Option<String>,
}

fn parse_job(field: &str, text: &str) -> Result<JobKind, ApiError> {
    JobKind::parse(text.trim()).ok_or_else(|| {
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
        .filter(|t| !t.trim().is_empty())
        .map(|t| parse_job("job", t))
        .transpose()?;
    let outcome = query
        .outcome
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(|t| {
            JobOutcome::parse(t.trim()).ok_or_else(|| {
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
#[utoipa::path(post, path = "/api/v1/system/jobs/{job}/run", tag = "jobs", params(("job" = String, Path, description = "attack_sync, intel_scan, notification_cleanup, coverage_snapshot, coverage_refresh, evidence_sweep or feed_sync")),
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
