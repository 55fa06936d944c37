//! Threat intelligence: upserted by the bundle's STIX id, in one transaction, each actor
//! merged into the catalog threat actor with its STIX id or a shared name or alias, or added
//! to the catalog as an actor of its own (which an ATT&CK release publishing the same STIX
//! id later takes over).

use aegis_domain::canonical_json::canonical_json;
use aegis_domain::ports::IntelRepository;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use sha2::{Digest, Sha256};

use aegis_domain::catalog::Reference;
use aegis_domain::ports::RepositoryError;
use aegis_domain::threat_intel::{IntelActor, IntelCounts, comparable_name, shares_a_name};

use super::catalog::entities::threat_actor;
use super::error::{corrupt, unexpected};
use super::json_values::strings;

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod intel_actor {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "intel_actors")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub stix_id: String,
            pub actor_stix_id: String,
            pub body: Json,
            pub fingerprint: String,
            pub imported_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::intel_actor;

use async_trait::async_trait;

use super::read_models::Scope;
use super::{Connection, SeaStore};

/// Catalog actors added by intelligence carry this fingerprint prefix: an ATT&CK import
/// never matches it, so it replaces the row if ATT&CK publishes the same STIX id.
const ADDED_BY_INTEL: &str = "intel:";

struct CatalogActor {
    stix_id: String,
    from_attack: bool,
    names: Vec<String>,
}

/// The catalog actor an intelligence actor describes: the one with its STIX id, else an
/// ATT&CK group sharing a name or alias, else one intelligence added before.
fn matching<'a>(actor: &IntelActor, catalog: &'a [CatalogActor]) -> Option<&'a CatalogActor> {
    let names = actor.names();
    catalog
        .iter()
        .find(|c| c.stix_id == actor.stix_id)
        .or_else(|| {
            catalog
                .iter()
                .find(|c| c.from_attack && shares_a_name(&names, &c.names))
        })
        .or_else(|| catalog.iter().find(|c| shares_a_name(&names, &c.names)))
}

fn catalog_row(actor: &IntelActor, print: &str) -> threat_actor::ActiveModel {
    let references: Vec<Reference> = actor
        .references
        .iter()
        .map(|url| Reference {
            source: "intel".to_owned(),
            url: Some(url.clone()),
            description: None,
        })
        .collect();
    threat_actor::ActiveModel {
        stix_id: Set(actor.stix_id.clone()),
        mitre_id: Set(None),
        name: Set(actor.name.clone()),
        aliases: Set(serde_json::json!(actor.aliases)),
        description: Set(actor.description.clone()),
        references: Set(serde_json::json!(
            references
                .iter()
                .map(|r| serde_json::json!({"source": r.source, "url": r.url, "description": r.description}))
                .collect::<Vec<_>>()
        )),
        revoked: Set(false),
        deprecated: Set(false),
        modified: Set(None),
        fingerprint: Set(format!("{ADDED_BY_INTEL}{}", &print[..16])),
    }
}

pub(crate) async fn apply(
    db: &impl Connection,
    actors: &[IntelActor],
    at: DateTime<Utc>,
) -> Result<IntelCounts, RepositoryError> {
    let tx = super::begin_write(db).await.map_err(unexpected)?;
    let mut catalog: Vec<CatalogActor> = threat_actor::Entity::find()
        .filter(threat_actor::Column::Revoked.eq(false))
        .all(&tx)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(|row| CatalogActor {
            names: std::iter::once(row.name.clone())
                .chain(strings(&row.aliases))
                .map(|n| comparable_name(&n))
                .collect(),
            from_attack: !row.fingerprint.starts_with(ADDED_BY_INTEL),
            stix_id: row.stix_id,
        })
        .collect();
    let stored: HashMap<String, String> = intel_actor::Entity::find()
        .all(&tx)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(|row| (row.stix_id, row.fingerprint))
        .collect();
    let mut counts = IntelCounts::default();
    for actor in actors {
        let body = serde_json::to_value(actor).map_err(|e| corrupt("intel actor", e))?;
        let print = hex::encode(Sha256::digest(canonical_json(&body).as_bytes()));
        let target = match matching(actor, &catalog) {
            Some(found) if found.from_attack => {
                counts.merged += 1;
                found.stix_id.clone()
            }
            Some(found) => {
                // Ours: keep it as the latest intelligence describes it.
                if found.stix_id == actor.stix_id {
                    threat_actor::Entity::update(catalog_row(actor, &print))
                        .exec(&tx)
                        .await
                        .map_err(unexpected)?;
                }
                found.stix_id.clone()
            }
            None => {
                threat_actor::Entity::insert(catalog_row(actor, &print))
                    .exec_without_returning(&tx)
                    .await
                    .map_err(unexpected)?;
                counts.added += 1;
                catalog.push(CatalogActor {
                    stix_id: actor.stix_id.clone(),
                    from_attack: false,
                    names: actor.names(),
                });
                actor.stix_id.clone()
            }
        };
        let row = intel_actor::ActiveModel {
            stix_id: Set(actor.stix_id.clone()),
            actor_stix_id: Set(target),
            body: Set(body),
            fingerprint: Set(print.clone()),
            imported_at: Set(at),
            updated_at: Set(at),
        };
        match stored.get(&actor.stix_id) {
            Some(old) if *old == print => counts.actors.unchanged += 1,
            Some(_) => {
                let mut row = row;
                row.imported_at = sea_orm::ActiveValue::NotSet;
                intel_actor::Entity::update(row)
                    .exec(&tx)
                    .await
                    .map_err(unexpected)?;
                counts.actors.updated += 1;
            }
            None => {
                intel_actor::Entity::insert(row)
                    .exec_without_returning(&tx)
                    .await
                    .map_err(unexpected)?;
                counts.actors.created += 1;
            }
        }
    }
    tx.commit().await.map_err(unexpected)?;
    Ok(counts)
}

/// The intelligence merged into a catalog actor, each technique it names read through the
/// catalog: a revoked id counts under its successor and is kept in `legacy_techniques`.
pub(crate) async fn for_actor(
    db: &impl ConnectionTrait,
    actor_stix_id: &str,
) -> Result<Vec<IntelActor>, RepositoryError> {
    let rows = intel_actor::Entity::find()
        .filter(intel_actor::Column::ActorStixId.eq(actor_stix_id))
        .order_by_asc(intel_actor::Column::StixId)
        .all(db)
        .await
        .map_err(unexpected)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let lineage = super::catalog::read::replacements(db).await?;
    rows.into_iter()
        .map(|row| {
            let mut actor: IntelActor =
                serde_json::from_value(row.body).map_err(|e| corrupt("intel actor", e))?;
            let (techniques, legacy) =
                lineage.resolve_all(actor.techniques.iter().map(String::as_str));
            actor.techniques = techniques;
            actor.legacy_techniques = legacy;
            Ok(actor)
        })
        .collect()
}

/// The aliases intelligence adds to each of these catalog actors.
pub(crate) async fn aliases_for(
    db: &impl ConnectionTrait,
    actor_stix_ids: Vec<String>,
) -> Result<HashMap<String, Vec<String>>, RepositoryError> {
    let mut aliases: HashMap<String, Vec<String>> = HashMap::new();
    for row in intel_actor::Entity::find()
        .filter(intel_actor::Column::ActorStixId.is_in(actor_stix_ids))
        .all(db)
        .await
        .map_err(unexpected)?
    {
        let actor: IntelActor =
            serde_json::from_value(row.body).map_err(|e| corrupt("intel actor", e))?;
        aliases
            .entry(row.actor_stix_id)
            .or_default()
            .extend(std::iter::once(actor.name).chain(actor.aliases));
    }
    Ok(aliases)
}

/// The catalog actors that intelligence names (name or alias) with `text`, as a subquery.
pub(crate) fn actors_named(text: &str) -> sea_orm::sea_query::SelectStatement {
    use sea_orm::{QuerySelect, QueryTrait};

    intel_actor::Entity::find()
        .select_only()
        .column(intel_actor::Column::ActorStixId)
        .filter(super::text_search::any_contains(
            &[intel_actor::Column::Body],
            text,
        ))
        .into_query()
}

#[async_trait]
impl<C: Connection> IntelRepository for SeaStore<C> {
    async fn apply_intel(
        &self,
        actors: &[aegis_domain::threat_intel::IntelActor],
        at: DateTime<Utc>,
    ) -> Result<aegis_domain::threat_intel::IntelCounts, RepositoryError> {
        let outcome = apply(self.conn(), actors, at).await?;
        self.changed(Scope::Catalog).await?;
        Ok(outcome)
    }
    async fn intel_for_actor(
        &self,
        actor_stix_id: &str,
    ) -> Result<Vec<aegis_domain::threat_intel::IntelActor>, RepositoryError> {
        for_actor(self.conn(), actor_stix_id).await
    }
}
