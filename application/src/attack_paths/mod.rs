//! Attack paths: chains of techniques drawn by hand, made from a threat actor or imported as
//! an Attack Flow, each met with the organization's coverage (per step, the weakest step and
//! where the chain is first stopped), exported as Attack Flow STIX and turned into a campaign.
//! Every change is one unit of work with its audit entry.

mod flows;
mod plan;

pub use flows::{AttackFlowCodec, FlowFormatError, ImportedPath};
pub use plan::PathFromActor;

use std::collections::HashMap;
use std::sync::Arc;

use aegis_domain::attack_path::{
    AttackPath, AttackPathId, Edge, GraphError, Operator, PathAssessment, PathGraph, PathSource,
    Step, StepKind, TechniqueEvidence, assess,
};
use aegis_domain::catalog::TechniqueId;
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::Action;
use aegis_domain::ports::{CatalogRepository, RepositoryError};
use aegis_domain::workflow::TestState;

use crate::audit_trail::{self, Change};
use crate::campaigns::{CampaignError, CampaignService};
use crate::context::{Actor, Forbidden, RequestContext};
use crate::error::text_field;
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::ports::{Clock, Database, IdGenerator, UnitOfWork};

#[derive(Debug, thiserror::Error)]
pub enum AttackPathError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("invalid attack path")]
    Invalid(Vec<FieldError>),
    #[error("attack path not found")]
    NotFound,
    #[error("threat actor not found")]
    ThreatActorNotFound,
    #[error("the attack path was changed by someone else; reload it and retry")]
    VersionConflict,
    #[error("the file is not an Attack Flow this server can read: {0}")]
    UnreadableFlow(String),
    #[error(transparent)]
    Campaign(#[from] CampaignError),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for AttackPathError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::NotFound(_) => Self::NotFound,
            RepositoryError::StaleVersion { .. } => Self::VersionConflict,
            other => Self::Unexpected(unexpected(&other)),
        }
    }
}

impl From<GraphError> for AttackPathError {
    fn from(error: GraphError) -> Self {
        Self::Invalid(vec![FieldError::new(error.field(), error.to_string())])
    }
}

impl Classified for AttackPathError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::UnreadableFlow(message) => {
                ErrorKind::Invalid(vec![FieldError::new("file", message.clone())])
            }
            Self::NotFound | Self::ThreatActorNotFound => ErrorKind::NotFound,
            Self::VersionConflict => ErrorKind::Conflict,
            Self::Campaign(e) => e.kind(),
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::UnreadableFlow(_) => "ATTACK_FLOW_UNREADABLE",
            Self::NotFound => "ATTACK_PATH_NOT_FOUND",
            Self::ThreatActorNotFound => "THREAT_ACTOR_NOT_FOUND",
            Self::VersionConflict => "VERSION_CONFLICT",
            Self::Campaign(e) => e.code(),
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

fn invalid(field: &str, message: impl Into<String>) -> AttackPathError {
    AttackPathError::Invalid(vec![FieldError::new(field, message)])
}

/// A step as a request gives it: a technique id or an operator (`AND` / `OR`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepInput {
    pub key: String,
    pub name: Option<String>,
    pub technique_id: Option<String>,
    pub operator: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EdgeInput {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewAttackPath {
    pub name: String,
    pub description: String,
    pub steps: Vec<StepInput>,
    pub edges: Vec<EdgeInput>,
}

/// Changes to a path; `None` leaves a field as it is. Steps and edges replace the graph
/// together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttackPathChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub graph: Option<(Vec<StepInput>, Vec<EdgeInput>)>,
}

/// A path with how the organization's defences meet it now.
#[derive(Debug, Clone, PartialEq)]
pub struct AttackPathDetail {
    pub path: AttackPath,
    pub assessment: PathAssessment,
}

#[derive(Clone)]
pub struct AttackPathService {
    database: Arc<dyn Database>,
    catalog: Arc<dyn CatalogRepository>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    codec: Arc<dyn AttackFlowCodec>,
    campaigns: CampaignService,
}

impl AttackPathService {
    pub fn new(
        database: Arc<dyn Database>,
        catalog: Arc<dyn CatalogRepository>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        codec: Arc<dyn AttackFlowCodec>,
        campaigns: CampaignService,
    ) -> Self {
        Self {
            database,
            catalog,
            clock,
            ids,
            codec,
            campaigns,
        }
    }

    /// Steps and edges as the request gives them, each technique checked against the catalog.
    async fn graph_of(
        &self,
        steps: &[StepInput],
        edges: &[EdgeInput],
    ) -> Result<PathGraph, AttackPathError> {
        if steps.len() > PathGraph::MAX_STEPS {
            return Err(GraphError::TooManySteps {
                max: PathGraph::MAX_STEPS,
            }
            .into());
        }
        let mut fields = Vec::new();
        let mut parsed = Vec::with_capacity(steps.len());
        for (n, input) in steps.iter().enumerate() {
            let kind = match (input.technique_id.as_deref(), input.operator.as_deref()) {
                (Some(text), None) => match TechniqueId::parse(text.trim()) {
                    Ok(id) => match self.catalog.find_technique(&id).await? {
                        Some(detail) => Some((StepKind::Technique(id), detail.technique.name)),
                        None => {
                            fields.push(FieldError::new(
                                format!("steps[{n}].technique_id"),
                                format!("{id} is not in the ATT&CK catalog"),
                            ));
                            None
                        }
                    },
                    Err(e) => {
                        fields.push(FieldError::new(
                            format!("steps[{n}].technique_id"),
                            e.to_string(),
                        ));
                        None
                    }
                },
                (None, Some(text)) => match Operator::parse(text) {
                    Some(op) => Some((StepKind::Operator(op), op.as_str().to_owned())),
                    None => {
                        fields.push(FieldError::new(
                            format!("steps[{n}].operator"),
                            "must be AND or OR",
                        ));
                        None
                    }
                },
                _ => {
                    fields.push(FieldError::new(
                        format!("steps[{n}]"),
                        "give either technique_id or operator",
                    ));
                    None
                }
            };
            if let Some((kind, default_name)) = kind {
                let name = input
                    .name
                    .as_deref()
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map_or(default_name, str::to_owned);
                parsed.push(Step {
                    key: input.key.trim().to_owned(),
                    name,
                    kind,
                });
            }
        }
        if !fields.is_empty() {
            return Err(AttackPathError::Invalid(fields));
        }
        let edges = edges
            .iter()
            .map(|e| Edge {
                from: e.from.trim().to_owned(),
                to: e.to.trim().to_owned(),
            })
            .collect();
        Ok(PathGraph::new(parsed, edges)?)
    }

    /// Stores a new path with its audit entry.
    async fn insert(
        &self,
        actor: &Actor,
        path: &AttackPath,
        action: &str,
        details: serde_json::Value,
        context: &RequestContext,
    ) -> Result<(), AttackPathError> {
        let uow = self.database.begin().await?;
        uow.insert_attack_path(actor.tenant_id, path).await?;
        self.audit(uow.as_ref(), actor, context, action, path, details)
            .await?;
        uow.commit().await?;
        Ok(())
    }

    fn new_path(
        &self,
        actor: &Actor,
        name: String,
        description: String,
        source: PathSource,
        origin: Option<String>,
        graph: PathGraph,
    ) -> AttackPath {
        AttackPath::new(
            AttackPathId::from_uuid(self.ids.new_id()),
            actor.tenant_id,
            name,
            description,
            source,
            origin,
            graph,
            Some(actor.user_id),
            self.clock.now(),
        )
    }

    /// A path drawn by hand.
    ///
    /// # Errors
    /// `Forbidden` unless a lead or admin; `Invalid` naming the fields.
    pub async fn create(
        &self,
        actor: &Actor,
        request: NewAttackPath,
        context: &RequestContext,
    ) -> Result<AttackPathDetail, AttackPathError> {
        actor.authorize(Action::ManageCampaigns)?;
        let mut fields = Vec::new();
        let name = text_field("name", &request.name, 200, true, &mut fields);
        let description = text_field(
            "description",
            &request.description,
            20_000,
            false,
            &mut fields,
        );
        if !fields.is_empty() {
            return Err(AttackPathError::Invalid(fields));
        }
        let graph = self.graph_of(&request.steps, &request.edges).await?;
        let path = self.new_path(actor, name, description, PathSource::Manual, None, graph);
        self.insert(
            actor,
            &path,
            "attack_path.created",
            serde_json::json!({"name": path.name, "steps": path.graph.steps().len()}),
            context,
        )
        .await?;
        self.detail(actor.tenant_id, path).await
    }

    /// # Errors
    /// `Forbidden` for a role that cannot read operations.
    pub async fn list(
        &self,
        actor: &Actor,
        page: PageRequest,
    ) -> Result<Page<AttackPath>, AttackPathError> {
        actor.authorize(Action::ReadOperations)?;
        Ok(self
            .database
            .list_attack_paths(actor.tenant_id, page)
            .await?)
    }

    /// The path with each step's coverage, its weakest step and where it is first stopped.
    ///
    /// # Errors
    /// `NotFound`.
    pub async fn get(
        &self,
        actor: &Actor,
        id: AttackPathId,
    ) -> Result<AttackPathDetail, AttackPathError> {
        actor.authorize(Action::ReadOperations)?;
        let path = self
            .database
            .find_attack_path(actor.tenant_id, id)
            .await?
            .ok_or(AttackPathError::NotFound)?;
        self.detail(actor.tenant_id, path).await
    }

    /// Each technique's stored score and the outcome of its latest validated test.
    async fn detail(
        &self,
        tenant: aegis_domain::tenant::TenantId,
        path: AttackPath,
    ) -> Result<AttackPathDetail, AttackPathError> {
        let database = self.database.as_ref();
        let scores: HashMap<TechniqueId, _> = database
            .technique_scores(tenant)
            .await?
            .into_iter()
            .map(|s| (s.technique_id.clone(), s.score))
            .collect();
        let mut evidence = HashMap::new();
        for technique in path.graph.techniques() {
            let latest_outcome = database
                .tests_of_technique(tenant, technique)
                .await?
                .into_iter()
                .filter(|t| t.workflow().state() == TestState::Validated)
                .filter_map(|t| Some((t.validated_at?, t.blue.outcome?)))
                .max_by_key(|(at, _)| *at)
                .map(|(_, outcome)| outcome);
            let found = scores.get(technique).map_or_else(
                || TechniqueEvidence {
                    latest_outcome,
                    ..TechniqueEvidence::uncovered()
                },
                |score| TechniqueEvidence {
                    score: score.score,
                    status: score.status,
                    latest_outcome,
                },
            );
            evidence.insert(technique.clone(), found);
        }
        let assessment = assess(&path.graph, &evidence);
        Ok(AttackPathDetail { path, assessment })
    }

    /// Name, description, and the graph (steps and edges together).
    ///
    /// # Errors
    /// `Invalid`; `VersionConflict` when `expected_version` is not the stored one.
    pub async fn update(
        &self,
        actor: &Actor,
        id: AttackPathId,
        changes: AttackPathChanges,
        expected_version: Option<i32>,
        context: &RequestContext,
    ) -> Result<AttackPathDetail, AttackPathError> {
        actor.authorize(Action::ManageCampaigns)?;
        let mut fields = Vec::new();
        let name = changes
            .name
            .as_deref()
            .map(|n| text_field("name", n, 200, true, &mut fields));
        let description = changes
            .description
            .as_deref()
            .map(|d| text_field("description", d, 20_000, false, &mut fields));
        if !fields.is_empty() {
            return Err(AttackPathError::Invalid(fields));
        }
        // Techniques are checked against the global catalog before the unit of work opens.
        let graph = match &changes.graph {
            Some((steps, edges)) => Some(self.graph_of(steps, edges).await?),
            None => None,
        };
        let uow = self.database.begin().await?;
        let mut path = uow
            .find_attack_path(actor.tenant_id, id)
            .await?
            .ok_or(AttackPathError::NotFound)?;
        if expected_version.is_some_and(|v| v != path.version()) {
            return Err(AttackPathError::VersionConflict);
        }
        if let Some(name) = name {
            path.name = name;
        }
        if let Some(description) = description {
            path.description = description;
        }
        let graph_changed = graph.is_some();
        if let Some(graph) = graph {
            path.graph = graph;
        }
        let expected = path.record_change(self.clock.now());
        uow.update_attack_path(actor.tenant_id, &path, expected)
            .await?;
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "attack_path.updated",
            &path,
            serde_json::json!({"name": path.name, "graph_changed": graph_changed}),
        )
        .await?;
        uow.commit().await?;
        self.detail(actor.tenant_id, path).await
    }

    /// # Errors
    /// `NotFound`.
    pub async fn delete(
        &self,
        actor: &Actor,
        id: AttackPathId,
        context: &RequestContext,
    ) -> Result<(), AttackPathError> {
        actor.authorize(Action::ManageCampaigns)?;
        let uow = self.database.begin().await?;
        let path = uow
            .find_attack_path(actor.tenant_id, id)
            .await?
            .ok_or(AttackPathError::NotFound)?;
        uow.delete_attack_path(actor.tenant_id, id).await?;
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "attack_path.deleted",
            &path,
            serde_json::json!({"name": path.name}),
        )
        .await?;
        uow.commit().await?;
        Ok(())
    }

    async fn audit(
        &self,
        uow: &dyn UnitOfWork,
        actor: &Actor,
        context: &RequestContext,
        action: &str,
        path: &AttackPath,
        details: serde_json::Value,
    ) -> Result<(), RepositoryError> {
        let change = Change {
            tenant: path.tenant_id,
            actor: Some(actor.user_id),
            action,
            entity_type: "attack_path",
            entity_id: Some(path.id.to_string()),
            details,
        };
        audit_trail::record(self.clock.as_ref(), self.ids.as_ref(), uow, context, change).await
    }
}
