//! The Center for Threat-Informed Defense's Mappings Explorer mapping of CISA's Known
//! Exploited Vulnerabilities to ATT&CK: each CVE with its exploitation technique and its
//! primary and secondary impact techniques. Rows without a technique or marked
//! `non_mappable` are left out.

use serde::Deserialize;

use aegis_domain::detection::technique_from_tag;
use aegis_domain::osint::{KevTechnique, is_cve};

use super::collection::FeedFile;
use super::rule_fields::utf8;

#[derive(Debug, Deserialize)]
struct MappingFile {
    metadata: Metadata,
    #[serde(default)]
    mapping_objects: Vec<MappingObject>,
}

#[derive(Debug, Deserialize)]
struct Metadata {
    mapping_framework: String,
}

#[derive(Debug, Deserialize)]
struct MappingObject {
    capability_id: Option<String>,
    mapping_type: Option<String>,
    attack_object_id: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

/// The links of a mapping file, and the rows left out with their reason.
pub type KevLinks = (Vec<KevTechnique>, Vec<(String, String)>);

/// The links of one mapping file, and the rows left out with their reason.
///
/// # Errors
/// Why the file yields nothing: not UTF-8, not JSON, not a KEV mapping.
pub fn parse_kev_attack_file(file: &FeedFile) -> Result<KevLinks, String> {
    let parsed: MappingFile = serde_json::from_str(utf8(&file.bytes)?)
        .map_err(|e| format!("not a Mappings Explorer file: {e}"))?;
    if parsed.metadata.mapping_framework != "kev" {
        return Err(format!(
            "maps {} to ATT&CK, not KEV",
            parsed.metadata.mapping_framework
        ));
    }
    let mut links = Vec::new();
    let mut skipped = Vec::new();
    for (index, object) in parsed.mapping_objects.into_iter().enumerate() {
        let cve = object
            .capability_id
            .as_deref()
            .map(|c| c.trim().to_ascii_uppercase())
            .unwrap_or_default();
        let label = if cve.is_empty() {
            format!("{}#{index}", file.path)
        } else {
            cve.clone()
        };
        if object.status.as_deref() == Some("non_mappable") {
            continue;
        }
        if !is_cve(&cve) {
            skipped.push((label, "no CVE id".to_owned()));
            continue;
        }
        let Some(technique) = object
            .attack_object_id
            .as_deref()
            .and_then(technique_from_tag)
        else {
            skipped.push((label, "no ATT&CK technique".to_owned()));
            continue;
        };
        links.push(KevTechnique {
            cve,
            technique,
            mapping_type: object
                .mapping_type
                .unwrap_or_else(|| "uncategorized".to_owned()),
        });
    }
    links.sort();
    links.dedup();
    Ok((links, skipped))
}

#[cfg(test)]
#[expect(
    clippy::expect_used,
    reason = "a test fails loudly on what it did not expect"
)]
mod tests {
    use super::*;

    #[test]
    fn the_real_mapping_links_kev_cves_to_techniques() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/feeds/intel/ctid-mappings-explorer/kev-07.28.2025_attack-16.1-enterprise.json"
        );
        let Ok(bytes) = std::fs::read(path) else {
            // The shared corpus is beside the repository on developers' machines and CI.
            eprintln!("{path} is absent; skipped");
            return;
        };
        let (links, _) = parse_kev_attack_file(&FeedFile {
            path: "kev.json".into(),
            bytes,
        })
        .expect("parsed");
        assert!(links.len() > 1000, "{}", links.len());
        assert!(links.contains(&KevTechnique {
            cve: "CVE-2024-34102".into(),
            technique: "T1190".into(),
            mapping_type: "exploitation_technique".into(),
        }));
    }

    #[test]
    fn the_fixture_maps_and_skips() {
        let (links, skipped) = parse_kev_attack_file(&FeedFile {
            path: "kev.json".into(),
            bytes: include_bytes!("../../../tests/fixtures/osint/kev-attack.json").to_vec(),
        })
        .expect("parsed");
        assert_eq!(links.len(), 4);
        assert_eq!(skipped.len(), 1);
        let other = br#"{"metadata": {"mapping_framework": "nist_800_53"}, "mapping_objects": []}"#;
        assert!(
            parse_kev_attack_file(&FeedFile {
                path: "n.json".into(),
                bytes: other.to_vec()
            })
            .is_err()
        );
    }
}
