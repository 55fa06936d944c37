//! Deterministic verification of detection content against the importers' parsers, the
//! ATT&CK catalog, the rule catalog and the tenant's proven detections.
//!
//! Three steps: `read` parses every added or changed file with the importers' own parsers
//! (behind `DetectionContentParser`), `Facts` are what the catalog and the tenant say about
//! the ids and techniques read, and `check` turns both into findings and the coverage delta.

use std::collections::{BTreeSet, HashMap};

use aegis_domain::detection::technique_from_tag;
use aegis_domain::scan::diff::{ChangeKind, FileDiff};
use aegis_domain::scan::hazards::ContentKind;
use aegis_domain::scan::{CoverageDelta, Finding, Severity};
use aegis_domain::technique_lineage::{Resolution, TechniqueLineage};

/// One detection (a rule or a test) as the importer's parser reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedDetection {
    /// The rule's or test's own id (Sigma `id`, Elastic `rule_id`, Atomic GUID, CALDERA id).
    pub id: String,
    pub title: String,
    /// The ATT&CK technique ids it names, as written (upper-case).
    pub techniques: Vec<String>,
    /// Sub-techniques listed under a technique that is not their parent: (sub, listed under).
    pub wrong_parents: Vec<(String, String)>,
    /// Schema problems the importer tolerates but the format forbids (a missing `level`).
    pub problems: Vec<String>,
}

/// Reads detection content with the importers' parsers (the adapter:
/// `infrastructure::scans`).
pub trait DetectionContentParser: Send + Sync {
    /// The detections of one whole file of `kind` (Sigma, Elastic, Atomic or CALDERA).
    ///
    /// # Errors
    /// Why the importer refuses the file.
    fn parse(
        &self,
        kind: ContentKind,
        path: &str,
        text: &str,
    ) -> Result<Vec<ParsedDetection>, String>;
}

/// What was read of one file.
#[derive(Debug, Clone)]
pub(crate) struct Reading {
    pub path: String,
    pub change: ChangeKind,
    /// The detections of the new side, when the diff holds it whole and it parses.
    pub detections: Vec<ParsedDetection>,
    /// Why the new side does not parse.
    pub parse_error: Option<String>,
    /// Techniques the added lines name, when the diff holds only part of the file.
    pub added_techniques: Vec<(String, u32)>,
    /// `id`/`title` as the removed and added lines give them (changed in place).
    pub old_id: Option<String>,
    pub new_id: Option<(String, u32)>,
    pub old_title: Option<String>,
    pub new_title: Option<(String, u32)>,
    /// The new side's lines, to place findings.
    pub added_lines: Vec<(u32, String)>,
    /// Detections of a deleted file's old side.
    pub deleted: Vec<ParsedDetection>,
}

/// The top-level key of a line for the format: Sigma/Atomic `key: value`, Elastic `key = value`.
fn top_level_value<'a>(kind: ContentKind, line: &'a str, keys: &[&str]) -> Option<&'a str> {
    if line.starts_with([' ', '\t']) {
        return None;
    }
    let separator = if kind.is_toml() { '=' } else { ':' };
    let (key, value) = line.split_once(separator)?;
    keys.contains(&key.trim())
        .then(|| value.trim().trim_matches(['"', '\'']))
        .filter(|v| !v.is_empty())
}

/// ATT&CK technique ids the line names (`attack.t1059.001`, `"T1059"`).
fn techniques_in(line: &str) -> Vec<String> {
    line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
        .filter_map(|token| {
            let token = token.trim_matches('.');
            let lower = token.to_ascii_lowercase();
            let bare = lower.strip_prefix("attack.").unwrap_or(&lower);
            bare.starts_with('t')
                .then(|| technique_from_tag(bare))
                .flatten()
        })
        .collect()
}

/// Parses the files of the diff that are detection content.
pub(crate) fn read(files: &[FileDiff], parser: &dyn DetectionContentParser) -> Vec<Reading> {
    let mut readings = Vec::new();
    for file in files.iter().filter(|f| !f.binary) {
        let path = file.path().to_owned();
        let text = file.new_text();
        let kind = ContentKind::of(&path, &text);
        if !matches!(
            kind,
            ContentKind::Sigma | ContentKind::Elastic | ContentKind::Atomic | ContentKind::Caldera
        ) {
            // A deleted rule file is told by its old side.
            let old = file.old_text();
            let old_kind = ContentKind::of(&path, &old);
            if file.kind == ChangeKind::Deleted
                && matches!(old_kind, ContentKind::Sigma | ContentKind::Elastic)
            {
                let deleted = parser.parse(old_kind, &path, &old).unwrap_or_default();
                readings.push(Reading {
                    path,
                    change: file.kind,
                    detections: Vec::new(),
                    parse_error: None,
                    added_techniques: Vec::new(),
                    old_id: None,
                    new_id: None,
                    old_title: None,
                    new_title: None,
                    added_lines: Vec::new(),
                    deleted,
                });
            }
            continue;
        }
        let mut reading = Reading {
            path: path.clone(),
            change: file.kind,
            detections: Vec::new(),
            parse_error: None,
            added_techniques: Vec::new(),
            old_id: None,
            new_id: None,
            old_title: None,
            new_title: None,
            added_lines: file
                .new_lines()
                .filter(|l| l.added)
                .map(|l| (l.number, l.text.to_owned()))
                .collect(),
            deleted: Vec::new(),
        };
        if file.holds_whole_new_side() {
            match parser.parse(kind, &path, &text) {
                Ok(detections) => reading.detections = detections,
                Err(error) => reading.parse_error = Some(error),
            }
        } else {
            let (id_keys, title_keys): (&[&str], &[&str]) = match kind {
                // An Elastic rule's `name` is also its tactics' and techniques' key: the
                // title is read only from a whole file.
                ContentKind::Elastic => (&["rule_id"], &[]),
                _ => (&["id"], &["title"]),
            };
            for (number, line) in &reading.added_lines {
                for technique in techniques_in(line) {
                    reading.added_techniques.push((technique, *number));
                }
                if let Some(id) = top_level_value(kind, line, id_keys) {
                    reading.new_id = Some((id.to_owned(), *number));
                }
                if let Some(title) = top_level_value(kind, line, title_keys) {
                    reading.new_title = Some((title.to_owned(), *number));
                }
            }
            for (_, line) in file.removed_lines() {
                if let Some(id) = top_level_value(kind, line, id_keys) {
                    reading.old_id = Some(id.to_owned());
                }
                if let Some(title) = top_level_value(kind, line, title_keys) {
                    reading.old_title = Some(title.to_owned());
                }
            }
            // The unchanged id of a changed file, for the proven assets it may alter.
            if reading.old_id.is_none() {
                reading.old_id = file
                    .new_lines()
                    .filter(|l| !l.added)
                    .find_map(|l| top_level_value(kind, l.text, id_keys).map(str::to_owned));
            }
        }
        readings.push(reading);
    }
    readings
}

/// The ids, titles and techniques the readings name, to ask the catalog about.
pub(crate) fn named_techniques(readings: &[Reading]) -> BTreeSet<String> {
    let mut techniques = BTreeSet::new();
    for reading in readings {
        for detection in reading.detections.iter().chain(&reading.deleted) {
            techniques.extend(detection.techniques.iter().cloned());
        }
        techniques.extend(reading.added_techniques.iter().map(|(t, _)| t.clone()));
    }
    techniques
}

/// What the catalog and the tenant say about what the diff names.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Empty when no catalog is loaded: the tag checks are skipped then.
    pub lineage: TechniqueLineage,
    /// The catalog's active rules per technique: their own ids.
    pub rules_per_technique: HashMap<String, BTreeSet<String>>,
    /// Rule ids the catalog holds (those the techniques and titles named lead to), with the
    /// path they were imported from.
    pub known_rules: HashMap<String, String>,
    /// The tenant's proven detection assets: rule id → asset name.
    pub proven: HashMap<String, String>,
}

fn line_naming(reading: &Reading, needle: &str) -> Option<u32> {
    let needle = needle.to_ascii_lowercase();
    reading
        .added_lines
        .iter()
        .find(|(_, text)| text.to_ascii_lowercase().contains(&needle))
        .map(|(number, _)| *number)
}

fn tag_findings(
    reading: &Reading,
    technique: &str,
    line: Option<u32>,
    lineage: &TechniqueLineage,
    findings: &mut Vec<Finding>,
) {
    let file = reading.path.as_str();
    match lineage.resolve(technique) {
        Resolution::Current => {}
        Resolution::Replaced { current } => findings.push(Finding::new(
            "attack-tag-revoked",
            Severity::High,
            file,
            line,
            technique,
            format!("{technique} is revoked in ATT&CK: it was replaced by {current}"),
            format!("tag {current} instead of {technique}"),
        )),
        Resolution::Retired => findings.push(Finding::new(
            "attack-tag-deprecated",
            Severity::Medium,
            file,
            line,
            technique,
            format!("{technique} is deprecated in ATT&CK (or revoked without a replacement)"),
            "tag a current technique",
        )),
        Resolution::Unknown => {
            // A sub-technique whose parent is known but that is not: the wrong number under
            // the right parent, or a parent tag's typo.
            let why = match technique.split_once('.') {
                Some((parent, _)) if lineage.resolve(parent) != Resolution::Unknown => {
                    format!("{technique} is no sub-technique of {parent} in the catalog")
                }
                _ => format!("{technique} is not in the ATT&CK catalog"),
            };
            findings.push(Finding::new(
                "attack-tag-unknown",
                Severity::Medium,
                file,
                line,
                technique,
                why,
                "tag a technique of the current ATT&CK release",
            ));
        }
    }
}

/// The verification findings and the coverage delta.
pub(crate) fn check(readings: &[Reading], facts: &Facts) -> (Vec<Finding>, CoverageDelta) {
    let mut findings = Vec::new();
    let mut delta = CoverageDelta::default();
    let mut ids_in_diff: HashMap<&str, &str> = HashMap::new();
    let mut gained = BTreeSet::new();
    let mut lost = BTreeSet::new();
    let mut proven = BTreeSet::new();
    for reading in readings {
        let file = reading.path.as_str();
        if let Some(error) = &reading.parse_error {
            findings.push(Finding::new(
                "parse-error",
                Severity::High,
                file,
                None,
                error,
                format!("the importer refuses the file: {error}"),
                "fix the file so that it parses",
            ));
        }
        for detection in &reading.detections {
            let line = line_naming(reading, &detection.id);
            for problem in &detection.problems {
                findings.push(Finding::new(
                    "schema-error",
                    Severity::High,
                    file,
                    None,
                    problem,
                    problem.clone(),
                    "complete the rule as its format requires",
                ));
            }
            if !facts.lineage.is_empty() {
                for technique in &detection.techniques {
                    let line = line_naming(reading, technique);
                    tag_findings(reading, technique, line, &facts.lineage, &mut findings);
                }
            }
            for (sub, parent) in &detection.wrong_parents {
                findings.push(Finding::new(
                    "attack-subtechnique-parent",
                    Severity::Medium,
                    file,
                    line_naming(reading, sub),
                    &format!("{sub}<{parent}"),
                    format!("{sub} is listed under {parent}, which is not its parent"),
                    format!(
                        "list {sub} under {}",
                        sub.split_once('.').map_or(sub.as_str(), |(p, _)| p)
                    ),
                ));
            }
            if detection.id.is_empty() {
                continue;
            }
            match ids_in_diff.insert(detection.id.as_str(), file) {
                Some(other) if other != file => findings.push(Finding::new(
                    "duplicate-id",
                    Severity::High,
                    file,
                    line,
                    &detection.id,
                    format!(
                        "the id {} is also the id of {other} in this change",
                        detection.id
                    ),
                    "give each rule its own id (a new UUID)",
                )),
                _ => {}
            }
            if reading.change == ChangeKind::Added
                && let Some(path) = facts.known_rules.get(&detection.id)
                && path != file
            {
                findings.push(Finding::new(
                    "duplicate-id",
                    Severity::High,
                    file,
                    line,
                    &detection.id,
                    format!(
                        "the id {} is already the id of a rule in the catalog ({path})",
                        detection.id
                    ),
                    "give the new rule its own id (a new UUID)",
                ));
            }
            if reading.change == ChangeKind::Added {
                for technique in &detection.techniques {
                    let current = facts.lineage.current_of(technique);
                    if facts
                        .rules_per_technique
                        .get(&current)
                        .is_none_or(BTreeSet::is_empty)
                    {
                        gained.insert(current);
                    }
                }
            }
        }
        if !facts.lineage.is_empty() {
            for (technique, line) in &reading.added_techniques {
                tag_findings(
                    reading,
                    technique,
                    Some(*line),
                    &facts.lineage,
                    &mut findings,
                );
            }
        }
        if let (Some(old), Some((new, line))) = (&reading.old_id, &reading.new_id)
            && old != new
        {
            findings.push(Finding::new(
                "id-changed",
                Severity::High,
                file,
                Some(*line),
                &format!("{old}>{new}"),
                format!("the rule's id changes in place from {old} to {new}: everything that tracks it by id loses it"),
                "keep the id; a new rule is a new file",
            ));
        }
        if let (Some(old), Some((new, line))) = (&reading.old_title, &reading.new_title)
            && old != new
        {
            findings.push(Finding::new(
                "title-changed",
                Severity::Low,
                file,
                Some(*line),
                &format!("{old}>{new}"),
                format!("the rule's title changes from \"{old}\" to \"{new}\""),
                "make sure dashboards and tickets that name it follow",
            ));
        }
        for detection in &reading.deleted {
            for technique in &detection.techniques {
                let current = facts.lineage.current_of(technique);
                let only_this = facts
                    .rules_per_technique
                    .get(&current)
                    .is_some_and(|ids| ids.len() == 1 && ids.contains(&detection.id));
                if only_this {
                    lost.insert(current.clone());
                    findings.push(Finding::new(
                        "coverage-lost",
                        Severity::Medium,
                        file,
                        None,
                        &format!("{}:{current}", detection.id),
                        format!(
                            "deleting {} removes the only rule for {current}",
                            detection.id
                        ),
                        format!("keep a rule that detects {current}"),
                    ));
                }
            }
        }
        let touched_ids: Vec<&str> = match reading.change {
            ChangeKind::Added => Vec::new(),
            ChangeKind::Deleted => reading.deleted.iter().map(|d| d.id.as_str()).collect(),
            _ => reading.old_id.iter().map(String::as_str).collect(),
        };
        for id in touched_ids {
            if let Some(asset) = facts.proven.get(id) {
                proven.insert(id.to_owned());
                findings.push(Finding::new(
                    "proven-detection-changed",
                    Severity::Medium,
                    file,
                    None,
                    id,
                    format!("the rule {id} is deployed as the proven detection asset \"{asset}\": changing it ends its proof"),
                    "re-validate the asset after the change ships",
                ));
            }
        }
    }
    delta.gained = gained.into_iter().collect();
    delta.lost = lost.into_iter().collect();
    delta.proven_changed = proven.into_iter().collect();
    (findings, delta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn technique_ids_are_read_from_tags_and_fields() {
        assert_eq!(techniques_in("    - attack.t1059.001"), vec!["T1059.001"]);
        assert_eq!(techniques_in("id = \"T1003\""), vec!["T1003"]);
        assert!(techniques_in("title: test 1234").is_empty());
    }

    #[test]
    fn top_level_values_are_read_per_format() {
        assert_eq!(
            top_level_value(ContentKind::Sigma, "id: abc", &["id"]),
            Some("abc")
        );
        assert_eq!(
            top_level_value(ContentKind::Sigma, "  id: abc", &["id"]),
            None
        );
        assert_eq!(
            top_level_value(ContentKind::Elastic, "rule_id = \"x\"", &["rule_id"]),
            Some("x")
        );
    }
}
