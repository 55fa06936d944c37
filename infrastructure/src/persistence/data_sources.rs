//! The data-source registry, one row per configured feed kind.

use aegis_domain::ports::DataSourceRepository;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, sea_query::OnConflict};

use aegis_domain::data_source::{DataSource, FeedKind, SyncStatus};
use aegis_domain::ports::RepositoryError;

use super::error::{corrupt, unexpected};

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod data_source {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "data_sources")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub kind: String,
            pub url: String,
            pub enabled: bool,
            pub schedule: Option<String>,
            pub credential: Option<Vec<u8>>,
            pub status: String,
            pub last_sync_at: Option<DateTimeUtc>,
            pub last_counts: Option<Json>,
            pub last_error: Option<String>,
            pub sync_requested_at: Option<DateTimeUtc>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::data_source;

use async_trait::async_trait;

use super::{Connection, SeaStore};

fn decode(row: data_source::Model) -> Result<DataSource, RepositoryError> {
    Ok(DataSource {
        kind: FeedKind::parse(&row.kind).ok_or_else(|| corrupt("data source kind", &row.kind))?,
        url: row.url,
        enabled: row.enabled,
        schedule: row.schedule,
        credential: row.credential,
        status: SyncStatus::parse(&row.status)
            .ok_or_else(|| corrupt("data source status", &row.status))?,
        last_sync_at: row.last_sync_at,
        last_counts: row
            .last_counts
            .map(serde_json::from_value)
            .transpose()
            .map_err(|e| corrupt("data source counts", e))?,
        last_error: row.last_error,
        sync_requested_at: row.sync_requested_at,
    })
}

pub(crate) async fn all(db: &impl ConnectionTrait) -> Result<Vec<DataSource>, RepositoryError> {
    data_source::Entity::find()
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(decode)
        .collect()
}

pub(crate) async fn save(
    db: &impl ConnectionTrait,
    source: &DataSource,
) -> Result<(), RepositoryError> {
    let row = data_source::ActiveModel {
        kind: Set(source.kind.as_str().to_owned()),
        url: Set(source.url.clone()),
        enabled: Set(source.enabled),
        schedule: Set(source.schedule.clone()),
        credential: Set(source.credential.clone()),
        status: Set(source.status.as_str().to_owned()),
        last_sync_at: Set(source.last_sync_at),
        last_counts: Set(source.last_counts.map(|c| serde_json::json!(c))),
        last_error: Set(source.last_error.clone()),
        sync_requested_at: Set(source.sync_requested_at),
    };
    data_source::Entity::insert(row)
        .on_conflict(
            OnConflict::column(data_source::Column::Kind)
                .update_columns([
                    data_source::Column::Url,
                    data_source::Column::Enabled,
                    data_source::Column::Schedule,
                    data_source::Column::Credential,
                    data_source::Column::Status,
                    data_source::Column::LastSyncAt,
                    data_source::Column::LastCounts,
                    data_source::Column::LastError,
                    data_source::Column::SyncRequestedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

#[async_trait]
impl<C: Connection> DataSourceRepository for SeaStore<C> {
    async fn data_sources(
        &self,
    ) -> Result<Vec<aegis_domain::data_source::DataSource>, RepositoryError> {
        all(self.conn()).await
    }
    async fn save_data_source(
        &self,
        source: &aegis_domain::data_source::DataSource,
    ) -> Result<(), RepositoryError> {
        save(self.conn(), source).await
    }
}
