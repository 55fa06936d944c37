//! Evaluating an organization's rules: the facts each enabled rule type needs are read once
//! (global ones before the unit of work, since on SQLite it holds the one writer), every rule
//! is evaluated (`domain::alert::evaluate`), and the conditions outside their cooldown fire,
//! with their in-app notifications and the rules' new baselines, in one unit of work.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};

use aegis_domain::Role;
use aegis_domain::alert::{
    ActorNews, Alert, AlertChannel, AlertFacts, AlertId, AlertRule, AlertRuleType, RiskFact,
    evaluate,
};
use aegis_domain::notification::{Notification, NotificationId};
use aegis_domain::page::PageRequest;
use aegis_domain::permission::Action;
use aegis_domain::ports::{RepositoryError, UserFilter};
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;

use super::{AlertError, AlertService};
use crate::audit_trail::{self, Change};
use crate::context::{Actor, RequestContext};
use crate::ports::UnitOfWork;

/// What one evaluation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EvaluationReport {
    pub rules_evaluated: u64,
    pub alerts_fired: u64,
}

/// Above this many alerts in one evaluation, each lead and admin gets one summary
/// notification instead of one per alert.
const NOTIFIED_ONE_BY_ONE: usize = 10;

impl AlertService {
    /// Evaluates the organization's rules now, on a lead's request.
    ///
    /// # Errors
    /// `Forbidden` unless a lead or admin.
    pub async fn evaluate(
        &self,
        actor: &Actor,
        context: &RequestContext,
    ) -> Result<EvaluationReport, AlertError> {
        actor.authorize(Action::ManageAlerts)?;
        self.evaluate_tenant(actor.tenant_id, Some((actor, context)))
            .await
    }

    /// Evaluates every organization's rules: the `alert_evaluation` job.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    pub async fn evaluate_all(&self) -> Result<EvaluationReport, AlertError> {
        let mut total = EvaluationReport::default();
        for tenant in self.database.list_tenants().await? {
            let report = self.evaluate_tenant(tenant.id, None).await?;
            total.rules_evaluated += report.rules_evaluated;
            total.alerts_fired += report.alerts_fired;
        }
        Ok(total)
    }

    async fn evaluate_tenant(
        &self,
        tenant: TenantId,
        requested: Option<(&Actor, &RequestContext)>,
    ) -> Result<EvaluationReport, AlertError> {
        let rules: Vec<AlertRule> = self
            .ensure_system_rules(tenant)
            .await?
            .into_iter()
            .filter(|r| r.enabled)
            .collect();
        let kinds: BTreeSet<AlertRuleType> = rules.iter().map(|r| r.rule_type).collect();
        let now = self.clock.now();
        let mut facts = AlertFacts::default();
        // Global reads first: on SQLite the unit of work holds the one connection.
        if kinds.contains(&AlertRuleType::NewTechnique) {
            facts.actor_news = self.actor_news(tenant).await?;
        }
        if kinds.contains(&AlertRuleType::OrphanSpike) {
            facts.orphans = Some(self.database.orphan_counts().await?);
        }
        let uow = self.database.begin().await?;
        // Two evaluations of one organization at once (the job and a lead's request) would
        // both see a fingerprint unfired and fire it twice: locking the rules' rows first
        // orders them (PostgreSQL; SQLite's single writer already does). Rules, not the
        // audit head: other changes take the read-model row before the audit head, and this
        // order keeps to theirs.
        uow.mark_alert_rules_evaluated(tenant, now).await?;
        read_facts(uow.as_ref(), tenant, &rules, &kinds, now, &mut facts).await?;
        let longest = rules
            .iter()
            .map(|r| r.cooldown_start(now))
            .min()
            .unwrap_or(now);
        let mut last_fired = uow.fired_since(tenant, longest).await?;
        let mut fired: Vec<(Alert, bool)> = Vec::new();
        for rule in &rules {
            let evaluation = evaluate(rule, &facts, now);
            for firing in evaluation.firings {
                let fingerprint = rule.fingerprint(&firing.subject);
                if last_fired
                    .get(&fingerprint)
                    .is_some_and(|at| *at >= rule.cooldown_start(now))
                {
                    continue;
                }
                let alert = Alert::fire(AlertId::from_uuid(self.ids.new_id()), rule, firing, now);
                last_fired.insert(fingerprint, now);
                fired.push((alert, rule.channels.contains(&AlertChannel::InApp)));
            }
            let mut seen = rule.clone();
            seen.baseline = evaluation.baseline;
            seen.last_evaluated_at = Some(now);
            uow.update_alert_rule(tenant, &seen).await?;
        }
        let alerts: Vec<Alert> = fired.iter().map(|(a, _)| a.clone()).collect();
        uow.insert_alerts(tenant, &alerts).await?;
        let in_app: Vec<&Alert> = fired
            .iter()
            .filter(|(_, in_app)| *in_app)
            .map(|(a, _)| a)
            .collect();
        self.notify(uow.as_ref(), tenant, &in_app, now).await?;
        let mut published = 0;
        if let Some(outbox) = &self.outbox {
            for alert in &alerts {
                let wants_webhook = rules
                    .iter()
                    .any(|r| r.id == alert.rule_id && r.channels.contains(&AlertChannel::Webhook));
                if wants_webhook {
                    published += outbox.record(uow.as_ref(), alert).await?;
                }
            }
        }
        let report = EvaluationReport {
            rules_evaluated: rules.len() as u64,
            alerts_fired: alerts.len() as u64,
        };
        if requested.is_some() || !alerts.is_empty() {
            let default_context = RequestContext::default();
            let (actor, context) = match requested {
                Some((actor, context)) => (Some(actor.user_id), context),
                None => (None, &default_context),
            };
            let change = Change {
                tenant,
                actor,
                action: "alert.evaluated",
                entity_type: "alert_rule",
                entity_id: None,
                details: serde_json::json!({
                    "rules_evaluated": report.rules_evaluated,
                    "alerts_fired": report.alerts_fired,
                    "alerts": alerts.iter().map(|a| a.id.as_uuid().to_string()).collect::<Vec<_>>(),
                }),
            };
            audit_trail::record(
                self.clock.as_ref(),
                self.ids.as_ref(),
                uow.as_ref(),
                context,
                change,
            )
            .await?;
        }
        uow.commit().await?;
        if published > 0
            && let Some(outbox) = &self.outbox
        {
            outbox.dispatch().await;
        }
        Ok(report)
    }

    /// Each tracked actor's techniques that the catalog now says it uses and that it was not
    /// known to use (an import added them; the intel scan records them as known).
    async fn actor_news(&self, tenant: TenantId) -> Result<Vec<ActorNews>, RepositoryError> {
        let mut news = Vec::new();
        for tracked in self.tracking.tracked_actors(tenant).await? {
            let Some(detail) = self
                .catalog
                .find_threat_actor(&tracked.actor_stix_id)
                .await?
            else {
                continue;
            };
            for technique in tracked.new_techniques(&detail.technique_ids()) {
                news.push(ActorNews {
                    actor: tracked.name.clone(),
                    technique,
                });
            }
        }
        Ok(news)
    }

    /// Tells the organization's leads and admins, in the evaluation's unit of work.
    async fn notify(
        &self,
        uow: &dyn UnitOfWork,
        tenant: TenantId,
        alerts: &[&Alert],
        now: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        if alerts.is_empty() {
            return Ok(());
        }
        let mut people: BTreeSet<UserId> = BTreeSet::new();
        for role in [Role::Admin, Role::RedLead, Role::BlueLead] {
            let users = uow
                .list_users(
                    tenant,
                    &UserFilter {
                        role: Some(role),
                        is_active: Some(true),
                        ..UserFilter::default()
                    },
                    PageRequest::new(1, PageRequest::MAX_PER_PAGE),
                )
                .await?;
            people.extend(users.items.into_iter().map(|u| u.id));
        }
        let mut notifications = Vec::new();
        for &user_id in &people {
            if alerts.len() > NOTIFIED_ONE_BY_ONE {
                notifications.push(Notification {
                    id: NotificationId::from_uuid(self.ids.new_id()),
                    tenant_id: tenant,
                    user_id,
                    kind: "alert.fired".to_owned(),
                    title: format!("{} alerts fired", alerts.len()),
                    body: alerts
                        .iter()
                        .take(NOTIFIED_ONE_BY_ONE)
                        .map(|a| a.title.as_str())
                        .collect::<Vec<_>>()
                        .join("; "),
                    entity_type: Some("alert".to_owned()),
                    entity_id: None,
                    created_at: now,
                    read_at: None,
                });
                continue;
            }
            for alert in alerts {
                notifications.push(Notification {
                    id: NotificationId::from_uuid(self.ids.new_id()),
                    tenant_id: tenant,
                    user_id,
                    kind: "alert.fired".to_owned(),
                    title: format!("{} alert: {}", alert.severity.as_str(), alert.title),
                    body: format!("Rule type {}.", alert.rule_type.as_str()),
                    entity_type: Some("alert".to_owned()),
                    entity_id: Some(alert.id.as_uuid().to_string()),
                    created_at: now,
                    read_at: None,
                });
            }
        }
        crate::notifications::deliver(uow, tenant, &notifications).await
    }
}

/// Reads, inside the unit of work, the organization's facts the enabled rule types need.
async fn read_facts(
    uow: &dyn UnitOfWork,
    tenant: TenantId,
    rules: &[AlertRule],
    kinds: &BTreeSet<AlertRuleType>,
    now: DateTime<Utc>,
    facts: &mut AlertFacts,
) -> Result<(), RepositoryError> {
    if kinds.contains(&AlertRuleType::HighRiskUncovered) {
        facts.risks = uow
            .risks(tenant)
            .await?
            .into_iter()
            .map(|risk| RiskFact {
                proven: risk.inputs.proof().is_proven(),
                technique_id: risk.technique_id,
                level: risk.level,
                score: risk.score,
            })
            .collect();
    }
    if kinds.contains(&AlertRuleType::StaleTechnique) {
        facts.last_validated = uow
            .technique_scores(tenant)
            .await?
            .into_iter()
            .filter_map(|s| s.score.last_validated_at.map(|at| (s.technique_id, at)))
            .collect();
    }
    if kinds.contains(&AlertRuleType::CoverageRegression)
        || kinds.contains(&AlertRuleType::LowCoverage)
    {
        let mut newest = uow
            .list_snapshots(tenant, None, None, PageRequest::new(1, 2))
            .await?
            .items
            .into_iter();
        facts.latest_snapshot = newest.next();
        facts.previous_snapshot = newest.next();
    }
    if kinds.contains(&AlertRuleType::ExpiryWave) {
        facts.proof_expiries = uow
            .unended_validations(tenant, None, None)
            .await?
            .into_iter()
            .map(|v| v.expires_at)
            .collect();
    }
    if kinds.contains(&AlertRuleType::DetectionGap) {
        // The longest look-back of the detection-gap rules.
        let days = rules
            .iter()
            .filter(|r| r.rule_type == AlertRuleType::DetectionGap)
            .filter_map(|r| r.config.days)
            .max()
            .unwrap_or(30);
        facts.missed_tests = uow
            .missed_tests(tenant, now - Duration::days(i64::from(days)))
            .await?;
    }
    Ok(())
}
