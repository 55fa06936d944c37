//! Detection rules: upserted per source by their own ids, in one transaction, with the
//! technique ids each is tagged with.

use aegis_domain::ports::RuleRepository;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait,
};
use sha2::{Digest, Sha256};

use aegis_domain::detection::{DetectionRule, ImportCounts, RuleFilter, RuleSource, RuleSummary};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::RepositoryError;
use aegis_domain::technique_lineage::TechniqueLineage;

use super::error::{corrupt, unexpected};
use super::json_values::strings;
use super::text_search::any_contains;

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod rule {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "detection_rules")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub source: String,
            pub source_id: String,
            pub title: String,
            pub description: String,
            pub status: String,
            pub severity: String,
            pub risk_score: Option<i32>,
            pub kind: String,
            pub tactics: Json,
            pub author: Option<String>,
            pub references: Json,
            pub false_positives: Json,
            pub created_on: Option<Date>,
            pub modified_on: Option<Date>,
            pub log_source: Option<String>,
            pub text: String,
            pub path: String,
            pub deprecated: bool,
            pub licence: String,
            pub fingerprint: String,
            pub imported_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod rule_technique {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "detection_rule_techniques")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub rule_id: Uuid,
            #[sea_orm(primary_key, auto_increment = false)]
            pub technique_id: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::{rule, rule_technique};

use async_trait::async_trait;

use super::read_models::Scope;
use super::{Connection, SeaStore};

fn fingerprint(rule: &DetectionRule) -> String {
    let mut digest = Sha256::new();
    digest.update(rule.text.as_bytes());
    digest.update([0]);
    digest.update(rule.path.as_bytes());
    hex::encode(digest.finalize())
}

fn to_row(
    id: uuid::Uuid,
    rule: &DetectionRule,
    print: String,
    imported_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> rule::ActiveModel {
    rule::ActiveModel {
        id: Set(id),
        source: Set(rule.source.as_str().to_owned()),
        source_id: Set(rule.source_id.clone()),
        title: Set(rule.title.clone()),
        description: Set(rule.description.clone()),
        status: Set(rule.status.chars().take(32).collect()),
        severity: Set(rule.severity.chars().take(16).collect()),
        risk_score: Set(rule.risk_score.and_then(|s| i32::try_from(s).ok())),
        kind: Set(rule.kind.chars().take(64).collect()),
        tactics: Set(serde_json::json!(rule.tactics)),
        author: Set(rule.author.clone()),
        references: Set(serde_json::json!(rule.references)),
        false_positives: Set(serde_json::json!(rule.false_positives)),
        created_on: Set(rule.created),
        modified_on: Set(rule.modified),
        log_source: Set(rule.log_source.clone()),
        text: Set(rule.text.clone()),
        path: Set(rule.path.clone()),
        deprecated: Set(rule.is_deprecated()),
        licence: Set(rule.source.licence().to_owned()),
        fingerprint: Set(print),
        imported_at: Set(imported_at),
        updated_at: Set(at),
    }
}

/// Rows per multi-row insert: well under SQLite's and PostgreSQL's bound-parameter limits.
const RULES_PER_INSERT: usize = 200;
const LINKS_PER_INSERT: usize = 2_000;

pub(crate) async fn apply(
    db: &impl Connection,
    source: RuleSource,
    rules: &[DetectionRule],
    at: DateTime<Utc>,
) -> Result<ImportCounts, RepositoryError> {
    let tx = super::begin_write(db).await.map_err(unexpected)?;
    let stored: HashMap<String, (uuid::Uuid, String, DateTime<Utc>)> = rule::Entity::find()
        .select_only()
        .columns([
            rule::Column::SourceId,
            rule::Column::Id,
            rule::Column::Fingerprint,
            rule::Column::ImportedAt,
        ])
        .filter(rule::Column::Source.eq(source.as_str()))
        .into_tuple::<(String, uuid::Uuid, String, DateTime<Utc>)>()
        .all(&tx)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(|(source_id, id, print, imported)| (source_id, (id, print, imported)))
        .collect();
    let mut counts = ImportCounts::default();
    // New rules and every link are written in batches: one statement per rule made a large
    // feed's import mostly round trips.
    let mut created = Vec::new();
    let mut links = Vec::new();
    for item in rules {
        let print = fingerprint(item);
        let id = match stored.get(&item.source_id) {
            Some((_, old, _)) if *old == print => {
                counts.unchanged += 1;
                continue;
            }
            Some((id, _, imported)) => {
                rule::Entity::update(to_row(*id, item, print, *imported, at))
                    .exec(&tx)
                    .await
                    .map_err(unexpected)?;
                rule_technique::Entity::delete_many()
                    .filter(rule_technique::Column::RuleId.eq(*id))
                    .exec(&tx)
                    .await
                    .map_err(unexpected)?;
                counts.updated += 1;
                *id
            }
            None => {
                let id = uuid::Uuid::now_v7();
                created.push(to_row(id, item, print, at, at));
                counts.created += 1;
                id
            }
        };
        links.extend(
            item.techniques
                .iter()
                .map(|technique| rule_technique::ActiveModel {
                    rule_id: Set(id),
                    technique_id: Set(technique.chars().take(16).collect()),
                }),
        );
    }
    let mut created = created.into_iter().peekable();
    while created.peek().is_some() {
        rule::Entity::insert_many(created.by_ref().take(RULES_PER_INSERT))
            .exec_without_returning(&tx)
            .await
            .map_err(unexpected)?;
    }
    let mut links = links.into_iter().peekable();
    while links.peek().is_some() {
        rule_technique::Entity::insert_many(links.by_ref().take(LINKS_PER_INSERT))
            .exec_without_returning(&tx)
            .await
            .map_err(unexpected)?;
    }
    tx.commit().await.map_err(unexpected)?;
    Ok(counts)
}

async fn techniques_of(
    db: &impl ConnectionTrait,
    ids: Vec<uuid::Uuid>,
) -> Result<HashMap<uuid::Uuid, Vec<String>>, RepositoryError> {
    let mut by_rule: HashMap<uuid::Uuid, Vec<String>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let links = rule_technique::Entity::find()
            .filter(rule_technique::Column::RuleId.is_in(chunk.to_vec()))
            .order_by_asc(rule_technique::Column::TechniqueId)
            .all(db)
            .await
            .map_err(unexpected)?;
        for link in links {
            by_rule
                .entry(link.rule_id)
                .or_default()
                .push(link.technique_id);
        }
    }
    Ok(by_rule)
}

/// A rule's summary; the techniques it is tagged with read through the catalog's lineage.
fn summary(
    row: &rule::Model,
    named: &[String],
    lineage: &TechniqueLineage,
) -> Result<RuleSummary, RepositoryError> {
    let (techniques, legacy_techniques) = lineage.resolve_all(named.iter().map(String::as_str));
    Ok(RuleSummary {
        id: row.id,
        source: RuleSource::parse(&row.source)
            .ok_or_else(|| corrupt("rule source", &row.source))?,
        source_id: row.source_id.clone(),
        title: row.title.clone(),
        status: row.status.clone(),
        severity: row.severity.clone(),
        author: row.author.clone(),
        deprecated: row.deprecated,
        techniques,
        legacy_techniques,
    })
}

async fn summaries(
    db: &impl ConnectionTrait,
    rows: Vec<rule::Model>,
    lineage: &TechniqueLineage,
) -> Result<Vec<RuleSummary>, RepositoryError> {
    let techniques = techniques_of(db, rows.iter().map(|r| r.id).collect()).await?;
    rows.iter()
        .map(|row| {
            let named = techniques.get(&row.id).map_or(&[][..], Vec::as_slice);
            summary(row, named, lineage)
        })
        .collect()
}

pub(crate) async fn for_technique(
    db: &impl ConnectionTrait,
    technique: &str,
) -> Result<Vec<RuleSummary>, RepositoryError> {
    // The rules tagged with the technique or with a revoked id it replaced.
    let lineage = super::catalog::read::replacements(db).await?;
    let names = lineage.names_of(technique);
    let ids: Vec<uuid::Uuid> = rule_technique::Entity::find()
        .select_only()
        .column(rule_technique::Column::RuleId)
        .filter(rule_technique::Column::TechniqueId.is_in(names))
        .into_tuple()
        .all(db)
        .await
        .map_err(unexpected)?;
    let rows = rule::Entity::find()
        .filter(rule::Column::Id.is_in(ids.into_iter().collect::<std::collections::HashSet<_>>()))
        .order_by_asc(rule::Column::Deprecated)
        .order_by_asc(rule::Column::Title)
        .all(db)
        .await
        .map_err(unexpected)?;
    summaries(db, rows, &lineage).await
}

pub(crate) async fn list(
    db: &impl ConnectionTrait,
    filter: &RuleFilter,
    page: PageRequest,
) -> Result<Page<RuleSummary>, RepositoryError> {
    let mut query = rule::Entity::find();
    if let Some(source) = filter.source {
        query = query.filter(rule::Column::Source.eq(source.as_str()));
    }
    if !filter.include_deprecated {
        query = query.filter(rule::Column::Deprecated.eq(false));
    }
    if let Some(text) = &filter.text {
        query = query.filter(any_contains(&[rule::Column::Title], text));
    }
    let lineage = super::catalog::read::replacements(db).await?;
    if let Some(technique) = &filter.technique {
        let names = lineage.names_of(technique);
        let tagged = rule_technique::Entity::find()
            .select_only()
            .column(rule_technique::Column::RuleId)
            .filter(rule_technique::Column::TechniqueId.is_in(names))
            .into_query();
        query = query.filter(rule::Column::Id.in_subquery(tagged));
    }
    let total = query.clone().count(db).await.map_err(unexpected)?;
    let rows = query
        .order_by_asc(rule::Column::Title)
        .order_by_asc(rule::Column::Id)
        .offset(page.offset())
        .limit(page.per_page())
        .all(db)
        .await
        .map_err(unexpected)?;
    Ok(Page {
        items: summaries(db, rows, &lineage).await?,
        total,
        request: page,
    })
}

pub(crate) async fn find(
    db: &impl ConnectionTrait,
    id: uuid::Uuid,
) -> Result<Option<(RuleSummary, DetectionRule)>, RepositoryError> {
    let Some(row) = rule::Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(unexpected)?
    else {
        return Ok(None);
    };
    let techniques = techniques_of(db, vec![row.id])
        .await?
        .remove(&row.id)
        .unwrap_or_default();
    let lineage = super::catalog::read::replacements(db).await?;
    let summary = summary(&row, &techniques, &lineage)?;
    let rule = DetectionRule {
        source: summary.source,
        source_id: row.source_id,
        title: row.title,
        description: row.description,
        status: row.status,
        severity: row.severity,
        risk_score: row.risk_score.and_then(|s| u32::try_from(s).ok()),
        kind: row.kind,
        techniques,
        tactics: strings(&row.tactics),
        author: row.author,
        references: strings(&row.references),
        false_positives: strings(&row.false_positives),
        created: row.created_on,
        modified: row.modified_on,
        log_source: row.log_source,
        text: row.text,
        path: row.path,
    };
    Ok(Some((summary, rule)))
}

/// How many active rules count under each technique: a rule tagged with a revoked id counts
/// under its successor, once however many of its tags lead there.
pub(crate) async fn active_counts(
    db: &impl ConnectionTrait,
) -> Result<HashMap<String, u32>, RepositoryError> {
    let active = rule::Entity::find()
        .select_only()
        .column(rule::Column::Id)
        .filter(rule::Column::Deprecated.eq(false))
        .into_query();
    let links: Vec<(uuid::Uuid, String)> = rule_technique::Entity::find()
        .select_only()
        .column(rule_technique::Column::RuleId)
        .column(rule_technique::Column::TechniqueId)
        .filter(rule_technique::Column::RuleId.in_subquery(active))
        .into_tuple()
        .all(db)
        .await
        .map_err(unexpected)?;
    let lineage = super::catalog::read::replacements(db).await?;
    let counted: std::collections::HashSet<(uuid::Uuid, String)> = links
        .into_iter()
        .map(|(rule, named)| (rule, lineage.current_of(&named)))
        .collect();
    let mut counts: HashMap<String, u32> = HashMap::new();
    for (_, technique) in counted {
        *counts.entry(technique).or_default() += 1;
    }
    Ok(counts)
}

#[async_trait]
impl<C: Connection> RuleRepository for SeaStore<C> {
    async fn apply_rules(
        &self,
        source: aegis_domain::detection::RuleSource,
        items: &[aegis_domain::detection::DetectionRule],
        at: DateTime<Utc>,
    ) -> Result<aegis_domain::detection::ImportCounts, RepositoryError> {
        let outcome = apply(self.conn(), source, items, at).await?;
        self.changed(Scope::Catalog).await?;
        Ok(outcome)
    }
    async fn rules_for_technique(
        &self,
        technique: &str,
    ) -> Result<Vec<aegis_domain::detection::RuleSummary>, RepositoryError> {
        for_technique(self.conn(), technique).await
    }
    async fn list_rules(
        &self,
        filter: &aegis_domain::detection::RuleFilter,
        page: PageRequest,
    ) -> Result<Page<aegis_domain::detection::RuleSummary>, RepositoryError> {
        list(&self.read(), filter, page).await
    }
    async fn active_rule_counts(
        &self,
    ) -> Result<std::collections::HashMap<String, u32>, RepositoryError> {
        active_counts(&self.read()).await
    }
    async fn find_rule(
        &self,
        id: uuid::Uuid,
    ) -> Result<
        Option<(
            aegis_domain::detection::RuleSummary,
            aegis_domain::detection::DetectionRule,
        )>,
        RepositoryError,
    > {
        find(&self.read(), id).await
    }
}
