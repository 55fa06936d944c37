//! Each team's report: red's execution and blue's evaluation with its rule results.

use super::*;

impl TestService {
    /// Changes a team's report in its own phase: load, check the phase, apply, save, audit.
    pub(super) async fn edit_report(
        &self,
        actor: &Actor,
        id: TestId,
        team: Team,
        expected_version: Option<i32>,
        context: &RequestContext,
        apply: impl FnOnce(&mut TestCase),
    ) -> Result<TestCase, TestError> {
        let (phase, action, audit_action) = match team {
            Team::Red => (
                TestState::RedExecuting,
                "edit red fields",
                "test.red_updated",
            ),
            Team::Blue => (
                TestState::BlueEvaluating,
                "edit blue fields",
                "test.blue_updated",
            ),
        };
        let uow = self.database.begin().await?;
        let (mut test, _) = self.load(uow.as_ref(), actor, id, expected_version).await?;
        if test.workflow().state() != phase {
            return Err(TestError::Refused(Refusal::NotAllowedInState {
                state: test.workflow().state(),
                action,
            }));
        }
        apply(&mut test);
        self.save(uow.as_ref(), &mut test).await?;
        let details = serde_json::json!({"version": test.version()});
        self.audit(uow.as_ref(), actor, context, audit_action, &test, details)
            .await?;
        uow.commit().await?;
        Ok(test)
    }

    /// Red's report, only by red and only while red executes.
    ///
    /// # Errors
    /// `Forbidden` for blue and viewers, `Refused` outside red_executing.
    pub async fn update_red(
        &self,
        actor: &Actor,
        id: TestId,
        changes: RedChanges,
        expected_version: Option<i32>,
        context: &RequestContext,
    ) -> Result<TestCase, TestError> {
        actor.authorize(Action::ExecuteRed)?;
        self.edit_report(actor, id, Team::Red, expected_version, context, |test| {
            let red = &mut test.red;
            if let Some(at) = changes.executed_at {
                red.executed_at = Some(at);
            }
            if let Some(targets) = changes.targets {
                red.targets = targets.into_iter().filter_map(optional).collect();
            }
            for (value, target) in [
                (changes.procedure, &mut red.procedure),
                (changes.command, &mut red.command),
                (changes.tool, &mut red.tool),
                (changes.result_summary, &mut red.result_summary),
            ] {
                if let Some(value) = value {
                    *target = optional(value);
                }
            }
        })
        .await
    }

    /// Blue's evaluation, only by blue and only while blue evaluates.
    ///
    /// # Errors
    /// `Forbidden` for red and viewers, `Refused` outside blue_evaluating, `Invalid` outcome.
    pub async fn update_blue(
        &self,
        actor: &Actor,
        id: TestId,
        changes: BlueChanges,
        expected_version: Option<i32>,
        context: &RequestContext,
    ) -> Result<TestCase, TestError> {
        actor.authorize(Action::EvaluateBlue)?;
        let outcome = changes
            .outcome
            .as_deref()
            .map(|text| {
                Outcome::parse(text).ok_or_else(|| {
                    invalid(
                        "outcome",
                        "must be prevented, detected, logged or not_detected",
                    )
                })
            })
            .transpose()?;
        let rule_results = blue_rule_results(changes.fired_rules, changes.rule_results)?;
        self.edit_report(actor, id, Team::Blue, expected_version, context, |test| {
            let blue = &mut test.blue;
            if let Some(outcome) = outcome {
                blue.outcome = Some(outcome);
            }
            if let Some(at) = changes.detected_at {
                blue.detected_at = Some(at);
            }
            if let Some(results) = rule_results {
                blue.rule_results = results;
            }
            for (value, target) in [
                (changes.detection_source, &mut blue.detection_source),
                (changes.notes, &mut blue.notes),
            ] {
                if let Some(value) = value {
                    *target = optional(value);
                }
            }
        })
        .await
    }
}

/// Blue's rule results from the request: the verdicts given, or the fired rules as
/// `triggered`; one result per rule (the last given wins), blank names dropped.
pub(super) fn blue_rule_results(
    fired: Option<Vec<String>>,
    results: Option<Vec<(String, String)>>,
) -> Result<Option<Vec<RuleResult>>, TestError> {
    let given: Vec<(String, RuleVerdict)> = match (fired, results) {
        (_, Some(results)) => results
            .into_iter()
            .enumerate()
            .map(|(n, (rule, verdict))| {
                RuleVerdict::parse(verdict.trim())
                    .map(|v| (rule, v))
                    .ok_or_else(|| {
                        invalid(
                            &format!("rule_results[{n}].result"),
                            "must be triggered, not_triggered or not_evaluated",
                        )
                    })
            })
            .collect::<Result<_, _>>()?,
        (Some(fired), None) => fired
            .into_iter()
            .map(|rule| (rule, RuleVerdict::Triggered))
            .collect(),
        (None, None) => return Ok(None),
    };
    let mut kept: Vec<RuleResult> = Vec::new();
    for (rule, verdict) in given {
        let Some(rule) = optional(rule) else { continue };
        kept.retain(|r| !r.rule.eq_ignore_ascii_case(&rule));
        kept.push(RuleResult { rule, verdict });
    }
    Ok(Some(kept))
}
