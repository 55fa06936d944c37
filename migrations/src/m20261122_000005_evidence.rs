//! Evidence files of tests and their chain of custody.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Tests {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Evidence {
    Table,
    Id,
    TenantId,
    TestId,
    Team,
    Filename,
    ContentType,
    SizeBytes,
    Sha256,
    ObjectKey,
    UploadedBy,
    UploadedAt,
    DeletedAt,
    DeletedBy,
    DeleteReason,
}

#[derive(DeriveIden)]
enum EvidenceCustody {
    Table,
    Id,
    TenantId,
    EvidenceId,
    Kind,
    ActorId,
    OccurredAt,
    Sha256,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Evidence::Table)
                    .col(uuid(Evidence::Id).primary_key())
                    .col(uuid(Evidence::TenantId))
                    .col(uuid(Evidence::TestId))
                    .col(string_len(Evidence::Team, 8))
                    .col(string_len(Evidence::Filename, 255))
                    .col(string_len(Evidence::ContentType, 128))
                    .col(big_integer(Evidence::SizeBytes))
                    .col(string_len(Evidence::Sha256, 64))
                    .col(string_len(Evidence::ObjectKey, 255))
                    .col(uuid(Evidence::UploadedBy))
                    .col(timestamp_with_time_zone(Evidence::UploadedAt))
                    .col(timestamp_with_time_zone_null(Evidence::DeletedAt))
                    .col(uuid_null(Evidence::DeletedBy))
                    .col(text_null(Evidence::DeleteReason))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_evidence_test")
                            .from(Evidence::Table, Evidence::TestId)
                            .to(Tests::Table, Tests::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_evidence_test")
                    .table(Evidence::Table)
                    .col(Evidence::TenantId)
                    .col(Evidence::TestId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EvidenceCustody::Table)
                    .col(uuid(EvidenceCustody::Id).primary_key())
                    .col(uuid(EvidenceCustody::TenantId))
                    .col(uuid(EvidenceCustody::EvidenceId))
                    .col(string_len(EvidenceCustody::Kind, 32))
                    .col(uuid(EvidenceCustody::ActorId))
                    .col(timestamp_with_time_zone(EvidenceCustody::OccurredAt))
                    .col(string_len(EvidenceCustody::Sha256, 64))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_evidence_custody_evidence")
                            .from(EvidenceCustody::Table, EvidenceCustody::EvidenceId)
                            .to(Evidence::Table, Evidence::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_evidence_custody_evidence")
                    .table(EvidenceCustody::Table)
                    .col(EvidenceCustody::EvidenceId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EvidenceCustody::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Evidence::Table).to_owned())
            .await
    }
}
