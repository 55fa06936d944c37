//! Properties of the scoring engine, over arbitrary inputs.

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

use aegis_domain::scoring::{
    DetectionProof, RollUp, ScoringPolicy, TechniqueInputs, ValidatedResult, score_technique,
};
use aegis_domain::test_case::Outcome;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default()
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop::sample::select(Outcome::ALL.to_vec())
}

fn result() -> impl Strategy<Value = ValidatedResult> {
    (
        outcome(),
        0_i64..2000,
        prop::option::of(prop::sample::select(vec![
            "windows", "linux", "macos", "azure-ad",
        ])),
    )
        .prop_map(|(outcome, days, platform)| ValidatedResult {
            outcome,
            validated_at: now() - Duration::days(days),
            platform: platform.map(str::to_owned),
        })
}

fn inputs() -> impl Strategy<Value = TechniqueInputs> {
    (
        prop::collection::vec(result(), 0..8),
        0_u32..5,
        0_u32..10,
        0_u32..10,
        0_u32..5,
    )
        .prop_map(
            |(validated, open_tests, proven_rules, unproven_rules, countermeasures)| {
                TechniqueInputs {
                    validated,
                    open_tests,
                    proven_rules,
                    unproven_rules,
                    countermeasures,
                    proof: DetectionProof::default(),
                }
            },
        )
}

fn better(outcome: Outcome) -> Vec<Outcome> {
    Outcome::ALL.into_iter().filter(|o| *o <= outcome).collect()
}

proptest! {
    #[test]
    fn scores_stay_within_0_and_100(inputs in inputs()) {
        let score = score_technique(&inputs, &ScoringPolicy::default(), now());
        prop_assert!((0.0..=100.0).contains(&score.score), "{}", score.score);
        prop_assert!((score.breakdown.total() - score.score).abs() < 0.06);
    }

    #[test]
    fn a_better_outcome_never_lowers_a_score(
        inputs in inputs().prop_filter("one validation", |i| !i.validated.is_empty()),
        pick in any::<prop::sample::Index>(),
        choice in any::<prop::sample::Index>(),
    ) {
        let policy = ScoringPolicy::default();
        let before = score_technique(&inputs, &policy, now()).score;
        let mut improved = inputs.clone();
        let index = pick.index(improved.validated.len());
        let options = better(improved.validated[index].outcome);
        improved.validated[index].outcome = *choice.get(&options);
        let after = score_technique(&improved, &policy, now()).score;
        prop_assert!(after >= before, "{before} -> {after}");
    }

    #[test]
    fn an_older_validation_never_scores_above_a_newer_identical_one(
        base in inputs(),
        result in result(),
        older_by in 0_i64..1000,
    ) {
        let policy = ScoringPolicy::default();
        let newer = TechniqueInputs { validated: vec![result.clone()], ..base.clone() };
        let older = TechniqueInputs {
            validated: vec![ValidatedResult {
                validated_at: result.validated_at - Duration::days(older_by),
                ..result
            }],
            ..base
        };
        let newer = score_technique(&newer, &policy, now()).score;
        let older = score_technique(&older, &policy, now()).score;
        prop_assert!(older <= newer, "older {older} > newer {newer}");
    }

    #[test]
    fn a_roll_up_lies_between_its_parts(
        parts in prop::collection::vec(0.0_f64..=100.0, 1..20),
        mode in prop::sample::select(vec![RollUp::Average, RollUp::Max, RollUp::Min]),
    ) {
        let min = parts.iter().copied().fold(f64::MAX, f64::min);
        let max = parts.iter().copied().fold(f64::MIN, f64::max);
        let rolled = mode.combine(&parts).unwrap_or(f64::NAN);
        prop_assert!(rolled >= min - 1e-9 && rolled <= max + 1e-9);
    }
}
