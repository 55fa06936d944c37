//! A test: one validation of one technique, carried through the red/blue workflow, with the
//! red team's execution report, the blue team's evaluation, timers, worklogs and comments.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::catalog::TechniqueId;
use crate::id::Id;
use crate::tenant::TenantId;
use crate::user::UserId;
use crate::workflow::{Team, Workflow};

pub type TestId = Id<TestCase>;

/// How the defence fared, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    Prevented,
    Detected,
    Logged,
    NotDetected,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::Prevented,
        Outcome::Detected,
        Outcome::Logged,
        Outcome::NotDetected,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Prevented => "prevented",
            Outcome::Detected => "detected",
            Outcome::Logged => "logged",
            Outcome::NotDetected => "not_detected",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == text)
    }
}

/// What red ran, when, with what, against what, and how it went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedReport {
    pub executed_at: Option<DateTime<Utc>>,
    pub procedure: Option<String>,
    pub command: Option<String>,
    pub tool: Option<String>,
    pub targets: Vec<String>,
    pub result_summary: Option<String>,
}

impl RedReport {
    /// The fields still missing before red may submit.
    pub fn missing_for_submission(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if self.executed_at.is_none() {
            missing.push("executed_at");
        }
        if self.procedure.is_none() && self.command.is_none() {
            missing.push("procedure");
        }
        if self.result_summary.is_none() {
            missing.push("result_summary");
        }
        missing
    }
}

/// What blue saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlueReport {
    pub outcome: Option<Outcome>,
    pub detected_at: Option<DateTime<Utc>>,
    pub detection_source: Option<String>,
    /// What each detection rule blue checked did: fired, stayed silent, or was not checked.
    pub rule_results: Vec<RuleResult>,
    pub notes: Option<String>,
}

/// Whether a detection rule fired when red ran the procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleVerdict {
    Triggered,
    NotTriggered,
    /// The rule was not deployed or its logs were not looked at.
    NotEvaluated,
}

impl RuleVerdict {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Triggered => "triggered",
            Self::NotTriggered => "not_triggered",
            Self::NotEvaluated => "not_evaluated",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Triggered, Self::NotTriggered, Self::NotEvaluated]
            .into_iter()
            .find(|v| v.as_str() == text)
    }
}

/// One rule's verdict: the rule is named by its id, `source:id` or title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleResult {
    pub rule: String,
    pub verdict: RuleVerdict,
}

impl BlueReport {
    /// The rules that fired.
    pub fn fired_rules(&self) -> impl Iterator<Item = &str> {
        self.rules_with(RuleVerdict::Triggered)
    }

    /// The rules that were checked and stayed silent.
    pub fn silent_rules(&self) -> impl Iterator<Item = &str> {
        self.rules_with(RuleVerdict::NotTriggered)
    }

    fn rules_with(&self, verdict: RuleVerdict) -> impl Iterator<Item = &str> {
        self.rule_results
            .iter()
            .filter(move |r| r.verdict == verdict)
            .map(|r| r.rule.as_str())
    }
}

impl BlueReport {
    /// The fields still missing before blue may submit.
    pub fn missing_for_submission(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        match self.outcome {
            None => missing.push("outcome"),
            Some(Outcome::Detected) if self.detected_at.is_none() => missing.push("detected_at"),
            Some(_) => {}
        }
        missing
    }
}

/// The time a team's phase has taken so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PhaseClock {
    pub started_at: Option<DateTime<Utc>>,
    pub paused_seconds: i64,
}

impl PhaseClock {
    /// Whether blue's clock was started in the current round (after red's), which is how
    /// storage tells that blue picked a test up: a clock from before a reopen is older than
    /// red's.
    #[must_use]
    pub fn blue_started_this_round(red: &PhaseClock, blue: &PhaseClock) -> bool {
        match (red.started_at, blue.started_at) {
            (Some(red), Some(blue)) => blue >= red,
            (None, Some(_)) => true,
            (_, None) => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCase {
    pub id: TestId,
    pub tenant_id: TenantId,
    pub title: String,
    pub description: String,
    pub technique_id: TechniqueId,
    pub objective: String,
    pub target_environment: String,
    /// The platform the test runs on (`Windows`, `Linux`...): coverage counts platform diversity.
    pub platform: Option<String>,
    pub assignee: Option<UserId>,
    pub campaign_id: Option<uuid::Uuid>,
    /// Where the test is in the red/blue workflow; moved only by [`TestCase::advance`].
    workflow: Workflow,
    pub red_vote_notes: Option<String>,
    pub blue_vote_notes: Option<String>,
    pub paused_at: Option<DateTime<Utc>>,
    pub red_clock: PhaseClock,
    pub blue_clock: PhaseClock,
    pub red: RedReport,
    pub blue: BlueReport,
    /// When both leads' approval validated the test; cleared by a reopen.
    pub validated_at: Option<DateTime<Utc>>,
    /// Incremented by every change ([`TestCase::record_change`]): a stale version is refused
    /// (optimistic concurrency).
    version: i32,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TestCase {
    /// A new draft: the workflow's start, version 1, nothing planned or reported yet.
    #[must_use]
    pub fn draft(
        id: TestId,
        tenant_id: TenantId,
        title: String,
        technique_id: TechniqueId,
        created_by: UserId,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            tenant_id,
            title,
            description: String::new(),
            technique_id,
            objective: String::new(),
            target_environment: String::new(),
            platform: None,
            assignee: None,
            campaign_id: None,
            workflow: Workflow::new(),
            red_vote_notes: None,
            blue_vote_notes: None,
            paused_at: None,
            red_clock: PhaseClock::default(),
            blue_clock: PhaseClock::default(),
            red: RedReport::default(),
            blue: BlueReport::default(),
            validated_at: None,
            version: 1,
            created_by,
            created_at: now,
            updated_at: now,
        }
    }

    /// The test as storage holds it: its workflow and version exactly as they were saved. For
    /// the adapters that load tests, never for a change.
    #[must_use]
    pub fn restored(mut self, workflow: Workflow, version: i32) -> Self {
        self.workflow = workflow;
        self.version = version;
        self
    }

    #[must_use]
    pub const fn workflow(&self) -> &Workflow {
        &self.workflow
    }

    #[must_use]
    pub const fn version(&self) -> i32 {
        self.version
    }

    /// Takes the workflow `step` leads to: entering `validated` stamps when, leaving it (a
    /// reopen) clears it.
    pub fn advance(&mut self, step: &crate::workflow::Transition, now: DateTime<Utc>) {
        self.workflow = step.next;
        if step.to == crate::workflow::TestState::Validated {
            self.validated_at = Some(now);
        } else if step.from == crate::workflow::TestState::Validated {
            self.validated_at = None;
        }
    }

    /// Marks a change made at `now`: returns the version it was based on (what storage must
    /// still hold) and moves to the next.
    pub fn record_change(&mut self, now: DateTime<Utc>) -> i32 {
        let based_on = self.version;
        self.version += 1;
        self.updated_at = now;
        based_on
    }

    /// A new draft of the same plan: what to run, where and how (red's planned procedure,
    /// command and tool), without anything that happened to this one.
    #[must_use]
    pub fn fresh_copy(&self, id: TestId, created_by: UserId, now: DateTime<Utc>) -> Self {
        Self {
            id,
            tenant_id: self.tenant_id,
            title: self.title.clone(),
            description: self.description.clone(),
            technique_id: self.technique_id.clone(),
            objective: self.objective.clone(),
            target_environment: self.target_environment.clone(),
            platform: self.platform.clone(),
            assignee: self.assignee,
            campaign_id: None,
            workflow: Workflow::new(),
            red_vote_notes: None,
            blue_vote_notes: None,
            paused_at: None,
            red_clock: PhaseClock::default(),
            blue_clock: PhaseClock::default(),
            red: RedReport {
                procedure: self.red.procedure.clone(),
                command: self.red.command.clone(),
                tool: self.red.tool.clone(),
                ..RedReport::default()
            },
            blue: BlueReport::default(),
            validated_at: None,
            version: 1,
            created_by,
            created_at: now,
            updated_at: now,
        }
    }

    pub fn clock_mut(&mut self, team: Team) -> &mut PhaseClock {
        match team {
            Team::Red => &mut self.red_clock,
            Team::Blue => &mut self.blue_clock,
        }
    }
}

/// A recorded workflow step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionRecord {
    pub id: uuid::Uuid,
    pub test_id: TestId,
    pub actor: UserId,
    pub action: String,
    pub from: String,
    pub to: String,
    pub comment: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

/// A closed phase: who worked, from when to when, minus pauses, sealed with a hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worklog {
    pub id: uuid::Uuid,
    pub test_id: TestId,
    pub team: Team,
    pub actor: UserId,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub paused_seconds: i64,
    pub duration_seconds: i64,
    pub integrity_hash: String,
}

impl Worklog {
    /// Closes a phase that started at `started_at` and ends at `ended_at`.
    pub fn close(
        id: uuid::Uuid,
        test_id: TestId,
        team: Team,
        actor: UserId,
        started_at: DateTime<Utc>,
        ended_at: DateTime<Utc>,
        paused_seconds: i64,
    ) -> Self {
        let duration_seconds = ((ended_at - started_at).num_seconds() - paused_seconds).max(0);
        let integrity_hash = Self::hash(
            test_id,
            team,
            actor,
            started_at,
            ended_at,
            paused_seconds,
            duration_seconds,
        );
        Self {
            id,
            test_id,
            team,
            actor,
            started_at,
            ended_at,
            paused_seconds,
            duration_seconds,
            integrity_hash,
        }
    }

    fn hash(
        test_id: TestId,
        team: Team,
        actor: UserId,
        started_at: DateTime<Utc>,
        ended_at: DateTime<Utc>,
        paused_seconds: i64,
        duration_seconds: i64,
    ) -> String {
        let text = format!(
            "{test_id}|{}|{actor}|{}|{}|{paused_seconds}|{duration_seconds}",
            team.as_str(),
            started_at.timestamp_micros(),
            ended_at.timestamp_micros()
        );
        hex::encode(Sha256::digest(text.as_bytes()))
    }

    /// Whether the stored hash still matches the worklog's fields.
    pub fn is_intact(&self) -> bool {
        Self::hash(
            self.test_id,
            self.team,
            self.actor,
            self.started_at,
            self.ended_at,
            self.paused_seconds,
            self.duration_seconds,
        ) == self.integrity_hash
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: uuid::Uuid,
    pub test_id: TestId,
    pub author: UserId,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn draft() -> TestCase {
        let nil = uuid::Uuid::nil();
        TestCase::draft(
            TestId::from_uuid(nil),
            TenantId::from_uuid(nil),
            "Encoded cradle".into(),
            TechniqueId::parse("T1059.001").unwrap_or_else(|e| panic!("{e}")),
            UserId::from_uuid(nil),
            DateTime::<Utc>::UNIX_EPOCH,
        )
    }

    #[test]
    fn a_change_moves_the_version_on_and_names_the_one_it_was_based_on() {
        let mut test = draft();
        assert_eq!(test.version(), 1);
        let later = DateTime::<Utc>::UNIX_EPOCH + Duration::minutes(5);
        assert_eq!(test.record_change(later), 1);
        assert_eq!((test.version(), test.updated_at), (2, later));
    }

    #[test]
    fn validating_stamps_the_test_and_reopening_clears_it() {
        use crate::role::Role;
        use crate::workflow::{TestState, Verdict, WorkflowAction, transition};
        let now = DateTime::<Utc>::UNIX_EPOCH + Duration::hours(1);
        let mut test = draft().restored(
            Workflow::restore(TestState::InReview, Some(Verdict::Approve), None, false),
            3,
        );
        let step = transition(
            test.workflow(),
            WorkflowAction::ValidateBlue(Verdict::Approve),
            Role::BlueLead,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        test.advance(&step, now);
        assert_eq!(test.workflow().state(), TestState::Validated);
        assert_eq!(test.validated_at, Some(now));
        let reopen = transition(test.workflow(), WorkflowAction::Reopen, Role::RedLead)
            .unwrap_or_else(|e| panic!("{e}"));
        test.advance(&reopen, now);
        assert_ne!(test.workflow().state(), TestState::Validated);
        assert_eq!(test.validated_at, None);
        assert_eq!(
            test.version(),
            3,
            "advancing is not a stored change by itself"
        );
    }

    #[test]
    fn worklogs_subtract_pauses_and_detect_edits() {
        let start = DateTime::<Utc>::UNIX_EPOCH;
        let nil = uuid::Uuid::nil();
        let mut log = Worklog::close(
            nil,
            TestId::from_uuid(nil),
            Team::Red,
            UserId::from_uuid(nil),
            start,
            start + Duration::seconds(600),
            120,
        );
        assert_eq!(log.duration_seconds, 480);
        assert!(log.is_intact());
        log.duration_seconds = 60;
        assert!(!log.is_intact());
    }

    #[test]
    fn submissions_name_what_is_missing() {
        assert_eq!(
            RedReport::default().missing_for_submission(),
            ["executed_at", "procedure", "result_summary"]
        );
        let detected = BlueReport {
            outcome: Some(Outcome::Detected),
            ..BlueReport::default()
        };
        assert_eq!(detected.missing_for_submission(), ["detected_at"]);
        let logged = BlueReport {
            outcome: Some(Outcome::Logged),
            ..BlueReport::default()
        };
        assert!(logged.missing_for_submission().is_empty());
    }
}
