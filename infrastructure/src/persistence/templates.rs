//! Test templates and living-off-the-land binaries: upserted per source by their own ids, in
//! one transaction, each kept whole as JSON beside the columns the lists filter on.

use aegis_domain::ports::TemplateRepository;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use sha2::{Digest, Sha256};

use aegis_domain::detection::ImportCounts;
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::RepositoryError;
use aegis_domain::technique_lineage::TechniqueLineage;
use aegis_domain::template::{
    BinarySummary, LolBinary, TemplateFilter, TemplateSource, TemplateSummary, TestTemplate,
};

use super::error::{corrupt, unexpected};
use super::text_search::any_contains;

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod template {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "test_templates")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub source: String,
            pub source_id: String,
            pub name: String,
            pub technique_id: String,
            pub platforms: String,
            pub body: Json,
            pub licence: String,
            pub fingerprint: String,
            pub imported_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod binary {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "lol_binaries")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub source: String,
            pub name: String,
            pub body: Json,
            pub licence: String,
            pub fingerprint: String,
            pub imported_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod binary_technique {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "lol_binary_techniques")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub binary_id: Uuid,
            #[sea_orm(primary_key, auto_increment = false)]
            pub technique_id: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::{binary, binary_technique, template};

use aegis_domain::canonical_json::canonical_json;
use async_trait::async_trait;

use super::read_models::Scope;
use super::{Connection, SeaStore};

/// The stored JSON and its fingerprint: an unchanged item is left alone on re-import.
fn body_of(item: &impl serde::Serialize) -> Result<(serde_json::Value, String), RepositoryError> {
    let body = serde_json::to_value(item).map_err(|e| corrupt("import item", e))?;
    let print = hex::encode(Sha256::digest(canonical_json(&body).as_bytes()));
    Ok((body, print))
}

/// `,windows,linux,`, so that one `LIKE '%,linux,%'` finds a platform on both databases.
fn platform_column(platforms: &[String]) -> String {
    format!(",{},", platforms.join(","))
}

/// What is stored for one source: its own id → (row id, fingerprint, first import).
type Stored = HashMap<String, (uuid::Uuid, String, DateTime<Utc>)>;

async fn apply_templates_in(
    tx: &DatabaseTransaction,
    source: TemplateSource,
    templates: &[TestTemplate],
    at: DateTime<Utc>,
) -> Result<ImportCounts, RepositoryError> {
    let stored: Stored = template::Entity::find()
        .select_only()
        .columns([
            template::Column::SourceId,
            template::Column::Id,
            template::Column::Fingerprint,
            template::Column::ImportedAt,
        ])
        .filter(template::Column::Source.eq(source.as_str()))
        .into_tuple::<(String, uuid::Uuid, String, DateTime<Utc>)>()
        .all(tx)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(|(key, id, print, imported)| (key, (id, print, imported)))
        .collect();
    let mut counts = ImportCounts::default();
    for item in templates {
        let (body, print) = body_of(item)?;
        let row = |id, imported_at| template::ActiveModel {
            id: Set(id),
            source: Set(source.as_str().to_owned()),
            source_id: Set(item.source_id.chars().take(160).collect()),
            name: Set(item.name.clone()),
            technique_id: Set(item.technique.chars().take(16).collect()),
            platforms: Set(platform_column(&item.platforms)),
            body: Set(body.clone()),
            licence: Set(source.licence().to_owned()),
            fingerprint: Set(print.clone()),
            imported_at: Set(imported_at),
            updated_at: Set(at),
        };
        match stored.get(&item.source_id) {
            Some((_, old, _)) if *old == print => counts.unchanged += 1,
            Some((id, _, imported)) => {
                template::Entity::update(row(*id, *imported))
                    .exec(tx)
                    .await
                    .map_err(unexpected)?;
                counts.updated += 1;
            }
            None => {
                template::Entity::insert(row(uuid::Uuid::now_v7(), at))
                    .exec_without_returning(tx)
                    .await
                    .map_err(unexpected)?;
                counts.created += 1;
            }
        }
    }
    Ok(counts)
}

pub(crate) async fn apply_templates(
    db: &impl Connection,
    source: TemplateSource,
    templates: &[TestTemplate],
    at: DateTime<Utc>,
) -> Result<ImportCounts, RepositoryError> {
    let tx = super::begin_write(db).await.map_err(unexpected)?;
    let counts = apply_templates_in(&tx, source, templates, at).await?;
    tx.commit().await.map_err(unexpected)?;
    Ok(counts)
}

pub(crate) async fn apply_binaries(
    db: &impl Connection,
    source: TemplateSource,
    binaries: &[LolBinary],
    at: DateTime<Utc>,
) -> Result<(ImportCounts, ImportCounts), RepositoryError> {
    let tx = super::begin_write(db).await.map_err(unexpected)?;
    let stored: Stored = binary::Entity::find()
        .select_only()
        .columns([
            binary::Column::Name,
            binary::Column::Id,
            binary::Column::Fingerprint,
            binary::Column::ImportedAt,
        ])
        .filter(binary::Column::Source.eq(source.as_str()))
        .into_tuple::<(String, uuid::Uuid, String, DateTime<Utc>)>()
        .all(&tx)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(|(key, id, print, imported)| (key, (id, print, imported)))
        .collect();
    let mut counts = ImportCounts::default();
    for item in binaries {
        let (body, print) = body_of(item)?;
        let row = |id, imported_at| binary::ActiveModel {
            id: Set(id),
            source: Set(source.as_str().to_owned()),
            name: Set(item.name.chars().take(160).collect()),
            body: Set(body.clone()),
            licence: Set(source.licence().to_owned()),
            fingerprint: Set(print.clone()),
            imported_at: Set(imported_at),
            updated_at: Set(at),
        };
        let id = match stored.get(&item.name) {
            Some((_, old, _)) if *old == print => {
                counts.unchanged += 1;
                continue;
            }
            Some((id, _, imported)) => {
                binary::Entity::update(row(*id, *imported))
                    .exec(&tx)
                    .await
                    .map_err(unexpected)?;
                binary_technique::Entity::delete_many()
                    .filter(binary_technique::Column::BinaryId.eq(*id))
                    .exec(&tx)
                    .await
                    .map_err(unexpected)?;
                counts.updated += 1;
                *id
            }
            None => {
                let id = uuid::Uuid::now_v7();
                binary::Entity::insert(row(id, at))
                    .exec_without_returning(&tx)
                    .await
                    .map_err(unexpected)?;
                counts.created += 1;
                id
            }
        };
        let techniques = item.techniques();
        if !techniques.is_empty() {
            let links = techniques
                .iter()
                .map(|technique| binary_technique::ActiveModel {
                    binary_id: Set(id),
                    technique_id: Set(technique.chars().take(16).collect()),
                });
            binary_technique::Entity::insert_many(links)
                .exec_without_returning(&tx)
                .await
                .map_err(unexpected)?;
        }
    }
    let templates: Vec<TestTemplate> = binaries.iter().flat_map(LolBinary::templates).collect();
    let template_counts = apply_templates_in(&tx, source, &templates, at).await?;
    tx.commit().await.map_err(unexpected)?;
    Ok((counts, template_counts))
}

/// A stored template and its summary, the technique it names read through the catalog's
/// lineage (a revoked id counts under its successor).
fn decode(
    row: template::Model,
    lineage: &TechniqueLineage,
) -> Result<(TemplateSummary, TestTemplate), RepositoryError> {
    let template: TestTemplate =
        serde_json::from_value(row.body).map_err(|e| corrupt("test template", e))?;
    let technique = lineage.current_of(&template.technique);
    let summary = TemplateSummary {
        id: row.id,
        source: template.source,
        source_id: template.source_id.clone(),
        name: template.name.clone(),
        named_technique: (technique != template.technique).then(|| template.technique.clone()),
        technique,
        platforms: template.platforms.clone(),
        executors: template.executors.iter().map(|e| e.name.clone()).collect(),
    };
    Ok((summary, template))
}

pub(crate) async fn list(
    db: &impl ConnectionTrait,
    filter: &TemplateFilter,
    page: PageRequest,
) -> Result<Page<TemplateSummary>, RepositoryError> {
    let mut query = template::Entity::find();
    if let Some(source) = filter.source {
        query = query.filter(template::Column::Source.eq(source.as_str()));
    }
    let lineage = super::catalog::read::replacements(db).await?;
    if let Some(technique) = &filter.technique {
        query = query.filter(template::Column::TechniqueId.is_in(lineage.names_of(technique)));
    }
    if let Some(platform) = &filter.platform {
        let wanted = platform_column(&[platform.trim().to_ascii_lowercase()]);
        query = query.filter(template::Column::Platforms.contains(wanted));
    }
    if let Some(text) = &filter.text {
        query = query.filter(any_contains(&[template::Column::Name], text));
    }
    let total = query.clone().count(db).await.map_err(unexpected)?;
    let rows = query
        .order_by_asc(template::Column::TechniqueId)
        .order_by_asc(template::Column::Name)
        .order_by_asc(template::Column::Id)
        .offset(page.offset())
        .limit(page.per_page())
        .all(db)
        .await
        .map_err(unexpected)?;
    Ok(Page {
        items: rows
            .into_iter()
            .map(|row| decode(row, &lineage).map(|(summary, _)| summary))
            .collect::<Result<_, _>>()?,
        total,
        request: page,
    })
}

pub(crate) async fn find(
    db: &impl ConnectionTrait,
    id: uuid::Uuid,
) -> Result<Option<(TemplateSummary, TestTemplate)>, RepositoryError> {
    let Some(row) = template::Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(unexpected)?
    else {
        return Ok(None);
    };
    let lineage = super::catalog::read::replacements(db).await?;
    decode(row, &lineage).map(Some)
}

pub(crate) async fn binaries_for_technique(
    db: &impl ConnectionTrait,
    technique: &str,
) -> Result<Vec<BinarySummary>, RepositoryError> {
    // Binaries whose uses name the technique or a revoked id it replaced.
    let names = super::catalog::read::replacements(db)
        .await?
        .names_of(technique);
    let ids: Vec<uuid::Uuid> = binary_technique::Entity::find()
        .select_only()
        .column(binary_technique::Column::BinaryId)
        .filter(binary_technique::Column::TechniqueId.is_in(names.clone()))
        .into_tuple()
        .all(db)
        .await
        .map_err(unexpected)?;
    let rows = binary::Entity::find()
        .filter(binary::Column::Id.is_in(ids))
        .order_by_asc(binary::Column::Name)
        .all(db)
        .await
        .map_err(unexpected)?;
    rows.into_iter()
        .map(|row| {
            let binary: LolBinary =
                serde_json::from_value(row.body).map_err(|e| corrupt("binary", e))?;
            Ok(BinarySummary {
                id: row.id,
                source: binary.source,
                name: binary.name,
                description: binary.description,
                uses: binary
                    .uses
                    .into_iter()
                    .filter(|u| u.techniques.iter().any(|t| names.contains(t)))
                    .collect(),
            })
        })
        .collect()
}

#[async_trait]
impl<C: Connection> TemplateRepository for SeaStore<C> {
    async fn apply_templates(
        &self,
        source: aegis_domain::template::TemplateSource,
        items: &[aegis_domain::template::TestTemplate],
        at: DateTime<Utc>,
    ) -> Result<aegis_domain::feed::ImportCounts, RepositoryError> {
        let outcome = apply_templates(self.conn(), source, items, at).await?;
        self.changed(Scope::Catalog).await?;
        Ok(outcome)
    }
    async fn apply_binaries(
        &self,
        source: aegis_domain::template::TemplateSource,
        items: &[aegis_domain::template::LolBinary],
        at: DateTime<Utc>,
    ) -> Result<
        (
            aegis_domain::feed::ImportCounts,
            aegis_domain::feed::ImportCounts,
        ),
        RepositoryError,
    > {
        let outcome = apply_binaries(self.conn(), source, items, at).await?;
        self.changed(Scope::Catalog).await?;
        Ok(outcome)
    }
    async fn list_templates(
        &self,
        filter: &aegis_domain::template::TemplateFilter,
        page: PageRequest,
    ) -> Result<Page<aegis_domain::template::TemplateSummary>, RepositoryError> {
        list(&self.read(), filter, page).await
    }
    async fn find_template(
        &self,
        id: uuid::Uuid,
    ) -> Result<
        Option<(
            aegis_domain::template::TemplateSummary,
            aegis_domain::template::TestTemplate,
        )>,
        RepositoryError,
    > {
        find(&self.read(), id).await
    }
    async fn binaries_for_technique(
        &self,
        technique: &str,
    ) -> Result<Vec<aegis_domain::template::BinarySummary>, RepositoryError> {
        binaries_for_technique(self.conn(), technique).await
    }
}
