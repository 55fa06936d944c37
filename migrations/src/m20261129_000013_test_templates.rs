//! Test templates (Atomic Red Team, CALDERA, LOLBAS, GTFOBins) and living-off-the-land
//! binaries with the techniques they enable. Each is kept whole as JSON with the columns the
//! lists filter on; technique ids are kept as text, so an id the catalog does not know yet
//! resolves when a newer ATT&CK import brings it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum TestTemplates {
    Table,
    Id,
    Source,
    SourceId,
    Name,
    TechniqueId,
    /// `,windows,linux,`: a platform filter is one LIKE on both databases.
    Platforms,
    Body,
    Licence,
    Fingerprint,
    ImportedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LolBinaries {
    Table,
    Id,
    Source,
    Name,
    Body,
    Licence,
    Fingerprint,
    ImportedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LolBinaryTechniques {
    Table,
    BinaryId,
    TechniqueId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TestTemplates::Table)
                    .col(uuid(TestTemplates::Id).primary_key())
                    .col(string_len(TestTemplates::Source, 16))
                    .col(string_len(TestTemplates::SourceId, 160))
                    .col(text(TestTemplates::Name))
                    .col(string_len(TestTemplates::TechniqueId, 16))
                    .col(text(TestTemplates::Platforms))
                    .col(json(TestTemplates::Body))
                    .col(string_len(TestTemplates::Licence, 64))
                    .col(string_len(TestTemplates::Fingerprint, 64))
                    .col(timestamp_with_time_zone(TestTemplates::ImportedAt))
                    .col(timestamp_with_time_zone(TestTemplates::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_test_templates_source_id")
                    .table(TestTemplates::Table)
                    .col(TestTemplates::Source)
                    .col(TestTemplates::SourceId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_test_templates_technique")
                    .table(TestTemplates::Table)
                    .col(TestTemplates::TechniqueId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LolBinaries::Table)
                    .col(uuid(LolBinaries::Id).primary_key())
                    .col(string_len(LolBinaries::Source, 16))
                    .col(string_len(LolBinaries::Name, 160))
                    .col(json(LolBinaries::Body))
                    .col(string_len(LolBinaries::Licence, 64))
                    .col(string_len(LolBinaries::Fingerprint, 64))
                    .col(timestamp_with_time_zone(LolBinaries::ImportedAt))
                    .col(timestamp_with_time_zone(LolBinaries::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_lol_binaries_source_name")
                    .table(LolBinaries::Table)
                    .col(LolBinaries::Source)
                    .col(LolBinaries::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LolBinaryTechniques::Table)
                    .col(uuid(LolBinaryTechniques::BinaryId))
                    .col(string_len(LolBinaryTechniques::TechniqueId, 16))
                    .primary_key(
                        Index::create()
                            .col(LolBinaryTechniques::BinaryId)
                            .col(LolBinaryTechniques::TechniqueId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(LolBinaryTechniques::Table, LolBinaryTechniques::BinaryId)
                            .to(LolBinaries::Table, LolBinaries::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_lol_binary_techniques_technique")
                    .table(LolBinaryTechniques::Table)
                    .col(LolBinaryTechniques::TechniqueId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LolBinaryTechniques::Table.into_iden(),
            LolBinaries::Table.into_iden(),
            TestTemplates::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
