//! Coverage scoring: how well one organization is defended against each technique, as a status
//! and a score from 0 to 100 with the breakdown that explains it, and the roll-ups to parent
//! technique, tactic, threat actor and organization. Pure: inputs in, numbers out.
//! `docs/scoring.md` gives every formula.

use chrono::{DateTime, Utc};

use crate::test_case::Outcome;

/// Where a technique stands for an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CoverageStatus {
    /// No test has been validated and none is under way.
    NotCovered,
    /// Tests are under way; none validated yet.
    InProgress,
    /// Validated, but the latest validation was only logged or not detected.
    Partial,
    /// The latest validation prevented or detected the technique, recently enough.
    Validated,
    /// The latest validation is older than the policy's `stale_after_days`.
    Stale,
}

impl CoverageStatus {
    pub const ALL: [CoverageStatus; 5] = [
        Self::NotCovered,
        Self::InProgress,
        Self::Partial,
        Self::Validated,
        Self::Stale,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotCovered => "not_covered",
            Self::InProgress => "in_progress",
            Self::Partial => "partial",
            Self::Validated => "validated",
            Self::Stale => "stale",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the technique counts as covered wherever coverage is counted (compliance
    /// controls, the dashboard, snapshots): only when its newest validated test prevented or
    /// detected it, recently enough. A newest test that was only logged or not detected
    /// (`Partial`) proves the technique was tried and missed, which is not coverage.
    pub const fn is_covered(self) -> bool {
        matches!(self, Self::Validated)
    }

    /// Whether the newest validated test of the technique missed it (only logged, or not
    /// detected): tested, not detected.
    pub const fn is_missed(self) -> bool {
        matches!(self, Self::Partial)
    }

    /// For people: `Not covered`, `In progress`, `Partial`, `Validated`, `Stale`.
    pub const fn label(self) -> &'static str {
        match self {
            Self::NotCovered => "Not covered",
            Self::InProgress => "In progress",
            Self::Partial => "Partial",
            Self::Validated => "Validated",
            Self::Stale => "Stale",
        }
    }
}

/// How sub-technique scores combine into their parent's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollUp {
    Average,
    Max,
    Min,
}

impl RollUp {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "average" => Some(Self::Average),
            "max" => Some(Self::Max),
            "min" => Some(Self::Min),
            _ => None,
        }
    }

    /// `None` for no parts.
    pub fn combine(self, parts: &[f64]) -> Option<f64> {
        if parts.is_empty() {
            return None;
        }
        Some(match self {
            Self::Average => parts.iter().sum::<f64>() / parts.len() as f64,
            Self::Max => parts.iter().copied().fold(f64::MIN, f64::max),
            Self::Min => parts.iter().copied().fold(f64::MAX, f64::min),
        })
    }
}

/// Weights and thresholds; the defaults are the original's, refined (docs/scoring.md).
#[derive(Debug, Clone, PartialEq)]
pub struct ScoringPolicy {
    pub tests_weight: f64,
    pub rules_weight: f64,
    pub countermeasures_weight: f64,
    pub freshness_weight: f64,
    pub diversity_weight: f64,
    /// Effective rules for the full rules component.
    pub rules_for_full: f64,
    /// What a rule no validated test has seen fire counts, against 1 for a proven rule.
    pub unproven_rule_factor: f64,
    pub countermeasures_for_full: f64,
    /// Freshness falls linearly to zero over this many days.
    pub freshness_days: f64,
    /// Distinct platforms among validated tests for the full diversity component.
    pub platforms_for_full: f64,
    /// A validation loses half its weight in the tests component over this many days.
    pub decay_half_life_days: f64,
    /// A technique whose latest validation is older than this is stale.
    pub stale_after_days: i64,
    pub prevented: f64,
    pub detected: f64,
    pub logged: f64,
    pub not_detected: f64,
    pub roll_up: RollUp,
}

impl Default for ScoringPolicy {
    fn default() -> Self {
        Self {
            tests_weight: 40.0,
            rules_weight: 20.0,
            countermeasures_weight: 15.0,
            freshness_weight: 15.0,
            diversity_weight: 10.0,
            rules_for_full: 3.0,
            unproven_rule_factor: 0.25,
            countermeasures_for_full: 2.0,
            freshness_days: 180.0,
            platforms_for_full: 3.0,
            decay_half_life_days: 365.0,
            stale_after_days: 180,
            prevented: 1.0,
            detected: 0.85,
            logged: 0.4,
            not_detected: 0.0,
            roll_up: RollUp::Max,
        }
    }
}

impl ScoringPolicy {
    /// The share of a perfect result an outcome earns, clamped to 0..=1.
    pub fn outcome_value(&self, outcome: Outcome) -> f64 {
        let value = match outcome {
            Outcome::Prevented => self.prevented,
            Outcome::Detected => self.detected,
            Outcome::Logged => self.logged,
            Outcome::NotDetected => self.not_detected,
        };
        value.clamp(0.0, 1.0)
    }

    /// Refuses weights that could leave 0..=100 or outcome values out of their order.
    ///
    /// # Errors
    /// A sentence naming the first offending setting.
    pub fn validate(&self) -> Result<(), String> {
        let weights = [
            self.tests_weight,
            self.rules_weight,
            self.countermeasures_weight,
            self.freshness_weight,
            self.diversity_weight,
        ];
        if weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
            return Err("scoring weights must be zero or positive".to_owned());
        }
        if (weights.iter().sum::<f64>() - 100.0).abs() > 1e-6 {
            return Err("scoring weights must add up to 100".to_owned());
        }
        let ordered = self.prevented >= self.detected
            && self.detected >= self.logged
            && self.logged >= self.not_detected;
        if !ordered {
            return Err(
                "outcome values must not increase from prevented to not detected".to_owned(),
            );
        }
        let positive = [
            self.rules_for_full,
            self.countermeasures_for_full,
            self.freshness_days,
            self.platforms_for_full,
            self.decay_half_life_days,
        ];
        if positive.iter().any(|v| !v.is_finite() || *v <= 0.0) || self.stale_after_days < 1 {
            return Err("scoring thresholds must be positive".to_owned());
        }
        Ok(())
    }
}

/// One validated test of the technique.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedResult {
    pub outcome: Outcome,
    pub validated_at: DateTime<Utc>,
    pub platform: Option<String>,
}

/// Everything a technique's score depends on, for one organization.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TechniqueInputs {
    pub validated: Vec<ValidatedResult>,
    /// Tests under way (neither validated nor rejected).
    pub open_tests: u32,
    /// Active detection rules that a validated test saw fire.
    pub proven_rules: u32,
    /// Other active detection rules for the technique.
    pub unproven_rules: u32,
    /// D3FEND countermeasures mapped to the technique.
    pub countermeasures: u32,
    /// The detection assets' proofs for the technique (the detection lifecycle).
    pub proof: DetectionProof,
}

/// How a technique's detection proofs stand: validations of detection assets that are
/// current, and those that lapsed (expired or ended by a changed rule or infrastructure).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DetectionProof {
    pub current: u32,
    pub lapsed: u32,
    /// When the latest lapsed proof ended (or expired).
    pub lapsed_at: Option<DateTime<Utc>>,
}

impl DetectionProof {
    /// Proven once, nothing proves it any more, and no test was validated since the last
    /// proof lapsed: the detection the result rests on cannot be trusted. A test validated
    /// after the change is new evidence of its own.
    pub fn has_lapsed_since(self, validated_at: DateTime<Utc>) -> bool {
        self.current == 0 && self.lapsed > 0 && self.lapsed_at.is_none_or(|at| at >= validated_at)
    }
}

/// Points per component; they add up to the score.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Breakdown {
    pub tests: f64,
    pub rules: f64,
    pub countermeasures: f64,
    pub freshness: f64,
    pub diversity: f64,
}

impl Breakdown {
    pub fn total(&self) -> f64 {
        self.tests + self.rules + self.countermeasures + self.freshness + self.diversity
    }
}

/// A technique's coverage for one organization.
#[derive(Debug, Clone, PartialEq)]
pub struct TechniqueScore {
    pub status: CoverageStatus,
    /// 0..=100, one decimal.
    pub score: f64,
    pub breakdown: Breakdown,
    pub validated_tests: u32,
    pub last_validated_at: Option<DateTime<Utc>>,
}

impl TechniqueScore {
    pub fn uncovered() -> Self {
        Self {
            status: CoverageStatus::NotCovered,
            score: 0.0,
            breakdown: Breakdown::default(),
            validated_tests: 0,
            last_validated_at: None,
        }
    }
}

/// A technique's score as stored for an organization, recomputed when its inputs change.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredScore {
    pub technique_id: crate::catalog::TechniqueId,
    pub score: TechniqueScore,
    pub open_tests: u32,
    pub computed_at: DateTime<Utc>,
}

fn age_days(then: DateTime<Utc>, now: DateTime<Utc>) -> f64 {
    // A validation "in the future" (clock skew) counts as just now.
    ((now - then).num_seconds().max(0) as f64) / 86_400.0
}

fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// Scores one technique.
pub fn score_technique(
    inputs: &TechniqueInputs,
    policy: &ScoringPolicy,
    now: DateTime<Utc>,
) -> TechniqueScore {
    let newest = inputs.validated.iter().max_by_key(|v| v.validated_at);
    let decay = |at: DateTime<Utc>| 0.5_f64.powf(age_days(at, now) / policy.decay_half_life_days);

    // Recency-weighted mean of outcome values, times the decay of the newest validation: the
    // latest results speak loudest, and an old validation is worth less than a new one.
    let tests = newest.map_or(0.0, |newest| {
        let (weighted, weights) = inputs.validated.iter().fold((0.0, 0.0), |(sum, total), v| {
            let w = decay(v.validated_at);
            (sum + w * policy.outcome_value(v.outcome), total + w)
        });
        let mean = if weights > 0.0 {
            weighted / weights
        } else {
            0.0
        };
        mean * decay(newest.validated_at)
    });
    let effective_rules = f64::from(inputs.proven_rules)
        + f64::from(inputs.unproven_rules) * policy.unproven_rule_factor.clamp(0.0, 1.0);
    let rules = (effective_rules / policy.rules_for_full).min(1.0);
    let countermeasures =
        (f64::from(inputs.countermeasures) / policy.countermeasures_for_full).min(1.0);
    let freshness = newest.map_or(0.0, |n| {
        (1.0 - age_days(n.validated_at, now) / policy.freshness_days).max(0.0)
    });
    let mut platforms: Vec<String> = inputs
        .validated
        .iter()
        .filter_map(|v| v.platform.as_deref())
        .map(|p| p.trim().to_lowercase())
        .filter(|p| !p.is_empty())
        .collect();
    platforms.sort();
    platforms.dedup();
    let diversity = (platforms.len() as f64 / policy.platforms_for_full).min(1.0);

    let breakdown = Breakdown {
        tests: round1(tests * policy.tests_weight),
        rules: round1(rules * policy.rules_weight),
        countermeasures: round1(countermeasures * policy.countermeasures_weight),
        freshness: round1(freshness * policy.freshness_weight),
        diversity: round1(diversity * policy.diversity_weight),
    };
    let status = match newest {
        None if inputs.open_tests > 0 => CoverageStatus::InProgress,
        None => CoverageStatus::NotCovered,
        Some(n) if (now - n.validated_at).num_days() > policy.stale_after_days => {
            CoverageStatus::Stale
        }
        // The detection that proved it changed, or its proof expired, and nothing else
        // proves it now: the result no longer holds (`docs/detection-lifecycle.md`).
        Some(n)
            if inputs.proof.has_lapsed_since(n.validated_at)
                && matches!(n.outcome, Outcome::Prevented | Outcome::Detected) =>
        {
            CoverageStatus::Stale
        }
        Some(n) if matches!(n.outcome, Outcome::Prevented | Outcome::Detected) => {
            CoverageStatus::Validated
        }
        Some(_) => CoverageStatus::Partial,
    };
    TechniqueScore {
        status,
        score: round1(breakdown.total()).clamp(0.0, 100.0),
        breakdown,
        validated_tests: u32::try_from(inputs.validated.len()).unwrap_or(u32::MAX),
        last_validated_at: newest.map(|n| n.validated_at),
    }
}

/// The colour of a score on the heatmap and in Navigator layers: red at 0, amber at 50,
/// green at 100, interpolated; grey for a technique nobody has tested.
pub fn heat_color(score: f64, status: CoverageStatus) -> String {
    const RED: (f64, f64, f64) = (229.0, 72.0, 77.0);
    const AMBER: (f64, f64, f64) = (245.0, 165.0, 36.0);
    const GREEN: (f64, f64, f64) = (48.0, 164.0, 108.0);
    if status == CoverageStatus::NotCovered && score <= 0.0 {
        return "#d0d4da".to_owned();
    }
    let t = (score / 100.0).clamp(0.0, 1.0);
    let (from, to, local) = if t < 0.5 {
        (RED, AMBER, t * 2.0)
    } else {
        (AMBER, GREEN, (t - 0.5) * 2.0)
    };
    let mix = |a: f64, b: f64| (a + (b - a) * local).round().clamp(0.0, 255.0) as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(from.0, to.0),
        mix(from.1, to.1),
        mix(from.2, to.2)
    )
}

/// A weighted mean; `None` when every weight is zero.
pub fn weighted_mean(parts: &[(f64, f64)]) -> Option<f64> {
    let total: f64 = parts.iter().map(|(_, w)| w.max(0.0)).sum();
    (total > 0.0).then(|| parts.iter().map(|(s, w)| s * w.max(0.0)).sum::<f64>() / total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(days_ago: i64) -> DateTime<Utc> {
        now() - chrono::Duration::days(days_ago)
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-29T12:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn validated(outcome: Outcome, days_ago: i64, platform: &str) -> ValidatedResult {
        ValidatedResult {
            outcome,
            validated_at: at(days_ago),
            platform: Some(platform.to_owned()),
        }
    }

    #[test]
    fn the_defaults_are_a_valid_policy() {
        assert_eq!(ScoringPolicy::default().validate(), Ok(()));
        let lopsided = ScoringPolicy {
            tests_weight: 90.0,
            ..ScoringPolicy::default()
        };
        assert!(lopsided.validate().is_err());
    }

    #[test]
    fn a_fresh_prevention_on_three_platforms_with_proven_rules_scores_full() {
        let inputs = TechniqueInputs {
            validated: vec![
                validated(Outcome::Prevented, 0, "windows"),
                validated(Outcome::Prevented, 0, "linux"),
                validated(Outcome::Prevented, 0, "macos"),
            ],
            proven_rules: 3,
            countermeasures: 2,
            ..TechniqueInputs::default()
        };
        let score = score_technique(&inputs, &ScoringPolicy::default(), now());
        assert_eq!(score.score, 100.0);
        assert_eq!(score.status, CoverageStatus::Validated);
    }

    #[test]
    fn rules_alone_never_reach_a_high_score() {
        let inputs = TechniqueInputs {
            unproven_rules: 1000,
            countermeasures: 1000,
            ..TechniqueInputs::default()
        };
        let score = score_technique(&inputs, &ScoringPolicy::default(), now());
        assert!(score.score <= 35.0, "{}", score.score);
        assert_eq!(score.status, CoverageStatus::NotCovered);
    }

    #[test]
    fn a_lapsed_detection_proof_makes_a_detected_technique_stale() {
        let policy = ScoringPolicy::default();
        let detected = TechniqueInputs {
            validated: vec![validated(Outcome::Detected, 1, "windows")],
            ..TechniqueInputs::default()
        };
        let lapsed = TechniqueInputs {
            proof: DetectionProof {
                current: 0,
                lapsed: 2,
                lapsed_at: Some(now()),
            },
            ..detected.clone()
        };
        let still_proven = TechniqueInputs {
            proof: DetectionProof {
                current: 1,
                lapsed: 2,
                lapsed_at: Some(now()),
            },
            ..detected.clone()
        };
        // A test validated after the proof lapsed is new evidence: the result holds.
        let retested = TechniqueInputs {
            validated: vec![validated(Outcome::Detected, 0, "windows")],
            proof: DetectionProof {
                current: 0,
                lapsed: 2,
                lapsed_at: Some(now() - chrono::Duration::hours(1)),
            },
            ..TechniqueInputs::default()
        };
        let status = |inputs: &TechniqueInputs| score_technique(inputs, &policy, now()).status;
        assert_eq!(status(&detected), CoverageStatus::Validated);
        assert_eq!(status(&lapsed), CoverageStatus::Stale);
        assert_eq!(status(&still_proven), CoverageStatus::Validated);
        assert_eq!(status(&retested), CoverageStatus::Validated);
    }

    #[test]
    fn statuses_follow_the_latest_validation() {
        let policy = ScoringPolicy::default();
        let status = |inputs: TechniqueInputs| score_technique(&inputs, &policy, now()).status;
        assert_eq!(
            status(TechniqueInputs {
                open_tests: 1,
                ..TechniqueInputs::default()
            }),
            CoverageStatus::InProgress
        );
        assert_eq!(
            status(TechniqueInputs {
                validated: vec![
                    validated(Outcome::Detected, 30, "windows"),
                    validated(Outcome::NotDetected, 1, "windows"),
                ],
                ..TechniqueInputs::default()
            }),
            CoverageStatus::Partial,
            "a newer miss outweighs an older detection"
        );
        assert_eq!(
            status(TechniqueInputs {
                validated: vec![validated(Outcome::Detected, 400, "windows")],
                ..TechniqueInputs::default()
            }),
            CoverageStatus::Stale
        );
    }

    #[test]
    fn roll_ups_combine_as_configured() {
        let parts = [20.0, 50.0, 80.0];
        assert_eq!(RollUp::Average.combine(&parts), Some(50.0));
        assert_eq!(RollUp::Max.combine(&parts), Some(80.0));
        assert_eq!(RollUp::Min.combine(&parts), Some(20.0));
        assert_eq!(RollUp::Max.combine(&[]), None);
        assert_eq!(weighted_mean(&[(100.0, 3.0), (0.0, 1.0)]), Some(75.0));
        assert_eq!(weighted_mean(&[(100.0, 0.0)]), None);
    }
}
