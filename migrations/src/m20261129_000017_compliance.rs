//! Compliance frameworks and their control → technique mappings (imported, never shipped).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum ComplianceFrameworks {
    Table,
    Id,
    Name,
    Version,
    AttackVersion,
    Source,
    Fingerprint,
    ImportedAt,
}

#[derive(DeriveIden)]
enum ComplianceMappings {
    Table,
    FrameworkId,
    ControlId,
    TechniqueId,
    ControlName,
    ControlGroup,
    MappingType,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ComplianceFrameworks::Table)
                    .col(string_len(ComplianceFrameworks::Id, 64).primary_key())
                    .col(text(ComplianceFrameworks::Name))
                    .col(string_len(ComplianceFrameworks::Version, 32))
                    .col(string_len(ComplianceFrameworks::AttackVersion, 16))
                    .col(text(ComplianceFrameworks::Source))
                    .col(string_len(ComplianceFrameworks::Fingerprint, 64))
                    .col(timestamp_with_time_zone(ComplianceFrameworks::ImportedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ComplianceMappings::Table)
                    .col(string_len(ComplianceMappings::FrameworkId, 64))
                    .col(string_len(ComplianceMappings::ControlId, 64))
                    .col(string_len(ComplianceMappings::TechniqueId, 16))
                    .col(text(ComplianceMappings::ControlName))
                    .col(string_len_null(ComplianceMappings::ControlGroup, 64))
                    .col(string_len(ComplianceMappings::MappingType, 32))
                    .primary_key(
                        Index::create()
                            .col(ComplianceMappings::FrameworkId)
                            .col(ComplianceMappings::ControlId)
                            .col(ComplianceMappings::TechniqueId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ComplianceMappings::Table, ComplianceMappings::FrameworkId)
                            .to(ComplianceFrameworks::Table, ComplianceFrameworks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ComplianceMappings::Table.into_iden(),
            ComplianceFrameworks::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
