//! Sigma rules (YAML): one rule per document; a file that opens with an `action: global`
//! document applies it to each document after. Aliases are expanded within a bound, so an
//! alias bomb is refused, not followed.

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
    action: Option<String>,
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

impl SigmaDocument {
    /// Fields this document leaves out, taken from the global document.
    fn with_defaults(self, global: &SigmaDocument) -> SigmaDocument {
        SigmaDocument {
            action: self.action,
            title: self.title.or_else(|| global.title.clone()),
            id: self.id.or_else(|| global.id.clone()),
            status: self.status.or_else(|| global.status.clone()),
            description: self.description.or_else(|| global.description.clone()),
            references: self.references.or_else(|| global.references.clone()),
            author: self.author.or_else(|| global.author.clone()),
            date: self.date.or_else(|| global.date.clone()),
            modified: self.modified.or_else(|| global.modified.clone()),
            tags: self.tags.or_else(|| global.tags.clone()),
            logsource: self.logsource.or_else(|| global.logsource.clone()),
            falsepositives: self
                .falsepositives
                .or_else(|| global.falsepositives.clone()),
            level: self.level.or_else(|| global.level.clone()),
        }
    }
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

/// The rules of one Sigma file.
///
/// # Errors
/// Why the file yields no rule: not UTF-8, not YAML, an alias bomb, no title or id.
pub fn parse_sigma_file(file: &FeedFile) -> Result<Vec<DetectionRule>, String> {
    let text = utf8(&file.bytes)?;
    let documents: Vec<SigmaDocument> = documents(text, "a Sigma rule")?;
    let mut documents = documents.into_iter();
    let Some(first) = documents.next() else {
        return Err("the file holds no rule".to_owned());
    };
    if first.action.as_deref() == Some("global") {
        documents
            .map(|doc| rule(doc.with_defaults(&first), text, &file.path))
            .collect()
    } else {
        std::iter::once(first)
            .chain(documents.filter(|doc| doc.title.is_some() || doc.id.is_some()))
            .map(|doc| rule(doc, text, &file.path))
            .collect()
    }
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
