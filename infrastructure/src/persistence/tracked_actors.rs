//! The threat actors each organization tracks.

use aegis_domain::ports::TrackedActorRepository;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::OnConflict,
};

use aegis_domain::ports::RepositoryError;
use aegis_domain::tenant::TenantId;
use aegis_domain::threat_intel::TrackedActor;
use aegis_domain::user::UserId;

use super::error::unexpected;
use super::json_values::strings;

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod tracked_actor {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "tracked_actors")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub tenant_id: Uuid,
            #[sea_orm(primary_key, auto_increment = false)]
            pub actor_stix_id: String,
            pub name: String,
            pub mitre_id: Option<String>,
            pub known_techniques: Json,
            pub tracked_by: Option<Uuid>,
            pub tracked_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::tracked_actor;

use async_trait::async_trait;

use super::read_models::Scope;
use super::{Connection, SeaStore};

pub(crate) async fn all(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Vec<TrackedActor>, RepositoryError> {
    Ok(tracked_actor::Entity::find()
        .filter(tracked_actor::Column::TenantId.eq(tenant.as_uuid()))
        .order_by_asc(tracked_actor::Column::Name)
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(|row| TrackedActor {
            known_techniques: strings(&row.known_techniques),
            actor_stix_id: row.actor_stix_id,
            name: row.name,
            mitre_id: row.mitre_id,
            tracked_by: row.tracked_by.map(UserId::from_uuid),
            tracked_at: row.tracked_at,
        })
        .collect())
}

pub(crate) async fn save(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    actor: &TrackedActor,
) -> Result<(), RepositoryError> {
    let row = tracked_actor::ActiveModel {
        tenant_id: Set(tenant.as_uuid()),
        actor_stix_id: Set(actor.actor_stix_id.clone()),
        name: Set(actor.name.clone()),
        mitre_id: Set(actor.mitre_id.clone()),
        known_techniques: Set(serde_json::json!(actor.known_techniques)),
        tracked_by: Set(actor.tracked_by.map(|u| u.as_uuid())),
        tracked_at: Set(actor.tracked_at),
    };
    tracked_actor::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                tracked_actor::Column::TenantId,
                tracked_actor::Column::ActorStixId,
            ])
            .update_columns([
                tracked_actor::Column::Name,
                tracked_actor::Column::MitreId,
                tracked_actor::Column::KnownTechniques,
            ])
            .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

pub(crate) async fn remove(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    actor_stix_id: &str,
) -> Result<bool, RepositoryError> {
    let result = tracked_actor::Entity::delete_many()
        .filter(tracked_actor::Column::TenantId.eq(tenant.as_uuid()))
        .filter(tracked_actor::Column::ActorStixId.eq(actor_stix_id))
        .exec(db)
        .await
        .map_err(unexpected)?;
    Ok(result.rows_affected > 0)
}

#[async_trait]
impl<C: Connection> TrackedActorRepository for SeaStore<C> {
    async fn tracked_actors(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<aegis_domain::threat_intel::TrackedActor>, RepositoryError> {
        all(&self.read(), tenant).await
    }
    async fn save_tracked_actor(
        &self,
        tenant: TenantId,
        actor: &aegis_domain::threat_intel::TrackedActor,
    ) -> Result<(), RepositoryError> {
        let outcome = save(self.conn(), tenant, actor).await?;
        self.changed(Scope::Tenant(tenant)).await?;
        Ok(outcome)
    }
    async fn untrack_actor(
        &self,
        tenant: TenantId,
        actor_stix_id: &str,
    ) -> Result<bool, RepositoryError> {
        let outcome = remove(self.conn(), tenant, actor_stix_id).await?;
        self.changed(Scope::Tenant(tenant)).await?;
        Ok(outcome)
    }
}
