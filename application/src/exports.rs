//! Exports for spreadsheets and pipelines: tests page by page as they are read (an export of
//! any size holds one page at a time), and every technique with its score and breakdown.

use std::sync::Arc;

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use aegis_domain::finding::FindingFilter;
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::Action;
use aegis_domain::ports::{RepositoryError, TestFilter};
use aegis_domain::test_case::TestCase;

use crate::context::{Actor, Forbidden};
use crate::coverage::{CoverageError, CoverageService, HeatmapCell, HeatmapFilter};
use crate::error::{Classified, ErrorKind, unexpected};
use crate::findings::FindingView;
use crate::ports::{Clock, Database};

/// Tests read per round trip.
const EXPORT_PAGE: u64 = 200;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Coverage(#[from] CoverageError),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for ExportError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl Classified for ExportError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Coverage(e) => e.kind(),
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Coverage(e) => e.code(),
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

/// Every page `fetch` returns, one stream item each, until a short or empty page.
fn pages<T, F, Fut>(fetch: F) -> BoxStream<'static, Result<Vec<T>, ExportError>>
where
    T: Send + 'static,
    F: Fn(PageRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Page<T>, RepositoryError>> + Send,
{
    let fetch = std::sync::Arc::new(fetch);
    stream::try_unfold(Some(1_u64), move |next| {
        let fetch = fetch.clone();
        async move {
            let Some(number) = next else {
                return Ok(None);
            };
            let page = fetch(PageRequest::new(number, EXPORT_PAGE)).await?;
            if page.items.is_empty() {
                return Ok(None);
            }
            let more = (page.items.len() as u64) == EXPORT_PAGE;
            Ok(Some((page.items, more.then_some(number + 1))))
        }
    })
    .boxed()
}

/// One technique's row: the cell, and its parent for a sub-technique.
#[derive(Debug, Clone)]
pub struct TechniqueRow {
    pub cell: HeatmapCell,
    pub parent: Option<String>,
}

#[derive(Clone)]
pub struct ExportService {
    database: Arc<dyn Database>,
    clock: Arc<dyn Clock>,
    coverage: CoverageService,
}

impl ExportService {
    pub(crate) fn new(
        database: Arc<dyn Database>,
        clock: Arc<dyn Clock>,
        coverage: CoverageService,
    ) -> Self {
        Self {
            database,
            clock,
            coverage,
        }
    }

    /// The organization's tests matching `filter`, newest first, one page per item: the
    /// caller writes each page out before the next is read.
    ///
    /// # Errors
    /// `Forbidden` for a role that cannot read operations; a page that cannot be read ends
    /// the stream with its error.
    pub fn tests(
        &self,
        actor: &Actor,
        filter: TestFilter,
    ) -> Result<BoxStream<'static, Result<Vec<TestCase>, ExportError>>, ExportError> {
        actor.authorize(Action::ReadOperations)?;
        let filter = filter.seen_by(actor.role);
        let database = self.database.clone();
        let tenant = actor.tenant_id;
        Ok(pages(move |request| {
            let database = database.clone();
            let filter = filter.clone();
            async move { database.list_tests(tenant, &filter, request).await }
        }))
    }

    /// The organization's findings matching `filter` (remediation status, steps, due dates),
    /// most severe first, one page per item.
    ///
    /// # Errors
    /// `Forbidden` for a role that cannot read operations.
    pub fn findings(
        &self,
        actor: &Actor,
        filter: FindingFilter,
    ) -> Result<BoxStream<'static, Result<Vec<FindingView>, ExportError>>, ExportError> {
        actor.authorize(Action::ReadOperations)?;
        let database = self.database.clone();
        let tenant = actor.tenant_id;
        let today = self.clock.now().date_naive();
        let findings = pages(move |request| {
            let database = database.clone();
            let filter = filter.clone();
            async move { database.list_findings(tenant, &filter, request).await }
        });
        Ok(findings
            .map_ok(move |page| {
                page.into_iter()
                    .map(|finding| FindingView::of(finding, today))
                    .collect()
            })
            .boxed())
    }

    /// Every technique on the organization's heatmap (sub-techniques after their parent) with
    /// its score, status, breakdown and counts.
    ///
    /// # Errors
    /// `Forbidden` for a role that cannot read the catalog; the heatmap's errors.
    pub async fn techniques(
        &self,
        actor: &Actor,
        filter: &HeatmapFilter,
    ) -> Result<Vec<TechniqueRow>, ExportError> {
        actor.authorize(Action::ReadCatalog)?;
        let heatmap = self.coverage.heatmap_of(actor.tenant_id, filter).await?;
        let mut seen = std::collections::HashSet::new();
        let mut rows = Vec::new();
        for column in heatmap.columns {
            for mut cell in column.techniques {
                if !seen.insert(cell.technique.mitre_id.clone()) {
                    continue;
                }
                let subtechniques = std::mem::take(&mut cell.subtechniques);
                let parent = cell.technique.mitre_id.to_string();
                rows.push(TechniqueRow { cell, parent: None });
                for sub in subtechniques {
                    if seen.insert(sub.technique.mitre_id.clone()) {
                        rows.push(TechniqueRow {
                            cell: sub,
                            parent: Some(parent.clone()),
                        });
                    }
                }
            }
        }
        Ok(rows)
    }
}
