//! In-memory detection assets, validations, infrastructure changes and decay policies.

use aegis_domain::catalog::TechniqueId;
use aegis_domain::detection_lifecycle::{
    AssetFilter, AssetId, AssetRevision, AssetStatus, DecayPolicy, DetectionAsset,
    DetectionValidation, InfrastructureChange, ProofEnd, ValidationId,
};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::*;
use aegis_domain::tenant::TenantId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Memory, Slot, replace_versioned};

#[async_trait]
impl<S: Slot> DetectionLifecycleRepository for Memory<S> {
    async fn insert_asset(
        &self,
        tenant: TenantId,
        asset: &DetectionAsset,
        revision: &AssetRevision,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            if s.detection_assets.iter().any(|a| {
                a.tenant_id == tenant && a.name == asset.name && a.platform == asset.platform
            }) {
                return Err(RepositoryError::Duplicate(Subject::DetectionAsset));
            }
            s.detection_assets.push(asset.clone());
            s.asset_revisions.push(revision.clone());
            Ok(())
        })
    }
    async fn update_asset(
        &self,
        tenant: TenantId,
        asset: &DetectionAsset,
        expected: i32,
        revision: &AssetRevision,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            replace_versioned(
                &mut s.detection_assets,
                asset,
                expected,
                |stored| stored.tenant_id == tenant && stored.id == asset.id,
                DetectionAsset::version,
                Entity::DetectionAsset,
            )?;
            s.asset_revisions.push(revision.clone());
            Ok(())
        })
    }
    async fn find_asset(
        &self,
        tenant: TenantId,
        id: AssetId,
    ) -> Result<Option<DetectionAsset>, RepositoryError> {
        Ok(self.with(|s| {
            s.detection_assets
                .iter()
                .find(|a| a.tenant_id == tenant && a.id == id)
                .cloned()
        }))
    }
    async fn list_assets(
        &self,
        tenant: TenantId,
        filter: &AssetFilter,
        page: PageRequest,
    ) -> Result<Page<DetectionAsset>, RepositoryError> {
        let items: Vec<DetectionAsset> = self.with(|s| {
            s.detection_assets
                .iter()
                .filter(|a| a.tenant_id == tenant)
                .filter(|a| filter.status.is_none_or(|st| a.status == st))
                .filter(|a| {
                    filter
                        .technique
                        .as_ref()
                        .is_none_or(|t| a.techniques.contains(t))
                })
                .cloned()
                .collect()
        });
        Ok(Page {
            total: items.len() as u64,
            items,
            request: page,
        })
    }
    async fn live_assets(&self, tenant: TenantId) -> Result<Vec<DetectionAsset>, RepositoryError> {
        Ok(self.with(|s| {
            s.detection_assets
                .iter()
                .filter(|a| a.tenant_id == tenant && a.status != AssetStatus::Retired)
                .cloned()
                .collect()
        }))
    }
    async fn asset_history(
        &self,
        _tenant: TenantId,
        asset: AssetId,
    ) -> Result<Vec<AssetRevision>, RepositoryError> {
        Ok(self.with(|s| {
            s.asset_revisions
                .iter()
                .filter(|r| r.asset_id == asset)
                .cloned()
                .collect()
        }))
    }
    async fn insert_validations(
        &self,
        _tenant: TenantId,
        validations: &[DetectionValidation],
    ) -> Result<(), RepositoryError> {
        self.with(|s| s.detection_validations.extend_from_slice(validations));
        Ok(())
    }
    async fn validations(
        &self,
        tenant: TenantId,
        asset: Option<AssetId>,
        technique: Option<&TechniqueId>,
    ) -> Result<Vec<DetectionValidation>, RepositoryError> {
        let mut found: Vec<DetectionValidation> = self.with(|s| {
            s.detection_validations
                .iter()
                .filter(|v| v.tenant_id == tenant)
                .filter(|v| asset.is_none_or(|a| v.asset_id == a))
                .filter(|v| technique.is_none_or(|t| &v.technique_id == t))
                .cloned()
                .collect()
        });
        found.sort_by_key(|v| std::cmp::Reverse(v.validated_at));
        Ok(found)
    }
    async fn unended_validations(
        &self,
        tenant: TenantId,
        assets: Option<&[AssetId]>,
        validated_before: Option<DateTime<Utc>>,
    ) -> Result<Vec<DetectionValidation>, RepositoryError> {
        Ok(self.with(|s| {
            s.detection_validations
                .iter()
                .filter(|v| v.tenant_id == tenant && v.ended.is_none())
                .filter(|v| assets.is_none_or(|ids| ids.contains(&v.asset_id)))
                .filter(|v| validated_before.is_none_or(|at| v.validated_at < at))
                .cloned()
                .collect()
        }))
    }
    async fn end_validations(
        &self,
        tenant: TenantId,
        ids: &[ValidationId],
        end: &ProofEnd,
    ) -> Result<u64, RepositoryError> {
        Ok(self.with(|s| {
            let mut ended = 0;
            for v in s
                .detection_validations
                .iter_mut()
                .filter(|v| v.tenant_id == tenant && v.ended.is_none() && ids.contains(&v.id))
            {
                v.ended = Some(end.clone());
                ended += 1;
            }
            ended
        }))
    }
    async fn insert_infrastructure_change(
        &self,
        _tenant: TenantId,
        change: &InfrastructureChange,
    ) -> Result<(), RepositoryError> {
        self.with(|s| s.infrastructure_changes.push(change.clone()));
        Ok(())
    }
    async fn infrastructure_changes(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<InfrastructureChange>, RepositoryError> {
        Ok(self.with(|s| {
            s.infrastructure_changes
                .iter()
                .filter(|c| c.tenant_id == tenant)
                .cloned()
                .collect()
        }))
    }
    async fn decay_policies(&self, tenant: TenantId) -> Result<Vec<DecayPolicy>, RepositoryError> {
        Ok(self.with(|s| {
            s.decay_policies
                .iter()
                .filter(|p| p.tenant_id == tenant)
                .cloned()
                .collect()
        }))
    }
    async fn save_decay_policy(
        &self,
        tenant: TenantId,
        policy: &DecayPolicy,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            s.decay_policies.retain(|p| {
                !(p.tenant_id == tenant
                    && p.platform == policy.platform
                    && p.tactic == policy.tactic)
            });
            s.decay_policies.push(policy.clone());
        });
        Ok(())
    }
    async fn delete_decay_policy(
        &self,
        tenant: TenantId,
        id: uuid::Uuid,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            let before = s.decay_policies.len();
            s.decay_policies
                .retain(|p| !(p.tenant_id == tenant && p.id == id));
            if s.decay_policies.len() == before {
                Err(RepositoryError::NotFound(Entity::DecayPolicy))
            } else {
                Ok(())
            }
        })
    }
    async fn tactics_of(&self, _technique: &TechniqueId) -> Result<Vec<String>, RepositoryError> {
        Ok(Vec::new())
    }
}
