//! Detection as code: pipelines submit the diff of their detection repository; the `scan`
//! job verifies it (the injection and hazard rules of `aegis_domain::scan::hazards`, the
//! importers' parsers, the catalog and the tenant's proven detections: `verify`), decides
//! pass or fail under the policy and signs the result (`docs/scans.md`).

mod retention;
mod run;
pub mod verify;

use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use aegis_domain::job::JobKind;
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::Action;
use aegis_domain::ports::{CatalogRepository, RepositoryError, RuleRepository, ScanFilter};
use aegis_domain::scan::artifact;
use aegis_domain::scan::{
    CoverageDelta, Decision, Finding, Scan, ScanId, ScanPolicy, ScanSource, ScanStatus, diff,
};

use crate::audit_trail::{self, Change};
use crate::context::{Actor, Forbidden, RequestContext};
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::idempotency::{IdempotencyKey, IdempotentRequest, Prior, fingerprint};
use crate::jobs::JobService;
use crate::ports::{Clock, Database, EvidenceStore, EvidenceStoreError, IdGenerator, UnitOfWork};
use crate::reports::DocumentSigner;

pub use run::ScanCounts;
pub use verify::{DetectionContentParser, ParsedDetection};

/// Signs and verifies scan artifacts: Ed25519 with the server's report key by default
/// (`ReportKeySigner`), HMAC-SHA256 as an option (`infrastructure::scans::HmacSigner`).
pub trait ScanSigner: Send + Sync {
    /// `ed25519` or `hmac-sha256`, written into the artifact.
    fn algorithm(&self) -> &'static str;
    /// A hex signature of `message`.
    fn sign(&self, message: &[u8]) -> String;
    /// Whether `signature` is this server's signature of `message`.
    fn verify(&self, message: &[u8], signature: &str) -> bool;
    /// The key anyone may verify with, hex; `None` for a shared secret.
    fn public_key(&self) -> Option<String>;
}

/// Ed25519 through the report signing machinery: the signature covers the SHA-256 of the
/// artifact, as a report's seal covers its document's digest.
pub struct ReportKeySigner(pub Arc<dyn DocumentSigner>);

impl ScanSigner for ReportKeySigner {
    fn algorithm(&self) -> &'static str {
        "ed25519"
    }

    fn sign(&self, message: &[u8]) -> String {
        self.0.sign(&Sha256::digest(message))
    }

    fn verify(&self, message: &[u8], signature: &str) -> bool {
        self.0.verify(&Sha256::digest(message), signature)
    }

    fn public_key(&self) -> Option<String> {
        Some(self.0.public_key())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("invalid scan request")]
    Invalid(Vec<FieldError>),
    #[error("scan not found")]
    NotFound,
    #[error("the scan is {0}: it has no artifact yet")]
    NotReady(&'static str),
    #[error("the Idempotency-Key was used with another payload")]
    IdempotencyConflict,
    /// The retention sweep deleted the raw diff (or it no longer matches its hash); the scan,
    /// its findings and its artifact remain.
    #[error("the scan's diff is no longer kept")]
    DiffExpired,
    /// What the submission was recorded with (a GitHub delivery) is already recorded.
    #[error("this submission is already recorded")]
    AlreadyRecorded,
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for ScanError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl Classified for ScanError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::NotFound => ErrorKind::NotFound,
            Self::NotReady(_) | Self::IdempotencyConflict | Self::AlreadyRecorded => {
                ErrorKind::Conflict
            }
            Self::DiffExpired => ErrorKind::Gone,
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::NotFound => "SCAN_NOT_FOUND",
            Self::NotReady(_) => "SCAN_NOT_READY",
            Self::IdempotencyConflict => "IDEMPOTENCY_KEY_REUSED",
            Self::DiffExpired => "SCAN_DIFF_EXPIRED",
            Self::AlreadyRecorded => "SCAN_ALREADY_RECORDED",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

/// A diff as a pipeline submits it.
#[derive(Debug, Clone)]
pub struct SubmitScan {
    pub diff: Vec<u8>,
    pub source: ScanSource,
}

/// What a caller records in a submission's own transaction (the GitHub delivery that made
/// the scan and its check run), so the scan exists if and only if its record does.
#[async_trait::async_trait]
pub trait SubmissionRecord: Send + Sync {
    /// # Errors
    /// `Duplicate` when the record exists already: the submission is rolled back and
    /// answers `AlreadyRecorded`.
    async fn record(&self, uow: &dyn UnitOfWork, scan: &Scan) -> Result<(), RepositoryError>;
}

/// Told when a scan is claimed by a worker and when an attempt is stored, so reporters (the
/// GitHub check runs) follow it without the scans knowing them.
#[async_trait::async_trait]
pub trait ScanWatcher: Send + Sync {
    async fn changed(&self);
}

/// The watcher, attached once every service exists.
#[derive(Clone, Default)]
pub struct ScanWatch(Arc<OnceLock<Arc<dyn ScanWatcher>>>);

impl ScanWatch {
    pub(crate) fn attach(&self, watcher: Arc<dyn ScanWatcher>) {
        let _ = self.0.set(watcher);
    }

    pub(crate) async fn changed(&self) {
        if let Some(watcher) = self.0.get() {
            watcher.changed().await;
        }
    }
}

/// A submission's answer: the scan, and whether it is an earlier submission's (replay).
#[derive(Debug, Clone)]
pub struct Submitted {
    pub scan: Scan,
    pub replayed: bool,
}

/// What a presented artifact proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub valid: bool,
    /// Why it is not valid.
    pub reason: Option<String>,
    pub algorithm: String,
    pub public_key: Option<String>,
}

/// A scan made without storing anything (the command line's offline mode).
#[derive(Debug, Clone)]
pub struct OfflineScan {
    pub files: u32,
    pub findings: Vec<Finding>,
    pub coverage: CoverageDelta,
    pub decision: Decision,
}

/// Queues the scan job. The job service is built after this one, so it is attached once
/// everything exists.
#[derive(Clone, Default)]
pub struct ScanKick {
    jobs: Arc<OnceLock<JobService>>,
    last: Arc<Mutex<i64>>,
}

impl ScanKick {
    pub(crate) fn attach(&self, jobs: JobService) {
        let _ = self.jobs.set(jobs);
    }

    /// Queues a run at `due` rounded up to the next second, once per second.
    pub(crate) async fn at(&self, due: DateTime<Utc>) {
        let Some(jobs) = self.jobs.get() else {
            return;
        };
        let second = due.timestamp() + 1;
        if let Ok(mut last) = self.last.lock() {
            if *last == second {
                return;
            }
            *last = second;
        }
        let Some(run_at) = DateTime::<Utc>::from_timestamp(second, 0) else {
            return;
        };
        if let Err(error) = jobs.queue_due(JobKind::Scan, run_at).await {
            // The scheduled run picks the scan up; nothing is lost.
            tracing::warn!(%error, "the scan job could not be queued");
        }
    }
}

/// The adapters the scans use.
#[derive(Clone)]
pub struct ScanPorts {
    pub database: Arc<dyn Database>,
    pub catalog: Arc<dyn CatalogRepository>,
    pub rules: Arc<dyn RuleRepository>,
    pub evidence: Arc<dyn EvidenceStore>,
    pub signer: Arc<dyn ScanSigner>,
    pub parser: Arc<dyn DetectionContentParser>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
}

#[derive(Clone)]
pub struct ScanService {
    ports: ScanPorts,
    kick: ScanKick,
    policy: ScanPolicy,
    /// Finished scans are webhook events (`scan.finished`).
    outbox: crate::webhooks::Outbox,
    watch: ScanWatch,
}

/// The metadata fields' longest value.
const MAX_FIELD: usize = 500;

/// What the idempotency record keeps of a submission.
#[derive(Serialize, Deserialize)]
struct SubmittedId {
    scan_id: uuid::Uuid,
}

impl ScanService {
    pub(crate) fn new(ports: ScanPorts, kick: ScanKick, outbox: crate::webhooks::Outbox) -> Self {
        Self {
            ports,
            kick,
            outbox,
            policy: ScanPolicy::default(),
            watch: ScanWatch::default(),
        }
    }

    /// Whom to tell when a scan is claimed or an attempt stored.
    pub(crate) fn watch(&self) -> &ScanWatch {
        &self.watch
    }

    /// The policy scans are decided under when their tenant has set none, and offline.
    #[must_use]
    pub fn policy(&self) -> &ScanPolicy {
        &self.policy
    }

    /// The key artifacts verify with, hex (`None` for a shared-secret signer).
    #[must_use]
    pub fn public_key(&self) -> Option<String> {
        self.ports.signer.public_key()
    }

    /// Records a submitted diff, stores it raw in the evidence store, and queues the scan.
    /// The same Idempotency-Key with the same payload answers the first scan.
    ///
    /// # Errors
    /// `Forbidden` unless a lead, an admin or a key with `scans:write`; `Invalid` for a diff
    /// that is empty, too large, not UTF-8 or not a unified diff, or metadata too long;
    /// `IdempotencyConflict`.
    pub async fn submit(
        &self,
        actor: &Actor,
        request: SubmitScan,
        key: Option<&IdempotencyKey>,
        context: &RequestContext,
    ) -> Result<Submitted, ScanError> {
        self.submit_with(actor, request, key, context, None).await
    }

    /// Submits as [`Self::submit`] does, writing `record` in the scan's transaction.
    ///
    /// # Errors
    /// As `submit`; `AlreadyRecorded` when `record` says its record exists.
    pub async fn submit_recorded(
        &self,
        actor: &Actor,
        request: SubmitScan,
        context: &RequestContext,
        record: &dyn SubmissionRecord,
    ) -> Result<Submitted, ScanError> {
        self.submit_with(actor, request, None, context, Some(record))
            .await
    }

    async fn submit_with(
        &self,
        actor: &Actor,
        request: SubmitScan,
        key: Option<&IdempotencyKey>,
        context: &RequestContext,
        record: Option<&dyn SubmissionRecord>,
    ) -> Result<Submitted, ScanError> {
        actor.authorize(Action::SubmitScans)?;
        let mut fields = Vec::new();
        let source = tidy_source(request.source, &mut fields);
        let text = match std::str::from_utf8(&request.diff) {
            Ok(text) => Some(text),
            Err(_) => {
                fields.push(FieldError::new("diff", "must be UTF-8 text"));
                None
            }
        };
        let files = match text.map(diff::parse) {
            Some(Ok(files)) => files.len(),
            Some(Err(error)) => {
                fields.push(FieldError::new("diff", error.to_string()));
                0
            }
            None => 0,
        };
        if !fields.is_empty() {
            return Err(ScanError::Invalid(fields));
        }
        let sha256 = aegis_domain::scan::diff_sha256(&request.diff);
        let tenant = actor.tenant_id;
        let idempotent = key.map(|key| IdempotentRequest {
            tenant,
            actor: actor.user_id,
            scope: "scans.submit",
            key,
            fingerprint: fingerprint(&serde_json::json!({
                "diff_sha256": sha256,
                "source": source,
            })),
        });
        let uow = self.ports.database.begin().await?;
        if let Some(idempotent) = &idempotent {
            match idempotent.prior::<SubmittedId>(uow.as_ref()).await? {
                Prior::Replay(previous) => {
                    let scan = uow
                        .find_scan(tenant, ScanId::from_uuid(previous.scan_id))
                        .await?
                        .ok_or(ScanError::NotFound)?;
                    return Ok(Submitted {
                        scan,
                        replayed: true,
                    });
                }
                Prior::Conflict => return Err(ScanError::IdempotencyConflict),
                Prior::None => {}
            }
        }
        let now = self.ports.clock.now();
        let id = ScanId::from_uuid(self.ports.ids.new_id());
        // The tenant's profile at submission decides the scan, whatever it becomes later.
        let policy = uow
            .scan_policy(tenant)
            .await?
            .map_or_else(|| self.policy.clone(), |stored| stored.policy);
        let scan = Scan {
            id,
            tenant_id: tenant,
            source,
            diff_sha256: sha256.clone(),
            diff_bytes: request.diff.len() as u64,
            diff_key: Scan::diff_key_of(id),
            status: ScanStatus::Queued,
            decision: None,
            policy,
            findings: Vec::new(),
            coverage: CoverageDelta::default(),
            files: u32::try_from(files).unwrap_or(u32::MAX),
            error: None,
            attempts: 0,
            lease_until: None,
            submitted_by: actor.user_id,
            created_at: now,
            completed_at: None,
            artifact: None,
            diff_deleted_at: None,
        };
        // Stored before the row commits: a scan never names a diff that is not there. A
        // failed commit leaves an unreferenced object, which names no scan.
        self.ports
            .evidence
            .put(&scan.diff_key, request.diff, "text/x-diff")
            .await
            .map_err(|e| ScanError::Unexpected(e.to_string()))?;
        uow.insert_scan(tenant, &scan).await?;
        if let Some(record) = record {
            match record.record(uow.as_ref(), &scan).await {
                Err(RepositoryError::Duplicate(_)) => return Err(ScanError::AlreadyRecorded),
                other => other?,
            }
        }
        audit_trail::record(
            self.ports.clock.as_ref(),
            self.ports.ids.as_ref(),
            uow.as_ref(),
            context,
            Change {
                tenant,
                actor: Some(actor.user_id),
                action: "scan.submitted",
                entity_type: "scan",
                entity_id: Some(id.to_string()),
                details: serde_json::json!({
                    "repository": scan.source.repository,
                    "commit": scan.source.commit,
                    "pull_request": scan.source.pull_request,
                    "diff_sha256": sha256,
                    "diff_bytes": scan.diff_bytes,
                    "files": scan.files,
                }),
            },
        )
        .await?;
        if let Some(idempotent) = &idempotent {
            idempotent
                .remember(
                    uow.as_ref(),
                    &SubmittedId {
                        scan_id: id.as_uuid(),
                    },
                    now,
                )
                .await?;
        }
        uow.commit().await?;
        self.kick.at(now).await;
        Ok(Submitted {
            scan,
            replayed: false,
        })
    }

    /// # Errors
    /// `Forbidden`, `Unexpected`.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &ScanFilter,
        page: PageRequest,
    ) -> Result<Page<Scan>, ScanError> {
        actor.authorize(Action::ReadOperations)?;
        Ok(self
            .ports
            .database
            .list_scans(actor.tenant_id, filter, page)
            .await?)
    }

    /// # Errors
    /// `Forbidden`, `NotFound`.
    pub async fn get(&self, actor: &Actor, id: ScanId) -> Result<Scan, ScanError> {
        actor.authorize(Action::ReadOperations)?;
        self.ports
            .database
            .find_scan(actor.tenant_id, id)
            .await?
            .ok_or(ScanError::NotFound)
    }

    /// The signed canonical artifact of a finished scan.
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`, `NotReady` while queued or running.
    pub async fn artifact(&self, actor: &Actor, id: ScanId) -> Result<(Scan, String), ScanError> {
        let scan = self.get(actor, id).await?;
        match scan.artifact.clone() {
            Some(artifact) => Ok((scan, artifact)),
            None => Err(ScanError::NotReady(scan.status.as_str())),
        }
    }

    /// The raw diff a scan was submitted with, as stored, checked against its SHA-256 so that
    /// what a reviewer reads is what was judged.
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`; `DiffExpired` once its retention ended (even while the sweep
    /// has yet to remove the object) or when the evidence store no longer holds it;
    /// `Unexpected` when the stored bytes no longer match the hash or storage fails.
    pub async fn diff(&self, actor: &Actor, id: ScanId) -> Result<Vec<u8>, ScanError> {
        let scan = self.get(actor, id).await?;
        if scan.diff_deleted_at.is_some() {
            return Err(ScanError::DiffExpired);
        }
        let bytes = match self.ports.evidence.get(&scan.diff_key).await {
            Ok(bytes) => bytes,
            Err(EvidenceStoreError::NotFound(_)) => return Err(ScanError::DiffExpired),
            Err(error) => return Err(ScanError::Unexpected(error.to_string())),
        };
        if aegis_domain::scan::diff_sha256(&bytes) != scan.diff_sha256 {
            return Err(ScanError::Unexpected(format!(
                "the stored diff of scan {} no longer matches its SHA-256",
                scan.id
            )));
        }
        Ok(bytes)
    }

    /// Whether `presented` is an artifact of scan `id` that this server signed, unaltered.
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`.
    pub async fn verify(
        &self,
        actor: &Actor,
        id: ScanId,
        presented: &[u8],
    ) -> Result<Verification, ScanError> {
        let scan = self.get(actor, id).await?;
        Ok(self.verify_bytes(Some(scan.id), presented))
    }

    /// Checks an artifact against this server's signer (the command line's offline check
    /// uses the same rules with a public key).
    #[must_use]
    pub fn verify_bytes(&self, expected: Option<ScanId>, presented: &[u8]) -> Verification {
        let signer = &self.ports.signer;
        let refuse = |reason: String| Verification {
            valid: false,
            reason: Some(reason),
            algorithm: signer.algorithm().to_owned(),
            public_key: signer.public_key(),
        };
        let presented = match artifact::present(presented) {
            Ok(presented) => presented,
            Err(error) => return refuse(error.to_string()),
        };
        if presented.algorithm != signer.algorithm() {
            return refuse(format!(
                "the artifact is signed with {}, this server signs with {}",
                presented.algorithm,
                signer.algorithm()
            ));
        }
        if let Some(expected) = expected {
            let names = serde_json::from_str::<serde_json::Value>(&presented.signed)
                .ok()
                .and_then(|v| v.get("scan_id").and_then(|s| s.as_str()).map(str::to_owned));
            if names.as_deref() != Some(expected.to_string().as_str()) {
                return refuse("the artifact is another scan's".to_owned());
            }
        }
        if !signer.verify(presented.signed.as_bytes(), &presented.signature) {
            return refuse(
                "the signature does not match the content: the artifact was altered or signed by another key"
                    .to_owned(),
            );
        }
        Verification {
            valid: true,
            reason: None,
            algorithm: signer.algorithm().to_owned(),
            public_key: signer.public_key(),
        }
    }
}

fn tidy_source(source: ScanSource, fields: &mut Vec<FieldError>) -> ScanSource {
    let mut tidy = |name: &str, value: Option<String>| -> Option<String> {
        let value = value?.trim().to_owned();
        if value.is_empty() {
            return None;
        }
        if value.chars().count() > MAX_FIELD || value.chars().any(char::is_control) {
            fields.push(FieldError::new(
                name,
                format!("must be at most {MAX_FIELD} characters, without control characters"),
            ));
        }
        Some(value)
    };
    ScanSource {
        repository: tidy("repository", source.repository),
        commit: tidy("commit", source.commit),
        base: tidy("base", source.base),
        pull_request: tidy("pull_request", source.pull_request),
    }
}
