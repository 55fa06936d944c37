//! The tenants' SIEM connections.

use super::RepositoryError;
use crate::siem::{SiemConnection, SiemConnectionId};
use crate::tenant::TenantId;

#[async_trait::async_trait]
pub trait SiemRepository: Send + Sync {
    /// The tenant's connections, by name.
    ///
    /// # Errors
    /// `Unexpected` on storage failure (or a stored row that no longer parses).
    async fn siem_connections(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<SiemConnection>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_siem_connection(
        &self,
        tenant: TenantId,
        id: SiemConnectionId,
    ) -> Result<Option<SiemConnection>, RepositoryError>;

    /// Creates or replaces the connection with this id.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn save_siem_connection(
        &self,
        tenant: TenantId,
        connection: &SiemConnection,
    ) -> Result<(), RepositoryError>;

    /// Whether a connection was removed.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn delete_siem_connection(
        &self,
        tenant: TenantId,
        id: SiemConnectionId,
    ) -> Result<bool, RepositoryError>;
}
