//! The detection lifecycle: detection assets with their techniques and history, the
//! validations that prove them (immutable but for ending once), infrastructure changes and
//! decay policies.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum DetectionAssets {
    Table,
    Id,
    TenantId,
    Name,
    Kind,
    OwnerId,
    Team,
    Platform,
    Status,
    Content,
    ContentSha256,
    RuleId,
    RuleSource,
    RuleSourceId,
    RuleTitle,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DetectionAssetTechniques {
    Table,
    TenantId,
    AssetId,
    TechniqueId,
}

#[derive(DeriveIden)]
enum DetectionAssetRevisions {
    Table,
    Id,
    TenantId,
    AssetId,
    Version,
    Change,
    ContentSha256,
    Status,
    ChangedBy,
    ChangedAt,
}

#[derive(DeriveIden)]
enum DetectionValidations {
    Table,
    Id,
    TenantId,
    AssetId,
    TechniqueId,
    Source,
    TestId,
    Outcome,
    Evidence,
    Notes,
    ContentSha256,
    ValidatedBy,
    ValidatedAt,
    ExpiresAt,
    EndedAt,
    EndReason,
    EndedByChange,
}

#[derive(DeriveIden)]
enum InfrastructureChanges {
    Table,
    Id,
    TenantId,
    Title,
    Description,
    OccurredAt,
    Platforms,
    Assets,
    RecordedBy,
    RecordedAt,
    EndedValidations,
}

#[derive(DeriveIden)]
enum DecayPolicies {
    Table,
    Id,
    TenantId,
    Platform,
    Tactic,
    /// `platform|tactic` in lower case (empty for any): one policy per scope.
    ScopeKey,
    ValidityDays,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

fn tenant_key<T: IntoIden + 'static>(table: T, column: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Tenants::Table, Tenants::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn asset_key<T: IntoIden + 'static>(table: T, column: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(DetectionAssets::Table, DetectionAssets::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden + 'static,
    columns: Vec<DynIden>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut statement = Index::create();
    statement.name(name).table(table);
    for column in columns {
        statement.col(column);
    }
    if unique {
        statement.unique();
    }
    manager.create_index(statement.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DetectionAssets::Table)
                    .col(uuid(DetectionAssets::Id).primary_key())
                    .col(uuid(DetectionAssets::TenantId))
                    .col(string_len(DetectionAssets::Name, 200))
                    .col(string_len(DetectionAssets::Kind, 24))
                    .col(uuid_null(DetectionAssets::OwnerId))
                    .col(string_len(DetectionAssets::Team, 100))
                    .col(string_len(DetectionAssets::Platform, 100))
                    .col(string_len(DetectionAssets::Status, 16))
                    .col(text(DetectionAssets::Content))
                    .col(string_len(DetectionAssets::ContentSha256, 64))
                    .col(uuid_null(DetectionAssets::RuleId))
                    .col(string_len_null(DetectionAssets::RuleSource, 16))
                    .col(string_len_null(DetectionAssets::RuleSourceId, 200))
                    .col(string_len_null(DetectionAssets::RuleTitle, 500))
                    .col(integer(DetectionAssets::Version))
                    .col(uuid(DetectionAssets::CreatedBy))
                    .col(timestamp_with_time_zone(DetectionAssets::CreatedAt))
                    .col(timestamp_with_time_zone(DetectionAssets::UpdatedAt))
                    .foreign_key(&mut tenant_key(
                        DetectionAssets::Table,
                        DetectionAssets::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "detection_assets_unique_name",
            DetectionAssets::Table,
            vec![
                DetectionAssets::TenantId.into_iden(),
                DetectionAssets::Name.into_iden(),
                DetectionAssets::Platform.into_iden(),
            ],
            true,
        )
        .await?;
        index(
            manager,
            "detection_assets_by_rule",
            DetectionAssets::Table,
            vec![
                DetectionAssets::TenantId.into_iden(),
                DetectionAssets::RuleId.into_iden(),
            ],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(DetectionAssetTechniques::Table)
                    .col(uuid(DetectionAssetTechniques::TenantId))
                    .col(uuid(DetectionAssetTechniques::AssetId))
                    .col(string_len(DetectionAssetTechniques::TechniqueId, 16))
                    .primary_key(
                        Index::create()
                            .col(DetectionAssetTechniques::AssetId)
                            .col(DetectionAssetTechniques::TechniqueId),
                    )
                    .foreign_key(&mut asset_key(
                        DetectionAssetTechniques::Table,
                        DetectionAssetTechniques::AssetId,
                    ))
                    .foreign_key(&mut tenant_key(
                        DetectionAssetTechniques::Table,
                        DetectionAssetTechniques::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "detection_asset_techniques_by_technique",
            DetectionAssetTechniques::Table,
            vec![
                DetectionAssetTechniques::TenantId.into_iden(),
                DetectionAssetTechniques::TechniqueId.into_iden(),
            ],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(DetectionAssetRevisions::Table)
                    .col(uuid(DetectionAssetRevisions::Id).primary_key())
                    .col(uuid(DetectionAssetRevisions::TenantId))
                    .col(uuid(DetectionAssetRevisions::AssetId))
                    .col(integer(DetectionAssetRevisions::Version))
                    .col(string_len(DetectionAssetRevisions::Change, 32))
                    .col(string_len(DetectionAssetRevisions::ContentSha256, 64))
                    .col(string_len(DetectionAssetRevisions::Status, 16))
                    .col(uuid_null(DetectionAssetRevisions::ChangedBy))
                    .col(timestamp_with_time_zone(DetectionAssetRevisions::ChangedAt))
                    .foreign_key(&mut asset_key(
                        DetectionAssetRevisions::Table,
                        DetectionAssetRevisions::AssetId,
                    ))
                    .foreign_key(&mut tenant_key(
                        DetectionAssetRevisions::Table,
                        DetectionAssetRevisions::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "detection_asset_revisions_by_asset",
            DetectionAssetRevisions::Table,
            vec![
                DetectionAssetRevisions::TenantId.into_iden(),
                DetectionAssetRevisions::AssetId.into_iden(),
            ],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(DetectionValidations::Table)
                    .col(uuid(DetectionValidations::Id).primary_key())
                    .col(uuid(DetectionValidations::TenantId))
                    .col(uuid(DetectionValidations::AssetId))
                    .col(string_len(DetectionValidations::TechniqueId, 16))
                    .col(string_len(DetectionValidations::Source, 16))
                    .col(uuid_null(DetectionValidations::TestId))
                    .col(string_len_null(DetectionValidations::Outcome, 16))
                    .col(text_null(DetectionValidations::Evidence))
                    .col(text(DetectionValidations::Notes))
                    .col(string_len(DetectionValidations::ContentSha256, 64))
                    .col(uuid_null(DetectionValidations::ValidatedBy))
                    .col(timestamp_with_time_zone(DetectionValidations::ValidatedAt))
                    .col(timestamp_with_time_zone(DetectionValidations::ExpiresAt))
                    .col(timestamp_with_time_zone_null(DetectionValidations::EndedAt))
                    .col(text_null(DetectionValidations::EndReason))
                    .col(uuid_null(DetectionValidations::EndedByChange))
                    .foreign_key(&mut asset_key(
                        DetectionValidations::Table,
                        DetectionValidations::AssetId,
                    ))
                    .foreign_key(&mut tenant_key(
                        DetectionValidations::Table,
                        DetectionValidations::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            (
                "detection_validations_by_technique",
                DetectionValidations::TechniqueId,
            ),
            (
                "detection_validations_by_asset",
                DetectionValidations::AssetId,
            ),
            (
                "detection_validations_by_expiry",
                DetectionValidations::ExpiresAt,
            ),
        ] {
            index(
                manager,
                name,
                DetectionValidations::Table,
                vec![
                    DetectionValidations::TenantId.into_iden(),
                    column.into_iden(),
                ],
                false,
            )
            .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(InfrastructureChanges::Table)
                    .col(uuid(InfrastructureChanges::Id).primary_key())
                    .col(uuid(InfrastructureChanges::TenantId))
                    .col(string_len(InfrastructureChanges::Title, 200))
                    .col(text(InfrastructureChanges::Description))
                    .col(timestamp_with_time_zone(InfrastructureChanges::OccurredAt))
                    .col(json(InfrastructureChanges::Platforms))
                    .col(json(InfrastructureChanges::Assets))
                    .col(uuid(InfrastructureChanges::RecordedBy))
                    .col(timestamp_with_time_zone(InfrastructureChanges::RecordedAt))
                    .col(integer(InfrastructureChanges::EndedValidations))
                    .foreign_key(&mut tenant_key(
                        InfrastructureChanges::Table,
                        InfrastructureChanges::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "infrastructure_changes_by_tenant",
            InfrastructureChanges::Table,
            vec![
                InfrastructureChanges::TenantId.into_iden(),
                InfrastructureChanges::OccurredAt.into_iden(),
            ],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(DecayPolicies::Table)
                    .col(uuid(DecayPolicies::Id).primary_key())
                    .col(uuid(DecayPolicies::TenantId))
                    .col(string_len_null(DecayPolicies::Platform, 100))
                    .col(string_len_null(DecayPolicies::Tactic, 64))
                    .col(string_len(DecayPolicies::ScopeKey, 170))
                    .col(integer(DecayPolicies::ValidityDays))
                    .foreign_key(&mut tenant_key(
                        DecayPolicies::Table,
                        DecayPolicies::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "decay_policies_one_per_scope",
            DecayPolicies::Table,
            vec![
                DecayPolicies::TenantId.into_iden(),
                DecayPolicies::ScopeKey.into_iden(),
            ],
            true,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DecayPolicies::Table.into_iden(),
            InfrastructureChanges::Table.into_iden(),
            DetectionValidations::Table.into_iden(),
            DetectionAssetRevisions::Table.into_iden(),
            DetectionAssetTechniques::Table.into_iden(),
            DetectionAssets::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
