//! Analytics feeds for BI tools (Power BI, Tableau, spreadsheets): every technique's coverage,
//! the tests, the posture over time and each operator's logged work, as pages of flat rows
//! with stable columns (docs/analytics.md). They read what the other rooms keep; the only read
//! of their own is the operators' worklogs summed.

use std::sync::Arc;

use aegis_domain::analytics::OperatorActivity;
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::Action;
use aegis_domain::ports::{RepositoryError, TestFilter};
use aegis_domain::snapshot::PostureSnapshot;
use aegis_domain::test_case::TestCase;
use aegis_domain::user::User;

use crate::context::{Actor, Forbidden};
use crate::coverage::HeatmapFilter;
use crate::error::{Classified, ErrorKind, unexpected};
use crate::exports::{ExportError, ExportService, TechniqueRow};
use crate::ports::Database;

#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for AnalyticsError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl Classified for AnalyticsError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Export(e) => e.kind(),
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Export(e) => e.code(),
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

/// One operator's work on one team, with who they are (`None` for a deleted account).
#[derive(Debug, Clone)]
pub struct OperatorRow {
    pub activity: OperatorActivity,
    pub user: Option<User>,
}

#[derive(Clone)]
pub struct AnalyticsService {
    database: Arc<dyn Database>,
    exports: ExportService,
}

/// The rows of `page` out of all of `rows`.
fn page_of<T>(rows: Vec<T>, page: PageRequest) -> Page<T> {
    let total = rows.len() as u64;
    let items = rows
        .into_iter()
        .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
        .take(usize::try_from(page.per_page()).unwrap_or(usize::MAX))
        .collect();
    Page {
        items,
        total,
        request: page,
    }
}

impl AnalyticsService {
    pub(crate) fn new(database: Arc<dyn Database>, exports: ExportService) -> Self {
        Self { database, exports }
    }

    /// Every technique of the matrix (sub-techniques after their parent) with its coverage.
    ///
    /// # Errors
    /// `Forbidden` for a role that cannot read the catalog.
    pub async fn coverage(
        &self,
        actor: &Actor,
        page: PageRequest,
    ) -> Result<Page<TechniqueRow>, AnalyticsError> {
        let rows = self
            .exports
            .techniques(actor, &HeatmapFilter::default())
            .await?;
        Ok(page_of(rows, page))
    }

    /// The organization's tests the actor may see, newest first.
    ///
    /// # Errors
    /// `Forbidden` for a role that cannot read operations.
    pub async fn tests(
        &self,
        actor: &Actor,
        page: PageRequest,
    ) -> Result<Page<TestCase>, AnalyticsError> {
        actor.authorize(Action::ReadOperations)?;
        let filter = TestFilter::default().seen_by(actor.role);
        Ok(self
            .database
            .list_tests(actor.tenant_id, &filter, page)
            .await?)
    }

    /// The posture snapshots, oldest first: the series a trend chart draws.
    ///
    /// # Errors
    /// `Forbidden` for a role that cannot read the catalog.
    pub async fn trends(
        &self,
        actor: &Actor,
        page: PageRequest,
    ) -> Result<Page<PostureSnapshot>, AnalyticsError> {
        actor.authorize(Action::ReadCatalog)?;
        // Stored newest first, and few (one a week, or a day at most): all of them are read
        // and turned around, so the pages count from the oldest as a trend reads.
        let mut snapshots = Vec::new();
        for number in 1.. {
            let request = PageRequest::new(number, PageRequest::MAX_PER_PAGE);
            let chunk = self
                .database
                .list_snapshots(actor.tenant_id, None, None, request)
                .await?;
            let done = (chunk.items.len() as u64) < PageRequest::MAX_PER_PAGE;
            snapshots.extend(chunk.items);
            if done {
                break;
            }
        }
        snapshots.reverse();
        Ok(page_of(snapshots, page))
    }

    /// Each person's logged work per team, most time first.
    ///
    /// # Errors
    /// `Forbidden` for a role that cannot read operations.
    pub async fn operators(
        &self,
        actor: &Actor,
        page: PageRequest,
    ) -> Result<Page<OperatorRow>, AnalyticsError> {
        actor.authorize(Action::ReadOperations)?;
        let mut activity = self.database.operator_activity(actor.tenant_id).await?;
        activity.sort_by(|a, b| {
            b.seconds
                .cmp(&a.seconds)
                .then_with(|| a.user_id.as_uuid().cmp(&b.user_id.as_uuid()))
                .then_with(|| a.team.as_str().cmp(b.team.as_str()))
        });
        let page = page_of(activity, page);
        let mut items = Vec::with_capacity(page.items.len());
        for activity in page.items {
            let user = self
                .database
                .find_user(actor.tenant_id, activity.user_id)
                .await?;
            items.push(OperatorRow { activity, user });
        }
        Ok(Page {
            items,
            total: page.total,
            request: page.request,
        })
    }
}
