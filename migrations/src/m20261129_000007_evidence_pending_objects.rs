//! Objects of the evidence store that no committed row accounts for: uploads in flight and
//! deleted files awaiting removal. The sweep finishes what a crash interrupted.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum EvidencePendingObjects {
    Table,
    ObjectKey,
    TenantId,
    Purpose,
    RecordedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EvidencePendingObjects::Table)
                    .col(string_len(EvidencePendingObjects::ObjectKey, 255).primary_key())
                    .col(uuid(EvidencePendingObjects::TenantId))
                    .col(string_len(EvidencePendingObjects::Purpose, 16))
                    .col(timestamp_with_time_zone(EvidencePendingObjects::RecordedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_evidence_pending_objects_recorded")
                    .table(EvidencePendingObjects::Table)
                    .col(EvidencePendingObjects::RecordedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(EvidencePendingObjects::Table)
                    .to_owned(),
            )
            .await
    }
}
