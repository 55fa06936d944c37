//! Ticket links (a finding, a test or a remediation step and an issue in a tracker), the
//! tenant's Jira configuration with its sealed tokens, and the worklogs pushed to Tempo.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Tickets {
    Table,
    Id,
    TenantId,
    /// `finding`, `test` or `remediation_step`.
    SubjectKind,
    SubjectId,
    /// The finding a remediation step belongs to.
    FindingId,
    System,
    Key,
    Url,
    ExternalId,
    Status,
    StatusCategory,
    LastSyncedAt,
    SyncError,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum JiraConfigs {
    Table,
    TenantId,
    BaseUrl,
    Email,
    /// Nonce and ciphertext of the API token; never the token itself.
    ApiTokenSealed,
    ProjectKey,
    IssueType,
    /// One label per line.
    Labels,
    AegisUrl,
    TempoTokenSealed,
    TempoUrl,
    TempoAccountId,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TicketWorklogs {
    Table,
    Id,
    TenantId,
    TicketId,
    WorklogId,
    TempoId,
    PushedAt,
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
                    .table(Tickets::Table)
                    .col(uuid(Tickets::Id).primary_key())
                    .col(uuid(Tickets::TenantId))
                    .col(string_len(Tickets::SubjectKind, 24))
                    .col(uuid(Tickets::SubjectId))
                    .col(uuid_null(Tickets::FindingId))
                    .col(string_len(Tickets::System, 16))
                    .col(string_len(Tickets::Key, 100))
                    .col(string_len(Tickets::Url, 2048))
                    .col(string_len_null(Tickets::ExternalId, 64))
                    .col(string_len_null(Tickets::Status, 100))
                    .col(string_len(Tickets::StatusCategory, 16))
                    .col(timestamp_with_time_zone_null(Tickets::LastSyncedAt))
                    .col(text_null(Tickets::SyncError))
                    .col(uuid(Tickets::CreatedBy))
                    .col(timestamp_with_time_zone(Tickets::CreatedAt))
                    .foreign_key(&mut tenant_key(Tickets::Table, Tickets::TenantId))
                    .to_owned(),
            )
            .await?;
        // One link per subject and issue; also the list's question (a subject's tickets).
        manager
            .create_index(
                Index::create()
                    .name("tickets_by_subject")
                    .table(Tickets::Table)
                    .col(Tickets::TenantId)
                    .col(Tickets::SubjectKind)
                    .col(Tickets::SubjectId)
                    .col(Tickets::System)
                    .col(Tickets::Key)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The sync job's question: the tenant's Jira tickets not done, least recently synced.
        manager
            .create_index(
                Index::create()
                    .name("tickets_followed")
                    .table(Tickets::Table)
                    .col(Tickets::TenantId)
                    .col(Tickets::System)
                    .col(Tickets::StatusCategory)
                    .col(Tickets::LastSyncedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(JiraConfigs::Table)
                    .col(uuid(JiraConfigs::TenantId).primary_key())
                    .col(string_len(JiraConfigs::BaseUrl, 2048))
                    .col(string_len(JiraConfigs::Email, 320))
                    .col(blob(JiraConfigs::ApiTokenSealed))
                    .col(string_len(JiraConfigs::ProjectKey, 255))
                    .col(string_len(JiraConfigs::IssueType, 255))
                    .col(text(JiraConfigs::Labels))
                    .col(string_len_null(JiraConfigs::AegisUrl, 2048))
                    .col(blob_null(JiraConfigs::TempoTokenSealed))
                    .col(string_len(JiraConfigs::TempoUrl, 2048))
                    .col(string_len_null(JiraConfigs::TempoAccountId, 128))
                    .col(uuid(JiraConfigs::UpdatedBy))
                    .col(timestamp_with_time_zone(JiraConfigs::UpdatedAt))
                    .foreign_key(&mut tenant_key(JiraConfigs::Table, JiraConfigs::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TicketWorklogs::Table)
                    .col(uuid(TicketWorklogs::Id).primary_key())
                    .col(uuid(TicketWorklogs::TenantId))
                    .col(uuid(TicketWorklogs::TicketId))
                    .col(uuid(TicketWorklogs::WorklogId))
                    .col(string_len(TicketWorklogs::TempoId, 64))
                    .col(timestamp_with_time_zone(TicketWorklogs::PushedAt))
                    .foreign_key(&mut tenant_key(
                        TicketWorklogs::Table,
                        TicketWorklogs::TenantId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(TicketWorklogs::Table, TicketWorklogs::TicketId)
                            .to(Tickets::Table, Tickets::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A worklog is pushed once per issue.
        manager
            .create_index(
                Index::create()
                    .name("ticket_worklogs_once")
                    .table(TicketWorklogs::Table)
                    .col(TicketWorklogs::TicketId)
                    .col(TicketWorklogs::WorklogId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            TicketWorklogs::Table.into_iden(),
            JiraConfigs::Table.into_iden(),
            Tickets::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
