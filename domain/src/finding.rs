//! Findings: a technique the defence logged but did not detect, or missed, opened from the
//! validated test that showed it, remediated step by step, and closed only by a retest that
//! validates with a better outcome.

use chrono::{DateTime, NaiveDate, Utc};

use crate::catalog::TechniqueId;
use crate::id::Id;
use crate::tenant::TenantId;
use crate::test_case::{Outcome, TestId};
use crate::user::UserId;

pub type FindingId = Id<Finding>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Self; 4] = [Self::Low, Self::Medium, Self::High, Self::Critical];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// How bad a gap is: a miss is high and a gap that was only logged medium; a technique
    /// that many in-scope adversaries use is one level worse, one nobody uses one level less.
    #[must_use]
    pub fn assess(outcome: Outcome, actors_using: u32) -> Option<Self> {
        let base = match outcome {
            Outcome::Prevented | Outcome::Detected => return None,
            Outcome::Logged => 1,
            Outcome::NotDetected => 2,
        };
        let level = match actors_using {
            0 => base - 1,
            1..=4 => base,
            _ => base + 1,
        };
        Some(Self::ALL[level])
    }

    /// The default time to fix: a week for critical, a month for high, a quarter for
    /// medium, half a year for low.
    #[must_use]
    pub const fn days_to_fix(self) -> i64 {
        match self {
            Self::Critical => 7,
            Self::High => 30,
            Self::Medium => 90,
            Self::Low => 180,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FindingStatus {
    Open,
    InRemediation,
    /// Fixed by the team; a retest must now validate with a better outcome.
    AwaitingRetest,
    Resolved,
    RiskAccepted,
}

impl FindingStatus {
    pub const ALL: [Self; 5] = [
        Self::Open,
        Self::InRemediation,
        Self::AwaitingRetest,
        Self::Resolved,
        Self::RiskAccepted,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::InRemediation => "in_remediation",
            Self::AwaitingRetest => "awaiting_retest",
            Self::Resolved => "resolved",
            Self::RiskAccepted => "risk_accepted",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Still needs work (counts towards overdue).
    #[must_use]
    pub const fn is_unresolved(self) -> bool {
        !matches!(self, Self::Resolved | Self::RiskAccepted)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepStatus {
    Todo,
    InProgress,
    Done,
}

impl StepStatus {
    pub const ALL: [Self; 3] = [Self::Todo, Self::InProgress, Self::Done];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Todo => "todo",
            Self::InProgress => "in_progress",
            Self::Done => "done",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// One thing to do to close the gap, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemediationStep {
    pub id: uuid::Uuid,
    pub title: String,
    pub assignee: Option<UserId>,
    pub status: StepStatus,
    pub notes: String,
    pub updated_at: DateTime<Utc>,
}

/// Why a gap is left open, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskAcceptance {
    pub reason: String,
    pub expires_on: NaiveDate,
    pub accepted_by: UserId,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub id: FindingId,
    pub tenant_id: TenantId,
    /// The validated test that showed the gap.
    pub test_id: TestId,
    pub technique_id: TechniqueId,
    pub campaign_id: Option<uuid::Uuid>,
    pub title: String,
    pub outcome: Outcome,
    pub severity: Severity,
    /// Moved only by the remediation methods (`start_remediation`, `await_retest`, …).
    status: FindingStatus,
    pub owner: Option<UserId>,
    pub due_on: Option<NaiveDate>,
    pub steps: Vec<RemediationStep>,
    pub risk_acceptance: Option<RiskAcceptance>,
    /// The test that must validate with a better outcome to close the finding.
    pub retest_id: Option<TestId>,
    /// The outcome of the last retest that did not improve, if any.
    pub last_retest_outcome: Option<Outcome>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Incremented by every change ([`Finding::record_change`]): a stale one is refused.
    version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A status change that the finding's status does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FindingRefusal {
    #[error("a finding that is {status} cannot {action}")]
    NotInStatus {
        status: &'static str,
        action: &'static str,
    },
    #[error("a risk acceptance must expire after today")]
    ExpiryInPast,
}

impl Finding {
    /// A finding opened now on what a validated test showed: open, version 1, due when its
    /// severity says a fix is due, titled by the caller.
    #[must_use]
    pub fn open(
        id: FindingId,
        tenant_id: TenantId,
        test_id: TestId,
        technique_id: TechniqueId,
        outcome: Outcome,
        severity: Severity,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            tenant_id,
            test_id,
            technique_id,
            campaign_id: None,
            title: String::new(),
            outcome,
            severity,
            status: FindingStatus::Open,
            owner: None,
            due_on: Some(now.date_naive() + chrono::Duration::days(severity.days_to_fix())),
            steps: Vec::new(),
            risk_acceptance: None,
            retest_id: None,
            last_retest_outcome: None,
            resolved_at: None,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    /// The finding as storage holds it: its status and version exactly as saved. For the
    /// adapters that load findings, never for a change.
    #[must_use]
    pub fn restored(mut self, status: FindingStatus, version: i32) -> Self {
        self.status = status;
        self.version = version;
        self
    }

    #[must_use]
    pub const fn status(&self) -> FindingStatus {
        self.status
    }

    #[must_use]
    pub const fn version(&self) -> i32 {
        self.version
    }

    /// Marks a change made at `now`: returns the version it was based on and moves on.
    pub fn record_change(&mut self, now: DateTime<Utc>) -> i32 {
        let based_on = self.version;
        self.version += 1;
        self.updated_at = now;
        based_on
    }

    fn refuse(&self, action: &'static str) -> FindingRefusal {
        FindingRefusal::NotInStatus {
            status: self.status.as_str(),
            action,
        }
    }

    /// Whether it should have been fixed by `today`.
    #[must_use]
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.status.is_unresolved() && self.due_on.is_some_and(|due| due < today)
    }

    /// Whether an accepted risk has run out and needs a new decision.
    #[must_use]
    pub fn acceptance_expired(&self, today: NaiveDate) -> bool {
        self.status == FindingStatus::RiskAccepted
            && self
                .risk_acceptance
                .as_ref()
                .is_some_and(|a| a.expires_on <= today)
    }

    /// Someone works on it.
    ///
    /// # Errors
    /// Unless open.
    pub fn start_remediation(&mut self) -> Result<(), FindingRefusal> {
        match self.status {
            FindingStatus::Open => {
                self.status = FindingStatus::InRemediation;
                Ok(())
            }
            FindingStatus::InRemediation => Ok(()),
            _ => Err(self.refuse("start remediation")),
        }
    }

    /// The team says it is fixed: `retest` must now prove it.
    ///
    /// # Errors
    /// When resolved, accepted or already awaiting a retest.
    pub fn await_retest(&mut self, retest: TestId) -> Result<(), FindingRefusal> {
        if !matches!(
            self.status,
            FindingStatus::Open | FindingStatus::InRemediation
        ) {
            return Err(self.refuse("be resolved"));
        }
        self.status = FindingStatus::AwaitingRetest;
        self.retest_id = Some(retest);
        Ok(())
    }

    /// The retest validated with `outcome`: a better outcome than the one that opened the
    /// finding resolves it, anything else sends it back to remediation. Returns whether it
    /// resolved.
    pub fn record_retest(&mut self, outcome: Outcome, now: DateTime<Utc>) -> bool {
        self.retest_id = None;
        if outcome < self.outcome {
            self.status = FindingStatus::Resolved;
            self.resolved_at = Some(now);
            self.last_retest_outcome = None;
            true
        } else {
            self.status = FindingStatus::InRemediation;
            self.last_retest_outcome = Some(outcome);
            false
        }
    }

    /// # Errors
    /// When resolved, or when the acceptance would already have expired.
    pub fn accept_risk(
        &mut self,
        acceptance: RiskAcceptance,
        today: NaiveDate,
    ) -> Result<(), FindingRefusal> {
        if self.status == FindingStatus::Resolved {
            return Err(self.refuse("have its risk accepted"));
        }
        if acceptance.expires_on <= today {
            return Err(FindingRefusal::ExpiryInPast);
        }
        self.status = FindingStatus::RiskAccepted;
        self.risk_acceptance = Some(acceptance);
        self.retest_id = None;
        Ok(())
    }

    /// Takes an accepted risk back (or a lapsed acceptance): the finding is open again.
    ///
    /// # Errors
    /// Unless the risk was accepted.
    pub fn reopen(&mut self) -> Result<(), FindingRefusal> {
        if self.status != FindingStatus::RiskAccepted {
            return Err(self.refuse("be reopened"));
        }
        self.status = FindingStatus::Open;
        self.risk_acceptance = None;
        Ok(())
    }
}

/// Filters of the finding list; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindingFilter {
    pub status: Option<FindingStatus>,
    pub severity: Option<Severity>,
    pub technique: Option<TechniqueId>,
    pub owner: Option<UserId>,
    pub campaign: Option<uuid::Uuid>,
    /// Only unresolved findings due before this day.
    pub overdue_on: Option<NaiveDate>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opened_finding_is_due_by_its_severity_and_changes_move_its_version() {
        let nil = uuid::Uuid::nil();
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let mut finding = Finding::open(
            FindingId::from_uuid(nil),
            TenantId::from_uuid(nil),
            TestId::from_uuid(nil),
            TechniqueId::parse("T1003").unwrap_or_else(|e| panic!("{e}")),
            Outcome::NotDetected,
            Severity::Critical,
            now,
        );
        assert_eq!(finding.status(), FindingStatus::Open);
        assert_eq!(
            finding.due_on,
            Some(now.date_naive() + chrono::Duration::days(7))
        );
        let later = now + chrono::Duration::hours(1);
        assert_eq!(finding.record_change(later), 1);
        assert_eq!((finding.version(), finding.updated_at), (2, later));
    }

    #[test]
    fn severity_rises_with_the_miss_and_the_adversaries_using_it() {
        assert_eq!(Severity::assess(Outcome::Detected, 9), None);
        assert_eq!(Severity::assess(Outcome::Logged, 0), Some(Severity::Low));
        assert_eq!(Severity::assess(Outcome::Logged, 2), Some(Severity::Medium));
        assert_eq!(
            Severity::assess(Outcome::NotDetected, 2),
            Some(Severity::High)
        );
        assert_eq!(
            Severity::assess(Outcome::NotDetected, 12),
            Some(Severity::Critical)
        );
    }
}
