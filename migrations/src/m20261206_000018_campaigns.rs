//! Campaigns with their schedule, phases and recurrence; dependencies between tests; and the
//! findings opened by missed detections, with their remediation steps.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    TenantId,
    Name,
    Description,
    Objective,
    Kind,
    Status,
    StartsOn,
    EndsOn,
    Phases,
    Recurrence,
    NextRunAt,
    ThreatActor,
    PredecessorId,
    RunNumber,
    TestOrder,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    ActivatedAt,
    CompletedAt,
}

#[derive(DeriveIden)]
enum TestDependencies {
    Table,
    TenantId,
    TestId,
    DependsOn,
}

#[derive(DeriveIden)]
enum Findings {
    Table,
    Id,
    TenantId,
    TestId,
    TechniqueId,
    CampaignId,
    Title,
    Outcome,
    Severity,
    SeverityRank,
    Status,
    OwnerId,
    DueOn,
    Steps,
    RiskReason,
    RiskExpiresOn,
    RiskAcceptedBy,
    RetestId,
    LastRetestOutcome,
    ResolvedAt,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Tests {
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Campaigns::Table)
                    .col(uuid(Campaigns::Id).primary_key())
                    .col(uuid(Campaigns::TenantId))
                    .col(string_len(Campaigns::Name, 200))
                    .col(text(Campaigns::Description))
                    .col(text(Campaigns::Objective))
                    .col(string_len(Campaigns::Kind, 16))
                    .col(string_len(Campaigns::Status, 16))
                    .col(date_null(Campaigns::StartsOn))
                    .col(date_null(Campaigns::EndsOn))
                    .col(json(Campaigns::Phases))
                    .col(string_len_null(Campaigns::Recurrence, 200))
                    .col(timestamp_with_time_zone_null(Campaigns::NextRunAt))
                    .col(string_len_null(Campaigns::ThreatActor, 128))
                    .col(uuid_null(Campaigns::PredecessorId))
                    .col(integer(Campaigns::RunNumber))
                    .col(json(Campaigns::TestOrder))
                    .col(integer(Campaigns::Version))
                    .col(uuid_null(Campaigns::CreatedBy))
                    .col(timestamp_with_time_zone(Campaigns::CreatedAt))
                    .col(timestamp_with_time_zone(Campaigns::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Campaigns::ActivatedAt))
                    .col(timestamp_with_time_zone_null(Campaigns::CompletedAt))
                    .foreign_key(&mut tenant_key(Campaigns::Table, Campaigns::TenantId))
                    .to_owned(),
            )
            .await?;
        // One successor per run: the recurring job spawns each due run exactly once, even
        // when two workers race.
        manager
            .create_index(
                Index::create()
                    .name("campaigns_one_successor")
                    .table(Campaigns::Table)
                    .col(Campaigns::PredecessorId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("campaigns_by_tenant")
                    .table(Campaigns::Table)
                    .col(Campaigns::TenantId)
                    .col(Campaigns::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TestDependencies::Table)
                    .col(uuid(TestDependencies::TenantId))
                    .col(uuid(TestDependencies::TestId))
                    .col(uuid(TestDependencies::DependsOn))
                    .primary_key(
                        Index::create()
                            .col(TestDependencies::TestId)
                            .col(TestDependencies::DependsOn),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(TestDependencies::Table, TestDependencies::TestId)
                            .to(Tests::Table, Tests::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(TestDependencies::Table, TestDependencies::DependsOn)
                            .to(Tests::Table, Tests::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut tenant_key(
                        TestDependencies::Table,
                        TestDependencies::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Findings::Table)
                    .col(uuid(Findings::Id).primary_key())
                    .col(uuid(Findings::TenantId))
                    .col(uuid(Findings::TestId))
                    .col(string_len(Findings::TechniqueId, 16))
                    .col(uuid_null(Findings::CampaignId))
                    .col(string_len(Findings::Title, 300))
                    .col(string_len(Findings::Outcome, 16))
                    .col(string_len(Findings::Severity, 16))
                    .col(small_integer(Findings::SeverityRank))
                    .col(string_len(Findings::Status, 24))
                    .col(uuid_null(Findings::OwnerId))
                    .col(date_null(Findings::DueOn))
                    .col(json(Findings::Steps))
                    .col(text_null(Findings::RiskReason))
                    .col(date_null(Findings::RiskExpiresOn))
                    .col(uuid_null(Findings::RiskAcceptedBy))
                    .col(uuid_null(Findings::RetestId))
                    .col(string_len_null(Findings::LastRetestOutcome, 16))
                    .col(timestamp_with_time_zone_null(Findings::ResolvedAt))
                    .col(integer(Findings::Version))
                    .col(timestamp_with_time_zone(Findings::CreatedAt))
                    .col(timestamp_with_time_zone(Findings::UpdatedAt))
                    .foreign_key(&mut tenant_key(Findings::Table, Findings::TenantId))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("findings_by_test", Findings::TestId),
            ("findings_by_retest", Findings::RetestId),
            ("findings_by_status", Findings::Status),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Findings::Table)
                        .col(Findings::TenantId)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Findings::Table.into_iden(),
            TestDependencies::Table.into_iden(),
            Campaigns::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
