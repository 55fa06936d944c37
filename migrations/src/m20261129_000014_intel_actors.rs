//! Threat intelligence from STIX bundles beyond ATT&CK, each actor kept whole with the
//! catalog threat actor it was merged into.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum IntelActors {
    Table,
    StixId,
    ActorStixId,
    Body,
    Fingerprint,
    ImportedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IntelActors::Table)
                    .col(string_len(IntelActors::StixId, 128).primary_key())
                    .col(string_len(IntelActors::ActorStixId, 128))
                    .col(json(IntelActors::Body))
                    .col(string_len(IntelActors::Fingerprint, 64))
                    .col(timestamp_with_time_zone(IntelActors::ImportedAt))
                    .col(timestamp_with_time_zone(IntelActors::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_intel_actors_actor")
                    .table(IntelActors::Table)
                    .col(IntelActors::ActorStixId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IntelActors::Table).to_owned())
            .await
    }
}
