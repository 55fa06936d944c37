//! Single sign-on through OpenID Connect: each tenant's provider configuration, the sign-ins
//! waiting for the provider's answer, and the provider subjects linked to users.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum SsoConfigs {
    Table,
    TenantId,
    DisplayName,
    Issuer,
    ClientId,
    SealedClientSecret,
    Scopes,
    GroupsClaim,
    /// A JSON array of `{group, role}`, read in order.
    RoleMappings,
    DefaultRole,
    JitProvisioning,
    SsoOnly,
    BreakGlassEmail,
    Enabled,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SsoSignIns {
    Table,
    Id,
    TenantId,
    StateHash,
    Nonce,
    SealedPkceVerifier,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SsoIdentities {
    Table,
    TenantId,
    Issuer,
    Subject,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

fn tenant_key(table: impl IntoIden + Copy, column: impl IntoIden) -> ForeignKeyCreateStatement {
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
                    .table(SsoConfigs::Table)
                    .col(uuid(SsoConfigs::TenantId).primary_key())
                    .col(string_len(SsoConfigs::DisplayName, 100))
                    .col(string_len(SsoConfigs::Issuer, 2048))
                    .col(string_len(SsoConfigs::ClientId, 255))
                    .col(text_null(SsoConfigs::SealedClientSecret))
                    .col(string_len(SsoConfigs::Scopes, 1000))
                    .col(string_len(SsoConfigs::GroupsClaim, 100))
                    .col(text(SsoConfigs::RoleMappings))
                    .col(string_len_null(SsoConfigs::DefaultRole, 20))
                    .col(boolean(SsoConfigs::JitProvisioning))
                    .col(boolean(SsoConfigs::SsoOnly))
                    .col(string_len_null(SsoConfigs::BreakGlassEmail, 320))
                    .col(boolean(SsoConfigs::Enabled))
                    .col(timestamp_with_time_zone(SsoConfigs::UpdatedAt))
                    .foreign_key(&mut tenant_key(SsoConfigs::Table, SsoConfigs::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SsoSignIns::Table)
                    .col(uuid(SsoSignIns::Id).primary_key())
                    .col(uuid(SsoSignIns::TenantId))
                    .col(string_len(SsoSignIns::StateHash, 64))
                    .col(string_len(SsoSignIns::Nonce, 128))
                    .col(text(SsoSignIns::SealedPkceVerifier))
                    .col(timestamp_with_time_zone(SsoSignIns::CreatedAt))
                    .col(timestamp_with_time_zone(SsoSignIns::ExpiresAt))
                    .col(timestamp_with_time_zone_null(SsoSignIns::UsedAt))
                    .foreign_key(&mut tenant_key(SsoSignIns::Table, SsoSignIns::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sso_sign_ins_by_state")
                    .table(SsoSignIns::Table)
                    .col(SsoSignIns::TenantId)
                    .col(SsoSignIns::StateHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SsoIdentities::Table)
                    .col(uuid(SsoIdentities::TenantId))
                    .col(string_len(SsoIdentities::Issuer, 2048))
                    .col(string_len(SsoIdentities::Subject, 255))
                    .col(uuid(SsoIdentities::UserId))
                    .col(timestamp_with_time_zone(SsoIdentities::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(SsoIdentities::TenantId)
                            .col(SsoIdentities::Issuer)
                            .col(SsoIdentities::Subject),
                    )
                    .foreign_key(&mut tenant_key(
                        SsoIdentities::Table,
                        SsoIdentities::TenantId,
                    ))
                    .foreign_key(
                        &mut ForeignKey::create()
                            .from(SsoIdentities::Table, SsoIdentities::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SsoIdentities::Table.into_iden(),
            SsoSignIns::Table.into_iden(),
            SsoConfigs::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
