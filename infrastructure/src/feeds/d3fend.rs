//! D3FEND countermeasures from the per-technique API responses
//! (`api/offensive-technique/attack/<T>.json`): SPARQL result rows pairing an ATT&CK technique
//! with the defensive techniques that counter it. Columns are optional row by row, and vary by
//! release: before D3FEND 0.15 a row names its defensive technique by URI alone (`def_tech`),
//! without `def_tech_id`, and the id is read from a table of D3FEND's techniques.

use std::collections::BTreeMap;

use serde::Deserialize;

use aegis_domain::detection::{Countermeasure, technique_from_tag};

use super::collection::FeedFile;
use super::rule_fields::utf8;

#[derive(Debug, Default, Deserialize)]
struct Cell {
    #[serde(default)]
    value: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Row {
    off_tech_id: Option<Cell>,
    def_tech_id: Option<Cell>,
    /// The defensive technique's URI, `…/d3fend.owl#ExecutableAllowlisting`.
    def_tech: Option<Cell>,
    def_tech_label: Option<Cell>,
    def_tactic_label: Option<Cell>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Results {
    bindings: Vec<Row>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OffToDef {
    results: Results,
}

#[derive(Debug, Deserialize)]
struct Response {
    off_to_def: OffToDef,
}

/// One pairing: a defensive technique countering an ATT&CK technique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pairing {
    pub technique: String,
    pub d3fend_id: String,
    pub name: String,
    pub tactic: String,
}

/// What one response file yields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct D3fendResponse {
    pub pairings: Vec<Pairing>,
    /// Why the file, or some of its rows, gave no countermeasure, for the import report.
    pub skipped: Option<String>,
}

/// The D3FEND id of a defensive technique's URI, from the table of D3FEND's techniques.
fn id_of_uri(uri: &str) -> Option<&'static str> {
    let name = uri.rsplit_once('#').map_or(uri, |(_, name)| name).trim();
    let name = name.strip_prefix("d3f:").unwrap_or(name);
    super::d3fend_ids::D3FEND_IDS
        .binary_search_by(|(known, _)| known.cmp(&name))
        .ok()
        .and_then(|at| super::d3fend_ids::D3FEND_IDS.get(at))
        .map(|(_, id)| *id)
}

/// The pairings of one response file, and what in it gave none (some techniques have no
/// countermeasure; a pre-0.15 row naming a technique the table does not know is reported).
///
/// # Errors
/// Why the file is not a D3FEND response: not UTF-8, not JSON of that shape.
pub fn parse_d3fend_file(file: &FeedFile) -> Result<D3fendResponse, String> {
    let text = utf8(&file.bytes)?;
    let response: Response =
        serde_json::from_str(text).map_err(|e| format!("not a D3FEND response: {e}"))?;
    let rows = response.off_to_def.results.bindings;
    let mut unknown: Vec<String> = Vec::new();
    let mut pairings: Vec<Pairing> = Vec::new();
    for row in rows {
        let Some(technique) = row
            .off_tech_id
            .as_ref()
            .and_then(|cell| technique_from_tag(&cell.value))
        else {
            continue;
        };
        let named = row
            .def_tech_id
            .as_ref()
            .map(|cell| cell.value.trim().to_owned())
            .filter(|id| !id.is_empty());
        let d3fend_id = match (named, &row.def_tech) {
            (Some(id), _) => id,
            (None, Some(uri)) if !uri.value.trim().is_empty() => match id_of_uri(&uri.value) {
                Some(id) => id.to_owned(),
                None => {
                    unknown.push(uri.value.trim().to_owned());
                    continue;
                }
            },
            // A row that names a defensive technique by label alone cannot be imported.
            (None, _) if row.def_tech_label.is_some() => {
                unknown.push(format!(
                    "{} (no id, no URI)",
                    row.def_tech_label.as_ref().map_or("", |c| c.value.trim())
                ));
                continue;
            }
            // A row of the offensive side alone (its artifacts): no countermeasure in it.
            _ => continue,
        };
        if d3fend_id.len() > 64 {
            unknown.push(d3fend_id);
            continue;
        }
        pairings.push(Pairing {
            technique,
            name: row
                .def_tech_label
                .map_or_else(|| d3fend_id.clone(), |c| c.value.trim().to_owned()),
            tactic: row.def_tactic_label.map(|c| c.value).unwrap_or_default(),
            d3fend_id,
        });
    }
    pairings.sort_by(|a, b| (&a.d3fend_id, &a.technique).cmp(&(&b.d3fend_id, &b.technique)));
    pairings.dedup_by(|a, b| a.d3fend_id == b.d3fend_id && a.technique == b.technique);
    unknown.sort();
    unknown.dedup();
    // A response without countermeasures (D3FEND has none for some techniques) drops nothing;
    // rows naming a defensive technique the importer cannot identify are reported.
    let skipped = (!unknown.is_empty()).then(|| {
        format!(
            "{} defensive technique(s) without a D3FEND id this importer knows, not imported: {}",
            unknown.len(),
            unknown.join(", ")
        )
    });
    Ok(D3fendResponse { pairings, skipped })
}

/// Folds pairings from many files into one countermeasure per D3FEND id.
#[must_use]
pub fn countermeasures(pairings: Vec<Pairing>) -> Vec<Countermeasure> {
    let mut by_id: BTreeMap<String, Countermeasure> = BTreeMap::new();
    for pairing in pairings {
        let entry = by_id
            .entry(pairing.d3fend_id.clone())
            .or_insert_with(|| Countermeasure {
                d3fend_id: pairing.d3fend_id.clone(),
                name: pairing.name.clone(),
                tactic: pairing.tactic.clone(),
                techniques: Vec::new(),
            });
        if entry.tactic.is_empty() {
            entry.tactic = pairing.tactic;
        }
        entry.techniques.push(pairing.technique);
    }
    by_id
        .into_values()
        .map(|mut c| {
            c.techniques.sort();
            c.techniques.dedup();
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(off: &str, def: Option<&str>, label: &str, tactic: &str) -> serde_json::Value {
        let mut row = serde_json::json!({
            "off_tech_id": {"type": "literal", "value": off},
            "def_tech_label": {"type": "literal", "value": label},
            "def_tactic_label": {"type": "literal", "value": tactic},
        });
        if let Some(def) = def {
            row["def_tech_id"] = serde_json::json!({"type": "literal", "value": def});
        }
        row
    }

    #[test]
    fn rows_become_countermeasures_per_d3fend_id() {
        let body = serde_json::json!({"off_to_def": {"head": {"vars": []}, "results": {"bindings": [
            row("T1059.001", Some("D3-EFA"), "Emulated File Analysis", "Detect"),
            row("T1059.001", Some("D3-EFA"), "Emulated File Analysis", "Detect"),
            row("T1059.001", Some("D3-EAL"), "Executable Allowlisting", "Harden"),
            row("T1059.001", None, "Only an artifact", ""),
        ]}}});
        let file = FeedFile {
            path: "api/offensive-technique/attack/T1059.001.json".to_owned(),
            bytes: body.to_string().into_bytes(),
        };
        let response = parse_d3fend_file(&file).unwrap_or_default();
        assert!(
            response
                .skipped
                .as_deref()
                .is_some_and(|why| why.contains("Only an artifact")),
            "a defensive row without an id is reported: {response:?}"
        );
        let pairings = response.pairings;
        assert_eq!(pairings.len(), 2);
        let mut more = pairings.clone();
        more.push(Pairing {
            technique: "T1027".to_owned(),
            d3fend_id: "D3-EFA".to_owned(),
            name: "Emulated File Analysis".to_owned(),
            tactic: "Detect".to_owned(),
        });
        let folded = countermeasures(more);
        assert_eq!(folded.len(), 2);
        assert_eq!(folded[1].d3fend_id, "D3-EFA");
        assert_eq!(folded[1].techniques, ["T1027", "T1059.001"]);
        let broken = FeedFile {
            path: "x.json".to_owned(),
            bytes: b"{\"results\": 1}".to_vec(),
        };
        assert!(parse_d3fend_file(&broken).is_err());
    }

    /// A D3FEND 0.14 row: the defensive technique named by its URI, no `def_tech_id`.
    fn old_row(off: &str, uri: &str, label: &str) -> serde_json::Value {
        serde_json::json!({
            "off_tech_id": {"type": "literal", "value": off},
            "def_tech": {"type": "uri", "value": format!("http://d3fend.mitre.org/ontologies/d3fend.owl#{uri}")},
            "def_tech_label": {"type": "literal", "value": label},
            "def_tactic_label": {"type": "literal", "value": "Harden"},
        })
    }

    #[test]
    fn responses_before_d3fend_0_15_take_the_id_from_the_technique_uri() {
        let vars = [
            "def_tactic_label",
            "def_tech_label",
            "def_tech",
            "off_tech",
            "off_tech_id",
        ];
        let body = serde_json::json!({"off_to_def": {"head": {"vars": vars}, "results": {"bindings": [
            old_row("T1059.001", "ExecutableAllowlisting", "Executable Allowlisting"),
            old_row("T1059.001", "RetiredTechnique", "Something D3FEND renamed since"),
            {"off_tech_id": {"type": "literal", "value": "T1059.001"}},
            {"off_tech_id": {"type": "literal", "value": "T1059.001"},
             "def_tech_label": {"type": "literal", "value": "Label Only"}},
        ]}}});
        let file = FeedFile {
            path: "attack/T1059.001.json".to_owned(),
            bytes: body.to_string().into_bytes(),
        };
        let response = parse_d3fend_file(&file).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            response.pairings,
            [Pairing {
                technique: "T1059.001".to_owned(),
                d3fend_id: "D3-EAL".to_owned(),
                name: "Executable Allowlisting".to_owned(),
                tactic: "Harden".to_owned(),
            }]
        );
        let why = response.skipped.unwrap_or_default();
        assert!(why.contains("d3fend.owl#RetiredTechnique"), "{why}");
        assert!(why.contains("Label Only"), "{why}");

        let empty = serde_json::json!({"off_to_def": {"head": {"vars": vars}, "results": {"bindings": []}}});
        let file = FeedFile {
            path: "attack/T1086.json".to_owned(),
            bytes: empty.to_string().into_bytes(),
        };
        let response = parse_d3fend_file(&file).unwrap_or_default();
        assert!(response.pairings.is_empty());
        assert_eq!(response.skipped, None, "no countermeasure: nothing dropped");
    }

    #[test]
    fn the_id_table_is_sorted_for_its_binary_search() {
        let table = crate::feeds::d3fend_ids::D3FEND_IDS;
        assert!(table.windows(2).all(|pair| pair[0].0 < pair[1].0));
        assert_eq!(id_of_uri("d3f:ProcessSpawnAnalysis"), Some("D3-PSA"));
    }

    #[test]
    fn the_real_d3fend_samples_parse_when_present() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/feeds/d3fend/d3fend__website-next/api/offensive-technique/attack");
        if !root.exists() {
            return;
        }
        let collection = crate::feeds::collection::read_collection(
            &root,
            &|p: &str| p.ends_with(".json"),
            crate::feeds::collection::CollectionLimits::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut pairings = Vec::new();
        let mut empty = Vec::new();
        for file in &collection.files {
            let response = parse_d3fend_file(file).unwrap_or_else(|e| panic!("{}: {e}", file.path));
            if let Some(why) = response.skipped {
                empty.push((file.path.clone(), why));
            }
            pairings.extend(response.pairings);
        }
        // Every defensive technique of D3FEND 0.17 is identified: nothing reported.
        assert!(empty.is_empty(), "{empty:?}");
        let folded = countermeasures(pairings);
        assert!(folded.len() > 20, "{}", folded.len());
        assert!(
            folded
                .iter()
                .any(|c| c.techniques.iter().any(|t| t == "T1059"))
        );
        assert!(folded.iter().all(|c| !c.tactic.is_empty()));
    }
}
