//! Test templates and living-off-the-land binaries: imported from the public offensive
//! libraries, listed, shown on their technique, and turned into draft tests.

use std::sync::Arc;

use std::collections::{BTreeMap, HashMap};

use aegis_domain::detection::ImportCounts;
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::Action;
use aegis_domain::ports::{CatalogRepository, RepositoryError, TemplateRepository};
use aegis_domain::template::{
    LolBinary, TemplateFilter, TemplateSource, TemplateSummary, TestTemplate,
};
use aegis_domain::test_case::{RedReport, TestCase};

use crate::catalog::FeedError;
use crate::context::{Actor, Forbidden, Initiator, RequestContext};
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::idempotency::IdempotencyKey;
use crate::ports::Clock;
use crate::test_cases::{NewTest, TestError, TestService};

/// What a template feed yields: the templates it could read, and the files it could not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateBatch {
    pub templates: Vec<TestTemplate>,
    pub skipped: Vec<(String, String)>,
}

/// A source of test templates (Atomic Red Team, CALDERA): a directory, an archive, a
/// download.
#[async_trait::async_trait]
pub trait TemplateFeed: Send + Sync {
    fn source(&self) -> TemplateSource;
    fn describe(&self) -> String;
    /// # Errors
    /// `FeedError` when the source as a whole cannot be read.
    async fn fetch(&self) -> Result<TemplateBatch, FeedError>;
}

/// What a binary feed yields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BinaryBatch {
    pub binaries: Vec<LolBinary>,
    pub skipped: Vec<(String, String)>,
}

/// A source of living-off-the-land binaries (LOLBAS, GTFOBins).
#[async_trait::async_trait]
pub trait BinaryFeed: Send + Sync {
    fn source(&self) -> TemplateSource;
    fn describe(&self) -> String;
    /// # Errors
    /// `FeedError` when the source as a whole cannot be read.
    async fn fetch(&self) -> Result<BinaryBatch, FeedError>;
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("test template not found")]
    NotFound,
    #[error(transparent)]
    Feed(#[from] FeedError),
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Test(#[from] TestError),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for TemplateError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl Classified for TemplateError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::NotFound => ErrorKind::NotFound,
            Self::Feed(e) => ErrorKind::Invalid(vec![FieldError::new("source", e.to_string())]),
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::Test(e) => e.kind(),
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound => "TEST_TEMPLATE_NOT_FOUND",
            Self::Feed(_) => "FEED_UNREADABLE",
            Self::Invalid(_) => "VALIDATION_ERROR",
            Self::Test(e) => e.code(),
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

/// How a template or binary import went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateImportReport {
    pub source: TemplateSource,
    /// Binaries (LOLBAS, GTFOBins); zero for template-only sources.
    pub binaries: ImportCounts,
    pub templates: ImportCounts,
    /// Files or items not imported, with why.
    pub skipped: Vec<(String, String)>,
    /// Technique ids this catalog does not hold under any form (a newer ATT&CK release,
    /// another ATT&CK domain, or a mistake): kept, they resolve when an ATT&CK import brings
    /// them.
    pub unresolved_techniques: Vec<String>,
    /// Revoked ids the items name, each with the technique they count under.
    pub replaced_techniques: Vec<aegis_domain::technique_lineage::LegacyTechnique>,
    /// Deprecated ids the items name (or revoked ones without a successor).
    pub retired_techniques: Vec<String>,
}

/// What a lead asks for when turning a template into a test.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateInstance {
    pub template_id: uuid::Uuid,
    /// The test's title; the template's name when absent.
    pub title: Option<String>,
    /// Which of the template's platforms to run on; its first when absent.
    pub platform: Option<String>,
    /// Values for the template's input arguments; defaults fill the rest.
    pub input_arguments: BTreeMap<String, String>,
    pub target_environment: String,
    pub assignee_id: Option<uuid::Uuid>,
}

#[derive(Clone)]
pub struct TemplateService {
    catalog: Arc<dyn CatalogRepository>,
    templates: Arc<dyn TemplateRepository>,
    clock: Arc<dyn Clock>,
    tests: TestService,
}

/// Keeps the first of items sharing an id; the others are reported as skipped.
fn first_of_each<T>(
    items: Vec<T>,
    id: impl Fn(&T) -> &str,
    path: impl Fn(&T) -> &str,
    skipped: &mut Vec<(String, String)>,
) -> Vec<T> {
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut kept = Vec::with_capacity(items.len());
    for item in items {
        if let Some(first) = seen.get(id(&item)) {
            skipped.push((
                path(&item).to_owned(),
                format!("duplicate id {} (kept the one in {first})", id(&item)),
            ));
            continue;
        }
        seen.insert(id(&item).to_owned(), path(&item).to_owned());
        kept.push(item);
    }
    kept
}

impl TemplateService {
    pub(crate) fn new(
        catalog: Arc<dyn CatalogRepository>,
        templates: Arc<dyn TemplateRepository>,
        clock: Arc<dyn Clock>,
        tests: TestService,
    ) -> Self {
        Self {
            catalog,
            templates,
            clock,
            tests,
        }
    }

    /// Imports a feed's templates, upserted by their own ids in one transaction.
    ///
    /// # Errors
    /// `Forbidden` unless the initiator manages the catalog; `Feed` when the feed cannot be
    /// read at all.
    pub async fn import(
        &self,
        initiator: &Initiator,
        feed: &dyn TemplateFeed,
    ) -> Result<TemplateImportReport, TemplateError> {
        initiator.authorize(Action::ManageCatalog)?;
        self.apply_template_feed(feed).await
    }

    /// The import itself, for callers that have authorized it (the feed-sync job).
    pub(crate) async fn apply_template_feed(
        &self,
        feed: &dyn TemplateFeed,
    ) -> Result<TemplateImportReport, TemplateError> {
        let batch = feed.fetch().await?;
        let mut skipped = batch.skipped;
        let templates = first_of_each(
            batch.templates,
            |t| t.source_id.as_str(),
            |t| t.path.as_str(),
            &mut skipped,
        );
        let counts = self
            .templates
            .apply_templates(feed.source(), &templates, self.clock.now())
            .await?;
        let named = crate::rules::named_techniques(
            self.catalog.as_ref(),
            templates.iter().map(|t| t.technique.as_str()),
        )
        .await?;
        tracing::info!(source = %feed.describe(), ?counts, skipped = skipped.len(), "test templates imported");
        Ok(TemplateImportReport {
            source: feed.source(),
            binaries: ImportCounts::default(),
            templates: counts,
            skipped,
            unresolved_techniques: named.unknown,
            replaced_techniques: named.replaced,
            retired_techniques: named.retired,
        })
    }

    /// Imports a feed's binaries, upserted by name, with a template for every use that
    /// carries a command; all in one transaction.
    ///
    /// # Errors
    /// As `import`.
    pub async fn import_binaries(
        &self,
        initiator: &Initiator,
        feed: &dyn BinaryFeed,
    ) -> Result<TemplateImportReport, TemplateError> {
        initiator.authorize(Action::ManageCatalog)?;
        self.apply_binary_feed(feed).await
    }

    /// The import itself, for callers that have authorized it (the feed-sync job).
    pub(crate) async fn apply_binary_feed(
        &self,
        feed: &dyn BinaryFeed,
    ) -> Result<TemplateImportReport, TemplateError> {
        let batch = feed.fetch().await?;
        let mut skipped = batch.skipped;
        let binaries = first_of_each(
            batch.binaries,
            |b| b.name.as_str(),
            |b| b.path.as_str(),
            &mut skipped,
        );
        let (binary_counts, template_counts) = self
            .templates
            .apply_binaries(feed.source(), &binaries, self.clock.now())
            .await?;
        let techniques: Vec<String> = binaries.iter().flat_map(LolBinary::techniques).collect();
        let named = crate::rules::named_techniques(
            self.catalog.as_ref(),
            techniques.iter().map(String::as_str),
        )
        .await?;
        tracing::info!(source = %feed.describe(), ?binary_counts, ?template_counts, "binaries imported");
        Ok(TemplateImportReport {
            source: feed.source(),
            binaries: binary_counts,
            templates: template_counts,
            skipped,
            unresolved_techniques: named.unknown,
            replaced_techniques: named.replaced,
            retired_techniques: named.retired,
        })
    }

    /// # Errors
    /// `Forbidden` for a role that cannot read the catalog.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &TemplateFilter,
        page: PageRequest,
    ) -> Result<Page<TemplateSummary>, TemplateError> {
        actor.authorize(Action::ReadCatalog)?;
        Ok(self.templates.list_templates(filter, page).await?)
    }

    /// A template whole: executors, arguments, dependencies, licence.
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`.
    pub async fn get(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
    ) -> Result<(TemplateSummary, TestTemplate), TemplateError> {
        actor.authorize(Action::ReadCatalog)?;
        self.templates
            .find_template(id)
            .await?
            .ok_or(TemplateError::NotFound)
    }

    /// Turns a template into a draft test whose red procedure is the template's command with
    /// its arguments filled in.
    ///
    /// # Errors
    /// `Forbidden` unless a lead or admin; `NotFound` for an unknown template; `Invalid`
    /// naming the argument or
    /// platform that does not fit the template, or the technique the catalog lacks.
    pub async fn instantiate(
        &self,
        actor: &Actor,
        request: TemplateInstance,
        key: Option<&IdempotencyKey>,
        context: &RequestContext,
    ) -> Result<TestCase, TemplateError> {
        actor.authorize(Action::PlanTests)?;
        let (summary, template) = self
            .templates
            .find_template(request.template_id)
            .await?
            .ok_or(TemplateError::NotFound)?;
        let (new, plan) = planned_test(
            &template,
            request.platform.as_deref(),
            &request.input_arguments,
            request.title,
        )
        .map_err(|e| TemplateError::Invalid(vec![FieldError::new(e.field(), e.to_string())]))?;
        let new = NewTest {
            // A template naming a revoked technique tests the one that replaced it.
            technique_id: summary.technique,
            target_environment: request.target_environment,
            assignee_id: request.assignee_id,
            ..new
        };
        Ok(self
            .tests
            .create_planned(actor, new, plan, key, context)
            .await?)
    }
}

/// A draft test planned from `template`: its command rendered for `platform` with the given
/// argument values (defaults fill the rest) becomes red's procedure.
///
/// # Errors
/// `RenderError` naming the argument or platform that does not fit.
pub(crate) fn planned_test(
    template: &TestTemplate,
    platform: Option<&str>,
    arguments: &BTreeMap<String, String>,
    title: Option<String>,
) -> Result<(NewTest, RedReport), aegis_domain::template::RenderError> {
    let procedure = template.render(platform, arguments)?;
    let title = title
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| format!("{} ({})", template.name, template.source.title()))
        .chars()
        .take(200)
        .collect();
    let mut steps = template.description.clone();
    if let Some(cleanup) = &procedure.cleanup {
        steps.push_str("\n\nCleanup:\n");
        steps.push_str(cleanup);
    }
    let plan = RedReport {
        procedure: Some(steps.trim().to_owned()).filter(|s| !s.is_empty()),
        command: Some(procedure.command),
        tool: Some(format!(
            "{} {} ({})",
            template.source.title(),
            template.source_id,
            procedure.executor
        )),
        ..RedReport::default()
    };
    let new = NewTest {
        title,
        description: template.description.clone(),
        technique_id: template.technique.clone(),
        objective: format!(
            "Run the {} procedure \"{}\" and confirm it is prevented or detected.",
            template.source.title(),
            template.name
        ),
        target_environment: String::new(),
        platform: procedure.platform,
        assignee_id: None,
    };
    Ok((new, plan))
}
