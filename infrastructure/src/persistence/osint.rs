//! Intelligence items (global, like the catalog): what public sources published, the
//! techniques each names, and each organization's reviews.

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod osint_item {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "osint_items")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub source: String,
            pub feed: String,
            pub url: String,
            pub title: String,
            pub summary: String,
            pub published_at: DateTimeUtc,
            pub severity: Option<String>,
            pub cvss: Option<f64>,
            pub cves: Json,
            pub known_exploited: bool,
            pub imported_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod osint_item_technique {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "osint_item_techniques")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub item_id: Uuid,
            #[sea_orm(primary_key, auto_increment = false)]
            pub technique_id: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {
            #[sea_orm(
                belongs_to = "super::osint_item::Entity",
                from = "Column::ItemId",
                to = "super::osint_item::Column::Id"
            )]
            Item,
        }

        impl Related<super::osint_item::Entity> for Entity {
            fn to() -> RelationDef {
                Relation::Item.def()
            }
        }

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod kev_attack_link {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "kev_attack_links")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub cve: String,
            #[sea_orm(primary_key, auto_increment = false)]
            pub technique_id: String,
            #[sea_orm(primary_key, auto_increment = false)]
            pub mapping_type: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod osint_review {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "osint_reviews")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub tenant_id: Uuid,
            #[sea_orm(primary_key, auto_increment = false)]
            pub item_id: Uuid,
            pub reviewed_by: Uuid,
            pub reviewed_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use aegis_domain::feed::ImportCounts;
use aegis_domain::osint::{
    IntelEntry, IntelFilter, IntelItem, IntelSeverity, IntelSource, IntelSummary, KevMapping,
    KevTechnique, Review,
};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::{Entity, OsintRepository, RepositoryError};
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;

use super::error::{corrupt, unexpected};
use super::{Connection, SeaStore, begin_write};
use entities::{kev_attack_link, osint_item, osint_item_technique, osint_review};

/// Ids per `IN (...)` list: well under SQLite's bound on variables per statement.
const CHUNK: usize = 500;

fn cves_json(cves: &[String]) -> serde_json::Value {
    serde_json::json!(cves)
}

fn entry_of(
    row: osint_item::Model,
    techniques: Vec<String>,
) -> Result<IntelEntry, RepositoryError> {
    Ok(IntelEntry {
        source: IntelSource::parse(&row.source)
            .ok_or_else(|| corrupt("intelligence source", &row.source))?,
        feed: row.feed,
        url: row.url,
        title: row.title,
        summary: row.summary,
        published_at: row.published_at,
        severity: row
            .severity
            .as_deref()
            .map(|s| IntelSeverity::parse(s).ok_or_else(|| corrupt("intelligence severity", s)))
            .transpose()?,
        cvss: row.cvss,
        cves: serde_json::from_value(row.cves).map_err(|e| corrupt("intelligence CVEs", e))?,
        known_exploited: row.known_exploited,
        techniques,
    })
}

/// Whether the stored row says what the entry says (techniques compared apart).
fn same(row: &osint_item::Model, entry: &IntelEntry) -> bool {
    row.source == entry.source.as_str()
        && row.feed == entry.feed
        && row.title == entry.title
        && row.summary == entry.summary
        && row.published_at == entry.published_at
        && row.severity.as_deref() == entry.severity.map(IntelSeverity::as_str)
        && row.cvss == entry.cvss
        && row.cves == cves_json(&entry.cves)
        && row.known_exploited == entry.known_exploited
}

async fn techniques_of(
    db: &impl ConnectionTrait,
    ids: &[uuid::Uuid],
) -> Result<HashMap<uuid::Uuid, Vec<String>>, RepositoryError> {
    let mut by_item: HashMap<uuid::Uuid, Vec<String>> = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let rows = osint_item_technique::Entity::find()
            .filter(osint_item_technique::Column::ItemId.is_in(chunk.iter().copied()))
            .order_by_asc(osint_item_technique::Column::TechniqueId)
            .all(db)
            .await
            .map_err(unexpected)?;
        for row in rows {
            by_item
                .entry(row.item_id)
                .or_default()
                .push(row.technique_id);
        }
    }
    Ok(by_item)
}

async fn set_techniques(
    db: &impl ConnectionTrait,
    item: uuid::Uuid,
    techniques: &[String],
) -> Result<bool, RepositoryError> {
    let stored: BTreeSet<String> = osint_item_technique::Entity::find()
        .filter(osint_item_technique::Column::ItemId.eq(item))
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(|r| r.technique_id)
        .collect();
    let wanted: BTreeSet<String> = techniques.iter().cloned().collect();
    if stored == wanted {
        return Ok(false);
    }
    osint_item_technique::Entity::delete_many()
        .filter(osint_item_technique::Column::ItemId.eq(item))
        .exec(db)
        .await
        .map_err(unexpected)?;
    add_techniques(db, item, wanted.iter()).await?;
    Ok(true)
}

async fn add_techniques<'a>(
    db: &impl ConnectionTrait,
    item: uuid::Uuid,
    techniques: impl Iterator<Item = &'a String>,
) -> Result<(), RepositoryError> {
    let rows: Vec<osint_item_technique::ActiveModel> = techniques
        .map(|t| osint_item_technique::ActiveModel {
            item_id: Set(item),
            technique_id: Set(t.clone()),
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    osint_item_technique::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

fn row_of(id: uuid::Uuid, entry: &IntelEntry, at: DateTime<Utc>) -> osint_item::ActiveModel {
    osint_item::ActiveModel {
        id: Set(id),
        source: Set(entry.source.as_str().to_owned()),
        feed: Set(entry.feed.clone()),
        url: Set(entry.url.clone()),
        title: Set(entry.title.clone()),
        summary: Set(entry.summary.clone()),
        published_at: Set(entry.published_at),
        severity: Set(entry.severity.map(|s| s.as_str().to_owned())),
        cvss: Set(entry.cvss),
        cves: Set(cves_json(&entry.cves)),
        known_exploited: Set(entry.known_exploited),
        imported_at: Set(at),
    }
}

async fn apply_items_in(
    db: &impl ConnectionTrait,
    entries: &[IntelEntry],
    at: DateTime<Utc>,
) -> Result<ImportCounts, RepositoryError> {
    let mut counts = ImportCounts::default();
    // One item per URL: a URL the batch repeats keeps its first entry.
    let mut seen = HashSet::new();
    let entries: Vec<&IntelEntry> = entries.iter().filter(|e| seen.insert(&e.url)).collect();
    for chunk in entries.chunks(CHUNK) {
        let stored: HashMap<String, osint_item::Model> = osint_item::Entity::find()
            .filter(osint_item::Column::Url.is_in(chunk.iter().map(|e| e.url.clone())))
            .all(db)
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(|row| (row.url.clone(), row))
            .collect();
        for entry in chunk {
            match stored.get(&entry.url) {
                None => {
                    let id = uuid::Uuid::now_v7();
                    osint_item::Entity::insert(row_of(id, entry, at))
                        .exec_without_returning(db)
                        .await
                        .map_err(unexpected)?;
                    add_techniques(db, id, entry.techniques.iter()).await?;
                    counts.created += 1;
                }
                Some(row) => {
                    let relinked = set_techniques(db, row.id, &entry.techniques).await?;
                    if same(row, entry) {
                        if relinked {
                            counts.updated += 1;
                        } else {
                            counts.unchanged += 1;
                        }
                        continue;
                    }
                    let mut update = row_of(row.id, entry, row.imported_at);
                    update.imported_at = Set(at);
                    osint_item::Entity::update(update)
                        .exec(db)
                        .await
                        .map_err(unexpected)?;
                    counts.updated += 1;
                }
            }
        }
    }
    Ok(counts)
}

async fn apply_mapping_in(
    db: &impl ConnectionTrait,
    links: &[KevTechnique],
) -> Result<ImportCounts, RepositoryError> {
    let stored: BTreeSet<KevTechnique> = kev_attack_link::Entity::find()
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(|r| KevTechnique {
            cve: r.cve,
            technique: r.technique_id,
            mapping_type: r.mapping_type,
        })
        .collect();
    let wanted: BTreeSet<KevTechnique> = links.iter().cloned().collect();
    let counts = ImportCounts {
        created: wanted.difference(&stored).count() as u64,
        updated: stored.difference(&wanted).count() as u64,
        unchanged: wanted.intersection(&stored).count() as u64,
    };
    if stored == wanted {
        return Ok(counts);
    }
    kev_attack_link::Entity::delete_many()
        .exec(db)
        .await
        .map_err(unexpected)?;
    let rows: Vec<kev_attack_link::ActiveModel> = wanted
        .iter()
        .map(|l| kev_attack_link::ActiveModel {
            cve: Set(l.cve.clone()),
            technique_id: Set(l.technique.clone()),
            mapping_type: Set(l.mapping_type.clone()),
        })
        .collect();
    for chunk in rows.chunks(CHUNK) {
        kev_attack_link::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await
            .map_err(unexpected)?;
    }
    // Items keep the techniques they name; those their CVEs lead to are added.
    let mapping = KevMapping::new(wanted);
    let items: Vec<(uuid::Uuid, serde_json::Value)> = osint_item::Entity::find()
        .select_only()
        .column(osint_item::Column::Id)
        .column(osint_item::Column::Cves)
        .into_tuple()
        .all(db)
        .await
        .map_err(unexpected)?;
    for (id, cves) in items {
        let cves: Vec<String> = serde_json::from_value(cves).unwrap_or_default();
        let reached = mapping.techniques_of(&cves);
        if reached.is_empty() {
            continue;
        }
        let current: BTreeSet<String> = techniques_of(db, &[id])
            .await?
            .remove(&id)
            .unwrap_or_default()
            .into_iter()
            .collect();
        add_techniques(db, id, reached.iter().filter(|t| !current.contains(*t))).await?;
    }
    Ok(counts)
}

fn item_condition(tenant: TenantId, filter: &IntelFilter) -> Condition {
    let mut condition = Condition::all();
    if let Some(source) = filter.source {
        condition = condition.add(osint_item::Column::Source.eq(source.as_str()));
    }
    if let Some(severity) = filter.severity {
        condition = condition.add(osint_item::Column::Severity.eq(severity.as_str()));
    }
    if let Some(known) = filter.known_exploited {
        condition = condition.add(osint_item::Column::KnownExploited.eq(known));
    }
    if let Some(from) = filter.published_from {
        condition = condition.add(osint_item::Column::PublishedAt.gte(from));
    }
    if let Some(technique) = &filter.technique {
        condition = condition.add(
            osint_item::Column::Id.in_subquery(
                Query::select()
                    .column(osint_item_technique::Column::ItemId)
                    .from(osint_item_technique::Entity)
                    .and_where(osint_item_technique::Column::TechniqueId.eq(technique.as_str()))
                    .to_owned(),
            ),
        );
    }
    if let Some(reviewed) = filter.reviewed {
        let reviews = Query::select()
            .column(osint_review::Column::ItemId)
            .from(osint_review::Entity)
            .and_where(osint_review::Column::TenantId.eq(tenant.as_uuid()))
            .to_owned();
        condition = condition.add(if reviewed {
            osint_item::Column::Id.in_subquery(reviews)
        } else {
            osint_item::Column::Id.not_in_subquery(reviews)
        });
    }
    if let Some(text) = &filter.text {
        condition = condition.add(super::text_search::any_contains(
            &[
                osint_item::Column::Title,
                osint_item::Column::Summary,
                osint_item::Column::Cves,
            ],
            text,
        ));
    }
    condition
}

async fn items_with_details(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    rows: Vec<osint_item::Model>,
) -> Result<Vec<IntelItem>, RepositoryError> {
    let ids: Vec<uuid::Uuid> = rows.iter().map(|r| r.id).collect();
    let mut techniques = techniques_of(db, &ids).await?;
    let mut reviews: HashMap<uuid::Uuid, Review> = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        for review in osint_review::Entity::find()
            .filter(osint_review::Column::TenantId.eq(tenant.as_uuid()))
            .filter(osint_review::Column::ItemId.is_in(chunk.iter().copied()))
            .all(db)
            .await
            .map_err(unexpected)?
        {
            reviews.insert(
                review.item_id,
                Review {
                    reviewed_by: UserId::from_uuid(review.reviewed_by),
                    reviewed_at: review.reviewed_at,
                },
            );
        }
    }
    rows.into_iter()
        .map(|row| {
            let id = row.id;
            let imported_at = row.imported_at;
            Ok(IntelItem {
                id,
                entry: entry_of(row, techniques.remove(&id).unwrap_or_default())?,
                imported_at,
                reviewed: reviews.get(&id).copied(),
            })
        })
        .collect()
}

async fn count_where(
    db: &impl ConnectionTrait,
    condition: Condition,
) -> Result<u64, RepositoryError> {
    osint_item::Entity::find()
        .filter(condition)
        .count(db)
        .await
        .map_err(unexpected)
}

#[async_trait]
impl<C: Connection> OsintRepository for SeaStore<C> {
    async fn apply_items(
        &self,
        entries: &[IntelEntry],
        at: DateTime<Utc>,
    ) -> Result<ImportCounts, RepositoryError> {
        let transaction = begin_write(self.conn()).await.map_err(unexpected)?;
        let counts = apply_items_in(&transaction, entries, at).await?;
        transaction.commit().await.map_err(unexpected)?;
        Ok(counts)
    }

    async fn apply_kev_mapping(
        &self,
        links: &[KevTechnique],
    ) -> Result<ImportCounts, RepositoryError> {
        let transaction = begin_write(self.conn()).await.map_err(unexpected)?;
        let counts = apply_mapping_in(&transaction, links).await?;
        transaction.commit().await.map_err(unexpected)?;
        Ok(counts)
    }

    async fn kev_mapping(&self) -> Result<KevMapping, RepositoryError> {
        Ok(KevMapping::new(
            kev_attack_link::Entity::find()
                .all(self.conn())
                .await
                .map_err(unexpected)?
                .into_iter()
                .map(|r| KevTechnique {
                    cve: r.cve,
                    technique: r.technique_id,
                    mapping_type: r.mapping_type,
                }),
        ))
    }

    async fn list_items(
        &self,
        tenant: TenantId,
        filter: &IntelFilter,
        page: PageRequest,
    ) -> Result<Page<IntelItem>, RepositoryError> {
        let query = osint_item::Entity::find().filter(item_condition(tenant, filter));
        let total = query.clone().count(self.conn()).await.map_err(unexpected)?;
        let rows = query
            .order_by_desc(osint_item::Column::PublishedAt)
            .order_by_asc(osint_item::Column::Id)
            .offset(page.offset())
            .limit(page.per_page())
            .all(self.conn())
            .await
            .map_err(unexpected)?;
        Ok(Page {
            items: items_with_details(self.conn(), tenant, rows).await?,
            total,
            request: page,
        })
    }

    async fn find_item(
        &self,
        tenant: TenantId,
        id: uuid::Uuid,
    ) -> Result<Option<IntelItem>, RepositoryError> {
        let Some(row) = osint_item::Entity::find_by_id(id)
            .one(self.conn())
            .await
            .map_err(unexpected)?
        else {
            return Ok(None);
        };
        Ok(items_with_details(self.conn(), tenant, vec![row])
            .await?
            .pop())
    }

    async fn review_item(
        &self,
        tenant: TenantId,
        id: uuid::Uuid,
        by: UserId,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        let exists = osint_item::Entity::find_by_id(id)
            .count(self.conn())
            .await
            .map_err(unexpected)?
            > 0;
        if !exists {
            return Err(RepositoryError::NotFound(Entity::IntelItem));
        }
        let review = osint_review::ActiveModel {
            tenant_id: Set(tenant.as_uuid()),
            item_id: Set(id),
            reviewed_by: Set(by.as_uuid()),
            reviewed_at: Set(at),
        };
        osint_review::Entity::insert(review)
            .on_conflict(
                sea_orm::sea_query::OnConflict::columns([
                    osint_review::Column::TenantId,
                    osint_review::Column::ItemId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(self.conn())
            .await
            .map_err(unexpected)?;
        Ok(())
    }

    async fn summary(
        &self,
        tenant: TenantId,
        since: DateTime<Utc>,
    ) -> Result<IntelSummary, RepositoryError> {
        let db = self.conn();
        let items = count_where(db, Condition::all()).await?;
        let unreviewed = count_where(
            db,
            item_condition(
                tenant,
                &IntelFilter {
                    reviewed: Some(false),
                    ..IntelFilter::default()
                },
            ),
        )
        .await?;
        let known_exploited = count_where(
            db,
            Condition::all().add(osint_item::Column::KnownExploited.eq(true)),
        )
        .await?;
        let recent = count_where(
            db,
            Condition::all().add(osint_item::Column::PublishedAt.gte(since)),
        )
        .await?;
        let mut by_source = Vec::new();
        for source in IntelSource::ALL {
            let n = count_where(
                db,
                Condition::all().add(osint_item::Column::Source.eq(source.as_str())),
            )
            .await?;
            by_source.push((source, n));
        }
        let mut by_severity = Vec::new();
        for severity in IntelSeverity::ALL {
            let n = count_where(
                db,
                Condition::all().add(osint_item::Column::Severity.eq(severity.as_str())),
            )
            .await?;
            by_severity.push((severity, n));
        }
        let counts: Vec<(String, i64)> = osint_item_technique::Entity::find()
            .select_only()
            .column(osint_item_technique::Column::TechniqueId)
            .column_as(osint_item_technique::Column::ItemId.count(), "mentions")
            .inner_join(osint_item::Entity)
            .filter(osint_item::Column::PublishedAt.gte(since))
            .group_by(osint_item_technique::Column::TechniqueId)
            .into_tuple()
            .all(db)
            .await
            .map_err(unexpected)?;
        let mut ranked: BTreeMap<(std::cmp::Reverse<i64>, String), ()> = BTreeMap::new();
        for (technique, n) in counts {
            ranked.insert((std::cmp::Reverse(n), technique), ());
        }
        let top_techniques = ranked
            .into_keys()
            .take(10)
            .map(|(std::cmp::Reverse(n), t)| (t, u64::try_from(n).unwrap_or(0)))
            .collect();
        let last_published_at: Option<DateTime<Utc>> = osint_item::Entity::find()
            .select_only()
            .column_as(osint_item::Column::PublishedAt.max(), "last")
            .into_tuple::<Option<DateTime<Utc>>>()
            .one(db)
            .await
            .map_err(unexpected)?
            .flatten();
        Ok(IntelSummary {
            items,
            unreviewed,
            known_exploited,
            recent,
            by_source,
            by_severity,
            top_techniques,
            last_published_at,
        })
    }
}
