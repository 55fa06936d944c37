//! The wire types of [`crate::routes::dashboard`]: its views, request bodies and queries.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::views::snapshots::{SnapshotView, TacticPostureView};

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
    /// Alerts fired and not yet acknowledged, resolved or dismissed.
    pub open_alerts: u32,
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
    #[param(value_type = Option<u64>, maximum = 4_294_967_295_u64)]
    pub days: Option<u32>,
}
