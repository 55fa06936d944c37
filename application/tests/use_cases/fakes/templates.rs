//! In-memory templates for use-case tests.

use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::EmptyCatalog;

#[async_trait]
impl aegis_domain::ports::TemplateRepository for EmptyCatalog {
    async fn apply_templates(
        &self,
        _: aegis_domain::template::TemplateSource,
        templates: &[aegis_domain::template::TestTemplate],
        _: DateTime<Utc>,
    ) -> Result<aegis_domain::feed::ImportCounts, RepositoryError> {
        Ok(aegis_domain::feed::ImportCounts {
            created: templates.len() as u64,
            ..aegis_domain::feed::ImportCounts::default()
        })
    }
    async fn apply_binaries(
        &self,
        _: aegis_domain::template::TemplateSource,
        binaries: &[aegis_domain::template::LolBinary],
        _: DateTime<Utc>,
    ) -> Result<
        (
            aegis_domain::feed::ImportCounts,
            aegis_domain::feed::ImportCounts,
        ),
        RepositoryError,
    > {
        let created = aegis_domain::feed::ImportCounts {
            created: binaries.len() as u64,
            ..aegis_domain::feed::ImportCounts::default()
        };
        Ok((created, aegis_domain::feed::ImportCounts::default()))
    }
    async fn list_templates(
        &self,
        _: &aegis_domain::template::TemplateFilter,
        page: PageRequest,
    ) -> Result<Page<aegis_domain::template::TemplateSummary>, RepositoryError> {
        Ok(Page {
            items: Vec::new(),
            total: 0,
            request: page,
        })
    }
    async fn find_template(
        &self,
        _: Uuid,
    ) -> Result<
        Option<(
            aegis_domain::template::TemplateSummary,
            aegis_domain::template::TestTemplate,
        )>,
        RepositoryError,
    > {
        Ok(None)
    }
    async fn binaries_for_technique(
        &self,
        _: &str,
    ) -> Result<Vec<aegis_domain::template::BinarySummary>, RepositoryError> {
        Ok(Vec::new())
    }
}
