//! Multi-factor sign-in: TOTP factors, recovery codes, each tenant's policy, and the
//! challenges between the password and the second step.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum MfaFactors {
    Table,
    TenantId,
    UserId,
    SealedSecret,
    ConfirmedAt,
    CreatedAt,
    LastUsedStep,
}

#[derive(DeriveIden, Clone, Copy)]
enum MfaRecoveryCodes {
    Table,
    Id,
    TenantId,
    UserId,
    CodeHash,
    UsedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum MfaPolicies {
    Table,
    TenantId,
    RequiredRoles,
}

#[derive(DeriveIden, Clone, Copy)]
enum MfaChallenges {
    Table,
    Id,
    TenantId,
    UserId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    FailedAttempts,
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

fn user_key(table: impl IntoIden + Copy, column: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MfaFactors::Table)
                    .col(uuid(MfaFactors::TenantId))
                    .col(uuid(MfaFactors::UserId))
                    .col(text(MfaFactors::SealedSecret))
                    .col(timestamp_with_time_zone_null(MfaFactors::ConfirmedAt))
                    .col(timestamp_with_time_zone(MfaFactors::CreatedAt))
                    .col(big_integer_null(MfaFactors::LastUsedStep))
                    .primary_key(
                        Index::create()
                            .col(MfaFactors::TenantId)
                            .col(MfaFactors::UserId),
                    )
                    .foreign_key(&mut tenant_key(MfaFactors::Table, MfaFactors::TenantId))
                    .foreign_key(&mut user_key(MfaFactors::Table, MfaFactors::UserId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MfaRecoveryCodes::Table)
                    .col(uuid(MfaRecoveryCodes::Id).primary_key())
                    .col(uuid(MfaRecoveryCodes::TenantId))
                    .col(uuid(MfaRecoveryCodes::UserId))
                    .col(string_len(MfaRecoveryCodes::CodeHash, 64))
                    .col(timestamp_with_time_zone_null(MfaRecoveryCodes::UsedAt))
                    .foreign_key(&mut tenant_key(
                        MfaRecoveryCodes::Table,
                        MfaRecoveryCodes::TenantId,
                    ))
                    .foreign_key(&mut user_key(
                        MfaRecoveryCodes::Table,
                        MfaRecoveryCodes::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("mfa_recovery_codes_by_user")
                    .table(MfaRecoveryCodes::Table)
                    .col(MfaRecoveryCodes::TenantId)
                    .col(MfaRecoveryCodes::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MfaPolicies::Table)
                    .col(uuid(MfaPolicies::TenantId).primary_key())
                    .col(string_len(MfaPolicies::RequiredRoles, 200))
                    .foreign_key(&mut tenant_key(MfaPolicies::Table, MfaPolicies::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MfaChallenges::Table)
                    .col(uuid(MfaChallenges::Id).primary_key())
                    .col(uuid(MfaChallenges::TenantId))
                    .col(uuid(MfaChallenges::UserId))
                    .col(string_len(MfaChallenges::TokenHash, 64))
                    .col(timestamp_with_time_zone(MfaChallenges::CreatedAt))
                    .col(timestamp_with_time_zone(MfaChallenges::ExpiresAt))
                    .col(timestamp_with_time_zone_null(MfaChallenges::UsedAt))
                    .col(integer(MfaChallenges::FailedAttempts).default(0))
                    .foreign_key(&mut tenant_key(
                        MfaChallenges::Table,
                        MfaChallenges::TenantId,
                    ))
                    .foreign_key(&mut user_key(MfaChallenges::Table, MfaChallenges::UserId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("mfa_challenges_by_hash")
                    .table(MfaChallenges::Table)
                    .col(MfaChallenges::TenantId)
                    .col(MfaChallenges::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            MfaChallenges::Table.into_iden(),
            MfaPolicies::Table.into_iden(),
            MfaRecoveryCodes::Table.into_iden(),
            MfaFactors::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
