//! Tenants an operator runs: a tenant can be disabled (its sign-ins stop, its rows stay), and
//! the platform operators, the users above tenant admins who create and disable tenants.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    DisabledAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

/// A table of its own rather than a role: operating the platform is not a tenant role, and
/// the permission matrix of tenant roles stays as it is.
#[derive(DeriveIden)]
enum PlatformOperators {
    Table,
    UserId,
    TenantId,
    GrantedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .add_column(timestamp_with_time_zone_null(Tenants::DisabledAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PlatformOperators::Table)
                    .col(uuid(PlatformOperators::UserId).primary_key())
                    .col(uuid(PlatformOperators::TenantId))
                    .col(timestamp_with_time_zone(PlatformOperators::GrantedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PlatformOperators::Table, PlatformOperators::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PlatformOperators::Table, PlatformOperators::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PlatformOperators::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .drop_column(Tenants::DisabledAt)
                    .to_owned(),
            )
            .await
    }
}
