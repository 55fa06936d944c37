//! The MITRE ATT&CK STIX 2.0/2.1 bundle parser: pure, from bytes to an `AttackRelease`.
//!
//! Objects are read one at a time from raw JSON, so one malformed object is skipped with its
//! id and reason instead of failing the whole bundle. Types the catalog does not keep
//! (identities, markings, campaigns...) are ignored; detection strategies, analytics and data
//! components are folded into the techniques they observe.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

use aegis_domain::catalog::{
    AttackRelease, DetectionStrategy, Mitigation, Reference, Relationship, RelationshipKind,
    Skipped, Software, SoftwareKind, Tactic, Technique, TechniqueId, ThreatActor,
};

#[derive(Debug, thiserror::Error)]
pub enum AttackParseError {
    #[error("the file is not a STIX bundle: {0}")]
    NotABundle(String),
}

#[derive(Deserialize)]
struct Bundle<'a> {
    #[serde(rename = "type")]
    kind: String,
    #[serde(borrow)]
    objects: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct Head {
    #[serde(rename = "type")]
    kind: String,
    id: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ExternalReference {
    source_name: String,
    external_id: Option<String>,
    url: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize)]
struct KillChainPhase {
    kill_chain_name: String,
    phase_name: String,
}

#[derive(Deserialize)]
#[serde(default)]
#[derive(Default)]
struct StixObject {
    id: String,
    name: String,
    description: String,
    external_references: Vec<ExternalReference>,
    kill_chain_phases: Vec<KillChainPhase>,
    revoked: bool,
    x_mitre_deprecated: bool,
    x_mitre_platforms: Vec<String>,
    x_mitre_detection: Option<String>,
    x_mitre_version: Option<String>,
    x_mitre_shortname: Option<String>,
    tactic_refs: Vec<String>,
    aliases: Vec<String>,
    x_mitre_aliases: Vec<String>,
    modified: Option<DateTime<Utc>>,
    relationship_type: Option<String>,
    source_ref: Option<String>,
    target_ref: Option<String>,
    /// Before ATT&CK v10: `Process: Process Creation`.
    x_mitre_data_sources: Vec<String>,
    /// Detection strategies (v18+) name their analytics.
    x_mitre_analytic_refs: Vec<String>,
    /// Analytics (v18+) name the data components they read.
    x_mitre_log_source_references: Vec<LogSourceReference>,
}

#[derive(Deserialize)]
struct LogSourceReference {
    x_mitre_data_component_ref: String,
}

/// What the bundle says about observing techniques, gathered while reading it: data
/// components `detects` techniques up to v17; from v18 detection strategies `detects`
/// techniques and reach data components through their analytics.
#[derive(Default)]
struct DetectionIndex {
    component_names: HashMap<String, String>,
    analytic_components: HashMap<String, Vec<String>>,
    strategies: HashMap<String, (DetectionStrategy, Vec<String>)>,
    detects: Vec<(String, String)>,
}

impl DetectionIndex {
    fn read(&mut self, kind: &str, object: StixObject) {
        if object.revoked || object.x_mitre_deprecated {
            return;
        }
        match kind {
            "x-mitre-data-component" => {
                self.component_names.insert(object.id, object.name);
            }
            "x-mitre-analytic" => {
                let components = object
                    .x_mitre_log_source_references
                    .into_iter()
                    .map(|r| r.x_mitre_data_component_ref)
                    .collect();
                self.analytic_components.insert(object.id, components);
            }
            "x-mitre-detection-strategy" => {
                if let Some(mitre_id) = object.attack_id() {
                    let strategy = DetectionStrategy {
                        url: object.attack_url(),
                        mitre_id,
                        name: object.name,
                    };
                    self.strategies
                        .insert(object.id, (strategy, object.x_mitre_analytic_refs));
                }
            }
            _ => {}
        }
    }

    /// Sets each technique's data components and detection strategies.
    fn attach(self, techniques: &mut [Technique]) {
        let position: HashMap<String, usize> = techniques
            .iter()
            .enumerate()
            .map(|(i, t)| (t.stix_id.clone(), i))
            .collect();
        let mut components: Vec<BTreeSet<String>> = techniques
            .iter()
            .map(|t| t.data_components.iter().cloned().collect())
            .collect();
        for (source, target) in &self.detects {
            let Some(&index) = position.get(target) else {
                continue;
            };
            if let Some(name) = self.component_names.get(source) {
                components[index].insert(name.clone());
            } else if let Some((strategy, analytics)) = self.strategies.get(source) {
                let names = analytics
                    .iter()
                    .filter_map(|a| self.analytic_components.get(a))
                    .flatten()
                    .filter_map(|c| self.component_names.get(c));
                components[index].extend(names.cloned());
                techniques[index]
                    .detection_strategies
                    .push(strategy.clone());
            }
        }
        for (technique, names) in techniques.iter_mut().zip(components) {
            technique.data_components = names.into_iter().collect();
            technique
                .detection_strategies
                .sort_by(|a, b| a.mitre_id.cmp(&b.mitre_id));
            technique.detection_strategies.dedup();
        }
    }
}

impl StixObject {
    /// The ATT&CK id and page of the object.
    fn attack_reference(&self) -> Option<&ExternalReference> {
        self.external_references.iter().find(|r| {
            matches!(
                r.source_name.as_str(),
                "mitre-attack" | "mitre-mobile-attack" | "mitre-ics-attack"
            )
        })
    }

    fn attack_id(&self) -> Option<String> {
        self.attack_reference().and_then(|r| r.external_id.clone())
    }

    fn attack_url(&self) -> Option<String> {
        self.attack_reference().and_then(|r| r.url.clone())
    }
}

fn skip(id: &str, reason: impl Into<String>) -> Skipped {
    Skipped {
        stix_id: id.to_owned(),
        reason: reason.into(),
    }
}

/// Parses a bundle. Tactics come in the order of the bundle's matrix (`x-mitre-matrix`).
///
/// # Errors
/// `NotABundle` when the bytes are not a JSON STIX bundle at all; problems with single
/// objects are reported in `AttackRelease::skipped` instead.
pub fn parse_bundle(bytes: &[u8]) -> Result<AttackRelease, AttackParseError> {
    let bundle: Bundle<'_> =
        serde_json::from_slice(bytes).map_err(|e| AttackParseError::NotABundle(e.to_string()))?;
    if bundle.kind != "bundle" {
        return Err(AttackParseError::NotABundle(format!(
            "its type is `{}`",
            bundle.kind
        )));
    }
    let mut release = AttackRelease::default();
    let mut tactics = Vec::new();
    let mut matrix_order: Vec<String> = Vec::new();
    let mut detection = DetectionIndex::default();
    for raw in bundle.objects {
        let head = match serde_json::from_str::<Head>(raw.get()) {
            Ok(head) => head,
            Err(e) => {
                release
                    .skipped
                    .push(skip("(unknown)", format!("not a STIX object: {e}")));
                continue;
            }
        };
        let kept = matches!(
            head.kind.as_str(),
            "x-mitre-tactic"
                | "x-mitre-matrix"
                | "attack-pattern"
                | "course-of-action"
                | "intrusion-set"
                | "malware"
                | "tool"
                | "relationship"
                | "x-mitre-data-component"
                | "x-mitre-analytic"
                | "x-mitre-detection-strategy"
        );
        if !kept {
            continue;
        }
        let object = match serde_json::from_str::<StixObject>(raw.get()) {
            Ok(object) => object,
            Err(e) => {
                release
                    .skipped
                    .push(skip(&head.id, format!("malformed {}: {e}", head.kind)));
                continue;
            }
        };
        match head.kind.as_str() {
            "x-mitre-matrix" => matrix_order.extend(object.tactic_refs.iter().cloned()),
            "x-mitre-tactic" => match tactic(&object) {
                Ok(t) => tactics.push(t),
                Err(s) => release.skipped.push(s),
            },
            "attack-pattern" => match technique(&object) {
                Ok(t) => release.techniques.push(t),
                Err(s) => release.skipped.push(s),
            },
            "course-of-action" => match object.attack_id() {
                Some(mitre_id) => release.mitigations.push(Mitigation {
                    url: object.attack_url(),
                    stix_id: object.id,
                    mitre_id,
                    name: object.name,
                    description: object.description,
                    revoked: object.revoked,
                    deprecated: object.x_mitre_deprecated,
                }),
                // Mitigations without an ATT&CK id are pre-ATT&CK leftovers.
                None => release
                    .skipped
                    .push(skip(&object.id, "mitigation without an ATT&CK id")),
            },
            "intrusion-set" => release.threat_actors.push(threat_actor(object)),
            "malware" | "tool" => {
                let kind = if head.kind == "tool" {
                    SoftwareKind::Tool
                } else {
                    SoftwareKind::Malware
                };
                release.software.push(software(object, kind));
            }
            "relationship" if object.relationship_type.as_deref() == Some("detects") => {
                if let (Some(source), Some(target)) = (object.source_ref, object.target_ref) {
                    detection.detects.push((source, target));
                }
            }
            "relationship" => {
                if let Some(relationship) = relationship(&object) {
                    release.relationships.push(relationship);
                }
            }
            other => detection.read(other, object),
        }
    }
    order_tactics(&mut tactics, &matrix_order);
    release.tactics = tactics;
    detection.attach(&mut release.techniques);
    link_revocations(&mut release);
    Ok(release)
}

fn tactic(object: &StixObject) -> Result<Tactic, Skipped> {
    let mitre_id = object
        .attack_id()
        .ok_or_else(|| skip(&object.id, "tactic without an ATT&CK id"))?;
    let shortname = object
        .x_mitre_shortname
        .clone()
        .ok_or_else(|| skip(&object.id, "tactic without a shortname"))?;
    Ok(Tactic {
        stix_id: object.id.clone(),
        mitre_id,
        name: object.name.clone(),
        shortname,
        description: object.description.clone(),
        url: object.attack_url(),
        matrix_order: 0,
        modified: object.modified,
    })
}

fn technique(object: &StixObject) -> Result<Technique, Skipped> {
    let id = object
        .attack_id()
        .ok_or_else(|| skip(&object.id, "technique without an ATT&CK id"))?;
    let mitre_id = TechniqueId::parse(&id).map_err(|e| skip(&object.id, e.to_string()))?;
    let tactics = object
        .kill_chain_phases
        .iter()
        .filter(|phase| phase.kill_chain_name.starts_with("mitre-"))
        .map(|phase| phase.phase_name.clone())
        .collect();
    Ok(Technique {
        stix_id: object.id.clone(),
        parent: mitre_id.parent(),
        mitre_id,
        name: object.name.clone(),
        description: object.description.clone(),
        tactics,
        platforms: object.x_mitre_platforms.clone(),
        detection: object.x_mitre_detection.clone().unwrap_or_default(),
        // Before v10 the technique named its sources; later bundles add components in
        // `DetectionIndex::attach`.
        data_components: object
            .x_mitre_data_sources
            .iter()
            .map(|s| s.split_once(": ").map_or(s.as_str(), |(_, c)| c).to_owned())
            .collect(),
        detection_strategies: Vec::new(),
        url: object.attack_url(),
        version: object.x_mitre_version.clone(),
        revoked: object.revoked,
        deprecated: object.x_mitre_deprecated,
        revoked_by: None,
        modified: object.modified,
    })
}

fn threat_actor(object: StixObject) -> ThreatActor {
    let references = object
        .external_references
        .iter()
        .filter(|r| !r.source_name.starts_with("mitre-"))
        .map(|r| Reference {
            source: r.source_name.clone(),
            url: r.url.clone(),
            description: r.description.clone(),
        })
        .collect();
    ThreatActor {
        mitre_id: object.attack_id(),
        stix_id: object.id,
        name: object.name,
        aliases: object.aliases,
        description: object.description,
        references,
        revoked: object.revoked,
        deprecated: object.x_mitre_deprecated,
        modified: object.modified,
    }
}

fn software(object: StixObject, kind: SoftwareKind) -> Software {
    Software {
        mitre_id: object.attack_id(),
        stix_id: object.id,
        name: object.name,
        kind,
        aliases: object.x_mitre_aliases,
        platforms: object.x_mitre_platforms,
        description: object.description,
        revoked: object.revoked,
        deprecated: object.x_mitre_deprecated,
    }
}

fn relationship(object: &StixObject) -> Option<Relationship> {
    let kind = RelationshipKind::parse(object.relationship_type.as_deref()?)?;
    Some(Relationship {
        stix_id: object.id.clone(),
        kind,
        source: object.source_ref.clone()?,
        target: object.target_ref.clone()?,
        description: (!object.description.is_empty()).then(|| object.description.clone()),
    })
}

/// Matrix order when the bundle has a matrix; ATT&CK id order otherwise.
fn order_tactics(tactics: &mut [Tactic], matrix_order: &[String]) {
    let position: HashMap<&str, usize> = matrix_order
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    tactics.sort_by(|a, b| {
        let key = |t: &Tactic| {
            (
                position
                    .get(t.stix_id.as_str())
                    .copied()
                    .unwrap_or(usize::MAX),
                t.mitre_id.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
    for (index, tactic) in tactics.iter_mut().enumerate() {
        tactic.matrix_order = i32::try_from(index + 1).unwrap_or(i32::MAX);
    }
}

/// Follows `revoked-by` relationships so each revoked technique names its replacement.
fn link_revocations(release: &mut AttackRelease) {
    let replacements: HashMap<&str, &str> = release
        .relationships
        .iter()
        .filter(|r| r.kind == RelationshipKind::RevokedBy)
        .map(|r| (r.source.as_str(), r.target.as_str()))
        .collect();
    for technique in &mut release.techniques {
        if let Some(target) = replacements.get(technique.stix_id.as_str()) {
            technique.revoked_by = Some((*target).to_owned());
        }
    }
}

/// An ATT&CK bundle in a local file (`.json` or `.json.gz`): the air-gapped way in.
#[derive(Debug, Clone)]
pub struct FileAttackSource {
    path: std::path::PathBuf,
}

impl FileAttackSource {
    pub fn new(path: impl Into<std::path::PathBuf>) -> Self {
        Self { path: path.into() }
    }
}

#[async_trait::async_trait]
impl aegis_application::catalog::AttackSource for FileAttackSource {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    async fn fetch(&self) -> Result<AttackRelease, aegis_application::catalog::FeedError> {
        let path = self.path.clone();
        // Reading and parsing 45 MB is CPU work: keep it off the async executor.
        tokio::task::spawn_blocking(move || {
            let bytes =
                super::read_feed_file(&path, super::MAX_FEED_BYTES).map_err(|e| e.to_string())?;
            parse_bundle(&bytes).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| aegis_application::catalog::FeedError(e.to_string()))?
        .map_err(aegis_application::catalog::FeedError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUNDLE: &str = r#"{
      "type": "bundle", "id": "bundle--1", "spec_version": "2.0",
      "objects": [
        {"type": "x-mitre-matrix", "id": "x-mitre-matrix--1", "tactic_refs": ["x-mitre-tactic--b", "x-mitre-tactic--a"]},
        {"type": "x-mitre-tactic", "id": "x-mitre-tactic--a", "name": "Execution", "x_mitre_shortname": "execution",
         "external_references": [{"source_name": "mitre-attack", "external_id": "TA0002"}]},
        {"type": "x-mitre-tactic", "id": "x-mitre-tactic--b", "name": "Initial Access", "x_mitre_shortname": "initial-access",
         "external_references": [{"source_name": "mitre-attack", "external_id": "TA0001"}]},
        {"type": "attack-pattern", "id": "attack-pattern--1", "name": "Command and Scripting Interpreter",
         "description": "Adversaries may abuse interpreters.", "x_mitre_platforms": ["Windows", "Linux"],
         "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "execution"}],
         "external_references": [{"source_name": "mitre-attack", "external_id": "T1059", "url": "https://attack.mitre.org/techniques/T1059"}],
         "modified": "2025-04-15T19:58:01.000Z"},
        {"type": "attack-pattern", "id": "attack-pattern--2", "name": "PowerShell", "x_mitre_is_subtechnique": true,
         "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "execution"}],
         "external_references": [{"source_name": "mitre-attack", "external_id": "T1059.001"}]},
        {"type": "attack-pattern", "id": "attack-pattern--3", "name": "Old", "revoked": true,
         "external_references": [{"source_name": "mitre-attack", "external_id": "T1086"}]},
        {"type": "attack-pattern", "id": "attack-pattern--4", "name": "No id"},
        {"type": "attack-pattern", "id": "attack-pattern--5", "name": 42},
        {"type": "intrusion-set", "id": "intrusion-set--1", "name": "APT29", "aliases": ["APT29", "Cozy Bear"],
         "external_references": [{"source_name": "mitre-attack", "external_id": "G0016"}, {"source_name": "Vendor", "url": "https://example.com"}]},
        {"type": "tool", "id": "tool--1", "name": "Cobalt Strike", "x_mitre_aliases": ["Cobalt Strike"],
         "external_references": [{"source_name": "mitre-attack", "external_id": "S0154"}]},
        {"type": "course-of-action", "id": "course-of-action--1", "name": "Execution Prevention",
         "external_references": [{"source_name": "mitre-attack", "external_id": "M1038"}]},
        {"type": "relationship", "id": "relationship--1", "relationship_type": "uses", "source_ref": "intrusion-set--1", "target_ref": "attack-pattern--2"},
        {"type": "relationship", "id": "relationship--2", "relationship_type": "revoked-by", "source_ref": "attack-pattern--3", "target_ref": "attack-pattern--2"},
        {"type": "relationship", "id": "relationship--3", "relationship_type": "detects", "source_ref": "x", "target_ref": "attack-pattern--1"},
        {"type": "x-mitre-data-component", "id": "x-mitre-data-component--1", "name": "Process Creation"},
        {"type": "x-mitre-data-component", "id": "x-mitre-data-component--2", "name": "Script Execution"},
        {"type": "x-mitre-analytic", "id": "x-mitre-analytic--1",
         "x_mitre_log_source_references": [{"x_mitre_data_component_ref": "x-mitre-data-component--2", "name": "WinEventLog:PowerShell", "channel": "EventCode=4104"}]},
        {"type": "x-mitre-detection-strategy", "id": "x-mitre-detection-strategy--1", "name": "PowerShell script blocks",
         "x_mitre_analytic_refs": ["x-mitre-analytic--1"],
         "external_references": [{"source_name": "mitre-attack", "external_id": "DET0001", "url": "https://attack.mitre.org/detectionstrategies/DET0001"}]},
        {"type": "relationship", "id": "relationship--4", "relationship_type": "detects", "source_ref": "x-mitre-detection-strategy--1", "target_ref": "attack-pattern--2"},
        {"type": "relationship", "id": "relationship--5", "relationship_type": "detects", "source_ref": "x-mitre-data-component--1", "target_ref": "attack-pattern--2"}
      ]
    }"#;

    #[test]
    fn a_bundle_becomes_a_release() -> Result<(), AttackParseError> {
        let release = parse_bundle(BUNDLE.as_bytes())?;
        let tactics: Vec<(&str, i32)> = release
            .tactics
            .iter()
            .map(|t| (t.mitre_id.as_str(), t.matrix_order))
            .collect();
        assert_eq!(
            tactics,
            [("TA0001", 1), ("TA0002", 2)],
            "matrix order, not file order"
        );
        let ids: Vec<&str> = release
            .techniques
            .iter()
            .map(|t| t.mitre_id.as_str())
            .collect();
        assert_eq!(ids, ["T1059", "T1059.001", "T1086"]);
        assert_eq!(
            release.techniques[1]
                .parent
                .as_ref()
                .map(TechniqueId::as_str),
            Some("T1059")
        );
        assert_eq!(release.techniques[0].tactics, ["execution"]);
        assert!(release.techniques[2].revoked);
        assert_eq!(
            release.techniques[2].revoked_by.as_deref(),
            Some("attack-pattern--2")
        );
        assert_eq!(release.threat_actors[0].aliases, ["APT29", "Cozy Bear"]);
        assert_eq!(release.threat_actors[0].references.len(), 1);
        assert_eq!(release.software[0].kind, SoftwareKind::Tool);
        assert_eq!(release.mitigations[0].mitre_id, "M1038");
        assert_eq!(
            release.relationships.len(),
            2,
            "detects is folded, not kept"
        );
        let powershell = &release.techniques[1];
        assert_eq!(
            powershell.data_components,
            ["Process Creation", "Script Execution"]
        );
        assert_eq!(powershell.detection_strategies[0].mitre_id, "DET0001");
        assert!(release.techniques[0].data_components.is_empty());
        let skipped: Vec<&str> = release.skipped.iter().map(|s| s.stix_id.as_str()).collect();
        assert_eq!(skipped, ["attack-pattern--4", "attack-pattern--5"]);
        Ok(())
    }

    #[test]
    fn non_bundles_are_refused() {
        assert!(parse_bundle(b"not json").is_err());
        assert!(parse_bundle(br#"{"type": "indicator", "objects": []}"#).is_err());
        assert!(parse_bundle(br#"[1, 2, 3]"#).is_err());
    }

    #[test]
    fn the_real_enterprise_bundle_parses_when_present() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(
            "../../shared/feeds/attack-stix/mitre__cti/enterprise-attack/enterprise-attack.json.gz",
        );
        if !path.exists() {
            return;
        }
        let bytes = crate::feeds::read_feed_file(&path, crate::feeds::MAX_FEED_BYTES)
            .unwrap_or_else(|e| panic!("{e}"));
        let release = parse_bundle(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(release.tactics.len(), 14);
        assert_eq!(
            release.tactics[0].mitre_id, "TA0043",
            "Reconnaissance opens the enterprise matrix"
        );
        assert_eq!(release.techniques.len(), 835);
        assert!(
            release
                .techniques
                .iter()
                .any(|t| t.mitre_id.as_str() == "T1215" && t.revoked)
        );
        assert!(release.threat_actors.len() >= 180);
        let powershell = release
            .techniques
            .iter()
            .find(|t| t.mitre_id.as_str() == "T1059.001")
            .unwrap_or_else(|| panic!("T1059.001 is in the bundle"));
        assert!(!powershell.detection_strategies.is_empty());
        assert!(
            powershell
                .data_components
                .iter()
                .any(|c| c == "Process Creation"),
            "{:?}",
            powershell.data_components
        );
        let observed = release
            .techniques
            .iter()
            .filter(|t| !t.data_components.is_empty())
            .count();
        assert!(observed > 600, "{observed} techniques have data components");
        assert!(
            release.skipped.is_empty(),
            "{:?}",
            &release.skipped[..release.skipped.len().min(3)]
        );
    }
}
