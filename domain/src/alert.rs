//! Operational alerts: the rules that watch the organization's posture, the facts they are
//! evaluated over, and the alerts they fire.
//!
//! Evaluation is a pure function of a rule and the facts read for its organization: each rule
//! type names the conditions that hold, one per subject (a technique, a tactic, a test), and
//! each condition has a stable fingerprint (rule and subject). An alert fires for a
//! fingerprint at most once per the rule's cooldown, however often the rules are evaluated;
//! the use case enforces that against the stored alerts.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Duration, Utc};

use crate::catalog::TechniqueId;
use crate::id::Id;
use crate::risk::RiskLevel;
use crate::snapshot::PostureSnapshot;
use crate::tenant::TenantId;
use crate::test_case::TestId;
use crate::user::UserId;

pub type AlertRuleId = Id<AlertRule>;
pub type AlertId = Id<Alert>;

/// What a rule watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertRuleType {
    /// A technique of high (or the configured) risk with no proven detection.
    HighRiskUncovered,
    /// A technique whose newest validated test is older than N days.
    StaleTechnique,
    /// The organization's or a tactic's score fell by N points between the last two snapshots.
    CoverageRegression,
    /// A tactic under N % covered in the last snapshot.
    LowCoverage,
    /// N or more detection proofs expire within D days.
    ExpiryWave,
    /// An import added techniques that a tracked actor uses.
    NewTechnique,
    /// Rules with no technique, or techniques with no rule, grew by N since the last evaluation.
    OrphanSpike,
    /// A validated test missed: nothing detected or prevented it.
    DetectionGap,
}

impl AlertRuleType {
    pub const ALL: [Self; 8] = [
        Self::HighRiskUncovered,
        Self::StaleTechnique,
        Self::CoverageRegression,
        Self::LowCoverage,
        Self::ExpiryWave,
        Self::NewTechnique,
        Self::OrphanSpike,
        Self::DetectionGap,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::HighRiskUncovered => "high_risk_uncovered",
            Self::StaleTechnique => "stale_technique",
            Self::CoverageRegression => "coverage_regression",
            Self::LowCoverage => "low_coverage",
            Self::ExpiryWave => "expiry_wave",
            Self::NewTechnique => "new_technique",
            Self::OrphanSpike => "orphan_spike",
            Self::DetectionGap => "detection_gap",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// Which configuration fields the type reads; a field it does not read is refused, so a
    /// rule never carries a setting that silently does nothing.
    #[must_use]
    pub const fn reads(self) -> ConfigFields {
        match self {
            Self::HighRiskUncovered => ConfigFields {
                threshold: false,
                days: false,
                min_severity: true,
            },
            Self::StaleTechnique | Self::DetectionGap => ConfigFields {
                threshold: false,
                days: true,
                min_severity: false,
            },
            Self::CoverageRegression | Self::LowCoverage | Self::OrphanSpike => ConfigFields {
                threshold: true,
                days: false,
                min_severity: false,
            },
            Self::ExpiryWave => ConfigFields {
                threshold: true,
                days: true,
                min_severity: false,
            },
            Self::NewTechnique => ConfigFields {
                threshold: false,
                days: false,
                min_severity: false,
            },
        }
    }

    /// The system rule's configuration: the original's defaults where it had them.
    #[must_use]
    pub fn default_config(self) -> AlertConfig {
        match self {
            Self::HighRiskUncovered => AlertConfig {
                min_severity: Some(RiskLevel::High),
                ..AlertConfig::default()
            },
            Self::StaleTechnique => AlertConfig {
                days: Some(180),
                ..AlertConfig::default()
            },
            Self::CoverageRegression => AlertConfig {
                threshold: Some(5.0),
                ..AlertConfig::default()
            },
            Self::LowCoverage => AlertConfig {
                threshold: Some(20.0),
                ..AlertConfig::default()
            },
            Self::ExpiryWave => AlertConfig {
                threshold: Some(5.0),
                days: Some(14),
                ..AlertConfig::default()
            },
            Self::NewTechnique => AlertConfig::default(),
            Self::OrphanSpike => AlertConfig {
                threshold: Some(10.0),
                ..AlertConfig::default()
            },
            Self::DetectionGap => AlertConfig {
                days: Some(30),
                ..AlertConfig::default()
            },
        }
    }

    /// The system rule's severity.
    #[must_use]
    pub const fn default_severity(self) -> AlertSeverity {
        match self {
            Self::HighRiskUncovered | Self::DetectionGap => AlertSeverity::High,
            Self::CoverageRegression | Self::ExpiryWave | Self::NewTechnique => {
                AlertSeverity::Medium
            }
            Self::StaleTechnique | Self::LowCoverage | Self::OrphanSpike => AlertSeverity::Low,
        }
    }

    /// The system rule's name.
    #[must_use]
    pub const fn default_name(self) -> &'static str {
        match self {
            Self::HighRiskUncovered => "High-risk technique without proven detection",
            Self::StaleTechnique => "Technique not validated recently",
            Self::CoverageRegression => "Coverage regression",
            Self::LowCoverage => "Tactic with low coverage",
            Self::ExpiryWave => "Detection proofs about to expire",
            Self::NewTechnique => "New technique used by a tracked actor",
            Self::OrphanSpike => "Orphan rules or techniques grew",
            Self::DetectionGap => "Validated test missed",
        }
    }
}

impl fmt::Display for AlertRuleType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which configuration fields a rule type reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigFields {
    pub threshold: bool,
    pub days: bool,
    pub min_severity: bool,
}

/// How urgent an alert is (the original's five levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertSeverity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl AlertSeverity {
    pub const ALL: [Self; 5] = [
        Self::Info,
        Self::Low,
        Self::Medium,
        Self::High,
        Self::Critical,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Where a fired alert is told. Only `in_app` is delivered today; the others are validated
/// names stored for the webhook and email deliveries that read them later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertChannel {
    InApp,
    Webhook,
    Email,
}

impl AlertChannel {
    pub const ALL: [Self; 3] = [Self::InApp, Self::Webhook, Self::Email];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InApp => "in_app",
            Self::Webhook => "webhook",
            Self::Email => "email",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// A rule's settings; which ones a type reads is [`AlertRuleType::reads`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AlertConfig {
    /// Points, percent or a count, by type.
    pub threshold: Option<f64>,
    /// A number of days: an age, a window or a look-back, by type.
    pub days: Option<u32>,
    /// The lowest risk level that counts.
    pub min_severity: Option<RiskLevel>,
}

/// Why a configuration was refused: the field and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct InvalidAlertRule {
    pub field: &'static str,
    pub reason: String,
}

impl InvalidAlertRule {
    fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}

/// The longest cooldown: a year.
pub const MAX_COOLDOWN_HOURS: u32 = 24 * 365;
/// The largest `days` any type reads: ten years.
pub const MAX_DAYS: u32 = 3650;
/// The longest rule name.
pub const MAX_NAME_CHARS: usize = 200;

impl AlertConfig {
    /// The configuration `rule_type` reads, with its defaults filled in for what was not
    /// given.
    ///
    /// # Errors
    /// The field a type does not read, or a value out of range.
    pub fn checked(self, rule_type: AlertRuleType) -> Result<Self, InvalidAlertRule> {
        let reads = rule_type.reads();
        let defaults = rule_type.default_config();
        if self.threshold.is_some() && !reads.threshold {
            return Err(InvalidAlertRule::new(
                "config.threshold",
                format!("{rule_type} has no threshold"),
            ));
        }
        if self.days.is_some() && !reads.days {
            return Err(InvalidAlertRule::new(
                "config.days",
                format!("{rule_type} has no days"),
            ));
        }
        if self.min_severity.is_some() && !reads.min_severity {
            return Err(InvalidAlertRule::new(
                "config.min_severity",
                format!("{rule_type} has no min_severity"),
            ));
        }
        if let Some(threshold) = self.threshold {
            let upper = if matches!(
                rule_type,
                AlertRuleType::CoverageRegression | AlertRuleType::LowCoverage
            ) {
                100.0
            } else {
                1_000_000.0
            };
            if !threshold.is_finite() || threshold <= 0.0 || threshold > upper {
                return Err(InvalidAlertRule::new(
                    "config.threshold",
                    format!("must be above 0 and at most {upper}"),
                ));
            }
        }
        if let Some(days) = self.days
            && (days == 0 || days > MAX_DAYS)
        {
            return Err(InvalidAlertRule::new(
                "config.days",
                format!("must be between 1 and {MAX_DAYS}"),
            ));
        }
        Ok(Self {
            threshold: self.threshold.or(defaults.threshold),
            days: self.days.or(defaults.days),
            min_severity: self.min_severity.or(defaults.min_severity),
        })
    }

    fn threshold_or_default(&self, rule_type: AlertRuleType) -> f64 {
        self.threshold
            .or(rule_type.default_config().threshold)
            .unwrap_or(1.0)
    }

    fn days_or_default(&self, rule_type: AlertRuleType) -> i64 {
        i64::from(self.days.or(rule_type.default_config().days).unwrap_or(1))
    }
}

/// A rule of an organization: one of the eight system rules (created for every organization,
/// never deleted, only disabled) or a custom one of the same types.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRule {
    pub id: AlertRuleId,
    pub tenant_id: TenantId,
    pub name: String,
    pub rule_type: AlertRuleType,
    pub system: bool,
    pub config: AlertConfig,
    pub severity: AlertSeverity,
    pub cooldown_hours: u32,
    /// Never empty, no repeats, in `AlertChannel` order.
    pub channels: Vec<AlertChannel>,
    pub enabled: bool,
    /// What the rule saw last time, for the types that compare with it (`orphan_spike`).
    pub baseline: BTreeMap<String, u64>,
    pub last_evaluated_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The default cooldown of a system rule: a day.
pub const DEFAULT_COOLDOWN_HOURS: u32 = 24;

/// Checks a name.
///
/// # Errors
/// `name` when blank or too long.
pub fn checked_name(name: &str) -> Result<String, InvalidAlertRule> {
    let name = name.trim();
    if name.is_empty() {
        return Err(InvalidAlertRule::new("name", "must not be blank"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(InvalidAlertRule::new(
            "name",
            format!("must be at most {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(name.to_owned())
}

/// Checks a cooldown.
///
/// # Errors
/// `cooldown_hours` when zero or over a year.
pub fn checked_cooldown(hours: u32) -> Result<u32, InvalidAlertRule> {
    if hours == 0 || hours > MAX_COOLDOWN_HOURS {
        return Err(InvalidAlertRule::new(
            "cooldown_hours",
            format!("must be between 1 and {MAX_COOLDOWN_HOURS}"),
        ));
    }
    Ok(hours)
}

/// Parses channel names into a set, in a stable order.
///
/// # Errors
/// `channels` when empty or naming an unknown channel.
pub fn parse_channels<S: AsRef<str>>(names: &[S]) -> Result<Vec<AlertChannel>, InvalidAlertRule> {
    let mut channels = Vec::new();
    for name in names {
        let name = name.as_ref();
        let channel = AlertChannel::parse(name).ok_or_else(|| {
            InvalidAlertRule::new(
                "channels",
                format!("`{name}` is not one of in_app, webhook, email"),
            )
        })?;
        if !channels.contains(&channel) {
            channels.push(channel);
        }
    }
    if channels.is_empty() {
        return Err(InvalidAlertRule::new(
            "channels",
            "name at least one channel",
        ));
    }
    channels.sort();
    Ok(channels)
}

impl AlertRule {
    /// The system rule of `rule_type` for an organization.
    #[must_use]
    pub fn system(
        id: AlertRuleId,
        tenant_id: TenantId,
        rule_type: AlertRuleType,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            tenant_id,
            name: rule_type.default_name().to_owned(),
            rule_type,
            system: true,
            config: rule_type.default_config(),
            severity: rule_type.default_severity(),
            cooldown_hours: DEFAULT_COOLDOWN_HOURS,
            channels: vec![AlertChannel::InApp],
            enabled: true,
            baseline: BTreeMap::new(),
            last_evaluated_at: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// The moment before which an alert of the same fingerprint no longer holds this one back.
    #[must_use]
    pub fn cooldown_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::hours(i64::from(self.cooldown_hours))
    }

    /// The fingerprint of this rule's condition about `subject`: stable across evaluations.
    #[must_use]
    pub fn fingerprint(&self, subject: &str) -> String {
        format!("{}:{}:{subject}", self.rule_type, self.id)
    }
}

/// What risk says of one technique.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskFact {
    pub technique_id: TechniqueId,
    pub level: RiskLevel,
    pub score: f64,
    /// Whether a detection of it is proven.
    pub proven: bool,
}

/// A validated test that nothing detected or prevented.
#[derive(Debug, Clone, PartialEq)]
pub struct MissedTest {
    pub test_id: TestId,
    pub title: String,
    pub technique_id: TechniqueId,
    pub validated_at: DateTime<Utc>,
}

/// A technique a tracked actor now uses that it was not known to use when last looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorNews {
    pub actor: String,
    pub technique: String,
}

/// How many detection rules name no technique, and how many techniques no active rule covers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrphanCounts {
    pub rules_without_technique: u64,
    pub techniques_without_rule: u64,
}

/// What the rules of one organization are evaluated over, read once per evaluation. A fact a
/// rule type needs but was not read (`None`) means that type finds nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertFacts {
    pub risks: Vec<RiskFact>,
    /// Each scored technique's newest validated test (techniques never validated have none).
    pub last_validated: Vec<(TechniqueId, DateTime<Utc>)>,
    /// The newest snapshot and the one before it.
    pub latest_snapshot: Option<PostureSnapshot>,
    pub previous_snapshot: Option<PostureSnapshot>,
    /// When each detection proof that has not ended expires.
    pub proof_expiries: Vec<DateTime<Utc>>,
    pub actor_news: Vec<ActorNews>,
    pub orphans: Option<OrphanCounts>,
    pub missed_tests: Vec<MissedTest>,
}

/// One condition that holds: its subject (part of the fingerprint), a title and details.
#[derive(Debug, Clone, PartialEq)]
pub struct Firing {
    pub subject: String,
    pub title: String,
    pub details: serde_json::Value,
}

/// What evaluating one rule found: the conditions that hold and what the rule saw, to
/// compare with next time.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleEvaluation {
    pub firings: Vec<Firing>,
    pub baseline: BTreeMap<String, u64>,
}

fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

fn percent(covered: u32, total: u32) -> f64 {
    if total == 0 {
        0.0
    } else {
        f64::from(covered) * 100.0 / f64::from(total)
    }
}

/// Evaluates one rule over the organization's facts at `now`.
#[must_use]
pub fn evaluate(rule: &AlertRule, facts: &AlertFacts, now: DateTime<Utc>) -> RuleEvaluation {
    let kind = rule.rule_type;
    let config = &rule.config;
    let mut firings = Vec::new();
    let mut baseline = rule.baseline.clone();
    match kind {
        AlertRuleType::HighRiskUncovered => {
            let floor = config.min_severity.unwrap_or(RiskLevel::High);
            for risk in &facts.risks {
                if !risk.proven && risk.level >= floor {
                    firings.push(Firing {
                        subject: risk.technique_id.as_str().to_owned(),
                        title: format!(
                            "{} is of {} risk ({:.1}) with no proven detection",
                            risk.technique_id.as_str(),
                            risk.level.as_str(),
                            risk.score
                        ),
                        details: serde_json::json!({
                            "technique_id": risk.technique_id.as_str(),
                            "risk_level": risk.level.as_str(),
                            "risk_score": risk.score,
                        }),
                    });
                }
            }
        }
        AlertRuleType::StaleTechnique => {
            let days = config.days_or_default(kind);
            let cutoff = now - Duration::days(days);
            for (technique, at) in &facts.last_validated {
                if *at < cutoff {
                    firings.push(Firing {
                        subject: technique.as_str().to_owned(),
                        title: format!(
                            "{} was last validated {} days ago",
                            technique.as_str(),
                            (now - *at).num_days()
                        ),
                        details: serde_json::json!({
                            "technique_id": technique.as_str(),
                            "last_validated_at": at.to_rfc3339(),
                            "days": days,
                        }),
                    });
                }
            }
        }
        AlertRuleType::CoverageRegression => {
            let points = config.threshold_or_default(kind);
            if let (Some(latest), Some(previous)) =
                (&facts.latest_snapshot, &facts.previous_snapshot)
            {
                if let (Some(now_score), Some(then_score)) =
                    (latest.organization_score, previous.organization_score)
                    && then_score - now_score >= points
                {
                    firings.push(regression(
                        "organization",
                        "The organization",
                        then_score,
                        now_score,
                        latest.taken_at,
                    ));
                }
                for tactic in &latest.by_tactic {
                    let before = previous
                        .by_tactic
                        .iter()
                        .find(|t| t.tactic == tactic.tactic)
                        .and_then(|t| t.score);
                    if let (Some(now_score), Some(then_score)) = (tactic.score, before)
                        && then_score - now_score >= points
                    {
                        firings.push(regression(
                            &format!("tactic:{}", tactic.tactic),
                            &tactic.name,
                            then_score,
                            now_score,
                            latest.taken_at,
                        ));
                    }
                }
            }
        }
        AlertRuleType::LowCoverage => {
            let floor = config.threshold_or_default(kind);
            if let Some(latest) = &facts.latest_snapshot {
                for tactic in &latest.by_tactic {
                    let covered = percent(tactic.covered, tactic.techniques);
                    if tactic.techniques > 0 && covered < floor {
                        firings.push(Firing {
                            subject: format!("tactic:{}", tactic.tactic),
                            title: format!(
                                "{} is {:.1} % covered, under {floor} %",
                                tactic.name, covered
                            ),
                            details: serde_json::json!({
                                "tactic": tactic.tactic,
                                "covered_percent": round1(covered),
                                "covered": tactic.covered,
                                "techniques": tactic.techniques,
                                "threshold": floor,
                            }),
                        });
                    }
                }
            }
        }
        AlertRuleType::ExpiryWave => {
            let days = config.days_or_default(kind);
            let count = config.threshold_or_default(kind);
            let horizon = now + Duration::days(days);
            let expiring = facts
                .proof_expiries
                .iter()
                .filter(|at| **at > now && **at <= horizon)
                .count();
            if expiring as f64 >= count {
                firings.push(Firing {
                    subject: format!("within:{days}d"),
                    title: format!("{expiring} detection proofs expire within {days} days"),
                    details: serde_json::json!({ "expiring": expiring, "days": days }),
                });
            }
        }
        AlertRuleType::NewTechnique => {
            for news in &facts.actor_news {
                firings.push(Firing {
                    subject: format!("{}:{}", news.technique, news.actor),
                    title: format!("{} is now known to use {}", news.actor, news.technique),
                    details: serde_json::json!({
                        "actor": news.actor,
                        "technique_id": news.technique,
                    }),
                });
            }
        }
        AlertRuleType::OrphanSpike => {
            if let Some(orphans) = facts.orphans {
                let growth = config.threshold_or_default(kind);
                for (key, value, what) in [
                    (
                        "rules_without_technique",
                        orphans.rules_without_technique,
                        "detection rules name no technique",
                    ),
                    (
                        "techniques_without_rule",
                        orphans.techniques_without_rule,
                        "techniques have no active detection rule",
                    ),
                ] {
                    // The first evaluation only sets the baseline: growth needs a before.
                    if let Some(before) = rule.baseline.get(key).copied()
                        && value > before
                        && (value - before) as f64 >= growth
                    {
                        firings.push(Firing {
                            subject: key.to_owned(),
                            title: format!("{value} {what} ({} more)", value - before),
                            details: serde_json::json!({
                                "count": value,
                                "previous": before,
                                "growth": value - before,
                            }),
                        });
                    }
                    baseline.insert(key.to_owned(), value);
                }
            }
        }
        AlertRuleType::DetectionGap => {
            let days = config.days_or_default(kind);
            let since = now - Duration::days(days);
            for test in &facts.missed_tests {
                if test.validated_at >= since {
                    firings.push(Firing {
                        subject: test.test_id.as_uuid().to_string(),
                        title: format!(
                            "Validated test missed {}: {}",
                            test.technique_id.as_str(),
                            test.title
                        ),
                        details: serde_json::json!({
                            "test_id": test.test_id.as_uuid().to_string(),
                            "technique_id": test.technique_id.as_str(),
                            "validated_at": test.validated_at.to_rfc3339(),
                        }),
                    });
                }
            }
        }
    }
    RuleEvaluation { firings, baseline }
}

fn regression(
    subject: &str,
    what: &str,
    before: f64,
    after: f64,
    taken_at: DateTime<Utc>,
) -> Firing {
    Firing {
        subject: subject.to_owned(),
        title: format!(
            "{what} score fell {:.1} points ({:.1} -> {:.1})",
            before - after,
            before,
            after
        ),
        details: serde_json::json!({
            "scope": subject,
            "previous_score": round1(before),
            "score": round1(after),
            "drop": round1(before - after),
            "snapshot_taken_at": taken_at.to_rfc3339(),
        }),
    }
}

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertStatus {
    Open,
    Acknowledged,
    Resolved,
    Dismissed,
}

impl AlertStatus {
    pub const ALL: [Self; 4] = [
        Self::Open,
        Self::Acknowledged,
        Self::Resolved,
        Self::Dismissed,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Acknowledged => "acknowledged",
            Self::Resolved => "resolved",
            Self::Dismissed => "dismissed",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether nothing more happens to the alert.
    #[must_use]
    pub const fn is_closed(self) -> bool {
        matches!(self, Self::Resolved | Self::Dismissed)
    }
}

/// What a person does to an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertAction {
    Acknowledge,
    Resolve,
    Dismiss,
}

impl AlertAction {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Acknowledge => "acknowledge",
            Self::Resolve => "resolve",
            Self::Dismiss => "dismiss",
        }
    }
}

/// A step the alert's status does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an alert that is {from} cannot be {action}d", from = .from.as_str(), action = .action.as_str())]
pub struct IllegalAlertStep {
    pub from: AlertStatus,
    pub action: AlertAction,
}

/// Who did what to an alert, when, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertStep {
    pub by: UserId,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
}

/// The longest note on an alert step.
pub const MAX_NOTE_CHARS: usize = 2000;

/// What an alert says, fixed when it fires.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertFields {
    pub id: AlertId,
    pub tenant_id: TenantId,
    pub rule_id: AlertRuleId,
    pub rule_type: AlertRuleType,
    pub severity: AlertSeverity,
    pub fingerprint: String,
    pub title: String,
    pub details: serde_json::Value,
    pub fired_at: DateTime<Utc>,
}

/// An alert: a rule's condition that held, fired once per cooldown. Its status and steps are
/// private: they move only through [`Alert::apply`].
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub id: AlertId,
    pub tenant_id: TenantId,
    pub rule_id: AlertRuleId,
    pub rule_type: AlertRuleType,
    pub severity: AlertSeverity,
    pub fingerprint: String,
    pub title: String,
    pub details: serde_json::Value,
    pub fired_at: DateTime<Utc>,
    status: AlertStatus,
    acknowledged: Option<AlertStep>,
    /// How it was resolved or dismissed.
    closed: Option<AlertStep>,
}

impl Alert {
    /// A new, open alert for a rule's firing.
    #[must_use]
    pub fn fire(id: AlertId, rule: &AlertRule, firing: Firing, now: DateTime<Utc>) -> Self {
        Self::open(AlertFields {
            id,
            tenant_id: rule.tenant_id,
            rule_id: rule.id,
            rule_type: rule.rule_type,
            severity: rule.severity,
            fingerprint: rule.fingerprint(&firing.subject),
            title: firing.title,
            details: firing.details,
            fired_at: now,
        })
    }

    /// An open alert with these fields.
    #[must_use]
    pub fn open(fields: AlertFields) -> Self {
        Self {
            id: fields.id,
            tenant_id: fields.tenant_id,
            rule_id: fields.rule_id,
            rule_type: fields.rule_type,
            severity: fields.severity,
            fingerprint: fields.fingerprint,
            title: fields.title,
            details: fields.details,
            fired_at: fields.fired_at,
            status: AlertStatus::Open,
            acknowledged: None,
            closed: None,
        }
    }

    /// An alert as storage kept it.
    #[must_use]
    pub fn restored(
        fields: AlertFields,
        status: AlertStatus,
        acknowledged: Option<AlertStep>,
        closed: Option<AlertStep>,
    ) -> Self {
        let mut alert = Self::open(fields);
        alert.status = status;
        alert.acknowledged = acknowledged;
        alert.closed = closed;
        alert
    }

    #[must_use]
    pub const fn status(&self) -> AlertStatus {
        self.status
    }

    #[must_use]
    pub const fn acknowledged(&self) -> Option<&AlertStep> {
        self.acknowledged.as_ref()
    }

    #[must_use]
    pub const fn closed(&self) -> Option<&AlertStep> {
        self.closed.as_ref()
    }

    /// Moves the alert: open -> acknowledged; open or acknowledged -> resolved or dismissed.
    ///
    /// # Errors
    /// `IllegalAlertStep` for any other step.
    pub fn apply(&mut self, action: AlertAction, step: AlertStep) -> Result<(), IllegalAlertStep> {
        let from = self.status;
        let refused = IllegalAlertStep { from, action };
        match (from, action) {
            (AlertStatus::Open, AlertAction::Acknowledge) => {
                self.status = AlertStatus::Acknowledged;
                self.acknowledged = Some(step);
            }
            (AlertStatus::Open | AlertStatus::Acknowledged, AlertAction::Resolve) => {
                self.status = AlertStatus::Resolved;
                self.closed = Some(step);
            }
            (AlertStatus::Open | AlertStatus::Acknowledged, AlertAction::Dismiss) => {
                self.status = AlertStatus::Dismissed;
                self.closed = Some(step);
            }
            _ => return Err(refused),
        }
        Ok(())
    }
}

/// Filters of the alert list; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertFilter {
    pub status: Option<AlertStatus>,
    pub severity: Option<AlertSeverity>,
    pub rule_type: Option<AlertRuleType>,
}

/// The organization's alerts at a glance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertSummary {
    pub total: u64,
    /// Alerts per status, every status present.
    pub by_status: BTreeMap<String, u64>,
    /// Open and acknowledged alerts per severity, every severity present.
    pub active_by_severity: BTreeMap<String, u64>,
    /// Open and acknowledged alerts per rule type, every type present.
    pub active_by_type: BTreeMap<String, u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn rule(kind: AlertRuleType) -> AlertRule {
        AlertRule::system(
            AlertRuleId::from_uuid(uuid::Uuid::from_u128(1)),
            TenantId::from_uuid(uuid::Uuid::from_u128(2)),
            kind,
            now(),
        )
    }

    fn technique(id: &str) -> TechniqueId {
        TechniqueId::parse(id).unwrap_or_else(|_| panic!("{id} parses"))
    }

    #[test]
    fn names_round_trip() {
        for kind in AlertRuleType::ALL {
            assert_eq!(AlertRuleType::parse(kind.as_str()), Some(kind));
        }
        for severity in AlertSeverity::ALL {
            assert_eq!(AlertSeverity::parse(severity.as_str()), Some(severity));
        }
        for status in AlertStatus::ALL {
            assert_eq!(AlertStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(AlertRuleType::parse("coverage_drop"), None);
    }

    #[test]
    fn every_default_config_passes_its_own_check() {
        for kind in AlertRuleType::ALL {
            assert_eq!(
                kind.default_config().checked(kind),
                Ok(kind.default_config())
            );
        }
    }

    #[test]
    fn a_field_the_type_does_not_read_is_refused_by_name() {
        let config = AlertConfig {
            threshold: Some(3.0),
            ..AlertConfig::default()
        };
        let refused = config.checked(AlertRuleType::DetectionGap);
        assert_eq!(refused.map_err(|e| e.field), Err("config.threshold"));
        let out_of_range = AlertConfig {
            threshold: Some(120.0),
            ..AlertConfig::default()
        };
        assert_eq!(
            out_of_range
                .checked(AlertRuleType::LowCoverage)
                .map_err(|e| e.field),
            Err("config.threshold")
        );
        assert_eq!(
            AlertConfig {
                days: Some(0),
                ..AlertConfig::default()
            }
            .checked(AlertRuleType::StaleTechnique)
            .map_err(|e| e.field),
            Err("config.days")
        );
    }

    #[test]
    fn channels_parse_to_a_sorted_set_and_unknown_names_are_refused() {
        assert_eq!(
            parse_channels(&["email", "in_app", "email"]),
            Ok(vec![AlertChannel::InApp, AlertChannel::Email])
        );
        assert_eq!(
            parse_channels(&["sms"]).map_err(|e| e.field),
            Err("channels")
        );
        assert_eq!(
            parse_channels::<&str>(&[]).map_err(|e| e.field),
            Err("channels")
        );
    }

    #[test]
    fn a_missed_test_fires_detection_gap_with_a_stable_fingerprint() {
        let rule = rule(AlertRuleType::DetectionGap);
        let test_id = TestId::from_uuid(uuid::Uuid::from_u128(9));
        let facts = AlertFacts {
            missed_tests: vec![
                MissedTest {
                    test_id,
                    title: "Run PowerShell".to_owned(),
                    technique_id: technique("T1059.001"),
                    validated_at: now() - Duration::days(1),
                },
                MissedTest {
                    test_id: TestId::from_uuid(uuid::Uuid::from_u128(10)),
                    title: "Old".to_owned(),
                    technique_id: technique("T1003"),
                    validated_at: now() - Duration::days(90),
                },
            ],
            ..AlertFacts::default()
        };
        let first = evaluate(&rule, &facts, now());
        let again = evaluate(&rule, &facts, now() + Duration::hours(1));
        assert_eq!(
            first.firings.len(),
            1,
            "the 90-day-old miss is outside the look-back"
        );
        assert_eq!(
            rule.fingerprint(&first.firings[0].subject),
            rule.fingerprint(&again.firings[0].subject)
        );
        assert!(first.firings[0].title.contains("T1059.001"));
    }

    #[test]
    fn high_risk_uncovered_reads_the_level_and_the_proof() {
        let rule = rule(AlertRuleType::HighRiskUncovered);
        let fact = |id: &str, level, proven| RiskFact {
            technique_id: technique(id),
            level,
            score: 60.0,
            proven,
        };
        let facts = AlertFacts {
            risks: vec![
                fact("T1001", RiskLevel::Critical, false),
                fact("T1002", RiskLevel::High, true),
                fact("T1003", RiskLevel::Medium, false),
            ],
            ..AlertFacts::default()
        };
        let fired = evaluate(&rule, &facts, now()).firings;
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].subject, "T1001");
    }

    #[test]
    fn orphan_spike_sets_a_baseline_first_and_fires_on_growth() {
        let mut rule = rule(AlertRuleType::OrphanSpike);
        let facts = |rules| AlertFacts {
            orphans: Some(OrphanCounts {
                rules_without_technique: rules,
                techniques_without_rule: 4,
            }),
            ..AlertFacts::default()
        };
        let first = evaluate(&rule, &facts(3), now());
        assert!(first.firings.is_empty());
        rule.baseline = first.baseline;
        assert!(evaluate(&rule, &facts(12), now()).firings.is_empty());
        let grown = evaluate(&rule, &facts(13), now());
        assert_eq!(grown.firings.len(), 1);
        assert_eq!(grown.firings[0].subject, "rules_without_technique");
        assert_eq!(grown.baseline.get("rules_without_technique"), Some(&13));
    }

    #[test]
    fn stale_technique_fires_past_its_days_only() {
        let rule = rule(AlertRuleType::StaleTechnique);
        let facts = AlertFacts {
            last_validated: vec![
                (technique("T1001"), now() - Duration::days(181)),
                (technique("T1002"), now() - Duration::days(179)),
            ],
            ..AlertFacts::default()
        };
        let fired = evaluate(&rule, &facts, now()).firings;
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].subject, "T1001");
    }

    fn snapshot(score: f64, covered: u32) -> PostureSnapshot {
        PostureSnapshot {
            id: uuid::Uuid::from_u128(u128::from(covered) + 100),
            tenant_id: TenantId::from_uuid(uuid::Uuid::from_u128(2)),
            taken_at: now(),
            taken_by: None,
            organization_score: Some(score),
            threat_weighted_score: None,
            total_techniques: 10,
            covered_techniques: covered,
            validated_tests: covered,
            status_counts: BTreeMap::new(),
            by_tactic: vec![crate::snapshot::TacticPosture {
                tactic: "execution".to_owned(),
                name: "Execution".to_owned(),
                score: Some(score),
                techniques: 10,
                covered,
            }],
        }
    }

    #[test]
    fn coverage_regression_compares_the_last_two_snapshots() {
        let rule = rule(AlertRuleType::CoverageRegression);
        let mut facts = AlertFacts {
            latest_snapshot: Some(snapshot(40.0, 4)),
            previous_snapshot: Some(snapshot(46.0, 5)),
            ..AlertFacts::default()
        };
        let fired = evaluate(&rule, &facts, now()).firings;
        let subjects: Vec<&str> = fired.iter().map(|f| f.subject.as_str()).collect();
        assert_eq!(subjects, ["organization", "tactic:execution"]);
        facts.previous_snapshot = Some(snapshot(44.0, 5));
        assert!(
            evaluate(&rule, &facts, now()).firings.is_empty(),
            "4 points < 5"
        );
        facts.previous_snapshot = None;
        assert!(evaluate(&rule, &facts, now()).firings.is_empty());
    }

    #[test]
    fn low_coverage_reads_the_newest_snapshot() {
        let rule = rule(AlertRuleType::LowCoverage);
        let low = AlertFacts {
            latest_snapshot: Some(snapshot(10.0, 1)),
            ..AlertFacts::default()
        };
        assert_eq!(evaluate(&rule, &low, now()).firings.len(), 1);
        let fine = AlertFacts {
            latest_snapshot: Some(snapshot(10.0, 2)),
            ..AlertFacts::default()
        };
        assert!(
            evaluate(&rule, &fine, now()).firings.is_empty(),
            "20 % is not under 20 %"
        );
    }

    #[test]
    fn new_technique_fires_per_actor_and_technique() {
        let rule = rule(AlertRuleType::NewTechnique);
        let facts = AlertFacts {
            actor_news: vec![ActorNews {
                actor: "APT29".to_owned(),
                technique: "T1204".to_owned(),
            }],
            ..AlertFacts::default()
        };
        let fired = evaluate(&rule, &facts, now()).firings;
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].subject, "T1204:APT29");
    }

    #[test]
    fn expiry_wave_counts_proofs_inside_the_window_only() {
        let rule = rule(AlertRuleType::ExpiryWave);
        let mut expiries = vec![now() + Duration::days(3); 5];
        expiries.push(now() - Duration::days(1));
        let facts = AlertFacts {
            proof_expiries: expiries.clone(),
            ..AlertFacts::default()
        };
        assert_eq!(evaluate(&rule, &facts, now()).firings.len(), 1);
        expiries.truncate(4);
        let fewer = AlertFacts {
            proof_expiries: expiries,
            ..AlertFacts::default()
        };
        assert!(evaluate(&rule, &fewer, now()).firings.is_empty());
    }

    #[test]
    fn the_lifecycle_allows_only_its_steps() {
        let rule = rule(AlertRuleType::DetectionGap);
        let firing = Firing {
            subject: "x".to_owned(),
            title: "t".to_owned(),
            details: serde_json::json!({}),
        };
        let step = AlertStep {
            by: UserId::from_uuid(uuid::Uuid::from_u128(3)),
            at: now(),
            note: Some("on it".to_owned()),
        };
        let mut alert = Alert::fire(
            AlertId::from_uuid(uuid::Uuid::from_u128(4)),
            &rule,
            firing,
            now(),
        );
        assert_eq!(alert.status(), AlertStatus::Open);
        assert!(alert.apply(AlertAction::Acknowledge, step.clone()).is_ok());
        assert_eq!(
            alert.apply(AlertAction::Acknowledge, step.clone()),
            Err(IllegalAlertStep {
                from: AlertStatus::Acknowledged,
                action: AlertAction::Acknowledge
            })
        );
        assert!(alert.apply(AlertAction::Resolve, step.clone()).is_ok());
        assert_eq!(alert.status(), AlertStatus::Resolved);
        assert!(alert.apply(AlertAction::Dismiss, step).is_err());
        assert_eq!(
            alert.acknowledged().and_then(|s| s.note.as_deref()),
            Some("on it")
        );
    }
}
