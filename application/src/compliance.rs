//! Compliance through ATT&CK: imported control → technique mappings, and each control's
//! coverage from the organization's validated tests of its techniques.

use std::sync::Arc;

use std::collections::HashMap;

use aegis_domain::compliance::{
    ControlCoverage, ControlMapping, ControlStatus, Crosswalk, Framework, FrameworkSummary,
    control_coverage, derive_mappings,
};
use aegis_domain::feed::ImportCounts;
use aegis_domain::permission::Action;
use aegis_domain::ports::{ComplianceRepository, RepositoryError};

use crate::catalog::FeedError;
use crate::context::{Actor, Forbidden, Initiator};
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::ports::{Clock, Database};

/// What a compliance feed yields: each file's framework and mappings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComplianceBatch {
    pub frameworks: Vec<(Framework, Vec<ControlMapping>)>,
    /// Frameworks reached through another's mappings (ISO 27001, NIST CSF via SP 800-53).
    pub crosswalks: Vec<Crosswalk>,
    pub skipped: Vec<(String, String)>,
}

/// A source of compliance mappings.
#[async_trait::async_trait]
pub trait ComplianceFeed: Send + Sync {
    fn describe(&self) -> String;
    /// # Errors
    /// `FeedError` when the source as a whole cannot be read.
    async fn fetch(&self) -> Result<ComplianceBatch, FeedError>;
}

#[derive(Debug, thiserror::Error)]
pub enum ComplianceError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("framework not found")]
    NotFound,
    #[error(transparent)]
    Feed(#[from] FeedError),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for ComplianceError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl Classified for ComplianceError {
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
            Self::NotFound => "FRAMEWORK_NOT_FOUND",
            Self::Feed(_) => "FEED_UNREADABLE",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

/// How an import went, per framework.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplianceImportReport {
    pub frameworks: Vec<(String, ImportCounts)>,
    pub skipped: Vec<(String, String)>,
}

impl ComplianceImportReport {
    /// The mappings of every framework together.
    #[must_use]
    pub fn totals(&self) -> ImportCounts {
        self.frameworks
            .iter()
            .fold(ImportCounts::default(), |sum, (_, c)| ImportCounts {
                created: sum.created + c.created,
                updated: sum.updated + c.updated,
                unchanged: sum.unchanged + c.unchanged,
            })
    }
}

/// A framework's controls with their coverage, and its totals.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameworkCoverage {
    pub framework: Framework,
    /// Reached through another framework's mappings by a crosswalk, not mapped directly.
    pub derived: bool,
    pub controls: Vec<ControlCoverage>,
    /// Percent of controls covered, and of controls with at least one validated technique.
    pub covered_percent: f64,
    pub touched_percent: f64,
}

#[derive(Clone)]
pub struct ComplianceService {
    database: Arc<dyn Database>,
    compliance: Arc<dyn ComplianceRepository>,
    clock: Arc<dyn Clock>,
}

impl ComplianceService {
    pub(crate) fn new(
        database: Arc<dyn Database>,
        compliance: Arc<dyn ComplianceRepository>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            database,
            compliance,
            clock,
        }
    }

    /// Imports each framework of the feed; a framework's mappings are replaced as a whole.
    ///
    /// # Errors
    /// `Forbidden` unless the initiator manages the catalog; `Feed` when nothing can be read.
    pub async fn import(
        &self,
        initiator: &Initiator,
        feed: &dyn ComplianceFeed,
    ) -> Result<ComplianceImportReport, ComplianceError> {
        initiator.authorize(Action::ManageCatalog)?;
        self.apply_feed(feed).await
    }

    /// The import itself, for callers that have authorized it (the feed-sync job).
    pub(crate) async fn apply_feed(
        &self,
        feed: &dyn ComplianceFeed,
    ) -> Result<ComplianceImportReport, ComplianceError> {
        let batch = feed.fetch().await?;
        let mut skipped = batch.skipped;
        let mut newest: Vec<(Framework, Vec<ControlMapping>)> = Vec::new();
        // Several files may map one framework against different ATT&CK releases: the newest
        // release wins, so that importing a folder of them is stable.
        for (framework, mappings) in batch.frameworks {
            match newest.iter_mut().find(|(f, _)| f.id == framework.id) {
                Some(kept)
                    if attack_release(&kept.0.attack_version)
                        >= attack_release(&framework.attack_version) =>
                {
                    skipped.push((
                        framework.id.clone(),
                        format!(
                            "a mapping against ATT&CK {}; kept the one against ATT&CK {}",
                            framework.attack_version, kept.0.attack_version
                        ),
                    ));
                }
                Some(kept) => {
                    skipped.push((
                        kept.0.id.clone(),
                        format!(
                            "a mapping against ATT&CK {}; kept the one against ATT&CK {}",
                            kept.0.attack_version, framework.attack_version
                        ),
                    ));
                    *kept = (framework, mappings);
                }
                None => newest.push((framework, mappings)),
            }
        }
        let mut frameworks = Vec::new();
        for (framework, mappings) in &newest {
            let counts = self
                .compliance
                .apply_framework(framework, mappings, self.clock.now())
                .await?;
            frameworks.push((framework.id.clone(), counts));
        }
        // Crosswalks after the direct mappings, so a folder holding both derives from the
        // mappings it just brought.
        for crosswalk in &batch.crosswalks {
            let Some((_, via)) = self.compliance.framework_mappings(&crosswalk.via).await? else {
                skipped.push((
                    crosswalk.target.id.clone(),
                    format!(
                        "derived through {}: import its mappings first",
                        crosswalk.via
                    ),
                ));
                continue;
            };
            let derived = derive_mappings(crosswalk, &via);
            let counts = self
                .compliance
                .apply_framework(&crosswalk.target, &derived, self.clock.now())
                .await?;
            frameworks.push((crosswalk.target.id.clone(), counts));
        }
        tracing::info!(source = %feed.describe(), frameworks = frameworks.len(), "compliance mappings imported");
        Ok(ComplianceImportReport {
            frameworks,
            skipped,
        })
    }

    /// # Errors
    /// `Forbidden` for a role that cannot read the catalog.
    pub async fn frameworks(
        &self,
        actor: &Actor,
    ) -> Result<Vec<FrameworkSummary>, ComplianceError> {
        actor.authorize(Action::ReadCatalog)?;
        Ok(self.compliance.frameworks().await?)
    }

    /// A framework's controls with the organization's coverage of each, optionally only those
    /// with one status (`gap` lists the controls no validated technique backs, with the
    /// techniques whose tests would close them).
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`.
    pub async fn framework(
        &self,
        actor: &Actor,
        id: &str,
        status: Option<ControlStatus>,
    ) -> Result<FrameworkCoverage, ComplianceError> {
        actor.authorize(Action::ReadCatalog)?;
        let (framework, mappings) = self
            .compliance
            .framework_mappings(id)
            .await?
            .ok_or(ComplianceError::NotFound)?;
        let scores: HashMap<String, (f64, aegis_domain::scoring::CoverageStatus)> = self
            .database
            .technique_scores(actor.tenant_id)
            .await?
            .into_iter()
            .map(|s| (s.technique_id.to_string(), (s.score.score, s.score.status)))
            .collect();
        let derived = !mappings.is_empty() && mappings.iter().all(|m| m.mapping_type == "derived");
        let controls = control_coverage(&mappings, &scores);
        let percent = |n: usize| {
            if controls.is_empty() {
                0.0
            } else {
                (n as f64 * 1000.0 / controls.len() as f64).round() / 10.0
            }
        };
        let covered = controls
            .iter()
            .filter(|c| c.status == ControlStatus::Covered)
            .count();
        let touched = controls
            .iter()
            .filter(|c| c.status != ControlStatus::Gap)
            .count();
        Ok(FrameworkCoverage {
            derived,
            covered_percent: percent(covered),
            touched_percent: percent(touched),
            controls: controls
                .into_iter()
                .filter(|c| status.is_none_or(|s| c.status == s))
                .collect(),
            framework,
        })
    }
}

/// An ATT&CK release as comparable numbers (`16.1` → `[16, 1]`).
fn attack_release(version: &str) -> Vec<u32> {
    version
        .split('.')
        .map(|part| part.trim().parse().unwrap_or(0))
        .collect()
}
