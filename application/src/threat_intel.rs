//! Threat intelligence beyond ATT&CK: STIX bundles whose intrusion sets and threat actors are
//! merged into the catalog's threat actors.

use std::sync::Arc;

use aegis_domain::permission::Action;
use aegis_domain::ports::{
    CatalogRepository, IntelRepository, RepositoryError, TrackedActorRepository,
};
use aegis_domain::threat_intel::{IntelActor, IntelCounts, TrackedActor};

use crate::audit_trail::{self, Change};
use crate::catalog::FeedError;
use crate::context::{Actor, Forbidden, Initiator, RequestContext};
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::ports::{Clock, Database, IdGenerator};

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
    #[error("threat actor not found")]
    NotFound,
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
            Self::NotFound => ErrorKind::NotFound,
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Feed(_) => "FEED_UNREADABLE",
            Self::NotFound => "THREAT_ACTOR_NOT_FOUND",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

/// How an intelligence import went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntelImportReport {
    pub counts: IntelCounts,
    pub skipped: Vec<(String, String)>,
    /// Technique ids this catalog does not hold under any form (a newer ATT&CK release,
    /// another ATT&CK domain, or a mistake): kept on the actor.
    pub unresolved_techniques: Vec<String>,
    /// Revoked ids the intelligence names, each with the technique it counts under.
    pub replaced_techniques: Vec<aegis_domain::technique_lineage::LegacyTechnique>,
    /// Deprecated ids the intelligence names (or revoked ones without a successor).
    pub retired_techniques: Vec<String>,
}

#[derive(Clone)]
pub struct ThreatIntelService {
    database: Arc<dyn Database>,
    catalog: Arc<dyn CatalogRepository>,
    intel: Arc<dyn IntelRepository>,
    tracking: Arc<dyn TrackedActorRepository>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    risk: crate::risk::RiskService,
}

impl ThreatIntelService {
    pub(crate) fn new(
        database: Arc<dyn Database>,
        catalog: Arc<dyn CatalogRepository>,
        intel: Arc<dyn IntelRepository>,
        tracking: Arc<dyn TrackedActorRepository>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        risk: crate::risk::RiskService,
    ) -> Self {
        Self {
            database,
            catalog,
            intel,
            tracking,
            clock,
            ids,
            risk,
        }
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
        let counts = self.intel.apply_intel(&actors, self.clock.now()).await?;
        let named = crate::rules::named_techniques(
            self.catalog.as_ref(),
            actors
                .iter()
                .flat_map(|a| a.techniques.iter().map(String::as_str)),
        )
        .await?;
        tracing::info!(source = %feed.describe(), ?counts, "threat intelligence imported");
        Ok(IntelImportReport {
            counts,
            skipped,
            unresolved_techniques: named.unknown,
            replaced_techniques: named.replaced,
            retired_techniques: named.retired,
        })
    }

    /// The actors the organization tracks.
    ///
    /// # Errors
    /// `Forbidden` for a role that cannot read the catalog.
    pub async fn tracked(&self, actor: &Actor) -> Result<Vec<TrackedActor>, IntelError> {
        actor.authorize(Action::ReadCatalog)?;
        Ok(self.tracking.tracked_actors(actor.tenant_id).await?)
    }

    /// Tracks an actor (by ATT&CK or STIX id) for the organization (leads, admin): it weighs in
    /// the threat-weighted score, and new techniques reported for it reach the leads.
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`.
    pub async fn track(
        &self,
        actor: &Actor,
        id: &str,
        context: &RequestContext,
    ) -> Result<TrackedActor, IntelError> {
        actor.authorize(Action::PlanTests)?;
        let (detail, existing) = self.actor_and_tracking(actor, id).await?;
        let tracked = TrackedActor {
            actor_stix_id: detail.actor.stix_id.clone(),
            name: detail.actor.name.clone(),
            mitre_id: detail.actor.mitre_id.clone(),
            known_techniques: detail.technique_ids(),
            tracked_by: existing
                .as_ref()
                .map_or(Some(actor.user_id), |e| e.tracked_by),
            tracked_at: existing.map_or_else(|| self.clock.now(), |e| e.tracked_at),
        };
        self.tracking
            .save_tracked_actor(actor.tenant_id, &tracked)
            .await?;
        self.audit(actor, context, "threat_actor.tracked", &tracked)
            .await?;
        // The actors in scope are an input of every technique's risk.
        self.risk.recompute_tenant(actor.tenant_id).await?;
        Ok(tracked)
    }

    /// Stops tracking an actor (leads, admin).
    ///
    /// # Errors
    /// `Forbidden`, `NotFound` when the actor is unknown or not tracked.
    pub async fn untrack(
        &self,
        actor: &Actor,
        id: &str,
        context: &RequestContext,
    ) -> Result<(), IntelError> {
        actor.authorize(Action::PlanTests)?;
        let (_, tracked) = self.actor_and_tracking(actor, id).await?;
        let tracked = tracked.ok_or(IntelError::NotFound)?;
        self.tracking
            .untrack_actor(actor.tenant_id, &tracked.actor_stix_id)
            .await?;
        self.audit(actor, context, "threat_actor.untracked", &tracked)
            .await?;
        self.risk.recompute_tenant(actor.tenant_id).await?;
        Ok(())
    }

    /// The catalog actor with this ATT&CK or STIX id, and its tracking by the organization.
    async fn actor_and_tracking(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<(aegis_domain::ports::ThreatActorDetail, Option<TrackedActor>), IntelError> {
        let detail = self
            .catalog
            .find_threat_actor(id)
            .await?
            .ok_or(IntelError::NotFound)?;
        let tracked = self
            .tracking
            .tracked_actors(actor.tenant_id)
            .await?
            .into_iter()
            .find(|t| t.actor_stix_id == detail.actor.stix_id);
        Ok((detail, tracked))
    }

    async fn audit(
        &self,
        actor: &Actor,
        context: &RequestContext,
        action: &'static str,
        tracked: &TrackedActor,
    ) -> Result<(), RepositoryError> {
        let uow = self.database.begin().await?;
        let change = Change {
            tenant: actor.tenant_id,
            actor: Some(actor.user_id),
            action,
            entity_type: "threat_actor",
            entity_id: Some(tracked.actor_stix_id.clone()),
            details: serde_json::json!({ "name": tracked.name, "mitre_id": tracked.mitre_id }),
        };
        audit_trail::record(
            self.clock.as_ref(),
            self.ids.as_ref(),
            uow.as_ref(),
            context,
            change,
        )
        .await?;
        uow.commit().await
    }
}
