//! Coverage: each technique's score recomputed when its tests change (in the same transaction
//! as the change), and the read models built from the stored scores: the organization's
//! coverage by tactic and the ATT&CK heatmap with its roll-ups.

use std::sync::Arc;

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use aegis_domain::campaign::CampaignId;
use aegis_domain::catalog::TechniqueId;
use aegis_domain::page::PageRequest;
use aegis_domain::permission::Action;
use aegis_domain::ports::{
    CatalogRepository, CountermeasureRepository, CoverageRepository, RepositoryError,
    RuleRepository, TestFilter, TrackedActorRepository,
};
use aegis_domain::ports::{TechniqueFilter, TechniqueSummary};
use aegis_domain::risk::{OutcomeSplit, ValidatedObservation};
use aegis_domain::scoring::{
    CoverageStatus, ScoringPolicy, StoredScore, TechniqueInputs, TechniqueScore, ValidatedResult,
    score_technique, weighted_mean,
};
use aegis_domain::tenant::TenantId;
use aegis_domain::test_case::TestCase;
use aegis_domain::workflow::TestState;

use crate::context::{Actor, Forbidden};
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::ports::{Clock, Database};

/// What a coverage view was asked for and does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoverageSubject {
    Campaign,
    ThreatActor,
    Tactic,
}

impl std::fmt::Display for CoverageSubject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Campaign => "campaign",
            Self::ThreatActor => "threat actor",
            Self::Tactic => "tactic",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CoverageError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("invalid coverage request")]
    Invalid(Vec<FieldError>),
    #[error("{0} not found")]
    NotFound(CoverageSubject),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for CoverageError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl Classified for CoverageError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::NotFound(CoverageSubject::ThreatActor) => "THREAT_ACTOR_NOT_FOUND",
            Self::NotFound(CoverageSubject::Campaign) => "CAMPAIGN_NOT_FOUND",
            Self::NotFound(CoverageSubject::Tactic) => "NOT_FOUND",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

/// Recomputes and stores one technique's score from its tests, through `repositories` (the
/// caller's unit of work, so the score commits with the change that moved it).
///
/// # Errors
/// `RepositoryError` from reading the tests or saving the score.
pub async fn refresh(
    repositories: &dyn CoverageRepository,
    tenant: TenantId,
    technique: &TechniqueId,
    policy: &ScoringPolicy,
    now: DateTime<Utc>,
) -> Result<StoredScore, RepositoryError> {
    let tests = repositories.tests_of_technique(tenant, technique).await?;
    let mut inputs = inputs_of(repositories, technique, &tests).await?;
    inputs.proof = repositories.detection_proof(tenant, technique, now).await?;
    let stored = StoredScore {
        technique_id: technique.clone(),
        score: score_technique(&inputs, policy, now),
        open_tests: inputs.open_tests,
        computed_at: now,
    };
    repositories.save_technique_score(tenant, &stored).await?;
    Ok(stored)
}

/// What `technique`'s score depends on, given its tests (all the organization's, or one
/// campaign's): outcomes, open tests, proven and unproven rules, countermeasures.
///
/// # Errors
/// `RepositoryError` from reading the rules or countermeasures.
pub(crate) async fn inputs_of(
    repositories: &dyn CoverageRepository,
    technique: &TechniqueId,
    tests: &[TestCase],
) -> Result<TechniqueInputs, RepositoryError> {
    let mut inputs = TechniqueInputs::default();
    let mut proven_rules: Vec<&str> = Vec::new();
    let mut silent_rules: Vec<&str> = Vec::new();
    for test in tests {
        match test.workflow().state() {
            TestState::Validated => {
                let (Some(outcome), Some(validated_at)) = (test.blue.outcome, test.validated_at)
                else {
                    continue;
                };
                inputs.validated.push(ValidatedResult {
                    outcome,
                    validated_at,
                    platform: test.platform.clone(),
                });
                proven_rules.extend(test.blue.fired_rules());
                silent_rules.extend(test.blue.silent_rules());
            }
            TestState::Rejected => {}
            _ => inputs.open_tests += 1,
        }
    }
    proven_rules.sort_unstable();
    proven_rules.dedup();
    // Imported rules for the technique: proven when a validated test saw one fire. A fired
    // rule the catalog does not hold (a team's own) still counts as proven.
    let active: Vec<_> = repositories
        .detection_rules_of(technique.as_str())
        .await?
        .into_iter()
        .filter(|rule| !rule.deprecated)
        .collect();
    let proven_active = active
        .iter()
        .filter(|rule| proven_rules.iter().any(|fired| rule.is_named_by(fired)))
        .count();
    let unmatched_fired = proven_rules
        .iter()
        .filter(|fired| !active.iter().any(|rule| rule.is_named_by(fired)))
        .count();
    // A rule a validated test checked and saw stay silent (and none saw fire) earns nothing:
    // it is known not to catch the technique as tested.
    let silent_active = active
        .iter()
        .filter(|rule| !proven_rules.iter().any(|fired| rule.is_named_by(fired)))
        .filter(|rule| silent_rules.iter().any(|silent| rule.is_named_by(silent)))
        .count();
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    inputs.proven_rules = count(proven_active + unmatched_fired);
    inputs.unproven_rules = count(active.len() - proven_active - silent_active);
    inputs.countermeasures = repositories
        .countermeasure_count(technique.as_str())
        .await?;
    Ok(inputs)
}

/// Per technique, how many in-scope actors use it (a parent: it or any of its
/// sub-techniques, each actor once): the tracked ones when the organization tracks any (with
/// merged intelligence), else every current actor.
///
/// # Errors
/// `RepositoryError` from the catalog or the tracking registry.
/// How many in-scope threat actors use each technique: read before a validation's unit of
/// work begins (SQLite has one connection, which the unit of work holds).
pub(crate) type ThreatByTechnique = HashMap<TechniqueId, u32>;

pub(crate) async fn actors_in_scope(
    tracking: &dyn TrackedActorRepository,
    catalog: &dyn CatalogRepository,
    tenant: TenantId,
) -> Result<ThreatByTechnique, RepositoryError> {
    let tracked = tracking.tracked_actors(tenant).await?;
    if tracked.is_empty() {
        return catalog.actors_per_technique().await;
    }
    let mut uses = Vec::new();
    for actor in tracked {
        let Some(detail) = catalog.find_threat_actor(&actor.actor_stix_id).await? else {
            continue;
        };
        for id in detail.technique_ids() {
            if let Ok(id) = TechniqueId::parse(&id) {
                uses.push((actor.actor_stix_id.clone(), id));
            }
        }
    }
    Ok(aegis_domain::catalog::actors_per_technique(uses))
}

/// Filters of the heatmap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeatmapFilter {
    pub platform: Option<String>,
    /// Only the techniques this threat actor uses (ATT&CK id or STIX id).
    pub threat_actor: Option<String>,
    /// Only this campaign's techniques, scored from its tests alone.
    pub campaign: Option<CampaignId>,
    /// Scores from the tests validated in this window alone (either end may be open).
    pub validated_from: Option<DateTime<Utc>>,
    pub validated_to: Option<DateTime<Utc>>,
}

impl HeatmapFilter {
    fn has_window(&self) -> bool {
        self.validated_from.is_some() || self.validated_to.is_some()
    }

    fn in_window(&self, test: &TestCase) -> bool {
        test.validated_at.is_some_and(|at| {
            self.validated_from.is_none_or(|from| at >= from)
                && self.validated_to.is_none_or(|to| at < to)
        })
    }
}

/// Scores each technique of `tests` from those tests alone (a campaign's run, a period), with
/// the organization's rules and countermeasures; the tests come back grouped by technique.
///
/// # Errors
/// `RepositoryError` from reading rules or countermeasures.
pub(crate) async fn scores_of_tests(
    repositories: &dyn CoverageRepository,
    tests: Vec<TestCase>,
    policy: &ScoringPolicy,
    now: DateTime<Utc>,
) -> Result<Vec<(TechniqueId, Vec<TestCase>, StoredScore)>, RepositoryError> {
    let mut by_technique: std::collections::BTreeMap<TechniqueId, Vec<TestCase>> =
        std::collections::BTreeMap::new();
    for test in tests {
        by_technique
            .entry(test.technique_id.clone())
            .or_default()
            .push(test);
    }
    let mut scored = Vec::with_capacity(by_technique.len());
    for (technique, tests) in by_technique {
        let inputs = inputs_of(repositories, &technique, &tests).await?;
        let stored = StoredScore {
            technique_id: technique.clone(),
            score: score_technique(&inputs, policy, now),
            open_tests: inputs.open_tests,
            computed_at: now,
        };
        scored.push((technique, tests, stored));
    }
    Ok(scored)
}

/// A cell of the heatmap: a technique with its own score and, for a parent, the roll-up of
/// itself and its sub-techniques.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapCell {
    pub technique: TechniqueSummary,
    pub score: TechniqueScore,
    pub open_tests: u32,
    /// The score shown for the cell: its own, or rolled up with its sub-techniques'.
    pub rolled_score: f64,
    /// How many in-scope threat actors use it, a parent counting those of its sub-techniques
    /// (each actor once): the organization's tracked actors when it tracks any, else every
    /// current actor. The threat-weighted score weighs by it.
    pub actors: u32,
    /// Active detection rules tagged with it.
    pub rules: u32,
    /// D3FEND countermeasures of it.
    pub countermeasures: u32,
    /// How its validated tests in view ended (prevented, detected, logged, missed) and how
    /// long detection took; a parent's include its sub-techniques'.
    pub outcomes: OutcomeSplit,
    pub subtechniques: Vec<HeatmapCell>,
}

/// A column of the heatmap.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapColumn {
    pub tactic: aegis_domain::catalog::Tactic,
    /// Mean of its techniques' rolled scores; `None` for an empty column.
    pub score: Option<f64>,
    /// Its techniques' validated tests: the prevention/detection split of the tactic.
    pub outcomes: OutcomeSplit,
    pub techniques: Vec<HeatmapCell>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    pub columns: Vec<HeatmapColumn>,
    /// Mean of every technique's rolled score, each counted once.
    pub organization_score: Option<f64>,
    /// The same, each technique weighted by how many threat actors use it.
    pub threat_weighted_score: Option<f64>,
    /// Techniques (not sub-techniques) per status, each counted once.
    pub status_counts: Vec<(CoverageStatus, u32)>,
}

/// How many techniques one transaction of a recomputation rescores.
const RECOMPUTED_PER_TRANSACTION: usize = 64;

#[derive(Clone)]
pub struct CoverageService {
    database: Arc<dyn Database>,
    catalog: Arc<dyn CatalogRepository>,
    rules: Arc<dyn RuleRepository>,
    countermeasures: Arc<dyn CountermeasureRepository>,
    tracking: Arc<dyn TrackedActorRepository>,
    clock: Arc<dyn Clock>,
    scoring: Arc<ScoringPolicy>,
}

impl CoverageService {
    pub fn new(
        database: Arc<dyn Database>,
        catalog: Arc<dyn CatalogRepository>,
        rules: Arc<dyn RuleRepository>,
        countermeasures: Arc<dyn CountermeasureRepository>,
        tracking: Arc<dyn TrackedActorRepository>,
        clock: Arc<dyn Clock>,
        scoring: Arc<ScoringPolicy>,
    ) -> Self {
        Self {
            database,
            catalog,
            rules,
            countermeasures,
            tracking,
            clock,
            scoring,
        }
    }

    /// The organization's stored score of one technique, if it was ever scored.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    pub async fn technique_score(
        &self,
        actor: &Actor,
        technique: &TechniqueId,
    ) -> Result<Option<StoredScore>, CoverageError> {
        actor.authorize(Action::ReadCatalog)?;
        Ok(self
            .database
            .technique_score(actor.tenant_id, technique)
            .await?)
    }

    /// Recomputes every stored score of every organization: time moves freshness, decay and
    /// staleness, and a changed policy applies at once. Returns how many were recomputed.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    pub async fn recompute_all(&self) -> Result<u64, CoverageError> {
        self.recompute_with(&[]).await
    }

    /// Recomputes every stored score and the scores of `also` (techniques whose inputs just
    /// changed, such as newly imported detection rules), in every organization.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    pub async fn recompute_with(&self, also: &[TechniqueId]) -> Result<u64, CoverageError> {
        let mut recomputed = 0;
        for tenant in self.database.list_tenants().await? {
            let mut techniques: Vec<TechniqueId> = self
                .database
                .technique_scores(tenant.id)
                .await?
                .into_iter()
                .map(|stored| stored.technique_id)
                .collect();
            techniques.extend(also.iter().cloned());
            techniques.sort();
            techniques.dedup();
            // A few techniques per transaction: one commit each would dominate (a sync
            // per commit), one for all would hold the write lock for the whole run.
            for chunk in techniques.chunks(RECOMPUTED_PER_TRANSACTION) {
                let uow = self.database.begin().await?;
                let now = self.clock.now();
                for technique in chunk {
                    refresh(uow.as_ref(), tenant.id, technique, &self.scoring, now).await?;
                    recomputed += 1;
                }
                uow.commit().await?;
            }
        }
        Ok(recomputed)
    }

    /// Every stored score of the organization, by technique.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    pub async fn scores(
        &self,
        actor: &Actor,
    ) -> Result<HashMap<TechniqueId, StoredScore>, CoverageError> {
        actor.authorize(Action::ReadCatalog)?;
        Ok(self
            .database
            .technique_scores(actor.tenant_id)
            .await?
            .into_iter()
            .map(|s| (s.technique_id.clone(), s))
            .collect())
    }

    /// The ATT&CK matrix with the organization's coverage: tactics in matrix order, techniques
    /// with their sub-techniques, scores rolled up as the policy says.
    ///
    /// # Errors
    /// `NotFound` for an unknown threat actor.
    pub async fn heatmap(
        &self,
        actor: &Actor,
        filter: &HeatmapFilter,
    ) -> Result<Heatmap, CoverageError> {
        actor.authorize(Action::ReadCatalog)?;
        self.heatmap_of(actor.tenant_id, filter).await
    }

    /// The tests a campaign or a validation window puts in view (`None`: the stored scores
    /// speak for every test), and the techniques a campaign limits the map to (with their
    /// parents).
    async fn tests_in_view(
        &self,
        tenant: TenantId,
        filter: &HeatmapFilter,
    ) -> Result<
        (
            Option<Vec<TestCase>>,
            Option<std::collections::HashSet<TechniqueId>>,
        ),
        CoverageError,
    > {
        let database = &self.database;
        if let Some(campaign) = filter.campaign {
            database
                .find_campaign(tenant, campaign)
                .await?
                .ok_or(CoverageError::NotFound(CoverageSubject::Campaign))?;
            let mut tests = database.tests_of_campaign(tenant, campaign).await?;
            let techniques = tests
                .iter()
                .flat_map(|t| [Some(t.technique_id.clone()), t.technique_id.parent()])
                .flatten()
                .collect();
            if filter.has_window() {
                tests.retain(|t| filter.in_window(t));
            }
            return Ok((Some(tests), Some(techniques)));
        }
        if !filter.has_window() {
            return Ok((None, None));
        }
        let window = TestFilter {
            state: Some(TestState::Validated),
            validated_from: filter.validated_from,
            validated_to: filter.validated_to,
            ..TestFilter::default()
        };
        let mut tests = Vec::new();
        for number in 1.. {
            let page = database
                .list_tests(
                    tenant,
                    &window,
                    PageRequest::new(number, PageRequest::MAX_PER_PAGE),
                )
                .await?;
            let done = page.items.len() < usize::try_from(PageRequest::MAX_PER_PAGE).unwrap_or(200);
            tests.extend(page.items);
            if done {
                break;
            }
        }
        Ok((Some(tests), None))
    }

    /// The heatmap of an organization, for the snapshots and reports that run without a user.
    pub(crate) async fn heatmap_of(
        &self,
        tenant: aegis_domain::tenant::TenantId,
        filter: &HeatmapFilter,
    ) -> Result<Heatmap, CoverageError> {
        let catalog = &self.catalog;
        let only: Option<std::collections::HashSet<TechniqueId>> = match &filter.threat_actor {
            None => None,
            Some(id) => {
                let detail = catalog
                    .find_threat_actor(id)
                    .await?
                    .ok_or(CoverageError::NotFound(CoverageSubject::ThreatActor))?;
                // An actor using a sub-technique puts its parent on the map too.
                Some(
                    detail
                        .techniques
                        .iter()
                        .flat_map(|t| [Some(t.mitre_id.clone()), t.mitre_id.parent()])
                        .flatten()
                        .collect(),
                )
            }
        };
        // The reads are independent: on PostgreSQL they run side by side on the pool.
        let technique_filter = TechniqueFilter {
            platform: filter.platform.clone(),
            include_subtechniques: true,
            ..TechniqueFilter::default()
        };
        let whole_organization = filter.campaign.is_none() && !filter.has_window();
        let database = &self.database;
        let (techniques, (in_view, only_campaign), stored, actors, rules, countermeasures, tactics) =
            futures::try_join!(
                async { Ok::<_, CoverageError>(catalog.all_techniques(&technique_filter).await?) },
                self.tests_in_view(tenant, filter),
                async {
                    Ok::<_, CoverageError>(if whole_organization {
                        database.technique_scores(tenant).await?
                    } else {
                        Vec::new()
                    })
                },
                async {
                    Ok::<_, CoverageError>(
                        actors_in_scope(self.tracking.as_ref(), self.catalog.as_ref(), tenant)
                            .await?,
                    )
                },
                async { Ok::<_, CoverageError>(self.rules.active_rule_counts().await?) },
                async {
                    Ok::<_, CoverageError>(self.countermeasures.countermeasure_counts().await?)
                },
                async { Ok::<_, CoverageError>(catalog.list_tactics().await?) },
            )?;
        let techniques: Vec<TechniqueSummary> = techniques
            .into_iter()
            .filter(|t| only.as_ref().is_none_or(|ids| ids.contains(&t.mitre_id)))
            .filter(|t| {
                only_campaign
                    .as_ref()
                    .is_none_or(|ids| ids.contains(&t.mitre_id))
            })
            .collect();
        let observations: Vec<ValidatedObservation> = match &in_view {
            None => database.validated_observations(tenant, None).await?,
            Some(tests) => tests.iter().filter_map(observation_of).collect(),
        };
        let mut outcomes: HashMap<TechniqueId, OutcomeSplit> = HashMap::new();
        for observation in &observations {
            outcomes
                .entry(observation.technique_id.clone())
                .or_default()
                .add(observation);
        }
        let scores: HashMap<TechniqueId, StoredScore> = match in_view {
            None => stored,
            Some(tests) => scores_of_tests(
                self.database.as_ref(),
                tests,
                &self.scoring,
                self.clock.now(),
            )
            .await?
            .into_iter()
            .map(|(_, _, stored)| stored)
            .collect(),
        }
        .into_iter()
        .map(|s| (s.technique_id.clone(), s))
        .collect();
        let counts = Counts {
            actors,
            rules,
            countermeasures,
            outcomes,
        };
        Ok(build_heatmap(
            &tactics,
            techniques,
            &scores,
            &counts,
            &self.scoring,
        ))
    }
}

/// What the heatmap counts per technique besides its score.
struct Counts {
    actors: HashMap<TechniqueId, u32>,
    rules: HashMap<String, u32>,
    countermeasures: HashMap<String, u32>,
    outcomes: HashMap<TechniqueId, OutcomeSplit>,
}

/// A validated test as the prevention split reads it; `None` for any other test.
fn observation_of(test: &TestCase) -> Option<ValidatedObservation> {
    if test.workflow().state() != TestState::Validated {
        return None;
    }
    Some(ValidatedObservation {
        technique_id: test.technique_id.clone(),
        outcome: test.blue.outcome?,
        executed_at: test.red.executed_at,
        detected_at: test.blue.detected_at,
    })
}

fn cell(
    technique: TechniqueSummary,
    scores: &HashMap<TechniqueId, StoredScore>,
    counts: &Counts,
) -> HeatmapCell {
    let stored = scores.get(&technique.mitre_id);
    let score = stored.map_or_else(TechniqueScore::uncovered, |s| s.score.clone());
    let id = technique.mitre_id.as_str();
    HeatmapCell {
        actors: counts
            .actors
            .get(&technique.mitre_id)
            .copied()
            .unwrap_or_default(),
        rules: counts.rules.get(id).copied().unwrap_or_default(),
        countermeasures: counts.countermeasures.get(id).copied().unwrap_or_default(),
        outcomes: counts
            .outcomes
            .get(&technique.mitre_id)
            .cloned()
            .unwrap_or_default(),
        open_tests: stored.map_or(0, |s| s.open_tests),
        rolled_score: score.score,
        score,
        technique,
        subtechniques: Vec::new(),
    }
}

/// Assembles the matrix: sub-techniques under their parents, parents rolled up, parents in
/// every column of their tactics.
fn build_heatmap(
    tactics: &[aegis_domain::catalog::Tactic],
    techniques: Vec<TechniqueSummary>,
    scores: &HashMap<TechniqueId, StoredScore>,
    counts: &Counts,
    policy: &ScoringPolicy,
) -> Heatmap {
    let (subs, parents): (Vec<_>, Vec<_>) = techniques.into_iter().partition(|t| t.is_subtechnique);
    let mut children: HashMap<TechniqueId, Vec<HeatmapCell>> = HashMap::new();
    for sub in subs {
        if let Some(parent) = sub.mitre_id.parent() {
            children
                .entry(parent)
                .or_default()
                .push(cell(sub, scores, counts));
        }
    }
    let cells: Vec<HeatmapCell> = parents
        .into_iter()
        .map(|parent| {
            let mut cell = cell(parent, scores, counts);
            cell.subtechniques = children
                .remove(&cell.technique.mitre_id)
                .unwrap_or_default();
            for sub in &cell.subtechniques {
                cell.outcomes.merge(&sub.outcomes);
            }
            if !cell.subtechniques.is_empty() {
                let parts: Vec<f64> = std::iter::once(cell.score.score)
                    .chain(cell.subtechniques.iter().map(|s| s.score.score))
                    .collect();
                cell.rolled_score = policy.roll_up.combine(&parts).unwrap_or_default();
            }
            cell
        })
        .collect();
    let organization_score = weighted_mean(
        &cells
            .iter()
            .map(|c| (c.rolled_score, 1.0))
            .collect::<Vec<_>>(),
    );
    let threat_weighted_score = weighted_mean(
        &cells
            .iter()
            .map(|c| {
                // A parent's count already holds its sub-techniques' actors, each once.
                (c.rolled_score, f64::from(c.actors))
            })
            .collect::<Vec<_>>(),
    );
    let status_counts = CoverageStatus::ALL
        .into_iter()
        .map(|status| {
            let count = cells.iter().filter(|c| c.score.status == status).count();
            (status, u32::try_from(count).unwrap_or(u32::MAX))
        })
        .collect();
    let columns = tactics
        .iter()
        .map(|tactic| {
            let techniques: Vec<HeatmapCell> = cells
                .iter()
                .filter(|c| c.technique.tactics.contains(&tactic.shortname))
                .cloned()
                .collect();
            let score = weighted_mean(
                &techniques
                    .iter()
                    .map(|c| (c.rolled_score, 1.0))
                    .collect::<Vec<_>>(),
            );
            let mut outcomes = OutcomeSplit::default();
            for technique in &techniques {
                outcomes.merge(&technique.outcomes);
            }
            HeatmapColumn {
                tactic: tactic.clone(),
                score,
                outcomes,
                techniques,
            }
        })
        .collect();
    Heatmap {
        columns,
        organization_score,
        threat_weighted_score,
        status_counts,
    }
}
