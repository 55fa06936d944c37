//! Alert rules and alerts of each organization, and the facts only alerts read: validated
//! tests that missed, and detection rules and techniques without each other.

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod alert_rule {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "alert_rules")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub name: String,
            pub rule_type: String,
            pub system_key: Option<String>,
            pub threshold: Option<f64>,
            pub days: Option<i32>,
            pub min_severity: Option<String>,
            pub severity: String,
            pub cooldown_hours: i32,
            pub channels: String,
            pub enabled: bool,
            pub baseline: Json,
            pub last_evaluated_at: Option<DateTimeUtc>,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod alert {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "alerts")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub rule_id: Uuid,
            pub rule_type: String,
            pub severity: String,
            pub fingerprint: String,
            pub title: String,
            pub details: Json,
            pub status: String,
            pub fired_at: DateTimeUtc,
            pub acknowledged_by: Option<Uuid>,
            pub acknowledged_at: Option<DateTimeUtc>,
            pub acknowledge_note: Option<String>,
            pub closed_by: Option<Uuid>,
            pub closed_at: Option<DateTimeUtc>,
            pub close_note: Option<String>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};

use aegis_domain::alert::{
    Alert, AlertConfig, AlertFields, AlertFilter, AlertId, AlertRule, AlertRuleId, AlertRuleType,
    AlertSeverity, AlertStatus, AlertStep, AlertSummary, MissedTest, OrphanCounts, parse_channels,
};
use aegis_domain::catalog::TechniqueId;
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::{AlertRepository, Entity, RepositoryError};
use aegis_domain::risk::RiskLevel;
use aegis_domain::tenant::TenantId;
use aegis_domain::test_case::{Outcome, TestId};
use aegis_domain::user::UserId;

use super::error::{corrupt, ensure_tenant, unexpected};
use super::read_models::Scope;
use super::test_entities::test;
use super::{Connection, SeaStore};
use entities::{alert, alert_rule};

fn channels_text(rule: &AlertRule) -> String {
    rule.channels
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn rule_row(rule: &AlertRule) -> alert_rule::ActiveModel {
    alert_rule::ActiveModel {
        id: Set(rule.id.as_uuid()),
        tenant_id: Set(rule.tenant_id.as_uuid()),
        name: Set(rule.name.clone()),
        rule_type: Set(rule.rule_type.as_str().to_owned()),
        system_key: Set(rule.system.then(|| rule.rule_type.as_str().to_owned())),
        threshold: Set(rule.config.threshold),
        days: Set(rule
            .config
            .days
            .map(|d| i32::try_from(d).unwrap_or(i32::MAX))),
        min_severity: Set(rule.config.min_severity.map(|l| l.as_str().to_owned())),
        severity: Set(rule.severity.as_str().to_owned()),
        cooldown_hours: Set(i32::try_from(rule.cooldown_hours).unwrap_or(i32::MAX)),
        channels: Set(channels_text(rule)),
        enabled: Set(rule.enabled),
        baseline: Set(serde_json::json!(rule.baseline)),
        last_evaluated_at: Set(rule.last_evaluated_at),
        created_at: Set(rule.created_at),
        updated_at: Set(rule.updated_at),
    }
}

fn rule_of(row: alert_rule::Model) -> Result<AlertRule, RepositoryError> {
    let rule_type = AlertRuleType::parse(&row.rule_type)
        .ok_or_else(|| corrupt("alert rule type", &row.rule_type))?;
    let channels: Vec<&str> = row.channels.split_whitespace().collect();
    Ok(AlertRule {
        id: AlertRuleId::from_uuid(row.id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        name: row.name,
        rule_type,
        system: row.system_key.is_some(),
        config: AlertConfig {
            threshold: row.threshold,
            days: row
                .days
                .map(|d| u32::try_from(d).map_err(|e| corrupt("alert rule days", e)))
                .transpose()?,
            min_severity: row
                .min_severity
                .as_deref()
                .map(|l| RiskLevel::parse(l).ok_or_else(|| corrupt("alert rule min_severity", l)))
                .transpose()?,
        },
        severity: AlertSeverity::parse(&row.severity)
            .ok_or_else(|| corrupt("alert rule severity", &row.severity))?,
        cooldown_hours: u32::try_from(row.cooldown_hours)
            .map_err(|e| corrupt("alert rule cooldown", e))?,
        channels: parse_channels(&channels).map_err(|e| corrupt("alert rule channels", e))?,
        enabled: row.enabled,
        baseline: serde_json::from_value::<BTreeMap<String, u64>>(row.baseline)
            .map_err(|e| corrupt("alert rule baseline", e))?,
        last_evaluated_at: row.last_evaluated_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn alert_row(alert: &Alert) -> alert::ActiveModel {
    let acknowledged = alert.acknowledged();
    let closed = alert.closed();
    alert::ActiveModel {
        id: Set(alert.id.as_uuid()),
        tenant_id: Set(alert.tenant_id.as_uuid()),
        rule_id: Set(alert.rule_id.as_uuid()),
        rule_type: Set(alert.rule_type.as_str().to_owned()),
        severity: Set(alert.severity.as_str().to_owned()),
        fingerprint: Set(alert.fingerprint.clone()),
        title: Set(alert.title.chars().take(400).collect()),
        details: Set(alert.details.clone()),
        status: Set(alert.status().as_str().to_owned()),
        fired_at: Set(alert.fired_at),
        acknowledged_by: Set(acknowledged.map(|s| s.by.as_uuid())),
        acknowledged_at: Set(acknowledged.map(|s| s.at)),
        acknowledge_note: Set(acknowledged.and_then(|s| s.note.clone())),
        closed_by: Set(closed.map(|s| s.by.as_uuid())),
        closed_at: Set(closed.map(|s| s.at)),
        close_note: Set(closed.and_then(|s| s.note.clone())),
    }
}

fn step(
    by: Option<uuid::Uuid>,
    at: Option<DateTime<Utc>>,
    note: Option<String>,
) -> Option<AlertStep> {
    match (by, at) {
        (Some(by), Some(at)) => Some(AlertStep {
            by: UserId::from_uuid(by),
            at,
            note,
        }),
        _ => None,
    }
}

fn alert_of(row: alert::Model) -> Result<Alert, RepositoryError> {
    let rule_type = AlertRuleType::parse(&row.rule_type)
        .ok_or_else(|| corrupt("alert rule type", &row.rule_type))?;
    let status =
        AlertStatus::parse(&row.status).ok_or_else(|| corrupt("alert status", &row.status))?;
    let severity = AlertSeverity::parse(&row.severity)
        .ok_or_else(|| corrupt("alert severity", &row.severity))?;
    let acknowledged = step(
        row.acknowledged_by,
        row.acknowledged_at,
        row.acknowledge_note,
    );
    let closed = step(row.closed_by, row.closed_at, row.close_note);
    Ok(Alert::restored(
        AlertFields {
            id: AlertId::from_uuid(row.id),
            tenant_id: TenantId::from_uuid(row.tenant_id),
            rule_id: AlertRuleId::from_uuid(row.rule_id),
            rule_type,
            severity,
            fingerprint: row.fingerprint,
            title: row.title,
            details: row.details,
            fired_at: row.fired_at,
        },
        status,
        acknowledged,
        closed,
    ))
}

fn filtered(tenant: TenantId, filter: &AlertFilter) -> sea_orm::Select<alert::Entity> {
    let mut query = alert::Entity::find().filter(alert::Column::TenantId.eq(tenant.as_uuid()));
    if let Some(status) = filter.status {
        query = query.filter(alert::Column::Status.eq(status.as_str()));
    }
    if let Some(severity) = filter.severity {
        query = query.filter(alert::Column::Severity.eq(severity.as_str()));
    }
    if let Some(rule_type) = filter.rule_type {
        query = query.filter(alert::Column::RuleType.eq(rule_type.as_str()));
    }
    query
}

async fn count_of(db: &impl ConnectionTrait, sql: &str) -> Result<u64, RepositoryError> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .map_err(unexpected)?
        .ok_or_else(|| RepositoryError::unexpected("a count returned no row"))?;
    let n: i64 = row.try_get("", "n").map_err(unexpected)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

#[async_trait]
impl<C: Connection> AlertRepository for SeaStore<C> {
    async fn alert_rules(&self, tenant: TenantId) -> Result<Vec<AlertRule>, RepositoryError> {
        let mut rules = alert_rule::Entity::find()
            .filter(alert_rule::Column::TenantId.eq(tenant.as_uuid()))
            .order_by_asc(alert_rule::Column::CreatedAt)
            .order_by_asc(alert_rule::Column::Id)
            .all(self.conn())
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(rule_of)
            .collect::<Result<Vec<_>, _>>()?;
        rules.sort_by(|a, b| {
            b.system
                .cmp(&a.system)
                .then_with(|| a.rule_type.cmp(&b.rule_type).then(a.name.cmp(&b.name)))
        });
        Ok(rules)
    }

    async fn find_alert_rule(
        &self,
        tenant: TenantId,
        id: AlertRuleId,
    ) -> Result<Option<AlertRule>, RepositoryError> {
        alert_rule::Entity::find()
            .filter(alert_rule::Column::TenantId.eq(tenant.as_uuid()))
            .filter(alert_rule::Column::Id.eq(id.as_uuid()))
            .one(self.conn())
            .await
            .map_err(unexpected)?
            .map(rule_of)
            .transpose()
    }

    async fn insert_alert_rules(
        &self,
        tenant: TenantId,
        rules: &[AlertRule],
    ) -> Result<u64, RepositoryError> {
        let mut inserted = 0;
        for rule in rules {
            ensure_tenant(rule.tenant_id, tenant, "alert rule")?;
            // A system rule seeded by another process first stays; ours is skipped.
            let rows = alert_rule::Entity::insert(rule_row(rule))
                .on_conflict(
                    OnConflict::columns([
                        alert_rule::Column::TenantId,
                        alert_rule::Column::SystemKey,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(self.conn())
                .await
                .map_err(unexpected)?;
            inserted += rows;
        }
        Ok(inserted)
    }

    async fn update_alert_rule(
        &self,
        tenant: TenantId,
        rule: &AlertRule,
    ) -> Result<(), RepositoryError> {
        ensure_tenant(rule.tenant_id, tenant, "alert rule")?;
        let row = rule_row(rule);
        let result = alert_rule::Entity::update_many()
            .set(alert_rule::ActiveModel {
                name: row.name,
                threshold: row.threshold,
                days: row.days,
                min_severity: row.min_severity,
                severity: row.severity,
                cooldown_hours: row.cooldown_hours,
                channels: row.channels,
                enabled: row.enabled,
                baseline: row.baseline,
                last_evaluated_at: row.last_evaluated_at,
                updated_at: row.updated_at,
                ..Default::default()
            })
            .filter(alert_rule::Column::TenantId.eq(tenant.as_uuid()))
            .filter(alert_rule::Column::Id.eq(rule.id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(unexpected)?;
        if result.rows_affected == 0 {
            return Err(RepositoryError::NotFound(Entity::AlertRule));
        }
        Ok(())
    }

    async fn mark_alert_rules_evaluated(
        &self,
        tenant: TenantId,
        at: DateTime<Utc>,
    ) -> Result<u64, RepositoryError> {
        let result = alert_rule::Entity::update_many()
            .col_expr(alert_rule::Column::LastEvaluatedAt, Expr::value(at))
            .filter(alert_rule::Column::TenantId.eq(tenant.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(unexpected)?;
        Ok(result.rows_affected)
    }

    async fn delete_alert_rule(
        &self,
        tenant: TenantId,
        id: AlertRuleId,
    ) -> Result<bool, RepositoryError> {
        let result = alert_rule::Entity::delete_many()
            .filter(alert_rule::Column::TenantId.eq(tenant.as_uuid()))
            .filter(alert_rule::Column::Id.eq(id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(unexpected)?;
        Ok(result.rows_affected > 0)
    }

    async fn insert_alerts(
        &self,
        tenant: TenantId,
        alerts: &[Alert],
    ) -> Result<(), RepositoryError> {
        if alerts.is_empty() {
            return Ok(());
        }
        for alert in alerts {
            ensure_tenant(alert.tenant_id, tenant, "alert")?;
        }
        for chunk in alerts.chunks(200) {
            alert::Entity::insert_many(chunk.iter().map(alert_row))
                .exec_without_returning(self.conn())
                .await
                .map_err(unexpected)?;
        }
        // The dashboard counts open alerts: its cached copy is stale.
        self.changed(Scope::Tenant(tenant)).await
    }

    async fn update_alert(&self, tenant: TenantId, alert: &Alert) -> Result<(), RepositoryError> {
        ensure_tenant(alert.tenant_id, tenant, "alert")?;
        let row = alert_row(alert);
        let result = alert::Entity::update_many()
            .set(alert::ActiveModel {
                status: row.status,
                acknowledged_by: row.acknowledged_by,
                acknowledged_at: row.acknowledged_at,
                acknowledge_note: row.acknowledge_note,
                closed_by: row.closed_by,
                closed_at: row.closed_at,
                close_note: row.close_note,
                ..Default::default()
            })
            .filter(alert::Column::TenantId.eq(tenant.as_uuid()))
            .filter(alert::Column::Id.eq(alert.id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(unexpected)?;
        if result.rows_affected == 0 {
            return Err(RepositoryError::NotFound(Entity::Alert));
        }
        self.changed(Scope::Tenant(tenant)).await
    }

    async fn find_alert(
        &self,
        tenant: TenantId,
        id: AlertId,
    ) -> Result<Option<Alert>, RepositoryError> {
        alert::Entity::find()
            .filter(alert::Column::TenantId.eq(tenant.as_uuid()))
            .filter(alert::Column::Id.eq(id.as_uuid()))
            .one(self.conn())
            .await
            .map_err(unexpected)?
            .map(alert_of)
            .transpose()
    }

    async fn list_alerts(
        &self,
        tenant: TenantId,
        filter: &AlertFilter,
        page: PageRequest,
    ) -> Result<Page<Alert>, RepositoryError> {
        let query = filtered(tenant, filter);
        let total = query.clone().count(self.conn()).await.map_err(unexpected)?;
        let items = query
            .order_by_desc(alert::Column::FiredAt)
            .order_by_desc(alert::Column::Id)
            .offset(page.offset())
            .limit(page.per_page())
            .all(self.conn())
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(alert_of)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page {
            items,
            total,
            request: page,
        })
    }

    async fn alert_summary(&self, tenant: TenantId) -> Result<AlertSummary, RepositoryError> {
        let rows: Vec<(String, String, String, i64)> = alert::Entity::find()
            .select_only()
            .column(alert::Column::Status)
            .column(alert::Column::Severity)
            .column(alert::Column::RuleType)
            .column_as(alert::Column::Id.count(), "n")
            .filter(alert::Column::TenantId.eq(tenant.as_uuid()))
            .group_by(alert::Column::Status)
            .group_by(alert::Column::Severity)
            .group_by(alert::Column::RuleType)
            .into_tuple()
            .all(self.conn())
            .await
            .map_err(unexpected)?;
        let mut summary = AlertSummary {
            by_status: AlertStatus::ALL
                .iter()
                .map(|s| (s.as_str().to_owned(), 0))
                .collect(),
            active_by_severity: AlertSeverity::ALL
                .iter()
                .map(|s| (s.as_str().to_owned(), 0))
                .collect(),
            active_by_type: AlertRuleType::ALL
                .iter()
                .map(|t| (t.as_str().to_owned(), 0))
                .collect(),
            ..AlertSummary::default()
        };
        for (status, severity, rule_type, n) in rows {
            let n = u64::try_from(n).unwrap_or(0);
            summary.total += n;
            *summary.by_status.entry(status.clone()).or_default() += n;
            if AlertStatus::parse(&status).is_some_and(|s| !s.is_closed()) {
                *summary.active_by_severity.entry(severity).or_default() += n;
                *summary.active_by_type.entry(rule_type).or_default() += n;
            }
        }
        Ok(summary)
    }

    async fn fired_since(
        &self,
        tenant: TenantId,
        since: DateTime<Utc>,
    ) -> Result<HashMap<String, DateTime<Utc>>, RepositoryError> {
        let rows: Vec<(String, DateTime<Utc>)> = alert::Entity::find()
            .select_only()
            .column(alert::Column::Fingerprint)
            .column_as(alert::Column::FiredAt.max(), "fired_at")
            .filter(alert::Column::TenantId.eq(tenant.as_uuid()))
            .filter(alert::Column::FiredAt.gte(since))
            .group_by(alert::Column::Fingerprint)
            .into_tuple()
            .all(self.conn())
            .await
            .map_err(unexpected)?;
        Ok(rows.into_iter().collect())
    }

    async fn missed_tests(
        &self,
        tenant: TenantId,
        since: DateTime<Utc>,
    ) -> Result<Vec<MissedTest>, RepositoryError> {
        let rows: Vec<(uuid::Uuid, String, String, Option<DateTime<Utc>>)> = test::Entity::find()
            .select_only()
            .column(test::Column::Id)
            .column(test::Column::Title)
            .column(test::Column::TechniqueId)
            .column(test::Column::ValidatedAt)
            .filter(test::Column::TenantId.eq(tenant.as_uuid()))
            .filter(test::Column::State.eq("validated"))
            .filter(test::Column::BlueOutcome.eq(Outcome::NotDetected.as_str()))
            .filter(test::Column::ValidatedAt.gte(since))
            .order_by_desc(test::Column::ValidatedAt)
            .into_tuple()
            .all(self.conn())
            .await
            .map_err(unexpected)?;
        let mut missed = Vec::with_capacity(rows.len());
        for (id, title, technique, validated_at) in rows {
            let Some(validated_at) = validated_at else {
                continue;
            };
            missed.push(MissedTest {
                test_id: TestId::from_uuid(id),
                title,
                technique_id: TechniqueId::parse(&technique)
                    .map_err(|e| corrupt("technique id", e))?,
                validated_at,
            });
        }
        Ok(missed)
    }

    async fn orphan_counts(&self) -> Result<OrphanCounts, RepositoryError> {
        let db = self.conn();
        let rules_without_technique = count_of(
            db,
            "SELECT COUNT(*) AS n FROM detection_rules r WHERE NOT r.deprecated AND NOT EXISTS \
             (SELECT 1 FROM detection_rule_techniques t WHERE t.rule_id = r.id)",
        )
        .await?;
        let techniques_without_rule = count_of(
            db,
            "SELECT COUNT(*) AS n FROM techniques k WHERE NOT k.revoked AND NOT k.deprecated \
             AND NOT EXISTS (SELECT 1 FROM detection_rule_techniques t JOIN detection_rules r \
             ON r.id = t.rule_id WHERE t.technique_id = k.mitre_id AND NOT r.deprecated)",
        )
        .await?;
        Ok(OrphanCounts {
            rules_without_technique,
            techniques_without_rule,
        })
    }
}
