//! Attack Flow 2.0, in and out. Reads the STIX 2.1 bundle with the attack-flow extension and
//! the Attack Flow Builder's `.afb` file (the builder's page: objects with anchors, anchors
//! with latches, lines from latch to latch) into a [`FlowDraft`]; writes a path back as a STIX
//! 2.1 bundle. Pure and bounded: a file over [`MAX_FLOW_BYTES`] or [`MAX_FLOW_OBJECTS`] is
//! refused, and an object that does not fit is passed over, never a panic.

use std::collections::HashMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use aegis_application::attack_paths::{AttackFlowCodec, FlowFormatError};
use aegis_domain::attack_path::{
    AttackPath, DraftKind, DraftStep, FlowDraft, Operator, PathSource, StepKind,
};

/// The largest flow file read (the biggest of the CTID corpus is under 1 MiB).
pub const MAX_FLOW_BYTES: usize = 16 * 1024 * 1024;
/// The most objects a flow may hold (anchors and latches included).
pub const MAX_FLOW_OBJECTS: usize = 200_000;
/// The attack-flow extension's STIX id.
pub const EXTENSION_ID: &str = "extension-definition--fb9c968a-745b-4ade-9b25-c324172197f4";
const EXTENSION_CREATOR: &str = "identity--d673f8cb-c168-42da-8ed4-0cb26725f86c";

fn refuse(message: impl Into<String>) -> FlowFormatError {
    FlowFormatError(message.into())
}

/// Reads a flow, its format told by its content: an `.afb` file has a `schema` naming an
/// attack flow; a STIX bundle is an object of `type` `bundle` holding an `attack-flow`.
///
/// # Errors
/// When the bytes are too large, not JSON, or neither format.
pub fn parse_attack_flow(bytes: &[u8]) -> Result<FlowDraft, FlowFormatError> {
    if bytes.len() > MAX_FLOW_BYTES {
        return Err(refuse(format!(
            "the file is larger than {} MiB",
            MAX_FLOW_BYTES / 1024 / 1024
        )));
    }
    let document: Value =
        serde_json::from_slice(bytes).map_err(|e| refuse(format!("not JSON: {e}")))?;
    let objects = document
        .get("objects")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            refuse("no objects: neither a STIX bundle nor an Attack Flow Builder file")
        })?;
    if objects.len() > MAX_FLOW_OBJECTS {
        return Err(refuse(format!(
            "the file holds more than {MAX_FLOW_OBJECTS} objects"
        )));
    }
    let schema = document.get("schema").and_then(Value::as_str);
    if schema.is_some_and(|s| s.starts_with("attack_flow")) {
        return Ok(parse_builder(objects));
    }
    if document.get("type").and_then(Value::as_str) == Some("bundle") {
        return parse_stix(objects);
    }
    Err(refuse(
        "neither a STIX 2.1 bundle nor an Attack Flow Builder (.afb) file",
    ))
}

/// A technique id as flows write it, forgiving a missing `T` (`1598.003`) and case.
fn technique_text(text: &str) -> Option<String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return None;
    }
    let upper = trimmed.to_ascii_uppercase();
    Some(if upper.starts_with(|c: char| c.is_ascii_digit()) {
        format!("T{upper}")
    } else {
        upper
    })
}

fn short(text: &str, max: usize) -> String {
    text.trim().chars().take(max).collect()
}

// ---- Attack Flow Builder -------------------------------------------------------------------

/// The builder writes properties as a list of `[name, value]` pairs.
fn property<'a>(object: &'a Value, name: &str) -> Option<&'a Value> {
    object
        .get("properties")?
        .as_array()?
        .iter()
        .filter_map(Value::as_array)
        .find(|pair| pair.first().and_then(Value::as_str) == Some(name))
        .and_then(|pair| pair.get(1))
}

fn text_property(object: &Value, name: &str) -> Option<String> {
    property(object, name)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// `technique_id`, or the older `ttp` pair list's `technique`.
fn builder_technique(object: &Value) -> Option<String> {
    text_property(object, "technique_id")
        .and_then(|t| technique_text(&t))
        .or_else(|| {
            property(object, "ttp")?
                .as_array()?
                .iter()
                .filter_map(Value::as_array)
                .find(|pair| pair.first().and_then(Value::as_str) == Some("technique"))
                .and_then(|pair| pair.get(1))
                .and_then(Value::as_str)
                .and_then(technique_text)
        })
}

fn parse_builder(objects: &[Value]) -> FlowDraft {
    let mut draft = FlowDraft::default();
    // Which step each builder object is, and which object each anchor belongs to.
    let mut step_of: HashMap<&str, usize> = HashMap::new();
    let mut owner_of_anchor: HashMap<&str, &str> = HashMap::new();
    let mut anchor_of_latch: HashMap<&str, &str> = HashMap::new();
    for object in objects {
        let (Some(kind), Some(instance)) = (
            object.get("id").and_then(Value::as_str),
            object.get("instance").and_then(Value::as_str),
        ) else {
            continue;
        };
        if let Some(anchors) = object.get("anchors").and_then(Value::as_object) {
            for anchor in anchors.values().filter_map(Value::as_str) {
                owner_of_anchor.insert(anchor, instance);
            }
        }
        if let Some(latches) = object.get("latches").and_then(Value::as_array) {
            for latch in latches.iter().filter_map(Value::as_str) {
                anchor_of_latch.insert(latch, instance);
            }
        }
        let step = match kind {
            "flow" => {
                draft.name = short(&text_property(object, "name").unwrap_or_default(), 200);
                draft.description = short(
                    &text_property(object, "description").unwrap_or_default(),
                    20_000,
                );
                None
            }
            "action" => {
                let name = short(&text_property(object, "name").unwrap_or_default(), 300);
                match builder_technique(object) {
                    Some(technique) => Some(DraftStep {
                        name: if name.is_empty() {
                            technique.clone()
                        } else {
                            name
                        },
                        kind: DraftKind::Technique(technique),
                    }),
                    None => {
                        draft.notes.push(format!(
                            "\"{name}\": the action names no technique; passed through"
                        ));
                        Some(DraftStep {
                            name,
                            kind: DraftKind::PassThrough,
                        })
                    }
                }
            }
            "AND_operator" | "OR_operator" => text_property(object, "operator")
                .and_then(|o| Operator::parse(&o))
                .or_else(|| Operator::parse(kind.trim_end_matches("_operator")))
                .map(|op| DraftStep {
                    name: op.as_str().to_owned(),
                    kind: DraftKind::Operator(op),
                }),
            // A condition joins actions: what leads to it leads to what follows it.
            "condition" => Some(DraftStep {
                name: short(
                    &text_property(object, "description").unwrap_or_default(),
                    300,
                ),
                kind: DraftKind::PassThrough,
            }),
            _ => None,
        };
        if let Some(step) = step {
            step_of.insert(instance, draft.steps.len());
            draft.steps.push(step);
        }
    }
    let step_at = |latch: &str| -> Option<usize> {
        let anchor = anchor_of_latch.get(latch)?;
        let owner = owner_of_anchor.get(anchor)?;
        step_of.get(owner).copied()
    };
    for object in objects {
        let (Some(source), Some(target)) = (
            object.get("source").and_then(Value::as_str),
            object.get("target").and_then(Value::as_str),
        ) else {
            continue;
        };
        // Lines to assets, tools and the like are context, not steps of the chain.
        if let (Some(from), Some(to)) = (step_at(source), step_at(target))
            && from != to
        {
            draft.edges.push((from, to));
        }
    }
    draft.edges.sort_unstable();
    draft.edges.dedup();
    draft
}

// ---- STIX 2.1 ------------------------------------------------------------------------------

fn refs<'a>(object: &'a Value, field: &str) -> impl Iterator<Item = &'a str> {
    object
        .get(field)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

fn parse_stix(objects: &[Value]) -> Result<FlowDraft, FlowFormatError> {
    let mut draft = FlowDraft::default();
    let mut step_of: HashMap<&str, usize> = HashMap::new();
    let mut flows = 0;
    for object in objects {
        let (Some(kind), Some(id)) = (
            object.get("type").and_then(Value::as_str),
            object.get("id").and_then(Value::as_str),
        ) else {
            continue;
        };
        let text = |field: &str| {
            object
                .get(field)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let step = match kind {
            "attack-flow" => {
                flows += 1;
                if flows == 1 {
                    draft.name = short(&text("name"), 200);
                    draft.description = short(&text("description"), 20_000);
                }
                None
            }
            "attack-action" => {
                let name = short(&text("name"), 300);
                match technique_text(&text("technique_id")) {
                    Some(technique) => Some(DraftStep {
                        name: if name.is_empty() {
                            technique.clone()
                        } else {
                            name
                        },
                        kind: DraftKind::Technique(technique),
                    }),
                    None => {
                        draft.notes.push(format!(
                            "\"{name}\": the action names no technique; passed through"
                        ));
                        Some(DraftStep {
                            name,
                            kind: DraftKind::PassThrough,
                        })
                    }
                }
            }
            "attack-operator" => Operator::parse(&text("operator")).map(|op| DraftStep {
                name: op.as_str().to_owned(),
                kind: DraftKind::Operator(op),
            }),
            "attack-condition" => Some(DraftStep {
                name: short(&text("description"), 300),
                kind: DraftKind::PassThrough,
            }),
            _ => None,
        };
        if let Some(step) = step {
            step_of.insert(id, draft.steps.len());
            draft.steps.push(step);
        }
    }
    if flows == 0 {
        return Err(refuse(
            "the bundle holds no attack-flow object (is it an Attack Flow?)",
        ));
    }
    for object in objects {
        let Some(from) = object
            .get("id")
            .and_then(Value::as_str)
            .and_then(|id| step_of.get(id))
        else {
            continue;
        };
        for field in ["effect_refs", "on_true_refs", "on_false_refs"] {
            for to in refs(object, field).filter_map(|r| step_of.get(r)) {
                if from != to {
                    draft.edges.push((*from, *to));
                }
            }
        }
    }
    draft.edges.sort_unstable();
    draft.edges.dedup();
    Ok(draft)
}

/// A STIX id for `what` of `path`, the same on every export of it.
fn stix_id(kind: &str, path: &AttackPath, what: &str) -> String {
    let digest = Sha256::digest(format!("{}/{what}", path.id).as_bytes());
    let mut bytes = [0_u8; 16];
    for (slot, byte) in bytes.iter_mut().zip(digest.iter()) {
        *slot = *byte;
    }
    format!(
        "{kind}--{}",
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    )
}

fn extension_marker() -> Value {
    json!({ EXTENSION_ID: { "extension_type": "new-sdo" } })
}

/// The path as an Attack Flow STIX 2.1 bundle: the extension's definition, the flow, one
/// `attack-action` per technique step and one `attack-operator` per operator, linked by
/// `effect_refs` as the path's edges are.
#[must_use]
pub fn write_attack_flow(path: &AttackPath) -> Value {
    let created = path.created_at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let modified = path.updated_at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let graph = &path.graph;
    let id_of: HashMap<&str, String> = graph
        .steps()
        .iter()
        .map(|s| {
            let kind = match s.kind {
                StepKind::Technique(_) => "attack-action",
                StepKind::Operator(_) => "attack-operator",
            };
            (s.key.as_str(), stix_id(kind, path, &s.key))
        })
        .collect();
    let effects = |key: &str| -> Vec<&str> {
        graph
            .edges()
            .iter()
            .filter(|e| e.from == key)
            .filter_map(|e| id_of.get(e.to.as_str()).map(String::as_str))
            .collect()
    };
    let start_refs: Vec<&str> = graph
        .steps()
        .iter()
        .filter(|s| graph.predecessors(&s.key).is_empty())
        .filter_map(|s| id_of.get(s.key.as_str()).map(String::as_str))
        .collect();
    let scope = match path.source {
        PathSource::ThreatActor => "threat-actor",
        PathSource::AttackFlow => "incident",
        PathSource::Manual => "attack-tree",
    };
    let mut objects = vec![
        json!({
            "type": "extension-definition",
            "id": EXTENSION_ID,
            "spec_version": "2.1",
            "name": "Attack Flow",
            "description": "Extends STIX 2.1 with features to create Attack Flows.",
            "created": "2022-08-02T19:34:35.143Z",
            "modified": "2022-08-02T19:34:35.143Z",
            "created_by_ref": EXTENSION_CREATOR,
            "schema": "https://center-for-threat-informed-defense.github.io/attack-flow/stix/attack-flow-schema-2.0.0.json",
            "version": "2.0.0",
            "extension_types": ["new-sdo"],
        }),
        json!({
            "type": "identity",
            "spec_version": "2.1",
            "id": EXTENSION_CREATOR,
            "created_by_ref": EXTENSION_CREATOR,
            "created": "2022-08-02T19:34:35.143Z",
            "modified": "2022-08-02T19:34:35.143Z",
            "name": "MITRE Center for Threat-Informed Defense",
            "identity_class": "organization",
        }),
        json!({
            "type": "attack-flow",
            "spec_version": "2.1",
            "id": stix_id("attack-flow", path, "flow"),
            "created": created,
            "modified": modified,
            "name": path.name,
            "description": path.description,
            "scope": scope,
            "start_refs": start_refs,
            "extensions": extension_marker(),
        }),
    ];
    for step in graph.steps() {
        let Some(id) = id_of.get(step.key.as_str()) else {
            continue;
        };
        let mut object = match &step.kind {
            StepKind::Technique(technique) => json!({
                "type": "attack-action",
                "spec_version": "2.1",
                "id": id,
                "created": created,
                "modified": modified,
                "name": step.name,
                "technique_id": technique.as_str(),
                "extensions": extension_marker(),
            }),
            StepKind::Operator(op) => json!({
                "type": "attack-operator",
                "spec_version": "2.1",
                "id": id,
                "created": created,
                "modified": modified,
                "operator": op.as_str(),
                "extensions": extension_marker(),
            }),
        };
        let effects = effects(&step.key);
        if !effects.is_empty()
            && let Some(fields) = object.as_object_mut()
        {
            fields.insert("effect_refs".to_owned(), json!(effects));
        }
        objects.push(object);
    }
    json!({
        "type": "bundle",
        "id": stix_id("bundle", path, "bundle"),
        "objects": objects,
    })
}

/// The application's [`AttackFlowCodec`], over the functions above.
#[derive(Debug, Clone, Copy, Default)]
pub struct AttackFlowFiles;

impl AttackFlowCodec for AttackFlowFiles {
    fn read(&self, bytes: &[u8]) -> Result<FlowDraft, FlowFormatError> {
        parse_attack_flow(bytes)
    }

    fn write(&self, path: &AttackPath) -> Value {
        write_attack_flow(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_no_flow() {
        for bytes in [
            &b"not json"[..],
            br#"{"type": "bundle", "objects": []}"#,
            br#"{"objects": []}"#,
            br#"[1, 2]"#,
        ] {
            assert!(parse_attack_flow(bytes).is_err());
        }
        let big = vec![b' '; MAX_FLOW_BYTES + 1];
        assert!(parse_attack_flow(&big).is_err());
    }

    #[test]
    fn technique_ids_are_forgiven_a_missing_t() {
        assert_eq!(technique_text(" 1598.003"), Some("T1598.003".to_owned()));
        assert_eq!(technique_text("t1059"), Some("T1059".to_owned()));
        assert_eq!(technique_text(""), None);
    }

    fn fixture(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/attack-flow")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn techniques(draft: &FlowDraft) -> Vec<&str> {
        draft
            .steps
            .iter()
            .filter_map(|s| match &s.kind {
                DraftKind::Technique(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The steps' names along each edge, for readable assertions.
    fn named_edges(draft: &FlowDraft) -> Vec<(String, String)> {
        let name = |i: usize| {
            draft
                .steps
                .get(i)
                .map(|s| s.name.clone())
                .unwrap_or_default()
        };
        draft
            .edges
            .iter()
            .map(|&(a, b)| (name(a), name(b)))
            .collect()
    }

    fn pair(a: &str, b: &str) -> (String, String) {
        (a.to_owned(), b.to_owned())
    }

    #[test]
    fn reads_a_builder_file_through_its_anchors_and_latches() {
        let draft = parse_attack_flow(&fixture("fixture.afb")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(draft.name, "Aegis fixture flow");
        assert_eq!(techniques(&draft), ["T1566", "T1190", "T1059.001", "T1027"]);
        // The action without a technique is passed through, and said so.
        assert_eq!(draft.notes.len(), 1, "{:?}", draft.notes);
        let flow = draft.without(|s| s.kind == DraftKind::PassThrough);
        let mut edges = named_edges(&flow);
        edges.sort();
        let mut expected = vec![
            pair("Phishing", "OR"),
            pair("Exploit Public-Facing Application", "OR"),
            pair("OR", "PowerShell"),
            pair("PowerShell", "Obfuscated Files or Information"),
        ];
        expected.sort();
        assert_eq!(edges, expected);
    }

    #[test]
    fn reads_a_stix_bundle_with_conditions_and_operators() {
        let draft =
            parse_attack_flow(&fixture("fixture-stix.json")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(draft.name, "Aegis STIX fixture");
        assert_eq!(
            techniques(&draft),
            ["T1566", "T1059", "T1082", "T1041", "T9999"]
        );
        let flow = draft.without(|s| s.kind == DraftKind::PassThrough);
        let edges = named_edges(&flow);
        assert!(edges.contains(&pair("Phishing", "Command and Scripting Interpreter")));
        assert!(edges.contains(&pair("Phishing", "System Information Discovery")));
        assert!(edges.contains(&pair("AND", "Exfiltration Over C2 Channel")));
        assert_eq!(edges.len(), 5);
    }

    #[test]
    fn the_ctid_example_bundle_reads_when_present() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(
            "../../shared/feeds/attack-flow/center-for-threat-informed-defense__attack-flow/stix/attack-flow-example.json",
        );
        let Ok(bytes) = std::fs::read(&path) else {
            eprintln!("skipped: ../shared/feeds/attack-flow is absent (the shared feed corpus)");
            return;
        };
        let draft = parse_attack_flow(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(draft.name, "Example Flow");
        // `1598.003` in the example is read as T1598.003.
        assert!(techniques(&draft).contains(&"T1598.003"));
        assert!(techniques(&draft).contains(&"T1583.002"));
    }

    #[test]
    fn every_flow_of_the_ctid_corpus_reads_when_present() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(
            "../../shared/feeds/attack-flow/center-for-threat-informed-defense__attack-flow/corpus",
        );
        let Ok(entries) = std::fs::read_dir(&root) else {
            eprintln!("skipped: ../shared/feeds/attack-flow is absent (the shared feed corpus)");
            return;
        };
        let mut read = 0;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("afb") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
            let draft =
                parse_attack_flow(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(!draft.name.is_empty(), "{}", path.display());
            let flow = draft
                .without(|s| s.kind == DraftKind::PassThrough)
                .acyclic();
            assert!(
                techniques(&flow).len() >= 5,
                "{}: {:?}",
                path.display(),
                techniques(&flow)
            );
            assert!(!flow.edges.is_empty(), "{}", path.display());
            read += 1;
        }
        assert_eq!(read, 20);
    }

    #[test]
    fn an_exported_path_reads_back_as_the_same_graph() {
        use aegis_domain::attack_path::{AttackPathId, Edge, PathGraph, Step};
        use aegis_domain::catalog::TechniqueId;
        use aegis_domain::tenant::TenantId;

        let technique = |key: &str, id: &str| Step {
            key: key.to_owned(),
            name: format!("step {id}"),
            kind: StepKind::Technique(TechniqueId::parse(id).unwrap_or_else(|e| panic!("{e}"))),
        };
        let edge = |a: &str, b: &str| Edge {
            from: a.to_owned(),
            to: b.to_owned(),
        };
        let graph = PathGraph::new(
            vec![
                technique("s1", "T1566.001"),
                technique("s2", "T1190"),
                Step {
                    key: "s3".to_owned(),
                    name: "OR".to_owned(),
                    kind: StepKind::Operator(Operator::Or),
                },
                technique("s4", "T1059.001"),
            ],
            vec![edge("s1", "s3"), edge("s2", "s3"), edge("s3", "s4")],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let path = AttackPath::new(
            AttackPathId::from_uuid(uuid::Uuid::nil()),
            TenantId::from_uuid(uuid::Uuid::nil()),
            "Round trip".to_owned(),
            "Out and back".to_owned(),
            PathSource::Manual,
            None,
            graph.clone(),
            None,
            chrono::DateTime::UNIX_EPOCH,
        );
        let bundle = write_attack_flow(&path);
        let objects = bundle
            .get("objects")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        assert!(
            objects
                .iter()
                .any(|o| o.get("id").and_then(Value::as_str) == Some(EXTENSION_ID))
        );
        let bytes = serde_json::to_vec(&bundle).unwrap_or_else(|e| panic!("{e}"));
        let draft = parse_attack_flow(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(draft.name, "Round trip");
        assert_eq!(draft.description, "Out and back");
        let steps: Vec<Step> = draft
            .steps
            .iter()
            .enumerate()
            .map(|(n, s)| Step {
                key: format!("s{}", n + 1),
                name: s.name.clone(),
                kind: match &s.kind {
                    DraftKind::Technique(t) => {
                        StepKind::Technique(TechniqueId::parse(t).unwrap_or_else(|e| panic!("{e}")))
                    }
                    DraftKind::Operator(op) => StepKind::Operator(*op),
                    DraftKind::PassThrough => panic!("an export holds no pass-through"),
                },
            })
            .collect();
        let edges = draft
            .edges
            .iter()
            .map(|&(a, b)| edge(&format!("s{}", a + 1), &format!("s{}", b + 1)))
            .collect();
        let back = PathGraph::new(steps, edges).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, graph);
        // The same path exports to the same document.
        assert_eq!(write_attack_flow(&path), bundle);
    }
}
