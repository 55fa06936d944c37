//! ATT&CK v18 detection data on techniques: data components and detection strategies.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Techniques {
    Table,
    DataComponents,
    DetectionStrategies,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time.
        for column in [Techniques::DataComponents, Techniques::DetectionStrategies] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Techniques::Table)
                        .add_column(json(column).default("[]"))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Techniques::DataComponents, Techniques::DetectionStrategies] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Techniques::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
