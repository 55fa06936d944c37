//! Threat intelligence beyond ATT&CK: STIX bundles whose intrusion sets and threat actors are
//! merged into the catalog's threat actors.

use aegis_domain::permission::Action;
use aegis_domain::ports::RepositoryError;
use aegis_domain::threat_intel::{IntelActor, IntelCounts};

use crate::Dependencies;
use crate::catalog::FeedError;
use crate::context::{Forbidden, Initiator};
use crate::error::{Classified, ErrorKind, FieldError, unexpected};

/// What an intelligence feed yields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntelBatch {
    pub actors: Vec<IntelActor>,
    pub skipped: Vec<(String, String)>,
}

/// A source of STIX intelligence: bundles on disk, in an archive, or downloaded.
#[async_trait::async_trait]
pub trait IntelFeed: Send + Sync {
    fn describe(&self) -> String;
    /// # Errors
    /// `FeedError` when the source as a whole cannot be read.
    async fn fetch(&self) -> Result<IntelBatch, FeedError>;
}

#[derive(Debug, thiserror::Error)]
pub enum IntelError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Feed(#[from] FeedError),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for IntelError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl Classified for IntelError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Feed(e) => ErrorKind::Invalid(vec![FieldError::new("source", e.to_string())]),
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Feed(_) => "FEED_UNREADABLE",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

/// How an intelligence import went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntelImportReport {
    pub counts: IntelCounts,
    pub skipped: Vec<(String, String)>,
    /// Technique ids the catalog does not hold yet (kept on the actor).
    pub unresolved_techniques: Vec<String>,
}

#[derive(Clone)]
pub struct ThreatIntelService {
    deps: Dependencies,
}

impl ThreatIntelService {
    pub(crate) fn new(deps: Dependencies) -> Self {
        Self { deps }
    }

    /// Imports a feed's actors, upserted by STIX id and merged into the catalog's threat
    /// actors, in one transaction. An actor described by two files keeps the first.
    ///
    /// # Errors
    /// `Forbidden` unless the initiator manages the catalog; `Feed` when the feed cannot be
    /// read at all.
    pub async fn import(
        &self,
        initiator: &Initiator,
        feed: &dyn IntelFeed,
    ) -> Result<IntelImportReport, IntelError> {
        initiator.authorize(Action::ManageCatalog)?;
        self.apply_feed(feed).await
    }

    /// The import itself, for callers that have authorized it (the feed-sync job).
    pub(crate) async fn apply_feed(
        &self,
        feed: &dyn IntelFeed,
    ) -> Result<IntelImportReport, IntelError> {
        let batch = feed.fetch().await?;
        let mut skipped = batch.skipped;
        let mut seen = std::collections::HashSet::new();
        let mut actors = Vec::with_capacity(batch.actors.len());
        for actor in batch.actors {
            if seen.insert(actor.stix_id.clone()) {
                actors.push(actor);
            } else {
                skipped.push((
                    actor.path.clone(),
                    format!("duplicate id {}", actor.stix_id),
                ));
            }
        }
        let counts = self
            .deps
            .intel
            .apply_intel(&actors, self.deps.clock.now())
            .await?;
        let known = crate::rules::catalog_ids(&self.deps).await?;
        let mut unresolved: Vec<String> = actors
            .iter()
            .flat_map(|a| a.techniques.iter())
            .filter(|t| {
                aegis_domain::catalog::TechniqueId::parse(t).map_or(true, |id| !known.contains(&id))
            })
            .cloned()
            .collect();
        unresolved.sort();
        unresolved.dedup();
        tracing::info!(source = %feed.describe(), ?counts, "threat intelligence imported");
        Ok(IntelImportReport {
            counts,
            skipped,
            unresolved_techniques: unresolved,
        })
    }
}
