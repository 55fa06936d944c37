//! The red/blue validation workflow of a test, as a pure state machine.
//!
//! `draft -> red_executing -> blue_evaluating -> in_review -> validated | rejected | disputed`.
//! Red executes, blue picks the test up (its timer starts then, not when red submits) and
//! evaluates, both leads vote; two approvals validate, two rejections
//! reject, one of each disputes until a lead changes the vote. A lead reopens a validated or
//! rejected test for a retest. The phase's team may pause and resume its timer. Illegal steps
//! are refusals, never panics; side effects are returned for the caller to carry out.

use std::fmt;
use std::str::FromStr;

use crate::permission::{Action, permits};
use crate::role::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TestState {
    Draft,
    RedExecuting,
    BlueEvaluating,
    InReview,
    Validated,
    Rejected,
    Disputed,
}

impl TestState {
    pub const ALL: [TestState; 7] = [
        TestState::Draft,
        TestState::RedExecuting,
        TestState::BlueEvaluating,
        TestState::InReview,
        TestState::Validated,
        TestState::Rejected,
        TestState::Disputed,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            TestState::Draft => "draft",
            TestState::RedExecuting => "red_executing",
            TestState::BlueEvaluating => "blue_evaluating",
            TestState::InReview => "in_review",
            TestState::Validated => "validated",
            TestState::Rejected => "rejected",
            TestState::Disputed => "disputed",
        }
    }

    /// The team whose phase is running, with its timer.
    pub const fn running_team(self) -> Option<Team> {
        match self {
            TestState::RedExecuting => Some(Team::Red),
            TestState::BlueEvaluating => Some(Team::Blue),
            _ => None,
        }
    }
}

impl fmt::Display for TestState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown test state `{0}`")]
pub struct UnknownState(pub String);

impl FromStr for TestState {
    type Err = UnknownState;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        TestState::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| UnknownState(text.to_owned()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Team {
    Red,
    Blue,
}

impl Team {
    pub const fn as_str(self) -> &'static str {
        match self {
            Team::Red => "red",
            Team::Blue => "blue",
        }
    }

    const fn action(self) -> Action {
        match self {
            Team::Red => Action::ExecuteRed,
            Team::Blue => Action::EvaluateBlue,
        }
    }
}

/// A lead's vote on a test in review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    Approve,
    Reject,
}

impl Verdict {
    pub const fn as_str(self) -> &'static str {
        match self {
            Verdict::Approve => "approve",
            Verdict::Reject => "reject",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkflowAction {
    StartExecution,
    SubmitRed,
    StartEvaluation,
    SubmitBlue,
    ValidateRed(Verdict),
    ValidateBlue(Verdict),
    Reopen,
    PauseTimer,
    ResumeTimer,
}

impl WorkflowAction {
    /// The original's endpoint names: `POST /tests/{id}/<name>`.
    pub const fn name(self) -> &'static str {
        match self {
            WorkflowAction::StartExecution => "start-execution",
            WorkflowAction::SubmitRed => "submit-red",
            WorkflowAction::StartEvaluation => "start-evaluation",
            WorkflowAction::SubmitBlue => "submit-blue",
            WorkflowAction::ValidateRed(_) => "validate-red",
            WorkflowAction::ValidateBlue(_) => "validate-blue",
            WorkflowAction::Reopen => "reopen",
            WorkflowAction::PauseTimer => "pause-timer",
            WorkflowAction::ResumeTimer => "resume-timer",
        }
    }

    /// Every action, each verdict of the votes included.
    pub const ALL: [WorkflowAction; 11] = [
        WorkflowAction::StartExecution,
        WorkflowAction::SubmitRed,
        WorkflowAction::StartEvaluation,
        WorkflowAction::SubmitBlue,
        WorkflowAction::ValidateRed(Verdict::Approve),
        WorkflowAction::ValidateRed(Verdict::Reject),
        WorkflowAction::ValidateBlue(Verdict::Approve),
        WorkflowAction::ValidateBlue(Verdict::Reject),
        WorkflowAction::Reopen,
        WorkflowAction::PauseTimer,
        WorkflowAction::ResumeTimer,
    ];
}

/// Where a test stands in its workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Workflow {
    state: TestState,
    red_vote: Option<Verdict>,
    blue_vote: Option<Verdict>,
    paused: bool,
    /// In `blue_evaluating`: whether blue has picked the test up (its timer runs).
    evaluation_started: bool,
}

impl Default for Workflow {
    fn default() -> Self {
        Self::new()
    }
}

impl Workflow {
    /// A new test, in draft.
    pub const fn new() -> Self {
        Self {
            state: TestState::Draft,
            red_vote: None,
            blue_vote: None,
            paused: false,
            evaluation_started: false,
        }
    }

    /// Rebuilds a workflow read back from storage.
    pub const fn restore(
        state: TestState,
        red_vote: Option<Verdict>,
        blue_vote: Option<Verdict>,
        paused: bool,
    ) -> Self {
        Self {
            state,
            red_vote,
            blue_vote,
            paused,
            evaluation_started: false,
        }
    }

    /// Whether blue has picked the test up, as storage records it (its timer's start).
    #[must_use]
    pub const fn with_evaluation_started(mut self, started: bool) -> Self {
        self.evaluation_started = started;
        self
    }

    pub const fn state(&self) -> TestState {
        self.state
    }

    pub const fn red_vote(&self) -> Option<Verdict> {
        self.red_vote
    }

    pub const fn blue_vote(&self) -> Option<Verdict> {
        self.blue_vote
    }

    pub const fn is_paused(&self) -> bool {
        self.paused
    }

    pub const fn evaluation_started(&self) -> bool {
        self.evaluation_started
    }
}

/// Who must hear of a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    BlueTeam,
    RedTeam,
    BothLeads,
    /// The lead who approved, when the other rejected.
    ApprovingLead(Team),
}

/// What the caller must do besides storing the new workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    StartTimer(Team),
    /// Closes the team's phase: a worklog is written with its duration less pauses.
    StopTimer(Team),
    PauseTimer(Team),
    ResumeTimer(Team),
    RecordVote(Team, Verdict),
    ClearVotes,
    Notify(Audience),
}

/// An accepted step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub from: TestState,
    pub to: TestState,
    pub next: Workflow,
    pub effects: Vec<Effect>,
}

/// A refused step, naming the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the role `{role}` may not {action}")]
    NotPermitted { role: Role, action: &'static str },
    #[error("a test in `{state}` cannot {action}")]
    NotAllowedInState {
        state: TestState,
        action: &'static str,
    },
    #[error("the {team} timer is already paused")]
    TimerAlreadyPaused { team: &'static str },
    #[error("the {team} timer is not paused")]
    TimerNotPaused { team: &'static str },
    #[error("the blue team has not started the evaluation: its timer is not running")]
    EvaluationNotStarted,
    #[error("the blue team has already started the evaluation")]
    EvaluationAlreadyStarted,
}

fn permission(action: WorkflowAction, state: TestState) -> Action {
    match action {
        WorkflowAction::StartExecution | WorkflowAction::SubmitRed => Action::ExecuteRed,
        WorkflowAction::StartEvaluation | WorkflowAction::SubmitBlue => Action::EvaluateBlue,
        WorkflowAction::ValidateRed(_) => Action::ValidateRed,
        WorkflowAction::ValidateBlue(_) => Action::ValidateBlue,
        WorkflowAction::Reopen => Action::ReopenTest,
        // Pausing belongs to the team whose phase runs; outside a phase, to either team
        // (the state check refuses it anyway).
        WorkflowAction::PauseTimer | WorkflowAction::ResumeTimer => state
            .running_team()
            .map_or(Action::ExecuteRed, Team::action),
    }
}

/// The outcome of both votes.
fn tally(red: Option<Verdict>, blue: Option<Verdict>) -> (TestState, Option<Effect>) {
    use Verdict::{Approve, Reject};
    match (red, blue) {
        (Some(Approve), Some(Approve)) => (TestState::Validated, None),
        (Some(Reject), Some(Reject)) => (TestState::Rejected, None),
        (Some(Approve), Some(Reject)) => (
            TestState::Disputed,
            Some(Effect::Notify(Audience::ApprovingLead(Team::Red))),
        ),
        (Some(Reject), Some(Approve)) => (
            TestState::Disputed,
            Some(Effect::Notify(Audience::ApprovingLead(Team::Blue))),
        ),
        _ => (TestState::InReview, None),
    }
}

/// Applies `action` by `role` to `current`.
///
/// # Errors
/// A `Refusal` naming the rule when the role may never do this, the state does not allow it,
/// or the timer is not in the required state.
pub fn transition(
    current: &Workflow,
    action: WorkflowAction,
    role: Role,
) -> Result<Transition, Refusal> {
    let state = current.state;
    if !permits(role, permission(action, state)) {
        return Err(Refusal::NotPermitted {
            role,
            action: action.name(),
        });
    }
    let refuse = Err(Refusal::NotAllowedInState {
        state,
        action: action.name(),
    });
    let mut next = *current;
    let mut effects = Vec::new();
    let resume_if_paused = |team: Team, next: &mut Workflow, effects: &mut Vec<Effect>| {
        if next.paused {
            next.paused = false;
            effects.push(Effect::ResumeTimer(team));
        }
    };
    match (action, state) {
        (WorkflowAction::StartExecution, TestState::Draft) => {
            next.state = TestState::RedExecuting;
            effects.push(Effect::StartTimer(Team::Red));
        }
        (WorkflowAction::SubmitRed, TestState::RedExecuting) => {
            resume_if_paused(Team::Red, &mut next, &mut effects);
            next.state = TestState::BlueEvaluating;
            next.evaluation_started = false;
            effects.extend([
                Effect::StopTimer(Team::Red),
                Effect::Notify(Audience::BlueTeam),
            ]);
        }
        (WorkflowAction::StartEvaluation, TestState::BlueEvaluating) => {
            if current.evaluation_started {
                return Err(Refusal::EvaluationAlreadyStarted);
            }
            next.evaluation_started = true;
            effects.push(Effect::StartTimer(Team::Blue));
        }
        (WorkflowAction::SubmitBlue, TestState::BlueEvaluating) => {
            if current.evaluation_started {
                resume_if_paused(Team::Blue, &mut next, &mut effects);
            } else {
                // Submitted without a pick-up (a client of the original): the blue phase is
                // recorded, with no time in it.
                effects.push(Effect::StartTimer(Team::Blue));
            }
            next.state = TestState::InReview;
            next.evaluation_started = false;
            effects.extend([
                Effect::StopTimer(Team::Blue),
                Effect::Notify(Audience::BothLeads),
            ]);
        }
        (
            WorkflowAction::ValidateRed(verdict) | WorkflowAction::ValidateBlue(verdict),
            TestState::InReview | TestState::Disputed,
        ) => {
            let team = if matches!(action, WorkflowAction::ValidateRed(_)) {
                Team::Red
            } else {
                Team::Blue
            };
            match team {
                Team::Red => next.red_vote = Some(verdict),
                Team::Blue => next.blue_vote = Some(verdict),
            }
            effects.push(Effect::RecordVote(team, verdict));
            let (outcome, notify) = tally(next.red_vote, next.blue_vote);
            next.state = outcome;
            effects.extend(notify);
        }
        (WorkflowAction::Reopen, TestState::Validated | TestState::Rejected) => {
            next = Workflow::new();
            effects.extend([Effect::ClearVotes, Effect::Notify(Audience::RedTeam)]);
        }
        (WorkflowAction::PauseTimer, TestState::RedExecuting | TestState::BlueEvaluating) => {
            let team = state.running_team().unwrap_or(Team::Red);
            if team == Team::Blue && !current.evaluation_started {
                return Err(Refusal::EvaluationNotStarted);
            }
            if current.paused {
                return Err(Refusal::TimerAlreadyPaused {
                    team: team.as_str(),
                });
            }
            next.paused = true;
            effects.push(Effect::PauseTimer(team));
        }
        (WorkflowAction::ResumeTimer, TestState::RedExecuting | TestState::BlueEvaluating) => {
            let team = state.running_team().unwrap_or(Team::Red);
            if team == Team::Blue && !current.evaluation_started {
                return Err(Refusal::EvaluationNotStarted);
            }
            if !current.paused {
                return Err(Refusal::TimerNotPaused {
                    team: team.as_str(),
                });
            }
            next.paused = false;
            effects.push(Effect::ResumeTimer(team));
        }
        _ => return refuse,
    }
    Ok(Transition {
        from: state,
        to: next.state,
        next,
        effects,
    })
}

/// The steps `role` may take on `current` now, by endpoint name, each once: what a client
/// offers as buttons. The same rules as `transition`, so the two never disagree.
pub fn available_actions(current: &Workflow, role: Role) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for action in WorkflowAction::ALL {
        if transition(current, action, role).is_ok() && !names.contains(&action.name()) {
            names.push(action.name());
        }
    }
    names
}

/// A representative workflow of each state, for the golden table: in review with no votes,
/// disputed with red approving and blue rejecting, the others plain.
pub fn representative(state: TestState) -> Workflow {
    match state {
        TestState::Disputed => {
            Workflow::restore(state, Some(Verdict::Approve), Some(Verdict::Reject), false)
        }
        TestState::Validated => {
            Workflow::restore(state, Some(Verdict::Approve), Some(Verdict::Approve), false)
        }
        TestState::Rejected => {
            Workflow::restore(state, Some(Verdict::Reject), Some(Verdict::Reject), false)
        }
        other => Workflow::restore(other, None, None, false),
    }
}

/// Every state x action x role and its outcome, one line each: the golden table's format.
pub fn render_table() -> String {
    let mut out = String::new();
    for state in TestState::ALL {
        for action in WorkflowAction::ALL {
            for role in Role::ALL {
                let outcome = match transition(&representative(state), action, role) {
                    Ok(t) => t.to.as_str().to_owned(),
                    Err(Refusal::NotPermitted { .. }) => "refused:not_permitted".to_owned(),
                    Err(Refusal::NotAllowedInState { .. }) => {
                        "refused:not_allowed_in_state".to_owned()
                    }
                    Err(Refusal::TimerAlreadyPaused { .. }) => {
                        "refused:timer_already_paused".to_owned()
                    }
                    Err(Refusal::TimerNotPaused { .. }) => "refused:timer_not_paused".to_owned(),
                    Err(Refusal::EvaluationNotStarted) => {
                        "refused:evaluation_not_started".to_owned()
                    }
                    Err(Refusal::EvaluationAlreadyStarted) => {
                        "refused:evaluation_already_started".to_owned()
                    }
                };
                let verdict = match action {
                    WorkflowAction::ValidateRed(v) | WorkflowAction::ValidateBlue(v) => {
                        format!(":{}", v.as_str())
                    }
                    _ => String::new(),
                };
                out.push_str(&format!(
                    "{} {}{} {} -> {}\n",
                    state.as_str(),
                    action.name(),
                    verdict,
                    role.as_str(),
                    outcome
                ));
            }
        }
    }
    out
}
