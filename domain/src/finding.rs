//! Findings: a technique the defence logged but did not detect, or missed, opened from the
//! validated test that showed it, remediated step by step, and closed only by a retest that
//! validates with a better outcome (a test gap); or a vulnerability a scanner reported,
//! remediated the same way and closed when a later scan of the same scope no longer reports
//! it, or by a lead who records it fixed.

pub mod vulnerability;

use chrono::{DateTime, NaiveDate, Utc};

use crate::catalog::TechniqueId;
use crate::id::Id;
use crate::tenant::TenantId;
use crate::test_case::{Outcome, TestId};
use crate::user::UserId;
use vulnerability::Vulnerability;

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

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FindingKind {
    /// A validated test showed the defence missed or only logged a technique.
    TestGap,
    /// A scanner reported a vulnerability (a SARIF result).
    Vulnerability,
}

impl FindingKind {
    pub const ALL: [Self; 2] = [Self::TestGap, Self::Vulnerability];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TestGap => "test_gap",
            Self::Vulnerability => "vulnerability",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// Where a finding comes from, with what only that kind carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindingOrigin {
    /// The validated test that showed the gap, and its outcome.
    Test { test_id: TestId, outcome: Outcome },
    /// The scanner's result.
    Scan(Box<Vulnerability>),
}

/// What a later scan meant for a vulnerability finding it reported again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rescan {
    Unchanged,
    /// The scanner says something new about it (message, location, rating, techniques…).
    Updated,
    /// It was resolved and is reported again: it is open once more.
    Reopened,
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
    /// The test that showed the gap, or the scanner's result.
    pub origin: FindingOrigin,
    /// The technique of a test gap; a vulnerability's first technique, if any leads from it.
    pub technique_id: Option<TechniqueId>,
    pub campaign_id: Option<uuid::Uuid>,
    pub title: String,
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
    #[error("a test gap is resolved only by a retest that validates with a better outcome")]
    RetestOnly,
    #[error("a vulnerability is retested by the next scan: import it, or record the fix")]
    ScanOnly,
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
            origin: FindingOrigin::Test { test_id, outcome },
            technique_id: Some(technique_id),
            campaign_id: None,
            title: String::new(),
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

    /// A finding opened now on what a scanner reported: open, version 1, as severe as the
    /// scanner rated it, titled by its rule and location.
    #[must_use]
    pub fn from_scan(
        id: FindingId,
        tenant_id: TenantId,
        vulnerability: Vulnerability,
        now: DateTime<Utc>,
    ) -> Self {
        let severity = vulnerability.scanner_severity;
        Self {
            id,
            tenant_id,
            technique_id: vulnerability.techniques.first().cloned(),
            campaign_id: None,
            title: vulnerability.title(),
            origin: FindingOrigin::Scan(Box::new(vulnerability)),
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

    #[must_use]
    pub const fn kind(&self) -> FindingKind {
        match self.origin {
            FindingOrigin::Test { .. } => FindingKind::TestGap,
            FindingOrigin::Scan(_) => FindingKind::Vulnerability,
        }
    }

    /// The validated test that showed a test gap.
    #[must_use]
    pub const fn test_id(&self) -> Option<TestId> {
        match self.origin {
            FindingOrigin::Test { test_id, .. } => Some(test_id),
            FindingOrigin::Scan(_) => None,
        }
    }

    /// The outcome that opened a test gap.
    #[must_use]
    pub const fn outcome(&self) -> Option<Outcome> {
        match self.origin {
            FindingOrigin::Test { outcome, .. } => Some(outcome),
            FindingOrigin::Scan(_) => None,
        }
    }

    #[must_use]
    pub fn vulnerability(&self) -> Option<&Vulnerability> {
        match &self.origin {
            FindingOrigin::Scan(vulnerability) => Some(vulnerability),
            FindingOrigin::Test { .. } => None,
        }
    }

    /// A later scan reported it again as `seen`: what the scanner says now replaces what it
    /// said (a new rating moves the severity with it, and its due date when the severity
    /// rises), and a resolved finding is open again. An accepted risk stays accepted.
    /// A test gap is left as it is.
    pub fn rescan(&mut self, seen: Vulnerability, now: DateTime<Utc>) -> Rescan {
        let FindingOrigin::Scan(current) = &mut self.origin else {
            return Rescan::Unchanged;
        };
        let mut outcome = Rescan::Unchanged;
        if **current != seen {
            if current.scanner_severity != seen.scanner_severity {
                if seen.scanner_severity > self.severity {
                    self.due_on = Some(
                        now.date_naive()
                            + chrono::Duration::days(seen.scanner_severity.days_to_fix()),
                    );
                }
                self.severity = seen.scanner_severity;
            }
            self.technique_id = seen.techniques.first().cloned();
            self.title = seen.title();
            **current = seen;
            outcome = Rescan::Updated;
        }
        if self.status == FindingStatus::Resolved {
            self.status = FindingStatus::Open;
            self.resolved_at = None;
            outcome = Rescan::Reopened;
        }
        outcome
    }

    /// A later scan of its scope no longer reports it: an unresolved vulnerability whose
    /// risk is not accepted is resolved. Returns whether it resolved.
    pub fn no_longer_reported(&mut self, now: DateTime<Utc>) -> bool {
        if self.kind() != FindingKind::Vulnerability
            || !matches!(
                self.status,
                FindingStatus::Open | FindingStatus::InRemediation | FindingStatus::AwaitingRetest
            )
        {
            return false;
        }
        self.status = FindingStatus::Resolved;
        self.resolved_at = Some(now);
        true
    }

    /// A lead records a vulnerability fixed before the next scan confirms it (a test gap
    /// is resolved only by its retest).
    ///
    /// # Errors
    /// For a test gap, or unless open or in remediation.
    pub fn record_fixed(&mut self, now: DateTime<Utc>) -> Result<(), FindingRefusal> {
        if self.kind() != FindingKind::Vulnerability {
            return Err(FindingRefusal::RetestOnly);
        }
        if !matches!(
            self.status,
            FindingStatus::Open | FindingStatus::InRemediation
        ) {
            return Err(self.refuse("be resolved"));
        }
        self.status = FindingStatus::Resolved;
        self.resolved_at = Some(now);
        Ok(())
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
    /// For a vulnerability; when resolved, accepted or already awaiting a retest.
    pub fn await_retest(&mut self, retest: TestId) -> Result<(), FindingRefusal> {
        if self.kind() == FindingKind::Vulnerability {
            return Err(FindingRefusal::ScanOnly);
        }
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
    /// resolved. A vulnerability has no outcome to improve on: it is left as it is.
    pub fn record_retest(&mut self, outcome: Outcome, now: DateTime<Utc>) -> bool {
        let Some(opened) = self.outcome() else {
            return false;
        };
        self.retest_id = None;
        if outcome < opened {
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
    pub kind: Option<FindingKind>,
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

    fn scanned(severity: Severity, message: &str) -> Vulnerability {
        Vulnerability {
            fingerprint: "f".to_owned(),
            scope: "Semgrep".to_owned(),
            scanner: vulnerability::Scanner {
                name: "Semgrep".to_owned(),
                version: None,
            },
            rule_id: "sql-injection".to_owned(),
            rule_name: None,
            message: message.to_owned(),
            location: None,
            cves: Vec::new(),
            cwes: vec!["CWE-89".to_owned()],
            score: None,
            scanner_severity: severity,
            guidance: String::new(),
            techniques: vec![TechniqueId::parse("T1190").unwrap_or_else(|e| panic!("{e}"))],
        }
    }

    #[test]
    fn a_vulnerability_finding_has_no_test_and_is_settled_by_scans_not_retests() {
        let nil = uuid::Uuid::nil();
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let mut finding = Finding::from_scan(
            FindingId::from_uuid(nil),
            TenantId::from_uuid(nil),
            scanned(Severity::Medium, "one"),
            now,
        );
        assert_eq!(finding.kind(), FindingKind::Vulnerability);
        assert_eq!((finding.test_id(), finding.outcome()), (None, None));
        assert_eq!(
            finding.technique_id.as_ref().map(TechniqueId::as_str),
            Some("T1190")
        );
        assert_eq!(
            finding.await_retest(TestId::from_uuid(nil)),
            Err(FindingRefusal::ScanOnly)
        );
        // A retest never resolves it: it has no outcome to improve on.
        assert!(!finding.record_retest(Outcome::Prevented, now));
        assert_eq!(finding.status(), FindingStatus::Open);

        assert_eq!(
            finding.rescan(scanned(Severity::Medium, "one"), now),
            Rescan::Unchanged
        );
        assert_eq!(
            finding.rescan(scanned(Severity::High, "two"), now),
            Rescan::Updated
        );
        assert_eq!(finding.severity, Severity::High);
        assert!(finding.no_longer_reported(now));
        assert_eq!(finding.status(), FindingStatus::Resolved);
        assert!(!finding.no_longer_reported(now));
        assert_eq!(
            finding.rescan(scanned(Severity::High, "two"), now),
            Rescan::Reopened
        );
        assert_eq!(
            (finding.status(), finding.resolved_at),
            (FindingStatus::Open, None)
        );
        assert_eq!(finding.record_fixed(now), Ok(()));
        assert_eq!(finding.status(), FindingStatus::Resolved);
    }

    #[test]
    fn a_test_gap_is_not_recorded_fixed_nor_touched_by_scans() {
        let nil = uuid::Uuid::nil();
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let mut finding = Finding::open(
            FindingId::from_uuid(nil),
            TenantId::from_uuid(nil),
            TestId::from_uuid(nil),
            TechniqueId::parse("T1003").unwrap_or_else(|e| panic!("{e}")),
            Outcome::Logged,
            Severity::Medium,
            now,
        );
        assert_eq!(finding.kind(), FindingKind::TestGap);
        assert_eq!(finding.record_fixed(now), Err(FindingRefusal::RetestOnly));
        assert!(!finding.no_longer_reported(now));
        assert_eq!(
            finding.rescan(scanned(Severity::High, "x"), now),
            Rescan::Unchanged
        );
        assert!(finding.record_retest(Outcome::Detected, now));
    }
}
