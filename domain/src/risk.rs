//! Risk per technique and organization: how likely a technique is to be used against the
//! organization and how badly it would go unseen, as a score from 0 to 100 with the breakdown
//! that explains it, a level, a place on the likelihood x impact matrix and the action it
//! calls for. Pure: inputs in, numbers and sentences out. `docs/risk.md` gives every formula.
//!
//! Also here: how validated tests split into prevented, detected, logged only and missed, and
//! the time blue took to detect what red executed (median and 90th percentile).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::TechniqueId;
use crate::scoring::CoverageStatus;
use crate::test_case::Outcome;

/// How much a technique is known to be detected: the input of the detection-gap term. Today it
/// is the coverage room's status and score (see [`DetectionProof::from_coverage`]); a richer
/// proof (proven detection assets) plugs in by building this value differently.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectionProof {
    /// The coverage status (`not_covered` when the technique was never scored).
    pub status: CoverageStatus,
    /// 0..=100: how well detection is proven.
    pub score: f64,
}

impl DetectionProof {
    /// Nothing proves the technique is detected.
    pub const NONE: Self = Self {
        status: CoverageStatus::NotCovered,
        score: 0.0,
    };

    /// The proof the coverage room gives: its status and score.
    pub fn from_coverage(status: CoverageStatus, score: f64) -> Self {
        Self {
            status,
            score: if score.is_finite() {
                score.clamp(0.0, 100.0)
            } else {
                0.0
            },
        }
    }

    /// Whether a detection is proven: the newest validated test prevented or detected it,
    /// recently enough.
    pub const fn is_proven(&self) -> bool {
        self.status.is_covered()
    }
}

impl Serialize for CoverageStatusText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.as_str())
    }
}

impl<'de> Deserialize<'de> for CoverageStatusText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        CoverageStatus::parse(&text)
            .map(Self)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown coverage status {text}")))
    }
}

/// A coverage status that serializes as its wire name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoverageStatusText(pub CoverageStatus);

/// Everything a technique's risk depends on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskInputs {
    pub detection_status: CoverageStatusText,
    /// 0..=100, the detection proof's score.
    pub detection_score: f64,
    /// Threat actors in scope that use the technique.
    pub actors: u32,
    /// Whether `actors` counts the organization's tracked actors (else every known actor).
    pub tracked_actors: bool,
    /// Intelligence items naming the technique, published within the policy's window.
    pub intelligence_signals: u32,
    pub validated_tests: u32,
    /// Validated tests whose outcome was logged only or not detected.
    pub failed_tests: u32,
}

impl RiskInputs {
    pub fn new(proof: DetectionProof) -> Self {
        Self {
            detection_status: CoverageStatusText(proof.status),
            detection_score: proof.score,
            actors: 0,
            tracked_actors: false,
            intelligence_signals: 0,
            validated_tests: 0,
            failed_tests: 0,
        }
    }

    pub fn proof(&self) -> DetectionProof {
        DetectionProof::from_coverage(self.detection_status.0, self.detection_score)
    }
}

/// Weights and saturation points; the defaults are the original's.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskPolicy {
    pub detection_gap_weight: f64,
    pub threat_actors_weight: f64,
    pub intelligence_weight: f64,
    pub failed_tests_weight: f64,
    /// Actors using a technique for the full threat-actor term.
    pub actors_for_full: f64,
    /// Intelligence signals within the window for the full intelligence term.
    pub signals_for_full: f64,
    /// How far back an intelligence item counts as a signal.
    pub signal_window_days: i64,
}

impl Default for RiskPolicy {
    fn default() -> Self {
        Self {
            detection_gap_weight: 35.0,
            threat_actors_weight: 30.0,
            intelligence_weight: 20.0,
            failed_tests_weight: 15.0,
            actors_for_full: 5.0,
            signals_for_full: 10.0,
            signal_window_days: 30,
        }
    }
}

/// Where a score falls: critical >= 75, high >= 50, medium >= 25, low >= 10, else info.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RiskLevel {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl RiskLevel {
    /// Most severe first.
    pub const ALL: [RiskLevel; 5] = [
        Self::Critical,
        Self::High,
        Self::Medium,
        Self::Low,
        Self::Info,
    ];

    pub fn of_score(score: f64) -> Self {
        if score >= 75.0 {
            Self::Critical
        } else if score >= 50.0 {
            Self::High
        } else if score >= 25.0 {
            Self::Medium
        } else if score >= 10.0 {
            Self::Low
        } else {
            Self::Info
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
            Self::Info => "info",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == text)
    }
}

/// The points each term contributes (they add up to the score).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RiskBreakdown {
    pub detection_gap: f64,
    pub threat_actors: f64,
    pub intelligence: f64,
    pub failed_tests: f64,
}

/// One technique's assessed risk.
#[derive(Debug, Clone, PartialEq)]
pub struct TechniqueRisk {
    pub technique_id: TechniqueId,
    /// 0..=100, one decimal.
    pub score: f64,
    pub level: RiskLevel,
    /// 1..=5: how likely the technique is to be used (actors and intelligence).
    pub likelihood: u8,
    /// 1..=5: how much would go unseen (detection gap and failed tests).
    pub impact: u8,
    pub breakdown: RiskBreakdown,
    pub inputs: RiskInputs,
    pub computed_at: DateTime<Utc>,
}

fn saturate(value: f64, full: f64) -> f64 {
    if full <= 0.0 || !value.is_finite() {
        return 0.0;
    }
    (value / full).clamp(0.0, 1.0)
}

fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// A share 0..=1 as a matrix band 1..=5 (0 → 1, 1 → 5).
fn band(share: f64) -> u8 {
    let share = if share.is_finite() {
        share.clamp(0.0, 1.0)
    } else {
        0.0
    };
    // Five equal bands, the top one closed: 0..0.2 → 1, …, 0.8..=1 → 5.
    let index = (share * 5.0).floor().min(4.0);
    // index is 0..=4 by the clamp above.
    1 + index as u8
}

/// The four terms as shares 0..=1, in the order of [`RiskBreakdown`].
fn shares(inputs: &RiskInputs, policy: &RiskPolicy) -> [f64; 4] {
    let proof = inputs.proof();
    let gap = 1.0 - proof.score / 100.0;
    let failed = if inputs.validated_tests == 0 {
        0.0
    } else {
        f64::from(inputs.failed_tests.min(inputs.validated_tests))
            / f64::from(inputs.validated_tests)
    };
    [
        gap.clamp(0.0, 1.0),
        saturate(f64::from(inputs.actors), policy.actors_for_full),
        saturate(
            f64::from(inputs.intelligence_signals),
            policy.signals_for_full,
        ),
        failed,
    ]
}

/// Assesses one technique: `docs/risk.md`, "Score".
pub fn assess(
    technique_id: TechniqueId,
    inputs: RiskInputs,
    policy: &RiskPolicy,
    now: DateTime<Utc>,
) -> TechniqueRisk {
    let [gap, actors, intel, failed] = shares(&inputs, policy);
    let breakdown = RiskBreakdown {
        detection_gap: round1(gap * policy.detection_gap_weight),
        threat_actors: round1(actors * policy.threat_actors_weight),
        intelligence: round1(intel * policy.intelligence_weight),
        failed_tests: round1(failed * policy.failed_tests_weight),
    };
    let raw = gap * policy.detection_gap_weight
        + actors * policy.threat_actors_weight
        + intel * policy.intelligence_weight
        + failed * policy.failed_tests_weight;
    let score = round1(raw.clamp(0.0, 100.0));
    let threat_weight = policy.threat_actors_weight + policy.intelligence_weight;
    let exposure_weight = policy.detection_gap_weight + policy.failed_tests_weight;
    let likelihood = if threat_weight > 0.0 {
        (actors * policy.threat_actors_weight + intel * policy.intelligence_weight) / threat_weight
    } else {
        0.0
    };
    let impact = if exposure_weight > 0.0 {
        (gap * policy.detection_gap_weight + failed * policy.failed_tests_weight) / exposure_weight
    } else {
        0.0
    };
    TechniqueRisk {
        technique_id,
        score,
        level: RiskLevel::of_score(score),
        likelihood: band(likelihood),
        impact: band(impact),
        breakdown,
        inputs,
        computed_at: now,
    }
}

/// What a recommendation asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecommendedAction {
    /// No test has proven anything: plan one.
    PlanTest,
    /// Tested and missed: write or tune a detection, then retest.
    ImproveDetection,
    /// The proof is old: run the test again.
    Retest,
    /// Detection is proven but the threat keeps coming: review the new intelligence.
    ReviewIntelligence,
}

impl RecommendedAction {
    pub const ALL: [RecommendedAction; 4] = [
        Self::PlanTest,
        Self::ImproveDetection,
        Self::Retest,
        Self::ReviewIntelligence,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PlanTest => "plan_test",
            Self::ImproveDetection => "improve_detection",
            Self::Retest => "retest",
            Self::ReviewIntelligence => "review_intelligence",
        }
    }
}

/// An action for one technique, with the reason in words.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    pub technique_id: TechniqueId,
    pub technique_name: String,
    pub level: RiskLevel,
    pub score: f64,
    pub action: RecommendedAction,
    /// The whole sentence: why, then what to do.
    pub reason: String,
    /// The test template the action names, when there is one.
    pub template: Option<String>,
}

fn plural(count: u32, one: &str, many: &str) -> String {
    if count == 1 {
        format!("1 {one}")
    } else {
        format!("{count} {many}")
    }
}

/// The action a risk calls for and why, or `None` when it calls for none (info level, or
/// detection proven with no fresh intelligence). `template` is a test that exercises the
/// technique (an Atomic test, preferably).
pub fn recommend(
    risk: &TechniqueRisk,
    technique_name: &str,
    template: Option<&str>,
) -> Option<Recommendation> {
    if risk.level == RiskLevel::Info {
        return None;
    }
    let inputs = &risk.inputs;
    let proof = inputs.proof();
    let mut why = Vec::new();
    if inputs.actors > 0 {
        let who = if inputs.tracked_actors {
            plural(inputs.actors, "tracked actor uses", "tracked actors use")
        } else {
            plural(inputs.actors, "known actor uses", "known actors use")
        };
        why.push(format!("{who} it"));
    }
    if inputs.intelligence_signals > 0 {
        why.push(format!(
            "{} named it recently",
            plural(
                inputs.intelligence_signals,
                "intelligence item",
                "intelligence items"
            )
        ));
    }
    if inputs.failed_tests > 0 {
        why.push(format!(
            "{} of {} validated tests missed it",
            inputs.failed_tests, inputs.validated_tests
        ));
    }
    let (action, proof_words, todo) = match proof.status {
        CoverageStatus::NotCovered | CoverageStatus::InProgress => (
            RecommendedAction::PlanTest,
            "no detection is proven",
            match template {
                Some(name) => format!("plan the Atomic test \"{name}\""),
                None => "plan a test of it".to_owned(),
            },
        ),
        CoverageStatus::Partial => (
            RecommendedAction::ImproveDetection,
            "its newest test was not detected",
            "write or tune a detection, then retest".to_owned(),
        ),
        CoverageStatus::Stale => (
            RecommendedAction::Retest,
            "its proof has gone stale",
            match template {
                Some(name) => format!("retest it with \"{name}\""),
                None => "retest it".to_owned(),
            },
        ),
        CoverageStatus::Validated => {
            if inputs.intelligence_signals == 0 {
                return None;
            }
            (
                RecommendedAction::ReviewIntelligence,
                "detection is proven",
                "review the new intelligence against the proven detection".to_owned(),
            )
        }
    };
    why.push(proof_words.to_owned());
    let reasons = match why.len() {
        1 => why.remove(0),
        _ => {
            let last = why.pop().unwrap_or_default();
            format!("{} and {last}", why.join(", "))
        }
    };
    Some(Recommendation {
        technique_id: risk.technique_id.clone(),
        technique_name: technique_name.to_owned(),
        level: risk.level,
        score: risk.score,
        action,
        reason: format!(
            "{} is {}: {reasons}; {todo}",
            risk.technique_id,
            risk.level.as_str()
        ),
        template: match action {
            RecommendedAction::PlanTest | RecommendedAction::Retest => template.map(str::to_owned),
            _ => None,
        },
    })
}

/// Orders risks most urgent first: score, then level, then technique id for a stable order.
pub fn rank(risks: &mut [TechniqueRisk]) {
    risks.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.level.cmp(&a.level))
            .then(a.technique_id.cmp(&b.technique_id))
    });
}

/// One validated test as the prevention split and time to detect read it.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedObservation {
    pub technique_id: TechniqueId,
    pub outcome: Outcome,
    pub executed_at: Option<DateTime<Utc>>,
    pub detected_at: Option<DateTime<Utc>>,
}

/// How validated tests ended, and how long detection took.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutcomeSplit {
    pub prevented: u32,
    pub detected: u32,
    pub logged: u32,
    pub missed: u32,
    /// Seconds from red's execution to blue's detection, of the tests that have both (a
    /// detection recorded before the execution counts as 0).
    pub detect_seconds: Vec<i64>,
}

impl OutcomeSplit {
    pub fn add(&mut self, observation: &ValidatedObservation) {
        match observation.outcome {
            Outcome::Prevented => self.prevented += 1,
            Outcome::Detected => self.detected += 1,
            Outcome::Logged => self.logged += 1,
            Outcome::NotDetected => self.missed += 1,
        }
        if let (Some(executed), Some(detected)) = (observation.executed_at, observation.detected_at)
        {
            self.detect_seconds
                .push((detected - executed).num_seconds().max(0));
        }
    }

    pub fn total(&self) -> u32 {
        self.prevented + self.detected + self.logged + self.missed
    }

    /// Failed: logged only or missed.
    pub fn failed(&self) -> u32 {
        self.logged + self.missed
    }

    /// Share 0..=1 of each outcome (prevented, detected, logged, missed); zeros for no tests.
    pub fn shares(&self) -> [f64; 4] {
        let total = self.total();
        if total == 0 {
            return [0.0; 4];
        }
        let of = |n: u32| f64::from(n) / f64::from(total);
        [
            of(self.prevented),
            of(self.detected),
            of(self.logged),
            of(self.missed),
        ]
    }

    /// Median and 90th percentile of the time to detect, in seconds (nearest rank).
    pub fn time_to_detect(&self) -> Option<(i64, i64)> {
        let mut values = self.detect_seconds.clone();
        if values.is_empty() {
            return None;
        }
        values.sort_unstable();
        Some((percentile(&values, 50), percentile(&values, 90)))
    }

    pub fn merge(&mut self, other: &OutcomeSplit) {
        self.prevented += other.prevented;
        self.detected += other.detected;
        self.logged += other.logged;
        self.missed += other.missed;
        self.detect_seconds.extend_from_slice(&other.detect_seconds);
    }
}

/// Nearest-rank percentile of sorted, non-empty values.
fn percentile(sorted: &[i64], p: usize) -> i64 {
    // rank = ceil(p/100 * n), 1-based.
    let n = sorted.len();
    let rank = (p * n).div_ceil(100).max(1);
    sorted[(rank - 1).min(n - 1)]
}

#[cfg(test)]
#[expect(
    clippy::expect_used,
    reason = "a test fails loudly on what it did not expect"
)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id(text: &str) -> TechniqueId {
        TechniqueId::parse(text).expect("valid id")
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("valid time")
    }

    #[test]
    fn an_untested_technique_four_tracked_actors_use_is_critical_and_says_why() {
        let mut inputs = RiskInputs::new(DetectionProof::NONE);
        inputs.actors = 4;
        inputs.tracked_actors = true;
        inputs.intelligence_signals = 5;
        let risk = assess(id("T1003.001"), inputs, &RiskPolicy::default(), now());
        // 35 + 30*4/5 + 20*5/10 + 0 = 35 + 24 + 10 = 69: high; with 10 signals, 79: critical.
        assert_eq!(risk.score, 69.0);
        assert_eq!(risk.level, RiskLevel::High);
        let mut inputs = risk.inputs.clone();
        inputs.intelligence_signals = 10;
        let risk = assess(id("T1003.001"), inputs, &RiskPolicy::default(), now());
        assert_eq!(risk.score, 79.0);
        assert_eq!(risk.level, RiskLevel::Critical);
        let advice = recommend(&risk, "LSASS Memory", Some("Dump LSASS with procdump"))
            .expect("a recommendation");
        assert_eq!(advice.action, RecommendedAction::PlanTest);
        assert_eq!(
            advice.reason,
            "T1003.001 is critical: 4 tracked actors use it, 10 intelligence items named it \
             recently and no detection is proven; plan the Atomic test \"Dump LSASS with procdump\""
        );
    }

    #[test]
    fn levels_follow_the_thresholds() {
        assert_eq!(RiskLevel::of_score(75.0), RiskLevel::Critical);
        assert_eq!(RiskLevel::of_score(74.9), RiskLevel::High);
        assert_eq!(RiskLevel::of_score(50.0), RiskLevel::High);
        assert_eq!(RiskLevel::of_score(25.0), RiskLevel::Medium);
        assert_eq!(RiskLevel::of_score(10.0), RiskLevel::Low);
        assert_eq!(RiskLevel::of_score(9.9), RiskLevel::Info);
        for level in RiskLevel::ALL {
            assert_eq!(RiskLevel::parse(level.as_str()), Some(level));
        }
    }

    #[test]
    fn a_proven_detection_with_no_threat_is_info_and_asks_nothing() {
        let inputs = RiskInputs::new(DetectionProof::from_coverage(
            CoverageStatus::Validated,
            100.0,
        ));
        let risk = assess(id("T1059"), inputs, &RiskPolicy::default(), now());
        assert_eq!(risk.score, 0.0);
        assert_eq!(risk.level, RiskLevel::Info);
        assert_eq!((risk.likelihood, risk.impact), (1, 1));
        assert!(recommend(&risk, "Command", None).is_none());
    }

    #[test]
    fn missed_tests_ask_for_a_better_detection() {
        let mut inputs =
            RiskInputs::new(DetectionProof::from_coverage(CoverageStatus::Partial, 20.0));
        inputs.validated_tests = 2;
        inputs.failed_tests = 2;
        inputs.actors = 1;
        let risk = assess(id("T1055"), inputs, &RiskPolicy::default(), now());
        // 35*0.8 + 30*0.2 + 0 + 15 = 28 + 6 + 15 = 49.
        assert_eq!(risk.score, 49.0);
        let advice = recommend(&risk, "Process Injection", None).expect("advice");
        assert_eq!(advice.action, RecommendedAction::ImproveDetection);
        assert!(advice.reason.contains("2 of 2 validated tests missed it"));
        assert!(advice.reason.contains("1 known actor uses it"));
    }

    #[test]
    fn the_split_counts_outcomes_and_times_detection() {
        let mut split = OutcomeSplit::default();
        for (outcome, minutes) in [
            (Outcome::Prevented, None),
            (Outcome::Detected, Some(10)),
            (Outcome::Detected, Some(30)),
            (Outcome::Detected, Some(20)),
            (Outcome::NotDetected, None),
        ] {
            split.add(&ValidatedObservation {
                technique_id: id("T1059"),
                outcome,
                executed_at: Some(now()),
                detected_at: minutes.map(|m| now() + chrono::Duration::minutes(m)),
            });
        }
        assert_eq!(split.total(), 5);
        assert_eq!(split.failed(), 1);
        assert_eq!(split.shares(), [0.2, 0.6, 0.0, 0.2]);
        assert_eq!(split.time_to_detect(), Some((1200, 1800)));
        assert_eq!(OutcomeSplit::default().time_to_detect(), None);
    }

    fn any_status() -> impl Strategy<Value = CoverageStatus> {
        prop::sample::select(CoverageStatus::ALL.to_vec())
    }

    prop_compose! {
        fn any_inputs()(
            status in any_status(),
            score in -50.0f64..150.0,
            actors in 0u32..50,
            tracked in any::<bool>(),
            signals in 0u32..100,
            validated in 0u32..20,
            failed in 0u32..30,
        ) -> RiskInputs {
            let mut inputs = RiskInputs::new(DetectionProof::from_coverage(status, score));
            inputs.actors = actors;
            inputs.tracked_actors = tracked;
            inputs.intelligence_signals = signals;
            inputs.validated_tests = validated;
            inputs.failed_tests = failed;
            inputs
        }
    }

    proptest! {
        #[test]
        fn the_score_stays_in_range_and_is_the_sum_of_its_terms(inputs in any_inputs()) {
            let risk = assess(id("T1059"), inputs, &RiskPolicy::default(), now());
            prop_assert!((0.0..=100.0).contains(&risk.score));
            let b = risk.breakdown;
            let sum = b.detection_gap + b.threat_actors + b.intelligence + b.failed_tests;
            prop_assert!((sum - risk.score).abs() <= 0.25, "sum {} score {}", sum, risk.score);
            prop_assert_eq!(risk.level, RiskLevel::of_score(risk.score));
            prop_assert!((1..=5).contains(&risk.likelihood));
            prop_assert!((1..=5).contains(&risk.impact));
            prop_assert!(b.detection_gap <= 35.0 && b.threat_actors <= 30.0);
            prop_assert!(b.intelligence <= 20.0 && b.failed_tests <= 15.0);
        }

        #[test]
        fn more_threat_never_lowers_risk(inputs in any_inputs(), more_actors in 0u32..10, more_signals in 0u32..10) {
            let policy = RiskPolicy::default();
            let before = assess(id("T1059"), inputs.clone(), &policy, now());
            let mut worse = inputs;
            worse.actors += more_actors;
            worse.intelligence_signals += more_signals;
            let after = assess(id("T1059"), worse, &policy, now());
            prop_assert!(after.score >= before.score);
            prop_assert!(after.likelihood >= before.likelihood);
        }

        #[test]
        fn better_proof_never_raises_risk(inputs in any_inputs(), gain in 0.0f64..100.0) {
            let policy = RiskPolicy::default();
            let before = assess(id("T1059"), inputs.clone(), &policy, now());
            let mut better = inputs;
            better.detection_score = (better.detection_score.clamp(0.0, 100.0) + gain).min(100.0);
            let after = assess(id("T1059"), better, &policy, now());
            prop_assert!(after.score <= before.score);
        }

        #[test]
        fn every_recommendation_names_its_technique_and_level(inputs in any_inputs()) {
            let risk = assess(id("T1003.001"), inputs, &RiskPolicy::default(), now());
            if let Some(advice) = recommend(&risk, "LSASS Memory", Some("procdump")) {
                let prefix = format!("T1003.001 is {}: ", risk.level.as_str());
                prop_assert!(advice.reason.starts_with(&prefix));
                prop_assert!(risk.level != RiskLevel::Info);
            }
        }

        #[test]
        fn percentiles_are_ordered_values_of_the_sample(values in prop::collection::vec(0i64..100_000, 1..50)) {
            let split = OutcomeSplit { detect_seconds: values.clone(), ..OutcomeSplit::default() };
            let (median, p90) = split.time_to_detect().expect("values");
            prop_assert!(median <= p90);
            prop_assert!(values.contains(&median) && values.contains(&p90));
        }
    }
}
