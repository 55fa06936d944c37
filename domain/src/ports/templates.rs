//! Test templates and living-off-the-land binaries from the public offensive feeds.

use super::RepositoryError;
use crate::feed::ImportCounts;
use crate::page::{Page, PageRequest};
use crate::template::{
    BinarySummary, LolBinary, TemplateFilter, TemplateSource, TemplateSummary, TestTemplate,
};

/// Where templates and binaries are kept: global, like the ATT&CK catalog.
#[async_trait::async_trait]
pub trait TemplateRepository: Send + Sync {
    /// Upserts one source's templates by their own ids, in one transaction; templates absent
    /// from this import are kept.
    ///
    /// # Errors
    /// `Unexpected` on storage failure; nothing is written then.
    async fn apply_templates(
        &self,
        source: TemplateSource,
        templates: &[TestTemplate],
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<ImportCounts, RepositoryError>;

    /// Upserts one source's binaries by name and the templates made from their commands, in
    /// one transaction. Returns the binaries' counts and the templates'.
    ///
    /// # Errors
    /// `Unexpected` on storage failure; nothing is written then.
    async fn apply_binaries(
        &self,
        source: TemplateSource,
        binaries: &[LolBinary],
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(ImportCounts, ImportCounts), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_templates(
        &self,
        filter: &TemplateFilter,
        page: PageRequest,
    ) -> Result<Page<TemplateSummary>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_template(
        &self,
        id: uuid::Uuid,
    ) -> Result<Option<(TemplateSummary, TestTemplate)>, RepositoryError>;

    /// The binaries with a use that enables exactly this technique, with those uses only.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn binaries_for_technique(
        &self,
        technique: &str,
    ) -> Result<Vec<BinarySummary>, RepositoryError>;
}
