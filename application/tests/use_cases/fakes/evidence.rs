//! In-memory evidence for use-case tests.

use aegis_application::ports::*;
use aegis_domain::ports::*;
use aegis_domain::tenant::TenantId;
use async_trait::async_trait;

use super::{Memory, Slot};

#[async_trait]
impl<S: Slot> EvidenceRepository for Memory<S> {
    async fn insert_evidence(
        &self,
        _tenant: TenantId,
        item: &aegis_domain::evidence::Evidence,
    ) -> Result<(), RepositoryError> {
        self.with(|s| s.evidence.push(item.clone()));
        Ok(())
    }
    async fn find_evidence(
        &self,
        tenant: TenantId,
        id: aegis_domain::evidence::EvidenceId,
    ) -> Result<Option<aegis_domain::evidence::Evidence>, RepositoryError> {
        Ok(self.with(|s| {
            s.evidence
                .iter()
                .find(|e| e.tenant_id == tenant && e.id == id)
                .cloned()
        }))
    }
    async fn list_evidence(
        &self,
        tenant: TenantId,
        test: aegis_domain::test_case::TestId,
    ) -> Result<Vec<aegis_domain::evidence::Evidence>, RepositoryError> {
        Ok(self.with(|s| {
            s.evidence
                .iter()
                .filter(|e| e.tenant_id == tenant && e.test_id == test)
                .cloned()
                .collect()
        }))
    }
    async fn mark_evidence_deleted(
        &self,
        tenant: TenantId,
        item: &aegis_domain::evidence::Evidence,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            for e in s
                .evidence
                .iter_mut()
                .filter(|e| e.tenant_id == tenant && e.id == item.id)
            {
                *e = item.clone();
            }
        });
        Ok(())
    }
    async fn insert_custody_event(
        &self,
        _tenant: TenantId,
        event: &aegis_domain::evidence::CustodyEvent,
    ) -> Result<(), RepositoryError> {
        self.with(|s| s.custody.push(event.clone()));
        Ok(())
    }
    async fn custody_log(
        &self,
        _tenant: TenantId,
        id: aegis_domain::evidence::EvidenceId,
    ) -> Result<Vec<aegis_domain::evidence::CustodyEvent>, RepositoryError> {
        Ok(self.with(|s| {
            s.custody
                .iter()
                .filter(|c| c.evidence_id == id)
                .cloned()
                .collect()
        }))
    }
    async fn record_pending_object(
        &self,
        object: &aegis_domain::evidence::PendingObject,
    ) -> Result<(), RepositoryError> {
        self.with(|s| s.pending_objects.push(object.clone()));
        Ok(())
    }
    async fn claim_pending_object(&self, key: &str) -> Result<bool, RepositoryError> {
        Ok(self.with(|s| {
            let before = s.pending_objects.len();
            s.pending_objects.retain(|p| p.object_key != key);
            s.pending_objects.len() < before
        }))
    }
    async fn pending_objects(
        &self,
        recorded_before: chrono::DateTime<chrono::Utc>,
        limit: u64,
    ) -> Result<Vec<aegis_domain::evidence::PendingObject>, RepositoryError> {
        Ok(self.with(|s| {
            s.pending_objects
                .iter()
                .filter(|p| p.recorded_at < recorded_before)
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .cloned()
                .collect()
        }))
    }
}

pub struct NoEvidence;

#[async_trait]
impl EvidenceStore for NoEvidence {
    async fn put(&self, key: &str, _: Vec<u8>, _: &str) -> Result<(), EvidenceStoreError> {
        Err(EvidenceStoreError::InvalidKey(key.to_owned()))
    }
    async fn get(&self, key: &str) -> Result<Vec<u8>, EvidenceStoreError> {
        Err(EvidenceStoreError::NotFound(key.to_owned()))
    }
    async fn delete(&self, _: &str) -> Result<(), EvidenceStoreError> {
        Ok(())
    }
    async fn put_stream(
        &self,
        key: &str,
        _: &str,
        _: ByteChunks,
    ) -> Result<(), EvidenceStoreError> {
        Err(EvidenceStoreError::InvalidKey(key.to_owned()))
    }
    async fn get_stream(&self, key: &str) -> Result<ByteChunks, EvidenceStoreError> {
        Err(EvidenceStoreError::NotFound(key.to_owned()))
    }
    async fn check(&self) -> Result<(), EvidenceStoreError> {
        Ok(())
    }
}
