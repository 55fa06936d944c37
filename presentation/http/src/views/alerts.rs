//! The wire types of [`crate::routes::alerts`]: alert rules, alerts, their filters, the
//! summary and the evaluation's counts.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::alerts::{EvaluationReport, NewAlertRule, RuleChanges};
use aegis_application::error::FieldError;
use aegis_domain::alert::{
    Alert, AlertFilter, AlertRule, AlertRuleType, AlertSeverity, AlertStatus, AlertStep,
    AlertSummary,
};

use crate::problem::ApiError;

/// A rule's settings; which ones a type reads is documented in `docs/alerts.md`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertConfigView {
    /// Points, percent or a count, by type.
    pub threshold: Option<f64>,
    /// An age, a window or a look-back in days, by type.
    pub days: Option<u32>,
    /// The lowest risk level that counts (high_risk_uncovered).
    #[schema(value_type = Option<crate::views::enums::RiskLevel>)]
    pub min_severity: Option<String>,
}

/// An alert rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertRuleView {
    pub id: Uuid,
    pub name: String,
    #[schema(value_type = crate::views::enums::AlertRuleType)]
    pub rule_type: String,
    /// One of the eight rules every organization has: it can be disabled, never deleted.
    pub system: bool,
    pub config: AlertConfigView,
    #[schema(value_type = crate::views::enums::AlertSeverity)]
    pub severity: String,
    pub cooldown_hours: u32,
    #[schema(value_type = Vec<crate::views::enums::AlertChannel>)]
    pub channels: Vec<String>,
    pub enabled: bool,
    pub last_evaluated_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<AlertRule> for AlertRuleView {
    fn from(rule: AlertRule) -> Self {
        Self {
            id: rule.id.as_uuid(),
            name: rule.name,
            rule_type: rule.rule_type.as_str().to_owned(),
            system: rule.system,
            config: AlertConfigView {
                threshold: rule.config.threshold,
                days: rule.config.days,
                min_severity: rule.config.min_severity.map(|l| l.as_str().to_owned()),
            },
            severity: rule.severity.as_str().to_owned(),
            cooldown_hours: rule.cooldown_hours,
            channels: rule
                .channels
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
            enabled: rule.enabled,
            last_evaluated_at: rule.last_evaluated_at,
            created_at: rule.created_at,
            updated_at: rule.updated_at,
        }
    }
}

/// The organization's rules.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertRulesView {
    pub items: Vec<AlertRuleView>,
}

/// A rule's settings as sent; a field the rule's type does not read is refused.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertConfigRequest {
    pub threshold: Option<f64>,
    #[schema(minimum = 1, maximum = 3650)]
    pub days: Option<u32>,
    #[schema(value_type = Option<crate::views::enums::RiskLevel>)]
    pub min_severity: Option<String>,
}

/// A custom rule.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAlertRuleRequest {
    pub name: String,
    #[schema(value_type = crate::views::enums::AlertRuleType)]
    pub rule_type: String,
    #[serde(default)]
    pub config: Option<AlertConfigRequest>,
    #[schema(value_type = Option<crate::views::enums::AlertSeverity>)]
    pub severity: Option<String>,
    /// Hours before the same condition may fire again (default 24, at most 8760).
    #[schema(minimum = 1, maximum = 8760)]
    pub cooldown_hours: Option<u32>,
    /// in_app (delivered now); webhook and email are stored for their deliveries.
    #[schema(value_type = Option<Vec<crate::views::enums::AlertChannel>>)]
    pub channels: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

impl From<NewAlertRuleRequest> for NewAlertRule {
    fn from(request: NewAlertRuleRequest) -> Self {
        let config = request.config.unwrap_or_default();
        Self {
            name: request.name,
            rule_type: request.rule_type,
            threshold: config.threshold,
            days: config.days,
            min_severity: config.min_severity,
            severity: request.severity,
            cooldown_hours: request.cooldown_hours,
            channels: request.channels,
            enabled: request.enabled,
        }
    }
}

/// A change to a rule: only what is given changes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAlertRuleRequest {
    pub name: Option<String>,
    pub config: Option<AlertConfigRequest>,
    #[schema(value_type = Option<crate::views::enums::AlertSeverity>)]
    pub severity: Option<String>,
    #[schema(minimum = 1, maximum = 8760)]
    pub cooldown_hours: Option<u32>,
    #[schema(value_type = Option<Vec<crate::views::enums::AlertChannel>>)]
    pub channels: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

impl From<UpdateAlertRuleRequest> for RuleChanges {
    fn from(request: UpdateAlertRuleRequest) -> Self {
        let config = request.config.unwrap_or_default();
        Self {
            name: request.name,
            threshold: config.threshold,
            days: config.days,
            min_severity: config.min_severity,
            severity: request.severity,
            cooldown_hours: request.cooldown_hours,
            channels: request.channels,
            enabled: request.enabled,
        }
    }
}

/// Who did a step, when, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertStepView {
    pub by: Uuid,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
}

impl From<&AlertStep> for AlertStepView {
    fn from(step: &AlertStep) -> Self {
        Self {
            by: step.by.as_uuid(),
            at: step.at,
            note: step.note.clone(),
        }
    }
}

/// An alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertView {
    pub id: Uuid,
    pub rule_id: Uuid,
    #[schema(value_type = crate::views::enums::AlertRuleType)]
    pub rule_type: String,
    #[schema(value_type = crate::views::enums::AlertSeverity)]
    pub severity: String,
    #[schema(value_type = crate::views::enums::AlertStatus)]
    pub status: String,
    /// The condition it is about: the same fingerprint fires once per cooldown.
    pub fingerprint: String,
    pub title: String,
    /// What the condition found (technique, scores, counts), by type.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub fired_at: DateTime<Utc>,
    pub acknowledged: Option<AlertStepView>,
    /// How it was resolved or dismissed.
    pub closed: Option<AlertStepView>,
}

impl From<Alert> for AlertView {
    fn from(alert: Alert) -> Self {
        Self {
            id: alert.id.as_uuid(),
            rule_id: alert.rule_id.as_uuid(),
            rule_type: alert.rule_type.as_str().to_owned(),
            severity: alert.severity.as_str().to_owned(),
            status: alert.status().as_str().to_owned(),
            acknowledged: alert.acknowledged().map(Into::into),
            closed: alert.closed().map(Into::into),
            fingerprint: alert.fingerprint,
            title: alert.title,
            details: alert.details,
            fired_at: alert.fired_at,
        }
    }
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    #[param(value_type = Option<crate::views::enums::AlertStatus>)]
    pub status: Option<String>,
    #[param(value_type = Option<crate::views::enums::AlertSeverity>)]
    pub severity: Option<String>,
    #[param(value_type = Option<crate::views::enums::AlertRuleType>)]
    pub rule_type: Option<String>,
}

impl AlertQuery {
    /// # Errors
    /// 422 naming each filter that is not one of its values.
    pub fn filter(self) -> Result<AlertFilter, ApiError> {
        let mut errors = Vec::new();
        let status = self.status.as_deref().and_then(|s| {
            let parsed = AlertStatus::parse(s);
            if parsed.is_none() {
                errors.push(FieldError::new(
                    "status",
                    "must be open, acknowledged, resolved or dismissed",
                ));
            }
            parsed
        });
        let severity = self.severity.as_deref().and_then(|s| {
            let parsed = AlertSeverity::parse(s);
            if parsed.is_none() {
                errors.push(FieldError::new(
                    "severity",
                    "must be info, low, medium, high or critical",
                ));
            }
            parsed
        });
        let rule_type = self.rule_type.as_deref().and_then(|s| {
            let parsed = AlertRuleType::parse(s);
            if parsed.is_none() {
                errors.push(FieldError::new(
                    "rule_type",
                    format!(
                        "must be one of {}",
                        AlertRuleType::ALL.map(AlertRuleType::as_str).join(", ")
                    ),
                ));
            }
            parsed
        });
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        Ok(AlertFilter {
            status,
            severity,
            rule_type,
        })
    }
}

/// A note on an acknowledgement, resolution or dismissal.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertStepRequest {
    /// At most 2000 characters.
    pub note: Option<String>,
}

/// The organization's alerts at a glance.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertSummaryView {
    pub total: u64,
    /// Open and acknowledged alerts.
    pub active: u64,
    pub open: u64,
    /// Alerts per status, every status present.
    pub by_status: BTreeMap<String, u64>,
    /// Active alerts per severity, every severity present.
    pub active_by_severity: BTreeMap<String, u64>,
    /// Active alerts per rule type, every type present.
    pub active_by_type: BTreeMap<String, u64>,
}

impl From<AlertSummary> for AlertSummaryView {
    fn from(summary: AlertSummary) -> Self {
        let count =
            |status: AlertStatus| summary.by_status.get(status.as_str()).copied().unwrap_or(0);
        Self {
            total: summary.total,
            active: count(AlertStatus::Open) + count(AlertStatus::Acknowledged),
            open: count(AlertStatus::Open),
            by_status: summary.by_status,
            active_by_severity: summary.active_by_severity,
            active_by_type: summary.active_by_type,
        }
    }
}

/// What an evaluation did.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationView {
    pub rules_evaluated: u64,
    pub alerts_fired: u64,
}

impl From<EvaluationReport> for EvaluationView {
    fn from(report: EvaluationReport) -> Self {
        Self {
            rules_evaluated: report.rules_evaluated,
            alerts_fired: report.alerts_fired,
        }
    }
}
