//! The foundation: tenants, users, refresh sessions, revoked tokens, idempotency keys and the
//! hash-chained audit log. Every operational table carries its tenant.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    Slug,
    Name,
    CreatedAt,
    AuditSequence,
    AuditHeadHash,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    TenantId,
    Email,
    DisplayName,
    Role,
    PasswordHash,
    IsActive,
    MustChangePassword,
    FailedLoginAttempts,
    LockedUntil,
    CredentialsChangedAt,
    LastLoginAt,
    Preferences,
    CreatedAt,
    UpdatedAt,
    DeactivatedAt,
}

#[derive(DeriveIden)]
enum RefreshSessions {
    Table,
    Id,
    TenantId,
    UserId,
    FamilyId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    RevokedAt,
    ClientIp,
    UserAgent,
}

#[derive(DeriveIden)]
enum RevokedTokens {
    Table,
    TenantId,
    Jti,
    UserId,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    TenantId,
    ActorId,
    Scope,
    Key,
    Fingerprint,
    Response,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    TenantId,
    Sequence,
    ActorId,
    Action,
    EntityType,
    EntityId,
    Details,
    RequestId,
    ClientIp,
    OccurredAt,
    PreviousHash,
    Hash,
}

fn tenant_fk(
    table: impl IntoIden + 'static,
    column: impl IntoIden + 'static,
    name: &str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
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
                    .table(Tenants::Table)
                    .col(uuid(Tenants::Id).primary_key())
                    .col(string_len_uniq(Tenants::Slug, 63))
                    .col(string(Tenants::Name))
                    .col(timestamp_with_time_zone(Tenants::CreatedAt))
                    .col(big_integer(Tenants::AuditSequence).default(0))
                    .col(string_len(Tenants::AuditHeadHash, 64).default(GENESIS_HASH))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(uuid(Users::Id).primary_key())
                    .col(uuid(Users::TenantId))
                    .col(string_len_uniq(Users::Email, 254))
                    .col(string_len(Users::DisplayName, 120))
                    .col(string_len(Users::Role, 32))
                    .col(string(Users::PasswordHash))
                    .col(boolean(Users::IsActive))
                    .col(boolean(Users::MustChangePassword))
                    .col(integer(Users::FailedLoginAttempts).default(0))
                    .col(timestamp_with_time_zone_null(Users::LockedUntil))
                    .col(timestamp_with_time_zone(Users::CredentialsChangedAt))
                    .col(timestamp_with_time_zone_null(Users::LastLoginAt))
                    .col(json(Users::Preferences))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Users::DeactivatedAt))
                    .foreign_key(&mut tenant_fk(
                        Users::Table,
                        Users::TenantId,
                        "fk_users_tenant",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_users_tenant_email")
                    .table(Users::Table)
                    .col(Users::TenantId)
                    .col(Users::Email)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshSessions::Table)
                    .col(uuid(RefreshSessions::Id).primary_key())
                    .col(uuid(RefreshSessions::TenantId))
                    .col(uuid(RefreshSessions::UserId))
                    .col(uuid(RefreshSessions::FamilyId))
                    .col(string_len_uniq(RefreshSessions::TokenHash, 64))
                    .col(timestamp_with_time_zone(RefreshSessions::CreatedAt))
                    .col(timestamp_with_time_zone(RefreshSessions::ExpiresAt))
                    .col(timestamp_with_time_zone_null(RefreshSessions::UsedAt))
                    .col(timestamp_with_time_zone_null(RefreshSessions::RevokedAt))
                    .col(string_len_null(RefreshSessions::ClientIp, 64))
                    .col(string_len_null(RefreshSessions::UserAgent, 512))
                    .foreign_key(&mut tenant_fk(
                        RefreshSessions::Table,
                        RefreshSessions::TenantId,
                        "fk_refresh_sessions_tenant",
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refresh_sessions_user")
                            .from(RefreshSessions::Table, RefreshSessions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_refresh_sessions_family", RefreshSessions::FamilyId),
            ("idx_refresh_sessions_user", RefreshSessions::UserId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(RefreshSessions::Table)
                        .col(RefreshSessions::TenantId)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(RevokedTokens::Table)
                    .col(uuid(RevokedTokens::TenantId))
                    .col(string_len(RevokedTokens::Jti, 64))
                    .col(uuid(RevokedTokens::UserId))
                    .col(timestamp_with_time_zone(RevokedTokens::ExpiresAt))
                    .col(timestamp_with_time_zone(RevokedTokens::RevokedAt))
                    .primary_key(
                        Index::create()
                            .col(RevokedTokens::TenantId)
                            .col(RevokedTokens::Jti),
                    )
                    .foreign_key(&mut tenant_fk(
                        RevokedTokens::Table,
                        RevokedTokens::TenantId,
                        "fk_revoked_tokens_tenant",
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(uuid(IdempotencyKeys::TenantId))
                    .col(uuid(IdempotencyKeys::ActorId))
                    .col(string_len(IdempotencyKeys::Scope, 64))
                    .col(string_len(IdempotencyKeys::Key, 255))
                    .col(string_len(IdempotencyKeys::Fingerprint, 64))
                    .col(json(IdempotencyKeys::Response))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(IdempotencyKeys::TenantId)
                            .col(IdempotencyKeys::ActorId)
                            .col(IdempotencyKeys::Scope)
                            .col(IdempotencyKeys::Key),
                    )
                    .foreign_key(&mut tenant_fk(
                        IdempotencyKeys::Table,
                        IdempotencyKeys::TenantId,
                        "fk_idempotency_keys_tenant",
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(uuid(AuditLog::Id).primary_key())
                    .col(uuid(AuditLog::TenantId))
                    .col(big_integer(AuditLog::Sequence))
                    // No foreign key: the trail outlives the users it names.
                    .col(uuid_null(AuditLog::ActorId))
                    .col(string_len(AuditLog::Action, 100))
                    .col(string_len(AuditLog::EntityType, 100))
                    .col(string_len_null(AuditLog::EntityId, 255))
                    // Text, not JSON: the hash covers the exact string.
                    .col(text(AuditLog::Details))
                    .col(string_len_null(AuditLog::RequestId, 128))
                    .col(string_len_null(AuditLog::ClientIp, 64))
                    .col(timestamp_with_time_zone(AuditLog::OccurredAt))
                    .col(string_len(AuditLog::PreviousHash, 64))
                    .col(string_len(AuditLog::Hash, 64))
                    .foreign_key(&mut tenant_fk(
                        AuditLog::Table,
                        AuditLog::TenantId,
                        "fk_audit_log_tenant",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_log_sequence")
                    .table(AuditLog::Table)
                    .col(AuditLog::TenantId)
                    .col(AuditLog::Sequence)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_audit_log_occurred_at", AuditLog::OccurredAt),
            ("idx_audit_log_action", AuditLog::Action),
            ("idx_audit_log_actor", AuditLog::ActorId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(AuditLog::Table)
                        .col(AuditLog::TenantId)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditLog::Table.into_iden(),
            IdempotencyKeys::Table.into_iden(),
            RevokedTokens::Table.into_iden(),
            RefreshSessions::Table.into_iden(),
            Users::Table.into_iden(),
            Tenants::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
