//! Webhooks, the tenant's allow-list of internal targets, the delivery outbox and its
//! attempt log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Webhooks {
    Table,
    Id,
    TenantId,
    Name,
    Url,
    /// Space-separated event names.
    Events,
    Preset,
    Active,
    /// Nonce and ciphertext of the `whsec_` secret; never the secret itself.
    SecretSealed,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookAllowLists {
    Table,
    TenantId,
    /// One entry per line: host names, addresses and CIDR ranges.
    Entries,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    TenantId,
    WebhookId,
    MessageId,
    Event,
    Payload,
    Status,
    Attempts,
    NextAttemptAt,
    CreatedAt,
    LastAttemptAt,
    LastResponseCode,
    LastError,
}

#[derive(DeriveIden)]
enum WebhookDeliveryAttempts {
    Table,
    Id,
    TenantId,
    DeliveryId,
    Attempt,
    AttemptedAt,
    DurationMs,
    Succeeded,
    ResponseCode,
    Error,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

fn tenant_key(table: impl IntoIden, column: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Tenants::Table, Tenants::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Webhooks::Table)
                    .col(uuid(Webhooks::Id).primary_key())
                    .col(uuid(Webhooks::TenantId))
                    .col(string_len(Webhooks::Name, 120))
                    .col(string_len(Webhooks::Url, 2048))
                    .col(string_len(Webhooks::Events, 400))
                    .col(string_len(Webhooks::Preset, 16))
                    .col(boolean(Webhooks::Active))
                    .col(blob(Webhooks::SecretSealed))
                    .col(uuid(Webhooks::CreatedBy))
                    .col(timestamp_with_time_zone(Webhooks::CreatedAt))
                    .col(timestamp_with_time_zone(Webhooks::UpdatedAt))
                    .foreign_key(&mut tenant_key(Webhooks::Table, Webhooks::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhooks_by_tenant")
                    .table(Webhooks::Table)
                    .col(Webhooks::TenantId)
                    .col(Webhooks::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookAllowLists::Table)
                    .col(uuid(WebhookAllowLists::TenantId).primary_key())
                    .col(text(WebhookAllowLists::Entries))
                    .col(timestamp_with_time_zone(WebhookAllowLists::UpdatedAt))
                    .foreign_key(&mut tenant_key(
                        WebhookAllowLists::Table,
                        WebhookAllowLists::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(uuid(WebhookDeliveries::Id).primary_key())
                    .col(uuid(WebhookDeliveries::TenantId))
                    .col(uuid(WebhookDeliveries::WebhookId))
                    .col(string_len(WebhookDeliveries::MessageId, 64))
                    .col(string_len(WebhookDeliveries::Event, 40))
                    .col(text(WebhookDeliveries::Payload))
                    .col(string_len(WebhookDeliveries::Status, 16))
                    .col(integer(WebhookDeliveries::Attempts))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::NextAttemptAt,
                    ))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::LastAttemptAt,
                    ))
                    .col(integer_null(WebhookDeliveries::LastResponseCode))
                    .col(text_null(WebhookDeliveries::LastError))
                    .foreign_key(&mut tenant_key(
                        WebhookDeliveries::Table,
                        WebhookDeliveries::TenantId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookDeliveries::Table, WebhookDeliveries::WebhookId)
                            .to(Webhooks::Table, Webhooks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The job's question: which waiting deliveries are due.
        manager
            .create_index(
                Index::create()
                    .name("webhook_deliveries_due")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::Status)
                    .col(WebhookDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        // The log's question: a webhook's deliveries, newest first.
        manager
            .create_index(
                Index::create()
                    .name("webhook_deliveries_by_webhook")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::WebhookId)
                    .col(WebhookDeliveries::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveryAttempts::Table)
                    .col(uuid(WebhookDeliveryAttempts::Id).primary_key())
                    .col(uuid(WebhookDeliveryAttempts::TenantId))
                    .col(uuid(WebhookDeliveryAttempts::DeliveryId))
                    .col(integer(WebhookDeliveryAttempts::Attempt))
                    .col(timestamp_with_time_zone(
                        WebhookDeliveryAttempts::AttemptedAt,
                    ))
                    .col(big_integer(WebhookDeliveryAttempts::DurationMs))
                    .col(boolean(WebhookDeliveryAttempts::Succeeded))
                    .col(integer_null(WebhookDeliveryAttempts::ResponseCode))
                    .col(text_null(WebhookDeliveryAttempts::Error))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                WebhookDeliveryAttempts::Table,
                                WebhookDeliveryAttempts::DeliveryId,
                            )
                            .to(WebhookDeliveries::Table, WebhookDeliveries::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_delivery_attempts_by_delivery")
                    .table(WebhookDeliveryAttempts::Table)
                    .col(WebhookDeliveryAttempts::DeliveryId)
                    .col(WebhookDeliveryAttempts::Attempt)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookDeliveryAttempts::Table.into_iden(),
            WebhookDeliveries::Table.into_iden(),
            WebhookAllowLists::Table.into_iden(),
            Webhooks::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
