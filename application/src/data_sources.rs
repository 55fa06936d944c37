//! The data-source registry: where each of the nine public feeds comes from, its schedule and
//! credential, syncing on schedule or on request, and offline bundles uploaded by admins.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use aegis_domain::data_source::{DataSource, FeedKind, SyncCounts, SyncStatus};
use aegis_domain::feed::ImportCounts;
use aegis_domain::job::JobKind;
use aegis_domain::permission::Action;
use aegis_domain::ports::{CatalogRepository, DataSourceRepository, RepositoryError};

use crate::audit_trail::{self, Change};
use crate::catalog::{AttackSource, CatalogService, FeedError};
use crate::context::{Actor, Forbidden, Initiator, RequestContext};
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::jobs::{JobError, JobService};
use crate::ports::{Clock, Database, IdGenerator};
use crate::rules::{CountermeasureFeed, RuleFeed, RuleService};
use crate::templates::{BinaryFeed, TemplateFeed, TemplateService};
use crate::threat_intel::{IntelFeed, ThreatIntelService};

/// Keeps credentials encrypted at rest.
pub trait CredentialCipher: Send + Sync {
    fn encrypt(&self, secret: &str) -> Vec<u8>;
    /// # Errors
    /// When the ciphertext was not made with this key or was altered.
    fn decrypt(&self, ciphertext: &[u8]) -> Result<String, FeedError>;
}

/// Where a sync reads from.
#[derive(Debug, Clone)]
pub enum FeedOrigin {
    /// Downloaded, with the source's credential when it has one.
    Url { url: String, token: Option<String> },
    /// An offline bundle an admin uploaded: an archive or a single file.
    Bundle { bytes: Vec<u8> },
}

/// A feed ready to import, of the kind its source publishes.
pub enum SourceFeed {
    Attack(Box<dyn AttackSource>),
    Rules(Box<dyn RuleFeed>),
    Countermeasures(Box<dyn CountermeasureFeed>),
    Templates(Box<dyn TemplateFeed>),
    Binaries(Box<dyn BinaryFeed>),
    Intel(Box<dyn IntelFeed>),
    Compliance(Box<dyn crate::compliance::ComplianceFeed>),
    Osint(Box<dyn crate::osint::OsintFeed>),
}

/// Makes the feed of a source kind from an origin.
pub trait FeedFactory: Send + Sync {
    /// # Errors
    /// `FeedError` when the origin cannot be prepared (e.g. no room for a bundle).
    fn feed(&self, kind: FeedKind, origin: FeedOrigin) -> Result<SourceFeed, FeedError>;
}

#[derive(Debug, thiserror::Error)]
pub enum DataSourceError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("no data source is called {0}")]
    NotFound(String),
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    #[error("{0} is disabled")]
    Disabled(&'static str),
    #[error(transparent)]
    Job(#[from] JobError),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for DataSourceError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl Classified for DataSourceError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::Disabled(_) => ErrorKind::Conflict,
            Self::Job(e) => e.kind(),
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "DATA_SOURCE_NOT_FOUND",
            Self::Invalid(_) => "VALIDATION_ERROR",
            Self::Disabled(_) => "DATA_SOURCE_DISABLED",
            Self::Job(e) => e.code(),
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

/// An admin's changes to a source; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataSourceChanges {
    pub url: Option<String>,
    pub enabled: Option<bool>,
    /// `Some(None)` clears the schedule.
    pub schedule: Option<Option<String>>,
    /// `Some(None)` removes the credential.
    pub credential: Option<Option<String>>,
}

/// How one sync went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub kind: FeedKind,
    pub counts: SyncCounts,
    /// Files or items not imported, with why.
    pub skipped: Vec<(String, String)>,
}

fn counts(import: ImportCounts, skipped: usize) -> SyncCounts {
    SyncCounts {
        created: import.created,
        updated: import.updated,
        unchanged: import.unchanged,
        skipped: skipped as u64,
    }
}

/// The importers a sync hands each kind of feed to.
#[derive(Clone)]
pub(crate) struct Importers {
    pub(crate) catalog: CatalogService,
    pub(crate) rules: RuleService,
    pub(crate) templates: TemplateService,
    pub(crate) threat_intel: ThreatIntelService,
    pub(crate) compliance: crate::compliance::ComplianceService,
    pub(crate) osint: crate::osint::OsintService,
}

/// Syncs sources: the work of the feed-sync job and of bundle uploads.
#[derive(Clone)]
pub struct FeedSyncService {
    data_sources: Arc<dyn DataSourceRepository>,
    feeds: Arc<dyn FeedFactory>,
    cipher: Arc<dyn CredentialCipher>,
    clock: Arc<dyn Clock>,
    importers: Importers,
    /// A finished import is a webhook event for every tenant (feeds are global).
    outbox: crate::webhooks::Outbox,
}

impl FeedSyncService {
    pub(crate) fn new(
        data_sources: Arc<dyn DataSourceRepository>,
        feeds: Arc<dyn FeedFactory>,
        cipher: Arc<dyn CredentialCipher>,
        clock: Arc<dyn Clock>,
        importers: Importers,
        outbox: crate::webhooks::Outbox,
    ) -> Self {
        Self {
            outbox,
            data_sources,
            feeds,
            cipher,
            clock,
            importers,
        }
    }

    /// The registry: every kind, configured or with its defaults.
    pub(crate) async fn registry(&self) -> Result<Vec<DataSource>, RepositoryError> {
        let mut stored = self.data_sources.data_sources().await?;
        Ok(FeedKind::ALL
            .into_iter()
            .map(|kind| {
                stored
                    .iter()
                    .position(|s| s.kind == kind)
                    .map_or_else(|| DataSource::default_for(kind), |i| stored.swap_remove(i))
            })
            .collect())
    }

    pub(crate) async fn source(&self, kind: FeedKind) -> Result<DataSource, RepositoryError> {
        Ok(self
            .registry()
            .await?
            .into_iter()
            .find(|s| s.kind == kind)
            .unwrap_or_else(|| DataSource::default_for(kind)))
    }

    /// Syncs every enabled source an admin asked to sync or whose schedule came due since
    /// its last sync. A failing source is recorded as failed; the others still sync.
    ///
    /// # Errors
    /// Storage failures; a source's own failure is recorded, not returned.
    pub(crate) async fn sync_due(&self) -> Result<Vec<SyncReport>, RepositoryError> {
        let now = self.clock.now();
        let mut reports = Vec::new();
        for source in self.registry().await? {
            if !source.enabled || !(source.sync_requested_at.is_some() || is_due(&source, now)) {
                continue;
            }
            let token = match &source.credential {
                Some(sealed) => match self.cipher.decrypt(sealed) {
                    Ok(token) => Some(token),
                    Err(error) => {
                        self.record(source.kind, Err(error.to_string())).await?;
                        continue;
                    }
                },
                None => None,
            };
            let origin = FeedOrigin::Url {
                url: source.url.clone(),
                token,
            };
            if let Ok(report) = self.sync(source.kind, origin).await? {
                reports.push(report);
            }
        }
        Ok(reports)
    }

    /// Imports one source from an origin and records the outcome on the source.
    ///
    /// # Errors
    /// The outer error is storage; the inner one the import's own failure (also recorded).
    pub(crate) async fn sync(
        &self,
        kind: FeedKind,
        origin: FeedOrigin,
    ) -> Result<Result<SyncReport, String>, RepositoryError> {
        let mut source = self.source(kind).await?;
        source.status = SyncStatus::Running;
        source.sync_requested_at = None;
        self.data_sources.save_data_source(&source).await?;
        let outcome = self.import(kind, origin).await;
        self.record(kind, outcome.clone()).await?;
        Ok(outcome)
    }

    pub(crate) async fn record(
        &self,
        kind: FeedKind,
        outcome: Result<SyncReport, String>,
    ) -> Result<(), RepositoryError> {
        let mut source = self.source(kind).await?;
        source.last_sync_at = Some(self.clock.now());
        source.sync_requested_at = None;
        let event = match &outcome {
            Ok(report) => serde_json::json!({
                "source": kind.as_str(),
                "status": "succeeded",
                "created": report.counts.created,
                "updated": report.counts.updated,
                "unchanged": report.counts.unchanged,
                "skipped": report.counts.skipped,
            }),
            Err(error) => serde_json::json!({
                "source": kind.as_str(), "status": "failed", "error": error,
            }),
        };
        match outcome {
            Ok(report) => {
                source.status = SyncStatus::Succeeded;
                source.last_counts = Some(report.counts);
                source.last_error = None;
            }
            Err(error) => {
                source.status = SyncStatus::Failed;
                source.last_error = Some(error);
            }
        }
        self.data_sources.save_data_source(&source).await?;
        // The import committed its own transactions; the event follows it for every tenant.
        if let Err(error) = self
            .outbox
            .publish_to_every_tenant(aegis_domain::webhook::WebhookEvent::ImportFinished, event)
            .await
        {
            tracing::warn!(source = kind.as_str(), error = %error.chain(), "import.finished not recorded for webhooks");
        }
        Ok(())
    }

    async fn import(&self, kind: FeedKind, origin: FeedOrigin) -> Result<SyncReport, String> {
        let feed = self.feeds.feed(kind, origin).map_err(|e| e.to_string())?;
        let importers = &self.importers;
        let text = |e: &dyn std::fmt::Display| e.to_string();
        let (counts, skipped) = match feed {
            SourceFeed::Attack(source) => {
                let report = importers
                    .catalog
                    .apply_attack_source(None, source.as_ref())
                    .await
                    .map_err(|e| text(&e))?;
                let totals = report.totals();
                let skipped: Vec<(String, String)> = report
                    .skipped
                    .iter()
                    .map(|s| (s.stix_id.clone(), s.reason.clone()))
                    .collect();
                let import = ImportCounts {
                    created: totals.created,
                    updated: totals.updated,
                    unchanged: totals.unchanged,
                };
                (counts(import, skipped.len()), skipped)
            }
            SourceFeed::Rules(feed) => {
                let report = importers
                    .rules
                    .apply_rule_feed(feed.as_ref())
                    .await
                    .map_err(|e| text(&e))?;
                (counts(report.counts, report.skipped.len()), report.skipped)
            }
            SourceFeed::Countermeasures(feed) => {
                let report = importers
                    .rules
                    .apply_countermeasure_feed(feed.as_ref())
                    .await
                    .map_err(|e| text(&e))?;
                (counts(report.counts, report.skipped.len()), report.skipped)
            }
            SourceFeed::Templates(feed) => {
                let report = importers
                    .templates
                    .apply_template_feed(feed.as_ref())
                    .await
                    .map_err(|e| text(&e))?;
                (
                    counts(report.templates, report.skipped.len()),
                    report.skipped,
                )
            }
            SourceFeed::Binaries(feed) => {
                let report = importers
                    .templates
                    .apply_binary_feed(feed.as_ref())
                    .await
                    .map_err(|e| text(&e))?;
                (
                    counts(report.binaries, report.skipped.len()),
                    report.skipped,
                )
            }
            SourceFeed::Intel(feed) => {
                let report = importers
                    .threat_intel
                    .apply_feed(feed.as_ref())
                    .await
                    .map_err(|e| text(&e))?;
                (
                    counts(report.counts.actors, report.skipped.len()),
                    report.skipped,
                )
            }
            SourceFeed::Compliance(feed) => {
                let report = importers
                    .compliance
                    .apply_feed(feed.as_ref())
                    .await
                    .map_err(|e| text(&e))?;
                (
                    counts(report.totals(), report.skipped.len()),
                    report.skipped,
                )
            }
            SourceFeed::Osint(feed) => {
                let report = importers
                    .osint
                    .apply_feed(feed.as_ref())
                    .await
                    .map_err(|e| text(&e))?;
                // The mapping's links count for a mapping source; items for the others.
                let import = report.mapping.unwrap_or(report.items);
                (counts(import, report.skipped.len()), report.skipped)
            }
        };
        Ok(SyncReport {
            kind,
            counts,
            skipped,
        })
    }
}

/// Whether a source's own schedule has come due since it last synced (a source never synced
/// is due at its first scheduled time after now-minus-a-day, so a new schedule starts soon).
fn is_due(source: &DataSource, now: DateTime<Utc>) -> bool {
    let Some(expression) = &source.schedule else {
        return false;
    };
    let Ok(schedule) = expression.parse::<cron::Schedule>() else {
        return false;
    };
    let since = source
        .last_sync_at
        .unwrap_or_else(|| now - chrono::Duration::days(1));
    schedule.after(&since).next().is_some_and(|due| due <= now)
}

/// What the first start of an installation did about its catalog.
#[derive(Debug, Clone, PartialEq)]
pub enum FirstStart {
    /// The catalog holds ATT&CK already: nothing to do.
    CatalogPresent,
    /// A first sync was already asked for or tried (by another instance, or before a
    /// restart); an offline site imports the bundles it uploads instead.
    AlreadyStarted,
    /// Every source is disabled.
    NothingEnabled,
    /// These sources were marked for a sync, ATT&CK first, and the feed-sync job queued.
    Queued {
        sources: Vec<FeedKind>,
        run: aegis_domain::job::JobRun,
    },
}

#[derive(Clone)]
pub struct DataSourceService {
    database: Arc<dyn Database>,
    catalog: Arc<dyn CatalogRepository>,
    data_sources: Arc<dyn DataSourceRepository>,
    cipher: Arc<dyn CredentialCipher>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    sync: FeedSyncService,
    jobs: JobService,
    /// Queues an alert evaluation after a bundle is imported.
    alert_requests: Option<crate::alerts::EvaluationRequests>,
}

fn parse_kind(kind: &str) -> Result<FeedKind, DataSourceError> {
    FeedKind::parse(kind).ok_or_else(|| DataSourceError::NotFound(kind.to_owned()))
}

impl DataSourceService {
    #[expect(clippy::too_many_arguments, reason = "one port each")]
    pub(crate) fn new(
        database: Arc<dyn Database>,
        catalog: Arc<dyn CatalogRepository>,
        data_sources: Arc<dyn DataSourceRepository>,
        cipher: Arc<dyn CredentialCipher>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        sync: FeedSyncService,
        jobs: JobService,
    ) -> Self {
        Self {
            database,
            catalog,
            data_sources,
            cipher,
            clock,
            ids,
            sync,
            jobs,
            alert_requests: None,
        }
    }

    /// Queues an alert evaluation after each bundle imported.
    pub(crate) fn requesting_alerts(mut self, requests: crate::alerts::EvaluationRequests) -> Self {
        self.alert_requests = Some(requests);
        self
    }

    /// Every source, configured or with its defaults.
    ///
    /// # Errors
    /// `Forbidden` for a role that cannot read the catalog.
    pub async fn list(&self, actor: &Actor) -> Result<Vec<DataSource>, DataSourceError> {
        actor.authorize(Action::ReadCatalog)?;
        Ok(self.sync.registry().await?)
    }

    /// Changes a source's URL, schedule, credential or whether it is enabled (admins).
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`, `Invalid` naming the field.
    pub async fn configure(
        &self,
        actor: &Actor,
        kind: &str,
        changes: DataSourceChanges,
        context: &RequestContext,
    ) -> Result<DataSource, DataSourceError> {
        actor.authorize(Action::ManageSystem)?;
        let kind = parse_kind(kind)?;
        let mut source = self.sync.source(kind).await?;
        let mut fields = Vec::new();
        if let Some(url) = changes.url {
            let url = url.trim().to_owned();
            if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 2000 {
                fields.push(FieldError::new(
                    "url",
                    "must be an http(s) URL of at most 2000 characters",
                ));
            }
            source.url = url;
        }
        if let Some(enabled) = changes.enabled {
            source.enabled = enabled;
        }
        if let Some(schedule) = changes.schedule {
            let schedule = schedule
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty());
            if let Some(expression) = &schedule
                && let Err(error) = expression.parse::<cron::Schedule>()
            {
                fields.push(FieldError::new(
                    "schedule",
                    format!("not a cron expression with seconds first ({error})"),
                ));
            }
            source.schedule = schedule;
        }
        let credential_changed = changes.credential.is_some();
        if let Some(credential) = changes.credential {
            source.credential = credential
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .map(|c| self.cipher.encrypt(&c));
        }
        if !fields.is_empty() {
            return Err(DataSourceError::Invalid(fields));
        }
        self.data_sources.save_data_source(&source).await?;
        self.audit(
            actor,
            context,
            "data_source.configured",
            kind,
            serde_json::json!({
                "url": source.url, "enabled": source.enabled, "schedule": source.schedule,
                "credential_changed": credential_changed,
            }),
        )
        .await?;
        Ok(source)
    }

    /// Asks for a sync now: the source is marked and the feed-sync job queued (admins).
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`, `Disabled`.
    pub async fn sync_now(
        &self,
        actor: &Actor,
        kind: &str,
        context: &RequestContext,
    ) -> Result<aegis_domain::job::JobRun, DataSourceError> {
        actor.authorize(Action::ManageSystem)?;
        let kind = parse_kind(kind)?;
        let mut source = self.sync.source(kind).await?;
        if !source.enabled {
            return Err(DataSourceError::Disabled(kind.title()));
        }
        source.sync_requested_at = Some(self.clock.now());
        self.data_sources.save_data_source(&source).await?;
        Ok(self
            .jobs
            .run_now(&Initiator::User(actor.clone()), JobKind::FeedSync, context)
            .await?)
    }

    /// The first start of an installation whose catalog is empty: every enabled source is
    /// marked for a sync and the feed-sync job queued at once, instead of at each source's
    /// next scheduled time. Done once: a first sync that was asked for or tried (offline,
    /// the downloads failed) is not repeated at the next start; the dashboard then offers
    /// the uploads of the offline bundles.
    ///
    /// # Errors
    /// `Forbidden` unless the initiator manages the system; storage failures.
    pub async fn sync_at_first_start(
        &self,
        initiator: &Initiator,
        context: &RequestContext,
    ) -> Result<FirstStart, DataSourceError> {
        initiator.authorize(Action::ManageSystem)?;
        if !self.catalog.list_tactics().await?.is_empty() {
            return Ok(FirstStart::CatalogPresent);
        }
        let registry = self.sync.registry().await?;
        let started = registry.iter().any(|s| {
            s.sync_requested_at.is_some()
                || s.last_sync_at.is_some()
                || s.status != SyncStatus::Never
        });
        if started {
            return Ok(FirstStart::AlreadyStarted);
        }
        let now = self.clock.now();
        let mut sources = Vec::new();
        for mut source in registry.into_iter().filter(|s| s.enabled) {
            source.sync_requested_at = Some(now);
            self.data_sources.save_data_source(&source).await?;
            sources.push(source.kind);
        }
        if sources.is_empty() {
            return Ok(FirstStart::NothingEnabled);
        }
        let run = self
            .jobs
            .run_now(initiator, JobKind::FeedSync, context)
            .await?;
        Ok(FirstStart::Queued { sources, run })
    }

    /// Imports an offline bundle (an archive or a file of the source's format) now, for
    /// air-gapped installations (admins).
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`, `Invalid` (field `bundle`) when the bundle cannot be imported.
    pub async fn upload_bundle(
        &self,
        actor: &Actor,
        kind: &str,
        bytes: Vec<u8>,
        context: &RequestContext,
    ) -> Result<SyncReport, DataSourceError> {
        actor.authorize(Action::ManageSystem)?;
        let kind = parse_kind(kind)?;
        if bytes.is_empty() {
            return Err(DataSourceError::Invalid(vec![FieldError::new(
                "bundle",
                "the upload is empty",
            )]));
        }
        let size = bytes.len();
        let report = self
            .sync
            .sync(kind, FeedOrigin::Bundle { bytes })
            .await?
            .map_err(|reason| DataSourceError::Invalid(vec![FieldError::new("bundle", reason)]))?;
        self.audit(
            actor,
            context,
            "data_source.bundle_imported",
            kind,
            serde_json::json!({
                "bytes": size, "created": report.counts.created, "updated": report.counts.updated,
                "unchanged": report.counts.unchanged, "skipped": report.counts.skipped,
            }),
        )
        .await?;
        if let Some(requests) = &self.alert_requests {
            requests.request("bundle_import").await;
        }
        Ok(report)
    }

    /// Records an import made outside the registry (the command line) on its source, so
    /// that the registry shows when each feed last came in and how.
    ///
    /// # Errors
    /// `Forbidden` unless the initiator manages the system.
    pub async fn record_import(
        &self,
        initiator: &Initiator,
        kind: FeedKind,
        outcome: Result<SyncCounts, String>,
    ) -> Result<(), DataSourceError> {
        initiator.authorize(Action::ManageSystem)?;
        let outcome = outcome.map(|counts| SyncReport {
            kind,
            counts,
            skipped: Vec::new(),
        });
        Ok(self.sync.record(kind, outcome).await?)
    }

    async fn audit(
        &self,
        actor: &Actor,
        context: &RequestContext,
        action: &'static str,
        kind: FeedKind,
        details: serde_json::Value,
    ) -> Result<(), RepositoryError> {
        let uow = self.database.begin().await?;
        let change = Change {
            tenant: actor.tenant_id,
            actor: Some(actor.user_id),
            action,
            entity_type: "data_source",
            entity_id: Some(kind.as_str().to_owned()),
            details,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_is_due_once_its_next_time_after_the_last_sync_has_passed() {
        let at = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default()
        };
        let mut source = DataSource::default_for(FeedKind::Sigma);
        assert!(!is_due(&source, at("2026-11-29T12:00:00Z")), "no schedule");
        source.schedule = Some("0 0 3 * * *".to_owned());
        source.last_sync_at = Some(at("2026-11-29T03:00:00Z"));
        assert!(!is_due(&source, at("2026-11-29T12:00:00Z")));
        assert!(is_due(&source, at("2026-11-30T03:00:01Z")));
        source.last_sync_at = None;
        assert!(is_due(&source, at("2026-11-29T12:00:00Z")), "never synced");
    }
}
