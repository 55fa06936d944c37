//! The data-source registry: one row per configured feed (absent kinds use their defaults).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum DataSources {
    Table,
    Kind,
    Url,
    Enabled,
    Schedule,
    /// Nonce and ciphertext of the credential; never the credential itself.
    Credential,
    Status,
    LastSyncAt,
    LastCounts,
    LastError,
    SyncRequestedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DataSources::Table)
                    .col(string_len(DataSources::Kind, 16).primary_key())
                    .col(text(DataSources::Url))
                    .col(boolean(DataSources::Enabled))
                    .col(string_len_null(DataSources::Schedule, 128))
                    .col(blob_null(DataSources::Credential))
                    .col(string_len(DataSources::Status, 16))
                    .col(timestamp_with_time_zone_null(DataSources::LastSyncAt))
                    .col(json_null(DataSources::LastCounts))
                    .col(text_null(DataSources::LastError))
                    .col(timestamp_with_time_zone_null(DataSources::SyncRequestedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DataSources::Table).to_owned())
            .await
    }
}
