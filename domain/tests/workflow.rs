//! The test workflow: the golden table of every state x action x role, and the paths that
//! matter, step by step.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::path::Path;

use proptest::prelude::*;

use aegis_domain::Role;
use aegis_domain::workflow::{
    Audience, Effect, Refusal, Team, TestState, Verdict, Workflow, WorkflowAction, render_table,
    representative, transition,
};

use Verdict::{Approve, Reject};
use WorkflowAction as A;

#[test]
fn every_state_action_and_role_matches_the_golden_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/workflow.txt");
    let actual = render_table();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).unwrap();
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        actual, golden,
        "the workflow changed; rerun with UPDATE_GOLDEN=1 and review the diff"
    );
    assert_eq!(actual.lines().count(), 7 * 11 * 6);
}

fn step(workflow: &Workflow, action: WorkflowAction, role: Role) -> Workflow {
    let t = transition(workflow, action, role)
        .unwrap_or_else(|r| panic!("{} by {role} refused: {r}", action.name()));
    assert_eq!(t.next.state(), t.to);
    t.next
}

fn in_review() -> Workflow {
    let w = step(&Workflow::new(), A::StartExecution, Role::RedTech);
    let w = step(&w, A::SubmitRed, Role::RedTech);
    step(&w, A::SubmitBlue, Role::BlueTech)
}

#[test]
fn the_happy_path_runs_from_draft_to_validated_with_its_effects() {
    let started = transition(&Workflow::new(), A::StartExecution, Role::RedTech).unwrap();
    assert_eq!(
        (started.from, started.to),
        (TestState::Draft, TestState::RedExecuting)
    );
    assert_eq!(started.effects, [Effect::StartTimer(Team::Red)]);
    let submitted = transition(&started.next, A::SubmitRed, Role::RedLead).unwrap();
    assert_eq!(
        submitted.effects,
        [
            Effect::StopTimer(Team::Red),
            Effect::Notify(Audience::BlueTeam)
        ]
    );
    // Blue's timer starts when blue picks the test up, not when red submits.
    assert!(!submitted.next.evaluation_started());
    let picked = transition(&submitted.next, A::StartEvaluation, Role::BlueTech).unwrap();
    assert_eq!(picked.to, TestState::BlueEvaluating);
    assert_eq!(picked.effects, [Effect::StartTimer(Team::Blue)]);
    assert!(matches!(
        transition(&picked.next, A::StartEvaluation, Role::BlueLead),
        Err(Refusal::EvaluationAlreadyStarted)
    ));
    let evaluated = transition(&picked.next, A::SubmitBlue, Role::BlueTech).unwrap();
    assert_eq!(evaluated.to, TestState::InReview);
    assert_eq!(
        evaluated.effects,
        [
            Effect::StopTimer(Team::Blue),
            Effect::Notify(Audience::BothLeads)
        ]
    );
    let red = transition(&evaluated.next, A::ValidateRed(Approve), Role::RedLead).unwrap();
    assert_eq!(red.to, TestState::InReview, "one vote is not enough");
    let blue = transition(&red.next, A::ValidateBlue(Approve), Role::BlueLead).unwrap();
    assert_eq!(blue.to, TestState::Validated);
    assert_eq!(blue.effects, [Effect::RecordVote(Team::Blue, Approve)]);
}

#[test]
fn two_rejections_reject_and_a_dispute_resolves_either_way() {
    let w = step(&in_review(), A::ValidateRed(Reject), Role::RedLead);
    assert_eq!(
        step(&w, A::ValidateBlue(Reject), Role::BlueLead).state(),
        TestState::Rejected
    );

    let approved_red = step(&in_review(), A::ValidateRed(Approve), Role::RedLead);
    let disputed = transition(&approved_red, A::ValidateBlue(Reject), Role::BlueLead).unwrap();
    assert_eq!(disputed.to, TestState::Disputed);
    assert!(
        disputed
            .effects
            .contains(&Effect::Notify(Audience::ApprovingLead(Team::Red)))
    );
    // The approving lead changes the vote: rejected.
    assert_eq!(
        step(&disputed.next, A::ValidateRed(Reject), Role::RedLead).state(),
        TestState::Rejected
    );
    // Or the rejecting lead does: validated.
    assert_eq!(
        step(&disputed.next, A::ValidateBlue(Approve), Role::Admin).state(),
        TestState::Validated
    );
}

#[test]
fn reopening_clears_the_votes_from_validated_and_rejected() {
    for verdict in [Approve, Reject] {
        let w = step(&in_review(), A::ValidateRed(verdict), Role::RedLead);
        let done = step(&w, A::ValidateBlue(verdict), Role::BlueLead);
        let reopened = transition(&done, A::Reopen, Role::BlueLead).unwrap();
        assert_eq!(reopened.next, Workflow::new());
        assert!(reopened.effects.contains(&Effect::ClearVotes));
    }
    let refused = transition(&in_review(), A::Reopen, Role::RedLead);
    assert!(matches!(
        refused,
        Err(Refusal::NotAllowedInState {
            state: TestState::InReview,
            ..
        })
    ));
}

#[test]
fn timers_pause_and_resume_in_each_phase_and_submitting_resumes() {
    let red = step(&Workflow::new(), A::StartExecution, Role::RedTech);
    let paused = step(&red, A::PauseTimer, Role::RedTech);
    assert!(paused.is_paused());
    assert!(matches!(
        transition(&paused, A::PauseTimer, Role::RedTech),
        Err(Refusal::TimerAlreadyPaused { .. })
    ));
    assert!(matches!(
        transition(&red, A::ResumeTimer, Role::RedTech),
        Err(Refusal::TimerNotPaused { .. })
    ));
    assert!(matches!(
        transition(&red, A::PauseTimer, Role::BlueTech),
        Err(Refusal::NotPermitted { .. })
    ));
    let submitted = transition(&paused, A::SubmitRed, Role::RedTech).unwrap();
    assert_eq!(
        submitted.effects[0],
        Effect::ResumeTimer(Team::Red),
        "paused time ends before the phase closes"
    );
    assert!(!submitted.next.is_paused());
    assert!(matches!(
        transition(&submitted.next, A::PauseTimer, Role::BlueLead),
        Err(Refusal::EvaluationNotStarted)
    ));
    let picked = step(&submitted.next, A::StartEvaluation, Role::BlueTech);
    let blue_paused = step(&picked, A::PauseTimer, Role::BlueLead);
    assert_eq!(
        step(&blue_paused, A::ResumeTimer, Role::BlueTech).state(),
        TestState::BlueEvaluating
    );
    assert!(matches!(
        transition(&in_review(), A::PauseTimer, Role::Admin),
        Err(Refusal::NotAllowedInState { .. })
    ));
}

#[test]
fn teams_never_do_each_others_work_and_viewers_do_nothing() {
    let red = step(&Workflow::new(), A::StartExecution, Role::RedLead);
    assert!(matches!(
        transition(&red, A::SubmitRed, Role::BlueLead),
        Err(Refusal::NotPermitted { .. })
    ));
    let blue = step(&red, A::SubmitRed, Role::RedTech);
    assert!(matches!(
        transition(&blue, A::SubmitBlue, Role::RedLead),
        Err(Refusal::NotPermitted { .. })
    ));
    assert!(matches!(
        transition(&in_review(), A::ValidateRed(Approve), Role::BlueLead),
        Err(Refusal::NotPermitted { .. })
    ));
    assert!(matches!(
        transition(&in_review(), A::ValidateBlue(Approve), Role::BlueTech),
        Err(Refusal::NotPermitted { .. })
    ));
    for state in TestState::ALL {
        for action in WorkflowAction::ALL {
            assert!(matches!(
                transition(&representative(state), action, Role::Viewer),
                Err(Refusal::NotPermitted {
                    role: Role::Viewer,
                    ..
                })
            ));
        }
    }
}

#[test]
fn every_combination_answers_without_panicking() {
    let mut accepted = 0;
    for state in TestState::ALL {
        for paused in [false, true] {
            for red in [None, Some(Approve), Some(Reject)] {
                for blue in [None, Some(Approve), Some(Reject)] {
                    let workflow = Workflow::restore(state, red, blue, paused);
                    for action in WorkflowAction::ALL {
                        for role in Role::ALL {
                            if let Ok(t) = transition(&workflow, action, role) {
                                assert_eq!(t.from, state);
                                assert_eq!(t.next.state(), t.to);
                                accepted += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(accepted > 0);
}

fn any_action() -> impl Strategy<Value = WorkflowAction> {
    (0..WorkflowAction::ALL.len()).prop_map(|i| WorkflowAction::ALL[i])
}

fn any_role() -> impl Strategy<Value = Role> {
    (0..Role::ALL.len()).prop_map(|i| Role::ALL[i])
}

proptest! {
    #[test]
    fn random_walks_keep_the_workflow_consistent(steps in proptest::collection::vec((any_action(), any_role()), 0..60)) {
        let mut workflow = Workflow::new();
        for (action, role) in steps {
            if let Ok(t) = transition(&workflow, action, role) {
                prop_assert_eq!(t.next.state(), t.to);
                // Only running phases can be paused.
                prop_assert!(!t.next.is_paused() || t.to.running_team().is_some());
                // Final states carry both votes; draft carries none.
                match t.to {
                    TestState::Validated | TestState::Rejected | TestState::Disputed => {
                        prop_assert!(t.next.red_vote().is_some() && t.next.blue_vote().is_some());
                    }
                    TestState::Draft => prop_assert!(t.next.red_vote().is_none() && t.next.blue_vote().is_none()),
                    _ => {}
                }
                workflow = t.next;
            }
        }
    }
}

#[test]
fn available_actions_follow_the_role_and_the_state() {
    use aegis_domain::workflow::available_actions;
    let draft = Workflow::new();
    assert_eq!(
        available_actions(&draft, Role::RedTech),
        vec!["start-execution"]
    );
    assert!(available_actions(&draft, Role::BlueTech).is_empty());
    let review = representative(TestState::InReview);
    assert_eq!(
        available_actions(&review, Role::BlueLead),
        vec!["validate-blue"]
    );
    assert_eq!(
        available_actions(&review, Role::RedLead),
        vec!["validate-red"]
    );
    assert!(available_actions(&review, Role::Viewer).is_empty());
    let waiting = representative(TestState::BlueEvaluating);
    assert_eq!(
        available_actions(&waiting, Role::BlueTech),
        vec!["start-evaluation", "submit-blue"]
    );
    let evaluating = waiting.with_evaluation_started(true);
    assert_eq!(
        available_actions(&evaluating, Role::BlueTech),
        vec!["submit-blue", "pause-timer"]
    );
}

#[test]
fn blue_submitting_without_a_pick_up_records_a_phase_with_no_time() {
    let red = step(&Workflow::new(), A::StartExecution, Role::RedTech);
    let waiting = step(&red, A::SubmitRed, Role::RedTech);
    let submitted = transition(&waiting, A::SubmitBlue, Role::BlueTech).unwrap();
    assert_eq!(submitted.to, TestState::InReview);
    assert_eq!(
        submitted.effects,
        [
            Effect::StartTimer(Team::Blue),
            Effect::StopTimer(Team::Blue),
            Effect::Notify(Audience::BothLeads)
        ]
    );
    // A stored test blue had picked up reads back as started.
    let stored = Workflow::restore(TestState::BlueEvaluating, None, None, false)
        .with_evaluation_started(true);
    assert!(matches!(
        transition(&stored, A::StartEvaluation, Role::BlueTech),
        Err(Refusal::EvaluationAlreadyStarted)
    ));
    assert!(transition(&stored, A::PauseTimer, Role::BlueTech).is_ok());
}
