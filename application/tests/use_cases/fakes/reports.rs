//! In-memory reports for use-case tests.

use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::*;
use aegis_domain::tenant::TenantId;
use async_trait::async_trait;

use super::EmptyCatalog;

#[async_trait]
impl aegis_domain::ports::ReportRepository for EmptyCatalog {
    async fn insert_report(
        &self,
        _report: &aegis_domain::report::Report,
    ) -> Result<(), RepositoryError> {
        Ok(())
    }
    async fn update_report(
        &self,
        _report: &aegis_domain::report::Report,
    ) -> Result<(), RepositoryError> {
        Err(RepositoryError::NotFound(Entity::Report))
    }
    async fn find_report(
        &self,
        _tenant: TenantId,
        _id: aegis_domain::report::ReportId,
    ) -> Result<Option<aegis_domain::report::Report>, RepositoryError> {
        Ok(None)
    }
    async fn list_reports(
        &self,
        _tenant: TenantId,
        page: PageRequest,
    ) -> Result<Page<aegis_domain::report::Report>, RepositoryError> {
        Ok(Page {
            items: Vec::new(),
            total: 0,
            request: page,
        })
    }
    async fn queued_reports(
        &self,
        _limit: u64,
    ) -> Result<Vec<aegis_domain::report::Report>, RepositoryError> {
        Ok(Vec::new())
    }
}

/// Renders a report as its title, for use cases that never look inside.
pub struct TitleRenderer;

impl aegis_application::reports::ReportRenderer for TitleRenderer {
    fn render(
        &self,
        content: &aegis_application::reports::ReportContent,
        _format: aegis_domain::report::ReportFormat,
    ) -> Result<Vec<u8>, aegis_application::reports::RenderError> {
        Ok(content.title.clone().into_bytes())
    }
}

/// A "signature" that is the digest itself: enough to tell documents apart in unit tests.
pub struct DigestSigner;

impl aegis_application::reports::DocumentSigner for DigestSigner {
    fn sign(&self, digest: &[u8]) -> String {
        hex::encode(digest)
    }
    fn verify(&self, digest: &[u8], signature: &str) -> bool {
        hex::encode(digest) == signature
    }
    fn public_key(&self) -> String {
        "digest".to_owned()
    }
}
