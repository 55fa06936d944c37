//! Center for Threat-Informed Defense Mappings Explorer files (and, through
//! `compliance_sheets`, the CIS and NIST workbooks): a framework's controls mapped
//! to the ATT&CK techniques they mitigate (NIST SP 800-53 rev 5, CSA CCM and the others it
//! publishes in the same format). Rows marked `non_mappable` carry no control and are left out.

use serde::Deserialize;

use aegis_domain::compliance::{ControlMapping, Framework};
use aegis_domain::detection::technique_from_tag;

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
    #[serde(default)]
    mapping_framework_version: Option<String>,
    #[serde(default)]
    attack_version: Option<String>,
}

#[derive(Debug, Deserialize)]
struct MappingObject {
    capability_id: Option<String>,
    capability_description: Option<String>,
    capability_group: Option<String>,
    mapping_type: Option<String>,
    attack_object_id: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

/// A readable name for the publisher's framework key.
fn framework_name(key: &str) -> String {
    match key {
        "nist_800_53" => "NIST SP 800-53".to_owned(),
        "csa_ccm" => "CSA Cloud Controls Matrix".to_owned(),
        "cri_profile" => "CRI Profile".to_owned(),
        "veris" => "VERIS".to_owned(),
        other => other.replace('_', " "),
    }
}

/// The framework and mappings of one Mappings Explorer file.
///
/// # Errors
/// Why the file yields nothing: not UTF-8, not JSON, not a mapping file.
pub fn parse_ctid_file(file: &FeedFile) -> Result<(Framework, Vec<ControlMapping>), String> {
    let parsed: MappingFile = serde_json::from_str(utf8(&file.bytes)?)
        .map_err(|e| format!("not a Mappings Explorer file: {e}"))?;
    let version = parsed
        .metadata
        .mapping_framework_version
        .unwrap_or_default()
        .trim()
        .to_owned();
    let key = parsed.metadata.mapping_framework.trim().to_owned();
    if key.is_empty() {
        return Err("the file names no framework".to_owned());
    }
    let framework = Framework {
        id: if version.is_empty() {
            key.clone()
        } else {
            format!("{key}-{version}")
        },
        name: framework_name(&key),
        version,
        attack_version: parsed.metadata.attack_version.unwrap_or_default(),
        source: "Center for Threat-Informed Defense Mappings Explorer (Apache-2.0)".to_owned(),
    };
    let mut mappings: Vec<ControlMapping> = parsed
        .mapping_objects
        .into_iter()
        .filter(|m| m.status.as_deref() != Some("non_mappable"))
        .filter_map(|m| {
            let control_id = m.capability_id?.trim().to_owned();
            let technique = technique_from_tag(m.attack_object_id.as_deref()?)?;
            (!control_id.is_empty()).then(|| ControlMapping {
                control_name: m
                    .capability_description
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
                group: m.capability_group,
                technique,
                mapping_type: m.mapping_type.unwrap_or_else(|| "mitigates".to_owned()),
                control_id,
            })
        })
        .collect();
    mappings.sort_by(|a, b| (&a.control_id, &a.technique).cmp(&(&b.control_id, &b.technique)));
    mappings.dedup_by(|a, b| a.control_id == b.control_id && a.technique == b.technique);
    Ok((framework, mappings))
}

/// Compliance files at a location (a file, a directory or an archive): Mappings Explorer
/// `.json`, and the CIS and NIST `.xlsx` workbooks.
#[derive(Debug, Clone)]
pub struct ComplianceFiles {
    location: super::rule_files::Location,
    limits: super::collection::CollectionLimits,
}

impl ComplianceFiles {
    pub fn at(location: super::rule_files::Location) -> Self {
        Self {
            location,
            limits: super::collection::CollectionLimits::default(),
        }
    }
}

#[async_trait::async_trait]
impl aegis_application::compliance::ComplianceFeed for ComplianceFiles {
    fn describe(&self) -> String {
        format!("compliance mappings from {}", self.location)
    }

    async fn fetch(
        &self,
    ) -> Result<aegis_application::compliance::ComplianceBatch, aegis_application::catalog::FeedError>
    {
        use super::compliance_sheets::{Workbook, parse_compliance_workbook};

        let wanted = |p: &str| {
            let lower = p.to_ascii_lowercase();
            lower.ends_with(".json") || lower.ends_with(".xlsx")
        };
        super::rule_files::read_location(&self.location, self.limits, wanted, |collection| {
            let mut batch = aegis_application::compliance::ComplianceBatch {
                skipped: collection.skipped,
                ..aegis_application::compliance::ComplianceBatch::default()
            };
            for file in &collection.files {
                let parsed = if file.path.to_ascii_lowercase().ends_with(".xlsx") {
                    parse_compliance_workbook(file)
                } else {
                    parse_ctid_file(file).map(|(f, m)| Workbook::Mapping(f, m))
                };
                match parsed {
                    Ok(Workbook::Mapping(framework, mappings)) => {
                        batch.frameworks.push((framework, mappings));
                    }
                    Ok(Workbook::Crosswalk(crosswalk)) => batch.crosswalks.push(crosswalk),
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

    #[test]
    fn controls_map_to_techniques_and_non_mappable_rows_are_left_out() {
        let text = serde_json::json!({
            "metadata": {"mapping_framework": "nist_800_53", "mapping_framework_version": "rev5", "attack_version": "16.1"},
            "mapping_objects": [
                {"capability_id": null, "attack_object_id": "T1496.002", "status": "non_mappable"},
                {"capability_id": "AC-02", "capability_description": "Account Management", "capability_group": "AC",
                 "mapping_type": "mitigates", "attack_object_id": "T1078", "status": "complete"},
                {"capability_id": "AC-02", "capability_description": "Account Management", "capability_group": "AC",
                 "mapping_type": "mitigates", "attack_object_id": "T1078", "status": "complete"},
            ]
        });
        let file = FeedFile {
            path: "nist.json".to_owned(),
            bytes: text.to_string().into_bytes(),
        };
        let (framework, mappings) = parse_ctid_file(&file).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(framework.id, "nist_800_53-rev5");
        assert_eq!(framework.name, "NIST SP 800-53");
        assert_eq!(mappings.len(), 1);
        assert_eq!(mappings[0].technique, "T1078");
        assert!(
            parse_ctid_file(&FeedFile {
                path: "x.json".to_owned(),
                bytes: b"{}".to_vec()
            })
            .is_err()
        );
    }
}
