//! Intelligence signals: NVD CVEs, CISA's Known Exploited Vulnerabilities, the CTID mapping of
//! KEV to ATT&CK and security news, imported as intelligence items (one per URL) tied to the
//! techniques they concern, reviewed by each organization, and counted in every technique's
//! risk (an import recomputes risk for every organization).

use std::sync::Arc;

use chrono::Duration;

use aegis_domain::catalog::TechniqueId;
use aegis_domain::feed::ImportCounts;
use aegis_domain::osint::{IntelEntry, IntelFilter, IntelItem, IntelSummary, KevTechnique};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::Action;
use aegis_domain::ports::{Entity, OsintRepository, RepositoryError};
use aegis_domain::risk::RiskPolicy;

use crate::audit_trail::{self, Change};
use crate::catalog::FeedError;
use crate::context::{Actor, Forbidden, Initiator, RequestContext};
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::ports::{Clock, Database, IdGenerator};

/// What an intelligence feed yields: items, or the KEV→ATT&CK mapping, or both.
#[derive(Debug, Default)]
pub struct OsintBatch {
    pub entries: Vec<IntelEntry>,
    /// The whole KEV→ATT&CK mapping, when the feed is that mapping.
    pub mapping: Option<Vec<KevTechnique>>,
    pub skipped: Vec<(String, String)>,
}

/// A source of intelligence: NVD (API or files), the KEV catalog, the CTID mapping, news feeds.
#[async_trait::async_trait]
pub trait OsintFeed: Send + Sync {
    fn describe(&self) -> String;
    /// # Errors
    /// `FeedError` when the source as a whole cannot be read.
    async fn fetch(&self) -> Result<OsintBatch, FeedError>;
}

#[derive(Debug, Clone, PartialEq)]
pub struct OsintImportReport {
    pub items: ImportCounts,
    pub mapping: Option<ImportCounts>,
    pub skipped: Vec<(String, String)>,
    /// Techniques whose risk was recomputed, over every organization.
    pub risk_assessed: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum OsintError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Feed(#[from] FeedError),
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    #[error("intelligence item not found")]
    NotFound,
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for OsintError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::NotFound(Entity::IntelItem) => Self::NotFound,
            other => Self::Unexpected(unexpected(&other)),
        }
    }
}

impl Classified for OsintError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::NotFound => ErrorKind::NotFound,
            Self::Feed(_) | Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::NotFound => "INTEL_ITEM_NOT_FOUND",
            Self::Feed(_) => "FEED_UNREADABLE",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

#[derive(Clone)]
pub struct OsintService {
    database: Arc<dyn Database>,
    osint: Arc<dyn OsintRepository>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    risk: crate::risk::RiskService,
}

impl OsintService {
    pub(crate) fn new(
        database: Arc<dyn Database>,
        osint: Arc<dyn OsintRepository>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        risk: crate::risk::RiskService,
    ) -> Self {
        Self {
            database,
            osint,
            clock,
            ids,
            risk,
        }
    }

    /// Imports a feed (admins, or the system).
    ///
    /// # Errors
    /// `Forbidden`; `Feed` when the feed cannot be read at all.
    pub async fn import(
        &self,
        initiator: &Initiator,
        feed: &dyn OsintFeed,
    ) -> Result<OsintImportReport, OsintError> {
        initiator.authorize(Action::ManageCatalog)?;
        self.apply_feed(feed).await
    }

    /// The import itself, for callers that have authorized it (the feed-sync job): the
    /// mapping first (it relinks stored items), then the items linked through it, then every
    /// organization's risk.
    pub(crate) async fn apply_feed(
        &self,
        feed: &dyn OsintFeed,
    ) -> Result<OsintImportReport, OsintError> {
        let batch = feed.fetch().await?;
        let mapping = match &batch.mapping {
            Some(links) => Some(self.osint.apply_kev_mapping(links).await?),
            None => None,
        };
        let items = if batch.entries.is_empty() {
            ImportCounts::default()
        } else {
            let links = self.osint.kev_mapping().await?;
            let entries: Vec<IntelEntry> = batch
                .entries
                .into_iter()
                .map(|mut entry| {
                    entry.link(&links);
                    entry
                })
                .collect();
            self.osint.apply_items(&entries, self.clock.now()).await?
        };
        let risk_assessed = self.risk.recompute_all().await?;
        Ok(OsintImportReport {
            items,
            mapping,
            skipped: batch.skipped,
            risk_assessed,
        })
    }

    /// Items, newest first, with the organization's reviews.
    ///
    /// # Errors
    /// `Forbidden` for a role that cannot read operations.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &IntelFilter,
        page: PageRequest,
    ) -> Result<Page<IntelItem>, OsintError> {
        actor.authorize(Action::ReadOperations)?;
        Ok(self.osint.list_items(actor.tenant_id, filter, page).await?)
    }

    /// # Errors
    /// `Forbidden`, `NotFound`.
    pub async fn item(&self, actor: &Actor, id: uuid::Uuid) -> Result<IntelItem, OsintError> {
        actor.authorize(Action::ReadOperations)?;
        self.osint
            .find_item(actor.tenant_id, id)
            .await?
            .ok_or(OsintError::NotFound)
    }

    /// The items that name a technique (as named, or through its CVEs), newest first.
    ///
    /// # Errors
    /// `Forbidden`.
    pub async fn for_technique(
        &self,
        actor: &Actor,
        technique: &TechniqueId,
        page: PageRequest,
    ) -> Result<Page<IntelItem>, OsintError> {
        self.list(
            actor,
            &IntelFilter {
                technique: Some(technique.to_string()),
                ..IntelFilter::default()
            },
            page,
        )
        .await
    }

    /// # Errors
    /// `Forbidden`.
    pub async fn summary(&self, actor: &Actor) -> Result<IntelSummary, OsintError> {
        actor.authorize(Action::ReadOperations)?;
        let since = self.clock.now() - Duration::days(RiskPolicy::default().signal_window_days);
        Ok(self.osint.summary(actor.tenant_id, since).await?)
    }

    /// Marks an item reviewed by the organization (leads, admins); reviewing twice keeps the
    /// first review.
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`.
    pub async fn review(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
        context: &RequestContext,
    ) -> Result<IntelItem, OsintError> {
        actor.authorize(Action::ManageFindings)?;
        self.osint
            .review_item(actor.tenant_id, id, actor.user_id, self.clock.now())
            .await?;
        let uow = self.database.begin().await?;
        let change = Change {
            tenant: actor.tenant_id,
            actor: Some(actor.user_id),
            action: "intel_item.reviewed",
            entity_type: "intel_item",
            entity_id: Some(id.to_string()),
            details: serde_json::json!({}),
        };
        audit_trail::record(
            self.clock.as_ref(),
            self.ids.as_ref(),
            uow.as_ref(),
            context,
            change,
        )
        .await?;
        uow.commit().await?;
        self.item(actor, id).await
    }
}
