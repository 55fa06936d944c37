//! Scans of detection-content diffs: the submission, the worker's lease, and the result
//! (findings, coverage delta and the signed artifact, each as JSON text).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Scans {
    Table,
    Id,
    TenantId,
    Repository,
    Commit,
    Base,
    PullRequest,
    DiffSha256,
    DiffBytes,
    DiffKey,
    /// `queued`, `running`, `completed` or `error`.
    Status,
    /// `pass`, `fail` or `error` once decided.
    Decision,
    /// The policy the scan is decided under, JSON.
    Policy,
    /// The findings, JSON.
    Findings,
    /// The coverage delta, JSON.
    Coverage,
    Files,
    Error,
    Attempts,
    LeaseUntil,
    SubmittedBy,
    CreatedAt,
    CompletedAt,
    /// The signed canonical artifact, exactly as served.
    Artifact,
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
                    .table(Scans::Table)
                    .col(uuid(Scans::Id).primary_key())
                    .col(uuid(Scans::TenantId))
                    .col(string_len_null(Scans::Repository, 500))
                    .col(string_len_null(Scans::Commit, 500))
                    .col(string_len_null(Scans::Base, 500))
                    .col(string_len_null(Scans::PullRequest, 500))
                    .col(string_len(Scans::DiffSha256, 64))
                    .col(big_integer(Scans::DiffBytes))
                    .col(string_len(Scans::DiffKey, 255))
                    .col(string_len(Scans::Status, 16))
                    .col(string_len_null(Scans::Decision, 16))
                    .col(text(Scans::Policy))
                    .col(text(Scans::Findings))
                    .col(text(Scans::Coverage))
                    .col(integer(Scans::Files))
                    .col(text_null(Scans::Error))
                    .col(integer(Scans::Attempts))
                    .col(timestamp_with_time_zone_null(Scans::LeaseUntil))
                    .col(uuid(Scans::SubmittedBy))
                    .col(timestamp_with_time_zone(Scans::CreatedAt))
                    .col(timestamp_with_time_zone_null(Scans::CompletedAt))
                    .col(text_null(Scans::Artifact))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Scans::Table, Scans::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The list's question: a tenant's scans, newest first.
        manager
            .create_index(
                Index::create()
                    .name("scans_by_tenant")
                    .table(Scans::Table)
                    .col(Scans::TenantId)
                    .col(Scans::CreatedAt)
                    .to_owned(),
            )
            .await?;
        // The job's question: scans queued, or running under a lease that ran out.
        manager
            .create_index(
                Index::create()
                    .name("scans_due")
                    .table(Scans::Table)
                    .col(Scans::Status)
                    .col(Scans::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Scans::Table).to_owned())
            .await
    }
}
