//! Attack paths: how an adversary chains techniques towards an objective, as a directed
//! acyclic graph of steps (techniques, and AND / OR operators where branches join), and how far
//! an organization's defences would let the chain run: each step's coverage, the weakest step
//! and the first step that stops it. Pure: the graph's rules, its order and its assessment.

use std::collections::{BTreeSet, HashMap, VecDeque};

use chrono::{DateTime, Utc};

use crate::catalog::TechniqueId;
use crate::id::Id;
use crate::scoring::CoverageStatus;
use crate::tenant::TenantId;
use crate::test_case::Outcome;
use crate::user::UserId;

pub type AttackPathId = Id<AttackPath>;

/// Where a path came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PathSource {
    /// Drawn by hand.
    Manual,
    /// Made from the techniques a threat actor uses, in kill-chain order.
    ThreatActor,
    /// Imported from an Attack Flow (STIX bundle or Attack Flow Builder file).
    AttackFlow,
}

impl PathSource {
    pub const ALL: [PathSource; 3] = [Self::Manual, Self::ThreatActor, Self::AttackFlow];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::ThreatActor => "threat_actor",
            Self::AttackFlow => "attack_flow",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// How an operator joins the branches that lead into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    /// Every branch must succeed for the chain to go on.
    And,
    /// Any one branch is enough.
    Or,
}

impl Operator {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::And => "AND",
            Self::Or => "OR",
        }
    }

    /// `AND` or `OR`, in any case.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_uppercase().as_str() {
            "AND" => Some(Self::And),
            "OR" => Some(Self::Or),
            _ => None,
        }
    }
}

/// What a step is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StepKind {
    Technique(TechniqueId),
    Operator(Operator),
}

/// One node of a path, named by a key unique within its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub key: String,
    pub name: String,
    pub kind: StepKind,
}

impl Step {
    #[must_use]
    pub const fn technique(&self) -> Option<&TechniqueId> {
        match &self.kind {
            StepKind::Technique(id) => Some(id),
            StepKind::Operator(_) => None,
        }
    }
}

/// `from` leads to `to`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Edge {
    pub from: String,
    pub to: String,
}

/// Why steps and edges do not make a path. Each names the field it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    #[error("a path needs at least one step")]
    NoSteps,
    #[error("a path holds at most {max} steps")]
    TooManySteps { max: usize },
    #[error("a path holds at most {max} edges")]
    TooManyEdges { max: usize },
    #[error("step keys are 1 to 64 letters, digits, '-', '_', '.' or ':'")]
    BadKey { index: usize },
    #[error("step names are at most {max} characters")]
    NameTooLong { index: usize, max: usize },
    #[error("the key {key} is used by more than one step")]
    DuplicateKey { index: usize, key: String },
    #[error("no step has the key {key}")]
    UnknownStep {
        index: usize,
        end: &'static str,
        key: String,
    },
    #[error("a step cannot lead to itself")]
    SelfLoop { index: usize },
    #[error("the edge is given twice")]
    DuplicateEdge { index: usize },
    #[error("the edges make a cycle through step {key}: a path only moves forward")]
    Cycle { key: String },
}

impl GraphError {
    /// The request field the error is about (`steps[2].key`, `edges[0].to`).
    #[must_use]
    pub fn field(&self) -> String {
        match self {
            Self::NoSteps | Self::TooManySteps { .. } | Self::Cycle { .. } => "steps".to_owned(),
            Self::TooManyEdges { .. } => "edges".to_owned(),
            Self::BadKey { index } | Self::DuplicateKey { index, .. } => {
                format!("steps[{index}].key")
            }
            Self::NameTooLong { index, .. } => format!("steps[{index}].name"),
            Self::UnknownStep { index, end, .. } => format!("edges[{index}].{end}"),
            Self::SelfLoop { index } | Self::DuplicateEdge { index } => format!("edges[{index}]"),
        }
    }
}

/// Steps and the edges between them: at least one step, unique keys, edges between existing
/// steps, and no cycle. A value that exists holds all of these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathGraph {
    steps: Vec<Step>,
    edges: Vec<Edge>,
}

fn valid_key(key: &str) -> bool {
    (1..=64).contains(&key.len())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

impl PathGraph {
    pub const MAX_STEPS: usize = 500;
    pub const MAX_EDGES: usize = 2_000;
    pub const MAX_NAME: usize = 300;

    /// # Errors
    /// The first rule the steps and edges break, naming its field.
    pub fn new(steps: Vec<Step>, edges: Vec<Edge>) -> Result<Self, GraphError> {
        if steps.is_empty() {
            return Err(GraphError::NoSteps);
        }
        if steps.len() > Self::MAX_STEPS {
            return Err(GraphError::TooManySteps {
                max: Self::MAX_STEPS,
            });
        }
        if edges.len() > Self::MAX_EDGES {
            return Err(GraphError::TooManyEdges {
                max: Self::MAX_EDGES,
            });
        }
        let mut keys: HashMap<&str, usize> = HashMap::new();
        for (index, step) in steps.iter().enumerate() {
            if !valid_key(&step.key) {
                return Err(GraphError::BadKey { index });
            }
            if step.name.chars().count() > Self::MAX_NAME {
                return Err(GraphError::NameTooLong {
                    index,
                    max: Self::MAX_NAME,
                });
            }
            if keys.insert(step.key.as_str(), index).is_some() {
                return Err(GraphError::DuplicateKey {
                    index,
                    key: step.key.clone(),
                });
            }
        }
        let mut seen = BTreeSet::new();
        for (index, edge) in edges.iter().enumerate() {
            for (end, key) in [("from", &edge.from), ("to", &edge.to)] {
                if !keys.contains_key(key.as_str()) {
                    return Err(GraphError::UnknownStep {
                        index,
                        end,
                        key: key.clone(),
                    });
                }
            }
            if edge.from == edge.to {
                return Err(GraphError::SelfLoop { index });
            }
            if !seen.insert(edge) {
                return Err(GraphError::DuplicateEdge { index });
            }
        }
        let graph = Self { steps, edges };
        let ordered = graph.order_indices();
        if ordered.len() < graph.steps.len() {
            let placed: BTreeSet<usize> = ordered.into_iter().collect();
            let stuck = (0..graph.steps.len())
                .find(|i| !placed.contains(i))
                .and_then(|i| graph.steps.get(i))
                .map(|s| s.key.clone())
                .unwrap_or_default();
            return Err(GraphError::Cycle { key: stuck });
        }
        Ok(graph)
    }

    #[must_use]
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    #[must_use]
    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    #[must_use]
    pub fn step(&self, key: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.key == key)
    }

    /// The keys of the steps leading into `key`, in edge order.
    #[must_use]
    pub fn predecessors(&self, key: &str) -> Vec<&str> {
        self.edges
            .iter()
            .filter(|e| e.to == key)
            .map(|e| e.from.as_str())
            .collect()
    }

    /// Kahn's order, ties broken by the steps' own order, so the same graph always reads the
    /// same way. Shorter than the steps when there is a cycle.
    fn order_indices(&self) -> Vec<usize> {
        let index: HashMap<&str, usize> = self
            .steps
            .iter()
            .enumerate()
            .map(|(n, s)| (s.key.as_str(), n))
            .collect();
        let mut incoming = vec![0_usize; self.steps.len()];
        let mut next: Vec<Vec<usize>> = vec![Vec::new(); self.steps.len()];
        for edge in &self.edges {
            if let (Some(&from), Some(&to)) =
                (index.get(edge.from.as_str()), index.get(edge.to.as_str()))
                && let (Some(count), Some(out)) = (incoming.get_mut(to), next.get_mut(from))
            {
                *count += 1;
                out.push(to);
            }
        }
        let mut ready: BTreeSet<usize> = incoming
            .iter()
            .enumerate()
            .filter(|(_, n)| **n == 0)
            .map(|(i, _)| i)
            .collect();
        let mut order = Vec::with_capacity(self.steps.len());
        while let Some(step) = ready.pop_first() {
            order.push(step);
            for &to in next.get(step).map(Vec::as_slice).unwrap_or_default() {
                if let Some(count) = incoming.get_mut(to) {
                    *count -= 1;
                    if *count == 0 {
                        ready.insert(to);
                    }
                }
            }
        }
        order
    }

    /// Every step once, each after all the steps that lead to it.
    #[must_use]
    pub fn order(&self) -> Vec<&Step> {
        self.order_indices()
            .into_iter()
            .filter_map(|i| self.steps.get(i))
            .collect()
    }

    /// The techniques in the path's order, each once.
    #[must_use]
    pub fn techniques(&self) -> Vec<&TechniqueId> {
        let mut seen = BTreeSet::new();
        self.order()
            .into_iter()
            .filter_map(Step::technique)
            .filter(|t| seen.insert(t.as_str()))
            .collect()
    }

    /// A straight chain: one step per technique, each leading to the next.
    ///
    /// # Errors
    /// `NoSteps` for no techniques; `TooManySteps`.
    pub fn chain(techniques: Vec<(TechniqueId, String)>) -> Result<Self, GraphError> {
        let steps: Vec<Step> = techniques
            .into_iter()
            .enumerate()
            .map(|(n, (id, name))| Step {
                key: format!("s{}", n + 1),
                name: name.chars().take(Self::MAX_NAME).collect(),
                kind: StepKind::Technique(id),
            })
            .collect();
        let edges = steps
            .windows(2)
            .filter_map(|pair| match pair {
                [from, to] => Some(Edge {
                    from: from.key.clone(),
                    to: to.key.clone(),
                }),
                _ => None,
            })
            .collect();
        Self::new(steps, edges)
    }
}

/// A path kept by an organization.
#[derive(Debug, Clone, PartialEq)]
pub struct AttackPath {
    pub id: AttackPathId,
    pub tenant_id: TenantId,
    pub name: String,
    pub description: String,
    pub source: PathSource,
    /// The threat actor (STIX id) or flow (its name or STIX id) it came from.
    pub origin: Option<String>,
    pub graph: PathGraph,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change ([`AttackPath::record_change`]): a stale one is refused.
    version: i32,
}

impl AttackPath {
    #[must_use]
    #[expect(
        clippy::too_many_arguments,
        reason = "a path's identity and content at once"
    )]
    pub fn new(
        id: AttackPathId,
        tenant_id: TenantId,
        name: String,
        description: String,
        source: PathSource,
        origin: Option<String>,
        graph: PathGraph,
        created_by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            tenant_id,
            name,
            description,
            source,
            origin,
            graph,
            created_by,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    /// The path as storage holds it, at its stored version.
    #[must_use]
    pub fn restored(mut self, version: i32) -> Self {
        self.version = version;
        self
    }

    #[must_use]
    pub const fn version(&self) -> i32 {
        self.version
    }

    /// Marks a change made at `now`: returns the version it was based on and moves on.
    pub fn record_change(&mut self, now: DateTime<Utc>) -> i32 {
        let based_on = self.version;
        self.version += 1;
        self.updated_at = now;
        based_on
    }
}

/// What the organization knows of one technique: its score and status from the scoring engine,
/// and how its latest validated test ended.
#[derive(Debug, Clone, PartialEq)]
pub struct TechniqueEvidence {
    pub score: f64,
    pub status: CoverageStatus,
    pub latest_outcome: Option<Outcome>,
}

impl TechniqueEvidence {
    #[must_use]
    pub const fn uncovered() -> Self {
        Self {
            score: 0.0,
            status: CoverageStatus::NotCovered,
            latest_outcome: None,
        }
    }
}

/// One step as the organization's defences meet it.
#[derive(Debug, Clone, PartialEq)]
pub struct StepAssessment {
    pub key: String,
    /// A technique's evidence; `None` for an operator.
    pub evidence: Option<TechniqueEvidence>,
    /// Whether the chain is stopped here: a technique whose latest validated test was
    /// prevented or detected; an OR all of whose branches are stopped; an AND any of whose
    /// branches is.
    pub stopped: bool,
}

/// A path as the organization's defences meet it.
#[derive(Debug, Clone, PartialEq)]
pub struct PathAssessment {
    /// Every step, in the path's order.
    pub steps: Vec<StepAssessment>,
    /// The technique step with the lowest score (the first in order among equals).
    pub weakest: Option<String>,
    /// The first step, in order, where the chain is stopped.
    pub first_stop: Option<String>,
}

fn stops(outcome: Option<Outcome>) -> bool {
    matches!(outcome, Some(Outcome::Prevented | Outcome::Detected))
}

/// Meets the path with the evidence per technique (techniques absent count as uncovered).
#[must_use]
pub fn assess(
    graph: &PathGraph,
    evidence: &HashMap<TechniqueId, TechniqueEvidence>,
) -> PathAssessment {
    let mut stopped: HashMap<&str, bool> = HashMap::new();
    let mut steps = Vec::with_capacity(graph.steps().len());
    for step in graph.order() {
        let (found, is_stopped) = match &step.kind {
            StepKind::Technique(id) => {
                let found = evidence
                    .get(id)
                    .cloned()
                    .unwrap_or_else(TechniqueEvidence::uncovered);
                let is_stopped = stops(found.latest_outcome);
                (Some(found), is_stopped)
            }
            StepKind::Operator(operator) => {
                // Predecessors come first in the order, so their state is known.
                let branches: Vec<bool> = graph
                    .predecessors(&step.key)
                    .into_iter()
                    .map(|p| stopped.get(p).copied().unwrap_or(false))
                    .collect();
                let is_stopped = match operator {
                    Operator::Or => !branches.is_empty() && branches.iter().all(|b| *b),
                    Operator::And => branches.iter().any(|b| *b),
                };
                (None, is_stopped)
            }
        };
        stopped.insert(step.key.as_str(), is_stopped);
        steps.push(StepAssessment {
            key: step.key.clone(),
            evidence: found,
            stopped: is_stopped,
        });
    }
    let weakest = steps
        .iter()
        .filter_map(|s| s.evidence.as_ref().map(|e| (s, e.score)))
        .fold(
            None::<(&StepAssessment, f64)>,
            |low, (step, score)| match low {
                Some((_, best)) if best <= score => low,
                _ => Some((step, score)),
            },
        )
        .map(|(s, _)| s.key.clone());
    let first_stop = steps.iter().find(|s| s.stopped).map(|s| s.key.clone());
    PathAssessment {
        steps,
        weakest,
        first_stop,
    }
}

/// What a step of a flow file is, as read, before the catalog is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftKind {
    /// An action naming a technique (as written: it may not be an ATT&CK id at all).
    Technique(String),
    Operator(Operator),
    /// Something the chain passes through without being a step (a condition, an action with
    /// no technique): its predecessors lead straight to its successors.
    PassThrough,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftStep {
    pub name: String,
    pub kind: DraftKind,
}

/// A flow as read from a file: steps in document order and edges between their positions,
/// with notes on what was left out and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowDraft {
    pub name: String,
    pub description: String,
    pub steps: Vec<DraftStep>,
    pub edges: Vec<(usize, usize)>,
    pub notes: Vec<String>,
}

impl FlowDraft {
    /// Removes the steps `drop` selects, each one's predecessors then leading to its
    /// successors, so the order around it is kept.
    #[must_use]
    pub fn without(self, drop: impl Fn(&DraftStep) -> bool) -> Self {
        let n = self.steps.len();
        let removed: Vec<bool> = self.steps.iter().map(&drop).collect();
        let mut next: Vec<Vec<usize>> = vec![Vec::new(); n];
        for &(from, to) in &self.edges {
            if to < n
                && from != to
                && let Some(out) = next.get_mut(from)
            {
                out.push(to);
            }
        }
        let mut edges = BTreeSet::new();
        for start in (0..n).filter(|i| !removed.get(*i).copied().unwrap_or(true)) {
            // Walk through removed steps only; kept steps end the walk.
            let mut seen = vec![false; n];
            let mut queue: VecDeque<usize> = next.get(start).cloned().unwrap_or_default().into();
            while let Some(step) = queue.pop_front() {
                if seen.get(step).copied().unwrap_or(true) {
                    continue;
                }
                if let Some(mark) = seen.get_mut(step) {
                    *mark = true;
                }
                if removed.get(step).copied().unwrap_or(false) {
                    queue.extend(next.get(step).map(Vec::as_slice).unwrap_or_default());
                } else if step != start {
                    edges.insert((start, step));
                }
            }
        }
        let mut position = vec![None; n];
        let mut steps = Vec::new();
        for (i, step) in self.steps.into_iter().enumerate() {
            if !removed.get(i).copied().unwrap_or(true) {
                if let Some(slot) = position.get_mut(i) {
                    *slot = Some(steps.len());
                }
                steps.push(step);
            }
        }
        let edges = edges
            .into_iter()
            .filter_map(|(from, to)| {
                Some((
                    position.get(from).copied().flatten()?,
                    position.get(to).copied().flatten()?,
                ))
            })
            .collect();
        Self {
            steps,
            edges,
            ..self
        }
    }

    /// Drops the edges that close a cycle (found depth first from the steps in document
    /// order), noting each, so a flow drawn with a loop still reads as a path.
    #[must_use]
    pub fn acyclic(mut self) -> Self {
        let n = self.steps.len();
        let mut next: Vec<Vec<usize>> = vec![Vec::new(); n];
        for &(from, to) in &self.edges {
            if let Some(out) = next.get_mut(from)
                && to < n
            {
                out.push(to);
            }
        }
        // 0 unvisited, 1 on the stack, 2 done.
        let mut state = vec![0_u8; n];
        let mut back = BTreeSet::new();
        for root in 0..n {
            if state.get(root).copied() != Some(0) {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
            if let Some(s) = state.get_mut(root) {
                *s = 1;
            }
            while let Some(&mut (node, ref mut child)) = stack.last_mut() {
                let successor = next.get(node).and_then(|out| out.get(*child)).copied();
                *child += 1;
                match successor {
                    None => {
                        if let Some(s) = state.get_mut(node) {
                            *s = 2;
                        }
                        stack.pop();
                    }
                    Some(to) => match state.get(to).copied() {
                        Some(0) => {
                            if let Some(s) = state.get_mut(to) {
                                *s = 1;
                            }
                            stack.push((to, 0));
                        }
                        Some(1) => {
                            back.insert((node, to));
                        }
                        _ => {}
                    },
                }
            }
        }
        for &(from, to) in &back {
            let name = |i: usize| {
                self.steps
                    .get(i)
                    .map_or("?", |s| s.name.as_str())
                    .to_owned()
            };
            self.notes.push(format!(
                "left out the edge from \"{}\" to \"{}\": it closes a cycle",
                name(from),
                name(to)
            ));
        }
        self.edges.retain(|e| !back.contains(e));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn technique(key: &str, id: &str) -> Step {
        Step {
            key: key.to_owned(),
            name: id.to_owned(),
            kind: StepKind::Technique(TechniqueId::parse(id).unwrap_or_else(|e| panic!("{e}"))),
        }
    }

    fn operator(key: &str, operator: Operator) -> Step {
        Step {
            key: key.to_owned(),
            name: operator.as_str().to_owned(),
            kind: StepKind::Operator(operator),
        }
    }

    fn edge(from: &str, to: &str) -> Edge {
        Edge {
            from: from.to_owned(),
            to: to.to_owned(),
        }
    }

    fn evidence(score: f64, outcome: Option<Outcome>) -> TechniqueEvidence {
        TechniqueEvidence {
            score,
            status: CoverageStatus::Partial,
            latest_outcome: outcome,
        }
    }

    fn id(text: &str) -> TechniqueId {
        TechniqueId::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Two branches (T1566 and T1190) into an operator, then T1059.
    fn branching(op: Operator) -> PathGraph {
        PathGraph::new(
            vec![
                technique("a", "T1566"),
                technique("b", "T1190"),
                operator("op", op),
                technique("c", "T1059"),
            ],
            vec![edge("a", "op"), edge("b", "op"), edge("op", "c")],
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_path_needs_a_step_and_known_ends() {
        assert_eq!(PathGraph::new(vec![], vec![]), Err(GraphError::NoSteps));
        let unknown = PathGraph::new(vec![technique("a", "T1566")], vec![edge("a", "zz")]);
        assert_eq!(
            unknown.map_err(|e| e.field()),
            Err("edges[0].to".to_owned())
        );
        let duplicate = PathGraph::new(
            vec![technique("a", "T1566"), technique("a", "T1059")],
            vec![],
        );
        assert_eq!(
            duplicate.map_err(|e| e.field()),
            Err("steps[1].key".to_owned())
        );
        let bad_key = PathGraph::new(vec![technique("a b", "T1566")], vec![]);
        assert!(matches!(bad_key, Err(GraphError::BadKey { index: 0 })));
        let self_loop = PathGraph::new(vec![technique("a", "T1566")], vec![edge("a", "a")]);
        assert!(matches!(self_loop, Err(GraphError::SelfLoop { index: 0 })));
    }

    #[test]
    fn cycles_are_refused() {
        let cycle = PathGraph::new(
            vec![
                technique("a", "T1566"),
                technique("b", "T1059"),
                technique("c", "T1003"),
            ],
            vec![edge("a", "b"), edge("b", "c"), edge("c", "b")],
        );
        assert!(matches!(cycle, Err(GraphError::Cycle { key }) if key == "b"));
    }

    #[test]
    fn order_puts_every_step_after_what_leads_to_it() {
        // Declared out of order: the order follows the edges, not the list.
        let graph = PathGraph::new(
            vec![
                technique("c", "T1003"),
                technique("a", "T1566"),
                technique("b", "T1059"),
            ],
            vec![edge("a", "b"), edge("b", "c")],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let keys: Vec<&str> = graph.order().iter().map(|s| s.key.as_str()).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        let branching = branching(Operator::And);
        let keys: Vec<&str> = branching.order().iter().map(|s| s.key.as_str()).collect();
        assert_eq!(keys, ["a", "b", "op", "c"]);
    }

    #[test]
    fn the_weakest_step_has_the_lowest_score_and_operators_have_none() {
        let graph = branching(Operator::Or);
        let found = HashMap::from([
            (id("T1566"), evidence(40.0, None)),
            (id("T1190"), evidence(10.0, None)),
            (id("T1059"), evidence(10.0, None)),
        ]);
        let assessment = assess(&graph, &found);
        // Ties go to the first in order.
        assert_eq!(assessment.weakest.as_deref(), Some("b"));
        assert_eq!(assessment.first_stop, None);
        let op = assessment.steps.iter().find(|s| s.key == "op");
        assert_eq!(op.and_then(|s| s.evidence.clone()), None);
        // Techniques never scored count as uncovered (0), so they are the weakest.
        let assessment = assess(&graph, &HashMap::from([(id("T1566"), evidence(1.0, None))]));
        assert_eq!(assessment.weakest.as_deref(), Some("b"));
    }

    #[test]
    fn an_or_is_stopped_only_when_every_branch_is() {
        let graph = branching(Operator::Or);
        let one = HashMap::from([(id("T1190"), evidence(80.0, Some(Outcome::Detected)))]);
        let assessment = assess(&graph, &one);
        assert_eq!(assessment.first_stop.as_deref(), Some("b"));
        let op = assessment.steps.iter().find(|s| s.key == "op");
        assert_eq!(op.map(|s| s.stopped), Some(false));
        let both = HashMap::from([
            (id("T1566"), evidence(80.0, Some(Outcome::Prevented))),
            (id("T1190"), evidence(80.0, Some(Outcome::Detected))),
        ]);
        let op_stopped = assess(&graph, &both)
            .steps
            .iter()
            .find(|s| s.key == "op")
            .map(|s| s.stopped);
        assert_eq!(op_stopped, Some(true));
    }

    #[test]
    fn an_and_is_stopped_when_any_branch_is() {
        let graph = branching(Operator::And);
        let one = HashMap::from([(id("T1566"), evidence(80.0, Some(Outcome::Prevented)))]);
        let assessment = assess(&graph, &one);
        let op = assessment.steps.iter().find(|s| s.key == "op");
        assert_eq!(op.map(|s| s.stopped), Some(true));
        assert_eq!(assessment.first_stop.as_deref(), Some("a"));
    }

    #[test]
    fn only_prevented_or_detected_stops_the_chain() {
        let graph = branching(Operator::And);
        for outcome in [Outcome::Logged, Outcome::NotDetected] {
            let found = HashMap::from([
                (id("T1566"), evidence(30.0, Some(outcome))),
                (id("T1190"), evidence(30.0, Some(outcome))),
                (id("T1059"), evidence(30.0, Some(outcome))),
            ]);
            assert_eq!(assess(&graph, &found).first_stop, None);
        }
        let last = HashMap::from([(id("T1059"), evidence(90.0, Some(Outcome::Detected)))]);
        assert_eq!(assess(&graph, &last).first_stop.as_deref(), Some("c"));
    }

    #[test]
    fn a_chain_links_each_technique_to_the_next() {
        let graph = PathGraph::chain(vec![
            (id("T1566"), "Phishing".to_owned()),
            (id("T1059"), "Command".to_owned()),
            (id("T1003"), "Dumping".to_owned()),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(graph.edges(), [edge("s1", "s2"), edge("s2", "s3")]);
        assert_eq!(PathGraph::chain(vec![]), Err(GraphError::NoSteps));
    }

    fn draft(kinds: &[DraftKind], edges: &[(usize, usize)]) -> FlowDraft {
        FlowDraft {
            steps: kinds
                .iter()
                .enumerate()
                .map(|(n, kind)| DraftStep {
                    name: format!("n{n}"),
                    kind: kind.clone(),
                })
                .collect(),
            edges: edges.to_vec(),
            ..FlowDraft::default()
        }
    }

    #[test]
    fn passing_through_a_step_keeps_the_order_around_it() {
        let t = |s: &str| DraftKind::Technique(s.to_owned());
        // 0 -> cond 1 -> 2, and cond 1 -> cond 3 -> 4.
        let flow = draft(
            &[
                t("T1566"),
                DraftKind::PassThrough,
                t("T1059"),
                DraftKind::PassThrough,
                t("T1003"),
            ],
            &[(0, 1), (1, 2), (1, 3), (3, 4)],
        )
        .without(|s| s.kind == DraftKind::PassThrough);
        assert_eq!(flow.steps.len(), 3);
        assert_eq!(flow.edges, [(0, 1), (0, 2)]);
    }

    #[test]
    fn cycles_in_a_flow_are_broken_and_noted() {
        let t = |s: &str| DraftKind::Technique(s.to_owned());
        let flow = draft(
            &[t("T1566"), t("T1059"), t("T1003")],
            &[(0, 1), (1, 2), (2, 1)],
        )
        .acyclic();
        assert_eq!(flow.edges, [(0, 1), (1, 2)]);
        assert_eq!(flow.notes.len(), 1);
    }
}
