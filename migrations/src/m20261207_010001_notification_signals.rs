//! PostgreSQL tells every API instance who got a notification: a trigger sends the user's id on
//! the `aegis_notifications` channel, delivered when (and only if) the insert commits. SQLite,
//! the one-process embedded profile, signals in process and needs nothing here.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE OR REPLACE FUNCTION aegis_notification_inserted() RETURNS trigger AS $$ \
             BEGIN PERFORM pg_notify('aegis_notifications', NEW.user_id::text); RETURN NEW; END \
             $$ LANGUAGE plpgsql",
        )
        .await?;
        db.execute_unprepared(
            "CREATE TRIGGER notifications_signal AFTER INSERT ON notifications \
             FOR EACH ROW EXECUTE FUNCTION aegis_notification_inserted()",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared("DROP TRIGGER IF EXISTS notifications_signal ON notifications")
            .await?;
        db.execute_unprepared("DROP FUNCTION IF EXISTS aegis_notification_inserted()")
            .await?;
        Ok(())
    }
}
