//! Per-user channel preferences of notifications, and the email outbox the mail job sends
//! from.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum NotificationPreferences {
    Table,
    TenantId,
    UserId,
    /// A notification kind (`test.submit-red`, `alert.fired`, ...).
    Kind,
    InApp,
    Email,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EmailDeliveries {
    Table,
    /// The notification's id: one email per notification.
    Id,
    TenantId,
    UserId,
    ToAddress,
    Kind,
    Title,
    Body,
    EntityType,
    EntityId,
    Status,
    Attempts,
    NextAttemptAt,
    CreatedAt,
    SentAt,
    LastError,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

fn cascade(
    table: impl IntoIden,
    column: impl IntoIden,
    to: impl IntoIden,
    to_column: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(to, to_column)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(NotificationPreferences::Table)
                    .col(uuid(NotificationPreferences::TenantId))
                    .col(uuid(NotificationPreferences::UserId))
                    .col(string_len(NotificationPreferences::Kind, 64))
                    .col(boolean(NotificationPreferences::InApp))
                    .col(boolean(NotificationPreferences::Email))
                    .col(timestamp_with_time_zone(NotificationPreferences::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(NotificationPreferences::TenantId)
                            .col(NotificationPreferences::UserId)
                            .col(NotificationPreferences::Kind),
                    )
                    .foreign_key(&mut cascade(
                        NotificationPreferences::Table,
                        NotificationPreferences::TenantId,
                        Tenants::Table,
                        Tenants::Id,
                    ))
                    .foreign_key(&mut cascade(
                        NotificationPreferences::Table,
                        NotificationPreferences::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EmailDeliveries::Table)
                    .col(uuid(EmailDeliveries::Id).primary_key())
                    .col(uuid(EmailDeliveries::TenantId))
                    .col(uuid(EmailDeliveries::UserId))
                    .col(string_len(EmailDeliveries::ToAddress, 320))
                    .col(string_len(EmailDeliveries::Kind, 64))
                    .col(text(EmailDeliveries::Title))
                    .col(text(EmailDeliveries::Body))
                    .col(string_len_null(EmailDeliveries::EntityType, 40))
                    .col(string_len_null(EmailDeliveries::EntityId, 80))
                    .col(string_len(EmailDeliveries::Status, 16))
                    .col(integer(EmailDeliveries::Attempts))
                    .col(timestamp_with_time_zone(EmailDeliveries::NextAttemptAt))
                    .col(timestamp_with_time_zone(EmailDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone_null(EmailDeliveries::SentAt))
                    .col(text_null(EmailDeliveries::LastError))
                    .foreign_key(&mut cascade(
                        EmailDeliveries::Table,
                        EmailDeliveries::TenantId,
                        Tenants::Table,
                        Tenants::Id,
                    ))
                    .foreign_key(&mut cascade(
                        EmailDeliveries::Table,
                        EmailDeliveries::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        // The mail job's question: which pending emails are due.
        manager
            .create_index(
                Index::create()
                    .name("email_deliveries_due")
                    .table(EmailDeliveries::Table)
                    .col(EmailDeliveries::Status)
                    .col(EmailDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        // A user's own log, newest first.
        manager
            .create_index(
                Index::create()
                    .name("email_deliveries_by_user")
                    .table(EmailDeliveries::Table)
                    .col(EmailDeliveries::TenantId)
                    .col(EmailDeliveries::UserId)
                    .col(EmailDeliveries::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EmailDeliveries::Table).to_owned())
            .await?;
        manager
            .drop_table(
                Table::drop()
                    .table(NotificationPreferences::Table)
                    .to_owned(),
            )
            .await
    }
}
