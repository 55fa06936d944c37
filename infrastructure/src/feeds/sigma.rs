//! Sigma rules (YAML): one rule per document. A multi-document file is a rule collection as
//! the Sigma specification defines it: an `action: global` document is deep-merged into each
//! document after it, `action: reset` forgets the global, and `action: repeat` is the previous
//! rule with the document merged into it. Aliases are expanded within a bound, so an alias bomb
//! is refused, not followed.

use serde::Deserialize;

use aegis_domain::detection::{DetectionRule, RuleSource, technique_from_tag};

use super::collection::FeedFile;
use super::rule_fields::{rule_date, tidy, utf8};
use super::yaml::documents;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct LogSource {
    product: Option<String>,
    category: Option<String>,
    service: Option<String>,
}

/// A string or a list of strings, as Sigma authors write either.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<serde_json::Value>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(one) => vec![one],
            Self::Many(many) => many
                .into_iter()
                .filter_map(|v| match v {
                    serde_json::Value::String(s) => Some(s),
                    serde_json::Value::Null => None,
                    other => Some(other.to_string()),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct SigmaDocument {
    title: Option<String>,
    id: Option<String>,
    status: Option<String>,
    description: Option<String>,
    references: Option<OneOrMany>,
    author: Option<String>,
    date: Option<String>,
    modified: Option<String>,
    tags: Option<OneOrMany>,
    logsource: Option<LogSource>,
    falsepositives: Option<OneOrMany>,
    level: Option<String>,
}

fn log_source(source: Option<LogSource>) -> Option<String> {
    let source = source?;
    let parts: Vec<String> = [source.product, source.category, source.service]
        .into_iter()
        .map(|p| p.unwrap_or_default())
        .collect();
    let joined = parts.join("/");
    (joined != "//").then_some(joined)
}

fn rule(document: SigmaDocument, text: &str, path: &str) -> Result<DetectionRule, String> {
    let title = document
        .title
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .ok_or("the rule has no title")?;
    let id = document
        .id
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .ok_or("the rule has no id")?;
    if id.len() > 128 {
        return Err("the rule's id is longer than 128 characters".to_owned());
    }
    let tags = document.tags.map(OneOrMany::into_vec).unwrap_or_default();
    let techniques = tidy(tags.iter().filter_map(|t| technique_from_tag(t)).collect());
    let tactics = tidy(
        tags.iter()
            .filter_map(|t| t.strip_prefix("attack."))
            .filter(|t| technique_from_tag(t).is_none())
            .filter(|t| {
                t.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c == '_')
            })
            .map(|t| t.replace('_', "-"))
            .collect(),
    );
    Ok(DetectionRule {
        source: RuleSource::Sigma,
        source_id: id,
        title,
        description: document.description.unwrap_or_default().trim().to_owned(),
        status: document.status.unwrap_or_else(|| "experimental".to_owned()),
        severity: document.level.unwrap_or_else(|| "medium".to_owned()),
        risk_score: None,
        kind: "sigma".to_owned(),
        techniques,
        tactics,
        author: document.author.map(|a| a.trim().to_owned()),
        references: document
            .references
            .map(OneOrMany::into_vec)
            .unwrap_or_default(),
        false_positives: document
            .falsepositives
            .map(OneOrMany::into_vec)
            .unwrap_or_default(),
        created: rule_date(document.date.as_deref()),
        modified: rule_date(document.modified.as_deref()),
        log_source: log_source(document.logsource),
        text: text.to_owned(),
        path: path.to_owned(),
    })
}

/// A rule's merged document.
pub type Mapping = serde_json::Map<String, serde_json::Value>;

/// Merges `source` into `target` as Sigma's collections do: a mapping met by a mapping is
/// merged key by key, anything else replaces what was there.
fn deep_merge(target: &mut Mapping, source: Mapping) {
    for (key, value) in source {
        match (target.get_mut(&key), value) {
            (Some(serde_json::Value::Object(inner)), serde_json::Value::Object(value)) => {
                deep_merge(inner, value);
            }
            (_, value) => {
                target.insert(key, value);
            }
        }
    }
}

/// The rules a (possibly multi-document) Sigma file defines, each a mapping: the global,
/// reset and repeat actions applied.
fn rule_documents(documents: Vec<serde_json::Value>) -> Result<Vec<Mapping>, String> {
    let mut global = Mapping::new();
    let mut rules: Vec<Mapping> = Vec::new();
    for (index, document) in documents.into_iter().enumerate() {
        let mut document = match document {
            serde_json::Value::Object(document) => document,
            // An empty document (a stray `---`) defines nothing.
            serde_json::Value::Null => continue,
            _ => return Err(format!("document {} is not a mapping", index + 1)),
        };
        let action = document.remove("action");
        match action.as_ref().map(|a| a.as_str().unwrap_or_default()) {
            Some("global") => deep_merge(&mut global, document),
            Some("reset") => global.clear(),
            Some("repeat") => {
                let mut rule = rules.last().cloned().ok_or_else(|| {
                    format!(
                        "document {}: `action: repeat` before any rule to repeat",
                        index + 1
                    )
                })?;
                deep_merge(&mut rule, document);
                rules.push(rule);
            }
            Some(other) => {
                return Err(format!(
                    "document {}: unknown action `{other}` (Sigma knows global, reset and repeat)",
                    index + 1
                ));
            }
            None => {
                let mut rule = global.clone();
                deep_merge(&mut rule, document);
                rules.push(rule);
            }
        }
    }
    Ok(rules)
}

/// The rules of one Sigma file: one per document of a rule collection. The documents of a
/// collection often share the global document's id: each then takes its place in the file
/// after it (`<id>#2`), so that each is kept and upserted on its own.
///
/// # Errors
/// Why the file yields no rule: not UTF-8, not YAML, an alias bomb, no title or id.
pub fn parse_sigma_file(file: &FeedFile) -> Result<Vec<DetectionRule>, String> {
    Ok(parse_sigma_documents(file)?
        .into_iter()
        .map(|(rule, _)| rule)
        .collect())
}

/// The rules of one Sigma file as [`parse_sigma_file`] reads them, each with its merged
/// document (the detection and log source the evaluator of telemetry compiles).
///
/// # Errors
/// As [`parse_sigma_file`].
pub fn parse_sigma_documents(file: &FeedFile) -> Result<Vec<(DetectionRule, Mapping)>, String> {
    let text = utf8(&file.bytes)?;
    let documents: Vec<serde_json::Value> = documents(text, "a Sigma rule")?;
    let mappings = rule_documents(documents)?;
    if mappings.is_empty() {
        return Err("the file holds no rule".to_owned());
    }
    let several = mappings.len() > 1;
    let mut rules = mappings
        .into_iter()
        .enumerate()
        .map(|(index, mapping)| {
            let document: SigmaDocument = serde_json::from_value(serde_json::Value::Object(
                mapping.clone(),
            ))
            .map_err(|e| {
                if several {
                    format!("document {}: not a Sigma rule: {e}", index + 1)
                } else {
                    format!("not a Sigma rule: {e}")
                }
            })?;
            Ok((rule(document, text, &file.path)?, mapping))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (rule, _) in &rules {
        *seen.entry(rule.source_id.clone()).or_default() += 1;
    }
    let mut position: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (rule, _) in &mut rules {
        if seen.get(&rule.source_id).copied().unwrap_or_default() > 1 {
            let n = position.entry(rule.source_id.clone()).or_default();
            *n += 1;
            if *n > 1 {
                rule.source_id = format!("{}#{n}", rule.source_id);
                if rule.source_id.len() > 128 {
                    return Err("the rule's id is longer than 128 characters".to_owned());
                }
            }
        }
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> FeedFile {
        FeedFile {
            path: "rules/windows/test.yml".to_owned(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn a_rule_keeps_its_author_tags_and_text() {
        let text = "title: Encoded PowerShell\nid: 3b6ab547-8ec2-4991-b9d2-2b06702a48d7\nstatus: test\n\
                    author: Florian Roth (Nextron Systems)\ndate: 2023/01/05\nmodified: 2024-03-01\n\
                    tags:\n  - attack.execution\n  - attack.t1059.001\n  - attack.t1685\n  - attack.g0016\n  - cve.2023-4966\n\
                    logsource:\n  product: windows\n  category: process_creation\n\
                    detection:\n  sel:\n    CommandLine|contains: ' -enc '\n  condition: sel\n\
                    falsepositives: Unknown\nlevel: high\n";
        let rules = parse_sigma_file(&file(text)).unwrap_or_default();
        assert_eq!(rules.len(), 1);
        let rule = &rules[0];
        assert_eq!(rule.techniques, ["T1059.001", "T1685"]);
        assert_eq!(rule.tactics, ["execution"]);
        assert_eq!(
            rule.author.as_deref(),
            Some("Florian Roth (Nextron Systems)")
        );
        assert_eq!(rule.severity, "high");
        assert_eq!(
            rule.log_source.as_deref(),
            Some("windows/process_creation/")
        );
        assert_eq!(rule.false_positives, ["Unknown"]);
        assert_eq!(
            rule.created.map(|d| d.to_string()).as_deref(),
            Some("2023-01-05")
        );
        assert_eq!(
            rule.modified.map(|d| d.to_string()).as_deref(),
            Some("2024-03-01")
        );
        assert_eq!(rule.text, text);
    }

    #[test]
    fn a_global_document_applies_to_the_documents_after_it() {
        let text = "action: global\ntitle: Shared title\nid: 11111111-2222-3333-4444-555555555555\n\
                    tags: [attack.t1027]\nlevel: low\n---\nlogsource: {product: linux}\n\
                    detection: {sel: {a: b}, condition: sel}\n";
        let rules = parse_sigma_file(&file(text)).unwrap_or_default();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].title, "Shared title");
        assert_eq!(rules[0].techniques, ["T1027"]);
        assert_eq!(rules[0].source_id, "11111111-2222-3333-4444-555555555555");
    }

    /// The shape SigmaHQ used for one detection over several log sources (its
    /// `sysmon_susp_...` collections until 2022): a global head, then one document per source.
    #[test]
    fn a_rule_collection_yields_one_rule_per_document_merged_as_the_spec_says() {
        let text = "\
action: global
title: Suspicious Service Installation
id: 0d8a1c2e-0000-4000-8000-000000000001
author: Aegis
tags:
    - attack.persistence
    - attack.t1050
logsource:
    product: windows
detection:
    condition: selection
level: high
---
logsource:
    service: system
detection:
    selection:
        EventID: 7045
---
action: repeat
logsource:
    service: security
detection:
    selection:
        EventID: 4697
---
logsource:
    category: process_creation
title: Suspicious Service Installation by sc.exe
detection:
    selection:
        Image|endswith: '\\sc.exe'
---
action: reset
---
title: A rule of its own
id: 0d8a1c2e-0000-4000-8000-000000000002
logsource: {product: linux}
detection: {sel: {a: b}, condition: sel}
";
        let rules = parse_sigma_file(&file(text)).unwrap_or_else(|e| panic!("{e}"));
        let summary: Vec<(&str, &str, Option<&str>)> = rules
            .iter()
            .map(|r| {
                (
                    r.source_id.as_str(),
                    r.title.as_str(),
                    r.log_source.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "0d8a1c2e-0000-4000-8000-000000000001",
                    "Suspicious Service Installation",
                    Some("windows//system")
                ),
                (
                    "0d8a1c2e-0000-4000-8000-000000000001#2",
                    "Suspicious Service Installation",
                    Some("windows//security")
                ),
                (
                    "0d8a1c2e-0000-4000-8000-000000000001#3",
                    "Suspicious Service Installation by sc.exe",
                    Some("windows/process_creation/")
                ),
                (
                    "0d8a1c2e-0000-4000-8000-000000000002",
                    "A rule of its own",
                    Some("linux//")
                ),
            ]
        );
        // The global's keys reach every document until the reset, and not after it.
        assert!(rules[..3].iter().all(|r| r.techniques == ["T1050"]));
        assert!(rules[..3].iter().all(|r| r.severity == "high"));
        assert!(rules[3].techniques.is_empty());
        assert_eq!(rules[3].severity, "medium");

        let orphan = parse_sigma_file(&file("action: repeat\ntitle: x\nid: y\n"));
        assert!(orphan.is_err_and(|e| e.contains("repeat")));
        let unknown = parse_sigma_file(&file("action: merge\ntitle: x\nid: y\n"));
        assert!(unknown.is_err_and(|e| e.contains("unknown action")));
    }

    #[test]
    fn hostile_or_broken_files_are_refused_with_a_reason() {
        let missing_id = parse_sigma_file(&file("title: No id\nlevel: low\n"));
        assert_eq!(missing_id, Err("the rule has no id".to_owned()));
        let binary = FeedFile {
            path: "x.yml".to_owned(),
            bytes: vec![0xff, 0xfe, 0x00],
        };
        assert!(parse_sigma_file(&binary).is_err_and(|e| e.contains("UTF-8")));
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..9 {
            let prev = if level == 1 {
                "a".to_owned()
            } else {
                format!("l{}", level - 1)
            };
            bomb.push_str(&format!(
                "l{level}: &l{level} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
        }
        bomb.push_str("title: bomb\nid: b\n");
        assert!(parse_sigma_file(&file(&bomb)).is_err());
        assert!(parse_sigma_file(&file(": : :\n  - [")).is_err());
    }
}

#[cfg(test)]
mod shared_samples {
    use super::*;
    use crate::feeds::collection::{CollectionLimits, read_collection};

    #[test]
    fn the_real_sigma_samples_parse_when_present() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/feeds/sigma/SigmaHQ__sigma");
        if !root.exists() {
            return;
        }
        let wanted = |p: &str| p.ends_with(".yml");
        let collection = read_collection(&root, &wanted, CollectionLimits::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let mut rules = Vec::new();
        let mut refused = Vec::new();
        for file in &collection.files {
            match parse_sigma_file(file) {
                Ok(parsed) => rules.extend(parsed),
                Err(reason) => refused.push((file.path.clone(), reason)),
            }
        }
        assert!(refused.is_empty(), "{refused:?}");
        assert_eq!(rules.len(), collection.files.len());
        assert!(
            rules
                .iter()
                .all(|r| r.author.is_some() || r.path.contains("placeholder"))
        );
        assert!(
            rules
                .iter()
                .any(|r| r.techniques.iter().any(|t| t == "T1685"))
        );
        assert!(rules.iter().any(|r| r.is_deprecated()));
        assert!(rules.iter().any(|r| r.techniques.is_empty()));
    }
}
