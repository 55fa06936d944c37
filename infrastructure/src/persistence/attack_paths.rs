//! Attack paths, each with its graph as one JSON document (steps and edges, always read and
//! written whole with the path; the domain checks the graph again when it is read back).

use async_trait::async_trait;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};

use aegis_domain::attack_path::{
    AttackPath, AttackPathId, Edge, Operator, PathGraph, PathSource, Step, StepKind,
};
use aegis_domain::catalog::TechniqueId;
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::{AttackPathRepository, Entity, RepositoryError};
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;

use super::error::{corrupt, ensure_tenant, unexpected};
use super::versioned::{VersionedTable, find_in_tenant, update_versioned};
use super::{Connection, SeaStore};

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod attack_path {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "attack_paths")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub name: String,
            pub description: String,
            pub source: String,
            pub origin: Option<String>,
            pub graph: Json,
            pub version: i32,
            pub created_by: Option<Uuid>,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::attack_path;

/// A step as stored: `technique` for a technique step, `operator` (`AND` / `OR`) otherwise.
#[derive(Serialize, Deserialize)]
struct StoredStep {
    key: String,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    technique: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    operator: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct StoredGraph {
    steps: Vec<StoredStep>,
    edges: Vec<(String, String)>,
}

fn graph_of(value: serde_json::Value) -> Result<PathGraph, RepositoryError> {
    let stored: StoredGraph =
        serde_json::from_value(value).map_err(|e| corrupt("attack path graph", e))?;
    let steps = stored
        .steps
        .into_iter()
        .map(|s| {
            let kind = match (s.technique, s.operator) {
                (Some(technique), None) => StepKind::Technique(
                    TechniqueId::parse(&technique).map_err(|e| corrupt("path technique", e))?,
                ),
                (None, Some(operator)) => StepKind::Operator(
                    Operator::parse(&operator)
                        .ok_or_else(|| corrupt("path operator", &operator))?,
                ),
                _ => return Err(corrupt("path step", &s.key)),
            };
            Ok(Step {
                key: s.key,
                name: s.name,
                kind,
            })
        })
        .collect::<Result<Vec<_>, RepositoryError>>()?;
    let edges = stored
        .edges
        .into_iter()
        .map(|(from, to)| Edge { from, to })
        .collect();
    PathGraph::new(steps, edges).map_err(|e| corrupt("attack path graph", e))
}

fn graph_value(graph: &PathGraph) -> serde_json::Value {
    let stored = StoredGraph {
        steps: graph
            .steps()
            .iter()
            .map(|s| StoredStep {
                key: s.key.clone(),
                name: s.name.clone(),
                technique: s.technique().map(|t| t.as_str().to_owned()),
                operator: match s.kind {
                    StepKind::Operator(op) => Some(op.as_str().to_owned()),
                    StepKind::Technique(_) => None,
                },
            })
            .collect(),
        edges: graph
            .edges()
            .iter()
            .map(|e| (e.from.clone(), e.to.clone()))
            .collect(),
    };
    serde_json::json!(stored)
}

fn to_domain(row: attack_path::Model) -> Result<AttackPath, RepositoryError> {
    let source =
        PathSource::parse(&row.source).ok_or_else(|| corrupt("path source", &row.source))?;
    let mut path = AttackPath::new(
        AttackPathId::from_uuid(row.id),
        TenantId::from_uuid(row.tenant_id),
        row.name,
        row.description,
        source,
        row.origin,
        graph_of(row.graph)?,
        row.created_by.map(UserId::from_uuid),
        row.created_at,
    )
    .restored(row.version);
    path.updated_at = row.updated_at;
    Ok(path)
}

fn to_row(path: &AttackPath) -> attack_path::ActiveModel {
    attack_path::ActiveModel {
        id: Set(path.id.as_uuid()),
        tenant_id: Set(path.tenant_id.as_uuid()),
        name: Set(path.name.clone()),
        description: Set(path.description.clone()),
        source: Set(path.source.as_str().to_owned()),
        origin: Set(path.origin.clone()),
        graph: Set(graph_value(&path.graph)),
        version: Set(path.version()),
        created_by: Set(path.created_by.map(|u| u.as_uuid())),
        created_at: Set(path.created_at),
        updated_at: Set(path.updated_at),
    }
}

impl VersionedTable for attack_path::Entity {
    const ENTITY: Entity = Entity::AttackPath;
    fn tenant_column() -> Self::Column {
        attack_path::Column::TenantId
    }
    fn id_column() -> Self::Column {
        attack_path::Column::Id
    }
    fn version_column() -> Self::Column {
        attack_path::Column::Version
    }
}

async fn insert(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    path: &AttackPath,
) -> Result<(), RepositoryError> {
    ensure_tenant(path.tenant_id, tenant, "attack path")?;
    attack_path::Entity::insert(to_row(path))
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

async fn update(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    path: &AttackPath,
    expected_version: i32,
) -> Result<(), RepositoryError> {
    let mut row = to_row(path);
    row.id = NotSet;
    row.tenant_id = NotSet;
    row.created_at = NotSet;
    row.created_by = NotSet;
    update_versioned::<attack_path::Entity, _>(db, tenant, path.id.as_uuid(), expected_version, row)
        .await
}

async fn delete(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: AttackPathId,
) -> Result<(), RepositoryError> {
    let result = attack_path::Entity::delete_many()
        .filter(attack_path::Column::TenantId.eq(tenant.as_uuid()))
        .filter(attack_path::Column::Id.eq(id.as_uuid()))
        .exec(db)
        .await
        .map_err(unexpected)?;
    if result.rows_affected == 0 {
        return Err(RepositoryError::NotFound(Entity::AttackPath));
    }
    Ok(())
}

async fn list(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    page: PageRequest,
) -> Result<Page<AttackPath>, RepositoryError> {
    let query =
        attack_path::Entity::find().filter(attack_path::Column::TenantId.eq(tenant.as_uuid()));
    let total = query.clone().count(db).await.map_err(unexpected)?;
    let items = query
        .order_by_desc(attack_path::Column::CreatedAt)
        .order_by_desc(attack_path::Column::Id)
        .offset(page.offset())
        .limit(page.per_page())
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(to_domain)
        .collect::<Result<_, _>>()?;
    Ok(Page {
        items,
        total,
        request: page,
    })
}

#[async_trait]
impl<C: Connection> AttackPathRepository for SeaStore<C> {
    async fn insert_attack_path(
        &self,
        tenant: TenantId,
        path: &AttackPath,
    ) -> Result<(), RepositoryError> {
        insert(self.conn(), tenant, path).await
    }
    async fn find_attack_path(
        &self,
        tenant: TenantId,
        id: AttackPathId,
    ) -> Result<Option<AttackPath>, RepositoryError> {
        find_in_tenant::<attack_path::Entity>(&self.read(), tenant, id.as_uuid())
            .await?
            .map(to_domain)
            .transpose()
    }
    async fn update_attack_path(
        &self,
        tenant: TenantId,
        path: &AttackPath,
        expected_version: i32,
    ) -> Result<(), RepositoryError> {
        update(self.conn(), tenant, path, expected_version).await
    }
    async fn delete_attack_path(
        &self,
        tenant: TenantId,
        id: AttackPathId,
    ) -> Result<(), RepositoryError> {
        delete(self.conn(), tenant, id).await
    }
    async fn list_attack_paths(
        &self,
        tenant: TenantId,
        page: PageRequest,
    ) -> Result<Page<AttackPath>, RepositoryError> {
        list(&self.read(), tenant, page).await
    }
}
