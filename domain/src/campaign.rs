//! Campaigns: tests planned together around an objective or an adversary, run as one
//! operation, possibly again and again. The lifecycle, the dependency graph between their
//! tests and the recurrence rule are pure; who may do what lives in the permission matrix.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};

use crate::id::Id;
use crate::role::Role;
use crate::tenant::TenantId;
use crate::test_case::{TestCase, TestId};
use crate::user::UserId;
use crate::workflow::TestState;

pub type CampaignId = Id<Campaign>;

/// Who knows what during the operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CampaignKind {
    /// Red and blue work together; blue is fully informed.
    PurpleTeam,
    /// Blind: blue sees a test only once red releases it (submits its execution).
    RedTeam,
    /// Blue checks its detections against known procedures.
    BlueTeam,
    /// Walked through on paper; nothing runs live.
    Tabletop,
}

impl CampaignKind {
    pub const ALL: [Self; 4] = [
        Self::PurpleTeam,
        Self::RedTeam,
        Self::BlueTeam,
        Self::Tabletop,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PurpleTeam => "purple_team",
            Self::RedTeam => "red_team",
            Self::BlueTeam => "blue_team",
            Self::Tabletop => "tabletop",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The test states of this kind of campaign that `role` may not see (empty for most),
    /// derived from [`Self::reveals`] so that storage filters by the same rule.
    #[must_use]
    pub fn concealed_states(self, role: Role) -> Vec<TestState> {
        TestState::ALL
            .into_iter()
            .filter(|state| !self.reveals(role, *state))
            .collect()
    }

    /// Whether `role` may see a test of this kind of campaign in `state`: in a blind
    /// operation the blue side sees nothing red has not released yet.
    #[must_use]
    pub const fn reveals(self, role: Role, state: TestState) -> bool {
        let blue = matches!(role, Role::BlueLead | Role::BlueTech);
        !(blue
            && matches!(self, Self::RedTeam)
            && matches!(state, TestState::Draft | TestState::RedExecuting))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CampaignStatus {
    Draft,
    Active,
    Completed,
    Archived,
}

impl CampaignStatus {
    pub const ALL: [Self; 4] = [Self::Draft, Self::Active, Self::Completed, Self::Archived];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Active => "active",
            Self::Completed => "completed",
            Self::Archived => "archived",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Completed and archived campaigns never change again.
    #[must_use]
    pub const fn is_closed(self) -> bool {
        matches!(self, Self::Completed | Self::Archived)
    }
}

impl fmt::Display for CampaignStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhaseStatus {
    Planned,
    InProgress,
    Done,
}

impl PhaseStatus {
    pub const ALL: [Self; 3] = [Self::Planned, Self::InProgress, Self::Done];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::InProgress => "in_progress",
            Self::Done => "done",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// A stretch of the campaign (preparation, execution, evaluation, reporting...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phase {
    pub name: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub status: PhaseStatus,
}

/// How often a campaign runs again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recurrence {
    /// Every so many days after the previous due date.
    EveryDays(u32),
    /// A cron expression in UTC: five fields (minute first) or six (seconds first).
    Cron(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecurrenceError {
    #[error("an interval must be between 1 and 3660 days")]
    Interval,
    #[error("not a valid cron expression: {0}")]
    Cron(String),
}

impl Recurrence {
    /// # Errors
    /// `Interval` outside 1..=3660 days.
    pub const fn every_days(days: u32) -> Result<Self, RecurrenceError> {
        if days == 0 || days > 3660 {
            return Err(RecurrenceError::Interval);
        }
        Ok(Self::EveryDays(days))
    }

    /// # Errors
    /// `Cron` when the expression does not parse or never fires.
    pub fn cron(expression: &str) -> Result<Self, RecurrenceError> {
        let expression = expression.split_whitespace().collect::<Vec<_>>().join(" ");
        let recurrence = Self::Cron(expression);
        recurrence.schedule()?;
        Ok(recurrence)
    }

    fn schedule(&self) -> Result<Option<cron::Schedule>, RecurrenceError> {
        let Self::Cron(expression) = self else {
            return Ok(None);
        };
        // Users write the classic five fields; the cron crate wants seconds first.
        let full = if expression.split(' ').count() == 5 {
            format!("0 {expression}")
        } else {
            expression.clone()
        };
        cron::Schedule::from_str(&full)
            .map(Some)
            .map_err(|e| RecurrenceError::Cron(e.to_string()))
    }

    /// The first due time strictly after `after`; `None` when a cron rule never fires again.
    #[must_use]
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::EveryDays(days) => Some(after + chrono::Duration::days(i64::from(*days))),
            Self::Cron(_) => self.schedule().ok().flatten()?.after(&after).next(),
        }
    }

    /// The rule as stored and shown: `every 7 days` or the cron expression.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::EveryDays(days) => format!("every {days} days"),
            Self::Cron(expression) => expression.clone(),
        }
    }

    /// Reads back what `describe` wrote.
    ///
    /// # Errors
    /// As `every_days` and `cron`.
    pub fn parse(text: &str) -> Result<Self, RecurrenceError> {
        let words: Vec<&str> = text.split_whitespace().collect();
        match words.as_slice() {
            ["every", days, "days" | "day"] => days
                .parse::<u32>()
                .map_err(|_| RecurrenceError::Interval)
                .and_then(Self::every_days),
            _ => Self::cron(text),
        }
    }
}

/// A lifecycle step that the campaign's status does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CampaignRefusal {
    #[error("a {status} campaign cannot {action}")]
    NotInStatus {
        status: CampaignStatus,
        action: &'static str,
    },
    #[error("a campaign needs at least one test before it is activated")]
    NoTests,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    pub id: CampaignId,
    pub tenant_id: TenantId,
    pub name: String,
    pub description: String,
    pub objective: String,
    pub kind: CampaignKind,
    /// Moved only by the lifecycle methods (`activate`, `complete`, `archive`).
    status: CampaignStatus,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub phases: Vec<Phase>,
    pub recurrence: Option<Recurrence>,
    /// When the recurring job spawns the next run; cleared once this run has spawned it.
    pub next_run_at: Option<DateTime<Utc>>,
    /// The threat actor (STIX id) the campaign was planned from.
    pub threat_actor: Option<String>,
    /// The run this one was spawned from.
    pub predecessor_id: Option<CampaignId>,
    /// 1 for a campaign created by hand, one more for each spawned run.
    pub run_number: i32,
    /// The campaign's tests in execution order.
    pub test_order: Vec<TestId>,
    /// Incremented by every change ([`Campaign::record_change`]): a stale one is refused.
    version: i32,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl Campaign {
    /// A new campaign in draft, version 1, with nothing planned yet.
    #[must_use]
    pub fn draft(
        id: CampaignId,
        tenant_id: TenantId,
        name: String,
        kind: CampaignKind,
        created_by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            tenant_id,
            name,
            description: String::new(),
            objective: String::new(),
            kind,
            status: CampaignStatus::Draft,
            starts_on: None,
            ends_on: None,
            phases: Vec::new(),
            recurrence: None,
            next_run_at: None,
            threat_actor: None,
            predecessor_id: None,
            run_number: 1,
            test_order: Vec::new(),
            version: 1,
            created_by,
            created_at: now,
            updated_at: now,
            activated_at: None,
            completed_at: None,
        }
    }

    /// The campaign as storage holds it: its status and version exactly as saved. For the
    /// adapters that load campaigns, never for a change.
    #[must_use]
    pub fn restored(mut self, status: CampaignStatus, version: i32) -> Self {
        self.status = status;
        self.version = version;
        self
    }

    #[must_use]
    pub const fn status(&self) -> CampaignStatus {
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

    fn require(
        &self,
        allowed: &[CampaignStatus],
        action: &'static str,
    ) -> Result<(), CampaignRefusal> {
        if allowed.contains(&self.status) {
            Ok(())
        } else {
            Err(CampaignRefusal::NotInStatus {
                status: self.status,
                action,
            })
        }
    }

    /// Tests are added, removed and reordered only while the campaign is planned.
    ///
    /// # Errors
    /// Outside draft.
    pub fn ensure_planning(&self, action: &'static str) -> Result<(), CampaignRefusal> {
        self.require(&[CampaignStatus::Draft], action)
    }

    /// Details, schedule and phases change until the campaign is completed.
    ///
    /// # Errors
    /// When completed or archived.
    pub fn ensure_open(&self, action: &'static str) -> Result<(), CampaignRefusal> {
        self.require(&[CampaignStatus::Draft, CampaignStatus::Active], action)
    }

    /// # Errors
    /// Outside draft, or without tests.
    pub fn activate(&mut self, now: DateTime<Utc>) -> Result<(), CampaignRefusal> {
        self.require(&[CampaignStatus::Draft], "be activated")?;
        if self.test_order.is_empty() {
            return Err(CampaignRefusal::NoTests);
        }
        self.status = CampaignStatus::Active;
        self.activated_at = Some(now);
        Ok(())
    }

    /// # Errors
    /// Outside active.
    pub fn complete(&mut self, now: DateTime<Utc>) -> Result<(), CampaignRefusal> {
        self.require(&[CampaignStatus::Active], "be completed")?;
        self.status = CampaignStatus::Completed;
        self.completed_at = Some(now);
        Ok(())
    }

    /// Puts an old or abandoned campaign away; its recurrence stops.
    ///
    /// # Errors
    /// When active or already archived.
    pub fn archive(&mut self) -> Result<(), CampaignRefusal> {
        self.require(
            &[CampaignStatus::Draft, CampaignStatus::Completed],
            "be archived",
        )?;
        self.status = CampaignStatus::Archived;
        self.next_run_at = None;
        Ok(())
    }

    /// Sets or clears the recurrence; the first run is due one period after the later of
    /// the start date and `now`.
    pub fn set_recurrence(&mut self, recurrence: Option<Recurrence>, now: DateTime<Utc>) {
        let from = self
            .starts_on
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc())
            .map_or(now, |start| start.max(now));
        self.next_run_at = recurrence.as_ref().and_then(|r| r.next_after(from));
        self.recurrence = recurrence;
    }

    /// Whether the recurring job should spawn this campaign's next run at `now`.
    #[must_use]
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.status != CampaignStatus::Archived
            && self.recurrence.is_some()
            && self.next_run_at.is_some_and(|at| at <= now)
    }

    /// The next run as a fresh draft (tests are copied by the caller): dates and phases moved
    /// by the time between this run's start (or creation) and its due date.
    #[must_use]
    pub fn next_run(&self, id: CampaignId, now: DateTime<Utc>) -> Option<Self> {
        let due = self.next_run_at?;
        let recurrence = self.recurrence.clone()?;
        let anchor = self
            .starts_on
            .unwrap_or_else(|| self.created_at.date_naive());
        let shift = due.date_naive() - anchor;
        let moved = |d: Option<NaiveDate>| d.map(|d| d + shift);
        Some(Self {
            id,
            tenant_id: self.tenant_id,
            name: self.name.clone(),
            description: self.description.clone(),
            objective: self.objective.clone(),
            kind: self.kind,
            status: CampaignStatus::Draft,
            starts_on: Some(due.date_naive()),
            ends_on: moved(self.ends_on),
            phases: self
                .phases
                .iter()
                .map(|p| Phase {
                    name: p.name.clone(),
                    starts_on: moved(p.starts_on),
                    ends_on: moved(p.ends_on),
                    status: PhaseStatus::Planned,
                })
                .collect(),
            next_run_at: recurrence.next_after(due),
            recurrence: Some(recurrence),
            threat_actor: self.threat_actor.clone(),
            predecessor_id: Some(self.id),
            run_number: self.run_number + 1,
            test_order: Vec::new(),
            version: 1,
            created_by: None,
            created_at: now,
            updated_at: now,
            activated_at: None,
            completed_at: None,
        })
    }
}

/// A dependency `test` → `depends_on`: `test` may not start before `depends_on` validates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dependency {
    pub test: TestId,
    pub depends_on: TestId,
}

/// Whether adding the `added` edges to `existing` would close a cycle (a test depending on
/// itself counts).
#[must_use]
pub fn creates_cycle(existing: &[Dependency], added: &[Dependency]) -> bool {
    let mut next: HashMap<TestId, Vec<TestId>> = HashMap::new();
    for edge in existing.iter().chain(added) {
        if edge.test == edge.depends_on {
            return true;
        }
        next.entry(edge.test).or_default().push(edge.depends_on);
    }
    // Depth-first search from every added edge's target back to its source.
    added.iter().any(|edge| {
        let mut stack = vec![edge.depends_on];
        let mut seen = HashSet::new();
        while let Some(node) = stack.pop() {
            if node == edge.test {
                return true;
            }
            if seen.insert(node) {
                stack.extend(next.get(&node).into_iter().flatten().copied());
            }
        }
        false
    })
}

/// The dependencies of `test` that have not validated yet.
#[must_use]
pub fn pending_dependencies(test: TestId, edges: &[Dependency], tests: &[TestCase]) -> Vec<TestId> {
    edges
        .iter()
        .filter(|e| e.test == test)
        .map(|e| e.depends_on)
        .filter(|dep| {
            tests
                .iter()
                .find(|t| t.id == *dep)
                .is_none_or(|t| t.workflow().state() != TestState::Validated)
        })
        .collect()
}

/// Filters of the campaign list; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CampaignFilter {
    pub status: Option<CampaignStatus>,
    pub kind: Option<CampaignKind>,
    /// Case-insensitive text in the name or description.
    pub text: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> TestId {
        TestId::from_uuid(uuid::Uuid::from_u128(n))
    }

    fn edge(test: u128, depends_on: u128) -> Dependency {
        Dependency {
            test: id(test),
            depends_on: id(depends_on),
        }
    }

    #[test]
    fn cycles_are_found_through_any_path() {
        let existing = [edge(2, 1), edge(3, 2)];
        assert!(creates_cycle(&existing, &[edge(1, 3)]));
        assert!(creates_cycle(&existing, &[edge(4, 4)]));
        assert!(!creates_cycle(&existing, &[edge(4, 1), edge(4, 3)]));
        assert!(!creates_cycle(&[], &[edge(1, 2), edge(2, 3)]));
        assert!(creates_cycle(&[], &[edge(1, 2), edge(2, 1)]));
    }

    #[test]
    fn recurrence_reads_back_what_it_writes() {
        for text in ["every 7 days", "0 6 * * MON", "0 0 6 1 * *"] {
            let parsed = Recurrence::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(Recurrence::parse(&parsed.describe()), Ok(parsed));
        }
        assert_eq!(
            Recurrence::parse("every 0 days"),
            Err(RecurrenceError::Interval)
        );
        assert!(matches!(
            Recurrence::parse("tuesdays at noon"),
            Err(RecurrenceError::Cron(_))
        ));
    }

    #[test]
    fn next_due_times_follow_the_rule() {
        let monday = DateTime::parse_from_rfc3339("2026-11-30T06:00:00Z")
            .unwrap_or_else(|e| panic!("{e}"))
            .with_timezone(&Utc);
        let weekly = Recurrence::cron("0 6 * * MON").unwrap_or_else(|e| panic!("{e}"));
        let next = weekly
            .next_after(monday)
            .unwrap_or_else(|| panic!("a weekly rule fires"));
        assert_eq!(next - monday, chrono::Duration::days(7));
        assert_eq!(
            Recurrence::EveryDays(3).next_after(monday),
            Some(monday + chrono::Duration::days(3))
        );
    }

    #[test]
    fn blue_sees_a_blind_test_only_once_red_releases_it() {
        let kind = CampaignKind::RedTeam;
        assert!(!kind.reveals(Role::BlueTech, TestState::RedExecuting));
        assert!(kind.reveals(Role::BlueTech, TestState::BlueEvaluating));
        assert!(kind.reveals(Role::RedTech, TestState::Draft));
        assert!(CampaignKind::PurpleTeam.reveals(Role::BlueLead, TestState::Draft));
        assert_eq!(
            CampaignKind::RedTeam.concealed_states(Role::BlueTech),
            vec![TestState::Draft, TestState::RedExecuting]
        );
        assert!(
            CampaignKind::RedTeam
                .concealed_states(Role::RedLead)
                .is_empty()
        );
        assert!(
            CampaignKind::PurpleTeam
                .concealed_states(Role::BlueLead)
                .is_empty()
        );
    }
}
