//! Each organization's alert rules and the alerts they fired, and the facts only this room
//! reads (missed validated tests, orphan rules and techniques).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::RepositoryError;
use crate::alert::{
    Alert, AlertFilter, AlertId, AlertRule, AlertRuleId, AlertSummary, MissedTest, OrphanCounts,
};
use crate::page::{Page, PageRequest};
use crate::tenant::TenantId;

/// Where alert rules and alerts are kept.
#[async_trait::async_trait]
pub trait AlertRepository: Send + Sync {
    /// Every rule of the organization, system rules first, then by name.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn alert_rules(&self, tenant: TenantId) -> Result<Vec<AlertRule>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_alert_rule(
        &self,
        tenant: TenantId,
        id: AlertRuleId,
    ) -> Result<Option<AlertRule>, RepositoryError>;

    /// Inserts rules; a system rule of a type the organization already has is skipped (so
    /// two processes seeding at once leave one). Returns how many were inserted.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_alert_rules(
        &self,
        tenant: TenantId,
        rules: &[AlertRule],
    ) -> Result<u64, RepositoryError>;

    /// Stores a rule's settings, baseline and last evaluation.
    ///
    /// # Errors
    /// `NotFound(Entity::AlertRule)` when the rule does not exist.
    async fn update_alert_rule(
        &self,
        tenant: TenantId,
        rule: &AlertRule,
    ) -> Result<(), RepositoryError>;

    /// Marks every rule of the organization evaluated at `at`. Inside a unit of work it
    /// holds the rules' rows until commit, so two evaluations of one organization run one
    /// after the other and the second sees what the first fired. Returns how many rules.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn mark_alert_rules_evaluated(
        &self,
        tenant: TenantId,
        at: DateTime<Utc>,
    ) -> Result<u64, RepositoryError>;

    /// Deletes a rule (its alerts stay, as history). Returns whether it existed.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn delete_alert_rule(
        &self,
        tenant: TenantId,
        id: AlertRuleId,
    ) -> Result<bool, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_alerts(
        &self,
        tenant: TenantId,
        alerts: &[Alert],
    ) -> Result<(), RepositoryError>;

    /// Stores an alert's status and steps.
    ///
    /// # Errors
    /// `NotFound(Entity::Alert)` when the alert does not exist.
    async fn update_alert(&self, tenant: TenantId, alert: &Alert) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_alert(
        &self,
        tenant: TenantId,
        id: AlertId,
    ) -> Result<Option<Alert>, RepositoryError>;

    /// Newest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_alerts(
        &self,
        tenant: TenantId,
        filter: &AlertFilter,
        page: PageRequest,
    ) -> Result<Page<Alert>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn alert_summary(&self, tenant: TenantId) -> Result<AlertSummary, RepositoryError>;

    /// The newest firing of each fingerprint fired at or after `since`.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn fired_since(
        &self,
        tenant: TenantId,
        since: DateTime<Utc>,
    ) -> Result<HashMap<String, DateTime<Utc>>, RepositoryError>;

    /// The organization's tests validated at or after `since` whose outcome was that nothing
    /// detected (or prevented) them.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn missed_tests(
        &self,
        tenant: TenantId,
        since: DateTime<Utc>,
    ) -> Result<Vec<MissedTest>, RepositoryError>;

    /// Detection rules (not deprecated) that name no technique, and techniques (not revoked
    /// or deprecated) that no active rule names. Rules and techniques are global.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn orphan_counts(&self) -> Result<OrphanCounts, RepositoryError>;
}
