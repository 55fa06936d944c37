//! In-memory alert rules and alerts for use-case tests.

use std::collections::HashMap;

use aegis_domain::alert::{
    Alert, AlertFilter, AlertId, AlertRule, AlertRuleId, AlertRuleType, AlertSeverity, AlertStatus,
    AlertSummary, MissedTest, OrphanCounts,
};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::*;
use aegis_domain::tenant::TenantId;
use aegis_domain::test_case::Outcome;
use aegis_domain::workflow::TestState;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Memory, Slot};

#[async_trait]
impl<S: Slot> AlertRepository for Memory<S> {
    async fn alert_rules(&self, tenant: TenantId) -> Result<Vec<AlertRule>, RepositoryError> {
        Ok(self.with(|s| {
            let mut rules: Vec<AlertRule> = s
                .alert_rules
                .iter()
                .filter(|r| r.tenant_id == tenant)
                .cloned()
                .collect();
            rules.sort_by(|a, b| {
                b.system
                    .cmp(&a.system)
                    .then_with(|| a.rule_type.cmp(&b.rule_type).then(a.name.cmp(&b.name)))
            });
            rules
        }))
    }
    async fn find_alert_rule(
        &self,
        tenant: TenantId,
        id: AlertRuleId,
    ) -> Result<Option<AlertRule>, RepositoryError> {
        Ok(self.with(|s| {
            s.alert_rules
                .iter()
                .find(|r| r.tenant_id == tenant && r.id == id)
                .cloned()
        }))
    }
    async fn insert_alert_rules(
        &self,
        tenant: TenantId,
        rules: &[AlertRule],
    ) -> Result<u64, RepositoryError> {
        Ok(self.with(|s| {
            let mut inserted = 0;
            for rule in rules {
                let taken = rule.system
                    && s.alert_rules.iter().any(|r| {
                        r.tenant_id == tenant && r.system && r.rule_type == rule.rule_type
                    });
                if !taken {
                    s.alert_rules.push(rule.clone());
                    inserted += 1;
                }
            }
            inserted
        }))
    }
    async fn update_alert_rule(
        &self,
        tenant: TenantId,
        rule: &AlertRule,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            let stored = s
                .alert_rules
                .iter_mut()
                .find(|r| r.tenant_id == tenant && r.id == rule.id)
                .ok_or(RepositoryError::NotFound(Entity::AlertRule))?;
            *stored = rule.clone();
            Ok(())
        })
    }
    async fn mark_alert_rules_evaluated(
        &self,
        tenant: TenantId,
        at: DateTime<Utc>,
    ) -> Result<u64, RepositoryError> {
        Ok(self.with(|s| {
            let mut marked = 0;
            for rule in s.alert_rules.iter_mut().filter(|r| r.tenant_id == tenant) {
                rule.last_evaluated_at = Some(at);
                marked += 1;
            }
            marked
        }))
    }
    async fn delete_alert_rule(
        &self,
        tenant: TenantId,
        id: AlertRuleId,
    ) -> Result<bool, RepositoryError> {
        Ok(self.with(|s| {
            let before = s.alert_rules.len();
            s.alert_rules
                .retain(|r| !(r.tenant_id == tenant && r.id == id));
            s.alert_rules.len() < before
        }))
    }
    async fn insert_alerts(
        &self,
        _tenant: TenantId,
        alerts: &[Alert],
    ) -> Result<(), RepositoryError> {
        self.with(|s| s.alerts.extend(alerts.iter().cloned()));
        Ok(())
    }
    async fn update_alert(&self, tenant: TenantId, alert: &Alert) -> Result<(), RepositoryError> {
        self.with(|s| {
            let stored = s
                .alerts
                .iter_mut()
                .find(|a| a.tenant_id == tenant && a.id == alert.id)
                .ok_or(RepositoryError::NotFound(Entity::Alert))?;
            *stored = alert.clone();
            Ok(())
        })
    }
    async fn find_alert(
        &self,
        tenant: TenantId,
        id: AlertId,
    ) -> Result<Option<Alert>, RepositoryError> {
        Ok(self.with(|s| {
            s.alerts
                .iter()
                .find(|a| a.tenant_id == tenant && a.id == id)
                .cloned()
        }))
    }
    async fn list_alerts(
        &self,
        tenant: TenantId,
        filter: &AlertFilter,
        page: PageRequest,
    ) -> Result<Page<Alert>, RepositoryError> {
        Ok(self.with(|s| {
            let mut alerts: Vec<Alert> = s
                .alerts
                .iter()
                .filter(|a| a.tenant_id == tenant)
                .filter(|a| filter.status.is_none_or(|x| a.status() == x))
                .filter(|a| filter.severity.is_none_or(|x| a.severity == x))
                .filter(|a| filter.rule_type.is_none_or(|x| a.rule_type == x))
                .cloned()
                .collect();
            alerts.sort_by(|a, b| b.fired_at.cmp(&a.fired_at).then(b.id.cmp(&a.id)));
            let total = alerts.len() as u64;
            let items = alerts
                .into_iter()
                .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
                .take(usize::try_from(page.per_page()).unwrap_or(usize::MAX))
                .collect();
            Page {
                items,
                total,
                request: page,
            }
        }))
    }
    async fn alert_summary(&self, tenant: TenantId) -> Result<AlertSummary, RepositoryError> {
        Ok(self.with(|s| {
            let mut summary = AlertSummary {
                by_status: AlertStatus::ALL
                    .iter()
                    .map(|x| (x.as_str().to_owned(), 0))
                    .collect(),
                active_by_severity: AlertSeverity::ALL
                    .iter()
                    .map(|x| (x.as_str().to_owned(), 0))
                    .collect(),
                active_by_type: AlertRuleType::ALL
                    .iter()
                    .map(|x| (x.as_str().to_owned(), 0))
                    .collect(),
                ..AlertSummary::default()
            };
            for alert in s.alerts.iter().filter(|a| a.tenant_id == tenant) {
                summary.total += 1;
                *summary
                    .by_status
                    .entry(alert.status().as_str().to_owned())
                    .or_default() += 1;
                if !alert.status().is_closed() {
                    *summary
                        .active_by_severity
                        .entry(alert.severity.as_str().to_owned())
                        .or_default() += 1;
                    *summary
                        .active_by_type
                        .entry(alert.rule_type.as_str().to_owned())
                        .or_default() += 1;
                }
            }
            summary
        }))
    }
    async fn fired_since(
        &self,
        tenant: TenantId,
        since: DateTime<Utc>,
    ) -> Result<HashMap<String, DateTime<Utc>>, RepositoryError> {
        Ok(self.with(|s| {
            let mut newest: HashMap<String, DateTime<Utc>> = HashMap::new();
            for alert in s
                .alerts
                .iter()
                .filter(|a| a.tenant_id == tenant && a.fired_at >= since)
            {
                let at = newest
                    .entry(alert.fingerprint.clone())
                    .or_insert(alert.fired_at);
                if alert.fired_at > *at {
                    *at = alert.fired_at;
                }
            }
            newest
        }))
    }
    async fn missed_tests(
        &self,
        tenant: TenantId,
        since: DateTime<Utc>,
    ) -> Result<Vec<MissedTest>, RepositoryError> {
        Ok(self.with(|s| {
            s.tests
                .iter()
                .filter(|t| t.tenant_id == tenant && t.workflow().state() == TestState::Validated)
                .filter(|t| t.blue.outcome == Some(Outcome::NotDetected))
                .filter_map(|t| {
                    let validated_at = t.validated_at.filter(|at| *at >= since)?;
                    Some(MissedTest {
                        test_id: t.id,
                        title: t.title.clone(),
                        technique_id: t.technique_id.clone(),
                        validated_at,
                    })
                })
                .collect()
        }))
    }
    async fn orphan_counts(&self) -> Result<OrphanCounts, RepositoryError> {
        Ok(self.with(|s| s.orphans))
    }
}
