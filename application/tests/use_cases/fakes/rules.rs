//! In-memory rules for use-case tests.

use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::EmptyCatalog;

#[async_trait]
impl aegis_domain::ports::RuleRepository for EmptyCatalog {
    async fn apply_rules(
        &self,
        _: aegis_domain::detection::RuleSource,
        rules: &[aegis_domain::detection::DetectionRule],
        _: DateTime<Utc>,
    ) -> Result<aegis_domain::detection::ImportCounts, RepositoryError> {
        Ok(aegis_domain::detection::ImportCounts {
            created: rules.len() as u64,
            ..aegis_domain::detection::ImportCounts::default()
        })
    }
    async fn rules_for_technique(
        &self,
        _: &str,
    ) -> Result<Vec<aegis_domain::detection::RuleSummary>, RepositoryError> {
        Ok(Vec::new())
    }
    async fn list_rules(
        &self,
        _: &aegis_domain::detection::RuleFilter,
        page: PageRequest,
    ) -> Result<Page<aegis_domain::detection::RuleSummary>, RepositoryError> {
        Ok(Page {
            items: Vec::new(),
            total: 0,
            request: page,
        })
    }
    async fn active_rule_counts(
        &self,
    ) -> Result<std::collections::HashMap<String, u32>, RepositoryError> {
        Ok(std::collections::HashMap::new())
    }
    async fn find_rule(
        &self,
        _: Uuid,
    ) -> Result<
        Option<(
            aegis_domain::detection::RuleSummary,
            aegis_domain::detection::DetectionRule,
        )>,
        RepositoryError,
    > {
        Ok(None)
    }
}
