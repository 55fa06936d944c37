//! Risk: each technique's risk for the organization assessed from its detection proof, the
//! threat actors in scope, recent intelligence and failed tests (`domain::risk`), stored with
//! its breakdown and recomputed when an input moves: on a validation (in its unit of work), on
//! a change of tracked actors or intelligence, on request and by the daily job. The read
//! models: the ranked list, the likelihood x impact matrix, the summary and the recommendations.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use aegis_domain::catalog::TechniqueId;
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::Action;
use aegis_domain::ports::{
    CatalogRepository, CoverageRepository, RepositoryError, RiskRepository, TechniqueFilter,
    TechniqueSummary, TemplateRepository, TrackedActorRepository,
};
use aegis_domain::risk::{
    DetectionProof, OutcomeSplit, Recommendation, RiskInputs, RiskLevel, RiskPolicy, TechniqueRisk,
    assess, rank, recommend,
};
use aegis_domain::scoring::StoredScore;
use aegis_domain::template::{TemplateFilter, TemplateSource};
use aegis_domain::tenant::TenantId;

use crate::audit_trail::{self, Change};
use crate::context::{Actor, Forbidden, RequestContext};
use crate::coverage::ThreatByTechnique;
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::ports::{Clock, Database, IdGenerator};

#[derive(Debug, thiserror::Error)]
pub enum RiskError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("invalid risk request")]
    Invalid(Vec<FieldError>),
    #[error("technique not found")]
    TechniqueNotFound,
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for RiskError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl Classified for RiskError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::TechniqueNotFound => ErrorKind::NotFound,
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::TechniqueNotFound => "TECHNIQUE_NOT_FOUND",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

/// The order of the risk list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RiskSort {
    /// Most urgent first.
    #[default]
    ScoreDesc,
    ScoreAsc,
    /// By ATT&CK id.
    Technique,
}

/// Filters of the risk list; `None` means any.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RiskFilter {
    pub level: Option<RiskLevel>,
    /// Tactic shortname (`credential-access`).
    pub tactic: Option<String>,
    pub min_score: Option<f64>,
    /// Only techniques actors in scope use.
    pub used_by_actors: Option<bool>,
    pub sort: RiskSort,
}

/// A stored risk with what the catalog says of its technique.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskEntry {
    pub risk: TechniqueRisk,
    pub name: String,
    pub tactics: Vec<String>,
}

/// One cell of the likelihood x impact matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixCell {
    pub likelihood: u8,
    pub impact: u8,
    pub count: u32,
    /// Most urgent first.
    pub techniques: Vec<TechniqueId>,
}

/// The organization's risk at a glance.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskSummary {
    pub techniques: u32,
    /// Techniques per level, every level present.
    pub by_level: BTreeMap<String, u32>,
    pub average_score: Option<f64>,
    pub highest: Option<RiskEntry>,
    /// Techniques of level high or critical with no proven detection.
    pub unproven_high: u32,
    pub computed_at: Option<DateTime<Utc>>,
}

/// How validated tests went per technique and tactic.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DetectionPerformance {
    pub overall: OutcomeSplit,
    pub by_technique: BTreeMap<TechniqueId, OutcomeSplit>,
    pub by_tactic: BTreeMap<String, OutcomeSplit>,
}

#[derive(Clone)]
pub struct RiskService {
    database: Arc<dyn Database>,
    catalog: Arc<dyn CatalogRepository>,
    templates: Arc<dyn TemplateRepository>,
    tracking: Arc<dyn TrackedActorRepository>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    policy: Arc<RiskPolicy>,
}

/// Assesses one technique from what was read, given the proof the coverage room stored.
#[expect(
    clippy::too_many_arguments,
    reason = "one argument per input of the model, named at each call"
)]
pub(crate) fn assess_from(
    technique: TechniqueId,
    proof: Option<&StoredScore>,
    actors: u32,
    tracked: bool,
    signals: u32,
    outcomes: Option<&OutcomeSplit>,
    policy: &RiskPolicy,
    now: DateTime<Utc>,
) -> TechniqueRisk {
    let mut inputs = RiskInputs::new(detection_proof(proof));
    inputs.actors = actors;
    inputs.tracked_actors = tracked;
    inputs.intelligence_signals = signals;
    if let Some(outcomes) = outcomes {
        inputs.validated_tests = outcomes.total();
        inputs.failed_tests = outcomes.failed();
    }
    assess(technique, inputs, policy, now)
}

/// The proof of detection risk reads: today the coverage room's status and score per
/// technique. The detection lifecycle's proven assets plug in here.
pub(crate) fn detection_proof(stored: Option<&StoredScore>) -> DetectionProof {
    stored.map_or(DetectionProof::NONE, |s| {
        DetectionProof::from_coverage(s.score.status, s.score.score)
    })
}

/// Recomputes and stores one technique's risk inside the caller's unit of work (a validation
/// moved its proof and failed tests). `threat` is the actors in scope per technique.
///
/// # Errors
/// `RepositoryError` from reading the inputs or saving the risk.
pub(crate) async fn refresh_technique<R>(
    repositories: &R,
    tenant: TenantId,
    technique: &TechniqueId,
    threat: &ThreatByTechnique,
    tracked: bool,
    policy: &RiskPolicy,
    now: DateTime<Utc>,
) -> Result<TechniqueRisk, RepositoryError>
where
    R: CoverageRepository + RiskRepository + ?Sized,
{
    let proof = repositories.technique_score(tenant, technique).await?;
    let mut outcomes = OutcomeSplit::default();
    for observation in repositories
        .validated_observations(tenant, Some(technique))
        .await?
    {
        outcomes.add(&observation);
    }
    let since = now - chrono::Duration::days(policy.signal_window_days);
    let signals = repositories
        .intelligence_signals(since, Some(technique))
        .await?
        .get(technique.as_str())
        .copied()
        .unwrap_or(0);
    let risk = assess_from(
        technique.clone(),
        proof.as_ref(),
        threat.get(technique).copied().unwrap_or(0),
        tracked,
        signals,
        Some(&outcomes),
        policy,
        now,
    );
    repositories.save_risk(tenant, &risk).await?;
    Ok(risk)
}

fn matrix_filter() -> TechniqueFilter {
    TechniqueFilter {
        include_subtechniques: true,
        ..TechniqueFilter::default()
    }
}

impl RiskService {
    pub(crate) fn new(
        database: Arc<dyn Database>,
        catalog: Arc<dyn CatalogRepository>,
        templates: Arc<dyn TemplateRepository>,
        tracking: Arc<dyn TrackedActorRepository>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        policy: Arc<RiskPolicy>,
    ) -> Self {
        Self {
            database,
            catalog,
            templates,
            tracking,
            clock,
            ids,
            policy,
        }
    }

    pub fn policy(&self) -> &RiskPolicy {
        &self.policy
    }

    /// Recomputes the organization's risk over the whole matrix on a lead's request.
    /// Returns how many techniques were assessed.
    ///
    /// # Errors
    /// `Forbidden` unless a lead or admin.
    pub async fn compute(&self, actor: &Actor, context: &RequestContext) -> Result<u64, RiskError> {
        actor.authorize(Action::TakeSnapshot)?;
        let (uow, assessed) = self.recompute_in(actor.tenant_id).await?;
        let change = Change {
            tenant: actor.tenant_id,
            actor: Some(actor.user_id),
            action: "risk.computed",
            entity_type: "technique_risk",
            entity_id: None,
            details: serde_json::json!({ "techniques": assessed }),
        };
        audit_trail::record(
            self.clock.as_ref(),
            self.ids.as_ref(),
            uow.as_ref(),
            context,
            change,
        )
        .await?;
        uow.commit().await?;
        Ok(assessed)
    }

    /// Recomputes one organization's risk (its tracked actors or the intelligence changed).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    pub async fn recompute_tenant(&self, tenant: TenantId) -> Result<u64, RepositoryError> {
        let (uow, assessed) = self.recompute_in(tenant).await?;
        uow.commit().await?;
        Ok(assessed)
    }

    /// Recomputes every organization's risk: the daily job, and after an intelligence import.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    pub async fn recompute_all(&self) -> Result<u64, RepositoryError> {
        let mut assessed = 0;
        for tenant in self.database.list_tenants().await? {
            assessed += self.recompute_tenant(tenant.id).await?;
        }
        Ok(assessed)
    }

    /// Assesses every technique of the matrix (and any scored technique outside it) and
    /// replaces the stored risks, in a unit of work the caller commits.
    async fn recompute_in(
        &self,
        tenant: TenantId,
    ) -> Result<(Box<dyn crate::ports::UnitOfWork>, u64), RepositoryError> {
        let now = self.clock.now();
        // Global reads first: on SQLite the unit of work holds the one connection.
        let techniques = self.catalog.all_techniques(&matrix_filter()).await?;
        let tracked = !self.tracking.tracked_actors(tenant).await?.is_empty();
        let threat =
            crate::coverage::actors_in_scope(self.tracking.as_ref(), self.catalog.as_ref(), tenant)
                .await?;
        let uow = self.database.begin().await?;
        let scores: HashMap<TechniqueId, StoredScore> = uow
            .technique_scores(tenant)
            .await?
            .into_iter()
            .map(|s| (s.technique_id.clone(), s))
            .collect();
        let mut outcomes: HashMap<TechniqueId, OutcomeSplit> = HashMap::new();
        for observation in uow.validated_observations(tenant, None).await? {
            outcomes
                .entry(observation.technique_id.clone())
                .or_default()
                .add(&observation);
        }
        let since = now - chrono::Duration::days(self.policy.signal_window_days);
        let signals = uow.intelligence_signals(since, None).await?;
        let mut ids: Vec<TechniqueId> = techniques.into_iter().map(|t| t.mitre_id).collect();
        ids.extend(scores.keys().cloned());
        ids.sort();
        ids.dedup();
        let risks: Vec<TechniqueRisk> = ids
            .into_iter()
            .map(|id| {
                let signals = signals.get(id.as_str()).copied().unwrap_or(0);
                let actors = threat.get(&id).copied().unwrap_or(0);
                assess_from(
                    id.clone(),
                    scores.get(&id),
                    actors,
                    tracked,
                    signals,
                    outcomes.get(&id),
                    &self.policy,
                    now,
                )
            })
            .collect();
        uow.replace_risks(tenant, &risks).await?;
        let assessed = u64::try_from(risks.len()).unwrap_or(u64::MAX);
        Ok((uow, assessed))
    }

    /// Every stored risk joined with the catalog, most urgent first.
    async fn entries(&self, tenant: TenantId) -> Result<Vec<RiskEntry>, RiskError> {
        let catalog: HashMap<TechniqueId, TechniqueSummary> = self
            .catalog
            .all_techniques(&TechniqueFilter {
                include_revoked: true,
                ..matrix_filter()
            })
            .await?
            .into_iter()
            .map(|t| (t.mitre_id.clone(), t))
            .collect();
        let mut risks = self.database.risks(tenant).await?;
        rank(&mut risks);
        Ok(risks
            .into_iter()
            .map(|risk| {
                let (name, tactics) = catalog
                    .get(&risk.technique_id)
                    .map(|t| (t.name.clone(), t.tactics.clone()))
                    .unwrap_or_default();
                RiskEntry {
                    risk,
                    name,
                    tactics,
                }
            })
            .collect())
    }

    /// The organization's risks, filtered and sorted.
    ///
    /// # Errors
    /// `Forbidden` for a role that cannot read operations; `Invalid` for a minimum score
    /// outside 0..=100.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &RiskFilter,
        page: PageRequest,
    ) -> Result<Page<RiskEntry>, RiskError> {
        actor.authorize(Action::ReadOperations)?;
        if let Some(min) = filter.min_score
            && !(0.0..=100.0).contains(&min)
        {
            return Err(RiskError::Invalid(vec![FieldError::new(
                "min_score",
                "must be between 0 and 100",
            )]));
        }
        let mut entries: Vec<RiskEntry> = self
            .entries(actor.tenant_id)
            .await?
            .into_iter()
            .filter(|e| filter.level.is_none_or(|level| e.risk.level == level))
            .filter(|e| filter.min_score.is_none_or(|min| e.risk.score >= min))
            .filter(|e| {
                filter
                    .tactic
                    .as_deref()
                    .is_none_or(|tactic| e.tactics.iter().any(|t| t == tactic))
            })
            .filter(|e| {
                filter
                    .used_by_actors
                    .is_none_or(|used| (e.risk.inputs.actors > 0) == used)
            })
            .collect();
        match filter.sort {
            RiskSort::ScoreDesc => {}
            RiskSort::ScoreAsc => entries.reverse(),
            RiskSort::Technique => {
                entries.sort_by(|a, b| a.risk.technique_id.cmp(&b.risk.technique_id));
            }
        }
        let total = u64::try_from(entries.len()).unwrap_or(u64::MAX);
        let items = entries
            .into_iter()
            .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
            .take(usize::try_from(page.per_page()).unwrap_or(usize::MAX))
            .collect();
        Ok(Page {
            items,
            total,
            request: page,
        })
    }

    /// The most urgent `limit` techniques (1..=100).
    ///
    /// # Errors
    /// `Forbidden`; `Invalid` for a limit out of range.
    pub async fn top(&self, actor: &Actor, limit: u32) -> Result<Vec<RiskEntry>, RiskError> {
        actor.authorize(Action::ReadOperations)?;
        let limit = checked_limit(limit)?;
        let mut entries = self.entries(actor.tenant_id).await?;
        entries.truncate(limit);
        Ok(entries)
    }

    /// The 5 x 5 likelihood x impact matrix, every cell present, likelihood 5 first.
    ///
    /// # Errors
    /// `Forbidden` for a role that cannot read operations.
    pub async fn matrix(&self, actor: &Actor) -> Result<Vec<MatrixCell>, RiskError> {
        actor.authorize(Action::ReadOperations)?;
        let mut risks = self.database.risks(actor.tenant_id).await?;
        rank(&mut risks);
        let mut cells = Vec::with_capacity(25);
        for likelihood in (1..=5).rev() {
            for impact in 1..=5 {
                let techniques: Vec<TechniqueId> = risks
                    .iter()
                    .filter(|r| r.likelihood == likelihood && r.impact == impact)
                    .map(|r| r.technique_id.clone())
                    .collect();
                cells.push(MatrixCell {
                    likelihood,
                    impact,
                    count: u32::try_from(techniques.len()).unwrap_or(u32::MAX),
                    techniques,
                });
            }
        }
        Ok(cells)
    }

    /// # Errors
    /// `Forbidden` for a role that cannot read operations.
    pub async fn summary(&self, actor: &Actor) -> Result<RiskSummary, RiskError> {
        actor.authorize(Action::ReadOperations)?;
        let entries = self.entries(actor.tenant_id).await?;
        let mut by_level: BTreeMap<String, u32> = RiskLevel::ALL
            .iter()
            .map(|l| (l.as_str().to_owned(), 0))
            .collect();
        for entry in &entries {
            *by_level
                .entry(entry.risk.level.as_str().to_owned())
                .or_default() += 1;
        }
        let count = u32::try_from(entries.len()).unwrap_or(u32::MAX);
        let average_score = (!entries.is_empty()).then(|| {
            let sum: f64 = entries.iter().map(|e| e.risk.score).sum();
            (sum / f64::from(count) * 10.0).round() / 10.0
        });
        let unproven_high = entries
            .iter()
            .filter(|e| e.risk.level >= RiskLevel::High && !e.risk.inputs.proof().is_proven())
            .count();
        Ok(RiskSummary {
            techniques: count,
            by_level,
            average_score,
            computed_at: entries.iter().map(|e| e.risk.computed_at).max(),
            unproven_high: u32::try_from(unproven_high).unwrap_or(u32::MAX),
            highest: entries.into_iter().next(),
        })
    }

    /// Ordered actions, each with its reason, for the most urgent techniques that call for
    /// one (at most `limit`, 1..=100).
    ///
    /// # Errors
    /// `Forbidden`; `Invalid` for a limit out of range.
    pub async fn recommendations(
        &self,
        actor: &Actor,
        limit: u32,
    ) -> Result<Vec<Recommendation>, RiskError> {
        actor.authorize(Action::ReadOperations)?;
        let limit = checked_limit(limit)?;
        let mut advice = Vec::new();
        for entry in self.entries(actor.tenant_id).await? {
            if advice.len() >= limit {
                break;
            }
            if entry.risk.level == RiskLevel::Info {
                break;
            }
            let template = self.atomic_test_of(&entry.risk.technique_id).await?;
            if let Some(recommendation) = recommend(&entry.risk, &entry.name, template.as_deref()) {
                advice.push(recommendation);
            }
        }
        Ok(advice)
    }

    /// The first Atomic test of the technique, by name.
    async fn atomic_test_of(&self, technique: &TechniqueId) -> Result<Option<String>, RiskError> {
        let page = self
            .templates
            .list_templates(
                &TemplateFilter {
                    source: Some(TemplateSource::Atomic),
                    technique: Some(technique.to_string()),
                    ..TemplateFilter::default()
                },
                PageRequest::new(1, 1),
            )
            .await?;
        Ok(page.items.into_iter().next().map(|t| t.name))
    }

    /// One technique's stored risk with its catalog entry.
    ///
    /// # Errors
    /// `Forbidden`; `TechniqueNotFound` when the technique has no stored risk.
    pub async fn technique(
        &self,
        actor: &Actor,
        technique: &TechniqueId,
    ) -> Result<RiskEntry, RiskError> {
        actor.authorize(Action::ReadOperations)?;
        self.entries(actor.tenant_id)
            .await?
            .into_iter()
            .find(|e| &e.risk.technique_id == technique)
            .ok_or(RiskError::TechniqueNotFound)
    }

    /// How validated tests split into prevented, detected, logged only and missed, and how
    /// long detection took, overall, per technique and per tactic.
    ///
    /// # Errors
    /// `Forbidden` for a role that cannot read operations.
    pub async fn detection_performance(
        &self,
        actor: &Actor,
    ) -> Result<DetectionPerformance, RiskError> {
        actor.authorize(Action::ReadOperations)?;
        let catalog: HashMap<TechniqueId, Vec<String>> = self
            .catalog
            .all_techniques(&TechniqueFilter {
                include_revoked: true,
                ..matrix_filter()
            })
            .await?
            .into_iter()
            .map(|t| (t.mitre_id, t.tactics))
            .collect();
        let mut performance = DetectionPerformance::default();
        for observation in self
            .database
            .validated_observations(actor.tenant_id, None)
            .await?
        {
            performance.overall.add(&observation);
            // A sub-technique's tactics are its own; one the catalog lacks counts under none.
            if let Some(tactics) = catalog.get(&observation.technique_id) {
                for tactic in tactics {
                    performance
                        .by_tactic
                        .entry(tactic.clone())
                        .or_default()
                        .add(&observation);
                }
            }
            performance
                .by_technique
                .entry(observation.technique_id.clone())
                .or_default()
                .add(&observation);
        }
        Ok(performance)
    }
}

fn checked_limit(limit: u32) -> Result<usize, RiskError> {
    if !(1..=100).contains(&limit) {
        return Err(RiskError::Invalid(vec![FieldError::new(
            "limit",
            "must be between 1 and 100",
        )]));
    }
    Ok(usize::try_from(limit).unwrap_or(100))
}
