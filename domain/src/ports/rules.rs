//! Detection rules imported from the public rule sets.

use crate::detection::{DetectionRule, ImportCounts, RuleFilter, RuleSource, RuleSummary};

/// Where detection rules are kept: global, like the ATT&CK catalog.
#[async_trait::async_trait]
pub trait RuleRepository: Send + Sync {
    /// Upserts the rules of one source by their own ids, in one transaction; rules absent
    /// from this import are kept.
    ///
    /// # Errors
    /// `Unexpected` on storage failure; nothing is written then.
    async fn apply_rules(
        &self,
        source: RuleSource,
        rules: &[DetectionRule],
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<ImportCounts, crate::ports::RepositoryError>;

    /// The rules tagged with exactly this technique id, deprecated ones included.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn rules_for_technique(
        &self,
        technique: &str,
    ) -> Result<Vec<RuleSummary>, crate::ports::RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_rules(
        &self,
        filter: &RuleFilter,
        page: crate::page::PageRequest,
    ) -> Result<crate::page::Page<RuleSummary>, crate::ports::RepositoryError>;

    /// Active (not deprecated) rules per technique id, for the heatmap.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn active_rule_counts(
        &self,
    ) -> Result<std::collections::HashMap<String, u32>, crate::ports::RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_rule(
        &self,
        id: uuid::Uuid,
    ) -> Result<Option<(RuleSummary, DetectionRule)>, crate::ports::RepositoryError>;
}
