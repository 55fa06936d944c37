//! Proof from telemetry, the pure part: a test's run marker and execution window, which events
//! belong to the run, and the blue result a rule evaluation proposes.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::test_case::{Outcome, RuleResult, RuleVerdict, TestId};

/// A short token red puts in a command line, a process or a host name, so the run's events
/// are found even when clocks disagree (as Invoke-AtomicRunner and OpenAEV do). Derived from
/// the test, so it never changes and needs no storage.
#[must_use]
pub fn run_marker(test: TestId) -> String {
    let digest = Sha256::digest(test.as_uuid().as_bytes());
    format!("aegis-{}", hex::encode(&digest[..4]))
}

/// How far event clocks may be off, and how long after red's execution its effects still
/// count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowPolicy {
    pub clock_skew: Duration,
    pub grace: Duration,
}

impl Default for WindowPolicy {
    fn default() -> Self {
        Self {
            clock_skew: Duration::minutes(5),
            grace: Duration::minutes(60),
        }
    }
}

/// The time span whose events belong to a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunWindow {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl RunWindow {
    /// From red's execution (less the skew) to the end of the grace period (plus the skew).
    #[must_use]
    pub fn around(executed_at: DateTime<Utc>, policy: WindowPolicy) -> Self {
        Self {
            from: executed_at - policy.clock_skew,
            to: executed_at + policy.grace + policy.clock_skew,
        }
    }

    #[must_use]
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && at <= self.to
    }
}

/// Whether an event belongs to the run: it carries the marker, or it happened inside the
/// window. An event without a time belongs when there is no window to place it in.
#[must_use]
pub fn belongs_to_run(
    window: Option<&RunWindow>,
    at: Option<DateTime<Utc>>,
    carries_marker: bool,
) -> bool {
    if carries_marker {
        return true;
    }
    match (window, at) {
        (Some(window), Some(at)) => window.contains(at),
        (Some(_), None) => false,
        (None, _) => true,
    }
}

/// A rule as an evaluation saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSeen {
    /// As blue's rule results name it: `sigma:<id>`.
    pub rule: String,
    pub verdict: RuleVerdict,
    /// The first matching event's time, for a rule that fired.
    pub first_match_at: Option<DateTime<Utc>>,
}

/// The blue result an evaluation proposes; blue confirms or changes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub outcome: Outcome,
    pub detected_at: Option<DateTime<Utc>>,
    /// First matching event minus red's execution, in seconds.
    pub time_to_detect_seconds: Option<i64>,
    pub rule_results: Vec<RuleResult>,
}

/// Detected when a rule fired; logged when the run's events exist but none fired; not
/// detected (nothing logged) when the run left no events.
#[must_use]
pub fn propose(
    run_events: usize,
    rules: &[RuleSeen],
    executed_at: Option<DateTime<Utc>>,
) -> Proposal {
    let detected_at = rules
        .iter()
        .filter(|r| r.verdict == RuleVerdict::Triggered)
        .filter_map(|r| r.first_match_at)
        .min();
    let fired = rules.iter().any(|r| r.verdict == RuleVerdict::Triggered);
    let outcome = if fired {
        Outcome::Detected
    } else if run_events > 0 {
        Outcome::Logged
    } else {
        Outcome::NotDetected
    };
    Proposal {
        outcome,
        detected_at,
        time_to_detect_seconds: detected_at
            .zip(executed_at)
            .map(|(detected, executed)| (detected - executed).num_seconds()),
        rule_results: rules
            .iter()
            .map(|r| RuleResult {
                rule: r.rule.clone(),
                verdict: r.verdict,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn the_marker_is_short_stable_and_per_test() {
        let a = TestId::from_uuid(uuid::Uuid::from_u128(1));
        let b = TestId::from_uuid(uuid::Uuid::from_u128(2));
        assert_eq!(run_marker(a), run_marker(a));
        assert_ne!(run_marker(a), run_marker(b));
        assert_eq!(run_marker(a).len(), "aegis-".len() + 8);
    }

    #[test]
    fn the_window_takes_skew_and_grace_and_the_marker_overrides_it() {
        let window = RunWindow::around(at("2024-03-01T10:00:00Z"), WindowPolicy::default());
        assert!(belongs_to_run(
            Some(&window),
            Some(at("2024-03-01T09:56:00Z")),
            false
        ));
        assert!(!belongs_to_run(
            Some(&window),
            Some(at("2024-03-01T09:54:00Z")),
            false
        ));
        assert!(belongs_to_run(
            Some(&window),
            Some(at("2024-03-01T11:04:00Z")),
            false
        ));
        assert!(!belongs_to_run(
            Some(&window),
            Some(at("2024-03-01T11:06:00Z")),
            false
        ));
        assert!(belongs_to_run(
            Some(&window),
            Some(at("2020-01-01T00:00:00Z")),
            true
        ));
        assert!(!belongs_to_run(Some(&window), None, false));
        assert!(belongs_to_run(None, None, false));
    }

    #[test]
    fn a_fired_rule_detects_events_without_one_are_logged_and_none_are_not_detected() {
        let executed = at("2024-03-01T10:00:00Z");
        let rules = vec![
            RuleSeen {
                rule: "sigma:a".into(),
                verdict: RuleVerdict::Triggered,
                first_match_at: Some(at("2024-03-01T10:00:42Z")),
            },
            RuleSeen {
                rule: "sigma:b".into(),
                verdict: RuleVerdict::NotTriggered,
                first_match_at: None,
            },
        ];
        let proposal = propose(10, &rules, Some(executed));
        assert_eq!(proposal.outcome, Outcome::Detected);
        assert_eq!(proposal.time_to_detect_seconds, Some(42));
        assert_eq!(proposal.rule_results.len(), 2);
        assert_eq!(
            propose(10, &rules[1..], Some(executed)).outcome,
            Outcome::Logged
        );
        let nothing = propose(0, &rules[1..], Some(executed));
        assert_eq!(nothing.outcome, Outcome::NotDetected);
        assert_eq!(nothing.detected_at, None);
    }
}
