//! `/api/v1/dashboard` and `/api/v1/metrics`: the organization's standing for leads and
//! executives, and the testing pipeline's numbers.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};

use aegis_application::Services;
use aegis_application::context::Actor;
use aegis_application::read_models::ReadModel;
use aegis_domain::metrics::ActivityItem;
use aegis_domain::user::UserId;

use crate::auth::Authenticated;
use crate::problem::{ApiError, Problem};
use crate::read_cache::{ReadCache, answer};
use crate::views::dashboard::{
    ActivityView, DashboardView, DetectionWeekView, FunnelStepView, KpisView, MetricsQuery,
    MetricsView, NarrativeView, OperatorView,
};

fn activity_view(item: ActivityItem, people: &BTreeMap<UserId, String>) -> ActivityView {
    ActivityView {
        test_id: item.test_id.as_uuid(),
        test_title: item.test_title,
        technique_id: item.technique_id.to_string(),
        actor_id: item.actor.as_uuid(),
        actor_name: people.get(&item.actor).cloned(),
        action: item.action,
        from_state: item.from,
        to_state: item.to,
        at: item.at,
    }
}

/// KPIs, coverage by tactic, recent activity and the executive narrative.
#[utoipa::path(get, path = "/api/v1/dashboard", tag = "dashboard",
    responses((status = 200, body = DashboardView, headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 304, description = "Not modified: the `If-None-Match` or `If-Modified-Since` copy is current"),
        (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn dashboard(
    request: HttpRequest,
    services: web::Data<Services>,
    cache: web::Data<ReadCache>,
    Authenticated(actor): Authenticated,
) -> Result<HttpResponse, ApiError> {
    let tag = services
        .read_models
        .tag(&actor, ReadModel::Operations)
        .await?;
    answer(&request, &cache, &actor, tag, || {
        dashboard_view(&services, &actor)
    })
    .await
}

async fn dashboard_view(services: &Services, actor: &Actor) -> Result<DashboardView, ApiError> {
    let board = services.dashboard.dashboard(actor).await?;
    let people = board.people;
    Ok(DashboardView {
        kpis: KpisView {
            total_techniques: board.kpis.total_techniques,
            covered_techniques: board.kpis.covered_techniques,
            coverage_percent: board.kpis.coverage_percent,
            validated_tests: board.kpis.validated_tests,
            open_tests: board.kpis.open_tests,
            active_campaigns: board.kpis.active_campaigns,
            open_alerts: board.kpis.open_alerts,
            organization_score: board.kpis.organization_score,
            threat_weighted_score: board.kpis.threat_weighted_score,
            last_snapshot: board.kpis.last_snapshot.map(Into::into),
        },
        status_counts: board.posture.status_counts,
        by_tactic: board
            .posture
            .by_tactic
            .into_iter()
            .map(Into::into)
            .collect(),
        activity: board
            .activity
            .into_iter()
            .map(|item| activity_view(item, &people))
            .collect(),
        narrative: NarrativeView {
            posture: board.narrative.posture,
            trend: board.narrative.trend,
            top_risks: board.narrative.top_risks,
            improvements: board.narrative.improvements,
            actions: board.narrative.actions,
        },
    })
}

/// The pipeline funnel, validation and detection rates, mean time to detect, validation time,
/// never-tested techniques, the detection-rate trend and per-operator activity.
#[utoipa::path(get, path = "/api/v1/metrics", tag = "dashboard", params(MetricsQuery),
    responses((status = 200, body = MetricsView, headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 304, description = "Not modified: the `If-None-Match` or `If-Modified-Since` copy is current"),
        (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn metrics(
    request: HttpRequest,
    services: web::Data<Services>,
    cache: web::Data<ReadCache>,
    Authenticated(actor): Authenticated,
    query: web::Query<MetricsQuery>,
) -> Result<HttpResponse, ApiError> {
    let days = query.days.unwrap_or(30).clamp(1, 3650);
    let tag = services
        .read_models
        .tag(&actor, ReadModel::Operations)
        .await?;
    answer(&request, &cache, &actor, tag, || {
        metrics_view(&services, &actor, days)
    })
    .await
}

async fn metrics_view(
    services: &Services,
    actor: &Actor,
    days: u32,
) -> Result<MetricsView, ApiError> {
    let report = services.dashboard.metrics(actor, days).await?;
    let m = report.metrics;
    let people = report.people;
    Ok(MetricsView {
        total_tests: m.total_tests,
        funnel: m
            .funnel
            .into_iter()
            .map(|(state, tests)| FunnelStepView {
                state: state.as_str().to_owned(),
                tests,
            })
            .collect(),
        validation_rate: m.validation_rate,
        detection_rate: m.detection_rate,
        mean_time_to_detect_seconds: m.mean_time_to_detect_seconds,
        average_validation_seconds: m.average_validation_seconds,
        detection_trend: m
            .detection_trend
            .into_iter()
            .map(|w| DetectionWeekView {
                week_start: w.week_start,
                validated: w.validated,
                detected: w.detected,
                rate: w.rate,
            })
            .collect(),
        never_tested_techniques: m.never_tested_techniques,
        validated_techniques: m.validated_techniques,
        operators: report
            .operators
            .into_iter()
            .map(|o| OperatorView {
                name: people.get(&o.user_id).cloned(),
                user_id: o.user_id.as_uuid(),
                total: o.total,
                actions: o.actions,
            })
            .collect(),
        operators_since: report.since,
    })
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/dashboard", web::get().to(dashboard))
        .route("/metrics", web::get().to(metrics));
}
