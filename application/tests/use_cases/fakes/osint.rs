//! Intelligence for use-case tests: none is stored.

use aegis_domain::feed::ImportCounts;
use aegis_domain::osint::{
    IntelEntry, IntelFilter, IntelItem, IntelSummary, KevMapping, KevTechnique,
};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::*;
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::EmptyCatalog;

#[async_trait]
impl OsintRepository for EmptyCatalog {
    async fn apply_items(
        &self,
        entries: &[IntelEntry],
        _: DateTime<Utc>,
    ) -> Result<ImportCounts, RepositoryError> {
        Ok(ImportCounts {
            created: entries.len() as u64,
            ..ImportCounts::default()
        })
    }
    async fn apply_kev_mapping(
        &self,
        links: &[KevTechnique],
    ) -> Result<ImportCounts, RepositoryError> {
        Ok(ImportCounts {
            created: links.len() as u64,
            ..ImportCounts::default()
        })
    }
    async fn kev_mapping(&self) -> Result<KevMapping, RepositoryError> {
        Ok(KevMapping::default())
    }
    async fn list_items(
        &self,
        _: TenantId,
        _: &IntelFilter,
        page: PageRequest,
    ) -> Result<Page<IntelItem>, RepositoryError> {
        Ok(Page {
            items: Vec::new(),
            total: 0,
            request: page,
        })
    }
    async fn find_item(
        &self,
        _: TenantId,
        _: uuid::Uuid,
    ) -> Result<Option<IntelItem>, RepositoryError> {
        Ok(None)
    }
    async fn review_item(
        &self,
        _: TenantId,
        _: uuid::Uuid,
        _: UserId,
        _: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        Err(RepositoryError::NotFound(Entity::IntelItem))
    }
    async fn summary(
        &self,
        _: TenantId,
        _: DateTime<Utc>,
    ) -> Result<IntelSummary, RepositoryError> {
        Ok(IntelSummary::default())
    }
}
