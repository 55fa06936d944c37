//! The wire types of [`crate::routes::attack_paths`]: its views, request bodies and queries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::attack_paths::{AttackPathDetail, EdgeInput, StepInput};
use aegis_domain::attack_path::{AttackPath, PathSource, Step, StepKind};

/// Where a path came from.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PathSourceView {
    Manual,
    ThreatActor,
    AttackFlow,
}

impl From<PathSource> for PathSourceView {
    fn from(source: PathSource) -> Self {
        match source {
            PathSource::Manual => Self::Manual,
            PathSource::ThreatActor => Self::ThreatActor,
            PathSource::AttackFlow => Self::AttackFlow,
        }
    }
}

/// What a step is: a technique, or an operator joining the branches that lead into it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepKindView {
    Technique,
    Operator,
}

/// How an operator joins its branches.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub enum PathOperator {
    #[serde(rename = "AND")]
    And,
    #[serde(rename = "OR")]
    Or,
}

/// `from` leads to `to` (step keys).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EdgeView {
    pub from: String,
    pub to: String,
}

/// A step as given: a key unique in the path, and either `technique_id` or `operator`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct StepRequest {
    /// 1 to 64 letters, digits, `-`, `_`, `.` or `:`.
    pub key: String,
    /// Defaults to the technique's name or the operator.
    pub name: Option<String>,
    /// An ATT&CK technique the catalog holds (`T1059.001`).
    pub technique_id: Option<String>,
    /// `AND` or `OR`.
    pub operator: Option<String>,
}

impl From<StepRequest> for StepInput {
    fn from(step: StepRequest) -> Self {
        Self {
            key: step.key,
            name: step.name,
            technique_id: step.technique_id,
            operator: step.operator,
        }
    }
}

impl From<EdgeView> for EdgeInput {
    fn from(edge: EdgeView) -> Self {
        Self {
            from: edge.from,
            to: edge.to,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateAttackPathRequest {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub steps: Vec<StepRequest>,
    #[serde(default)]
    pub edges: Vec<EdgeView>,
}

/// Changes to a path; absent fields stay. `steps` and `edges` replace the graph together.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateAttackPathRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    pub steps: Option<Vec<StepRequest>>,
    pub edges: Option<Vec<EdgeView>>,
    /// The version you read (or send `If-Match`).
    pub version: Option<i32>,
}

/// An optional name for what is made.
#[derive(Debug, Deserialize, IntoParams)]
pub struct NameQuery {
    /// Defaults to the flow's, actor's or path's name.
    pub name: Option<String>,
}

/// A path in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttackPathView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub source: PathSourceView,
    /// The threat actor (STIX id) or flow it came from.
    pub origin: Option<String>,
    pub steps: u32,
    pub techniques: u32,
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl From<&AttackPath> for AttackPathView {
    fn from(path: &AttackPath) -> Self {
        Self {
            id: path.id.as_uuid(),
            name: path.name.clone(),
            description: path.description.clone(),
            source: path.source.into(),
            origin: path.origin.clone(),
            steps: count(path.graph.steps().len()),
            techniques: count(
                path.graph
                    .steps()
                    .iter()
                    .filter(|s| s.technique().is_some())
                    .count(),
            ),
            version: path.version(),
            created_by: path.created_by.map(|u| u.as_uuid()),
            created_at: path.created_at,
            updated_at: path.updated_at,
        }
    }
}

impl From<AttackPath> for AttackPathView {
    fn from(path: AttackPath) -> Self {
        Self::from(&path)
    }
}

/// A step with how the organization's defences meet it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PathStepView {
    pub key: String,
    pub name: String,
    pub kind: StepKindView,
    pub technique_id: Option<String>,
    pub operator: Option<PathOperator>,
    /// The technique's coverage score, 0 to 100 (none for an operator).
    pub score: Option<f64>,
    /// The technique's coverage status (none for an operator).
    #[schema(value_type = Option<crate::views::enums::CoverageStatus>)]
    pub status: Option<String>,
    /// How the technique's latest validated test ended, if one did.
    #[schema(value_type = Option<crate::views::enums::Outcome>)]
    pub latest_outcome: Option<String>,
    /// Whether the chain is stopped here: a technique prevented or detected by its latest
    /// validated test; an OR all of whose branches are stopped; an AND any of whose are.
    pub stopped: bool,
}

/// A path with each step's coverage (in the path's order), the weakest step and the first
/// step where the chain is stopped.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttackPathDetailView {
    pub path: AttackPathView,
    /// Every step, each after the steps that lead to it.
    pub steps: Vec<PathStepView>,
    pub edges: Vec<EdgeView>,
    /// The key of the technique step with the lowest score.
    pub weakest_step: Option<String>,
    /// The key of the first step, in order, where the chain is stopped.
    pub first_stop: Option<String>,
}

fn step_view(step: &Step) -> PathStepView {
    let (kind, technique_id, operator) = match &step.kind {
        StepKind::Technique(id) => (StepKindView::Technique, Some(id.to_string()), None),
        StepKind::Operator(op) => (
            StepKindView::Operator,
            None,
            Some(match op {
                aegis_domain::attack_path::Operator::And => PathOperator::And,
                aegis_domain::attack_path::Operator::Or => PathOperator::Or,
            }),
        ),
    };
    PathStepView {
        key: step.key.clone(),
        name: step.name.clone(),
        kind,
        technique_id,
        operator,
        score: None,
        status: None,
        latest_outcome: None,
        stopped: false,
    }
}

impl From<AttackPathDetail> for AttackPathDetailView {
    fn from(detail: AttackPathDetail) -> Self {
        let graph = &detail.path.graph;
        let steps = detail
            .assessment
            .steps
            .iter()
            .filter_map(|assessed| {
                let mut view = step_view(graph.step(&assessed.key)?);
                if let Some(evidence) = &assessed.evidence {
                    view.score = Some(evidence.score);
                    view.status = Some(evidence.status.as_str().to_owned());
                    view.latest_outcome = evidence.latest_outcome.map(|o| o.as_str().to_owned());
                }
                view.stopped = assessed.stopped;
                Some(view)
            })
            .collect();
        Self {
            edges: graph
                .edges()
                .iter()
                .map(|e| EdgeView {
                    from: e.from.clone(),
                    to: e.to.clone(),
                })
                .collect(),
            steps,
            weakest_step: detail.assessment.weakest,
            first_stop: detail.assessment.first_stop,
            path: AttackPathView::from(&detail.path),
        }
    }
}

/// A path made from a flow or an actor, and what was left out and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct MadePathView {
    pub attack_path: AttackPathDetailView,
    pub notes: Vec<String>,
}
