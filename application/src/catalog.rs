//! The ATT&CK catalog: importing a release (admins and the command line) and reading it
//! (everyone signed in).

use async_trait::async_trait;

use aegis_domain::catalog::{AttackRelease, Tactic, TechniqueId, ThreatActor};
use aegis_domain::catalog_ports::{
    ImportReport, TechniqueDetail, TechniqueFilter, TechniqueSummary, ThreatActorDetail,
    ThreatActorFilter,
};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::Action;
use aegis_domain::ports::RepositoryError;

use crate::Dependencies;
use crate::context::{Forbidden, Initiator};
use crate::error::{Classified, ErrorKind, FieldError, unexpected};

#[derive(Debug, thiserror::Error)]
#[error("the feed could not be read: {0}")]
pub struct FeedError(pub String);

/// Where an ATT&CK release comes from: a file, a URL, a TAXII server.
#[async_trait]
pub trait AttackSource: Send + Sync {
    /// A name for the import history (a path or a URL).
    fn describe(&self) -> String;

    /// # Errors
    /// `FeedError` when the source cannot be read or is not an ATT&CK bundle.
    async fn fetch(&self) -> Result<AttackRelease, FeedError>;
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("invalid catalog request")]
    Invalid(Vec<FieldError>),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error(transparent)]
    Feed(#[from] FeedError),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for CatalogError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl Classified for CatalogError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::Feed(e) => ErrorKind::Invalid(vec![FieldError::new("source", e.to_string())]),
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::NotFound("technique") => "TECHNIQUE_NOT_FOUND",
            Self::NotFound(_) => "THREAT_ACTOR_NOT_FOUND",
            Self::Feed(_) => "FEED_UNREADABLE",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

#[derive(Clone)]
pub struct CatalogService {
    deps: Dependencies,
}

impl CatalogService {
    pub fn new(deps: Dependencies) -> Self {
        Self { deps }
    }

    /// Imports an ATT&CK release in one transaction; importing the same release again
    /// changes nothing and the report says so.
    ///
    /// # Errors
    /// `Forbidden` unless the initiator manages the system, `Feed` when the source fails.
    pub async fn import_attack(
        &self,
        initiator: &Initiator,
        source: &dyn AttackSource,
    ) -> Result<ImportReport, CatalogError> {
        initiator.authorize(Action::ManageSystem)?;
        let release = source.fetch().await?;
        let report = self
            .deps
            .catalog
            .apply_attack_release(&release, self.deps.clock.now())
            .await?;
        tracing::info!(source = %source.describe(), totals = ?report.totals(), "ATT&CK import finished");
        Ok(report)
    }

    /// # Errors
    /// `Forbidden` for a role that cannot read the catalog.
    pub async fn tactics(&self, initiator: &Initiator) -> Result<Vec<Tactic>, CatalogError> {
        initiator.authorize(Action::ReadCatalog)?;
        Ok(self.deps.catalog.list_tactics().await?)
    }

    /// # Errors
    /// `Forbidden` for a role that cannot read the catalog.
    pub async fn techniques(
        &self,
        initiator: &Initiator,
        filter: &TechniqueFilter,
        page: PageRequest,
    ) -> Result<Page<TechniqueSummary>, CatalogError> {
        initiator.authorize(Action::ReadCatalog)?;
        Ok(self.deps.catalog.list_techniques(filter, page).await?)
    }

    /// # Errors
    /// `Invalid` for a malformed id, `NotFound` for an unknown one.
    pub async fn technique(
        &self,
        initiator: &Initiator,
        id: &str,
    ) -> Result<TechniqueDetail, CatalogError> {
        initiator.authorize(Action::ReadCatalog)?;
        let id = TechniqueId::parse(id)
            .map_err(|e| CatalogError::Invalid(vec![FieldError::new("mitre_id", e.to_string())]))?;
        self.deps
            .catalog
            .find_technique(&id)
            .await?
            .ok_or(CatalogError::NotFound("technique"))
    }

    /// # Errors
    /// `Forbidden` for a role that cannot read the catalog.
    pub async fn threat_actors(
        &self,
        initiator: &Initiator,
        filter: &ThreatActorFilter,
        page: PageRequest,
    ) -> Result<Page<ThreatActor>, CatalogError> {
        initiator.authorize(Action::ReadCatalog)?;
        Ok(self.deps.catalog.list_threat_actors(filter, page).await?)
    }

    /// # Errors
    /// `NotFound` for an unknown actor.
    pub async fn threat_actor(
        &self,
        initiator: &Initiator,
        id: &str,
    ) -> Result<ThreatActorDetail, CatalogError> {
        initiator.authorize(Action::ReadCatalog)?;
        self.deps
            .catalog
            .find_threat_actor(id)
            .await?
            .ok_or(CatalogError::NotFound("threat actor"))
    }
}
