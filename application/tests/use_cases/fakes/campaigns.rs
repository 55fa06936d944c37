//! In-memory campaigns for use-case tests.

use aegis_domain::campaign::{Campaign, CampaignFilter, CampaignId, Dependency};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::CampaignRepository;
use aegis_domain::ports::*;
use aegis_domain::tenant::TenantId;
use aegis_domain::test_case::{TestCase, TestId, TransitionRecord};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Memory, Slot, replace_versioned};

#[async_trait]
impl<S: Slot> CampaignRepository for Memory<S> {
    async fn insert_campaign(
        &self,
        _tenant: TenantId,
        campaign: &Campaign,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            if campaign.predecessor_id.is_some()
                && s.campaigns
                    .iter()
                    .any(|c| c.predecessor_id == campaign.predecessor_id)
            {
                return Err(RepositoryError::Duplicate(Subject::Predecessor));
            }
            s.campaigns.push(campaign.clone());
            Ok(())
        })
    }
    async fn find_campaign(
        &self,
        tenant: TenantId,
        id: CampaignId,
    ) -> Result<Option<Campaign>, RepositoryError> {
        Ok(self.with(|s| {
            s.campaigns
                .iter()
                .find(|c| c.tenant_id == tenant && c.id == id)
                .cloned()
        }))
    }
    async fn update_campaign(
        &self,
        tenant: TenantId,
        campaign: &Campaign,
        expected: i32,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            replace_versioned(
                &mut s.campaigns,
                campaign,
                expected,
                |stored| stored.tenant_id == tenant && stored.id == campaign.id,
                |stored| stored.version(),
                Entity::Campaign,
            )
        })
    }
    async fn delete_campaign(
        &self,
        tenant: TenantId,
        id: CampaignId,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            s.campaigns
                .retain(|c| !(c.tenant_id == tenant && c.id == id));
            for test in &mut s.tests {
                if test.campaign_id == Some(id.as_uuid()) {
                    test.campaign_id = None;
                }
            }
        });
        Ok(())
    }
    async fn list_campaigns(
        &self,
        tenant: TenantId,
        filter: &CampaignFilter,
        page: PageRequest,
    ) -> Result<Page<Campaign>, RepositoryError> {
        let items: Vec<Campaign> = self.with(|s| {
            s.campaigns
                .iter()
                .filter(|c| c.tenant_id == tenant)
                .filter(|c| filter.status.is_none_or(|st| c.status() == st))
                .cloned()
                .collect()
        });
        Ok(Page {
            total: items.len() as u64,
            items,
            request: page,
        })
    }
    async fn due_campaigns(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Campaign>, RepositoryError> {
        Ok(self.with(|s| {
            s.campaigns
                .iter()
                .filter(|c| c.tenant_id == tenant && c.is_due(now))
                .cloned()
                .collect()
        }))
    }
    async fn successor_of(
        &self,
        tenant: TenantId,
        id: CampaignId,
    ) -> Result<Option<Campaign>, RepositoryError> {
        Ok(self.with(|s| {
            s.campaigns
                .iter()
                .find(|c| c.tenant_id == tenant && c.predecessor_id == Some(id))
                .cloned()
        }))
    }
    async fn tests_of_campaign(
        &self,
        tenant: TenantId,
        id: CampaignId,
    ) -> Result<Vec<TestCase>, RepositoryError> {
        Ok(self.with(|s| {
            s.tests
                .iter()
                .filter(|t| t.tenant_id == tenant && t.campaign_id == Some(id.as_uuid()))
                .cloned()
                .collect()
        }))
    }
    async fn transitions_of_campaign(
        &self,
        tenant: TenantId,
        id: CampaignId,
    ) -> Result<Vec<TransitionRecord>, RepositoryError> {
        Ok(self.with(|s| {
            let tests: Vec<TestId> = s
                .tests
                .iter()
                .filter(|t| t.tenant_id == tenant && t.campaign_id == Some(id.as_uuid()))
                .map(|t| t.id)
                .collect();
            s.history
                .iter()
                .filter(|(test, _)| tests.contains(test))
                .flat_map(|(_, h)| h.transitions.clone())
                .collect()
        }))
    }
    async fn dependencies_in_campaign(
        &self,
        tenant: TenantId,
        id: CampaignId,
    ) -> Result<Vec<Dependency>, RepositoryError> {
        Ok(self.with(|s| {
            s.dependencies
                .iter()
                .filter(|(t, e)| {
                    *t == tenant
                        && s.tests
                            .iter()
                            .any(|test| test.id == e.test && test.campaign_id == Some(id.as_uuid()))
                })
                .map(|(_, e)| *e)
                .collect()
        }))
    }
    async fn replace_dependencies(
        &self,
        tenant: TenantId,
        test: TestId,
        depends_on: &[TestId],
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            s.dependencies
                .retain(|(t, e)| !(*t == tenant && e.test == test));
            s.dependencies.extend(depends_on.iter().map(|d| {
                (
                    tenant,
                    Dependency {
                        test,
                        depends_on: *d,
                    },
                )
            }));
        });
        Ok(())
    }
    async fn drop_dependencies_of(
        &self,
        tenant: TenantId,
        test: TestId,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            s.dependencies
                .retain(|(t, e)| !(*t == tenant && (e.test == test || e.depends_on == test)))
        });
        Ok(())
    }
}
