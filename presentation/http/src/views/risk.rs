//! The wire types of [`crate::routes::risk`]: risk per technique, the matrix, the summary,
//! the recommendations and the detection performance (prevention split, time to detect).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use aegis_application::error::FieldError;
use aegis_application::risk::{
    DetectionPerformance, MatrixCell, RiskEntry, RiskFilter, RiskSort, RiskSummary,
};
use aegis_domain::risk::{OutcomeSplit, Recommendation, RiskLevel};

use crate::problem::ApiError;

/// What each term adds to the score (points; they add up to it).
#[derive(Debug, Serialize, ToSchema)]
pub struct RiskBreakdownView {
    /// 0..=35: how little detection is proven.
    pub detection_gap: f64,
    /// 0..=30: actors in scope using the technique, full at 5.
    pub threat_actors: f64,
    /// 0..=20: intelligence items naming it in the last 30 days, full at 10.
    pub intelligence: f64,
    /// 0..=15: the share of validated tests that were logged only or missed.
    pub failed_tests: f64,
}

/// What the score was computed from.
#[derive(Debug, Serialize, ToSchema)]
pub struct RiskInputsView {
    /// The detection proof: the technique's coverage status.
    #[schema(value_type = crate::views::enums::CoverageStatus)]
    pub detection_status: String,
    /// 0..=100, the proof's score.
    pub detection_score: f64,
    /// Whether a detection is proven (status validated).
    pub detection_proven: bool,
    pub actors: u32,
    /// Whether `actors` counts the organization's tracked actors (else every known actor).
    pub tracked_actors: bool,
    pub intelligence_signals: u32,
    pub validated_tests: u32,
    pub failed_tests: u32,
}

/// One technique's risk.
#[derive(Debug, Serialize, ToSchema)]
pub struct RiskView {
    pub technique_id: String,
    pub name: String,
    pub tactics: Vec<String>,
    /// 0..=100.
    pub score: f64,
    #[schema(value_type = crate::views::enums::RiskLevel)]
    pub level: String,
    /// 1..=5.
    pub likelihood: u8,
    /// 1..=5.
    pub impact: u8,
    pub breakdown: RiskBreakdownView,
    pub inputs: RiskInputsView,
    pub computed_at: DateTime<Utc>,
}

impl From<RiskEntry> for RiskView {
    fn from(entry: RiskEntry) -> Self {
        let risk = entry.risk;
        let inputs = &risk.inputs;
        let proof = inputs.proof();
        Self {
            technique_id: risk.technique_id.to_string(),
            name: entry.name,
            tactics: entry.tactics,
            score: risk.score,
            level: risk.level.as_str().to_owned(),
            likelihood: risk.likelihood,
            impact: risk.impact,
            breakdown: RiskBreakdownView {
                detection_gap: risk.breakdown.detection_gap,
                threat_actors: risk.breakdown.threat_actors,
                intelligence: risk.breakdown.intelligence,
                failed_tests: risk.breakdown.failed_tests,
            },
            inputs: RiskInputsView {
                detection_status: proof.status.as_str().to_owned(),
                detection_score: proof.score,
                detection_proven: proof.is_proven(),
                actors: inputs.actors,
                tracked_actors: inputs.tracked_actors,
                intelligence_signals: inputs.intelligence_signals,
                validated_tests: inputs.validated_tests,
                failed_tests: inputs.failed_tests,
            },
            computed_at: risk.computed_at,
        }
    }
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RiskListQuery {
    /// critical, high, medium, low or info.
    #[param(value_type = Option<crate::views::enums::RiskLevel>)]
    pub level: Option<String>,
    /// A tactic's shortname (`credential-access`).
    pub tactic: Option<String>,
    /// 0..=100.
    pub min_score: Option<f64>,
    /// Only techniques actors in scope use (true) or none uses (false).
    pub used_by_actors: Option<bool>,
    /// score_desc (default), score_asc or technique.
    #[param(value_type = Option<crate::views::enums::RiskSort>)]
    pub sort: Option<String>,
}

impl RiskListQuery {
    /// The filter, or a validation problem naming the field.
    ///
    /// # Errors
    /// An unknown level or sort.
    pub fn filter(self) -> Result<RiskFilter, ApiError> {
        let mut fields = Vec::new();
        let level = match self.level.as_deref() {
            None => None,
            Some(text) => {
                let level = RiskLevel::parse(text);
                if level.is_none() {
                    fields.push(FieldError::new(
                        "level",
                        "must be critical, high, medium, low or info",
                    ));
                }
                level
            }
        };
        let sort = match self.sort.as_deref() {
            None | Some("score_desc") => RiskSort::ScoreDesc,
            Some("score_asc") => RiskSort::ScoreAsc,
            Some("technique") => RiskSort::Technique,
            Some(_) => {
                fields.push(FieldError::new(
                    "sort",
                    "must be score_desc, score_asc or technique",
                ));
                RiskSort::ScoreDesc
            }
        };
        if !fields.is_empty() {
            return Err(ApiError::validation(fields));
        }
        Ok(RiskFilter {
            level,
            tactic: self.tactic.filter(|t| !t.trim().is_empty()),
            min_score: self.min_score,
            used_by_actors: self.used_by_actors,
            sort,
        })
    }
}

#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LimitQuery {
    /// 1..=100; 10 when absent.
    #[param(value_type = Option<u64>, maximum = 4_294_967_295_u64)]
    pub limit: Option<u32>,
}

impl LimitQuery {
    pub fn value(self) -> u32 {
        self.limit.unwrap_or(10)
    }
}

/// One cell of the likelihood x impact matrix.
#[derive(Debug, Serialize, ToSchema)]
pub struct RiskCellView {
    /// 1..=5.
    pub likelihood: u8,
    /// 1..=5.
    pub impact: u8,
    pub count: u32,
    /// Most urgent first.
    pub techniques: Vec<String>,
}

impl From<MatrixCell> for RiskCellView {
    fn from(cell: MatrixCell) -> Self {
        Self {
            likelihood: cell.likelihood,
            impact: cell.impact,
            count: cell.count,
            techniques: cell.techniques.iter().map(ToString::to_string).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RiskSummaryView {
    /// Techniques assessed.
    pub techniques: u32,
    /// Techniques per level; every level present.
    pub by_level: BTreeMap<String, u32>,
    pub average_score: Option<f64>,
    pub highest: Option<RiskView>,
    /// High or critical techniques with no proven detection.
    pub unproven_high: u32,
    /// When risk was last computed; none before the first computation.
    pub computed_at: Option<DateTime<Utc>>,
}

impl From<RiskSummary> for RiskSummaryView {
    fn from(s: RiskSummary) -> Self {
        Self {
            techniques: s.techniques,
            by_level: s.by_level,
            average_score: s.average_score,
            highest: s.highest.map(Into::into),
            unproven_high: s.unproven_high,
            computed_at: s.computed_at,
        }
    }
}

/// One action, with its reason.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecommendationView {
    /// 1 for the most urgent.
    pub rank: u32,
    pub technique_id: String,
    pub technique_name: String,
    #[schema(value_type = crate::views::enums::RiskLevel)]
    pub level: String,
    pub score: f64,
    #[schema(value_type = crate::views::enums::RecommendedAction)]
    pub action: String,
    /// Why, then what to do, in one sentence.
    pub reason: String,
    /// The test template the action names.
    pub template: Option<String>,
}

impl RecommendationView {
    pub fn ranked(rank: u32, r: Recommendation) -> Self {
        Self {
            rank,
            technique_id: r.technique_id.to_string(),
            technique_name: r.technique_name,
            level: r.level.as_str().to_owned(),
            score: r.score,
            action: r.action.as_str().to_owned(),
            reason: r.reason,
            template: r.template,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ComputedView {
    /// Techniques assessed.
    pub assessed: u64,
}

/// How validated tests ended and how long detection took.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeSplitView {
    pub validated_tests: u32,
    pub prevented: u32,
    pub detected: u32,
    pub logged: u32,
    pub missed: u32,
    /// Shares 0..=1 of the validated tests.
    pub prevented_share: f64,
    pub detected_share: f64,
    pub logged_share: f64,
    pub missed_share: f64,
    /// Tests with both red's executed_at and blue's detected_at.
    pub timed_tests: u32,
    /// Median seconds from red's execution to blue's detection.
    pub median_seconds_to_detect: Option<i64>,
    /// 90th percentile of the same.
    pub p90_seconds_to_detect: Option<i64>,
}

impl From<&OutcomeSplit> for OutcomeSplitView {
    fn from(s: &OutcomeSplit) -> Self {
        let [prevented_share, detected_share, logged_share, missed_share] = s.shares();
        let round = |v: f64| (v * 1000.0).round() / 1000.0;
        let ttd = s.time_to_detect();
        Self {
            validated_tests: s.total(),
            prevented: s.prevented,
            detected: s.detected,
            logged: s.logged,
            missed: s.missed,
            prevented_share: round(prevented_share),
            detected_share: round(detected_share),
            logged_share: round(logged_share),
            missed_share: round(missed_share),
            timed_tests: u32::try_from(s.detect_seconds.len()).unwrap_or(u32::MAX),
            median_seconds_to_detect: ttd.map(|(median, _)| median),
            p90_seconds_to_detect: ttd.map(|(_, p90)| p90),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DetectionPerformanceView {
    pub overall: OutcomeSplitView,
    /// By ATT&CK technique id.
    pub by_technique: BTreeMap<String, OutcomeSplitView>,
    /// By tactic shortname.
    pub by_tactic: BTreeMap<String, OutcomeSplitView>,
}

impl From<DetectionPerformance> for DetectionPerformanceView {
    fn from(p: DetectionPerformance) -> Self {
        Self {
            overall: (&p.overall).into(),
            by_technique: p
                .by_technique
                .iter()
                .map(|(id, split)| (id.to_string(), split.into()))
                .collect(),
            by_tactic: p
                .by_tactic
                .iter()
                .map(|(tactic, split)| (tactic.clone(), split.into()))
                .collect(),
        }
    }
}
