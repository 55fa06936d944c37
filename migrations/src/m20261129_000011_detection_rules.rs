//! Detection rules imported from Sigma and Elastic, and the ATT&CK techniques each is tagged
//! with (kept as ids, so a technique the catalog does not know yet resolves when it arrives).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum DetectionRules {
    Table,
    Id,
    Source,
    SourceId,
    Title,
    Description,
    Status,
    Severity,
    RiskScore,
    Kind,
    Tactics,
    Author,
    References,
    FalsePositives,
    CreatedOn,
    ModifiedOn,
    LogSource,
    Text,
    Path,
    Deprecated,
    Licence,
    Fingerprint,
    ImportedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DetectionRuleTechniques {
    Table,
    RuleId,
    TechniqueId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DetectionRules::Table)
                    .col(uuid(DetectionRules::Id).primary_key())
                    .col(string_len(DetectionRules::Source, 16))
                    .col(string_len(DetectionRules::SourceId, 128))
                    .col(text(DetectionRules::Title))
                    .col(text(DetectionRules::Description))
                    .col(string_len(DetectionRules::Status, 32))
                    .col(string_len(DetectionRules::Severity, 16))
                    .col(integer_null(DetectionRules::RiskScore))
                    .col(string_len(DetectionRules::Kind, 64))
                    .col(json(DetectionRules::Tactics))
                    .col(text_null(DetectionRules::Author))
                    .col(json(DetectionRules::References))
                    .col(json(DetectionRules::FalsePositives))
                    .col(date_null(DetectionRules::CreatedOn))
                    .col(date_null(DetectionRules::ModifiedOn))
                    .col(text_null(DetectionRules::LogSource))
                    .col(text(DetectionRules::Text))
                    .col(text(DetectionRules::Path))
                    .col(boolean(DetectionRules::Deprecated))
                    .col(string_len(DetectionRules::Licence, 128))
                    .col(string_len(DetectionRules::Fingerprint, 64))
                    .col(timestamp_with_time_zone(DetectionRules::ImportedAt))
                    .col(timestamp_with_time_zone(DetectionRules::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_detection_rules_source_id")
                    .table(DetectionRules::Table)
                    .col(DetectionRules::Source)
                    .col(DetectionRules::SourceId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DetectionRuleTechniques::Table)
                    .col(uuid(DetectionRuleTechniques::RuleId))
                    .col(string_len(DetectionRuleTechniques::TechniqueId, 16))
                    .primary_key(
                        Index::create()
                            .col(DetectionRuleTechniques::RuleId)
                            .col(DetectionRuleTechniques::TechniqueId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                DetectionRuleTechniques::Table,
                                DetectionRuleTechniques::RuleId,
                            )
                            .to(DetectionRules::Table, DetectionRules::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_detection_rule_techniques_technique")
                    .table(DetectionRuleTechniques::Table)
                    .col(DetectionRuleTechniques::TechniqueId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(DetectionRuleTechniques::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(DetectionRules::Table).to_owned())
            .await
    }
}
