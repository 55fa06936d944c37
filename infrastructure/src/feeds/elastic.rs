//! Elastic detection rules (TOML): metadata, the rule, and its `[[rule.threat]]` mapping to
//! ATT&CK tactics, techniques and sub-techniques.

use serde::Deserialize;

use aegis_domain::detection::{DetectionRule, RuleSource, technique_from_tag};

use super::collection::FeedFile;
use super::rule_fields::{rule_date, tidy, utf8};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Metadata {
    creation_date: Option<String>,
    updated_date: Option<String>,
    maturity: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Reference {
    id: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Technique {
    id: String,
    subtechnique: Vec<Reference>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Threat {
    framework: String,
    tactic: Option<Reference>,
    technique: Vec<Technique>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Rule {
    rule_id: Option<String>,
    name: Option<String>,
    description: String,
    author: Vec<String>,
    severity: Option<String>,
    risk_score: Option<u32>,
    #[serde(rename = "type")]
    kind: Option<String>,
    language: Option<String>,
    references: Vec<String>,
    false_positives: Vec<String>,
    threat: Vec<Threat>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ElasticFile {
    metadata: Metadata,
    rule: Rule,
}

/// The rule of one Elastic TOML file.
///
/// # Errors
/// Why the file yields no rule: not UTF-8, not TOML, no `rule_id` or `name`.
pub fn parse_elastic_file(file: &FeedFile) -> Result<DetectionRule, String> {
    let text = utf8(&file.bytes)?;
    let parsed: ElasticFile = toml::from_str(text).map_err(|e| {
        let message = e.to_string();
        format!(
            "not an Elastic rule: {}",
            message.lines().last().unwrap_or(&message).trim()
        )
    })?;
    let rule = parsed.rule;
    let source_id = rule
        .rule_id
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty() && id.len() <= 128)
        .ok_or("the rule has no rule_id")?;
    let title = rule
        .name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .ok_or("the rule has no name")?;
    let attack: Vec<&Threat> = rule
        .threat
        .iter()
        .filter(|t| t.framework.eq_ignore_ascii_case("MITRE ATT&CK"))
        .collect();
    let techniques = tidy(
        attack
            .iter()
            .flat_map(|t| t.technique.iter())
            .flat_map(|t| {
                std::iter::once(t.id.as_str()).chain(t.subtechnique.iter().map(|s| s.id.as_str()))
            })
            .filter_map(technique_from_tag)
            .collect(),
    );
    let tactics = tidy(
        attack
            .iter()
            .filter_map(|t| t.tactic.as_ref().map(|r| r.id.trim().to_owned()))
            .collect(),
    );
    let kind = match (rule.kind, rule.language) {
        (Some(kind), Some(language)) => format!("{kind}/{language}"),
        (Some(kind), None) => kind,
        (None, Some(language)) => language,
        (None, None) => "unknown".to_owned(),
    };
    let author = (!rule.author.is_empty()).then(|| rule.author.join(", "));
    Ok(DetectionRule {
        source: RuleSource::Elastic,
        source_id,
        title,
        description: rule.description.trim().to_owned(),
        status: parsed
            .metadata
            .maturity
            .unwrap_or_else(|| "development".to_owned()),
        severity: rule.severity.unwrap_or_else(|| "medium".to_owned()),
        risk_score: rule.risk_score.map(|s| s.min(100)),
        kind,
        techniques,
        tactics,
        author,
        references: rule.references,
        false_positives: rule
            .false_positives
            .into_iter()
            .map(|f| f.trim().to_owned())
            .collect(),
        created: rule_date(parsed.metadata.creation_date.as_deref()),
        modified: rule_date(parsed.metadata.updated_date.as_deref()),
        log_source: None,
        text: text.to_owned(),
        path: file.path.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threats_give_techniques_and_sub_techniques() {
        let text = r#"
[metadata]
creation_date = "2020/02/18"
maturity = "production"
updated_date = "2024/05/21"

[rule]
author = ["Elastic", "Austin Songer"]
description = """
Multi-line
description."""
name = "Encoded PowerShell"
risk_score = 47
rule_id = "6b2d6a3b-1111-2222-3333-444444444444"
severity = "medium"
type = "eql"
language = "eql"
query = '''
process where process.name == "powershell.exe"
'''

[[rule.threat]]
framework = "MITRE ATT&CK"
[[rule.threat.technique]]
id = "T1059"
name = "Command and Scripting Interpreter"
[[rule.threat.technique.subtechnique]]
id = "T1059.001"
name = "PowerShell"
[rule.threat.tactic]
id = "TA0002"
name = "Execution"
"#;
        let parsed = parse_elastic_file(&FeedFile {
            path: "rules/windows/x.toml".to_owned(),
            bytes: text.as_bytes().to_vec(),
        });
        let rule = parsed.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rule.techniques, ["T1059", "T1059.001"]);
        assert_eq!(rule.tactics, ["TA0002"]);
        assert_eq!(rule.kind, "eql/eql");
        assert_eq!(rule.status, "production");
        assert_eq!(rule.author.as_deref(), Some("Elastic, Austin Songer"));
        assert_eq!(rule.risk_score, Some(47));
        assert_eq!(rule.description, "Multi-line\ndescription.");
    }

    #[test]
    fn a_file_without_rule_id_is_refused() {
        let file = FeedFile {
            path: "x.toml".to_owned(),
            bytes: b"[rule]\nname = \"x\"\n".to_vec(),
        };
        assert_eq!(
            parse_elastic_file(&file),
            Err("the rule has no rule_id".to_owned())
        );
        let broken = FeedFile {
            path: "x.toml".to_owned(),
            bytes: b"[rule\nname =".to_vec(),
        };
        assert!(parse_elastic_file(&broken).is_err());
    }
}

#[cfg(test)]
mod shared_samples {
    use super::*;
    use crate::feeds::collection::{CollectionLimits, read_collection};

    #[test]
    fn the_real_elastic_samples_parse_when_present() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/feeds/elastic-detection-rules/elastic__detection-rules");
        if !root.exists() {
            return;
        }
        let wanted = |p: &str| p.ends_with(".toml");
        let collection = read_collection(&root, &wanted, CollectionLimits::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let parsed: Vec<_> = collection.files.iter().map(parse_elastic_file).collect();
        let refused: Vec<_> = parsed.iter().filter_map(|r| r.as_ref().err()).collect();
        assert!(refused.is_empty(), "{refused:?}");
        let rules: Vec<_> = parsed.into_iter().filter_map(Result::ok).collect();
        assert_eq!(rules.len(), 40);
        assert!(rules.iter().any(|r| r.is_deprecated()));
        assert!(rules.iter().any(|r| r.techniques.is_empty()));
        assert!(
            rules
                .iter()
                .any(|r| r.techniques.iter().any(|t| t.contains('.')))
        );
    }
}
