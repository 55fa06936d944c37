//! The versions of the derived views: one row per organization and one for the catalog,
//! bumped by the adapters that write their inputs, in the same transaction as the write.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

use aegis_domain::ports::{ReadModelRepository, ReadModelVersion, RepositoryError};
use aegis_domain::tenant::TenantId;
use async_trait::async_trait;
use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::error::unexpected;
use super::{Connection, SeaStore};

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod read_model_version {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "read_model_versions")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub scope: String,
            pub version: i64,
            pub changed_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::read_model_version;

/// Whose views a change moves.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scope {
    /// One organization's data.
    Tenant(TenantId),
    /// The shared catalog: every organization's views read it.
    Catalog,
}

const CATALOG: &str = "catalog";

impl Scope {
    fn key(self) -> String {
        match self {
            Self::Tenant(tenant) => tenant.as_uuid().to_string(),
            Self::Catalog => CATALOG.to_owned(),
        }
    }
}

/// The scopes a transaction moved, bumped together just before it commits.
///
/// Bumped where the write happened, a version row stayed locked to the end of the
/// transaction, and on PostgreSQL two writers that took a score row and the version row in
/// opposite orders deadlocked (a new test's rescore against the coverage refresh). Bumped
/// last, in key order, a transaction holds a version row only while it commits.
#[derive(Debug, Clone, Default)]
pub(crate) struct PendingBumps(Option<Arc<Mutex<BTreeSet<String>>>>);

impl PendingBumps {
    /// For a transaction: bumps wait for `flush`.
    pub(crate) fn deferred() -> Self {
        Self(Some(Arc::default()))
    }

    /// Bumps every scope moved since the transaction began, on its connection.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    pub(crate) async fn flush(&self, db: &impl ConnectionTrait) -> Result<(), RepositoryError> {
        let Some(pending) = &self.0 else {
            return Ok(());
        };
        let scopes = std::mem::take(&mut *pending.lock().unwrap_or_else(PoisonError::into_inner));
        for scope in scopes {
            bump(db, scope).await?;
        }
        Ok(())
    }
}

/// Moves the version of the scope keyed `scope`; on the caller's connection, so inside its
/// transaction the bump commits or rolls back with the change.
///
/// # Errors
/// `Unexpected` on storage failure.
async fn bump(db: &impl ConnectionTrait, scope: String) -> Result<(), RepositoryError> {
    let row = read_model_version::ActiveModel {
        scope: Set(scope),
        version: Set(1),
        changed_at: Set(Utc::now()),
    };
    read_model_version::Entity::insert(row)
        .on_conflict(
            OnConflict::column(read_model_version::Column::Scope)
                .value(
                    read_model_version::Column::Version,
                    Expr::col((
                        read_model_version::Entity,
                        read_model_version::Column::Version,
                    ))
                    .add(1),
                )
                .update_column(read_model_version::Column::ChangedAt)
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

async fn current(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<ReadModelVersion, RepositoryError> {
    let own = tenant.as_uuid().to_string();
    let rows = read_model_version::Entity::find()
        .filter(read_model_version::Column::Scope.is_in([own.clone(), CATALOG.to_owned()]))
        .all(db)
        .await
        .map_err(unexpected)?;
    let mut version = ReadModelVersion {
        tenant: 0,
        catalog: 0,
        changed_at: None,
    };
    for row in rows {
        if row.scope == own {
            version.tenant = row.version;
        } else {
            version.catalog = row.version;
        }
        version.changed_at = Ord::max(version.changed_at, Some(row.changed_at));
    }
    Ok(version)
}

#[async_trait]
impl<C: Connection> ReadModelRepository for SeaStore<C> {
    async fn read_model_version(
        &self,
        tenant: TenantId,
    ) -> Result<ReadModelVersion, RepositoryError> {
        current(&self.read(), tenant).await
    }
}

impl<C: ConnectionTrait> SeaStore<C> {
    /// Records that `scope`'s views moved, in this store's transaction when it is one.
    pub(crate) async fn changed(&self, scope: Scope) -> Result<(), RepositoryError> {
        match &self.bumps.0 {
            Some(pending) => {
                pending
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(scope.key());
                Ok(())
            }
            None => bump(self.conn(), scope.key()).await,
        }
    }
}
