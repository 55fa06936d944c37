//! What a campaign run showed: its coverage, the trend against the previous run, and its timeline.

use super::*;

/// A technique's result in one campaign run.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignTechnique {
    pub technique_id: TechniqueId,
    pub tests: u32,
    /// The newest validated outcome.
    pub outcome: Option<Outcome>,
    /// Scored from this run's tests alone.
    pub score: TechniqueScore,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    Improved,
    Regressed,
    Unchanged,
    New,
    Dropped,
}

impl Trend {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Improved => "improved",
            Self::Regressed => "regressed",
            Self::Unchanged => "unchanged",
            Self::New => "new",
            Self::Dropped => "dropped",
        }
    }
}

/// One technique compared run over run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunChange {
    pub technique_id: TechniqueId,
    pub previous_score: Option<f64>,
    pub score: Option<f64>,
    pub previous_outcome: Option<Outcome>,
    pub outcome: Option<Outcome>,
    pub trend: Trend,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PreviousRun {
    pub campaign_id: CampaignId,
    pub run_number: i32,
    pub score: Option<f64>,
    pub percent_validated: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CampaignCoverage {
    pub campaign_id: CampaignId,
    /// Mean of its techniques' scores.
    pub score: Option<f64>,
    pub techniques: Vec<CampaignTechnique>,
    pub previous: Option<PreviousRun>,
    pub changes: Vec<RunChange>,
}

/// Something that happened in a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignEvent {
    pub at: DateTime<Utc>,
    /// created, activated, completed, or the test's workflow action (start-execution...).
    pub kind: String,
    pub test_id: Option<TestId>,
    pub test_title: Option<String>,
    pub actor: Option<UserId>,
    pub from: Option<String>,
    pub to: Option<String>,
}

pub(super) fn mean_score(techniques: &[CampaignTechnique]) -> Option<f64> {
    weighted_mean(
        &techniques
            .iter()
            .map(|t| (t.score.score, 1.0))
            .collect::<Vec<_>>(),
    )
}

/// Technique by technique, how this run did against the previous one: by outcome when both
/// validated it, else by score.
pub(super) fn compare_runs(
    before: &[CampaignTechnique],
    now: &[CampaignTechnique],
) -> Vec<RunChange> {
    let previous: HashMap<&TechniqueId, &CampaignTechnique> =
        before.iter().map(|t| (&t.technique_id, t)).collect();
    let current: HashMap<&TechniqueId, &CampaignTechnique> =
        now.iter().map(|t| (&t.technique_id, t)).collect();
    let mut ids: Vec<&TechniqueId> = previous.keys().chain(current.keys()).copied().collect();
    ids.sort();
    ids.dedup();
    ids.into_iter()
        .map(|id| {
            let old = previous.get(id);
            let new = current.get(id);
            let trend = match (old, new) {
                (None, _) => Trend::New,
                (_, None) => Trend::Dropped,
                (Some(old), Some(new)) => match (old.outcome, new.outcome) {
                    (Some(a), Some(b)) if b < a => Trend::Improved,
                    (Some(a), Some(b)) if b > a => Trend::Regressed,
                    (Some(_), Some(_)) => Trend::Unchanged,
                    _ if new.score.score > old.score.score => Trend::Improved,
                    _ if new.score.score < old.score.score => Trend::Regressed,
                    _ => Trend::Unchanged,
                },
            };
            RunChange {
                technique_id: id.clone(),
                previous_score: old.map(|t| t.score.score),
                score: new.map(|t| t.score.score),
                previous_outcome: old.and_then(|t| t.outcome),
                outcome: new.and_then(|t| t.outcome),
                trend,
            }
        })
        .collect()
}

impl CampaignService {
    /// A campaign's own coverage and the comparison with its previous run, for reports too.
    pub(crate) async fn coverage_of(
        &self,
        tenant: TenantId,
        campaign: &Campaign,
    ) -> Result<CampaignCoverage, CampaignError> {
        let database = self.database.as_ref();
        let id = campaign.id;
        let techniques = self.run_results(tenant, id).await?;
        let score = mean_score(&techniques);
        let (previous, changes) = match campaign.predecessor_id {
            None => (None, Vec::new()),
            Some(previous_id) => {
                let before = self.run_results(tenant, previous_id).await?;
                let previous_tests = database.tests_of_campaign(tenant, previous_id).await?;
                let run_number = database
                    .find_campaign(tenant, previous_id)
                    .await?
                    .map_or(campaign.run_number - 1, |c| c.run_number);
                let validated = previous_tests
                    .iter()
                    .filter(|t| t.workflow().state() == TestState::Validated)
                    .count();
                let percent_validated = if previous_tests.is_empty() {
                    0.0
                } else {
                    (validated as f64 * 1000.0 / previous_tests.len() as f64).round() / 10.0
                };
                (
                    Some(PreviousRun {
                        campaign_id: previous_id,
                        run_number,
                        score: mean_score(&before),
                        percent_validated,
                    }),
                    compare_runs(&before, &techniques),
                )
            }
        };
        Ok(CampaignCoverage {
            campaign_id: id,
            score,
            techniques,
            previous,
            changes,
        })
    }

    /// The campaign's own coverage, from its tests alone, compared with its previous run.
    ///
    /// # Errors
    /// `NotFound`.
    pub async fn coverage(
        &self,
        actor: &Actor,
        id: CampaignId,
    ) -> Result<CampaignCoverage, CampaignError> {
        actor.authorize(Action::ReadOperations)?;
        let campaign = self
            .database
            .find_campaign(actor.tenant_id, id)
            .await?
            .ok_or(CampaignError::NotFound)?;
        self.coverage_of(actor.tenant_id, &campaign).await
    }

    /// Each technique of a run scored from that run's tests alone.
    pub(super) async fn run_results(
        &self,
        tenant: TenantId,
        id: CampaignId,
    ) -> Result<Vec<CampaignTechnique>, CampaignError> {
        let tests = self.database.tests_of_campaign(tenant, id).await?;
        let scored = crate::coverage::scores_of_tests(
            self.database.as_ref(),
            tests,
            &self.scoring,
            self.clock.now(),
        )
        .await?;
        let results = scored
            .into_iter()
            .map(|(technique_id, tests, stored)| CampaignTechnique {
                tests: u32::try_from(tests.len()).unwrap_or(u32::MAX),
                outcome: tests
                    .iter()
                    .filter(|t| t.workflow().state() == TestState::Validated)
                    .max_by_key(|t| t.validated_at)
                    .and_then(|t| t.blue.outcome),
                score: stored.score,
                technique_id,
            })
            .collect();
        Ok(results)
    }

    /// What happened in the campaign: its lifecycle and every step of its tests the reader
    /// may see, oldest first.
    ///
    /// # Errors
    /// `NotFound`.
    pub async fn timeline(
        &self,
        actor: &Actor,
        id: CampaignId,
    ) -> Result<Vec<CampaignEvent>, CampaignError> {
        let detail = self.get(actor, id).await?;
        let visible: HashMap<TestId, &TestCase> =
            detail.tests.iter().map(|t| (t.test.id, &t.test)).collect();
        let transitions: Vec<TransitionRecord> = self
            .database
            .transitions_of_campaign(actor.tenant_id, id)
            .await?;
        let campaign = &detail.campaign;
        let mut events: Vec<CampaignEvent> = [
            Some(("created", campaign.created_at, campaign.created_by)),
            campaign.activated_at.map(|at| ("activated", at, None)),
            campaign.completed_at.map(|at| ("completed", at, None)),
        ]
        .into_iter()
        .flatten()
        .map(|(kind, at, actor)| CampaignEvent {
            at,
            kind: kind.to_owned(),
            test_id: None,
            test_title: None,
            actor,
            from: None,
            to: None,
        })
        .collect();
        events.extend(transitions.into_iter().filter_map(|record| {
            let test = visible.get(&record.test_id)?;
            Some(CampaignEvent {
                at: record.occurred_at,
                kind: record.action,
                test_id: Some(record.test_id),
                test_title: Some(test.title.clone()),
                actor: Some(record.actor),
                from: Some(record.from),
                to: Some(record.to),
            })
        }));
        events.sort_by_key(|e| e.at);
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aegis_domain::scoring::TechniqueScore;

    fn run(id: &str, outcome: Option<Outcome>, score: f64) -> CampaignTechnique {
        CampaignTechnique {
            technique_id: TechniqueId::parse(id).unwrap_or_else(|e| panic!("{e}")),
            tests: 1,
            outcome,
            score: TechniqueScore {
                score,
                ..TechniqueScore::uncovered()
            },
        }
    }

    #[test]
    fn runs_compare_by_outcome_then_score() {
        let before = [
            run("T1001", Some(Outcome::NotDetected), 10.0),
            run("T1002", Some(Outcome::Detected), 60.0),
            run("T1003", None, 5.0),
            run("T1004", None, 0.0),
        ];
        let now = [
            run("T1001", Some(Outcome::Detected), 50.0),
            run("T1002", Some(Outcome::Logged), 40.0),
            run("T1003", None, 5.0),
            run("T1005", Some(Outcome::Prevented), 90.0),
        ];
        let trends: Vec<(String, Trend)> = compare_runs(&before, &now)
            .into_iter()
            .map(|c| (c.technique_id.to_string(), c.trend))
            .collect();
        assert_eq!(
            trends,
            vec![
                ("T1001".to_owned(), Trend::Improved),
                ("T1002".to_owned(), Trend::Regressed),
                ("T1003".to_owned(), Trend::Unchanged),
                ("T1004".to_owned(), Trend::Dropped),
                ("T1005".to_owned(), Trend::New),
            ]
        );
    }
}
