//! Compliance frameworks: each import replaces a framework's mappings in one transaction.

use aegis_domain::ports::ComplianceRepository;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use sha2::{Digest, Sha256};

use aegis_domain::compliance::{ControlMapping, Framework, FrameworkSummary};
use aegis_domain::feed::ImportCounts;
use aegis_domain::ports::RepositoryError;

use super::error::unexpected;

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod framework {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "compliance_frameworks")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: String,
            pub name: String,
            pub version: String,
            pub attack_version: String,
            pub source: String,
            pub fingerprint: String,
            pub imported_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod mapping {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "compliance_mappings")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub framework_id: String,
            #[sea_orm(primary_key, auto_increment = false)]
            pub control_id: String,
            #[sea_orm(primary_key, auto_increment = false)]
            pub technique_id: String,
            pub control_name: String,
            pub control_group: Option<String>,
            pub mapping_type: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::{framework, mapping};

use async_trait::async_trait;

use super::read_models::Scope;
use super::{Connection, SeaStore};

fn fingerprint(framework: &Framework, mappings: &[ControlMapping]) -> String {
    let mut digest = Sha256::new();
    for part in [
        &framework.name,
        &framework.version,
        &framework.attack_version,
    ] {
        digest.update(part.as_bytes());
        digest.update([0]);
    }
    for m in mappings {
        for part in [
            &m.control_id,
            &m.control_name,
            &m.technique,
            &m.mapping_type,
        ] {
            digest.update(part.as_bytes());
            digest.update([0]);
        }
    }
    hex::encode(digest.finalize())
}

fn to_framework(row: framework::Model) -> Framework {
    Framework {
        id: row.id,
        name: row.name,
        version: row.version,
        attack_version: row.attack_version,
        source: row.source,
    }
}

pub(crate) async fn apply(
    db: &impl Connection,
    framework: &Framework,
    mappings: &[ControlMapping],
    at: DateTime<Utc>,
) -> Result<ImportCounts, RepositoryError> {
    let print = fingerprint(framework, mappings);
    let tx = super::begin_write(db).await.map_err(unexpected)?;
    let stored = framework::Entity::find_by_id(framework.id.clone())
        .one(&tx)
        .await
        .map_err(unexpected)?;
    let count = mappings.len() as u64;
    if stored.as_ref().is_some_and(|s| s.fingerprint == print) {
        return Ok(ImportCounts {
            unchanged: count,
            ..ImportCounts::default()
        });
    }
    mapping::Entity::delete_many()
        .filter(mapping::Column::FrameworkId.eq(framework.id.as_str()))
        .exec(&tx)
        .await
        .map_err(unexpected)?;
    framework::Entity::delete_by_id(framework.id.clone())
        .exec(&tx)
        .await
        .map_err(unexpected)?;
    framework::Entity::insert(framework::ActiveModel {
        id: Set(framework.id.clone()),
        name: Set(framework.name.clone()),
        version: Set(framework.version.chars().take(32).collect()),
        attack_version: Set(framework.attack_version.chars().take(16).collect()),
        source: Set(framework.source.clone()),
        fingerprint: Set(print),
        imported_at: Set(at),
    })
    .exec_without_returning(&tx)
    .await
    .map_err(unexpected)?;
    for chunk in mappings.chunks(500) {
        let rows = chunk.iter().map(|m| mapping::ActiveModel {
            framework_id: Set(framework.id.clone()),
            control_id: Set(m.control_id.chars().take(64).collect()),
            technique_id: Set(m.technique.chars().take(16).collect()),
            control_name: Set(m.control_name.clone()),
            control_group: Set(m.group.clone()),
            mapping_type: Set(m.mapping_type.chars().take(32).collect()),
        });
        mapping::Entity::insert_many(rows)
            .exec_without_returning(&tx)
            .await
            .map_err(unexpected)?;
    }
    tx.commit().await.map_err(unexpected)?;
    Ok(if stored.is_some() {
        ImportCounts {
            updated: count,
            ..ImportCounts::default()
        }
    } else {
        ImportCounts {
            created: count,
            ..ImportCounts::default()
        }
    })
}

pub(crate) async fn summaries(
    db: &impl ConnectionTrait,
) -> Result<Vec<FrameworkSummary>, RepositoryError> {
    let frameworks = framework::Entity::find()
        .order_by_asc(framework::Column::Id)
        .all(db)
        .await
        .map_err(unexpected)?;
    let mut sizes: HashMap<String, (std::collections::HashSet<String>, u32)> = HashMap::new();
    for (framework_id, control_id) in mapping::Entity::find()
        .select_only()
        .columns([mapping::Column::FrameworkId, mapping::Column::ControlId])
        .into_tuple::<(String, String)>()
        .all(db)
        .await
        .map_err(unexpected)?
    {
        let entry = sizes.entry(framework_id).or_default();
        entry.0.insert(control_id);
        entry.1 += 1;
    }
    Ok(frameworks
        .into_iter()
        .map(|row| {
            let (controls, mappings) = sizes
                .remove(&row.id)
                .map(|(controls, n)| (u32::try_from(controls.len()).unwrap_or(u32::MAX), n))
                .unwrap_or_default();
            FrameworkSummary {
                framework: to_framework(row),
                controls,
                mappings,
            }
        })
        .collect())
}

pub(crate) async fn mappings_of(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<(Framework, Vec<ControlMapping>)>, RepositoryError> {
    let Some(row) = framework::Entity::find_by_id(id.to_owned())
        .one(db)
        .await
        .map_err(unexpected)?
    else {
        return Ok(None);
    };
    let mappings = mapping::Entity::find()
        .filter(mapping::Column::FrameworkId.eq(id))
        .order_by_asc(mapping::Column::ControlId)
        .order_by_asc(mapping::Column::TechniqueId)
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(|m| ControlMapping {
            control_id: m.control_id,
            control_name: m.control_name,
            group: m.control_group,
            technique: m.technique_id,
            mapping_type: m.mapping_type,
        })
        .collect();
    Ok(Some((to_framework(row), mappings)))
}

#[async_trait]
impl<C: Connection> ComplianceRepository for SeaStore<C> {
    async fn apply_framework(
        &self,
        framework: &aegis_domain::compliance::Framework,
        mappings: &[aegis_domain::compliance::ControlMapping],
        at: DateTime<Utc>,
    ) -> Result<aegis_domain::feed::ImportCounts, RepositoryError> {
        let outcome = apply(self.conn(), framework, mappings, at).await?;
        self.changed(Scope::Catalog).await?;
        Ok(outcome)
    }
    async fn frameworks(
        &self,
    ) -> Result<Vec<aegis_domain::compliance::FrameworkSummary>, RepositoryError> {
        summaries(self.conn()).await
    }
    async fn framework_mappings(
        &self,
        id: &str,
    ) -> Result<
        Option<(
            aegis_domain::compliance::Framework,
            Vec<aegis_domain::compliance::ControlMapping>,
        )>,
        RepositoryError,
    > {
        mappings_of(self.conn(), id).await
    }
}
