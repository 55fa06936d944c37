//! The transitions: one pure `transition` decides, this carries out its effects (timers, worklogs, votes, notifications, findings) in the same unit of work.

use super::*;

use aegis_domain::api_key::Scope;

impl TestService {
    /// One workflow step (`start-execution`, `submit-red`, ... `resume-timer`). `notes` go
    /// with a vote (required to reject) and into the transition record.
    ///
    /// # Errors
    /// `Refused` naming the state and the rule, `Invalid` when a submission lacks its
    /// required fields or a rejection its notes, `VersionConflict`.
    pub async fn act(
        &self,
        actor: &Actor,
        id: TestId,
        action: WorkflowAction,
        notes: Option<String>,
        expected_version: Option<i32>,
        context: &RequestContext,
    ) -> Result<TestCase, TestError> {
        let notes = notes.and_then(optional);
        // A vote may validate the test and open a finding, whose severity weighs the threat.
        // ... and moves the technique's risk, whose threat term counts the actors in scope.
        let (threat, tracked) = match action {
            WorkflowAction::ValidateRed(_) | WorkflowAction::ValidateBlue(_) => (
                crate::coverage::actors_in_scope(
                    self.tracking.as_ref(),
                    self.catalog.as_ref(),
                    actor.tenant_id,
                )
                .await?,
                !self
                    .tracking
                    .tracked_actors(actor.tenant_id)
                    .await?
                    .is_empty(),
            ),
            _ => (crate::coverage::ThreatByTechnique::new(), false),
        };
        let uow = self.database.begin().await?;
        let (mut test, campaign) = self.load(uow.as_ref(), actor, id, expected_version).await?;
        // The role is the domain's to judge; an API key must also carry the tests scope.
        actor.require_key_scope(workflow_permission(action), Scope::TestsWrite)?;
        let step = transition(test.workflow(), action, actor.role).map_err(TestError::Refused)?;
        if action == WorkflowAction::StartExecution
            && let Some(campaign) = &campaign
        {
            ready_to_start(uow.as_ref(), &test, campaign).await?;
        }
        match action {
            WorkflowAction::SubmitRed => {
                let missing = test.red.missing_for_submission();
                if !missing.is_empty() {
                    return Err(TestError::Invalid(
                        missing
                            .into_iter()
                            .map(|f| FieldError::new(f, "is required before submitting"))
                            .collect(),
                    ));
                }
            }
            WorkflowAction::SubmitBlue => {
                let missing = test.blue.missing_for_submission();
                if !missing.is_empty() {
                    return Err(TestError::Invalid(
                        missing
                            .into_iter()
                            .map(|f| FieldError::new(f, "is required before submitting"))
                            .collect(),
                    ));
                }
            }
            WorkflowAction::ValidateRed(Verdict::Reject)
            | WorkflowAction::ValidateBlue(Verdict::Reject)
                if notes.is_none() =>
            {
                return Err(invalid("notes", "a rejection needs notes that say why"));
            }
            _ => {}
        }
        let now = self.clock.now();
        for effect in &step.effects {
            match *effect {
                Effect::StartTimer(team) => {
                    *test.clock_mut(team) = PhaseClock {
                        started_at: Some(now),
                        paused_seconds: 0,
                    }
                }
                Effect::PauseTimer(_) => test.paused_at = Some(now),
                Effect::ResumeTimer(team) => {
                    let paused = test
                        .paused_at
                        .take()
                        .map_or(0, |since| (now - since).num_seconds().max(0));
                    test.clock_mut(team).paused_seconds += paused;
                }
                Effect::StopTimer(team) => {
                    let clock = *test.clock_mut(team);
                    let started = clock.started_at.unwrap_or(now);
                    let worklog = Worklog::close(
                        self.ids.new_id(),
                        test.id,
                        team,
                        actor.user_id,
                        started,
                        now,
                        clock.paused_seconds,
                    );
                    uow.insert_worklog(actor.tenant_id, &worklog).await?;
                }
                Effect::RecordVote(Team::Red, _) => test.red_vote_notes = notes.clone(),
                Effect::RecordVote(Team::Blue, _) => test.blue_vote_notes = notes.clone(),
                Effect::ClearVotes => {
                    test.red_vote_notes = None;
                    test.blue_vote_notes = None;
                    test.paused_at = None;
                }
                Effect::Notify(audience) => {
                    let (title, body) = notice(&test.title, action, notes.as_deref());
                    let mut notifications = Vec::new();
                    for user in crate::notifications::recipients(
                        uow.as_ref(),
                        actor.tenant_id,
                        audience,
                        actor.user_id,
                    )
                    .await?
                    {
                        notifications.push(Notification {
                            id: NotificationId::from_uuid(self.ids.new_id()),
                            tenant_id: actor.tenant_id,
                            user_id: user,
                            kind: format!("test.{}", action.name()),
                            title: title.clone(),
                            body: body.clone(),
                            entity_type: Some("test".to_owned()),
                            entity_id: Some(test.id.to_string()),
                            created_at: now,
                            read_at: None,
                        });
                    }
                    crate::notifications::deliver(uow.as_ref(), actor.tenant_id, &notifications)
                        .await?;
                }
            }
        }
        test.advance(&step, now);
        self.save(uow.as_ref(), &mut test).await?;
        if step.from != step.to {
            self.rescore(uow.as_ref(), actor.tenant_id, &test.technique_id)
                .await?;
        }
        if step.to == TestState::Validated {
            self.follow_up
                .on_validated(uow.as_ref(), context, actor.user_id, &test, &threat)
                .await?;
            crate::risk::refresh_technique(
                uow.as_ref(),
                actor.tenant_id,
                &test.technique_id,
                &threat,
                tracked,
                &aegis_domain::risk::RiskPolicy::default(),
                now,
            )
            .await?;
        }
        let record = TransitionRecord {
            id: self.ids.new_id(),
            test_id: test.id,
            actor: actor.user_id,
            action: action.name().to_owned(),
            from: step.from.as_str().to_owned(),
            to: step.to.as_str().to_owned(),
            comment: notes,
            occurred_at: now,
        };
        uow.insert_transition(actor.tenant_id, &record).await?;
        self.follow_up
            .on_transition(uow.as_ref(), &test, &record)
            .await?;
        let audit_action = format!("test.{}", action.name());
        self.audit(
            uow.as_ref(),
            actor,
            context,
            &audit_action,
            &test,
            serde_json::json!({
                "from": step.from.as_str(), "to": step.to.as_str(),
            }),
        )
        .await?;
        uow.commit().await?;
        if step.to == TestState::Validated
            && let Some(requests) = &self.alert_requests
        {
            requests.request("validation").await;
        }
        self.follow_up.after_commit().await;
        Ok(test)
    }
}

/// What a notification about `action` on the test `title` says.
pub(super) fn notice(title: &str, action: WorkflowAction, notes: Option<&str>) -> (String, String) {
    let (headline, body) = match action {
        WorkflowAction::SubmitRed => (
            "red has executed: evaluate it",
            "Record what blue saw, then submit.".to_owned(),
        ),
        WorkflowAction::SubmitBlue => (
            "ready for review",
            "Both leads vote to validate or reject.".to_owned(),
        ),
        WorkflowAction::ValidateRed(_) | WorkflowAction::ValidateBlue(_) => (
            "disputed: the other lead rejected",
            format!("Their notes: {}", notes.unwrap_or("none")),
        ),
        WorkflowAction::Reopen => (
            "reopened for a retest",
            notes.unwrap_or("A lead reopened the test.").to_owned(),
        ),
        _ => ("changed", String::new()),
    };
    (format!("{title}: {headline}"), body)
}

/// A campaign's test starts only while the campaign is active and once every test it
/// depends on has validated.
pub(super) async fn ready_to_start(
    uow: &dyn UnitOfWork,
    test: &TestCase,
    campaign: &Campaign,
) -> Result<(), TestError> {
    if campaign.status() != CampaignStatus::Active {
        return Err(TestError::CampaignNotActive(campaign.status()));
    }
    let edges = uow
        .dependencies_in_campaign(test.tenant_id, campaign.id)
        .await?;
    if !edges.iter().any(|e| e.test == test.id) {
        return Ok(());
    }
    let tests = uow.tests_of_campaign(test.tenant_id, campaign.id).await?;
    let pending = pending_dependencies(test.id, &edges, &tests);
    if pending.is_empty() {
        Ok(())
    } else {
        Err(TestError::DependenciesPending(pending))
    }
}

/// The permission a workflow step exercises, named in a refusal of an API key.
const fn workflow_permission(action: WorkflowAction) -> Action {
    match action {
        WorkflowAction::StartExecution
        | WorkflowAction::SubmitRed
        | WorkflowAction::PauseTimer
        | WorkflowAction::ResumeTimer => Action::ExecuteRed,
        WorkflowAction::StartEvaluation | WorkflowAction::SubmitBlue => Action::EvaluateBlue,
        WorkflowAction::ValidateRed(_) => Action::ValidateRed,
        WorkflowAction::ValidateBlue(_) => Action::ValidateBlue,
        WorkflowAction::Reopen => Action::ReopenTest,
    }
}
