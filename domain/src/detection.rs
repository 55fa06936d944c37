//! Detection rules from the public rule sets (Sigma, Elastic): what a blue team can deploy to
//! see a technique, and what a validated test proves when one of them fires.

use chrono::NaiveDate;

/// Where a rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleSource {
    Sigma,
    Elastic,
}

impl RuleSource {
    pub const ALL: [Self; 2] = [Self::Sigma, Self::Elastic];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sigma => "sigma",
            Self::Elastic => "elastic",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The licence every rule of the source carries, recorded with it.
    #[must_use]
    pub const fn licence(self) -> &'static str {
        match self {
            Self::Sigma => "Detection Rule License 1.1 (keep the author attribution)",
            Self::Elastic => "Elastic License 2.0",
        }
    }
}

/// A rule as a rule set publishes it, normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectionRule {
    pub source: RuleSource,
    /// The rule's own id (Sigma `id`, Elastic `rule_id`): the upsert key.
    pub source_id: String,
    pub title: String,
    pub description: String,
    /// Sigma: stable, test, experimental, deprecated, unsupported. Elastic: production,
    /// development, deprecated (its maturity).
    pub status: String,
    /// informational, low, medium, high or critical.
    pub severity: String,
    /// Elastic's risk score (0..=100).
    pub risk_score: Option<u32>,
    /// Sigma: `sigma`; Elastic: the rule type and language, e.g. `eql/eql`.
    pub kind: String,
    /// ATT&CK technique ids the rule is tagged with, upper-case, sorted, deduplicated; ids the
    /// catalog does not know yet are kept as they are.
    pub techniques: Vec<String>,
    /// ATT&CK tactic shortnames or ids the rule is tagged with.
    pub tactics: Vec<String>,
    pub author: Option<String>,
    pub references: Vec<String>,
    pub false_positives: Vec<String>,
    pub created: Option<NaiveDate>,
    pub modified: Option<NaiveDate>,
    /// Sigma's logsource, as `product/category/service`.
    pub log_source: Option<String>,
    /// The rule as published, whole.
    pub text: String,
    /// The path it was read from, within the import.
    pub path: String,
}

impl DetectionRule {
    /// Deprecated rules are kept and shown but count for nothing.
    #[must_use]
    pub fn is_deprecated(&self) -> bool {
        self.status.eq_ignore_ascii_case("deprecated")
            || self.path.contains("/deprecated/")
            || self.path.starts_with("deprecated/")
            || self.path.contains("_deprecated/")
    }

    /// Whether a test's "fired rules" entry names this rule.
    #[must_use]
    pub fn is_named_by(&self, reference: &str) -> bool {
        names_rule(self.source, &self.source_id, &self.title, reference)
    }
}

/// The names a test's "fired rules" may use for a rule: its id, `source:id`, or its title,
/// compared case-insensitively.
#[must_use]
pub fn names_rule(source: RuleSource, source_id: &str, title: &str, reference: &str) -> bool {
    let reference = reference.trim();
    let prefixed = format!("{}:{}", source.as_str(), source_id);
    reference.eq_ignore_ascii_case(source_id)
        || reference.eq_ignore_ascii_case(&prefixed)
        || reference.eq_ignore_ascii_case(title.trim())
}

/// Normalizes an ATT&CK tag (`attack.t1059.001`, `T1059.001`) to an id (`T1059.001`), or
/// `None` when it names no technique.
#[must_use]
pub fn technique_from_tag(tag: &str) -> Option<String> {
    let tag = tag.trim();
    let bare = tag
        .strip_prefix("attack.")
        .or_else(|| tag.strip_prefix("ATTACK."))
        .unwrap_or(tag);
    let upper = bare.to_ascii_uppercase();
    let digits = upper.strip_prefix('T')?;
    let (main, sub) = match digits.split_once('.') {
        Some((main, sub)) => (main, Some(sub)),
        None => (digits, None),
    };
    let all_digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(main, 4) || sub.is_some_and(|s| !all_digits(s, 3)) {
        return None;
    }
    Some(upper)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attack_tags_become_technique_ids() {
        assert_eq!(
            technique_from_tag("attack.t1059.001").as_deref(),
            Some("T1059.001")
        );
        assert_eq!(technique_from_tag("attack.t1685").as_deref(), Some("T1685"));
        assert_eq!(technique_from_tag("T1027").as_deref(), Some("T1027"));
        for other in [
            "attack.execution",
            "attack.g0016",
            "attack.s0002",
            "cve.2023-4966",
            "attack.t10",
            "attack.t1059.1",
        ] {
            assert_eq!(technique_from_tag(other), None, "{other}");
        }
    }

    #[test]
    fn a_fired_rule_is_recognised_by_id_prefixed_id_or_title() {
        let rule = DetectionRule {
            source: RuleSource::Sigma,
            source_id: "3b6ab547-8ec2-4991-b9d2-2b06702a48d7".into(),
            title: "Suspicious Encoded PowerShell".into(),
            description: String::new(),
            status: "test".into(),
            severity: "high".into(),
            risk_score: None,
            kind: "sigma".into(),
            techniques: vec!["T1059.001".into()],
            tactics: vec![],
            author: None,
            references: vec![],
            false_positives: vec![],
            created: None,
            modified: None,
            log_source: None,
            text: String::new(),
            path: "rules/windows/x.yml".into(),
        };
        assert!(rule.is_named_by("3B6AB547-8ec2-4991-b9d2-2b06702a48d7"));
        assert!(rule.is_named_by("sigma:3b6ab547-8ec2-4991-b9d2-2b06702a48d7"));
        assert!(rule.is_named_by(" suspicious encoded powershell "));
        assert!(!rule.is_named_by("elastic:3b6ab547-8ec2-4991-b9d2-2b06702a48d7"));
        assert!(!rule.is_deprecated());
    }
}

/// A rule in a list or on a technique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSummary {
    pub id: uuid::Uuid,
    pub source: RuleSource,
    pub source_id: String,
    pub title: String,
    pub status: String,
    pub severity: String,
    pub author: Option<String>,
    pub deprecated: bool,
    /// The techniques it counts under: the ids it is tagged with, a revoked one replaced by
    /// its successor (ids the catalog does not know are kept as they are).
    pub techniques: Vec<String>,
    /// The revoked ids it is tagged with, each with the technique it counts under.
    pub legacy_techniques: Vec<crate::technique_lineage::LegacyTechnique>,
}

impl RuleSummary {
    /// Whether a test's "fired rules" entry names this rule.
    #[must_use]
    pub fn is_named_by(&self, reference: &str) -> bool {
        names_rule(self.source, &self.source_id, &self.title, reference)
    }
}

/// Filters of the rule list; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleFilter {
    pub source: Option<RuleSource>,
    /// Rules tagged with this technique id.
    pub technique: Option<String>,
    /// Case-insensitive text in the title.
    pub text: Option<String>,
    pub include_deprecated: bool,
}

pub use crate::feed::ImportCounts;

/// A D3FEND defensive technique and the ATT&CK techniques it counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Countermeasure {
    /// `D3-EFA`.
    pub d3fend_id: String,
    pub name: String,
    /// The D3FEND tactic: Model, Harden, Detect, Isolate, Deceive, Evict, Restore.
    pub tactic: String,
    /// ATT&CK technique ids, upper-case, sorted.
    pub techniques: Vec<String>,
}
