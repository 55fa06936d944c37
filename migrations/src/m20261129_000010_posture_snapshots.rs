//! Posture snapshots: an organization's coverage at one moment, for the trend.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum PostureSnapshots {
    Table,
    Id,
    TenantId,
    TakenAt,
    TakenBy,
    OrganizationScore,
    ThreatWeightedScore,
    TotalTechniques,
    CoveredTechniques,
    ValidatedTests,
    StatusCounts,
    ByTactic,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PostureSnapshots::Table)
                    .col(uuid(PostureSnapshots::Id).primary_key())
                    .col(uuid(PostureSnapshots::TenantId))
                    .col(timestamp_with_time_zone(PostureSnapshots::TakenAt))
                    .col(uuid_null(PostureSnapshots::TakenBy))
                    .col(double_null(PostureSnapshots::OrganizationScore))
                    .col(double_null(PostureSnapshots::ThreatWeightedScore))
                    .col(integer(PostureSnapshots::TotalTechniques))
                    .col(integer(PostureSnapshots::CoveredTechniques))
                    .col(integer(PostureSnapshots::ValidatedTests))
                    .col(json(PostureSnapshots::StatusCounts))
                    .col(json(PostureSnapshots::ByTactic))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_posture_snapshots_tenant_taken")
                    .table(PostureSnapshots::Table)
                    .col(PostureSnapshots::TenantId)
                    .col(PostureSnapshots::TakenAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PostureSnapshots::Table).to_owned())
            .await
    }
}
