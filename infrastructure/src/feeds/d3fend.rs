//! D3FEND countermeasures from the per-technique API responses
//! (`api/offensive-technique/attack/<T>.json`): SPARQL result rows pairing an ATT&CK technique
//! with the defensive techniques that counter it. Columns are optional row by row.

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

/// The pairings of one response file (none is fine: some techniques have no countermeasure).
///
/// # Errors
/// Why the file is not a D3FEND response: not UTF-8, not JSON of that shape.
pub fn parse_d3fend_file(file: &FeedFile) -> Result<Vec<Pairing>, String> {
    let text = utf8(&file.bytes)?;
    let response: Response =
        serde_json::from_str(text).map_err(|e| format!("not a D3FEND response: {e}"))?;
    let mut pairings: Vec<Pairing> = response
        .off_to_def
        .results
        .bindings
        .into_iter()
        .filter_map(|row| {
            let technique = technique_from_tag(&row.off_tech_id?.value)?;
            let d3fend_id = row.def_tech_id?.value.trim().to_owned();
            if d3fend_id.is_empty() || d3fend_id.len() > 64 {
                return None;
            }
            Some(Pairing {
                technique,
                name: row
                    .def_tech_label
                    .map_or_else(|| d3fend_id.clone(), |c| c.value.trim().to_owned()),
                tactic: row.def_tactic_label.map(|c| c.value).unwrap_or_default(),
                d3fend_id,
            })
        })
        .collect();
    pairings.sort_by(|a, b| (&a.d3fend_id, &a.technique).cmp(&(&b.d3fend_id, &b.technique)));
    pairings.dedup_by(|a, b| a.d3fend_id == b.d3fend_id && a.technique == b.technique);
    Ok(pairings)
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
        let pairings = parse_d3fend_file(&file).unwrap_or_default();
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
        for file in &collection.files {
            pairings
                .extend(parse_d3fend_file(file).unwrap_or_else(|e| panic!("{}: {e}", file.path)));
        }
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
