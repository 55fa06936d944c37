//! The global ATT&CK catalog: tactics, techniques, mitigations, threat actors, software, the
//! STIX relationships between them, and the history of imports. Keys are STIX ids, so an
//! import upserts by the source's own identity.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Tactics {
    Table,
    StixId,
    MitreId,
    Name,
    Shortname,
    Description,
    Url,
    MatrixOrder,
    Modified,
    Fingerprint,
}

#[derive(DeriveIden)]
enum Techniques {
    Table,
    StixId,
    MitreId,
    Name,
    Description,
    Tactics,
    Platforms,
    Detection,
    Url,
    Version,
    ParentMitreId,
    IsSubtechnique,
    Revoked,
    Deprecated,
    RevokedBy,
    ReviewRequired,
    ReviewReason,
    Custom,
    Modified,
    Fingerprint,
    ImportedAt,
}

#[derive(DeriveIden)]
enum TechniqueTactics {
    Table,
    TechniqueStixId,
    TacticShortname,
}

#[derive(DeriveIden)]
enum Mitigations {
    Table,
    StixId,
    MitreId,
    Name,
    Description,
    Url,
    Revoked,
    Deprecated,
    Fingerprint,
}

#[derive(DeriveIden)]
enum ThreatActors {
    Table,
    StixId,
    MitreId,
    Name,
    Aliases,
    Description,
    References,
    Revoked,
    Deprecated,
    Modified,
    Fingerprint,
}

#[derive(DeriveIden)]
enum Software {
    Table,
    StixId,
    MitreId,
    Name,
    Kind,
    Aliases,
    Platforms,
    Description,
    Revoked,
    Deprecated,
    Fingerprint,
}

#[derive(DeriveIden)]
enum AttackRelationships {
    Table,
    StixId,
    Kind,
    SourceRef,
    TargetRef,
    Description,
    Fingerprint,
}

#[derive(DeriveIden)]
enum CatalogImports {
    Table,
    Id,
    Source,
    Status,
    RequestedBy,
    StartedAt,
    FinishedAt,
    Report,
    Error,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tactics::Table)
                    .col(string_len(Tactics::StixId, 100).primary_key())
                    .col(string_len(Tactics::MitreId, 16))
                    .col(string(Tactics::Name))
                    .col(string_len(Tactics::Shortname, 64))
                    .col(text(Tactics::Description))
                    .col(string_null(Tactics::Url))
                    .col(integer(Tactics::MatrixOrder))
                    .col(timestamp_with_time_zone_null(Tactics::Modified))
                    .col(string_len(Tactics::Fingerprint, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Techniques::Table)
                    .col(string_len(Techniques::StixId, 100).primary_key())
                    .col(string_len(Techniques::MitreId, 16))
                    .col(string(Techniques::Name))
                    .col(text(Techniques::Description))
                    .col(json(Techniques::Tactics))
                    .col(json(Techniques::Platforms))
                    .col(text(Techniques::Detection))
                    .col(string_null(Techniques::Url))
                    .col(string_len_null(Techniques::Version, 16))
                    .col(string_len_null(Techniques::ParentMitreId, 16))
                    .col(boolean(Techniques::IsSubtechnique))
                    .col(boolean(Techniques::Revoked))
                    .col(boolean(Techniques::Deprecated))
                    .col(string_len_null(Techniques::RevokedBy, 100))
                    .col(boolean(Techniques::ReviewRequired).default(false))
                    .col(text_null(Techniques::ReviewReason))
                    .col(boolean(Techniques::Custom).default(false))
                    .col(timestamp_with_time_zone_null(Techniques::Modified))
                    .col(string_len(Techniques::Fingerprint, 64))
                    .col(timestamp_with_time_zone(Techniques::ImportedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_techniques_mitre_id")
                    .table(Techniques::Table)
                    .col(Techniques::MitreId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TechniqueTactics::Table)
                    .col(string_len(TechniqueTactics::TechniqueStixId, 100))
                    .col(string_len(TechniqueTactics::TacticShortname, 64))
                    .primary_key(
                        Index::create()
                            .col(TechniqueTactics::TechniqueStixId)
                            .col(TechniqueTactics::TacticShortname),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_technique_tactics_technique")
                            .from(TechniqueTactics::Table, TechniqueTactics::TechniqueStixId)
                            .to(Techniques::Table, Techniques::StixId)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_technique_tactics_tactic")
                    .table(TechniqueTactics::Table)
                    .col(TechniqueTactics::TacticShortname)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Mitigations::Table)
                    .col(string_len(Mitigations::StixId, 100).primary_key())
                    .col(string_len(Mitigations::MitreId, 16))
                    .col(string(Mitigations::Name))
                    .col(text(Mitigations::Description))
                    .col(string_null(Mitigations::Url))
                    .col(boolean(Mitigations::Revoked))
                    .col(boolean(Mitigations::Deprecated))
                    .col(string_len(Mitigations::Fingerprint, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ThreatActors::Table)
                    .col(string_len(ThreatActors::StixId, 100).primary_key())
                    .col(string_len_null(ThreatActors::MitreId, 16))
                    .col(string(ThreatActors::Name))
                    .col(json(ThreatActors::Aliases))
                    .col(text(ThreatActors::Description))
                    .col(json(ThreatActors::References))
                    .col(boolean(ThreatActors::Revoked))
                    .col(boolean(ThreatActors::Deprecated))
                    .col(timestamp_with_time_zone_null(ThreatActors::Modified))
                    .col(string_len(ThreatActors::Fingerprint, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Software::Table)
                    .col(string_len(Software::StixId, 100).primary_key())
                    .col(string_len_null(Software::MitreId, 16))
                    .col(string(Software::Name))
                    .col(string_len(Software::Kind, 16))
                    .col(json(Software::Aliases))
                    .col(json(Software::Platforms))
                    .col(text(Software::Description))
                    .col(boolean(Software::Revoked))
                    .col(boolean(Software::Deprecated))
                    .col(string_len(Software::Fingerprint, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AttackRelationships::Table)
                    .col(string_len(AttackRelationships::StixId, 100).primary_key())
                    .col(string_len(AttackRelationships::Kind, 32))
                    .col(string_len(AttackRelationships::SourceRef, 100))
                    .col(string_len(AttackRelationships::TargetRef, 100))
                    .col(text_null(AttackRelationships::Description))
                    .col(string_len(AttackRelationships::Fingerprint, 64))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            (
                "idx_attack_relationships_source",
                AttackRelationships::SourceRef,
            ),
            (
                "idx_attack_relationships_target",
                AttackRelationships::TargetRef,
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(AttackRelationships::Table)
                        .col(column)
                        .col(AttackRelationships::Kind)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(CatalogImports::Table)
                    .col(uuid(CatalogImports::Id).primary_key())
                    .col(string_len(CatalogImports::Source, 512))
                    .col(string_len(CatalogImports::Status, 16))
                    .col(uuid_null(CatalogImports::RequestedBy))
                    .col(timestamp_with_time_zone(CatalogImports::StartedAt))
                    .col(timestamp_with_time_zone_null(CatalogImports::FinishedAt))
                    .col(json_null(CatalogImports::Report))
                    .col(text_null(CatalogImports::Error))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CatalogImports::Table.into_iden(),
            AttackRelationships::Table.into_iden(),
            Software::Table.into_iden(),
            ThreatActors::Table.into_iden(),
            Mitigations::Table.into_iden(),
            TechniqueTactics::Table.into_iden(),
            Techniques::Table.into_iden(),
            Tactics::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
