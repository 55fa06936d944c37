//! Operational metrics of an organization's testing: the pipeline, how fast and how well
//! detections are proven. Pure functions over the facts of each test.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use crate::catalog::TechniqueId;
use crate::test_case::Outcome;
use crate::user::UserId;
use crate::workflow::TestState;

/// What the metrics need to know of one test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestFacts {
    pub technique_id: TechniqueId,
    pub state: TestState,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub red_started_at: Option<DateTime<Utc>>,
    pub red_executed_at: Option<DateTime<Utc>>,
    pub blue_detected_at: Option<DateTime<Utc>>,
    pub outcome: Option<Outcome>,
    pub validated_at: Option<DateTime<Utc>>,
}

/// One week of validations.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectionWeek {
    /// The Monday the week starts on.
    pub week_start: NaiveDate,
    pub validated: u32,
    /// Validated tests whose outcome was prevented or detected.
    pub detected: u32,
    /// `detected / validated`, none for a week without validations.
    pub rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestMetrics {
    /// Tests per workflow state, every state present.
    pub funnel: Vec<(TestState, u32)>,
    pub total_tests: u32,
    /// Validated tests out of those that left draft.
    pub validation_rate: Option<f64>,
    /// Validated tests that were prevented or detected, out of validated tests.
    pub detection_rate: Option<f64>,
    /// Mean seconds from red's execution to blue's detection.
    pub mean_time_to_detect_seconds: Option<f64>,
    /// Mean seconds from the start of red's execution (or creation) to validation.
    pub average_validation_seconds: Option<f64>,
    /// The last weeks, oldest first.
    pub detection_trend: Vec<DetectionWeek>,
    /// Techniques (of those given) no test was ever planned for.
    pub never_tested_techniques: u32,
    /// Distinct techniques with a validated test.
    pub validated_techniques: u32,
}

fn ratio(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| ((part as f64 / whole as f64) * 1000.0).round() / 1000.0)
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| (values.iter().sum::<f64>() / values.len() as f64).round())
}

fn is_detection(outcome: Option<Outcome>) -> bool {
    matches!(outcome, Some(Outcome::Prevented | Outcome::Detected))
}

fn monday_of(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// The metrics of `tests`; `catalog` is the techniques to count as never tested when no test
/// names them; the trend covers the `weeks` weeks up to `now`.
#[must_use]
pub fn test_metrics(
    tests: &[TestFacts],
    catalog: &[TechniqueId],
    now: DateTime<Utc>,
    weeks: u32,
) -> TestMetrics {
    let funnel: Vec<(TestState, u32)> = TestState::ALL
        .into_iter()
        .map(|state| {
            let n = tests.iter().filter(|t| t.state == state).count();
            (state, u32::try_from(n).unwrap_or(u32::MAX))
        })
        .collect();
    let validated: Vec<&TestFacts> = tests
        .iter()
        .filter(|t| t.state == TestState::Validated)
        .collect();
    let started = tests.iter().filter(|t| t.state != TestState::Draft).count();
    let with_outcome: Vec<&&TestFacts> = validated.iter().filter(|t| t.outcome.is_some()).collect();
    let detected = with_outcome
        .iter()
        .filter(|t| is_detection(t.outcome))
        .count();
    let detect_seconds: Vec<f64> = tests
        .iter()
        .filter(|t| is_detection(t.outcome))
        .filter_map(|t| Some((t.blue_detected_at? - t.red_executed_at?).num_seconds()))
        .filter(|seconds| *seconds >= 0)
        .map(|seconds| seconds as f64)
        .collect();
    let validation_seconds: Vec<f64> = validated
        .iter()
        .filter_map(|t| {
            let from = t.red_started_at.unwrap_or(t.created_at);
            Some((t.validated_at? - from).num_seconds())
        })
        .filter(|seconds| *seconds >= 0)
        .map(|seconds| seconds as f64)
        .collect();
    let this_week = monday_of(now.date_naive());
    let detection_trend = (0..weeks)
        .rev()
        .map(|back| {
            let week_start = this_week - Duration::weeks(i64::from(back));
            let in_week: Vec<&&TestFacts> = validated
                .iter()
                .filter(|t| {
                    t.validated_at
                        .is_some_and(|at| monday_of(at.date_naive()) == week_start)
                })
                .collect();
            let hits = in_week.iter().filter(|t| is_detection(t.outcome)).count();
            DetectionWeek {
                week_start,
                validated: u32::try_from(in_week.len()).unwrap_or(u32::MAX),
                detected: u32::try_from(hits).unwrap_or(u32::MAX),
                rate: ratio(hits, in_week.len()),
            }
        })
        .collect();
    let tested: HashSet<&TechniqueId> = tests.iter().map(|t| &t.technique_id).collect();
    let never_tested = catalog.iter().filter(|id| !tested.contains(id)).count();
    let validated_techniques: HashSet<&TechniqueId> =
        validated.iter().map(|t| &t.technique_id).collect();
    TestMetrics {
        funnel,
        total_tests: u32::try_from(tests.len()).unwrap_or(u32::MAX),
        validation_rate: ratio(validated.len(), started),
        detection_rate: ratio(detected, with_outcome.len()),
        mean_time_to_detect_seconds: mean(&detect_seconds),
        average_validation_seconds: mean(&validation_seconds),
        detection_trend,
        never_tested_techniques: u32::try_from(never_tested).unwrap_or(u32::MAX),
        validated_techniques: u32::try_from(validated_techniques.len()).unwrap_or(u32::MAX),
    }
}

/// A workflow step, for the activity feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityItem {
    pub test_id: crate::test_case::TestId,
    pub test_title: String,
    pub technique_id: TechniqueId,
    pub actor: UserId,
    pub action: String,
    pub from: String,
    pub to: String,
    pub at: DateTime<Utc>,
}

/// What one person did: workflow actions by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorActivity {
    pub user_id: UserId,
    pub actions: BTreeMap<String, u64>,
    pub total: u64,
}

/// Groups `(user, action, count)` rows by user, busiest first.
#[must_use]
pub fn operator_activity(rows: &[(UserId, String, u64)]) -> Vec<OperatorActivity> {
    let mut by_user: BTreeMap<UserId, BTreeMap<String, u64>> = BTreeMap::new();
    for (user, action, count) in rows {
        *by_user
            .entry(*user)
            .or_default()
            .entry(action.clone())
            .or_default() += count;
    }
    let mut activity: Vec<OperatorActivity> = by_user
        .into_iter()
        .map(|(user_id, actions)| OperatorActivity {
            user_id,
            total: actions.values().sum(),
            actions,
        })
        .collect();
    activity.sort_by(|a, b| b.total.cmp(&a.total).then(a.user_id.cmp(&b.user_id)));
    activity
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, day, hour, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn facts(technique: &str, state: TestState, outcome: Option<Outcome>) -> TestFacts {
        TestFacts {
            technique_id: TechniqueId::parse(technique).unwrap_or_else(|_| unreachable!()),
            state,
            created_by: UserId::from_uuid(uuid::Uuid::nil()),
            created_at: at(2, 9),
            red_started_at: Some(at(2, 10)),
            red_executed_at: Some(at(2, 11)),
            blue_detected_at: outcome
                .filter(|o| is_detection(Some(*o)))
                .map(|_| at(2, 12)),
            outcome,
            validated_at: (state == TestState::Validated).then(|| at(3, 10)),
        }
    }

    #[test]
    fn rates_times_and_the_funnel_follow_the_tests() {
        let tests = vec![
            facts("T1059", TestState::Validated, Some(Outcome::Detected)),
            facts("T1059", TestState::Validated, Some(Outcome::NotDetected)),
            facts("T1566", TestState::Rejected, Some(Outcome::Logged)),
            facts("T1027", TestState::Draft, None),
        ];
        let catalog: Vec<TechniqueId> = ["T1059", "T1566", "T1027", "T1003"]
            .iter()
            .filter_map(|id| TechniqueId::parse(id).ok())
            .collect();
        let metrics = test_metrics(&tests, &catalog, at(4, 12), 2);
        assert_eq!(metrics.total_tests, 4);
        assert!(metrics.funnel.contains(&(TestState::Validated, 2)));
        assert!(metrics.funnel.contains(&(TestState::Draft, 1)));
        assert_eq!(metrics.validation_rate, Some(0.667));
        assert_eq!(metrics.detection_rate, Some(0.5));
        assert_eq!(metrics.mean_time_to_detect_seconds, Some(3600.0));
        // Red started at 10:00 on the 2nd, validated at 10:00 on the 3rd.
        assert_eq!(metrics.average_validation_seconds, Some(86_400.0));
        assert_eq!(metrics.never_tested_techniques, 1);
        assert_eq!(metrics.validated_techniques, 1);
        let week = metrics
            .detection_trend
            .last()
            .cloned()
            .unwrap_or_else(|| unreachable!());
        assert_eq!(week.week_start, at(2, 0).date_naive());
        assert_eq!(
            (week.validated, week.detected, week.rate),
            (2, 1, Some(0.5))
        );
        assert_eq!(metrics.detection_trend.len(), 2);
        assert_eq!(metrics.detection_trend[0].rate, None);
    }

    #[test]
    fn no_tests_means_no_rates_rather_than_zero() {
        let metrics = test_metrics(&[], &[], at(4, 12), 12);
        assert_eq!(metrics.validation_rate, None);
        assert_eq!(metrics.detection_rate, None);
        assert_eq!(metrics.mean_time_to_detect_seconds, None);
        assert_eq!(metrics.detection_trend.len(), 12);
    }

    #[test]
    fn operators_are_ranked_by_what_they_did() {
        let (a, b) = (
            UserId::from_uuid(uuid::Uuid::from_u128(1)),
            UserId::from_uuid(uuid::Uuid::from_u128(2)),
        );
        let rows = vec![
            (a, "submit-red".to_owned(), 2),
            (b, "submit-blue".to_owned(), 5),
            (a, "start-execution".to_owned(), 2),
        ];
        let activity = operator_activity(&rows);
        assert_eq!(activity[0].user_id, b);
        assert_eq!(activity[1].total, 4);
        assert_eq!(activity[1].actions.get("submit-red"), Some(&2));
    }
}
