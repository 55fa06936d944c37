//! Proof from telemetry: recorded Windows events (EVTX, JSON lines in the flat, Winlogbeat /
//! ECS or Splunk shapes; plain, gzipped or zipped) evaluated against Sigma rules by our own
//! evaluator over the catalog's parsed rules (docs/telemetry.md says why no crate was taken).
//!
//! Everything here is pure and bounded: it reads bytes it is given and never the network.
//! It lives in infrastructure, not domain, because it needs a YAML reader, a regular
//! expression engine with look-around, the EVTX parser and the archive readers.
//!
//! `siem` is the exception: the SIEM connectors' adapters, which call the configured SIEMs
//! over HTTP (docs/telemetry.md, "SIEM connectors").

mod evaluate;
mod event;
mod logsource;
mod normalize;
mod offline;
mod pattern;
mod read;
mod rule;
pub mod siem;

use std::path::Path;

pub use evaluate::{
    Evaluation, Evaluator, FiredRule, MatchedEvent, MatchedField, RuleEntry, Run, UnsupportedRule,
};
pub use event::{Event, Text, parse_timestamp};
pub use logsource::{EventClass, event_classes};
pub use normalize::event_from_document;
pub use offline::OfflineEvaluator;
pub use read::{ReadSummary, TelemetryError, TelemetryLimits, read_events};

use crate::feeds::collection::{CollectionLimits, FeedFile, read_collection};
use crate::feeds::sigma::parse_sigma_documents;

/// The rules of a Sigma rule file, directory or archive, with the files that held none.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<RuleEntry>,
    /// Files that are no Sigma rule, with why.
    pub skipped: Vec<(String, String)>,
}

fn is_sigma_file(path: &str) -> bool {
    let lower = path.to_lowercase();
    lower.ends_with(".yml") || lower.ends_with(".yaml")
}

/// Reads the Sigma rules at a path (a file, a directory, a `.zip` or `.tar.gz`).
///
/// # Errors
/// The path cannot be read, or the collection is over its limits.
pub fn load_rules(path: &Path) -> Result<RuleSet, crate::feeds::collection::CollectionError> {
    let collection = read_collection(path, &is_sigma_file, CollectionLimits::default())?;
    let mut set = RuleSet {
        rules: Vec::new(),
        skipped: collection.skipped,
    };
    for file in &collection.files {
        match rules_of_file(file) {
            Ok(rules) => set.rules.extend(rules),
            Err(reason) => set.skipped.push((file.path.clone(), reason)),
        }
    }
    Ok(set)
}

/// The rules of one Sigma file, compiled.
///
/// # Errors
/// Why the file holds no rule.
pub fn rules_of_file(file: &FeedFile) -> Result<Vec<RuleEntry>, String> {
    Ok(parse_sigma_documents(file)?
        .iter()
        .map(|(rule, document)| RuleEntry::new(rule, document))
        .collect())
}

/// Evaluates a rule set over one telemetry file.
///
/// # Errors
/// The telemetry cannot be read.
pub fn evaluate_file(
    rules: Vec<RuleEntry>,
    path: &Path,
    limits: TelemetryLimits,
) -> Result<(Evaluation, ReadSummary), TelemetryError> {
    let file = std::fs::File::open(path)
        .map_err(|e| TelemetryError::Unreadable(format!("{}: {e}", path.display())))?;
    let mut evaluator = Evaluator::new(rules);
    let summary = read_events(
        std::io::BufReader::new(file),
        &path.display().to_string(),
        limits,
        &mut |event| evaluator.observe(&event),
    )?;
    Ok((evaluator.finish(), summary))
}
