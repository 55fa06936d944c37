//! Scans keep their raw diff for a retention period per tenant: the marker of a diff's
//! deletion, and the time each scan took from submission to decision (the latency metric).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Scans {
    Table,
    /// When the raw diff passed its retention and was given to the evidence sweep to delete;
    /// the scan keeps the diff's hash.
    DiffDeletedAt,
    /// From submission to decision, once decided.
    LatencyMs,
}

#[derive(DeriveIden)]
enum ScanPolicies {
    Table,
    DiffRetentionDays,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Scans::Table)
                    .add_column(timestamp_with_time_zone_null(Scans::DiffDeletedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Scans::Table)
                    .add_column(big_integer_null(Scans::LatencyMs))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ScanPolicies::Table)
                    .add_column(integer(ScanPolicies::DiffRetentionDays).default(90))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ScanPolicies::Table)
                    .drop_column(ScanPolicies::DiffRetentionDays)
                    .to_owned(),
            )
            .await?;
        for column in [Scans::LatencyMs, Scans::DiffDeletedAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Scans::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
