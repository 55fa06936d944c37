//! Generated reports: what was asked for, and where the signed document is.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
    TenantId,
    Kind,
    Format,
    CampaignId,
    Status,
    RequestedBy,
    RequestedAt,
    GeneratedAt,
    ObjectKey,
    SizeBytes,
    Sha256,
    Signature,
    Error,
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
                    .table(Reports::Table)
                    .col(uuid(Reports::Id).primary_key())
                    .col(uuid(Reports::TenantId))
                    .col(string_len(Reports::Kind, 32))
                    .col(string_len(Reports::Format, 8))
                    .col(uuid_null(Reports::CampaignId))
                    .col(string_len(Reports::Status, 16))
                    .col(uuid(Reports::RequestedBy))
                    .col(timestamp_with_time_zone(Reports::RequestedAt))
                    .col(timestamp_with_time_zone_null(Reports::GeneratedAt))
                    .col(string_len_null(Reports::ObjectKey, 300))
                    .col(big_integer_null(Reports::SizeBytes))
                    .col(string_len_null(Reports::Sha256, 64))
                    .col(string_len_null(Reports::Signature, 128))
                    .col(text_null(Reports::Error))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Reports::Table, Reports::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("reports_by_status")
                    .table(Reports::Table)
                    .col(Reports::Status)
                    .col(Reports::RequestedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Reports::Table).to_owned())
            .await
    }
}
