//! Posture snapshots: an organization's coverage at one moment, kept to draw the trend.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::tenant::TenantId;
use crate::user::UserId;

/// A tactic's coverage at the moment of a snapshot.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TacticPosture {
    /// The tactic's shortname, e.g. `execution`.
    pub tactic: String,
    pub name: String,
    /// Mean rolled score of its techniques; `None` for an empty column.
    pub score: Option<f64>,
    pub techniques: u32,
    pub covered: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PostureSnapshot {
    pub id: uuid::Uuid,
    pub tenant_id: TenantId,
    pub taken_at: DateTime<Utc>,
    /// Who asked for it; `None` for the weekly job.
    pub taken_by: Option<UserId>,
    pub organization_score: Option<f64>,
    pub threat_weighted_score: Option<f64>,
    /// Techniques (not sub-techniques) in the matrix.
    pub total_techniques: u32,
    /// Techniques (counted with their sub-techniques) whose newest validated test prevented or
    /// detected them: status `validated`, the only status that counts as covered.
    pub covered_techniques: u32,
    pub validated_tests: u32,
    /// Techniques per coverage status.
    pub status_counts: BTreeMap<String, u32>,
    pub by_tactic: Vec<TacticPosture>,
}

impl PostureSnapshot {
    /// Covered techniques as a percentage of all, one decimal.
    #[must_use]
    pub fn coverage_percent(&self) -> f64 {
        if self.total_techniques == 0 {
            return 0.0;
        }
        let percent = f64::from(self.covered_techniques) * 100.0 / f64::from(self.total_techniques);
        (percent * 10.0).round() / 10.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(covered: u32, total: u32) -> PostureSnapshot {
        PostureSnapshot {
            id: uuid::Uuid::nil(),
            tenant_id: TenantId::from_uuid(uuid::Uuid::nil()),
            taken_at: DateTime::<Utc>::default(),
            taken_by: None,
            organization_score: None,
            threat_weighted_score: None,
            total_techniques: total,
            covered_techniques: covered,
            validated_tests: 0,
            status_counts: BTreeMap::new(),
            by_tactic: Vec::new(),
        }
    }

    #[test]
    fn coverage_percent_is_rounded_and_safe_on_an_empty_matrix() {
        assert!((snapshot(1, 3).coverage_percent() - 33.3).abs() < f64::EPSILON);
        assert!(snapshot(0, 0).coverage_percent().abs() < f64::EPSILON);
    }
}
