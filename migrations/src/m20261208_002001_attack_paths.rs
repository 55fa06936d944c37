//! Attack paths: each organization's chains of techniques. The graph (steps and edges) is one
//! JSON document, always read and written whole with its path.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum AttackPaths {
    Table,
    Id,
    TenantId,
    Name,
    Description,
    Source,
    Origin,
    Graph,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
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
                    .table(AttackPaths::Table)
                    .col(uuid(AttackPaths::Id).primary_key())
                    .col(uuid(AttackPaths::TenantId))
                    .col(string_len(AttackPaths::Name, 200))
                    .col(text(AttackPaths::Description))
                    .col(string_len(AttackPaths::Source, 24))
                    .col(string_len_null(AttackPaths::Origin, 300))
                    .col(json(AttackPaths::Graph))
                    .col(integer(AttackPaths::Version))
                    .col(uuid_null(AttackPaths::CreatedBy))
                    .col(timestamp_with_time_zone(AttackPaths::CreatedAt))
                    .col(timestamp_with_time_zone(AttackPaths::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AttackPaths::Table, AttackPaths::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("attack_paths_by_tenant")
                    .table(AttackPaths::Table)
                    .col(AttackPaths::TenantId)
                    .col(AttackPaths::CreatedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AttackPaths::Table).to_owned())
            .await
    }
}
