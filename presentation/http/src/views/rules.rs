//! The wire types of [`crate::routes::rules`]: its views, request bodies and queries.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_domain::detection::{DetectionRule, RuleSummary};

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleSummaryView {
    pub id: Uuid,
    /// sigma or elastic.
    #[schema(value_type = crate::views::enums::RuleSource)]
    pub source: String,
    /// The rule's own id in its source.
    pub source_id: String,
    pub title: String,
    pub status: String,
    pub severity: String,
    /// Kept and shown as the source's licence asks (Sigma's DRL).
    pub author: Option<String>,
    pub deprecated: bool,
    /// The ATT&CK techniques the rule counts under: its tags, a revoked id replaced by the
    /// technique that succeeded it; ids unknown to the catalog are kept as they are.
    pub techniques: Vec<String>,
    /// The revoked technique ids the rule is tagged with, each with the technique it counts
    /// under.
    pub legacy_techniques: Vec<LegacyTechniqueView>,
}

/// A revoked ATT&CK id an item names, and the technique it counts under.
#[derive(Debug, Serialize, ToSchema)]
pub struct LegacyTechniqueView {
    /// The id as the item names it (T1086).
    pub named_as: String,
    /// The technique that replaced it (T1059.001).
    pub technique: String,
}

impl From<aegis_domain::technique_lineage::LegacyTechnique> for LegacyTechniqueView {
    fn from(legacy: aegis_domain::technique_lineage::LegacyTechnique) -> Self {
        Self {
            named_as: legacy.named,
            technique: legacy.current,
        }
    }
}

impl From<RuleSummary> for RuleSummaryView {
    fn from(rule: RuleSummary) -> Self {
        Self {
            id: rule.id,
            source: rule.source.as_str().to_owned(),
            source_id: rule.source_id,
            title: rule.title,
            status: rule.status,
            severity: rule.severity,
            author: rule.author,
            deprecated: rule.deprecated,
            techniques: rule.techniques,
            legacy_techniques: rule.legacy_techniques.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleDetailView {
    #[serde(flatten)]
    pub summary: RuleSummaryView,
    pub description: String,
    pub licence: String,
    pub risk_score: Option<u32>,
    /// `sigma`, or Elastic's rule type and language (`eql/eql`).
    pub kind: String,
    pub tactics: Vec<String>,
    pub references: Vec<String>,
    pub false_positives: Vec<String>,
    pub created: Option<NaiveDate>,
    pub modified: Option<NaiveDate>,
    pub log_source: Option<String>,
    /// Where it was read from, within its rule set.
    pub path: String,
    /// The rule as published, whole.
    pub text: String,
}

impl RuleDetailView {
    pub(crate) fn new(summary: RuleSummary, rule: DetectionRule) -> Self {
        Self {
            licence: rule.source.licence().to_owned(),
            summary: summary.into(),
            description: rule.description,
            risk_score: rule.risk_score,
            kind: rule.kind,
            tactics: rule.tactics,
            references: rule.references,
            false_positives: rule.false_positives,
            created: rule.created,
            modified: rule.modified,
            log_source: rule.log_source,
            path: rule.path,
            text: rule.text,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RuleQuery {
    /// sigma or elastic.
    #[param(value_type = Option<crate::views::enums::RuleSource>)]
    pub source: Option<String>,
    /// Rules tagged with this ATT&CK technique id.
    pub technique: Option<String>,
    /// Text in the title.
    pub q: Option<String>,
    /// Include deprecated rules (default false).
    pub include_deprecated: Option<bool>,
}
