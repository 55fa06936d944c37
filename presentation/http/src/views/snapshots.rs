//! The wire types of [`crate::routes::snapshots`]: its views, request bodies and queries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::snapshots::TrendPoint;
use aegis_domain::snapshot::{PostureSnapshot, TacticPosture};

#[derive(Debug, Serialize, ToSchema)]
pub struct TacticPostureView {
    pub tactic: String,
    pub name: String,
    pub score: Option<f64>,
    pub techniques: u32,
    pub covered: u32,
}

impl From<TacticPosture> for TacticPostureView {
    fn from(t: TacticPosture) -> Self {
        Self {
            tactic: t.tactic,
            name: t.name,
            score: t.score,
            techniques: t.techniques,
            covered: t.covered,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SnapshotView {
    pub id: Uuid,
    pub taken_at: DateTime<Utc>,
    /// Who asked for it; none for the weekly job.
    pub taken_by: Option<Uuid>,
    pub organization_score: Option<f64>,
    pub threat_weighted_score: Option<f64>,
    pub total_techniques: u32,
    /// Techniques (counted with their sub-techniques) whose newest validated test prevented or
    /// detected them: status `validated`, the only status that counts as covered.
    pub covered_techniques: u32,
    pub coverage_percent: f64,
    pub validated_tests: u32,
    /// Techniques per coverage status.
    pub status_counts: std::collections::BTreeMap<String, u32>,
    pub by_tactic: Vec<TacticPostureView>,
}

impl From<PostureSnapshot> for SnapshotView {
    fn from(s: PostureSnapshot) -> Self {
        Self {
            coverage_percent: s.coverage_percent(),
            id: s.id,
            taken_at: s.taken_at,
            taken_by: s.taken_by.map(|u| u.as_uuid()),
            organization_score: s.organization_score,
            threat_weighted_score: s.threat_weighted_score,
            total_techniques: s.total_techniques,
            covered_techniques: s.covered_techniques,
            validated_tests: s.validated_tests,
            status_counts: s.status_counts,
            by_tactic: s.by_tactic.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrendPointView {
    pub taken_at: DateTime<Utc>,
    pub organization_score: Option<f64>,
    pub threat_weighted_score: Option<f64>,
    pub coverage_percent: f64,
    pub validated_tests: u32,
}

impl From<TrendPoint> for TrendPointView {
    fn from(p: TrendPoint) -> Self {
        Self {
            taken_at: p.taken_at,
            organization_score: p.organization_score,
            threat_weighted_score: p.threat_weighted_score,
            coverage_percent: p.coverage_percent,
            validated_tests: p.validated_tests,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SnapshotRange {
    /// Taken at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Taken at or before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}
