//! A tenant's scan policy profile, and the waivers (suppressions, baselines, exceptions)
//! that let findings through.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum ScanPolicies {
    Table,
    TenantId,
    /// The `ScanPolicy`, JSON.
    Policy,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ScanWaivers {
    Table,
    Id,
    TenantId,
    /// `suppression`, `baseline` or `exception`.
    Kind,
    /// What the waiver is unique by within its kind: the fingerprint, the repository, or
    /// the rule and the pattern.
    Subject,
    Fingerprint,
    Repository,
    ScanId,
    /// A baseline's fingerprints, a JSON array.
    Fingerprints,
    RuleId,
    PathPattern,
    Reason,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
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
                    .table(ScanPolicies::Table)
                    .col(uuid(ScanPolicies::TenantId).primary_key())
                    .col(text(ScanPolicies::Policy))
                    .col(uuid(ScanPolicies::UpdatedBy))
                    .col(timestamp_with_time_zone(ScanPolicies::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ScanPolicies::Table, ScanPolicies::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ScanWaivers::Table)
                    .col(uuid(ScanWaivers::Id).primary_key())
                    .col(uuid(ScanWaivers::TenantId))
                    .col(string_len(ScanWaivers::Kind, 16))
                    .col(string_len(ScanWaivers::Subject, 1100))
                    .col(string_len_null(ScanWaivers::Fingerprint, 64))
                    .col(string_len_null(ScanWaivers::Repository, 500))
                    .col(uuid_null(ScanWaivers::ScanId))
                    .col(text_null(ScanWaivers::Fingerprints))
                    .col(string_len_null(ScanWaivers::RuleId, 100))
                    .col(string_len_null(ScanWaivers::PathPattern, 500))
                    .col(text(ScanWaivers::Reason))
                    .col(uuid(ScanWaivers::CreatedBy))
                    .col(timestamp_with_time_zone(ScanWaivers::CreatedAt))
                    .col(timestamp_with_time_zone_null(ScanWaivers::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ScanWaivers::Table, ScanWaivers::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One waiver per subject and kind: a second suppression of a fingerprint is a
        // conflict, not a second row to forget when the first is deleted.
        manager
            .create_index(
                Index::create()
                    .name("scan_waivers_unique_subject")
                    .table(ScanWaivers::Table)
                    .col(ScanWaivers::TenantId)
                    .col(ScanWaivers::Kind)
                    .col(ScanWaivers::Subject)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ScanWaivers::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ScanPolicies::Table).to_owned())
            .await
    }
}
