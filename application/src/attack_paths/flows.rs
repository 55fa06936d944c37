//! Attack Flow files in and out: the codec port (a pure parser and writer in infrastructure),
//! the import that checks each technique against the catalog, and the export.

use aegis_domain::attack_path::{DraftKind, FlowDraft};

use super::*;

/// Why a file is not a readable Attack Flow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FlowFormatError(pub String);

/// Reads and writes Attack Flow 2.0: STIX 2.1 bundles with the attack-flow extension and
/// Attack Flow Builder (`.afb`) files.
pub trait AttackFlowCodec: Send + Sync {
    /// Reads a flow (the format is told by its content), within the codec's size bounds.
    ///
    /// # Errors
    /// `FlowFormatError` when the bytes are no flow of a known format.
    fn read(&self, bytes: &[u8]) -> Result<FlowDraft, FlowFormatError>;

    /// The path as an Attack Flow STIX 2.1 bundle.
    fn write(&self, path: &AttackPath) -> serde_json::Value;
}

/// A path made from a flow, and what of the flow it left out and why.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedPath {
    pub detail: AttackPathDetail,
    pub notes: Vec<String>,
}

impl AttackPathService {
    /// Makes a path from an Attack Flow file: its actions become technique steps and its
    /// operators operator steps; conditions and actions without a technique are passed
    /// through (what led to them leads to what follows them); techniques the catalog does not
    /// hold are passed through too and noted, never fatal.
    ///
    /// # Errors
    /// `UnreadableFlow` for a file that is no flow; `Invalid` when nothing of it is a step
    /// the catalog knows.
    pub async fn import(
        &self,
        actor: &Actor,
        bytes: &[u8],
        name: Option<String>,
        context: &RequestContext,
    ) -> Result<ImportedPath, AttackPathError> {
        actor.authorize(Action::ManageCampaigns)?;
        let draft = self
            .codec
            .read(bytes)
            .map_err(|e| AttackPathError::UnreadableFlow(e.0))?;
        let mut known: HashMap<String, TechniqueId> = HashMap::new();
        let mut notes = Vec::new();
        for step in &draft.steps {
            let DraftKind::Technique(text) = &step.kind else {
                continue;
            };
            if known.contains_key(text) {
                continue;
            }
            match TechniqueId::parse(text.trim()) {
                Ok(id) if self.catalog.find_technique(&id).await?.is_some() => {
                    known.insert(text.clone(), id);
                }
                Ok(id) => notes.push(format!(
                    "\"{}\": {id} is not in the ATT&CK catalog; passed through",
                    step.name
                )),
                Err(_) => notes.push(format!(
                    "\"{}\": \"{text}\" is not an ATT&CK technique id; passed through",
                    step.name
                )),
            }
        }
        let mut draft = draft
            .without(|s| match &s.kind {
                DraftKind::Technique(text) => !known.contains_key(text),
                DraftKind::Operator(_) => false,
                DraftKind::PassThrough => true,
            })
            .acyclic();
        notes.append(&mut draft.notes);
        if draft.steps.len() > PathGraph::MAX_STEPS {
            return Err(invalid(
                "file",
                format!(
                    "the flow has {} steps; a path holds at most {}",
                    draft.steps.len(),
                    PathGraph::MAX_STEPS
                ),
            ));
        }
        let key = |n: usize| format!("s{}", n + 1);
        let steps: Vec<Step> = draft
            .steps
            .iter()
            .enumerate()
            .filter_map(|(n, s)| {
                let kind = match &s.kind {
                    DraftKind::Technique(text) => StepKind::Technique(known.get(text)?.clone()),
                    DraftKind::Operator(op) => StepKind::Operator(*op),
                    DraftKind::PassThrough => return None,
                };
                Some(Step {
                    key: key(n),
                    name: s.name.chars().take(PathGraph::MAX_NAME).collect(),
                    kind,
                })
            })
            .collect();
        if !steps.iter().any(|s| s.technique().is_some()) {
            return Err(invalid(
                "file",
                "no action of the flow names a technique the ATT&CK catalog holds",
            ));
        }
        let edges = draft
            .edges
            .iter()
            .map(|&(from, to)| Edge {
                from: key(from),
                to: key(to),
            })
            .collect();
        let graph = PathGraph::new(steps, edges)?;
        let flow_name = draft.name.trim().chars().take(200).collect::<String>();
        let name = name
            .map(|n| n.trim().chars().take(200).collect::<String>())
            .filter(|n| !n.is_empty())
            .or_else(|| Some(flow_name.clone()).filter(|n| !n.is_empty()))
            .unwrap_or_else(|| "Imported attack flow".to_owned());
        let origin = Some(flow_name).filter(|n| !n.is_empty());
        let path = self.new_path(
            actor,
            name,
            draft.description.chars().take(20_000).collect(),
            PathSource::AttackFlow,
            origin,
            graph,
        );
        self.insert(
            actor,
            &path,
            "attack_path.imported",
            serde_json::json!({
                "name": path.name,
                "steps": path.graph.steps().len(),
                "left_out": notes.len(),
            }),
            context,
        )
        .await?;
        Ok(ImportedPath {
            detail: self.detail(actor.tenant_id, path).await?,
            notes,
        })
    }

    /// The path as an Attack Flow STIX 2.1 bundle.
    ///
    /// # Errors
    /// `NotFound`.
    pub async fn export(
        &self,
        actor: &Actor,
        id: AttackPathId,
    ) -> Result<(AttackPath, serde_json::Value), AttackPathError> {
        actor.authorize(Action::ReadOperations)?;
        let path = self
            .database
            .find_attack_path(actor.tenant_id, id)
            .await?
            .ok_or(AttackPathError::NotFound)?;
        let bundle = self.codec.write(&path);
        Ok((path, bundle))
    }
}
