//! The life of a detection: assets the organization runs, the validations that prove them
//! (written when a test validates with their rule firing, or by a lead with evidence), their
//! expiry under decay policies, and what ends them early (a changed rule, an infrastructure
//! change). Every proof that ends does so in one unit of work with what follows: the
//! technique's coverage is rescored, the asset's owner is told and a retest draft is planned.

mod assets;
mod insight;
mod proofs;

use std::sync::Arc;

use uuid::Uuid;

use aegis_domain::catalog::TechniqueId;
use aegis_domain::detection_lifecycle::{
    AssetRevision, AssetStatus, DetectionAsset, DetectionValidation, InfrastructureChange,
    ProofState,
};
use aegis_domain::ports::{CatalogRepository, RepositoryError, RuleRepository, Subject};
use aegis_domain::scoring::ScoringPolicy;

use crate::context::Forbidden;
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::ports::{Clock, Database, IdGenerator};

pub use insight::{AssetProof, LifecycleDashboard, NextLapse, TechniqueConfidence};
pub(crate) use proofs::LifecycleOnValidation;

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("invalid detection data")]
    Invalid(Vec<FieldError>),
    #[error("detection asset not found")]
    AssetNotFound,
    #[error("detection rule not found")]
    RuleNotFound,
    #[error("decay policy not found")]
    PolicyNotFound,
    #[error("the asset was changed by someone else (version {current}); reload it and retry")]
    VersionConflict { current: i32 },
    #[error("the organization already has an asset of that name on that platform")]
    DuplicateAsset,
    #[error("a retired asset no longer changes")]
    Retired,
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for LifecycleError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::NotFound(aegis_domain::ports::Entity::DecayPolicy) => {
                Self::PolicyNotFound
            }
            RepositoryError::NotFound(_) => Self::AssetNotFound,
            RepositoryError::StaleVersion { current } => Self::VersionConflict { current },
            RepositoryError::Duplicate(Subject::DetectionAsset) => Self::DuplicateAsset,
            other => Self::Unexpected(unexpected(&other)),
        }
    }
}

impl Classified for LifecycleError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::AssetNotFound | Self::RuleNotFound | Self::PolicyNotFound => ErrorKind::NotFound,
            Self::VersionConflict { .. } | Self::DuplicateAsset | Self::Retired => {
                ErrorKind::Conflict
            }
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::AssetNotFound => "DETECTION_ASSET_NOT_FOUND",
            Self::RuleNotFound => "RULE_NOT_FOUND",
            Self::PolicyNotFound => "DECAY_POLICY_NOT_FOUND",
            Self::VersionConflict { .. } => "VERSION_CONFLICT",
            Self::DuplicateAsset => "DETECTION_ASSET_EXISTS",
            Self::Retired => "DETECTION_ASSET_RETIRED",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

fn invalid(field: &str, message: impl Into<String>) -> LifecycleError {
    LifecycleError::Invalid(vec![FieldError::new(field, message)])
}

/// A new asset as a lead describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewAsset {
    pub name: String,
    pub kind: String,
    pub platform: String,
    pub team: String,
    pub owner_id: Option<Uuid>,
    pub content: String,
    pub techniques: Vec<String>,
}

/// An asset made from a catalog rule: its name, content and techniques come from the rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssetFromRule {
    pub rule_id: Uuid,
    /// Which SIEM or EDR runs it.
    pub platform: String,
    /// Defaults to the rule's title.
    pub name: Option<String>,
    /// Defaults to `siem_rule`.
    pub kind: Option<String>,
    pub team: String,
    pub owner_id: Option<Uuid>,
}

/// Changes to an asset; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssetChanges {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub platform: Option<String>,
    pub team: Option<String>,
    pub owner_id: Option<Option<Uuid>>,
    /// `active` or `disabled` (retiring has its own use case).
    pub status: Option<String>,
    pub content: Option<String>,
    pub techniques: Option<Vec<String>>,
}

/// The asset list's filters as a caller gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssetQuery {
    pub kind: Option<String>,
    pub status: Option<String>,
    pub platform: Option<String>,
    pub team: Option<String>,
    pub owner: Option<Uuid>,
    pub technique: Option<String>,
    pub search: Option<String>,
}

/// A validation with where it stands now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofView {
    pub validation: DetectionValidation,
    pub state: ProofState,
}

/// An asset with its proofs and history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetDetail {
    pub asset: DetectionAsset,
    pub validations: Vec<ProofView>,
    pub history: Vec<AssetRevision>,
}

/// A proof recorded by hand, with its evidence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManualProof {
    pub asset_id: Uuid,
    pub technique_id: String,
    /// Where the evidence is: an evidence id, a ticket, a URL.
    pub evidence: String,
    pub notes: String,
}

/// An infrastructure change as a lead logs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewInfrastructureChange {
    pub title: String,
    pub description: String,
    /// Defaults to now; proofs made before it end.
    pub occurred_at: Option<chrono::DateTime<chrono::Utc>>,
    pub platforms: Vec<String>,
    pub asset_ids: Vec<Uuid>,
}

/// What an infrastructure change ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeOutcome {
    pub change: InfrastructureChange,
    pub ended: Ended,
}

/// What ending proofs set off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ended {
    pub validations: u64,
    pub techniques: Vec<TechniqueId>,
    /// The retest drafts planned, one per technique.
    pub retests: Vec<aegis_domain::test_case::TestId>,
    pub notified: u64,
}

/// A decay policy as a lead sets it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewDecayPolicy {
    pub platform: Option<String>,
    pub tactic: Option<String>,
    pub validity_days: i64,
}

/// What the daily decay run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecayReport {
    pub expired: u64,
    pub techniques: u64,
    pub notified: u64,
}

#[derive(Clone)]
pub struct DetectionLifecycleService {
    database: Arc<dyn Database>,
    catalog: Arc<dyn CatalogRepository>,
    rules: Arc<dyn RuleRepository>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    scoring: Arc<ScoringPolicy>,
}

impl DetectionLifecycleService {
    pub(crate) fn new(
        database: Arc<dyn Database>,
        catalog: Arc<dyn CatalogRepository>,
        rules: Arc<dyn RuleRepository>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        scoring: Arc<ScoringPolicy>,
    ) -> Self {
        Self {
            database,
            catalog,
            rules,
            clock,
            ids,
            scoring,
        }
    }
}

/// Whether an asset in `status` can be proven.
fn provable(status: AssetStatus) -> bool {
    status == AssetStatus::Active
}
