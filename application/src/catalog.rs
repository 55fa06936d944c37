//! The ATT&CK catalog: importing a release (admins and the command line) and reading it
//! (everyone signed in).

use async_trait::async_trait;

use aegis_domain::catalog::{AttackRelease, Tactic, TechniqueId, ThreatActor};
use aegis_domain::catalog_ports::{
    ImportReport, ImportRun, ImportStatus, TechniqueDetail, TechniqueFilter, TechniqueSummary,
    ThreatActorDetail, ThreatActorFilter,
};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::Action;
use aegis_domain::ports::RepositoryError;

use crate::Dependencies;
use crate::audit_trail::{self, Change};
use crate::context::{Actor, Forbidden, Initiator, RequestContext};
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
    #[error("an import is already running")]
    ImportRunning,
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for CatalogError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::Duplicate(subject) if subject == "running import" => {
                Self::ImportRunning
            }
            other => Self::Unexpected(unexpected(&other)),
        }
    }
}

/// Fetches and applies a release; the run records how it ended either way.
async fn run_import(
    deps: &Dependencies,
    run: uuid::Uuid,
    source: &dyn AttackSource,
) -> Result<ImportReport, CatalogError> {
    let result = match source.fetch().await {
        Ok(release) => deps
            .catalog
            .apply_attack_release(&release, deps.clock.now())
            .await
            .map_err(CatalogError::from),
        Err(error) => Err(CatalogError::Feed(error)),
    };
    let now = deps.clock.now();
    let recorded = match &result {
        Ok(report) => deps.catalog.finish_import(run, Ok(report), now).await,
        Err(error) => {
            deps.catalog
                .finish_import(run, Err(&error.to_string()), now)
                .await
        }
    };
    if let Err(error) = recorded {
        tracing::error!(%error, %run, "cannot record the end of an import");
    }
    match &result {
        Ok(report) => {
            tracing::info!(source = %source.describe(), totals = ?report.totals(), "ATT&CK import finished")
        }
        Err(error) => tracing::warn!(source = %source.describe(), %error, "ATT&CK import failed"),
    }
    result
}

impl Classified for CatalogError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::Feed(e) => ErrorKind::Invalid(vec![FieldError::new("source", e.to_string())]),
            Self::ImportRunning => ErrorKind::Conflict,
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::NotFound("technique") => "TECHNIQUE_NOT_FOUND",
            Self::NotFound("import") => "IMPORT_NOT_FOUND",
            Self::NotFound(_) => "THREAT_ACTOR_NOT_FOUND",
            Self::Feed(_) => "FEED_UNREADABLE",
            Self::ImportRunning => "IMPORT_RUNNING",
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
        let run = self.begin_run(initiator, source.describe()).await?;
        run_import(&self.deps, run.id, source).await
    }

    async fn begin_run(
        &self,
        initiator: &Initiator,
        source: String,
    ) -> Result<ImportRun, CatalogError> {
        let run = ImportRun {
            id: self.deps.ids.new_id(),
            source,
            status: ImportStatus::Running,
            requested_by: initiator.user_id(),
            started_at: self.deps.clock.now(),
            finished_at: None,
            report: None,
            error: None,
        };
        self.deps.catalog.begin_import(&run).await?;
        Ok(run)
    }

    /// Starts an ATT&CK sync from the configured feed in the background and returns its run;
    /// `import` tells how it goes.
    ///
    /// # Errors
    /// `Forbidden` unless an admin, `ImportRunning` when one is already under way.
    pub async fn start_sync(
        &self,
        actor: &Actor,
        context: &RequestContext,
    ) -> Result<ImportRun, CatalogError> {
        actor.authorize(Action::ManageSystem)?;
        let initiator = Initiator::User(actor.clone());
        let run = self
            .begin_run(&initiator, self.deps.attack_feed.describe())
            .await?;
        let uow = self.deps.database.begin().await?;
        let change = Change {
            tenant: actor.tenant_id,
            actor: Some(actor.user_id),
            action: "catalog.sync_started",
            entity_type: "catalog_import",
            entity_id: Some(run.id.to_string()),
            details: serde_json::json!({ "source": run.source }),
        };
        audit_trail::record(&self.deps, uow.as_ref(), context, change).await?;
        uow.commit().await?;
        let deps = self.deps.clone();
        let id = run.id;
        self.deps.spawner.spawn(Box::pin(async move {
            let source = deps.attack_feed.clone();
            let _ = run_import(&deps, id, source.as_ref()).await;
        }));
        Ok(run)
    }

    /// # Errors
    /// `Forbidden` unless an admin, `NotFound`.
    pub async fn import(&self, actor: &Actor, id: uuid::Uuid) -> Result<ImportRun, CatalogError> {
        actor.authorize(Action::ManageSystem)?;
        self.deps
            .catalog
            .find_import(id)
            .await?
            .ok_or(CatalogError::NotFound("import"))
    }

    /// The latest imports, newest first.
    ///
    /// # Errors
    /// `Forbidden` unless an admin.
    pub async fn imports(&self, actor: &Actor) -> Result<Vec<ImportRun>, CatalogError> {
        actor.authorize(Action::ManageSystem)?;
        Ok(self.deps.catalog.list_imports(50).await?)
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
