//! Optimistic updates: a row changes only when its stored version is the one the change was
//! based on, so two people editing the same test, campaign or finding never overwrite each
//! other silently.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use aegis_domain::ports::{Entity, RepositoryError};
use aegis_domain::tenant::TenantId;

use super::error::unexpected;

/// A tenant-scoped table whose rows carry a version.
pub(crate) trait VersionedTable: EntityTrait {
    /// What the table holds, for `NotFound`.
    const ENTITY: Entity;
    fn tenant_column() -> Self::Column;
    fn id_column() -> Self::Column;
    fn version_column() -> Self::Column;
}

/// The row `id` of `tenant`, if it exists there.
///
/// # Errors
/// `Unavailable` or `Unexpected` when the database fails.
pub(crate) async fn find_in_tenant<T: VersionedTable>(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<T::Model>, RepositoryError> {
    T::find()
        .filter(T::tenant_column().eq(tenant.as_uuid()))
        .filter(T::id_column().eq(id))
        .one(db)
        .await
        .map_err(unexpected)
}

/// Writes `row` over the row `id` of `tenant` when its version is still `expected`.
///
/// # Errors
/// `StaleVersion` with the stored version when another change came first; `NotFound` when the
/// row does not exist in the tenant.
pub(crate) async fn update_versioned<T, A>(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    expected: i32,
    row: A,
) -> Result<(), RepositoryError>
where
    T: VersionedTable,
    A: ActiveModelTrait<Entity = T> + Send,
{
    let result = T::update_many()
        .set(row)
        .filter(T::tenant_column().eq(tenant.as_uuid()))
        .filter(T::id_column().eq(id))
        .filter(T::version_column().eq(expected))
        .exec(db)
        .await
        .map_err(unexpected)?;
    if result.rows_affected > 0 {
        return Ok(());
    }
    let current: Option<i32> = T::find()
        .select_only()
        .column(T::version_column())
        .filter(T::tenant_column().eq(tenant.as_uuid()))
        .filter(T::id_column().eq(id))
        .into_tuple()
        .one(db)
        .await
        .map_err(unexpected)?;
    Err(match current {
        Some(current) => RepositoryError::StaleVersion { current },
        None => RepositoryError::NotFound(T::ENTITY),
    })
}
