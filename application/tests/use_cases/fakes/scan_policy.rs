//! In-memory scan policy profiles and waivers, unique by kind and subject as the tables are.

use aegis_domain::ports::*;
use aegis_domain::scan_policy::{
    ScanWaiver, ScanWaiverId, StoredScanPolicy, WaiverKind, WaiverScope,
};
use aegis_domain::tenant::TenantId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Memory, Slot};

fn same_subject(a: &WaiverScope, b: &WaiverScope) -> bool {
    match (a, b) {
        (
            WaiverScope::Suppression { fingerprint: x },
            WaiverScope::Suppression { fingerprint: y },
        ) => x == y,
        (
            WaiverScope::Baseline { repository: x, .. },
            WaiverScope::Baseline { repository: y, .. },
        ) => x == y,
        (
            WaiverScope::Exception {
                rule_id: r1,
                path_pattern: p1,
            },
            WaiverScope::Exception {
                rule_id: r2,
                path_pattern: p2,
            },
        ) => r1 == r2 && p1 == p2,
        _ => false,
    }
}

#[async_trait]
impl<S: Slot> ScanPolicyRepository for Memory<S> {
    async fn scan_policy(
        &self,
        tenant: TenantId,
    ) -> Result<Option<StoredScanPolicy>, RepositoryError> {
        Ok(self.with(|s| {
            s.scan_policies
                .iter()
                .find(|(t, _)| *t == tenant)
                .map(|(_, p)| p.clone())
        }))
    }

    async fn save_scan_policy(
        &self,
        tenant: TenantId,
        policy: &StoredScanPolicy,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            s.scan_policies.retain(|(t, _)| *t != tenant);
            s.scan_policies.push((tenant, policy.clone()));
        });
        Ok(())
    }

    async fn insert_scan_waiver(
        &self,
        tenant: TenantId,
        waiver: &ScanWaiver,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            if s.scan_waivers
                .iter()
                .any(|w| w.tenant_id == tenant && same_subject(&w.scope, &waiver.scope))
            {
                return Err(RepositoryError::Duplicate(Subject::ScanWaiver));
            }
            s.scan_waivers.push(waiver.clone());
            Ok(())
        })
    }

    async fn scan_waivers(
        &self,
        tenant: TenantId,
        kind: Option<WaiverKind>,
        active_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<ScanWaiver>, RepositoryError> {
        let mut found: Vec<ScanWaiver> = self.with(|s| {
            s.scan_waivers
                .iter()
                .filter(|w| w.tenant_id == tenant)
                .filter(|w| kind.is_none_or(|k| w.scope.kind() == k))
                .filter(|w| active_at.is_none_or(|now| w.is_active(now)))
                .cloned()
                .collect()
        });
        found.sort_by_key(|w| std::cmp::Reverse(w.created_at));
        Ok(found)
    }

    async fn find_scan_waiver(
        &self,
        tenant: TenantId,
        id: ScanWaiverId,
    ) -> Result<Option<ScanWaiver>, RepositoryError> {
        Ok(self.with(|s| {
            s.scan_waivers
                .iter()
                .find(|w| w.tenant_id == tenant && w.id == id)
                .cloned()
        }))
    }

    async fn delete_scan_waiver(
        &self,
        tenant: TenantId,
        id: ScanWaiverId,
    ) -> Result<bool, RepositoryError> {
        Ok(self.with(|s| {
            let before = s.scan_waivers.len();
            s.scan_waivers
                .retain(|w| !(w.tenant_id == tenant && w.id == id));
            s.scan_waivers.len() != before
        }))
    }
}
