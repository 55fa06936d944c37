//! Coverage: the platform and validation time of tests, and each organization's stored score
//! per technique with the breakdown that explains it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Tests {
    Table,
    Platform,
    ValidatedAt,
}

#[derive(DeriveIden)]
enum TechniqueScores {
    Table,
    TenantId,
    TechniqueId,
    Status,
    Score,
    Breakdown,
    ValidatedTests,
    OpenTests,
    LastValidatedAt,
    ComputedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Tests::Table)
                    .add_column(string_len_null(Tests::Platform, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Tests::Table)
                    .add_column(timestamp_with_time_zone_null(Tests::ValidatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TechniqueScores::Table)
                    .col(uuid(TechniqueScores::TenantId))
                    .col(string_len(TechniqueScores::TechniqueId, 16))
                    .col(string_len(TechniqueScores::Status, 16))
                    .col(double(TechniqueScores::Score))
                    .col(json(TechniqueScores::Breakdown))
                    .col(integer(TechniqueScores::ValidatedTests))
                    .col(integer(TechniqueScores::OpenTests))
                    .col(timestamp_with_time_zone_null(
                        TechniqueScores::LastValidatedAt,
                    ))
                    .col(timestamp_with_time_zone(TechniqueScores::ComputedAt))
                    .primary_key(
                        Index::create()
                            .col(TechniqueScores::TenantId)
                            .col(TechniqueScores::TechniqueId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_technique_scores_status")
                    .table(TechniqueScores::Table)
                    .col(TechniqueScores::TenantId)
                    .col(TechniqueScores::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TechniqueScores::Table).to_owned())
            .await?;
        for column in [Tests::ValidatedAt, Tests::Platform] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Tests::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
