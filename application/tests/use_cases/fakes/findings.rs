//! In-memory findings for use-case tests.

use aegis_domain::finding::{Finding, FindingFilter, FindingId};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::FindingRepository;
use aegis_domain::ports::*;
use aegis_domain::tenant::TenantId;
use aegis_domain::test_case::TestId;
use async_trait::async_trait;

use super::{Memory, Slot, replace_versioned};

#[async_trait]
impl<S: Slot> FindingRepository for Memory<S> {
    async fn insert_finding(
        &self,
        _tenant: TenantId,
        finding: &Finding,
    ) -> Result<(), RepositoryError> {
        self.with(|s| s.findings.push(finding.clone()));
        Ok(())
    }
    async fn find_finding(
        &self,
        tenant: TenantId,
        id: FindingId,
    ) -> Result<Option<Finding>, RepositoryError> {
        Ok(self.with(|s| {
            s.findings
                .iter()
                .find(|f| f.tenant_id == tenant && f.id == id)
                .cloned()
        }))
    }
    async fn update_finding(
        &self,
        tenant: TenantId,
        finding: &Finding,
        expected: i32,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            replace_versioned(
                &mut s.findings,
                finding,
                expected,
                |stored| stored.tenant_id == tenant && stored.id == finding.id,
                |stored| stored.version(),
                Entity::Finding,
            )
        })
    }
    async fn list_findings(
        &self,
        tenant: TenantId,
        filter: &FindingFilter,
        page: PageRequest,
    ) -> Result<Page<Finding>, RepositoryError> {
        let items: Vec<Finding> = self.with(|s| {
            s.findings
                .iter()
                .filter(|f| f.tenant_id == tenant)
                .filter(|f| filter.status.is_none_or(|st| f.status() == st))
                .filter(|f| filter.kind.is_none_or(|k| f.kind() == k))
                .cloned()
                .collect()
        });
        Ok(Page {
            total: items.len() as u64,
            items,
            request: page,
        })
    }
    async fn findings_of_test(
        &self,
        tenant: TenantId,
        test: TestId,
    ) -> Result<Vec<Finding>, RepositoryError> {
        Ok(self.with(|s| {
            s.findings
                .iter()
                .filter(|f| {
                    f.tenant_id == tenant
                        && (f.test_id() == Some(test) || f.retest_id == Some(test))
                })
                .cloned()
                .collect()
        }))
    }
    async fn scanned_findings(
        &self,
        tenant: TenantId,
        scopes: &[String],
    ) -> Result<Vec<Finding>, RepositoryError> {
        Ok(self.with(|s| {
            s.findings
                .iter()
                .filter(|f| {
                    f.tenant_id == tenant
                        && f.vulnerability().is_some_and(|v| scopes.contains(&v.scope))
                })
                .cloned()
                .collect()
        }))
    }
}

/// A scan reader that hands back the report it was given, whatever the bytes.
pub struct CannedScans(pub std::sync::Mutex<aegis_domain::finding::vulnerability::ScanReport>);

impl aegis_application::findings::ScanReader for CannedScans {
    fn read(
        &self,
        _bytes: &[u8],
    ) -> Result<
        aegis_domain::finding::vulnerability::ScanReport,
        aegis_application::findings::UnreadableScan,
    > {
        self.0
            .lock()
            .map(|r| r.clone())
            .map_err(|_| aegis_application::findings::UnreadableScan("poisoned".to_owned()))
    }
}
