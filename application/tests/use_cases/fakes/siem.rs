//! In-memory SIEM connections, and a SIEM that is never reached (the adapters are tested
//! against local servers in infrastructure and end to end).

use aegis_application::telemetry::siem::{
    ExpectedRule, SiemAlerts, SiemAnswer, SiemQueryError, SiemTarget,
};
use aegis_domain::ports::*;
use aegis_domain::siem::{SiemConnection, SiemConnectionId};
use aegis_domain::telemetry::RunWindow;
use aegis_domain::tenant::TenantId;
use aegis_domain::webhook::{AllowList, TargetRefusal};
use async_trait::async_trait;

use super::{Memory, Slot};

#[async_trait]
impl<S: Slot> SiemRepository for Memory<S> {
    async fn siem_connections(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<SiemConnection>, RepositoryError> {
        Ok(self.with(|s| {
            let mut found: Vec<SiemConnection> = s
                .siem_connections
                .iter()
                .filter(|c| c.tenant_id == tenant)
                .cloned()
                .collect();
            found.sort_by(|a, b| a.name.cmp(&b.name));
            found
        }))
    }

    async fn find_siem_connection(
        &self,
        tenant: TenantId,
        id: SiemConnectionId,
    ) -> Result<Option<SiemConnection>, RepositoryError> {
        Ok(self.with(|s| {
            s.siem_connections
                .iter()
                .find(|c| c.tenant_id == tenant && c.id == id)
                .cloned()
        }))
    }

    async fn save_siem_connection(
        &self,
        _tenant: TenantId,
        connection: &SiemConnection,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            s.siem_connections.retain(|c| c.id != connection.id);
            s.siem_connections.push(connection.clone());
        });
        Ok(())
    }

    async fn delete_siem_connection(
        &self,
        tenant: TenantId,
        id: SiemConnectionId,
    ) -> Result<bool, RepositoryError> {
        Ok(self.with(|s| {
            let before = s.siem_connections.len();
            s.siem_connections
                .retain(|c| !(c.tenant_id == tenant && c.id == id));
            s.siem_connections.len() != before
        }))
    }
}

#[derive(Default)]
pub struct NoSiem;

#[async_trait]
impl SiemAlerts for NoSiem {
    async fn check_target(&self, _: &str, _: &AllowList) -> Result<(), TargetRefusal> {
        Ok(())
    }

    async fn check(&self, _: &SiemTarget) -> Result<(), SiemQueryError> {
        Err(unreachable())
    }

    async fn alerts(
        &self,
        _: &SiemTarget,
        _: &[ExpectedRule],
        _: RunWindow,
    ) -> Result<SiemAnswer, SiemQueryError> {
        Err(unreachable())
    }
}

fn unreachable() -> SiemQueryError {
    SiemQueryError::Unreachable {
        system: "SIEM",
        message: "no SIEM in use-case tests".to_owned(),
    }
}
