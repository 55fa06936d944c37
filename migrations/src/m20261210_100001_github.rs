//! The GitHub integration: a tenant's configuration (its token and webhook secret sealed),
//! the webhook deliveries it received (one row per delivery id: a replay is recognised), and
//! the check runs that report scans back (an outbox the `github_checks` job works through).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum GithubConfigs {
    Table,
    TenantId,
    ApiUrl,
    /// Nonce and ciphertext of the token; never the token itself.
    TokenSealed,
    WebhookSecretSealed,
    /// `owner/name`, one per line, lower-cased.
    Repositories,
    Active,
    CheckName,
    ServiceUser,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum GithubDeliveries {
    Table,
    TenantId,
    DeliveryId,
    Event,
    Action,
    Repository,
    PullRequest,
    HeadSha,
    /// `scanned`, `ignored` or `failed`.
    Result,
    ScanId,
    Error,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum GithubCheckRuns {
    Table,
    TenantId,
    ScanId,
    Repository,
    HeadSha,
    GithubId,
    /// `pending`, `queued`, `in_progress` or `completed`: what GitHub was told last.
    Stage,
    AnnotationsSent,
    Attempts,
    RetryAt,
    LastError,
    Abandoned,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Scans {
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
                    .table(GithubConfigs::Table)
                    .col(uuid(GithubConfigs::TenantId).primary_key())
                    .col(string_len(GithubConfigs::ApiUrl, 2048))
                    .col(blob(GithubConfigs::TokenSealed))
                    .col(blob(GithubConfigs::WebhookSecretSealed))
                    .col(text(GithubConfigs::Repositories))
                    .col(boolean(GithubConfigs::Active))
                    .col(string_len(GithubConfigs::CheckName, 255))
                    .col(uuid(GithubConfigs::ServiceUser))
                    .col(uuid(GithubConfigs::UpdatedBy))
                    .col(timestamp_with_time_zone(GithubConfigs::UpdatedAt))
                    .foreign_key(&mut tenant_key(
                        GithubConfigs::Table,
                        GithubConfigs::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(GithubDeliveries::Table)
                    .col(uuid(GithubDeliveries::TenantId))
                    .col(string_len(GithubDeliveries::DeliveryId, 100))
                    .col(string_len(GithubDeliveries::Event, 100))
                    .col(string_len_null(GithubDeliveries::Action, 100))
                    .col(string_len_null(GithubDeliveries::Repository, 200))
                    .col(big_integer_null(GithubDeliveries::PullRequest))
                    .col(string_len_null(GithubDeliveries::HeadSha, 64))
                    .col(string_len(GithubDeliveries::Result, 16))
                    .col(uuid_null(GithubDeliveries::ScanId))
                    .col(text_null(GithubDeliveries::Error))
                    .col(timestamp_with_time_zone(GithubDeliveries::ReceivedAt))
                    // The delivery id is the replay guard: once per tenant.
                    .primary_key(
                        Index::create()
                            .col(GithubDeliveries::TenantId)
                            .col(GithubDeliveries::DeliveryId),
                    )
                    .foreign_key(&mut tenant_key(
                        GithubDeliveries::Table,
                        GithubDeliveries::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("github_deliveries_newest")
                    .table(GithubDeliveries::Table)
                    .col(GithubDeliveries::TenantId)
                    .col(GithubDeliveries::ReceivedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(GithubCheckRuns::Table)
                    .col(uuid(GithubCheckRuns::TenantId))
                    .col(uuid(GithubCheckRuns::ScanId))
                    .col(string_len(GithubCheckRuns::Repository, 200))
                    .col(string_len(GithubCheckRuns::HeadSha, 64))
                    .col(big_integer_null(GithubCheckRuns::GithubId))
                    .col(string_len(GithubCheckRuns::Stage, 16))
                    .col(integer(GithubCheckRuns::AnnotationsSent))
                    .col(integer(GithubCheckRuns::Attempts))
                    .col(timestamp_with_time_zone_null(GithubCheckRuns::RetryAt))
                    .col(text_null(GithubCheckRuns::LastError))
                    .col(boolean(GithubCheckRuns::Abandoned))
                    .col(timestamp_with_time_zone(GithubCheckRuns::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(GithubCheckRuns::TenantId)
                            .col(GithubCheckRuns::ScanId),
                    )
                    .foreign_key(&mut tenant_key(
                        GithubCheckRuns::Table,
                        GithubCheckRuns::TenantId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(GithubCheckRuns::Table, GithubCheckRuns::ScanId)
                            .to(Scans::Table, Scans::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The job's question: the open check runs, oldest first.
        manager
            .create_index(
                Index::create()
                    .name("github_check_runs_open")
                    .table(GithubCheckRuns::Table)
                    .col(GithubCheckRuns::Stage)
                    .col(GithubCheckRuns::Abandoned)
                    .col(GithubCheckRuns::UpdatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            GithubCheckRuns::Table.into_iden(),
            GithubDeliveries::Table.into_iden(),
            GithubConfigs::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
