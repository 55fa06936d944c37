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

    /// The id and page of a PRE-ATT&CK technique (`mitre-pre-attack`): the matrix retired in
    /// ATT&CK v8, whose techniques live on as deprecated entries that old intelligence names.
    fn pre_attack_reference(&self) -> Option<&ExternalReference> {
        self.external_references
            .iter()
            .find(|r| r.source_name == "mitre-pre-attack" && r.external_id.is_some())
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
    let bundle = read_bundle(bytes)?;
    Ok(release_of(bundle.objects, Vec::new()))
}

/// Parses the bundles of a directory or an archive (`mitre/cti`'s one-object bundles, a
/// domain's bundle beside another's, a bundle and its fixtures) as one release. An object
/// that several bundles publish is read once, in its latest `modified` version; a file that
/// is no STIX bundle is reported in `AttackRelease::skipped` under its path.
///
/// # Errors
/// `NotABundle` when none of the files is a STIX bundle.
pub fn parse_bundles<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<AttackRelease, AttackParseError> {
    let mut objects = Vec::new();
    let mut refused = Vec::new();
    let mut bundles = 0_usize;
    for (path, bytes) in files {
        match read_bundle(bytes) {
            Ok(bundle) => {
                bundles += 1;
                objects.extend(bundle.objects);
            }
            Err(error) => refused.push(skip(path, error.to_string())),
        }
    }
    if bundles == 0 {
        let why = refused.first().map_or_else(
            || "no file".to_owned(),
            |s| format!("{}: {}", s.stix_id, s.reason),
        );
        return Err(AttackParseError::NotABundle(format!(
            "no STIX bundle among the files ({why})"
        )));
    }
    Ok(release_of(latest_versions(objects), refused))
}

fn read_bundle(bytes: &[u8]) -> Result<Bundle<'_>, AttackParseError> {
    let bundle: Bundle<'_> =
        serde_json::from_slice(bytes).map_err(|e| AttackParseError::NotABundle(e.to_string()))?;
    if bundle.kind != "bundle" {
        return Err(AttackParseError::NotABundle(format!(
            "its type is `{}`",
            bundle.kind
        )));
    }
    Ok(bundle)
}

#[derive(Deserialize)]
struct Version {
    id: Option<String>,
    modified: Option<String>,
}

/// One object per STIX id, the latest `modified` (RFC 3339 in UTC compares as text); the
/// first of equals. Objects without an id are left for the reader to report.
fn latest_versions(objects: Vec<&RawValue>) -> Vec<&RawValue> {
    let mut latest: HashMap<String, (Option<String>, usize)> = HashMap::new();
    let mut keep = vec![true; objects.len()];
    for (index, raw) in objects.iter().enumerate() {
        let Ok(Version {
            id: Some(id),
            modified,
        }) = serde_json::from_str::<Version>(raw.get())
        else {
            continue;
        };
        match latest.get_mut(&id) {
            None => {
                latest.insert(id, (modified, index));
            }
            Some((seen, at)) => {
                if modified > *seen {
                    keep[*at] = false;
                    *seen = modified;
                    *at = index;
                } else {
                    keep[index] = false;
                }
            }
        }
    }
    objects
        .into_iter()
        .zip(keep)
        .filter_map(|(raw, kept)| kept.then_some(raw))
        .collect()
}

fn release_of(objects: Vec<&RawValue>, skipped: Vec<Skipped>) -> AttackRelease {
    let mut release = AttackRelease {
        skipped,
        ..AttackRelease::default()
    };
    let mut tactics = Vec::new();
    let mut matrix_order: Vec<String> = Vec::new();
    let mut detection = DetectionIndex::default();
    for raw in objects {
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
    release
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
    let (reference, pre_attack) = match object.attack_reference() {
        Some(reference) => (reference, false),
        None => (
            object
                .pre_attack_reference()
                .ok_or_else(|| skip(&object.id, "technique without an ATT&CK or PRE-ATT&CK id"))?,
            true,
        ),
    };
    let id = reference.external_id.clone().unwrap_or_default();
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
        url: reference.url.clone(),
        version: object.x_mitre_version.clone(),
        revoked: object.revoked,
        // PRE-ATT&CK is retired whatever its objects say.
        deprecated: object.x_mitre_deprecated || pre_attack,
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

/// ATT&CK on disk, the air-gapped way in: a bundle file (`.json` or `.json.gz`), or a
/// directory, `.zip` or `.tar.gz` of bundles (every `.json` / `.json.gz` in it is read).
#[derive(Debug, Clone)]
pub struct FileAttackSource {
    path: std::path::PathBuf,
}

impl FileAttackSource {
    pub fn new(path: impl Into<std::path::PathBuf>) -> Self {
        Self { path: path.into() }
    }
}

fn is_archive(path: &std::path::Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    name.ends_with(".zip") || name.ends_with(".tar.gz") || name.ends_with(".tgz")
}

fn is_bundle_file(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".json") || lower.ends_with(".json.gz")
}

/// Every bundle of a directory or an archive, each decompressed when gzip, the whole bounded
/// by `MAX_FEED_BYTES` once decompressed.
///
/// # Errors
/// Why the collection cannot be read at all, or holds no bundle.
pub fn read_bundle_collection(path: &std::path::Path) -> Result<AttackRelease, String> {
    use super::collection::{CollectionLimits, read_collection};

    let limits = CollectionLimits {
        // One file may be a whole (compressed) release; the sum is bounded below, once
        // decompressed.
        max_file_bytes: super::MAX_FEED_BYTES,
        max_total_bytes: super::MAX_FEED_BYTES,
        ..CollectionLimits::default()
    };
    let collection = read_collection(path, &is_bundle_file, limits).map_err(|e| e.to_string())?;
    let mut remaining = super::MAX_FEED_BYTES;
    let mut files = Vec::with_capacity(collection.files.len());
    let mut refused: Vec<Skipped> = collection
        .skipped
        .into_iter()
        .map(|(path, reason)| skip(&path, reason))
        .collect();
    for file in collection.files {
        match super::decompress_bounded(file.bytes, remaining) {
            Ok(bytes) => {
                remaining -= bytes.len() as u64;
                files.push((file.path, bytes));
            }
            Err(super::FeedInputError::TooLarge { .. }) => {
                return Err(format!(
                    "the bundles are larger than {} bytes once decompressed",
                    super::MAX_FEED_BYTES
                ));
            }
            Err(error) => refused.push(skip(&file.path, error.to_string())),
        }
    }
    let mut release = parse_bundles(
        files
            .iter()
            .map(|(path, bytes)| (path.as_str(), bytes.as_slice())),
    )
    .map_err(|e| format!("{}: {e}", path.display()))?;
    refused.append(&mut release.skipped);
    release.skipped = refused;
    Ok(release)
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
            if path.is_dir() || is_archive(&path) {
                return read_bundle_collection(&path);
            }
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

    fn one_object_bundle(object: &serde_json::Value) -> Vec<u8> {
        serde_json::json!({"type": "bundle", "id": "bundle--x", "objects": [object]})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn pre_attack_techniques_keep_their_ids_and_stay_deprecated() -> Result<(), AttackParseError> {
        let pattern = serde_json::json!({
            "type": "attack-pattern", "id": "attack-pattern--pre", "name": "Identify job postings",
            "kill_chain_phases": [{"kill_chain_name": "mitre-pre-attack", "phase_name": "people-information-gathering"}],
            "external_references": [{"source_name": "mitre-pre-attack", "external_id": "T1270",
                                     "url": "https://attack.mitre.org/techniques/T1270"}]
        });
        let release = parse_bundle(&one_object_bundle(&pattern))?;
        assert!(release.skipped.is_empty(), "{:?}", release.skipped);
        let technique = &release.techniques[0];
        assert_eq!(technique.mitre_id.as_str(), "T1270");
        assert!(technique.deprecated, "PRE-ATT&CK is retired");
        assert_eq!(
            technique.url.as_deref(),
            Some("https://attack.mitre.org/techniques/T1270")
        );
        Ok(())
    }

    #[test]
    fn many_bundles_read_as_one_release_with_the_latest_version_of_each_object()
    -> Result<(), AttackParseError> {
        let old = serde_json::json!({
            "type": "attack-pattern", "id": "attack-pattern--1", "name": "Old name", "modified": "2020-01-01T00:00:00.000Z",
            "external_references": [{"source_name": "mitre-attack", "external_id": "T1059"}]
        });
        let new = serde_json::json!({
            "type": "attack-pattern", "id": "attack-pattern--1", "name": "New name", "modified": "2025-01-01T00:00:00.000Z",
            "external_references": [{"source_name": "mitre-attack", "external_id": "T1059"}]
        });
        let other = serde_json::json!({
            "type": "attack-pattern", "id": "attack-pattern--2", "name": "PowerShell",
            "external_references": [{"source_name": "mitre-attack", "external_id": "T1059.001"}]
        });
        let (newer, older, sub) = (
            one_object_bundle(&new),
            one_object_bundle(&old),
            one_object_bundle(&other),
        );
        let release = parse_bundles([
            ("a/new.json", newer.as_slice()),
            ("b/old.json", older.as_slice()),
            (
                "index.json",
                br#"{"id": "x", "collections": []}"#.as_slice(),
            ),
            ("c/sub.json", sub.as_slice()),
        ])?;
        let names: Vec<(&str, &str)> = release
            .techniques
            .iter()
            .map(|t| (t.mitre_id.as_str(), t.name.as_str()))
            .collect();
        assert_eq!(names, [("T1059", "New name"), ("T1059.001", "PowerShell")]);
        let skipped: Vec<&str> = release.skipped.iter().map(|s| s.stix_id.as_str()).collect();
        assert_eq!(
            skipped,
            ["index.json"],
            "the non-bundle is reported by path"
        );
        assert!(parse_bundles([("x.json", b"[]".as_slice())]).is_err());
        Ok(())
    }

    #[test]
    fn a_directory_or_archive_of_bundles_is_read() -> Result<(), Box<dyn std::error::Error>> {
        use std::io::Write;

        let dir = tempfile::tempdir()?;
        let root = dir.path().join("enterprise-attack");
        std::fs::create_dir_all(root.join("attack-pattern"))?;
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(root.join("enterprise-attack.json.gz"))?,
            flate2::Compression::fast(),
        );
        gz.write_all(BUNDLE.as_bytes())?;
        gz.finish()?;
        let extra = serde_json::json!({
            "type": "attack-pattern", "id": "attack-pattern--9", "name": "Extra",
            "external_references": [{"source_name": "mitre-attack", "external_id": "T1027"}]
        });
        std::fs::write(
            root.join("attack-pattern/attack-pattern--9.json"),
            one_object_bundle(&extra),
        )?;
        std::fs::write(root.join("README.md"), "not read")?;
        let release = read_bundle_collection(&root)?;
        let ids: Vec<&str> = release
            .techniques
            .iter()
            .map(|t| t.mitre_id.as_str())
            .collect();
        assert_eq!(
            ids,
            ["T1027", "T1059", "T1059.001", "T1086"],
            "in path order"
        );
        assert_eq!(release.tactics.len(), 2);

        let zip_path = dir.path().join("attack.zip");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path)?);
        zip.start_file(
            "bundles/enterprise.json",
            zip::write::SimpleFileOptions::default(),
        )?;
        zip.write_all(BUNDLE.as_bytes())?;
        zip.finish()?;
        assert_eq!(read_bundle_collection(&zip_path)?.techniques.len(), 3);

        let empty = dir.path().join("empty");
        std::fs::create_dir_all(&empty)?;
        assert!(read_bundle_collection(&empty).is_err());
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
        // The folder holds the bundle and one-object fixtures of the same objects: read once.
        let folder = read_bundle_collection(path.parent().unwrap_or(&path))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(folder.techniques.len(), 835);
        assert_eq!(folder.tactics.len(), 14);
        assert!(folder.skipped.is_empty(), "{:?}", folder.skipped);
    }
}
