//! Detection rules: imported from the public rule sets, listed, shown with their technique,
//! and counted by the scoring engine.

use std::sync::Arc;

use aegis_domain::detection::{DetectionRule, ImportCounts, RuleFilter, RuleSource, RuleSummary};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::Action;
use aegis_domain::ports::{
    CatalogRepository, CountermeasureRepository, RepositoryError, RuleRepository,
};
use aegis_domain::technique_lineage::{LegacyTechnique, NamedTechniques};

use crate::catalog::FeedError;
use crate::context::{Actor, Forbidden, Initiator};
use crate::coverage::CoverageService;
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::ports::Clock;

/// What a rule feed yields: the rules it could read, and the files it could not, with why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleBatch {
    pub rules: Vec<DetectionRule>,
    pub skipped: Vec<(String, String)>,
}

/// A source of detection rules: a directory, an archive, a download.
#[async_trait::async_trait]
pub trait RuleFeed: Send + Sync {
    fn source(&self) -> RuleSource;
    fn describe(&self) -> String;
    /// # Errors
    /// `FeedError` when the source as a whole cannot be read.
    async fn fetch(&self) -> Result<RuleBatch, FeedError>;
}

/// What a D3FEND feed yields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountermeasureBatch {
    pub countermeasures: Vec<aegis_domain::detection::Countermeasure>,
    pub skipped: Vec<(String, String)>,
}

/// A source of D3FEND countermeasures: API responses on disk or online.
#[async_trait::async_trait]
pub trait CountermeasureFeed: Send + Sync {
    fn describe(&self) -> String;
    /// # Errors
    /// `FeedError` when the source as a whole cannot be read.
    async fn fetch(&self) -> Result<CountermeasureBatch, FeedError>;
}

/// How a D3FEND import went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountermeasureImportReport {
    pub counts: ImportCounts,
    pub skipped: Vec<(String, String)>,
    pub rescored: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("detection rule not found")]
    NotFound,
    #[error(transparent)]
    Feed(#[from] FeedError),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for RuleError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl Classified for RuleError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::NotFound => ErrorKind::NotFound,
            Self::Feed(e) => ErrorKind::Invalid(vec![FieldError::new("source", e.to_string())]),
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound => "DETECTION_RULE_NOT_FOUND",
            Self::Feed(_) => "FEED_UNREADABLE",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

/// How an import went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleImportReport {
    pub source: RuleSource,
    pub counts: ImportCounts,
    /// Files or rules not imported, with why.
    pub skipped: Vec<(String, String)>,
    /// Technique ids the rules name that this catalog does not hold under any form (a newer
    /// ATT&CK release, another ATT&CK domain, or a mistake): kept, they resolve when an
    /// ATT&CK import brings them.
    pub unresolved_techniques: Vec<String>,
    /// Revoked ids the rules name, each with the technique the rules count under.
    pub replaced_techniques: Vec<LegacyTechnique>,
    /// Deprecated ids the rules name (or revoked ones without a successor).
    pub retired_techniques: Vec<String>,
    pub rescored: u64,
}

#[derive(Clone)]
pub struct RuleService {
    catalog: Arc<dyn CatalogRepository>,
    rules: Arc<dyn RuleRepository>,
    countermeasures: Arc<dyn CountermeasureRepository>,
    clock: Arc<dyn Clock>,
    coverage: CoverageService,
    lifecycle: crate::detection_lifecycle::DetectionLifecycleService,
}

impl RuleService {
    pub(crate) fn new(
        catalog: Arc<dyn CatalogRepository>,
        rules: Arc<dyn RuleRepository>,
        countermeasures: Arc<dyn CountermeasureRepository>,
        clock: Arc<dyn Clock>,
        coverage: CoverageService,
        lifecycle: crate::detection_lifecycle::DetectionLifecycleService,
    ) -> Self {
        Self {
            catalog,
            rules,
            countermeasures,
            clock,
            coverage,
            lifecycle,
        }
    }

    /// Imports a feed's rules (upserted by their own ids, in one transaction) and rescores
    /// coverage, since rules count in it.
    ///
    /// # Errors
    /// `Forbidden` unless the initiator manages the catalog; `Feed` when the feed cannot be
    /// read at all.
    pub async fn import(
        &self,
        initiator: &Initiator,
        feed: &dyn RuleFeed,
    ) -> Result<RuleImportReport, RuleError> {
        initiator.authorize(Action::ManageCatalog)?;
        self.apply_rule_feed(feed).await
    }

    /// The import itself, for callers that have authorized it (the feed-sync job).
    pub(crate) async fn apply_rule_feed(
        &self,
        feed: &dyn RuleFeed,
    ) -> Result<RuleImportReport, RuleError> {
        let batch = feed.fetch().await?;
        let mut skipped = batch.skipped;
        let mut seen: std::collections::HashMap<String, String> = std::collections::HashMap::new();
        let mut rules = Vec::with_capacity(batch.rules.len());
        for rule in batch.rules {
            if let Some(first) = seen.get(&rule.source_id) {
                skipped.push((
                    rule.path.clone(),
                    format!("duplicate id {} (kept the one in {first})", rule.source_id),
                ));
                continue;
            }
            seen.insert(rule.source_id.clone(), rule.path.clone());
            rules.push(rule);
        }
        let counts = self
            .rules
            .apply_rules(feed.source(), &rules, self.clock.now())
            .await?;
        // Assets made from a rule whose published text changed take the new text, and their
        // proofs end: the detection that was proven is not the one that runs now.
        let proofs_ended = self
            .lifecycle
            .rules_reimported(&rules)
            .await
            .map_err(|e| RuleError::Unexpected(e.to_string()))?;
        let named = named_techniques(
            self.catalog.as_ref(),
            rules
                .iter()
                .flat_map(|r| r.techniques.iter().map(String::as_str)),
        )
        .await?;
        let known: Vec<aegis_domain::catalog::TechniqueId> = named
            .counted
            .iter()
            .filter_map(|id| aegis_domain::catalog::TechniqueId::parse(id).ok())
            .collect();
        // A re-import that changed no rule changed no score: nothing to recompute.
        let rescored = if counts.created + counts.updated == 0 {
            0
        } else {
            self.coverage
                .recompute_with(&known)
                .await
                .map_err(|e| RuleError::Unexpected(e.to_string()))?
        };
        tracing::info!(source = %feed.describe(), ?counts, skipped = skipped.len(), proofs_ended, "detection rules imported");
        Ok(RuleImportReport {
            source: feed.source(),
            counts,
            skipped,
            unresolved_techniques: named.unknown,
            replaced_techniques: named.replaced,
            retired_techniques: named.retired,
            rescored,
        })
    }

    /// Imports D3FEND countermeasures (upserted by D3FEND id, in one transaction) and
    /// rescores the techniques they counter.
    ///
    /// # Errors
    /// `Forbidden` unless the initiator manages the catalog; `Feed` when the feed cannot be
    /// read at all.
    pub async fn import_countermeasures(
        &self,
        initiator: &Initiator,
        feed: &dyn CountermeasureFeed,
    ) -> Result<CountermeasureImportReport, RuleError> {
        initiator.authorize(Action::ManageCatalog)?;
        self.apply_countermeasure_feed(feed).await
    }

    /// The import itself, for callers that have authorized it (the feed-sync job).
    pub(crate) async fn apply_countermeasure_feed(
        &self,
        feed: &dyn CountermeasureFeed,
    ) -> Result<CountermeasureImportReport, RuleError> {
        let batch = feed.fetch().await?;
        let counts = self
            .countermeasures
            .apply_countermeasures(&batch.countermeasures, self.clock.now())
            .await?;
        let mut countered: Vec<aegis_domain::catalog::TechniqueId> = batch
            .countermeasures
            .iter()
            .flat_map(|c| c.techniques.iter())
            .filter_map(|t| aegis_domain::catalog::TechniqueId::parse(t).ok())
            .collect();
        countered.sort();
        countered.dedup();
        let catalog = catalog_ids(self.catalog.as_ref()).await?;
        countered.retain(|t| catalog.contains(t));
        let rescored = if counts.created + counts.updated == 0 {
            0
        } else {
            self.coverage
                .recompute_with(&countered)
                .await
                .map_err(|e| RuleError::Unexpected(e.to_string()))?
        };
        tracing::info!(source = %feed.describe(), ?counts, "D3FEND countermeasures imported");
        Ok(CountermeasureImportReport {
            counts,
            skipped: batch.skipped,
            rescored,
        })
    }

    /// # Errors
    /// `Forbidden` for a role that cannot read the catalog.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &RuleFilter,
        page: PageRequest,
    ) -> Result<Page<RuleSummary>, RuleError> {
        actor.authorize(Action::ReadCatalog)?;
        Ok(self.rules.list_rules(filter, page).await?)
    }

    /// A rule with its whole text, licence and attribution.
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`.
    pub async fn get(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
    ) -> Result<(RuleSummary, DetectionRule), RuleError> {
        actor.authorize(Action::ReadCatalog)?;
        self.rules.find_rule(id).await?.ok_or(RuleError::NotFound)
    }

    /// The rules tagged with a technique, for its detail page.
    ///
    /// # Errors
    /// `Forbidden` for a role that cannot read the catalog.
    pub async fn of_technique(
        &self,
        actor: &Actor,
        technique: &str,
    ) -> Result<Vec<RuleSummary>, RuleError> {
        actor.authorize(Action::ReadCatalog)?;
        Ok(self.rules.rules_for_technique(technique).await?)
    }
}

/// Every current technique id the catalog holds.
pub(crate) async fn catalog_ids(
    catalog: &dyn CatalogRepository,
) -> Result<std::collections::HashSet<aegis_domain::catalog::TechniqueId>, RepositoryError> {
    Ok(catalog
        .all_techniques(&aegis_domain::ports::TechniqueFilter {
            include_subtechniques: true,
            ..aegis_domain::ports::TechniqueFilter::default()
        })
        .await?
        .into_iter()
        .map(|t| t.mitre_id)
        .collect())
}

/// The technique ids an import names, sorted by what the catalog makes of them: current,
/// revoked (with the successor they count under), deprecated, or unknown to this catalog.
pub(crate) async fn named_techniques<'a>(
    catalog: &dyn CatalogRepository,
    ids: impl Iterator<Item = &'a str>,
) -> Result<NamedTechniques, RepositoryError> {
    let lineage = catalog.technique_lineage().await?;
    Ok(NamedTechniques::sort(&lineage, ids))
}
