//! Findings of kind vulnerability, imported from scanners' SARIF files: findings gain a
//! `kind`, their test, outcome and technique become optional (a scanner's result has no test
//! and may lead to no technique), and `scanner_findings` holds what the scanner reported,
//! one row per finding, unique by fingerprint within the organization.
//!
//! SQLite cannot drop a NOT NULL constraint, so there the table is rebuilt (nothing
//! references `findings`, so no foreign key follows it); PostgreSQL alters the columns.
//! Going back deletes the vulnerability findings, which the old schema cannot hold.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum ScannerFindings {
    Table,
    FindingId,
    TenantId,
    Fingerprint,
    Scope,
    ScannerName,
    ScannerVersion,
    RuleId,
    RuleName,
    Message,
    ArtifactUri,
    Line,
    Cves,
    Cwes,
    ScoreTenths,
    ScannerSeverity,
    Guidance,
    /// The techniques as ` T1190 T1059 `, so a technique filter is one `LIKE`.
    Techniques,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

/// The columns of `findings` before this migration, in order.
const COLUMNS: &str = "id, tenant_id, test_id, technique_id, campaign_id, title, outcome, \
     severity, severity_rank, status, owner_id, due_on, steps, risk_reason, risk_expires_on, \
     risk_accepted_by, retest_id, last_retest_outcome, resolved_at, version, created_at, \
     updated_at";

/// `findings` on SQLite, with the test, technique and outcome nullable or not.
fn sqlite_findings(table: &str, nullable: bool, kind: bool) -> String {
    let null = if nullable { "" } else { " NOT NULL" };
    let kind = if kind {
        ", kind varchar(16) NOT NULL DEFAULT 'test_gap'"
    } else {
        ""
    };
    format!(
        "CREATE TABLE {table} (\
         id uuid_text NOT NULL PRIMARY KEY, \
         tenant_id uuid_text NOT NULL, \
         test_id uuid_text{null}, \
         technique_id varchar(16){null}, \
         campaign_id uuid_text NULL, \
         title varchar(300) NOT NULL, \
         outcome varchar(16){null}, \
         severity varchar(16) NOT NULL, \
         severity_rank smallint NOT NULL, \
         status varchar(24) NOT NULL, \
         owner_id uuid_text NULL, \
         due_on date_text NULL, \
         steps json_text NOT NULL, \
         risk_reason text NULL, \
         risk_expires_on date_text NULL, \
         risk_accepted_by uuid_text NULL, \
         retest_id uuid_text NULL, \
         last_retest_outcome varchar(16) NULL, \
         resolved_at timestamp_with_timezone_text NULL, \
         version integer NOT NULL, \
         created_at timestamp_with_timezone_text NOT NULL, \
         updated_at timestamp_with_timezone_text NOT NULL{kind}, \
         FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE)"
    )
}

fn indexes() -> Vec<String> {
    [
        ("findings_by_test", "test_id"),
        ("findings_by_retest", "retest_id"),
        ("findings_by_status", "status"),
    ]
    .into_iter()
    .map(|(name, column)| format!("CREATE INDEX {name} ON findings (tenant_id, {column})"))
    .collect()
}

fn sqlite_up() -> Vec<String> {
    let mut statements = vec![
        sqlite_findings("findings_next", true, true),
        format!("INSERT INTO findings_next ({COLUMNS}) SELECT {COLUMNS} FROM findings"),
        "DROP TABLE findings".to_owned(),
        "ALTER TABLE findings_next RENAME TO findings".to_owned(),
    ];
    statements.extend(indexes());
    statements
}

fn sqlite_down() -> Vec<String> {
    let mut statements = vec![
        "DELETE FROM findings WHERE kind <> 'test_gap'".to_owned(),
        sqlite_findings("findings_previous", false, false),
        format!("INSERT INTO findings_previous ({COLUMNS}) SELECT {COLUMNS} FROM findings"),
        "DROP TABLE findings".to_owned(),
        "ALTER TABLE findings_previous RENAME TO findings".to_owned(),
    ];
    statements.extend(indexes());
    statements
}

fn postgres_up() -> Vec<String> {
    vec![
        "ALTER TABLE findings ADD COLUMN kind varchar(16) NOT NULL DEFAULT 'test_gap', \
         ALTER COLUMN test_id DROP NOT NULL, ALTER COLUMN technique_id DROP NOT NULL, \
         ALTER COLUMN outcome DROP NOT NULL"
            .to_owned(),
    ]
}

fn postgres_down() -> Vec<String> {
    vec![
        "DELETE FROM findings WHERE kind <> 'test_gap'".to_owned(),
        "ALTER TABLE findings DROP COLUMN kind, ALTER COLUMN test_id SET NOT NULL, \
         ALTER COLUMN technique_id SET NOT NULL, ALTER COLUMN outcome SET NOT NULL"
            .to_owned(),
    ]
}

async fn run(manager: &SchemaManager<'_>, statements: Vec<String>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for statement in statements {
        db.execute_unprepared(&statement).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => run(manager, sqlite_up()).await?,
            _ => run(manager, postgres_up()).await?,
        }
        manager
            .create_table(
                Table::create()
                    .table(ScannerFindings::Table)
                    .col(uuid(ScannerFindings::FindingId).primary_key())
                    .col(uuid(ScannerFindings::TenantId))
                    .col(string_len(ScannerFindings::Fingerprint, 64))
                    .col(string_len(ScannerFindings::Scope, 400))
                    .col(string_len(ScannerFindings::ScannerName, 200))
                    .col(string_len_null(ScannerFindings::ScannerVersion, 100))
                    .col(string_len(ScannerFindings::RuleId, 300))
                    .col(string_len_null(ScannerFindings::RuleName, 300))
                    .col(text(ScannerFindings::Message))
                    .col(text_null(ScannerFindings::ArtifactUri))
                    .col(integer_null(ScannerFindings::Line))
                    .col(json(ScannerFindings::Cves))
                    .col(json(ScannerFindings::Cwes))
                    .col(small_integer_null(ScannerFindings::ScoreTenths))
                    .col(string_len(ScannerFindings::ScannerSeverity, 16))
                    .col(text(ScannerFindings::Guidance))
                    .col(text(ScannerFindings::Techniques))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ScannerFindings::Table, ScannerFindings::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("scanner_findings_by_fingerprint")
                    .table(ScannerFindings::Table)
                    .col(ScannerFindings::TenantId)
                    .col(ScannerFindings::Fingerprint)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("scanner_findings_by_scope")
                    .table(ScannerFindings::Table)
                    .col(ScannerFindings::TenantId)
                    .col(ScannerFindings::Scope)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ScannerFindings::Table).to_owned())
            .await?;
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => run(manager, sqlite_down()).await,
            _ => run(manager, postgres_down()).await,
        }
    }
}
