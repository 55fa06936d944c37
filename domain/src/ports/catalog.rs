//! The catalog's port: global (no tenant), written by importers in one transaction per
//! import, read by everyone.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::catalog::{AttackRelease, Skipped, Tactic, Technique, TechniqueId, ThreatActor};
use crate::page::{Page, PageRequest};
use crate::ports::RepositoryError;

/// What one import did, per kind of object (`technique`, `threat_actor`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub counts: BTreeMap<String, ImportCounts>,
    /// Techniques whose name or description changed: flagged for review.
    pub flagged_for_review: Vec<String>,
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Objects that became revoked or deprecated in this import.
    pub revoked: u64,
}

impl ImportReport {
    pub fn totals(&self) -> ImportCounts {
        self.counts
            .values()
            .fold(ImportCounts::default(), |sum, c| ImportCounts {
                created: sum.created + c.created,
                updated: sum.updated + c.updated,
                unchanged: sum.unchanged + c.unchanged,
                revoked: sum.revoked + c.revoked,
            })
    }

    /// True when the import changed nothing at all.
    pub fn is_unchanged(&self) -> bool {
        let totals = self.totals();
        totals.created == 0 && totals.updated == 0
    }
}

/// Filters of the technique list; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TechniqueFilter {
    /// Tactic shortname (`initial-access`) or id (`TA0001`).
    pub tactic: Option<String>,
    pub platform: Option<String>,
    /// Case-insensitive text in the id, name or description.
    pub text: Option<String>,
    pub include_subtechniques: bool,
    pub include_revoked: bool,
    pub review_required: Option<bool>,
    /// Only techniques with this coverage status in this organization (never scored counts as
    /// not covered).
    pub coverage: Option<(crate::tenant::TenantId, crate::scoring::CoverageStatus)>,
    pub sort: TechniqueSort,
}

/// The order of a technique list; ties are broken by ATT&CK id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TechniqueSortKey {
    #[default]
    MitreId,
    Name,
    /// Last changed by MITRE (or by an admin, for custom techniques).
    Modified,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TechniqueSort {
    pub key: TechniqueSortKey,
    pub descending: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown sort `{0}`: expected mitre_id, name or modified, with `-` for descending")]
pub struct UnknownTechniqueSort(pub String);

impl std::str::FromStr for TechniqueSort {
    type Err = UnknownTechniqueSort;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (descending, name) = text
            .strip_prefix('-')
            .map_or((false, text), |rest| (true, rest));
        let key = match name {
            "mitre_id" => TechniqueSortKey::MitreId,
            "name" => TechniqueSortKey::Name,
            "modified" => TechniqueSortKey::Modified,
            _ => return Err(UnknownTechniqueSort(text.to_owned())),
        };
        Ok(Self { key, descending })
    }
}

/// A technique with what the catalog knows around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TechniqueDetail {
    pub technique: Technique,
    pub review_required: bool,
    pub subtechniques: Vec<TechniqueSummary>,
    pub mitigations: Vec<Named>,
    pub threat_actors: Vec<Named>,
    pub software: Vec<Named>,
}

/// A technique in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TechniqueSummary {
    pub mitre_id: TechniqueId,
    pub name: String,
    pub tactics: Vec<String>,
    pub platforms: Vec<String>,
    pub is_subtechnique: bool,
    pub revoked: bool,
    pub deprecated: bool,
    pub review_required: bool,
}

/// An object named by its ATT&CK id and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub mitre_id: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreatActorFilter {
    /// Case-insensitive text in the name, aliases or description.
    pub text: Option<String>,
    pub include_revoked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreatActorDetail {
    pub actor: ThreatActor,
    /// Techniques ATT&CK or merged intelligence says it uses.
    pub techniques: Vec<TechniqueSummary>,
    /// Intelligence merged into this actor (STIX bundles beyond ATT&CK).
    pub intel: Vec<crate::threat_intel::IntelActor>,
}

impl ThreatActorDetail {
    /// The ATT&CK ids of the techniques it uses, ATT&CK's and merged intelligence's (the latter
    /// including ids the catalog does not hold yet), sorted, each once.
    #[must_use]
    pub fn technique_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .techniques
            .iter()
            .map(|t| t.mitre_id.to_string())
            .chain(self.intel.iter().flat_map(|i| i.techniques.iter().cloned()))
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

/// The state of a catalog import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStatus {
    Running,
    Succeeded,
    Failed,
}

impl ImportStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Running, Self::Succeeded, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// One import of the catalog, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRun {
    pub id: uuid::Uuid,
    pub source: String,
    pub status: ImportStatus,
    pub requested_by: Option<crate::user::UserId>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Counts per kind, flagged techniques and skipped objects, when it succeeded.
    pub report: Option<serde_json::Value>,
    pub error: Option<String>,
}

#[async_trait]
pub trait CatalogRepository: Send + Sync {
    /// Records that an import starts.
    ///
    /// # Errors
    /// `Duplicate(Subject::RunningImport)` when another import started in the last hour is still
    /// running (one at a time; an older one is presumed dead).
    async fn begin_import(&self, run: &ImportRun) -> Result<(), RepositoryError>;

    /// Records how an import ended: its report, or why it failed.
    ///
    /// # Errors
    /// `NotFound(Entity::Import)`.
    async fn finish_import(
        &self,
        id: uuid::Uuid,
        outcome: Result<&ImportReport, &str>,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_import(&self, id: uuid::Uuid) -> Result<Option<ImportRun>, RepositoryError>;

    /// The most recent imports, newest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_imports(&self, limit: u64) -> Result<Vec<ImportRun>, RepositoryError>;

    /// Upserts the whole release in one transaction, keyed by STIX id, and reports what
    /// changed. Objects absent from the release are kept.
    ///
    /// # Errors
    /// `Unexpected` on storage failure; nothing is written then.
    async fn apply_attack_release(
        &self,
        release: &AttackRelease,
        at: DateTime<Utc>,
    ) -> Result<ImportReport, RepositoryError>;

    /// Flags (or clears) a technique for review; `NotFound(Entity::Technique)` when unknown.
    ///
    /// # Errors
    /// `NotFound` or `Unexpected`.
    async fn set_technique_review(
        &self,
        id: &TechniqueId,
        required: bool,
        reason: Option<&str>,
    ) -> Result<(), RepositoryError>;

    /// Adds an organization's own technique.
    ///
    /// # Errors
    /// `Duplicate(Subject::Technique)` when the id is taken.
    async fn insert_custom_technique(
        &self,
        technique: &Technique,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;

    /// Replaces a custom technique's content.
    ///
    /// # Errors
    /// `NotFound(Entity::CustomTechnique)` when no custom technique has this id (imported ones
    /// change only by import).
    async fn update_custom_technique(
        &self,
        technique: &Technique,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_tactics(&self) -> Result<Vec<Tactic>, RepositoryError>;

    /// Ordered by ATT&CK id.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_techniques(
        &self,
        filter: &TechniqueFilter,
        page: PageRequest,
    ) -> Result<Page<TechniqueSummary>, RepositoryError>;

    /// The current technique with this id (a revoked one only when no other holds it).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_technique(
        &self,
        id: &TechniqueId,
    ) -> Result<Option<TechniqueDetail>, RepositoryError>;

    /// Every technique the filter selects, ordered by ATT&CK id, unpaginated (the matrix).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn all_techniques(
        &self,
        filter: &TechniqueFilter,
    ) -> Result<Vec<TechniqueSummary>, RepositoryError>;

    /// How many current threat actors use each technique, a parent counting every actor of
    /// it or its sub-techniques once (`catalog::actors_per_technique`; techniques no actor
    /// uses are absent).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn actors_per_technique(
        &self,
    ) -> Result<std::collections::HashMap<TechniqueId, u32>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_threat_actors(
        &self,
        filter: &ThreatActorFilter,
        page: PageRequest,
    ) -> Result<Page<ThreatActor>, RepositoryError>;

    /// By ATT&CK id (`G0032`) or STIX id.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_threat_actor(
        &self,
        id: &str,
    ) -> Result<Option<ThreatActorDetail>, RepositoryError>;

    /// Every technique id of the catalog and where the revoked ones lead, to read the ids
    /// that feeds name.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn technique_lineage(
        &self,
    ) -> Result<crate::technique_lineage::TechniqueLineage, RepositoryError>;
}
