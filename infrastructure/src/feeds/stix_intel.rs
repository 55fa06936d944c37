//! Threat intelligence in STIX 2.0 / 2.1 bundles: intrusion sets and threat actors with the
//! techniques they use (directly, or through campaigns attributed to them) and the sectors
//! and regions they target (identities with `sectors` / `x_cta_country`, locations).

use std::collections::{BTreeSet, HashMap};

use serde::Deserialize;

use aegis_domain::detection::technique_from_tag;
use aegis_domain::threat_intel::IntelActor;

use super::collection::FeedFile;
use super::rule_fields::utf8;

#[derive(Debug, Deserialize)]
struct Bundle {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    objects: Vec<serde_json::Value>,
}

fn text(object: &serde_json::Value, key: &str) -> Option<String> {
    object.get(key)?.as_str().map(str::to_owned)
}

/// A list of strings, or one string, as STIX producers write either.
fn texts(object: &serde_json::Value, key: &str) -> Vec<String> {
    match object.get(key) {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(serde_json::Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

fn flag(object: &serde_json::Value, key: &str) -> bool {
    object
        .get(key)
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false)
}

/// The ATT&CK id of an attack-pattern, from its `mitre-attack` external reference.
fn technique_of(pattern: &serde_json::Value) -> Option<String> {
    pattern
        .get("external_references")?
        .as_array()?
        .iter()
        .filter(|r| {
            r.get("source_name")
                .and_then(serde_json::Value::as_str)
                .is_some_and(|s| s.starts_with("mitre"))
        })
        .find_map(|r| r.get("external_id")?.as_str().and_then(technique_from_tag))
}

fn reference_urls(object: &serde_json::Value) -> Vec<String> {
    object
        .get("external_references")
        .and_then(serde_json::Value::as_array)
        .map(|refs| {
            refs.iter()
                .filter_map(|r| r.get("url")?.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The sectors and regions a targeted identity or location stands for.
fn targeted(
    object: &serde_json::Value,
    sectors: &mut BTreeSet<String>,
    regions: &mut BTreeSet<String>,
) {
    sectors.extend(texts(object, "sectors"));
    regions.extend(texts(object, "x_cta_country"));
    for key in ["region", "country"] {
        regions.extend(text(object, key));
    }
}

/// The actors of one STIX bundle file.
///
/// # Errors
/// Why the file yields nothing: not UTF-8, not JSON, not a bundle.
pub fn parse_stix_intel_file(file: &FeedFile) -> Result<(Vec<IntelActor>, Vec<String>), String> {
    let bundle: Bundle =
        serde_json::from_str(utf8(&file.bytes)?).map_err(|e| format!("not a STIX bundle: {e}"))?;
    if bundle.kind != "bundle" {
        return Err(format!("not a STIX bundle (type {})", bundle.kind));
    }
    let by_id: HashMap<&str, &serde_json::Value> = bundle
        .objects
        .iter()
        .filter_map(|o| Some((o.get("id")?.as_str()?, o)))
        .collect();
    let kind_of = |id: &str| id.split("--").next().unwrap_or_default().to_owned();
    // source → [(relationship type, target)]
    let mut edges: HashMap<&str, Vec<(&str, &str)>> = HashMap::new();
    for relationship in bundle
        .objects
        .iter()
        .filter(|o| o.get("type").and_then(serde_json::Value::as_str) == Some("relationship"))
    {
        let field = |k: &str| relationship.get(k).and_then(serde_json::Value::as_str);
        if let (Some(kind), Some(source), Some(target)) = (
            field("relationship_type"),
            field("source_ref"),
            field("target_ref"),
        ) {
            edges.entry(source).or_default().push((kind, target));
        }
    }
    let mut actors = Vec::new();
    let mut refused = Vec::new();
    for object in &bundle.objects {
        let Some(kind) = object.get("type").and_then(serde_json::Value::as_str) else {
            continue;
        };
        if kind != "intrusion-set" && kind != "threat-actor" {
            continue;
        }
        let (Some(id), Some(name)) = (text(object, "id"), text(object, "name")) else {
            refused.push("an actor without id or name".to_owned());
            continue;
        };
        if flag(object, "revoked") || flag(object, "x_mitre_deprecated") {
            refused.push(format!("{name} is revoked or deprecated"));
            continue;
        }
        // The actor itself, and every campaign attributed to it.
        let campaigns: Vec<&str> = edges
            .iter()
            .filter(|(source, links)| {
                kind_of(source) == "campaign"
                    && links.iter().any(|(k, t)| *k == "attributed-to" && *t == id)
            })
            .map(|(source, _)| *source)
            .collect();
        let mut techniques = BTreeSet::new();
        let mut sectors = BTreeSet::new();
        let mut regions = BTreeSet::new();
        for subject in std::iter::once(id.as_str()).chain(campaigns) {
            for (relation, target) in edges.get(subject).into_iter().flatten() {
                let Some(object) = by_id.get(target) else {
                    continue;
                };
                match (*relation, kind_of(target).as_str()) {
                    ("uses", "attack-pattern") => techniques.extend(technique_of(object)),
                    ("targets", "identity" | "location") => {
                        targeted(object, &mut sectors, &mut regions);
                    }
                    _ => {}
                }
            }
        }
        let mut aliases: Vec<String> = texts(object, "aliases")
            .into_iter()
            .chain(texts(object, "x_mitre_aliases"))
            .filter(|a| a != &name)
            .collect();
        aliases.sort();
        aliases.dedup();
        actors.push(IntelActor {
            stix_id: id,
            kind: kind.to_owned(),
            name,
            aliases,
            description: text(object, "description").unwrap_or_default(),
            sectors: sectors.into_iter().collect(),
            regions: regions.into_iter().collect(),
            references: reference_urls(object),
            techniques: techniques.into_iter().collect(),
            legacy_techniques: Vec::new(),
            path: file.path.clone(),
        });
    }
    Ok((actors, refused))
}

/// STIX bundles at a location: a file, a directory or an archive of `.json` files.
#[derive(Debug, Clone)]
pub struct StixIntelFiles {
    location: super::rule_files::Location,
    limits: super::collection::CollectionLimits,
}

impl StixIntelFiles {
    pub fn at(location: super::rule_files::Location) -> Self {
        Self {
            location,
            limits: super::collection::CollectionLimits::default(),
        }
    }
}

#[async_trait::async_trait]
impl aegis_application::threat_intel::IntelFeed for StixIntelFiles {
    fn describe(&self) -> String {
        format!("STIX intelligence from {}", self.location)
    }

    async fn fetch(
        &self,
    ) -> Result<aegis_application::threat_intel::IntelBatch, aegis_application::catalog::FeedError>
    {
        let wanted = |p: &str| p.to_ascii_lowercase().ends_with(".json");
        super::rule_files::read_location(&self.location, self.limits, wanted, |collection| {
            let mut batch = aegis_application::threat_intel::IntelBatch {
                actors: Vec::new(),
                skipped: collection.skipped,
            };
            for file in &collection.files {
                match parse_stix_intel_file(file) {
                    Ok((actors, refused)) => {
                        batch.actors.extend(actors);
                        batch
                            .skipped
                            .extend(refused.into_iter().map(|why| (file.path.clone(), why)));
                    }
                    Err(reason) => batch.skipped.push((file.path.clone(), reason)),
                }
            }
            batch
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> FeedFile {
        FeedFile {
            path: "playbook_json/ursa.json".to_owned(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn an_actor_gets_the_techniques_and_targets_of_its_campaigns() {
        let bundle = serde_json::json!({"type": "bundle", "id": "bundle--1", "objects": [
            {"type": "intrusion-set", "id": "intrusion-set--a", "name": "Fighting Ursa", "aliases": ["APT 28"]},
            {"type": "intrusion-set", "id": "intrusion-set--old", "name": "Gone", "revoked": true},
            {"type": "campaign", "id": "campaign--c", "name": "Campaign 1"},
            {"type": "identity", "id": "identity--v", "name": "Victims", "sectors": ["government-national"], "x_cta_country": ["DE", "US"]},
            {"type": "location", "id": "location--l", "region": "europe"},
            {"type": "attack-pattern", "id": "attack-pattern--p", "name": "T1047: WMI",
             "external_references": [{"source_name": "mitre-attack", "external_id": "T1047"}]},
            {"type": "attack-pattern", "id": "attack-pattern--q", "name": "T1685",
             "external_references": [{"source_name": "mitre-attack", "external_id": "T1685"}]},
            {"type": "relationship", "id": "relationship--1", "relationship_type": "attributed-to", "source_ref": "campaign--c", "target_ref": "intrusion-set--a"},
            {"type": "relationship", "id": "relationship--2", "relationship_type": "uses", "source_ref": "campaign--c", "target_ref": "attack-pattern--p"},
            {"type": "relationship", "id": "relationship--3", "relationship_type": "targets", "source_ref": "campaign--c", "target_ref": "identity--v"},
            {"type": "relationship", "id": "relationship--4", "relationship_type": "uses", "source_ref": "intrusion-set--a", "target_ref": "attack-pattern--q"},
            {"type": "relationship", "id": "relationship--5", "relationship_type": "targets", "source_ref": "intrusion-set--a", "target_ref": "location--l"},
        ]});
        let (actors, refused) =
            parse_stix_intel_file(&file(&bundle.to_string())).unwrap_or_default();
        assert_eq!(refused, ["Gone is revoked or deprecated"]);
        assert_eq!(actors.len(), 1);
        let ursa = &actors[0];
        assert_eq!(ursa.techniques, ["T1047", "T1685"]);
        assert_eq!(ursa.sectors, ["government-national"]);
        assert_eq!(ursa.regions, ["DE", "US", "europe"]);
        assert_eq!(ursa.aliases, ["APT 28"]);
    }

    #[test]
    fn anything_but_a_bundle_is_refused() {
        assert!(parse_stix_intel_file(&file("{\"type\": \"indicator\"}")).is_err());
        assert!(parse_stix_intel_file(&file("[")).is_err());
    }
}
