//! Alert rules (the eight system rules of every organization, and custom ones) and the alerts
//! they fired. An alert keeps its rule's id and type but no foreign key to it: deleting a
//! custom rule leaves its alerts as history.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum AlertRules {
    Table,
    Id,
    TenantId,
    Name,
    RuleType,
    /// The rule type for a system rule, null for a custom one: unique per organization, so
    /// seeding twice (two processes starting at once) leaves one system rule of each type.
    SystemKey,
    Threshold,
    Days,
    MinSeverity,
    Severity,
    CooldownHours,
    Channels,
    Enabled,
    Baseline,
    LastEvaluatedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Alerts {
    Table,
    Id,
    TenantId,
    RuleId,
    RuleType,
    Severity,
    Fingerprint,
    Title,
    Details,
    Status,
    FiredAt,
    AcknowledgedBy,
    AcknowledgedAt,
    AcknowledgeNote,
    ClosedBy,
    ClosedAt,
    CloseNote,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AlertRules::Table)
                    .col(uuid(AlertRules::Id).primary_key())
                    .col(uuid(AlertRules::TenantId))
                    .col(string_len(AlertRules::Name, 200))
                    .col(string_len(AlertRules::RuleType, 32))
                    .col(string_len_null(AlertRules::SystemKey, 32))
                    .col(double_null(AlertRules::Threshold))
                    .col(integer_null(AlertRules::Days))
                    .col(string_len_null(AlertRules::MinSeverity, 16))
                    .col(string_len(AlertRules::Severity, 16))
                    .col(integer(AlertRules::CooldownHours))
                    .col(string_len(AlertRules::Channels, 64))
                    .col(boolean(AlertRules::Enabled))
                    .col(json(AlertRules::Baseline))
                    .col(timestamp_with_time_zone_null(AlertRules::LastEvaluatedAt))
                    .col(timestamp_with_time_zone(AlertRules::CreatedAt))
                    .col(timestamp_with_time_zone(AlertRules::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AlertRules::Table, AlertRules::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("alert_rules_one_system_rule_per_type")
                    .table(AlertRules::Table)
                    .col(AlertRules::TenantId)
                    .col(AlertRules::SystemKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alerts::Table)
                    .col(uuid(Alerts::Id).primary_key())
                    .col(uuid(Alerts::TenantId))
                    .col(uuid(Alerts::RuleId))
                    .col(string_len(Alerts::RuleType, 32))
                    .col(string_len(Alerts::Severity, 16))
                    .col(string_len(Alerts::Fingerprint, 300))
                    .col(string_len(Alerts::Title, 400))
                    .col(json(Alerts::Details))
                    .col(string_len(Alerts::Status, 16))
                    .col(timestamp_with_time_zone(Alerts::FiredAt))
                    .col(uuid_null(Alerts::AcknowledgedBy))
                    .col(timestamp_with_time_zone_null(Alerts::AcknowledgedAt))
                    .col(text_null(Alerts::AcknowledgeNote))
                    .col(uuid_null(Alerts::ClosedBy))
                    .col(timestamp_with_time_zone_null(Alerts::ClosedAt))
                    .col(text_null(Alerts::CloseNote))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Alerts::Table, Alerts::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The cooldown check: the newest firing of a fingerprint.
        manager
            .create_index(
                Index::create()
                    .name("alerts_by_fingerprint")
                    .table(Alerts::Table)
                    .col(Alerts::TenantId)
                    .col(Alerts::Fingerprint)
                    .col(Alerts::FiredAt)
                    .to_owned(),
            )
            .await?;
        // The list, newest first, and the open count of the dashboard.
        manager
            .create_index(
                Index::create()
                    .name("alerts_by_status")
                    .table(Alerts::Table)
                    .col(Alerts::TenantId)
                    .col(Alerts::Status)
                    .col(Alerts::FiredAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alerts::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AlertRules::Table).to_owned())
            .await
    }
}
