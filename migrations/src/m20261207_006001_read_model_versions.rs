//! How far each organization's derived views (heatmap, dashboard, metrics, lists) and the
//! shared catalog have moved: a counter bumped in the transaction of every change to their
//! inputs, read per request so every instance serves the next read fresh.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum ReadModelVersions {
    Table,
    /// A tenant's id, or `catalog` for the global content.
    Scope,
    Version,
    ChangedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReadModelVersions::Table)
                    .col(string_len(ReadModelVersions::Scope, 40).primary_key())
                    .col(big_integer(ReadModelVersions::Version))
                    .col(timestamp_with_time_zone(ReadModelVersions::ChangedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ReadModelVersions::Table).to_owned())
            .await
    }
}
