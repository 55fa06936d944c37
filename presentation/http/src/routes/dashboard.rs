//! `/api/v1/dashboard` and `/api/v1/metrics`: the organization's standing for leads and
//! executives, and the testing pipeline's numbers.

use std::collections::BTreeMap;

use actix_web::web;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::Services;
use aegis_domain::metrics::ActivityItem;
use aegis_domain::user::UserId;

use crate::auth::Authenticated;
use crate::problem::{ApiError, Problem};
use crate::routes::snapshots::{SnapshotView, TacticPostureView};

#[derive(Debug, Serialize, ToSchema)]
pub struct KpisView {
    /// Techniques (not sub-techniques) in the matrix.
    pub total_techniques: u32,
    /// Techniques (counted with their sub-techniques) whose newest validated test prevented or
    /// detected them: status `validated`, the only status that counts as covered.
    pub covered_techniques: u32,
    pub coverage_percent: f64,
    pub validated_tests: u32,
    /// Tests neither validated nor rejected.
    pub open_tests: u32,
    /// Campaigns under way.
    pub active_campaigns: u32,
    pub organization_score: Option<f64>,
    pub threat_weighted_score: Option<f64>,
    pub last_snapshot: Option<SnapshotView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityView {
    pub test_id: Uuid,
    pub test_title: String,
    pub technique_id: String,
    pub actor_id: Uuid,
    pub actor_name: Option<String>,
    /// The workflow action, e.g. `submit-red`.
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NarrativeView {
    pub posture: String,
    pub trend: String,
    /// The uncovered techniques most threat actors use.
    pub top_risks: Vec<String>,
    pub improvements: String,
    pub actions: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardView {
    pub kpis: KpisView,
    pub by_tactic: Vec<TacticPostureView>,
    /// Techniques per coverage status.
    pub status_counts: BTreeMap<String, u32>,
    /// The newest workflow steps, newest first.
    pub activity: Vec<ActivityView>,
    pub narrative: NarrativeView,
}

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
    responses((status = 200, body = DashboardView), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn dashboard(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<DashboardView>, ApiError> {
    let board = services.dashboard.dashboard(&actor).await?;
    let people = board.people;
    Ok(web::Json(DashboardView {
        kpis: KpisView {
            total_techniques: board.kpis.total_techniques,
            covered_techniques: board.kpis.covered_techniques,
            coverage_percent: board.kpis.coverage_percent,
            validated_tests: board.kpis.validated_tests,
            open_tests: board.kpis.open_tests,
            active_campaigns: board.kpis.active_campaigns,
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
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FunnelStepView {
    pub state: String,
    pub tests: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DetectionWeekView {
    /// The Monday the week starts on.
    pub week_start: NaiveDate,
    pub validated: u32,
    pub detected: u32,
    pub rate: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OperatorView {
    pub user_id: Uuid,
    pub name: Option<String>,
    pub total: u64,
    /// Workflow actions by name, e.g. `submit-red`.
    pub actions: BTreeMap<String, u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricsView {
    pub total_tests: u32,
    /// Tests per workflow state, in workflow order.
    pub funnel: Vec<FunnelStepView>,
    /// Validated tests out of those that left draft (0..=1).
    pub validation_rate: Option<f64>,
    /// Validated tests that were prevented or detected, out of validated tests (0..=1).
    pub detection_rate: Option<f64>,
    /// Mean seconds from red's execution to blue's detection.
    pub mean_time_to_detect_seconds: Option<f64>,
    /// Mean seconds from the start of red's execution to validation.
    pub average_validation_seconds: Option<f64>,
    /// The last twelve weeks, oldest first.
    pub detection_trend: Vec<DetectionWeekView>,
    pub never_tested_techniques: u32,
    pub validated_techniques: u32,
    /// Workflow actions per person since `operators_since`, busiest first.
    pub operators: Vec<OperatorView>,
    pub operators_since: DateTime<Utc>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MetricsQuery {
    /// Days of operator activity to count (default 30, at most 3650).
    pub days: Option<u32>,
}

/// The pipeline funnel, validation and detection rates, mean time to detect, validation time,
/// never-tested techniques, the detection-rate trend and per-operator activity.
#[utoipa::path(get, path = "/api/v1/metrics", tag = "dashboard", params(MetricsQuery),
    responses((status = 200, body = MetricsView), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn metrics(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<MetricsQuery>,
) -> Result<web::Json<MetricsView>, ApiError> {
    let days = query.days.unwrap_or(30).clamp(1, 3650);
    let report = services.dashboard.metrics(&actor, days).await?;
    let m = report.metrics;
    let people = report.people;
    Ok(web::Json(MetricsView {
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
    }))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/dashboard", web::get().to(dashboard))
        .route("/metrics", web::get().to(metrics));
}
