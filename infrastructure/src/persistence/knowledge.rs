//! Playbooks (one row for the current content, one immutable row per version), lessons
//! learned, and the full-text search.
//!
//! The search indexes are the database's own (migration `m20261207_009001_knowledge`): a
//! stored `search_vector` with a GIN index per searched table on PostgreSQL, the FTS5 table
//! `search_index` filled by triggers on SQLite. Nothing here writes them: every writer of a
//! searched table keeps its documents current in its own transaction without knowing.

use std::collections::HashMap;

use async_trait::async_trait;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement, Value,
};

use aegis_domain::campaign::CampaignId;
use aegis_domain::catalog::TechniqueId;
use aegis_domain::finding::{FindingId, Severity};
use aegis_domain::knowledge::{
    KnowledgeStats, Lesson, LessonFilter, LessonId, LessonLink, Playbook, PlaybookContent,
    PlaybookFilter, PlaybookId, PlaybookKind, PlaybookVersion, SearchHit, SearchKind, SearchQuery,
};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::{Entity, KnowledgeRepository, RepositoryError};
use aegis_domain::tenant::TenantId;
use aegis_domain::test_case::TestId;
use aegis_domain::user::UserId;

use super::error::{corrupt, ensure_tenant, unexpected};
use super::versioned::{VersionedTable, find_in_tenant, update_versioned};
use super::{Connection, SeaStore};

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod playbook {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "playbooks")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub technique_id: String,
            pub kind: String,
            pub title: String,
            pub body: String,
            pub tools: Json,
            pub prerequisites: Json,
            pub active: bool,
            pub version: i32,
            pub created_by: Uuid,
            pub created_at: DateTimeUtc,
            pub updated_by: Uuid,
            pub updated_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod playbook_version {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "playbook_versions")]
        pub struct Model {
            pub tenant_id: Uuid,
            #[sea_orm(primary_key, auto_increment = false)]
            pub playbook_id: Uuid,
            #[sea_orm(primary_key, auto_increment = false)]
            pub number: i32,
            pub technique_id: String,
            pub kind: String,
            pub title: String,
            pub body: String,
            pub tools: Json,
            pub prerequisites: Json,
            pub author: Uuid,
            pub created_at: DateTimeUtc,
            pub restored_from: Option<i32>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod lesson {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "lessons")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub title: String,
            pub body: String,
            pub severity: String,
            pub test_id: Option<Uuid>,
            pub campaign_id: Option<Uuid>,
            /// Attack paths do not exist yet; always empty for now.
            pub attack_path_id: Option<Uuid>,
            pub finding_id: Option<Uuid>,
            pub technique_id: Option<String>,
            pub version: i32,
            pub created_by: Uuid,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::{lesson, playbook, playbook_version};

fn technique(text: &str) -> Result<TechniqueId, RepositoryError> {
    TechniqueId::parse(text).map_err(|e| corrupt("playbook technique", e))
}

fn kind(text: &str) -> Result<PlaybookKind, RepositoryError> {
    PlaybookKind::parse(text).ok_or_else(|| corrupt("playbook kind", text))
}

fn strings(value: serde_json::Value) -> Result<Vec<String>, RepositoryError> {
    serde_json::from_value(value).map_err(|e| corrupt("playbook list", e))
}

fn playbook_to_domain(row: playbook::Model) -> Result<Playbook, RepositoryError> {
    let content = PlaybookContent {
        technique_id: technique(&row.technique_id)?,
        kind: kind(&row.kind)?,
        title: row.title,
        body: row.body,
        tools: strings(row.tools)?,
        prerequisites: strings(row.prerequisites)?,
    };
    let author = UserId::from_uuid(row.created_by);
    let (mut playbook, _) = Playbook::create(
        PlaybookId::from_uuid(row.id),
        TenantId::from_uuid(row.tenant_id),
        content,
        author,
        row.created_at,
    );
    playbook.active = row.active;
    playbook.updated_by = UserId::from_uuid(row.updated_by);
    playbook.updated_at = row.updated_at;
    Ok(playbook.restored(row.version))
}

fn playbook_to_row(p: &Playbook) -> playbook::ActiveModel {
    let c = &p.content;
    playbook::ActiveModel {
        id: Set(p.id.as_uuid()),
        tenant_id: Set(p.tenant_id.as_uuid()),
        technique_id: Set(c.technique_id.as_str().to_owned()),
        kind: Set(c.kind.as_str().to_owned()),
        title: Set(c.title.clone()),
        body: Set(c.body.clone()),
        tools: Set(serde_json::json!(c.tools)),
        prerequisites: Set(serde_json::json!(c.prerequisites)),
        active: Set(p.active),
        version: Set(p.version()),
        created_by: Set(p.created_by.as_uuid()),
        created_at: Set(p.created_at),
        updated_by: Set(p.updated_by.as_uuid()),
        updated_at: Set(p.updated_at),
    }
}

fn version_to_domain(row: playbook_version::Model) -> Result<PlaybookVersion, RepositoryError> {
    Ok(PlaybookVersion {
        playbook_id: PlaybookId::from_uuid(row.playbook_id),
        number: row.number,
        content: PlaybookContent {
            technique_id: technique(&row.technique_id)?,
            kind: kind(&row.kind)?,
            title: row.title,
            body: row.body,
            tools: strings(row.tools)?,
            prerequisites: strings(row.prerequisites)?,
        },
        author: UserId::from_uuid(row.author),
        created_at: row.created_at,
        restored_from: row.restored_from,
    })
}

fn version_to_row(tenant: TenantId, v: &PlaybookVersion) -> playbook_version::ActiveModel {
    let c = &v.content;
    playbook_version::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        playbook_id: Set(v.playbook_id.as_uuid()),
        number: Set(v.number),
        technique_id: Set(c.technique_id.as_str().to_owned()),
        kind: Set(c.kind.as_str().to_owned()),
        title: Set(c.title.clone()),
        body: Set(c.body.clone()),
        tools: Set(serde_json::json!(c.tools)),
        prerequisites: Set(serde_json::json!(c.prerequisites)),
        author: Set(v.author.as_uuid()),
        created_at: Set(v.created_at),
        restored_from: Set(v.restored_from),
    }
}

fn severity(text: &str) -> Result<Severity, RepositoryError> {
    Severity::parse(text).ok_or_else(|| corrupt("lesson severity", text))
}

fn lesson_to_domain(row: lesson::Model) -> Result<Lesson, RepositoryError> {
    let mut lesson = Lesson::new(
        LessonId::from_uuid(row.id),
        TenantId::from_uuid(row.tenant_id),
        row.title,
        severity(&row.severity)?,
        UserId::from_uuid(row.created_by),
        row.created_at,
    )
    .restored(row.version);
    lesson.body = row.body;
    lesson.link = match (row.test_id, row.campaign_id) {
        (Some(test), _) => LessonLink::Test(TestId::from_uuid(test)),
        (None, Some(campaign)) => LessonLink::Campaign(CampaignId::from_uuid(campaign)),
        (None, None) => LessonLink::Nothing,
    };
    lesson.finding_id = row.finding_id.map(FindingId::from_uuid);
    lesson.technique_id = row
        .technique_id
        .as_deref()
        .map(|t| TechniqueId::parse(t).map_err(|e| corrupt("lesson technique", e)))
        .transpose()?;
    lesson.updated_at = row.updated_at;
    Ok(lesson)
}

fn lesson_to_row(l: &Lesson) -> lesson::ActiveModel {
    let (test, campaign) = match l.link {
        LessonLink::Nothing => (None, None),
        LessonLink::Test(test) => (Some(test.as_uuid()), None),
        LessonLink::Campaign(campaign) => (None, Some(campaign.as_uuid())),
    };
    lesson::ActiveModel {
        id: Set(l.id.as_uuid()),
        tenant_id: Set(l.tenant_id.as_uuid()),
        title: Set(l.title.clone()),
        body: Set(l.body.clone()),
        severity: Set(l.severity.as_str().to_owned()),
        test_id: Set(test),
        campaign_id: Set(campaign),
        attack_path_id: Set(None),
        finding_id: Set(l.finding_id.map(|f| f.as_uuid())),
        technique_id: Set(l.technique_id.as_ref().map(|t| t.as_str().to_owned())),
        version: Set(l.version()),
        created_by: Set(l.created_by.as_uuid()),
        created_at: Set(l.created_at),
        updated_at: Set(l.updated_at),
    }
}

impl VersionedTable for playbook::Entity {
    const ENTITY: Entity = Entity::Playbook;
    fn tenant_column() -> Self::Column {
        playbook::Column::TenantId
    }
    fn id_column() -> Self::Column {
        playbook::Column::Id
    }
    fn version_column() -> Self::Column {
        playbook::Column::Version
    }
}

impl VersionedTable for lesson::Entity {
    const ENTITY: Entity = Entity::Lesson;
    fn tenant_column() -> Self::Column {
        lesson::Column::TenantId
    }
    fn id_column() -> Self::Column {
        lesson::Column::Id
    }
    fn version_column() -> Self::Column {
        lesson::Column::Version
    }
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}

async fn stats(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<KnowledgeStats, RepositoryError> {
    let by_kind: Vec<(String, bool, i64)> = playbook::Entity::find()
        .select_only()
        .column(playbook::Column::Kind)
        .column(playbook::Column::Active)
        .column_as(playbook::Column::Id.count(), "n")
        .filter(playbook::Column::TenantId.eq(tenant.as_uuid()))
        .group_by(playbook::Column::Kind)
        .group_by(playbook::Column::Active)
        .into_tuple()
        .all(db)
        .await
        .map_err(unexpected)?;
    let mut kinds: HashMap<String, u64> = HashMap::new();
    let mut stats = KnowledgeStats::default();
    for (kind, active, n) in by_kind {
        if active {
            stats.playbooks += count(n);
            *kinds.entry(kind).or_default() += count(n);
        } else {
            stats.inactive_playbooks += count(n);
        }
    }
    stats.playbooks_by_kind = PlaybookKind::ALL
        .into_iter()
        .map(|k| (k, kinds.get(k.as_str()).copied().unwrap_or_default()))
        .collect();
    let techniques: Vec<String> = playbook::Entity::find()
        .select_only()
        .column(playbook::Column::TechniqueId)
        .filter(playbook::Column::TenantId.eq(tenant.as_uuid()))
        .filter(playbook::Column::Active.eq(true))
        .distinct()
        .into_tuple()
        .all(db)
        .await
        .map_err(unexpected)?;
    stats.techniques_with_playbooks = techniques.len() as u64;
    stats.playbook_versions = playbook_version::Entity::find()
        .filter(playbook_version::Column::TenantId.eq(tenant.as_uuid()))
        .count(db)
        .await
        .map_err(unexpected)?;
    let by_severity: Vec<(String, i64)> = lesson::Entity::find()
        .select_only()
        .column(lesson::Column::Severity)
        .column_as(lesson::Column::Id.count(), "n")
        .filter(lesson::Column::TenantId.eq(tenant.as_uuid()))
        .group_by(lesson::Column::Severity)
        .into_tuple()
        .all(db)
        .await
        .map_err(unexpected)?;
    let severities: HashMap<String, u64> = by_severity
        .into_iter()
        .map(|(s, n)| (s, count(n)))
        .collect();
    stats.lessons = severities.values().sum();
    stats.lessons_by_severity = Severity::ALL
        .into_iter()
        .map(|s| (s, severities.get(s.as_str()).copied().unwrap_or_default()))
        .collect();
    Ok(stats)
}

/// How each kind is searched on PostgreSQL: its table, the id a hit names, its title and the
/// text its snippet is cut from, and which rows are the tenant's to see.
struct PgSource {
    kind: SearchKind,
    table: &'static str,
    id: &'static str,
    title: &'static str,
    text: &'static str,
    /// `$2` is the tenant.
    scope: &'static str,
}

const PG_SOURCES: [PgSource; 6] = [
    PgSource {
        kind: SearchKind::Technique,
        table: "techniques",
        id: "mitre_id",
        title: "name",
        text: "description",
        scope: "TRUE",
    },
    PgSource {
        kind: SearchKind::Test,
        table: "tests",
        id: "id::text",
        title: "title",
        text: "description || ' ' || objective",
        scope: "tenant_id = $2",
    },
    PgSource {
        kind: SearchKind::Playbook,
        table: "playbooks",
        id: "id::text",
        title: "title",
        text: "body",
        scope: "tenant_id = $2 AND active",
    },
    PgSource {
        kind: SearchKind::Lesson,
        table: "lessons",
        id: "id::text",
        title: "title",
        text: "body",
        scope: "tenant_id = $2",
    },
    PgSource {
        kind: SearchKind::Rule,
        table: "detection_rules",
        id: "id::text",
        title: "title",
        text: "description",
        scope: "TRUE",
    },
    PgSource {
        kind: SearchKind::Template,
        table: "test_templates",
        id: "id::text",
        title: "name",
        text: "source || ' ' || technique_id",
        scope: "TRUE",
    },
];

/// The words as a `to_tsquery` expression: all of them, the last also as a prefix. The words
/// are letters and digits only ([`SearchQuery::parse`]), so nothing in them is syntax.
fn pg_tsquery(query: &SearchQuery) -> String {
    let terms = query.terms();
    let last = terms.len().saturating_sub(1);
    terms
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if i == last {
                format!("{t}:*")
            } else {
                t.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" & ")
}

/// The words as an FTS5 query: each a quoted phrase (the last a prefix), all required.
fn fts5_query(query: &SearchQuery) -> String {
    let terms = query.terms();
    let last = terms.len().saturating_sub(1);
    terms
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if i == last {
                format!("\"{t}\"*")
            } else {
                format!("\"{t}\"")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn limit(query: &SearchQuery) -> i64 {
    i64::try_from(query.limit).unwrap_or(i64::MAX)
}

/// One query over every requested table: each table's best `limit` by `ts_rank` (its GIN
/// index finds the matches), then the best `limit` of all, and only those get a headline.
async fn search_postgres(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    query: &SearchQuery,
) -> Result<Vec<(String, String, String, String, f64)>, RepositoryError> {
    let parts: Vec<String> = PG_SOURCES
        .iter()
        .filter(|s| query.includes(s.kind))
        .map(|s| {
            format!(
                "(SELECT '{kind}' AS kind, {id} AS id, {title} AS title, {text} AS doc, \
                 ts_rank(search_vector, q.query)::float8 AS score \
                 FROM {table}, q WHERE search_vector @@ q.query AND {scope} \
                 ORDER BY score DESC LIMIT $3)",
                kind = s.kind.as_str(),
                id = s.id,
                title = s.title,
                text = s.text,
                table = s.table,
                scope = s.scope,
            )
        })
        .collect();
    let sql = format!(
        "WITH q AS (SELECT to_tsquery('english'::regconfig, $1) AS query), \
         hits AS (SELECT * FROM ({union}) found ORDER BY score DESC, id LIMIT $3) \
         SELECT kind, id, title, ts_headline('english'::regconfig, doc, q.query, \
         'StartSel=«, StopSel=», MaxWords=30, MinWords=12, MaxFragments=1') AS snippet, score \
         FROM hits, q ORDER BY score DESC, id",
        union = parts.join(" UNION ALL "),
    );
    let statement = Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        sql,
        [
            Value::from(pg_tsquery(query)),
            Value::from(tenant.as_uuid()),
            Value::from(limit(query)),
        ],
    );
    let rows = db.query_all_raw(statement).await.map_err(unexpected)?;
    rows.into_iter()
        .map(|row| {
            Ok((
                row.try_get::<String>("", "kind").map_err(unexpected)?,
                row.try_get::<String>("", "id").map_err(unexpected)?,
                row.try_get::<String>("", "title").map_err(unexpected)?,
                row.try_get::<String>("", "snippet").map_err(unexpected)?,
                row.try_get::<f64>("", "score").map_err(unexpected)?,
            ))
        })
        .collect()
}

/// The FTS5 table ranked by BM25 (heading words count four times the body's); the tenant's
/// documents and the global ones only.
async fn search_sqlite(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    query: &SearchQuery,
) -> Result<Vec<(String, String, String, String, f64)>, RepositoryError> {
    let kinds = query
        .kinds
        .iter()
        .map(|k| format!("'{}'", k.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT k.kind AS kind, k.public_id AS id, k.title AS title, \
         snippet(search_index, 1, '«', '»', '…', 24) AS snippet, \
         bm25(search_index, 4.0, 1.0) AS rank \
         FROM search_index JOIN search_keys k ON k.id = search_index.rowid \
         WHERE search_index MATCH ? AND (k.tenant_id IS NULL OR k.tenant_id = ?) \
         AND k.kind IN ({kinds}) ORDER BY rank, k.public_id LIMIT ?"
    );
    let statement = Statement::from_sql_and_values(
        DatabaseBackend::Sqlite,
        sql,
        [
            Value::from(fts5_query(query)),
            Value::from(tenant.as_uuid()),
            Value::from(limit(query)),
        ],
    );
    let rows = db.query_all_raw(statement).await.map_err(unexpected)?;
    rows.into_iter()
        .map(|row| {
            let rank = row.try_get::<f64>("", "rank").map_err(unexpected)?;
            Ok((
                row.try_get::<String>("", "kind").map_err(unexpected)?,
                row.try_get::<String>("", "id").map_err(unexpected)?,
                row.try_get::<String>("", "title").map_err(unexpected)?,
                row.try_get::<Option<String>>("", "snippet")
                    .map_err(unexpected)?
                    .unwrap_or_default(),
                // BM25 is lower for better matches; a score is higher for them.
                -rank,
            ))
        })
        .collect()
}

async fn search(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    query: &SearchQuery,
) -> Result<Vec<SearchHit>, RepositoryError> {
    let rows = match db.get_database_backend() {
        DatabaseBackend::Sqlite => search_sqlite(db, tenant, query).await?,
        _ => search_postgres(db, tenant, query).await?,
    };
    rows.into_iter()
        .map(|(kind, id, title, snippet, score)| {
            let kind = SearchKind::parse(&kind).ok_or_else(|| corrupt("search kind", &kind))?;
            // Ids of rows are UUIDs (SQLite's index keeps them as 32 hex digits).
            let id = if kind == SearchKind::Technique {
                id
            } else {
                uuid::Uuid::parse_str(&id)
                    .map_err(|e| corrupt("search id", e))?
                    .to_string()
            };
            Ok(SearchHit {
                kind,
                id,
                title,
                snippet: snippet.split_whitespace().collect::<Vec<_>>().join(" "),
                score,
            })
        })
        .collect()
}

#[async_trait]
impl<C: Connection> KnowledgeRepository for SeaStore<C> {
    async fn insert_playbook(
        &self,
        tenant: TenantId,
        playbook: &Playbook,
        first: &PlaybookVersion,
    ) -> Result<(), RepositoryError> {
        ensure_tenant(playbook.tenant_id, tenant, "playbook")?;
        playbook::Entity::insert(playbook_to_row(playbook))
            .exec_without_returning(self.conn())
            .await
            .map_err(unexpected)?;
        playbook_version::Entity::insert(version_to_row(tenant, first))
            .exec_without_returning(self.conn())
            .await
            .map_err(unexpected)?;
        Ok(())
    }

    async fn update_playbook(
        &self,
        tenant: TenantId,
        playbook: &Playbook,
        expected_version: i32,
        version: Option<&PlaybookVersion>,
    ) -> Result<(), RepositoryError> {
        let mut row = playbook_to_row(playbook);
        row.id = NotSet;
        row.tenant_id = NotSet;
        row.created_at = NotSet;
        row.created_by = NotSet;
        update_versioned::<playbook::Entity, _>(
            self.conn(),
            tenant,
            playbook.id.as_uuid(),
            expected_version,
            row,
        )
        .await?;
        if let Some(version) = version {
            playbook_version::Entity::insert(version_to_row(tenant, version))
                .exec_without_returning(self.conn())
                .await
                .map_err(unexpected)?;
        }
        Ok(())
    }

    async fn find_playbook(
        &self,
        tenant: TenantId,
        id: PlaybookId,
    ) -> Result<Option<Playbook>, RepositoryError> {
        find_in_tenant::<playbook::Entity>(&self.read(), tenant, id.as_uuid())
            .await?
            .map(playbook_to_domain)
            .transpose()
    }

    async fn list_playbooks(
        &self,
        tenant: TenantId,
        filter: &PlaybookFilter,
        page: PageRequest,
    ) -> Result<Page<Playbook>, RepositoryError> {
        let db = self.read();
        let mut query =
            playbook::Entity::find().filter(playbook::Column::TenantId.eq(tenant.as_uuid()));
        if let Some(technique) = &filter.technique {
            query = query.filter(playbook::Column::TechniqueId.eq(technique.as_str()));
        }
        if let Some(kind) = filter.kind {
            query = query.filter(playbook::Column::Kind.eq(kind.as_str()));
        }
        if !filter.include_inactive {
            query = query.filter(playbook::Column::Active.eq(true));
        }
        let total = query.clone().count(&db).await.map_err(unexpected)?;
        let items = query
            .order_by_asc(playbook::Column::TechniqueId)
            .order_by_asc(playbook::Column::Kind)
            .order_by_asc(playbook::Column::Title)
            .order_by_asc(playbook::Column::Id)
            .offset(page.offset())
            .limit(page.per_page())
            .all(&db)
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(playbook_to_domain)
            .collect::<Result<_, _>>()?;
        Ok(Page {
            items,
            total,
            request: page,
        })
    }

    async fn playbook_versions(
        &self,
        tenant: TenantId,
        id: PlaybookId,
    ) -> Result<Vec<PlaybookVersion>, RepositoryError> {
        playbook_version::Entity::find()
            .filter(playbook_version::Column::TenantId.eq(tenant.as_uuid()))
            .filter(playbook_version::Column::PlaybookId.eq(id.as_uuid()))
            .order_by_desc(playbook_version::Column::Number)
            .all(&self.read())
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(version_to_domain)
            .collect()
    }

    async fn playbook_version(
        &self,
        tenant: TenantId,
        id: PlaybookId,
        number: i32,
    ) -> Result<Option<PlaybookVersion>, RepositoryError> {
        playbook_version::Entity::find()
            .filter(playbook_version::Column::TenantId.eq(tenant.as_uuid()))
            .filter(playbook_version::Column::PlaybookId.eq(id.as_uuid()))
            .filter(playbook_version::Column::Number.eq(number))
            .one(&self.read())
            .await
            .map_err(unexpected)?
            .map(version_to_domain)
            .transpose()
    }

    async fn insert_lesson(
        &self,
        tenant: TenantId,
        lesson: &Lesson,
    ) -> Result<(), RepositoryError> {
        ensure_tenant(lesson.tenant_id, tenant, "lesson")?;
        lesson::Entity::insert(lesson_to_row(lesson))
            .exec_without_returning(self.conn())
            .await
            .map_err(unexpected)?;
        Ok(())
    }

    async fn find_lesson(
        &self,
        tenant: TenantId,
        id: LessonId,
    ) -> Result<Option<Lesson>, RepositoryError> {
        find_in_tenant::<lesson::Entity>(&self.read(), tenant, id.as_uuid())
            .await?
            .map(lesson_to_domain)
            .transpose()
    }

    async fn update_lesson(
        &self,
        tenant: TenantId,
        lesson: &Lesson,
        expected_version: i32,
    ) -> Result<(), RepositoryError> {
        let mut row = lesson_to_row(lesson);
        row.id = NotSet;
        row.tenant_id = NotSet;
        row.created_at = NotSet;
        row.created_by = NotSet;
        update_versioned::<lesson::Entity, _>(
            self.conn(),
            tenant,
            lesson.id.as_uuid(),
            expected_version,
            row,
        )
        .await
    }

    async fn delete_lesson(&self, tenant: TenantId, id: LessonId) -> Result<(), RepositoryError> {
        let result = lesson::Entity::delete_many()
            .filter(lesson::Column::TenantId.eq(tenant.as_uuid()))
            .filter(lesson::Column::Id.eq(id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(unexpected)?;
        if result.rows_affected == 0 {
            return Err(RepositoryError::NotFound(Entity::Lesson));
        }
        Ok(())
    }

    async fn list_lessons(
        &self,
        tenant: TenantId,
        filter: &LessonFilter,
        page: PageRequest,
    ) -> Result<Page<Lesson>, RepositoryError> {
        let db = self.read();
        let mut query =
            lesson::Entity::find().filter(lesson::Column::TenantId.eq(tenant.as_uuid()));
        if let Some(severity) = filter.severity {
            query = query.filter(lesson::Column::Severity.eq(severity.as_str()));
        }
        if let Some(test) = filter.test {
            query = query.filter(lesson::Column::TestId.eq(test.as_uuid()));
        }
        if let Some(campaign) = filter.campaign {
            query = query.filter(lesson::Column::CampaignId.eq(campaign.as_uuid()));
        }
        let total = query.clone().count(&db).await.map_err(unexpected)?;
        let items = query
            .order_by_desc(lesson::Column::CreatedAt)
            .order_by_desc(lesson::Column::Id)
            .offset(page.offset())
            .limit(page.per_page())
            .all(&db)
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(lesson_to_domain)
            .collect::<Result<_, _>>()?;
        Ok(Page {
            items,
            total,
            request: page,
        })
    }

    async fn knowledge_stats(&self, tenant: TenantId) -> Result<KnowledgeStats, RepositoryError> {
        stats(&self.read(), tenant).await
    }

    async fn search(
        &self,
        tenant: TenantId,
        query: &SearchQuery,
    ) -> Result<Vec<SearchHit>, RepositoryError> {
        search(&self.read(), tenant, query).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_built_from_plain_words_only() {
        let query = SearchQuery::parse("Encoded \"Power\"Shell* OR", vec![], 10)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pg_tsquery(&query), "encoded & power & shell & or:*");
        assert_eq!(
            fts5_query(&query),
            "\"encoded\" \"power\" \"shell\" \"or\"*"
        );
    }
}
