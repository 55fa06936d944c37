//! D3FEND countermeasures, upserted by D3FEND id, with the techniques each counters.

use aegis_domain::ports::CountermeasureRepository;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use sha2::{Digest, Sha256};

use aegis_domain::detection::{Countermeasure, ImportCounts};
use aegis_domain::ports::RepositoryError;

use super::error::unexpected;

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod countermeasure {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "countermeasures")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub d3fend_id: String,
            pub name: String,
            pub tactic: String,
            pub fingerprint: String,
            pub updated_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod link {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "countermeasure_techniques")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub d3fend_id: String,
            #[sea_orm(primary_key, auto_increment = false)]
            pub technique_id: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::{countermeasure, link};

use async_trait::async_trait;

use super::read_models::Scope;
use super::{Connection, SeaStore};

fn fingerprint(item: &Countermeasure) -> String {
    let mut digest = Sha256::new();
    for part in [&item.name, &item.tactic] {
        digest.update(part.as_bytes());
        digest.update([0]);
    }
    for technique in &item.techniques {
        digest.update(technique.as_bytes());
        digest.update([0]);
    }
    hex::encode(digest.finalize())
}

pub(crate) async fn apply(
    db: &impl Connection,
    items: &[Countermeasure],
    at: DateTime<Utc>,
) -> Result<ImportCounts, RepositoryError> {
    let tx = super::begin_write(db).await.map_err(unexpected)?;
    let stored: HashMap<String, String> = countermeasure::Entity::find()
        .select_only()
        .columns([
            countermeasure::Column::D3fendId,
            countermeasure::Column::Fingerprint,
        ])
        .into_tuple::<(String, String)>()
        .all(&tx)
        .await
        .map_err(unexpected)?
        .into_iter()
        .collect();
    let mut counts = ImportCounts::default();
    for item in items {
        let print = fingerprint(item);
        let row = countermeasure::ActiveModel {
            d3fend_id: Set(item.d3fend_id.clone()),
            name: Set(item.name.clone()),
            tactic: Set(item.tactic.chars().take(32).collect()),
            fingerprint: Set(print.clone()),
            updated_at: Set(at),
        };
        match stored.get(&item.d3fend_id) {
            Some(old) if *old == print => {
                counts.unchanged += 1;
                continue;
            }
            Some(_) => {
                countermeasure::Entity::update(row)
                    .exec(&tx)
                    .await
                    .map_err(unexpected)?;
                link::Entity::delete_many()
                    .filter(link::Column::D3fendId.eq(item.d3fend_id.as_str()))
                    .exec(&tx)
                    .await
                    .map_err(unexpected)?;
                counts.updated += 1;
            }
            None => {
                countermeasure::Entity::insert(row)
                    .exec_without_returning(&tx)
                    .await
                    .map_err(unexpected)?;
                counts.created += 1;
            }
        }
        if !item.techniques.is_empty() {
            let links = item.techniques.iter().map(|technique| link::ActiveModel {
                d3fend_id: Set(item.d3fend_id.clone()),
                technique_id: Set(technique.chars().take(16).collect()),
            });
            link::Entity::insert_many(links)
                .exec_without_returning(&tx)
                .await
                .map_err(unexpected)?;
        }
    }
    tx.commit().await.map_err(unexpected)?;
    Ok(counts)
}

pub(crate) async fn for_technique(
    db: &impl ConnectionTrait,
    technique: &str,
) -> Result<Vec<Countermeasure>, RepositoryError> {
    let ids: Vec<String> = link::Entity::find()
        .select_only()
        .column(link::Column::D3fendId)
        .filter(link::Column::TechniqueId.eq(technique))
        .into_tuple()
        .all(db)
        .await
        .map_err(unexpected)?;
    let rows = countermeasure::Entity::find()
        .filter(countermeasure::Column::D3fendId.is_in(ids))
        .order_by_asc(countermeasure::Column::Tactic)
        .order_by_asc(countermeasure::Column::Name)
        .all(db)
        .await
        .map_err(unexpected)?;
    Ok(rows
        .into_iter()
        .map(|row| Countermeasure {
            d3fend_id: row.d3fend_id,
            name: row.name,
            tactic: row.tactic,
            techniques: vec![technique.to_owned()],
        })
        .collect())
}

pub(crate) async fn count_for_technique(
    db: &impl ConnectionTrait,
    technique: &str,
) -> Result<u32, RepositoryError> {
    let count = link::Entity::find()
        .filter(link::Column::TechniqueId.eq(technique))
        .count(db)
        .await
        .map_err(unexpected)?;
    Ok(u32::try_from(count).unwrap_or(u32::MAX))
}

pub(crate) async fn counts(
    db: &impl ConnectionTrait,
) -> Result<HashMap<String, u32>, RepositoryError> {
    let rows: Vec<(String, i64)> = link::Entity::find()
        .select_only()
        .column(link::Column::TechniqueId)
        .column_as(link::Column::D3fendId.count(), "countermeasures")
        .group_by(link::Column::TechniqueId)
        .into_tuple()
        .all(db)
        .await
        .map_err(unexpected)?;
    Ok(rows
        .into_iter()
        .map(|(technique, n)| (technique, u32::try_from(n).unwrap_or(u32::MAX)))
        .collect())
}

#[async_trait]
impl<C: Connection> CountermeasureRepository for SeaStore<C> {
    async fn apply_countermeasures(
        &self,
        items: &[aegis_domain::detection::Countermeasure],
        at: DateTime<Utc>,
    ) -> Result<aegis_domain::detection::ImportCounts, RepositoryError> {
        let outcome = apply(self.conn(), items, at).await?;
        self.changed(Scope::Catalog).await?;
        Ok(outcome)
    }
    async fn countermeasures_for_technique(
        &self,
        technique: &str,
    ) -> Result<Vec<aegis_domain::detection::Countermeasure>, RepositoryError> {
        for_technique(&self.read(), technique).await
    }
    async fn countermeasure_counts(
        &self,
    ) -> Result<std::collections::HashMap<String, u32>, RepositoryError> {
        counts(&self.read()).await
    }
}
