//! The wire types of [`crate::routes::coverage`]: its views, request bodies and queries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::coverage::{Heatmap, HeatmapCell, HeatmapFilter};
use aegis_domain::campaign::CampaignId;
use aegis_domain::scoring::{Breakdown, CoverageStatus, StoredScore, TechniqueScore, heat_color};

/// Points per component; they add up to the score.
#[derive(Debug, Serialize, ToSchema)]
pub struct BreakdownView {
    pub tests: f64,
    pub rules: f64,
    pub countermeasures: f64,
    pub freshness: f64,
    pub diversity: f64,
}

impl From<Breakdown> for BreakdownView {
    fn from(b: Breakdown) -> Self {
        Self {
            tests: b.tests,
            rules: b.rules,
            countermeasures: b.countermeasures,
            freshness: b.freshness,
            diversity: b.diversity,
        }
    }
}

/// A technique's coverage in this organization.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageView {
    /// not_covered, in_progress, partial, validated or stale.
    #[schema(value_type = crate::views::enums::CoverageStatus)]
    pub status: String,
    /// 0 to 100.
    pub score: f64,
    pub color: String,
    pub breakdown: BreakdownView,
    pub validated_tests: u32,
    pub open_tests: u32,
    pub last_validated_at: Option<chrono::DateTime<chrono::Utc>>,
    pub computed_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl CoverageView {
    pub fn new(stored: Option<StoredScore>) -> Self {
        let (score, open_tests, computed_at) = match stored {
            Some(s) => (s.score, s.open_tests, Some(s.computed_at)),
            None => (TechniqueScore::uncovered(), 0, None),
        };
        Self {
            status: score.status.as_str().to_owned(),
            score: score.score,
            color: heat_color(score.score, score.status),
            breakdown: score.breakdown.into(),
            validated_tests: score.validated_tests,
            open_tests,
            last_validated_at: score.last_validated_at,
            computed_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HeatmapCellView {
    pub mitre_id: String,
    pub name: String,
    pub platforms: Vec<String>,
    /// not_covered, in_progress, partial, validated or stale.
    #[schema(value_type = crate::views::enums::CoverageStatus)]
    pub status: String,
    /// The technique's own score.
    pub score: f64,
    /// The score shown: its own, or rolled up with its sub-techniques' (configurable).
    pub rolled_score: f64,
    pub color: String,
    pub breakdown: BreakdownView,
    pub validated_tests: u32,
    pub open_tests: u32,
    /// In-scope threat actors that use it; for a parent, that use it or any of its
    /// sub-techniques, each actor once.
    pub threat_actors: u32,
    /// Active detection rules (Sigma, Elastic) tagged with it.
    pub detection_rules: u32,
    /// D3FEND countermeasures of it.
    pub countermeasures: u32,
    /// How its validated tests ended and how long detection took (a parent's include its
    /// sub-techniques'): the hover card's prevention/detection split and time to detect.
    pub outcomes: crate::views::risk::OutcomeSplitView,
    #[schema(no_recursion)]
    pub subtechniques: Vec<HeatmapCellView>,
}

impl From<HeatmapCell> for HeatmapCellView {
    fn from(cell: HeatmapCell) -> Self {
        Self {
            mitre_id: cell.technique.mitre_id.to_string(),
            name: cell.technique.name,
            platforms: cell.technique.platforms,
            status: cell.score.status.as_str().to_owned(),
            score: cell.score.score,
            rolled_score: cell.rolled_score,
            color: heat_color(cell.rolled_score, cell.score.status),
            breakdown: cell.score.breakdown.into(),
            validated_tests: cell.score.validated_tests,
            open_tests: cell.open_tests,
            threat_actors: cell.actors,
            detection_rules: cell.rules,
            countermeasures: cell.countermeasures,
            outcomes: (&cell.outcomes).into(),
            subtechniques: cell.subtechniques.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HeatmapColumnView {
    pub tactic_id: String,
    pub tactic: String,
    pub shortname: String,
    /// Mean of the column's rolled scores; null for an empty column.
    pub score: Option<f64>,
    /// The tactic's prevention/detection split and time to detect.
    pub outcomes: crate::views::risk::OutcomeSplitView,
    pub techniques: Vec<HeatmapCellView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusCountView {
    #[schema(value_type = crate::views::enums::CoverageStatus)]
    pub status: String,
    pub techniques: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HeatmapView {
    /// Mean rolled score of every technique on the map.
    pub organization_score: Option<f64>,
    /// The same, each technique weighted by the threat actors that use it.
    pub threat_weighted_score: Option<f64>,
    pub status_counts: Vec<StatusCountView>,
    /// Tactics in ATT&CK matrix order.
    pub tactics: Vec<HeatmapColumnView>,
}

impl From<Heatmap> for HeatmapView {
    fn from(map: Heatmap) -> Self {
        Self {
            organization_score: map.organization_score,
            threat_weighted_score: map.threat_weighted_score,
            status_counts: status_counts(map.status_counts),
            tactics: map
                .columns
                .into_iter()
                .map(|column| HeatmapColumnView {
                    tactic_id: column.tactic.mitre_id,
                    tactic: column.tactic.name,
                    shortname: column.tactic.shortname,
                    score: column.score,
                    outcomes: (&column.outcomes).into(),
                    techniques: column.techniques.into_iter().map(Into::into).collect(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HeatmapQuery {
    /// Only techniques for this platform, e.g. Windows.
    pub platform: Option<String>,
    /// Only the techniques this threat actor uses (G0016 or a STIX id).
    pub threat_actor: Option<String>,
    /// Only this campaign's techniques, scored from its tests alone.
    pub campaign_id: Option<Uuid>,
    /// Scores from the tests validated at or after this time alone (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// ...and before this time.
    pub to: Option<DateTime<Utc>>,
}

impl HeatmapQuery {
    pub(crate) fn filter(self) -> HeatmapFilter {
        HeatmapFilter {
            platform: self.platform.filter(|p| !p.trim().is_empty()),
            threat_actor: self.threat_actor.filter(|a| !a.trim().is_empty()),
            campaign: self.campaign_id.map(CampaignId::from_uuid),
            validated_from: self.from,
            validated_to: self.to,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TacticCoverageView {
    pub tactic_id: String,
    pub tactic: String,
    pub shortname: String,
    pub score: Option<f64>,
    pub techniques: u32,
    /// Techniques whose status is validated.
    pub validated: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageSummaryView {
    pub organization_score: Option<f64>,
    pub threat_weighted_score: Option<f64>,
    /// Techniques (sub-techniques rolled into them) on the map.
    pub techniques: u32,
    /// Percentage of those whose status is validated.
    pub validated_percent: f64,
    pub status_counts: Vec<StatusCountView>,
    pub tactics: Vec<TacticCoverageView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LayerQuery {
    /// One tactic's column: shortname (`execution`) or id (`TA0002`).
    pub tactic: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SkippedTechniqueView {
    pub technique_id: String,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LayerImportView {
    /// The draft tests created, one per scored or annotated technique.
    pub created: Vec<crate::views::test_cases::TestView>,
    pub skipped: Vec<SkippedTechniqueView>,
}

pub(crate) fn status_counts(counts: Vec<(CoverageStatus, u32)>) -> Vec<StatusCountView> {
    counts
        .into_iter()
        .map(|(status, techniques)| StatusCountView {
            status: status.as_str().to_owned(),
            techniques,
        })
        .collect()
}
