//! The organization's rules: the system rules seeded on first use, custom rules, changes and
//! deletion (custom rules only).

use std::collections::BTreeMap;

use aegis_domain::alert::{
    AlertConfig, AlertRule, AlertRuleId, AlertRuleType, AlertSeverity, DEFAULT_COOLDOWN_HOURS,
    checked_cooldown, checked_name, parse_channels,
};
use aegis_domain::permission::Action;
use aegis_domain::risk::RiskLevel;
use aegis_domain::tenant::TenantId;

use super::{AlertError, AlertService};
use crate::audit_trail::{self, Change};
use crate::context::{Actor, RequestContext};
use crate::error::FieldError;
use crate::ports::UnitOfWork;

/// A custom rule as asked for; what is not given takes the type's default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewAlertRule {
    pub name: String,
    pub rule_type: String,
    pub threshold: Option<f64>,
    pub days: Option<u32>,
    pub min_severity: Option<String>,
    pub severity: Option<String>,
    pub cooldown_hours: Option<u32>,
    pub channels: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

/// A change to a rule: only what is given changes. `config` fields replace the stored ones
/// when given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleChanges {
    pub name: Option<String>,
    pub threshold: Option<f64>,
    pub days: Option<u32>,
    pub min_severity: Option<String>,
    pub severity: Option<String>,
    pub cooldown_hours: Option<u32>,
    pub channels: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

fn parse_severity(text: &str, errors: &mut Vec<FieldError>) -> Option<AlertSeverity> {
    let parsed = AlertSeverity::parse(text);
    if parsed.is_none() {
        errors.push(FieldError::new(
            "severity",
            format!("`{text}` is not one of info, low, medium, high, critical"),
        ));
    }
    parsed
}

fn parse_min_severity(text: &str, errors: &mut Vec<FieldError>) -> Option<RiskLevel> {
    let parsed = RiskLevel::parse(text);
    if parsed.is_none() {
        errors.push(FieldError::new(
            "config.min_severity",
            format!("`{text}` is not one of info, low, medium, high, critical"),
        ));
    }
    parsed
}

fn collect<T>(
    result: Result<T, aegis_domain::alert::InvalidAlertRule>,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) => {
            errors.push(FieldError::new(error.field, error.reason));
            None
        }
    }
}

fn invalid_or<T>(errors: Vec<FieldError>, value: Option<T>) -> Result<T, AlertError> {
    match value {
        Some(value) if errors.is_empty() => Ok(value),
        _ => Err(AlertError::Invalid(errors)),
    }
}

/// The system rules `existing` lacks, for `tenant`.
pub(super) fn missing_system_rules(
    service: &AlertService,
    tenant: TenantId,
    existing: &[AlertRule],
) -> Vec<AlertRule> {
    let now = service.clock.now();
    AlertRuleType::ALL
        .into_iter()
        .filter(|kind| !existing.iter().any(|r| r.system && r.rule_type == *kind))
        .map(|kind| {
            AlertRule::system(
                AlertRuleId::from_uuid(service.ids.new_id()),
                tenant,
                kind,
                now,
            )
        })
        .collect()
}

impl AlertService {
    /// The organization's rules, with the system rules seeded first if any is missing (a new
    /// organization, or one that existed before alerts): idempotent, and one read once seeded.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    pub async fn ensure_system_rules(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<AlertRule>, AlertError> {
        let rules = self.database.alert_rules(tenant).await?;
        let missing = missing_system_rules(self, tenant, &rules);
        if missing.is_empty() {
            return Ok(rules);
        }
        let uow = self.database.begin().await?;
        uow.insert_alert_rules(tenant, &missing).await?;
        uow.commit().await?;
        Ok(self.database.alert_rules(tenant).await?)
    }

    /// Seeds the system rules of every organization: at start-up.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    pub async fn ensure_every_tenant(&self) -> Result<u64, AlertError> {
        let mut tenants = 0;
        for tenant in self.database.list_tenants().await? {
            self.ensure_system_rules(tenant.id).await?;
            tenants += 1;
        }
        Ok(tenants)
    }

    /// # Errors
    /// `Forbidden` for a role that cannot read operations.
    pub async fn rules(&self, actor: &Actor) -> Result<Vec<AlertRule>, AlertError> {
        actor.authorize(Action::ReadOperations)?;
        self.ensure_system_rules(actor.tenant_id).await
    }

    /// Creates a custom rule of one of the eight types.
    ///
    /// # Errors
    /// `Forbidden` unless a lead or admin; `Invalid` naming each bad field.
    pub async fn create_rule(
        &self,
        actor: &Actor,
        context: &RequestContext,
        new: NewAlertRule,
    ) -> Result<AlertRule, AlertError> {
        actor.authorize(Action::ManageAlerts)?;
        let mut errors = Vec::new();
        let name = collect(checked_name(&new.name), &mut errors);
        let rule_type = AlertRuleType::parse(&new.rule_type);
        if rule_type.is_none() {
            errors.push(FieldError::new(
                "rule_type",
                format!(
                    "`{}` is not one of {}",
                    new.rule_type,
                    AlertRuleType::ALL.map(AlertRuleType::as_str).join(", ")
                ),
            ));
        }
        let min_severity = new
            .min_severity
            .as_deref()
            .and_then(|s| parse_min_severity(s, &mut errors));
        let config = rule_type.and_then(|kind| {
            collect(
                AlertConfig {
                    threshold: new.threshold,
                    days: new.days,
                    min_severity,
                }
                .checked(kind),
                &mut errors,
            )
        });
        let severity = match new.severity.as_deref() {
            Some(text) => parse_severity(text, &mut errors),
            None => rule_type.map(AlertRuleType::default_severity),
        };
        let cooldown = collect(
            checked_cooldown(new.cooldown_hours.unwrap_or(DEFAULT_COOLDOWN_HOURS)),
            &mut errors,
        );
        let channels = collect(
            parse_channels(&new.channels.unwrap_or_else(|| vec!["in_app".to_owned()])),
            &mut errors,
        );
        let parts = match (name, rule_type, config, severity, cooldown, channels) {
            (Some(a), Some(b), Some(c), Some(d), Some(e), Some(f)) => Some((a, b, c, d, e, f)),
            _ => None,
        };
        let (name, rule_type, config, severity, cooldown_hours, channels) =
            invalid_or(errors, parts)?;
        let now = self.clock.now();
        let rule = AlertRule {
            id: AlertRuleId::from_uuid(self.ids.new_id()),
            tenant_id: actor.tenant_id,
            name,
            rule_type,
            system: false,
            config,
            severity,
            cooldown_hours,
            channels,
            enabled: new.enabled.unwrap_or(true),
            baseline: BTreeMap::new(),
            last_evaluated_at: None,
            created_at: now,
            updated_at: now,
        };
        let uow = self.database.begin().await?;
        uow.insert_alert_rules(actor.tenant_id, std::slice::from_ref(&rule))
            .await?;
        self.audit_rule(uow.as_ref(), actor, context, "alert_rule.created", &rule)
            .await?;
        uow.commit().await?;
        Ok(rule)
    }

    /// Changes a rule's settings (a system rule's too: it may be tuned and disabled).
    ///
    /// # Errors
    /// `Forbidden` unless a lead or admin; `RuleNotFound`; `Invalid` naming each bad field.
    pub async fn update_rule(
        &self,
        actor: &Actor,
        context: &RequestContext,
        id: AlertRuleId,
        changes: RuleChanges,
    ) -> Result<AlertRule, AlertError> {
        actor.authorize(Action::ManageAlerts)?;
        self.ensure_system_rules(actor.tenant_id).await?;
        let uow = self.database.begin().await?;
        let mut rule = uow
            .find_alert_rule(actor.tenant_id, id)
            .await?
            .ok_or(AlertError::RuleNotFound)?;
        let mut errors = Vec::new();
        if let Some(name) = &changes.name
            && let Some(name) = collect(checked_name(name), &mut errors)
        {
            rule.name = name;
        }
        let min_severity = changes
            .min_severity
            .as_deref()
            .and_then(|s| parse_min_severity(s, &mut errors));
        // Given fields are checked against the type; the stored ones stay where not given.
        if let Some(config) = collect(
            AlertConfig {
                threshold: changes.threshold,
                days: changes.days,
                min_severity,
            }
            .checked(rule.rule_type),
            &mut errors,
        ) {
            rule.config = AlertConfig {
                threshold: changes
                    .threshold
                    .map_or(rule.config.threshold, |_| config.threshold),
                days: changes.days.map_or(rule.config.days, |_| config.days),
                min_severity: min_severity
                    .map_or(rule.config.min_severity, |_| config.min_severity),
            };
        }
        if let Some(text) = changes.severity.as_deref()
            && let Some(severity) = parse_severity(text, &mut errors)
        {
            rule.severity = severity;
        }
        if let Some(hours) = changes.cooldown_hours
            && let Some(hours) = collect(checked_cooldown(hours), &mut errors)
        {
            rule.cooldown_hours = hours;
        }
        if let Some(names) = &changes.channels
            && let Some(channels) = collect(parse_channels(names), &mut errors)
        {
            rule.channels = channels;
        }
        if let Some(enabled) = changes.enabled {
            rule.enabled = enabled;
        }
        if !errors.is_empty() {
            return Err(AlertError::Invalid(errors));
        }
        rule.updated_at = self.clock.now();
        uow.update_alert_rule(actor.tenant_id, &rule).await?;
        self.audit_rule(uow.as_ref(), actor, context, "alert_rule.updated", &rule)
            .await?;
        uow.commit().await?;
        Ok(rule)
    }

    /// Deletes a custom rule (its alerts stay, as history). Admins only, as in the original.
    ///
    /// # Errors
    /// `Forbidden` unless an admin; `RuleNotFound`; `SystemRule` for a system rule.
    pub async fn delete_rule(
        &self,
        actor: &Actor,
        context: &RequestContext,
        id: AlertRuleId,
    ) -> Result<(), AlertError> {
        actor.authorize(Action::ManageSystem)?;
        let uow = self.database.begin().await?;
        let rule = uow
            .find_alert_rule(actor.tenant_id, id)
            .await?
            .ok_or(AlertError::RuleNotFound)?;
        if rule.system {
            return Err(AlertError::SystemRule);
        }
        uow.delete_alert_rule(actor.tenant_id, id).await?;
        self.audit_rule(uow.as_ref(), actor, context, "alert_rule.deleted", &rule)
            .await?;
        uow.commit().await?;
        Ok(())
    }

    async fn audit_rule(
        &self,
        uow: &dyn UnitOfWork,
        actor: &Actor,
        context: &RequestContext,
        action: &str,
        rule: &AlertRule,
    ) -> Result<(), AlertError> {
        let change = Change {
            tenant: actor.tenant_id,
            actor: Some(actor.user_id),
            action,
            entity_type: "alert_rule",
            entity_id: Some(rule.id.as_uuid().to_string()),
            details: serde_json::json!({
                "name": rule.name,
                "rule_type": rule.rule_type.as_str(),
                "system": rule.system,
                "enabled": rule.enabled,
                "severity": rule.severity.as_str(),
                "cooldown_hours": rule.cooldown_hours,
                "threshold": rule.config.threshold,
                "days": rule.config.days,
                "min_severity": rule.config.min_severity.map(RiskLevel::as_str),
                "channels": rule.channels.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            }),
        };
        audit_trail::record(self.clock.as_ref(), self.ids.as_ref(), uow, context, change).await?;
        Ok(())
    }
}
