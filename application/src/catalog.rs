//! The ATT&CK catalog: importing a release (admins and the command line) and reading it
//! (everyone signed in).

use std::sync::Arc;

use async_trait::async_trait;

use aegis_domain::catalog::{AttackRelease, Tactic, Technique, TechniqueId, ThreatActor};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::{Action, permits};
use aegis_domain::ports::TestFilter;
use aegis_domain::ports::{
    CatalogRepository, CountermeasureRepository, ImportReport, ImportRun, ImportStatus,
    RuleRepository, TechniqueDetail, TechniqueFilter, TechniqueSummary, TemplateRepository,
    ThreatActorDetail, ThreatActorFilter,
};
use aegis_domain::ports::{RepositoryError, Subject};
use aegis_domain::test_case::TestCase;

use crate::audit_trail::{self, Change};
use crate::context::{Actor, Forbidden, Initiator, RequestContext};
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::ports::{Clock, Database, IdGenerator};

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

/// A technique as the API shows it: the catalog's view and the organization's tests of it.
#[derive(Debug, Clone, PartialEq)]
pub struct TechniqueOverview {
    pub detail: TechniqueDetail,
    pub tests: Vec<TestCase>,
    /// The organization's stored coverage of the technique; `None` when never scored.
    pub coverage: Option<aegis_domain::scoring::StoredScore>,
    /// Detection rules tagged with the technique (deprecated ones last).
    pub rules: Vec<aegis_domain::detection::RuleSummary>,
    /// D3FEND countermeasures of the technique.
    pub countermeasures: Vec<aegis_domain::detection::Countermeasure>,
    /// Test templates for the technique (Atomic Red Team, CALDERA, LOLBAS, GTFOBins).
    pub templates: Vec<aegis_domain::template::TemplateSummary>,
    /// Living-off-the-land binaries with a use that enables the technique.
    pub binaries: Vec<aegis_domain::template::BinarySummary>,
    /// How the organization's validated tests of it ended and how long detection took
    /// (`None` for a role that cannot read operations).
    pub outcomes: Option<aegis_domain::risk::OutcomeSplit>,
    /// Its stored risk (`None` before risk was computed, or for a role that cannot read
    /// operations).
    pub risk: Option<aegis_domain::risk::TechniqueRisk>,
}

/// An organization's own technique, as an admin writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomTechnique {
    pub mitre_id: String,
    pub name: String,
    pub description: String,
    pub tactics: Vec<String>,
    pub platforms: Vec<String>,
    pub detection: String,
    pub data_components: Vec<String>,
}

fn parse_technique_id(id: &str) -> Result<TechniqueId, CatalogError> {
    TechniqueId::parse(id)
        .map_err(|e| CatalogError::Invalid(vec![FieldError::new("mitre_id", e.to_string())]))
}

/// What a catalog lookup did not find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogItem {
    Technique,
    Import,
    CustomTechnique,
    ThreatActor,
}

impl std::fmt::Display for CatalogItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Technique => "technique",
            Self::Import => "import",
            Self::CustomTechnique => "custom technique",
            Self::ThreatActor => "threat actor",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("invalid catalog request")]
    Invalid(Vec<FieldError>),
    #[error("{0} not found")]
    NotFound(CatalogItem),
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
            RepositoryError::Duplicate(Subject::RunningImport) => Self::ImportRunning,
            other => Self::Unexpected(unexpected(&other)),
        }
    }
}

/// Fetches and applies a release; the run records how it ended either way.
async fn run_import(
    catalog: &dyn CatalogRepository,
    clock: &dyn Clock,
    run: uuid::Uuid,
    source: &dyn AttackSource,
) -> Result<ImportReport, CatalogError> {
    let result = match source.fetch().await {
        Ok(release) => catalog
            .apply_attack_release(&release, clock.now())
            .await
            .map_err(CatalogError::from),
        Err(error) => Err(CatalogError::Feed(error)),
    };
    let now = clock.now();
    let recorded = match &result {
        Ok(report) => catalog.finish_import(run, Ok(report), now).await,
        Err(error) => {
            catalog
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
            Self::NotFound(CatalogItem::Technique) => "TECHNIQUE_NOT_FOUND",
            Self::NotFound(CatalogItem::Import) => "IMPORT_NOT_FOUND",
            Self::NotFound(CatalogItem::CustomTechnique) => "CUSTOM_TECHNIQUE_NOT_FOUND",
            Self::NotFound(CatalogItem::ThreatActor) => "THREAT_ACTOR_NOT_FOUND",
            Self::Feed(_) => "FEED_UNREADABLE",
            Self::ImportRunning => "IMPORT_RUNNING",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

#[derive(Clone)]
pub struct CatalogService {
    database: Arc<dyn Database>,
    catalog: Arc<dyn CatalogRepository>,
    rules: Arc<dyn RuleRepository>,
    countermeasures: Arc<dyn CountermeasureRepository>,
    templates: Arc<dyn TemplateRepository>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    attack_feed: Arc<dyn AttackSource>,
    /// Queues an alert evaluation after an import made on request (the command line).
    alert_requests: Option<crate::alerts::EvaluationRequests>,
}

impl CatalogService {
    /// Queues an alert evaluation after each import made on request.
    pub(crate) fn requesting_alerts(mut self, requests: crate::alerts::EvaluationRequests) -> Self {
        self.alert_requests = Some(requests);
        self
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "the catalog service reads ATT&CK and the global libraries it links techniques to"
    )]
    pub fn new(
        database: Arc<dyn Database>,
        catalog: Arc<dyn CatalogRepository>,
        rules: Arc<dyn RuleRepository>,
        countermeasures: Arc<dyn CountermeasureRepository>,
        templates: Arc<dyn TemplateRepository>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        attack_feed: Arc<dyn AttackSource>,
    ) -> Self {
        Self {
            database,
            catalog,
            rules,
            countermeasures,
            templates,
            clock,
            ids,
            attack_feed,
            alert_requests: None,
        }
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
        let report = self
            .apply_attack_source(initiator.user_id(), source)
            .await?;
        if let Some(requests) = &self.alert_requests {
            requests.request("attack_import").await;
        }
        Ok(report)
    }

    /// The import itself, for callers that have authorized it (the feed-sync job).
    pub(crate) async fn apply_attack_source(
        &self,
        requested_by: Option<aegis_domain::user::UserId>,
        source: &dyn AttackSource,
    ) -> Result<ImportReport, CatalogError> {
        let run = self.begin_run(requested_by, source.describe()).await?;
        run_import(self.catalog.as_ref(), self.clock.as_ref(), run.id, source).await
    }

    async fn begin_run(
        &self,
        requested_by: Option<aegis_domain::user::UserId>,
        source: String,
    ) -> Result<ImportRun, CatalogError> {
        let run = ImportRun {
            id: self.ids.new_id(),
            source,
            status: ImportStatus::Running,
            requested_by,
            started_at: self.clock.now(),
            finished_at: None,
            report: None,
            error: None,
        };
        self.catalog.begin_import(&run).await?;
        Ok(run)
    }

    /// Imports the configured ATT&CK feed: the work of the ATT&CK sync job. The import is
    /// recorded under `import_id` (the job run's id), so an attempt repeated after its worker
    /// died restarts that import instead of waiting for it.
    ///
    /// # Errors
    /// `ImportRunning` when another import is under way, `Feed` when the source fails.
    pub async fn sync_from_feed(
        &self,
        import_id: uuid::Uuid,
    ) -> Result<ImportReport, CatalogError> {
        let source = self.attack_feed.clone();
        let run = ImportRun {
            id: import_id,
            source: source.describe(),
            status: ImportStatus::Running,
            requested_by: None,
            started_at: self.clock.now(),
            finished_at: None,
            report: None,
            error: None,
        };
        self.catalog.begin_import(&run).await?;
        run_import(
            self.catalog.as_ref(),
            self.clock.as_ref(),
            run.id,
            source.as_ref(),
        )
        .await
    }

    /// # Errors
    /// `Forbidden` unless an admin, `NotFound`.
    pub async fn import(&self, actor: &Actor, id: uuid::Uuid) -> Result<ImportRun, CatalogError> {
        actor.authorize(Action::ManageSystem)?;
        self.catalog
            .find_import(id)
            .await?
            .ok_or(CatalogError::NotFound(CatalogItem::Import))
    }

    /// The latest imports, newest first.
    ///
    /// # Errors
    /// `Forbidden` unless an admin.
    pub async fn imports(&self, actor: &Actor) -> Result<Vec<ImportRun>, CatalogError> {
        actor.authorize(Action::ManageSystem)?;
        Ok(self.catalog.list_imports(50).await?)
    }

    /// # Errors
    /// `Forbidden` for a role that cannot read the catalog.
    pub async fn tactics(&self, initiator: &Initiator) -> Result<Vec<Tactic>, CatalogError> {
        initiator.authorize(Action::ReadCatalog)?;
        Ok(self.catalog.list_tactics().await?)
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
        Ok(self.catalog.list_techniques(filter, page).await?)
    }

    /// A technique with its neighbourhood and the actor's organization's tests of it.
    ///
    /// # Errors
    /// `Invalid` for a malformed id, `NotFound` for an unknown one.
    pub async fn technique(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<TechniqueOverview, CatalogError> {
        actor.authorize(Action::ReadCatalog)?;
        let id = parse_technique_id(id)?;
        let detail = self
            .catalog
            .find_technique(&id)
            .await?
            .ok_or(CatalogError::NotFound(CatalogItem::Technique))?;
        let tests = if permits(actor.role, Action::ReadOperations) {
            let filter = TestFilter {
                technique: Some(id),
                ..TestFilter::default()
            }
            .seen_by(actor.role);
            self.database
                .list_tests(actor.tenant_id, &filter, PageRequest::new(1, 50))
                .await?
                .items
        } else {
            Vec::new()
        };
        let coverage = self
            .database
            .technique_score(actor.tenant_id, &detail.technique.mitre_id)
            .await?;
        let rules = self
            .rules
            .rules_for_technique(detail.technique.mitre_id.as_str())
            .await?;
        let countermeasures = self
            .countermeasures
            .countermeasures_for_technique(detail.technique.mitre_id.as_str())
            .await?;
        let templates = self
            .templates
            .list_templates(
                &aegis_domain::template::TemplateFilter {
                    technique: Some(detail.technique.mitre_id.as_str().to_owned()),
                    ..aegis_domain::template::TemplateFilter::default()
                },
                aegis_domain::page::PageRequest::new(
                    1,
                    aegis_domain::page::PageRequest::MAX_PER_PAGE,
                ),
            )
            .await?
            .items;
        let binaries = self
            .templates
            .binaries_for_technique(detail.technique.mitre_id.as_str())
            .await?;
        let (outcomes, risk) = if permits(actor.role, Action::ReadOperations) {
            let mut split = aegis_domain::risk::OutcomeSplit::default();
            for observation in self
                .database
                .validated_observations(actor.tenant_id, Some(&detail.technique.mitre_id))
                .await?
            {
                split.add(&observation);
            }
            let risk = self
                .database
                .risks(actor.tenant_id)
                .await?
                .into_iter()
                .find(|r| r.technique_id == detail.technique.mitre_id);
            (Some(split), risk)
        } else {
            (None, None)
        };
        Ok(TechniqueOverview {
            detail,
            tests,
            coverage,
            rules,
            countermeasures,
            templates,
            binaries,
            outcomes,
            risk,
        })
    }

    /// Flags a technique for review, or clears the flag (leads, admin).
    ///
    /// # Errors
    /// `Forbidden`, `Invalid`, `NotFound`.
    pub async fn flag_for_review(
        &self,
        actor: &Actor,
        id: &str,
        required: bool,
        reason: Option<String>,
        context: &RequestContext,
    ) -> Result<TechniqueOverview, CatalogError> {
        actor.authorize(Action::FlagTechniqueForReview)?;
        let technique = parse_technique_id(id)?;
        let reason = reason
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty());
        self.catalog
            .set_technique_review(&technique, required, reason.as_deref())
            .await
            .map_err(|e| match e {
                RepositoryError::NotFound(_) => CatalogError::NotFound(CatalogItem::Technique),
                other => other.into(),
            })?;
        self.audit(
            actor,
            context,
            "technique.review_flagged",
            technique.as_str(),
            serde_json::json!({
                "review_required": required, "reason": reason,
            }),
        )
        .await?;
        self.technique(actor, technique.as_str()).await
    }

    /// Adds an organization's own technique (admin).
    ///
    /// # Errors
    /// `Forbidden`, `Invalid` naming the fields, `Conflict` when the id is taken.
    pub async fn create_custom_technique(
        &self,
        actor: &Actor,
        draft: CustomTechnique,
        context: &RequestContext,
    ) -> Result<TechniqueOverview, CatalogError> {
        actor.authorize(Action::ManageCatalog)?;
        let technique = self.validate_custom(&draft).await?;
        self.catalog
            .insert_custom_technique(&technique, self.clock.now())
            .await
            .map_err(|e| match e {
                RepositoryError::Duplicate(_) => CatalogError::Invalid(vec![FieldError::new(
                    "mitre_id",
                    "is already in the catalog",
                )]),
                other => other.into(),
            })?;
        self.audit(
            actor,
            context,
            "technique.created",
            technique.mitre_id.as_str(),
            serde_json::json!({"name": technique.name}),
        )
        .await?;
        self.technique(actor, technique.mitre_id.as_str()).await
    }

    /// Replaces a custom technique's content (admin); imported techniques change by import.
    ///
    /// # Errors
    /// `Forbidden`, `Invalid`, `NotFound` when no custom technique has this id.
    pub async fn update_custom_technique(
        &self,
        actor: &Actor,
        id: &str,
        mut draft: CustomTechnique,
        context: &RequestContext,
    ) -> Result<TechniqueOverview, CatalogError> {
        actor.authorize(Action::ManageCatalog)?;
        id.clone_into(&mut draft.mitre_id);
        let technique = self.validate_custom(&draft).await?;
        self.catalog
            .update_custom_technique(&technique, self.clock.now())
            .await
            .map_err(|e| match e {
                RepositoryError::NotFound(_) => {
                    CatalogError::NotFound(CatalogItem::CustomTechnique)
                }
                other => other.into(),
            })?;
        self.audit(
            actor,
            context,
            "technique.updated",
            technique.mitre_id.as_str(),
            serde_json::json!({"name": technique.name}),
        )
        .await?;
        self.technique(actor, technique.mitre_id.as_str()).await
    }

    async fn validate_custom(&self, draft: &CustomTechnique) -> Result<Technique, CatalogError> {
        let mut fields = Vec::new();
        let id = TechniqueId::parse(&draft.mitre_id)
            .map_err(|e| FieldError::new("mitre_id", e.to_string()));
        let name = draft.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            fields.push(FieldError::new(
                "name",
                "is required, at most 200 characters",
            ));
        }
        let known: Vec<String> = self
            .catalog
            .list_tactics()
            .await?
            .into_iter()
            .map(|t| t.shortname)
            .collect();
        let unknown: Vec<&String> = draft
            .tactics
            .iter()
            .filter(|t| !known.contains(t))
            .collect();
        if draft.tactics.is_empty() || !unknown.is_empty() {
            fields.push(FieldError::new(
                "tactics",
                format!("must name tactics of the catalog (unknown: {unknown:?})"),
            ));
        }
        let id = match id {
            Ok(id) => Some(id),
            Err(field) => {
                fields.push(field);
                None
            }
        };
        if let Some(parent) = id.as_ref().and_then(TechniqueId::parent)
            && self.catalog.find_technique(&parent).await?.is_none()
        {
            fields.push(FieldError::new(
                "mitre_id",
                format!("the parent {parent} is not in the catalog"),
            ));
        }
        let (Some(id), true) = (id, fields.is_empty()) else {
            return Err(CatalogError::Invalid(fields));
        };
        Ok(Technique {
            stix_id: format!("x-aegis-technique--{}", id.as_str().to_lowercase()),
            parent: id.parent(),
            mitre_id: id,
            name: name.to_owned(),
            description: draft.description.trim().to_owned(),
            tactics: draft.tactics.clone(),
            platforms: draft.platforms.clone(),
            detection: draft.detection.trim().to_owned(),
            data_components: {
                let mut names: Vec<String> = draft
                    .data_components
                    .iter()
                    .map(|c| c.trim().to_owned())
                    .filter(|c| !c.is_empty())
                    .collect();
                names.sort();
                names.dedup();
                names
            },
            detection_strategies: Vec::new(),
            url: None,
            version: Some("1.0".to_owned()),
            revoked: false,
            deprecated: false,
            revoked_by: None,
            modified: None,
        })
    }

    async fn audit(
        &self,
        actor: &Actor,
        context: &RequestContext,
        action: &str,
        technique: &str,
        details: serde_json::Value,
    ) -> Result<(), CatalogError> {
        // The catalog is global and the audit trail per tenant: the change is recorded in the
        // acting admin's or lead's organization, right after the catalog write.
        let uow = self.database.begin().await?;
        let change = Change {
            tenant: actor.tenant_id,
            actor: Some(actor.user_id),
            action,
            entity_type: "technique",
            entity_id: Some(technique.to_owned()),
            details,
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
        Ok(())
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
        Ok(self.catalog.list_threat_actors(filter, page).await?)
    }

    /// # Errors
    /// `NotFound` for an unknown actor.
    pub async fn threat_actor(
        &self,
        initiator: &Initiator,
        id: &str,
    ) -> Result<ThreatActorDetail, CatalogError> {
        initiator.authorize(Action::ReadCatalog)?;
        self.catalog
            .find_threat_actor(id)
            .await?
            .ok_or(CatalogError::NotFound(CatalogItem::ThreatActor))
    }
}
