//! D3FEND countermeasures and the ATT&CK techniques each counters.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Countermeasures {
    Table,
    D3fendId,
    Name,
    Tactic,
    Fingerprint,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CountermeasureTechniques {
    Table,
    D3fendId,
    TechniqueId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Countermeasures::Table)
                    .col(string_len(Countermeasures::D3fendId, 64).primary_key())
                    .col(text(Countermeasures::Name))
                    .col(string_len(Countermeasures::Tactic, 32))
                    .col(string_len(Countermeasures::Fingerprint, 64))
                    .col(timestamp_with_time_zone(Countermeasures::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CountermeasureTechniques::Table)
                    .col(string_len(CountermeasureTechniques::D3fendId, 64))
                    .col(string_len(CountermeasureTechniques::TechniqueId, 16))
                    .primary_key(
                        Index::create()
                            .col(CountermeasureTechniques::D3fendId)
                            .col(CountermeasureTechniques::TechniqueId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                CountermeasureTechniques::Table,
                                CountermeasureTechniques::D3fendId,
                            )
                            .to(Countermeasures::Table, Countermeasures::D3fendId)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_countermeasure_techniques_technique")
                    .table(CountermeasureTechniques::Table)
                    .col(CountermeasureTechniques::TechniqueId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(CountermeasureTechniques::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Countermeasures::Table).to_owned())
            .await
    }
}
