//! The history of background job runs: one row per run, unique by its key so a scheduled run
//! exists once however many workers saw it come due.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum JobRuns {
    Table,
    Id,
    Kind,
    RunKey,
    TriggerKind,
    DueAt,
    RequestedBy,
    QueuedAt,
    StartedAt,
    FinishedAt,
    Attempts,
    MaxAttempts,
    Outcome,
    Counts,
    Error,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JobRuns::Table)
                    .col(uuid(JobRuns::Id).primary_key())
                    .col(string_len(JobRuns::Kind, 32))
                    .col(string_len_uniq(JobRuns::RunKey, 128))
                    .col(string_len(JobRuns::TriggerKind, 16))
                    .col(timestamp_with_time_zone_null(JobRuns::DueAt))
                    .col(uuid_null(JobRuns::RequestedBy))
                    .col(timestamp_with_time_zone(JobRuns::QueuedAt))
                    .col(timestamp_with_time_zone_null(JobRuns::StartedAt))
                    .col(timestamp_with_time_zone_null(JobRuns::FinishedAt))
                    .col(integer(JobRuns::Attempts))
                    .col(integer(JobRuns::MaxAttempts))
                    .col(string_len(JobRuns::Outcome, 16))
                    .col(json(JobRuns::Counts))
                    .col(text_null(JobRuns::Error))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_job_runs_kind_queued")
                    .table(JobRuns::Table)
                    .col(JobRuns::Kind)
                    .col(JobRuns::QueuedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_job_runs_outcome")
                    .table(JobRuns::Table)
                    .col(JobRuns::Outcome)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(JobRuns::Table).to_owned())
            .await
    }
}
