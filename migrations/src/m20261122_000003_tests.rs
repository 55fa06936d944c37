//! Tests (technique validations) of a tenant, their transitions, worklogs and comments.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Tests {
    Table,
    Id,
    TenantId,
    Title,
    Description,
    TechniqueId,
    Objective,
    TargetEnvironment,
    AssigneeId,
    CampaignId,
    State,
    RedVote,
    RedVoteNotes,
    BlueVote,
    BlueVoteNotes,
    Paused,
    PausedAt,
    RedStartedAt,
    RedPausedSeconds,
    BlueStartedAt,
    BluePausedSeconds,
    RedExecutedAt,
    RedProcedure,
    RedCommand,
    RedTool,
    RedTargets,
    RedResultSummary,
    BlueOutcome,
    BlueDetectedAt,
    BlueDetectionSource,
    BlueFiredRules,
    BlueNotes,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TestTransitions {
    Table,
    Id,
    TenantId,
    TestId,
    ActorId,
    Action,
    FromState,
    ToState,
    Comment,
    OccurredAt,
}

#[derive(DeriveIden)]
enum Worklogs {
    Table,
    Id,
    TenantId,
    TestId,
    Team,
    ActorId,
    StartedAt,
    EndedAt,
    PausedSeconds,
    DurationSeconds,
    IntegrityHash,
}

#[derive(DeriveIden)]
enum TestComments {
    Table,
    Id,
    TenantId,
    TestId,
    AuthorId,
    Body,
    CreatedAt,
}

fn cascade(
    name: &str,
    from: impl IntoIden + 'static,
    column: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from, column)
        .to(Tests::Table, Tests::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tests::Table)
                    .col(uuid(Tests::Id).primary_key())
                    .col(uuid(Tests::TenantId))
                    .col(string_len(Tests::Title, 200))
                    .col(text(Tests::Description))
                    .col(string_len(Tests::TechniqueId, 16))
                    .col(text(Tests::Objective))
                    .col(text(Tests::TargetEnvironment))
                    .col(uuid_null(Tests::AssigneeId))
                    .col(uuid_null(Tests::CampaignId))
                    .col(string_len(Tests::State, 32))
                    .col(string_len_null(Tests::RedVote, 16))
                    .col(text_null(Tests::RedVoteNotes))
                    .col(string_len_null(Tests::BlueVote, 16))
                    .col(text_null(Tests::BlueVoteNotes))
                    .col(boolean(Tests::Paused).default(false))
                    .col(timestamp_with_time_zone_null(Tests::PausedAt))
                    .col(timestamp_with_time_zone_null(Tests::RedStartedAt))
                    .col(big_integer(Tests::RedPausedSeconds).default(0))
                    .col(timestamp_with_time_zone_null(Tests::BlueStartedAt))
                    .col(big_integer(Tests::BluePausedSeconds).default(0))
                    .col(timestamp_with_time_zone_null(Tests::RedExecutedAt))
                    .col(text_null(Tests::RedProcedure))
                    .col(text_null(Tests::RedCommand))
                    .col(string_len_null(Tests::RedTool, 200))
                    .col(json(Tests::RedTargets))
                    .col(text_null(Tests::RedResultSummary))
                    .col(string_len_null(Tests::BlueOutcome, 32))
                    .col(timestamp_with_time_zone_null(Tests::BlueDetectedAt))
                    .col(string_len_null(Tests::BlueDetectionSource, 200))
                    .col(json(Tests::BlueFiredRules))
                    .col(text_null(Tests::BlueNotes))
                    .col(integer(Tests::Version))
                    .col(uuid(Tests::CreatedBy))
                    .col(timestamp_with_time_zone(Tests::CreatedAt))
                    .col(timestamp_with_time_zone(Tests::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tests_tenant")
                            .from(Tests::Table, Tests::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_tests_state", Tests::State),
            ("idx_tests_technique", Tests::TechniqueId),
            ("idx_tests_assignee", Tests::AssigneeId),
            ("idx_tests_created_at", Tests::CreatedAt),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Tests::Table)
                        .col(Tests::TenantId)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(TestTransitions::Table)
                    .col(uuid(TestTransitions::Id).primary_key())
                    .col(uuid(TestTransitions::TenantId))
                    .col(uuid(TestTransitions::TestId))
                    .col(uuid(TestTransitions::ActorId))
                    .col(string_len(TestTransitions::Action, 32))
                    .col(string_len(TestTransitions::FromState, 32))
                    .col(string_len(TestTransitions::ToState, 32))
                    .col(text_null(TestTransitions::Comment))
                    .col(timestamp_with_time_zone(TestTransitions::OccurredAt))
                    .foreign_key(&mut cascade(
                        "fk_test_transitions_test",
                        TestTransitions::Table,
                        TestTransitions::TestId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Worklogs::Table)
                    .col(uuid(Worklogs::Id).primary_key())
                    .col(uuid(Worklogs::TenantId))
                    .col(uuid(Worklogs::TestId))
                    .col(string_len(Worklogs::Team, 8))
                    .col(uuid(Worklogs::ActorId))
                    .col(timestamp_with_time_zone(Worklogs::StartedAt))
                    .col(timestamp_with_time_zone(Worklogs::EndedAt))
                    .col(big_integer(Worklogs::PausedSeconds))
                    .col(big_integer(Worklogs::DurationSeconds))
                    .col(string_len(Worklogs::IntegrityHash, 64))
                    .foreign_key(&mut cascade(
                        "fk_worklogs_test",
                        Worklogs::Table,
                        Worklogs::TestId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TestComments::Table)
                    .col(uuid(TestComments::Id).primary_key())
                    .col(uuid(TestComments::TenantId))
                    .col(uuid(TestComments::TestId))
                    .col(uuid(TestComments::AuthorId))
                    .col(text(TestComments::Body))
                    .col(timestamp_with_time_zone(TestComments::CreatedAt))
                    .foreign_key(&mut cascade(
                        "fk_test_comments_test",
                        TestComments::Table,
                        TestComments::TestId,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, table, column) in [
            (
                "idx_test_transitions_test",
                TestTransitions::Table.into_iden(),
                TestTransitions::TestId.into_iden(),
            ),
            (
                "idx_worklogs_test",
                Worklogs::Table.into_iden(),
                Worklogs::TestId.into_iden(),
            ),
            (
                "idx_test_comments_test",
                TestComments::Table.into_iden(),
                TestComments::TestId.into_iden(),
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            TestComments::Table.into_iden(),
            Worklogs::Table.into_iden(),
            TestTransitions::Table.into_iden(),
            Tests::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
