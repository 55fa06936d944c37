//! Risk per organization and technique, and the intelligence items whose recent mentions of a
//! technique feed it (global, like the catalog), the CTID mapping of KEV vulnerabilities to
//! ATT&CK, and each organization's reviews of the items.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum TechniqueRisks {
    Table,
    TenantId,
    TechniqueId,
    Score,
    Level,
    Likelihood,
    Impact,
    Breakdown,
    Inputs,
    ComputedAt,
}

#[derive(DeriveIden)]
enum OsintItems {
    Table,
    Id,
    Source,
    Feed,
    Url,
    Title,
    Summary,
    PublishedAt,
    Severity,
    Cvss,
    Cves,
    KnownExploited,
    ImportedAt,
}

#[derive(DeriveIden)]
enum OsintItemTechniques {
    Table,
    ItemId,
    TechniqueId,
}

#[derive(DeriveIden)]
enum KevAttackLinks {
    Table,
    Cve,
    TechniqueId,
    MappingType,
}

#[derive(DeriveIden)]
enum OsintReviews {
    Table,
    TenantId,
    ItemId,
    ReviewedBy,
    ReviewedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TechniqueRisks::Table)
                    .col(uuid(TechniqueRisks::TenantId))
                    .col(string(TechniqueRisks::TechniqueId))
                    .col(double(TechniqueRisks::Score))
                    .col(string(TechniqueRisks::Level))
                    .col(small_integer(TechniqueRisks::Likelihood))
                    .col(small_integer(TechniqueRisks::Impact))
                    .col(json(TechniqueRisks::Breakdown))
                    .col(json(TechniqueRisks::Inputs))
                    .col(timestamp_with_time_zone(TechniqueRisks::ComputedAt))
                    .primary_key(
                        Index::create()
                            .col(TechniqueRisks::TenantId)
                            .col(TechniqueRisks::TechniqueId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OsintItems::Table)
                    .col(uuid(OsintItems::Id).primary_key())
                    .col(string(OsintItems::Source))
                    .col(string(OsintItems::Feed))
                    .col(string(OsintItems::Url).unique_key())
                    .col(text(OsintItems::Title))
                    .col(text(OsintItems::Summary))
                    .col(timestamp_with_time_zone(OsintItems::PublishedAt))
                    .col(string_null(OsintItems::Severity))
                    .col(double_null(OsintItems::Cvss))
                    .col(json(OsintItems::Cves))
                    .col(boolean(OsintItems::KnownExploited))
                    .col(timestamp_with_time_zone(OsintItems::ImportedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_osint_items_published")
                    .table(OsintItems::Table)
                    .col(OsintItems::PublishedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OsintItemTechniques::Table)
                    .col(uuid(OsintItemTechniques::ItemId))
                    .col(string(OsintItemTechniques::TechniqueId))
                    .primary_key(
                        Index::create()
                            .col(OsintItemTechniques::ItemId)
                            .col(OsintItemTechniques::TechniqueId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(OsintItemTechniques::Table, OsintItemTechniques::ItemId)
                            .to(OsintItems::Table, OsintItems::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_osint_item_techniques_technique")
                    .table(OsintItemTechniques::Table)
                    .col(OsintItemTechniques::TechniqueId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(KevAttackLinks::Table)
                    .col(string(KevAttackLinks::Cve))
                    .col(string(KevAttackLinks::TechniqueId))
                    .col(string(KevAttackLinks::MappingType))
                    .primary_key(
                        Index::create()
                            .col(KevAttackLinks::Cve)
                            .col(KevAttackLinks::TechniqueId)
                            .col(KevAttackLinks::MappingType),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OsintReviews::Table)
                    .col(uuid(OsintReviews::TenantId))
                    .col(uuid(OsintReviews::ItemId))
                    .col(uuid(OsintReviews::ReviewedBy))
                    .col(timestamp_with_time_zone(OsintReviews::ReviewedAt))
                    .primary_key(
                        Index::create()
                            .col(OsintReviews::TenantId)
                            .col(OsintReviews::ItemId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(OsintReviews::Table, OsintReviews::ItemId)
                            .to(OsintItems::Table, OsintItems::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OsintReviews::Table.into_iden(),
            KevAttackLinks::Table.into_iden(),
            OsintItemTechniques::Table.into_iden(),
            OsintItems::Table.into_iden(),
            TechniqueRisks::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
