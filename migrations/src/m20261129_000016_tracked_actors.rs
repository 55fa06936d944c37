//! The threat actors each organization tracks, with the techniques it knew them to use.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum TrackedActors {
    Table,
    TenantId,
    ActorStixId,
    Name,
    MitreId,
    KnownTechniques,
    TrackedBy,
    TrackedAt,
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
                    .table(TrackedActors::Table)
                    .col(uuid(TrackedActors::TenantId))
                    .col(string_len(TrackedActors::ActorStixId, 128))
                    .col(text(TrackedActors::Name))
                    .col(string_len_null(TrackedActors::MitreId, 16))
                    .col(json(TrackedActors::KnownTechniques))
                    .col(uuid_null(TrackedActors::TrackedBy))
                    .col(timestamp_with_time_zone(TrackedActors::TrackedAt))
                    .primary_key(
                        Index::create()
                            .col(TrackedActors::TenantId)
                            .col(TrackedActors::ActorStixId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(TrackedActors::Table, TrackedActors::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TrackedActors::Table).to_owned())
            .await
    }
}
