//! Knowledge: playbooks and their immutable versions, lessons learned, and the full-text
//! search indexes over the catalog, tests, playbooks and lessons.
//!
//! Search is kept current by the database itself, so no writer has to remember it: on
//! PostgreSQL each searched table gets a stored generated `search_vector` (title words weighted
//! A, body words B) with a GIN index; on SQLite one FTS5 table, `search_index`, is filled by
//! triggers on the same tables, through `search_keys` (which row of which table each indexed
//! document is, so an update or delete finds its document by key instead of scanning).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Playbooks {
    Table,
    Id,
    TenantId,
    TechniqueId,
    Kind,
    Title,
    Body,
    Tools,
    Prerequisites,
    Active,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PlaybookVersions {
    Table,
    TenantId,
    PlaybookId,
    Number,
    TechniqueId,
    Kind,
    Title,
    Body,
    Tools,
    Prerequisites,
    Author,
    CreatedAt,
    RestoredFrom,
}

#[derive(DeriveIden)]
enum Lessons {
    Table,
    Id,
    TenantId,
    Title,
    Body,
    Severity,
    TestId,
    CampaignId,
    /// Attack paths do not exist yet: the column waits for them.
    AttackPathId,
    FindingId,
    TechniqueId,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

/// One searched table: its name, the kind its hits are, and how its documents are made.
struct Source {
    table: &'static str,
    kind: &'static str,
    /// The key of a row (unique within the kind), as SQLite text.
    key: &'static str,
    /// What a hit names: a technique's ATT&CK id, else the row's id.
    public_id: &'static str,
    tenant: &'static str,
    title: &'static str,
    /// The words weighted high (title, ids), as SQL over the row.
    heading: &'static str,
    body: &'static str,
    /// Rows that are searched at all.
    condition: &'static str,
}

/// A UUID column as 32 hex digits whether sqlx stored it as a blob or as text.
macro_rules! hex_id {
    ($col:literal) => {
        concat!(
            "(CASE typeof(R.",
            $col,
            ") WHEN 'blob' THEN lower(hex(R.",
            $col,
            ")) ELSE replace(R.",
            $col,
            ", '-', '') END)"
        )
    };
}

/// The searched tables. `R` stands for the row (`NEW`/`OLD` in a trigger, the table in a
/// backfill). Technique ids are indexed with their dot as a space, so `T1059.001` is the two
/// words every tokenizer makes of it.
const SOURCES: [Source; 6] = [
    Source {
        table: "techniques",
        kind: "technique",
        key: "R.stix_id",
        public_id: "R.mitre_id",
        tenant: "NULL",
        title: "R.name",
        heading: "replace(R.mitre_id, '.', ' ') || ' ' || R.name",
        body: "R.description",
        condition: "1 = 1",
    },
    Source {
        table: "tests",
        kind: "test",
        key: hex_id!("id"),
        public_id: hex_id!("id"),
        tenant: "R.tenant_id",
        title: "R.title",
        heading: "R.title || ' ' || replace(R.technique_id, '.', ' ')",
        body: "R.description || ' ' || R.objective",
        condition: "1 = 1",
    },
    Source {
        table: "playbooks",
        kind: "playbook",
        key: hex_id!("id"),
        public_id: hex_id!("id"),
        tenant: "R.tenant_id",
        title: "R.title",
        heading: "R.title || ' ' || replace(R.technique_id, '.', ' ') || ' ' || R.kind",
        body: "R.body",
        condition: "R.active",
    },
    Source {
        table: "lessons",
        kind: "lesson",
        key: hex_id!("id"),
        public_id: hex_id!("id"),
        tenant: "R.tenant_id",
        title: "R.title",
        heading: "R.title || ' ' || replace(coalesce(R.technique_id, ''), '.', ' ')",
        body: "R.body",
        condition: "1 = 1",
    },
    Source {
        table: "detection_rules",
        kind: "rule",
        key: hex_id!("id"),
        public_id: hex_id!("id"),
        tenant: "NULL",
        title: "R.title",
        heading: "R.title",
        body: "R.description",
        condition: "1 = 1",
    },
    Source {
        table: "test_templates",
        kind: "template",
        key: hex_id!("id"),
        public_id: hex_id!("id"),
        tenant: "NULL",
        title: "R.name",
        heading: "R.name || ' ' || replace(R.technique_id, '.', ' ')",
        body: "R.source || ' ' || R.source_id",
        condition: "1 = 1",
    },
];

fn on(row: &str, sql: &str) -> String {
    sql.replace("R.", &format!("{row}."))
}

/// SQLite: the FTS5 table, its key table, triggers on every source, and the existing rows.
fn sqlite_up() -> Vec<String> {
    let mut statements = vec![
        "CREATE TABLE search_keys (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, \
         ref_id TEXT NOT NULL, public_id TEXT NOT NULL, tenant_id BLOB, title TEXT NOT NULL, \
         UNIQUE (kind, ref_id))"
            .to_owned(),
        "CREATE VIRTUAL TABLE search_index USING fts5(heading, body, \
         tokenize = 'porter unicode61')"
            .to_owned(),
    ];
    for s in SOURCES {
        let insert = |row: &str| {
            format!(
                "INSERT INTO search_keys (kind, ref_id, public_id, tenant_id, title) \
                 SELECT '{kind}', {key}, {public}, {tenant}, {title} WHERE {cond}; \
                 INSERT INTO search_index (rowid, heading, body) \
                 SELECT id, {heading}, {body} FROM search_keys \
                 WHERE kind = '{kind}' AND ref_id = {key} AND {cond};",
                kind = s.kind,
                key = on(row, s.key),
                public = on(row, s.public_id),
                tenant = on(row, s.tenant),
                title = on(row, s.title),
                heading = on(row, s.heading),
                body = on(row, s.body),
                cond = on(row, s.condition),
            )
        };
        let delete = format!(
            "DELETE FROM search_index WHERE rowid = \
             (SELECT id FROM search_keys WHERE kind = '{kind}' AND ref_id = {key}); \
             DELETE FROM search_keys WHERE kind = '{kind}' AND ref_id = {key};",
            kind = s.kind,
            key = on("OLD", s.key),
        );
        let table = s.table;
        statements.push(format!(
            "CREATE TRIGGER search_{table}_insert AFTER INSERT ON {table} BEGIN {} END",
            insert("NEW")
        ));
        statements.push(format!(
            "CREATE TRIGGER search_{table}_delete AFTER DELETE ON {table} BEGIN {delete} END"
        ));
        statements.push(format!(
            "CREATE TRIGGER search_{table}_update AFTER UPDATE ON {table} BEGIN {delete} {} END",
            insert("NEW")
        ));
        // The rows that exist already (the catalog, tests): the same documents, in bulk.
        statements.push(format!(
            "INSERT INTO search_keys (kind, ref_id, public_id, tenant_id, title) \
             SELECT '{kind}', {key}, {public}, {tenant}, {title} FROM {table} WHERE {cond}",
            kind = s.kind,
            key = on(table, s.key),
            public = on(table, s.public_id),
            tenant = on(table, s.tenant),
            title = on(table, s.title),
            cond = on(table, s.condition),
        ));
        statements.push(format!(
            "INSERT INTO search_index (rowid, heading, body) \
             SELECT k.id, {heading}, {body} FROM {table} \
             JOIN search_keys k ON k.kind = '{kind}' AND k.ref_id = {key} WHERE {cond}",
            kind = s.kind,
            key = on(table, s.key),
            heading = on(table, s.heading),
            body = on(table, s.body),
            cond = on(table, s.condition),
        ));
    }
    statements
}

fn sqlite_down() -> Vec<String> {
    let mut statements: Vec<String> = SOURCES
        .iter()
        .flat_map(|s| {
            ["insert", "delete", "update"]
                .map(|event| format!("DROP TRIGGER IF EXISTS search_{}_{event}", s.table))
        })
        .collect();
    statements.push("DROP TABLE IF EXISTS search_index".to_owned());
    statements.push("DROP TABLE IF EXISTS search_keys".to_owned());
    statements
}

/// PostgreSQL: a stored tsvector per searched table and its GIN index. The generated column
/// is computed on every insert and update, in the writer's own transaction.
fn postgres_up() -> Vec<String> {
    SOURCES
        .iter()
        .flat_map(|s| {
            let table = s.table;
            [
                format!(
                    "ALTER TABLE {table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS \
                     (setweight(to_tsvector('english'::regconfig, {heading}), 'A') || \
                     setweight(to_tsvector('english'::regconfig, {body}), 'B')) STORED",
                    heading = s.heading.replace("R.", ""),
                    body = s.body.replace("R.", ""),
                ),
                format!("CREATE INDEX idx_{table}_search ON {table} USING GIN (search_vector)"),
            ]
        })
        .collect()
}

fn postgres_down() -> Vec<String> {
    SOURCES
        .iter()
        .flat_map(|s| {
            [
                format!("DROP INDEX IF EXISTS idx_{}_search", s.table),
                format!(
                    "ALTER TABLE {} DROP COLUMN IF EXISTS search_vector",
                    s.table
                ),
            ]
        })
        .collect()
}

async fn run(manager: &SchemaManager<'_>, statements: Vec<String>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for statement in statements {
        db.execute_unprepared(&statement).await?;
    }
    Ok(())
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
                    .table(Playbooks::Table)
                    .col(uuid(Playbooks::Id).primary_key())
                    .col(uuid(Playbooks::TenantId))
                    .col(string_len(Playbooks::TechniqueId, 16))
                    .col(string_len(Playbooks::Kind, 16))
                    .col(string_len(Playbooks::Title, 300))
                    .col(text(Playbooks::Body))
                    .col(json(Playbooks::Tools))
                    .col(json(Playbooks::Prerequisites))
                    .col(boolean(Playbooks::Active).default(true))
                    .col(integer(Playbooks::Version))
                    .col(uuid(Playbooks::CreatedBy))
                    .col(timestamp_with_time_zone(Playbooks::CreatedAt))
                    .col(uuid(Playbooks::UpdatedBy))
                    .col(timestamp_with_time_zone(Playbooks::UpdatedAt))
                    .foreign_key(&mut tenant_key(Playbooks::Table, Playbooks::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_playbooks_technique")
                    .table(Playbooks::Table)
                    .col(Playbooks::TenantId)
                    .col(Playbooks::TechniqueId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PlaybookVersions::Table)
                    .col(uuid(PlaybookVersions::TenantId))
                    .col(uuid(PlaybookVersions::PlaybookId))
                    .col(integer(PlaybookVersions::Number))
                    .col(string_len(PlaybookVersions::TechniqueId, 16))
                    .col(string_len(PlaybookVersions::Kind, 16))
                    .col(string_len(PlaybookVersions::Title, 300))
                    .col(text(PlaybookVersions::Body))
                    .col(json(PlaybookVersions::Tools))
                    .col(json(PlaybookVersions::Prerequisites))
                    .col(uuid(PlaybookVersions::Author))
                    .col(timestamp_with_time_zone(PlaybookVersions::CreatedAt))
                    .col(integer_null(PlaybookVersions::RestoredFrom))
                    .primary_key(
                        Index::create()
                            .col(PlaybookVersions::PlaybookId)
                            .col(PlaybookVersions::Number),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PlaybookVersions::Table, PlaybookVersions::PlaybookId)
                            .to(Playbooks::Table, Playbooks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut tenant_key(
                        PlaybookVersions::Table,
                        PlaybookVersions::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Lessons::Table)
                    .col(uuid(Lessons::Id).primary_key())
                    .col(uuid(Lessons::TenantId))
                    .col(string_len(Lessons::Title, 300))
                    .col(text(Lessons::Body))
                    .col(string_len(Lessons::Severity, 16))
                    .col(uuid_null(Lessons::TestId))
                    .col(uuid_null(Lessons::CampaignId))
                    .col(uuid_null(Lessons::AttackPathId))
                    .col(uuid_null(Lessons::FindingId))
                    .col(string_len_null(Lessons::TechniqueId, 16))
                    .col(integer(Lessons::Version))
                    .col(uuid(Lessons::CreatedBy))
                    .col(timestamp_with_time_zone(Lessons::CreatedAt))
                    .col(timestamp_with_time_zone(Lessons::UpdatedAt))
                    .foreign_key(&mut tenant_key(Lessons::Table, Lessons::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_lessons_created")
                    .table(Lessons::Table)
                    .col(Lessons::TenantId)
                    .col(Lessons::CreatedAt)
                    .to_owned(),
            )
            .await?;
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => run(manager, sqlite_up()).await,
            _ => run(manager, postgres_up()).await,
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => run(manager, sqlite_down()).await?,
            _ => run(manager, postgres_down()).await?,
        }
        for table in [
            PlaybookVersions::Table.into_iden(),
            Playbooks::Table.into_iden(),
            Lessons::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
