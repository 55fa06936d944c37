//! Paths made from a threat actor, and campaigns planned from a path.

use std::collections::{BTreeSet, HashSet};

use crate::campaigns::{CampaignDetail, ChainStep, NewCampaign};

use super::*;

/// A path made from an actor, and the techniques left out and why.
#[derive(Debug, Clone, PartialEq)]
pub struct PathFromActor {
    pub detail: AttackPathDetail,
    pub notes: Vec<String>,
}

impl AttackPathService {
    /// A chain of the techniques a threat actor uses, one step each, ordered by their tactic's
    /// place in the kill chain (then by id). Techniques the catalog does not hold, and revoked
    /// or deprecated ones, are left out and noted.
    ///
    /// # Errors
    /// `ThreatActorNotFound`; `Invalid` when the actor uses no technique the catalog holds.
    pub async fn from_threat_actor(
        &self,
        actor: &Actor,
        threat_actor_id: &str,
        name: Option<String>,
        context: &RequestContext,
    ) -> Result<PathFromActor, AttackPathError> {
        actor.authorize(Action::ManageCampaigns)?;
        let adversary = self
            .catalog
            .find_threat_actor(threat_actor_id.trim())
            .await?
            .ok_or(AttackPathError::ThreatActorNotFound)?;
        let phase: HashMap<String, i32> = self
            .catalog
            .list_tactics()
            .await?
            .into_iter()
            .map(|t| (t.shortname, t.matrix_order))
            .collect();
        let mut notes = Vec::new();
        let mut chosen: Vec<(i32, TechniqueId, String)> = Vec::new();
        for text in adversary.technique_ids() {
            let summary = adversary
                .techniques
                .iter()
                .find(|t| t.mitre_id.as_str() == text);
            let (id, name, tactics, retired) = match summary {
                Some(t) => (
                    t.mitre_id.clone(),
                    t.name.clone(),
                    t.tactics.clone(),
                    t.revoked || t.deprecated,
                ),
                None => {
                    let Ok(id) = TechniqueId::parse(&text) else {
                        notes.push(format!("{text}: not an ATT&CK technique id"));
                        continue;
                    };
                    let Some(detail) = self.catalog.find_technique(&id).await? else {
                        notes.push(format!("{text}: not in the ATT&CK catalog"));
                        continue;
                    };
                    let technique = detail.technique;
                    (
                        id,
                        technique.name,
                        technique.tactics,
                        technique.revoked || technique.deprecated,
                    )
                }
            };
            if retired {
                notes.push(format!("{id}: revoked or deprecated in ATT&CK"));
                continue;
            }
            let place = tactics
                .iter()
                .filter_map(|t| phase.get(t).copied())
                .min()
                .unwrap_or(i32::MAX);
            chosen.push((place, id, name));
        }
        chosen.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.as_str().cmp(b.1.as_str())));
        if chosen.len() > PathGraph::MAX_STEPS {
            notes.push(format!(
                "kept the first {} techniques in kill-chain order of {}",
                PathGraph::MAX_STEPS,
                chosen.len()
            ));
            chosen.truncate(PathGraph::MAX_STEPS);
        }
        if chosen.is_empty() {
            return Err(invalid(
                "threat_actor_id",
                "the threat actor uses no technique the ATT&CK catalog holds",
            ));
        }
        let label = adversary.actor.mitre_id.clone().map_or_else(
            || adversary.actor.name.clone(),
            |id| format!("{} ({id})", adversary.actor.name),
        );
        let graph = PathGraph::chain(chosen.into_iter().map(|(_, id, name)| (id, name)).collect())?;
        let name = name
            .map(|n| n.trim().chars().take(200).collect::<String>())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("Kill chain of {label}").chars().take(200).collect());
        let path = self.new_path(
            actor,
            name,
            format!(
                "The techniques {label} is known to use, in kill-chain order ({} in all).",
                graph.steps().len()
            ),
            PathSource::ThreatActor,
            Some(adversary.actor.stix_id.clone()),
            graph,
        );
        self.insert(
            actor,
            &path,
            "attack_path.created_from_threat_actor",
            serde_json::json!({
                "threat_actor": adversary.actor.stix_id,
                "steps": path.graph.steps().len(),
                "left_out": notes.len(),
            }),
            context,
        )
        .await?;
        Ok(PathFromActor {
            detail: self.detail(actor.tenant_id, path).await?,
            notes,
        })
    }

    /// A draft campaign with one draft test per technique step, in the path's order, each
    /// depending on the tests of the nearest technique steps before it (operators are looked
    /// through).
    ///
    /// # Errors
    /// `NotFound`; the campaign's errors.
    pub async fn plan_campaign(
        &self,
        actor: &Actor,
        id: AttackPathId,
        name: Option<String>,
        context: &RequestContext,
    ) -> Result<CampaignDetail, AttackPathError> {
        actor.authorize(Action::ManageCampaigns)?;
        let path = self
            .database
            .find_attack_path(actor.tenant_id, id)
            .await?
            .ok_or(AttackPathError::NotFound)?;
        let steps = chain_of(&path.graph);
        let name = name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("Path: {}", path.name).chars().take(200).collect());
        let detail = self
            .campaigns
            .plan_chain(
                actor,
                NewCampaign {
                    name,
                    description: format!(
                        "Planned from the attack path \"{}\" ({}): one test per step, each \
                         waiting for the steps before it.",
                        path.name, path.id
                    ),
                    objective: format!("Find where the attack path \"{}\" is stopped.", path.name),
                    ..NewCampaign::default()
                },
                steps,
                context,
            )
            .await?;
        Ok(detail)
    }
}

/// The technique steps in the path's order, each with the positions of the nearest technique
/// steps before it.
fn chain_of(graph: &PathGraph) -> Vec<ChainStep> {
    let ordered: Vec<&Step> = graph
        .order()
        .into_iter()
        .filter(|s| s.technique().is_some())
        .collect();
    let position: HashMap<&str, usize> = ordered
        .iter()
        .enumerate()
        .map(|(n, s)| (s.key.as_str(), n))
        .collect();
    ordered
        .iter()
        .filter_map(|step| {
            let technique = step.technique()?.clone();
            let mut depends_on = BTreeSet::new();
            let mut seen = HashSet::new();
            let mut frontier = graph.predecessors(&step.key);
            while let Some(before) = frontier.pop() {
                if !seen.insert(before) {
                    continue;
                }
                match position.get(before) {
                    Some(&n) => {
                        depends_on.insert(n);
                    }
                    None => frontier.extend(graph.predecessors(before)),
                }
            }
            Some(ChainStep {
                title: format!("{technique} {}", step.name),
                objective: format!(
                    "Run step \"{}\" of the attack path and confirm it is prevented or detected.",
                    step.name
                ),
                technique,
                depends_on: depends_on.into_iter().collect(),
            })
        })
        .collect()
}
