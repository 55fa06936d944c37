//! Evidence with a chain of custody: files streamed into the evidence store with their
//! SHA-256 computed on the way, by the team whose phase it is; every upload, download,
//! verification and deletion recorded; nothing changes once the test is validated.

use std::sync::{Arc, Mutex};

use chrono::Duration;

use futures::StreamExt;
use sha2::{Digest, Sha256};

use aegis_domain::api_key::Scope;
use aegis_domain::evidence::{
    CustodyEvent, CustodyKind, Evidence, EvidenceId, PendingObject, PendingPurpose,
    sanitize_filename,
};
use aegis_domain::permission::Action;
use aegis_domain::ports::RepositoryError;
use aegis_domain::test_case::{TestCase, TestId};
use aegis_domain::workflow::{Refusal, Team, TestState};

use crate::audit_trail::{self, Change};
use crate::context::{Actor, Forbidden, RequestContext};
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::ports::{ByteChunks, Clock, Database, EvidenceStore, EvidenceStoreError, IdGenerator};

/// Bytes looked at to recognise a file's type.
const SNIFF_BYTES: usize = 8 * 1024;

/// Pending-object records handled per sweep; the next sweep takes the rest.
const SWEEP_BATCH: u64 = 1000;

/// What one evidence sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SweepReport {
    /// Objects of uploads that failed or were interrupted before their row was committed.
    pub abandoned_uploads: u64,
    /// Objects of deleted files.
    pub purged: u64,
    /// Objects the store would not remove this time (kept for the next sweep).
    pub failed: u64,
}

/// What an evidence operation did not find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceItem {
    Test,
    Evidence,
    StoredObject,
}

impl std::fmt::Display for EvidenceItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Test => "test",
            Self::Evidence => "evidence",
            Self::StoredObject => "stored object",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("invalid evidence request")]
    Invalid(Vec<FieldError>),
    #[error("{0} not found")]
    NotFound(EvidenceItem),
    #[error("{0}")]
    Refused(Refusal),
    #[error("the file is larger than the limit of {0} bytes")]
    TooLarge(u64),
    #[error("the evidence store failed: {0}")]
    Store(String),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for EvidenceError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl From<EvidenceStoreError> for EvidenceError {
    fn from(error: EvidenceStoreError) -> Self {
        match error {
            EvidenceStoreError::TooLarge(limit) => Self::TooLarge(limit),
            EvidenceStoreError::NotFound(_) => Self::NotFound(EvidenceItem::StoredObject),
            // Read as the storage being unreachable: the HTTP layer answers 503.
            EvidenceStoreError::Unavailable(reason) => Self::Store(format!(
                "{}: the evidence store: {reason}",
                crate::error::STORAGE_UNAVAILABLE
            )),
            other => Self::Store(other.to_string()),
        }
    }
}

impl Classified for EvidenceError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) | Self::Refused(Refusal::NotPermitted { .. }) => {
                ErrorKind::Forbidden
            }
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::Refused(_) => ErrorKind::Conflict,
            Self::TooLarge(limit) => ErrorKind::Invalid(vec![FieldError::new(
                "file",
                format!("must be at most {limit} bytes"),
            )]),
            Self::Store(_) | Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) | Self::Refused(Refusal::NotPermitted { .. }) => "FORBIDDEN",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::NotFound(EvidenceItem::Test) => "TEST_NOT_FOUND",
            Self::NotFound(EvidenceItem::Evidence | EvidenceItem::StoredObject) => {
                "EVIDENCE_NOT_FOUND"
            }
            Self::Refused(_) => "EVIDENCE_LOCKED",
            Self::TooLarge(_) => "FILE_TOO_LARGE",
            Self::Store(_) | Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

/// A file with its custody log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceRecord {
    pub evidence: Evidence,
    pub custody: Vec<CustodyEvent>,
}

/// The outcome of re-hashing a stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub evidence: Evidence,
    pub recomputed_sha256: String,
    pub intact: bool,
}

/// What the upload stream has shown so far.
#[derive(Default)]
struct Observed {
    hasher: Sha256,
    size: u64,
    head: Vec<u8>,
}

/// The MIME type recognised from the first bytes: a known signature, else text when the
/// bytes are UTF-8, else opaque bytes.
fn sniff(head: &[u8]) -> String {
    if let Some(kind) = infer::get(head) {
        return kind.mime_type().to_owned();
    }
    if std::str::from_utf8(head).is_ok() || head.is_empty() {
        "text/plain".to_owned()
    } else {
        "application/octet-stream".to_owned()
    }
}

/// The team whose phase `state` is, for files.
fn phase_team(state: TestState) -> Option<Team> {
    match state {
        TestState::Draft | TestState::RedExecuting => Some(Team::Red),
        TestState::BlueEvaluating => Some(Team::Blue),
        _ => None,
    }
}

const fn team_action(team: Team) -> Action {
    match team {
        Team::Red => Action::ExecuteRed,
        Team::Blue => Action::EvaluateBlue,
    }
}

#[derive(Clone)]
pub struct EvidenceService {
    database: Arc<dyn Database>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    evidence: Arc<dyn EvidenceStore>,
    max_bytes: u64,
    link_ttl: std::time::Duration,
}

/// A time-limited link that fetches a file straight from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadLink {
    pub url: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

impl EvidenceService {
    pub fn new(
        database: Arc<dyn Database>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        evidence: Arc<dyn EvidenceStore>,
        limits: &crate::Limits,
    ) -> Self {
        Self {
            database,
            clock,
            ids,
            evidence,
            max_bytes: limits.evidence_max_bytes,
            link_ttl: limits.evidence_link_ttl,
        }
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    async fn test(&self, actor: &Actor, id: TestId) -> Result<TestCase, EvidenceError> {
        self.database
            .find_test(actor.tenant_id, id)
            .await?
            .ok_or(EvidenceError::NotFound(EvidenceItem::Test))
    }

    /// Streams a file into the store for the team whose phase the test is in (`requested_team`
    /// must match it; admins may name either team in any state before validation).
    ///
    /// # Errors
    /// `Forbidden` for the other team and viewers, `Refused` outside the teams' phases (and
    /// always once validated), `TooLarge`, `Store`.
    pub async fn upload(
        &self,
        actor: &Actor,
        test_id: TestId,
        filename: &str,
        requested_team: Option<Team>,
        body: ByteChunks,
        context: &RequestContext,
    ) -> Result<EvidenceRecord, EvidenceError> {
        actor.authorize(Action::ReadOperations)?;
        let test = self.test(actor, test_id).await?;
        let state = test.workflow().state();
        let locked = EvidenceError::Refused(Refusal::NotAllowedInState {
            state,
            action: "add evidence",
        });
        // Admins pass the phase rule (the original's bypass), but validated evidence is final.
        let team = match (phase_team(state), actor.role) {
            (_, aegis_domain::Role::Admin) if state == TestState::Validated => return Err(locked),
            (phase, aegis_domain::Role::Admin) => requested_team.or(phase).unwrap_or(Team::Red),
            (Some(phase), _) if requested_team.is_none_or(|t| t == phase) => phase,
            _ => return Err(locked),
        };
        actor.authorize_with(team_action(team), Scope::EvidenceWrite)?;

        let id = EvidenceId::from_uuid(self.ids.new_id());
        let key = format!("{}/{}/{}", actor.tenant_id, test_id, id);
        let observed = Arc::new(Mutex::new(Observed::default()));
        let seen = observed.clone();
        let limit = self.max_bytes;
        let hashed: ByteChunks = Box::pin(body.map(move |chunk| {
            let chunk = chunk?;
            let mut state = seen
                .lock()
                .map_err(|_| EvidenceStoreError::Unavailable("hash state poisoned".into()))?;
            state.size += chunk.len() as u64;
            if state.size > limit {
                return Err(EvidenceStoreError::TooLarge(limit));
            }
            state.hasher.update(&chunk);
            if state.head.len() < SNIFF_BYTES {
                let take = (SNIFF_BYTES - state.head.len()).min(chunk.len());
                state.head.extend_from_slice(&chunk[..take]);
            }
            Ok(chunk)
        }));
        // The object is recorded as pending, then written, then claimed in the transaction
        // that inserts its row: whatever fails or crashes in between leaves a record the
        // sweep removes the object for, never an object nobody knows about.
        let pending = PendingObject {
            object_key: key.clone(),
            tenant_id: actor.tenant_id,
            purpose: PendingPurpose::Upload,
            recorded_at: self.clock.now(),
        };
        self.database.record_pending_object(&pending).await?;
        if let Err(error) = self
            .evidence
            .put_stream(&key, "application/octet-stream", hashed)
            .await
        {
            self.abandon(&pending).await;
            return Err(error.into());
        }
        let (sha256, size, content_type) = {
            let mut state = observed
                .lock()
                .map_err(|_| EvidenceError::Unexpected("hash state poisoned".into()))?;
            let hasher = std::mem::take(&mut state.hasher);
            (
                hex::encode(hasher.finalize()),
                state.size,
                sniff(&state.head),
            )
        };
        let now = self.clock.now();
        let evidence = Evidence {
            id,
            tenant_id: actor.tenant_id,
            test_id,
            team,
            filename: sanitize_filename(filename),
            content_type,
            size_bytes: i64::try_from(size).unwrap_or(i64::MAX),
            sha256: sha256.clone(),
            object_key: key.clone(),
            uploaded_by: actor.user_id,
            uploaded_at: now,
            deleted_at: None,
            deleted_by: None,
            delete_reason: None,
        };
        let event = CustodyEvent {
            id: self.ids.new_id(),
            evidence_id: id,
            kind: CustodyKind::Uploaded,
            actor: actor.user_id,
            occurred_at: now,
            sha256,
        };
        let committed: Result<(), EvidenceError> = async {
            let uow = self.database.begin().await?;
            if !uow.claim_pending_object(&key).await? {
                return Err(EvidenceError::Store(
                    "the upload outlived its grace period and its object was swept".into(),
                ));
            }
            uow.insert_evidence(actor.tenant_id, &evidence).await?;
            uow.insert_custody_event(actor.tenant_id, &event).await?;
            let change = self.change(actor, "evidence.uploaded", &evidence);
            audit_trail::record(
                self.clock.as_ref(),
                self.ids.as_ref(),
                uow.as_ref(),
                context,
                change,
            )
            .await?;
            uow.commit().await?;
            Ok(())
        }
        .await;
        if let Err(error) = committed {
            self.abandon(&pending).await;
            return Err(error);
        }
        Ok(EvidenceRecord {
            evidence,
            custody: vec![event],
        })
    }

    /// The test's files, optionally of one team.
    ///
    /// # Errors
    /// `NotFound` for an unknown test.
    pub async fn list(
        &self,
        actor: &Actor,
        test_id: TestId,
        team: Option<Team>,
    ) -> Result<Vec<Evidence>, EvidenceError> {
        actor.authorize(Action::ReadOperations)?;
        self.test(actor, test_id).await?;
        let all = self
            .database
            .list_evidence(actor.tenant_id, test_id)
            .await?;
        Ok(all
            .into_iter()
            .filter(|e| team.is_none_or(|t| e.team == t))
            .collect())
    }

    /// A file's metadata and custody log.
    ///
    /// # Errors
    /// `NotFound`.
    pub async fn get(
        &self,
        actor: &Actor,
        id: EvidenceId,
    ) -> Result<EvidenceRecord, EvidenceError> {
        actor.authorize(Action::ReadOperations)?;
        let evidence = self
            .database
            .find_evidence(actor.tenant_id, id)
            .await?
            .ok_or(EvidenceError::NotFound(EvidenceItem::Evidence))?;
        let custody = self.database.custody_log(actor.tenant_id, id).await?;
        Ok(EvidenceRecord { evidence, custody })
    }

    /// The file's bytes, streamed; the download is recorded first.
    ///
    /// # Errors
    /// `NotFound` (also for a deleted file), `Store`.
    pub async fn download(
        &self,
        actor: &Actor,
        id: EvidenceId,
        context: &RequestContext,
    ) -> Result<(Evidence, ByteChunks), EvidenceError> {
        actor.authorize(Action::ReadOperations)?;
        let evidence = self.live(actor, id).await?;
        let body = self.evidence.get_stream(&evidence.object_key).await?;
        self.record(
            actor,
            &evidence,
            CustodyKind::Downloaded,
            evidence.sha256.clone(),
            "evidence.downloaded",
            context,
        )
        .await?;
        Ok((evidence, body))
    }

    /// A presigned link to the file, recorded in its custody log; `None` when the store
    /// cannot make links (the local filesystem), where `download` streams it instead.
    ///
    /// # Errors
    /// `NotFound` (also for a deleted file), `Store`.
    pub async fn download_link(
        &self,
        actor: &Actor,
        id: EvidenceId,
        context: &RequestContext,
    ) -> Result<Option<DownloadLink>, EvidenceError> {
        actor.authorize(Action::ReadOperations)?;
        let evidence = self.live(actor, id).await?;
        let issued_at = self.clock.now();
        let Some(url) = self
            .evidence
            .presigned_download(&evidence.object_key, &evidence.filename, self.link_ttl)
            .await?
        else {
            return Ok(None);
        };
        self.record(
            actor,
            &evidence,
            CustodyKind::LinkIssued,
            evidence.sha256.clone(),
            "evidence.link_issued",
            context,
        )
        .await?;
        let ttl = Duration::from_std(self.link_ttl).unwrap_or(Duration::MAX);
        Ok(Some(DownloadLink {
            url,
            expires_at: issued_at + ttl,
        }))
    }

    /// Re-hashes the stored object and records whether it still matches.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn verify(
        &self,
        actor: &Actor,
        id: EvidenceId,
        context: &RequestContext,
    ) -> Result<Verification, EvidenceError> {
        actor.authorize(Action::ReadOperations)?;
        let evidence = self.live(actor, id).await?;
        let mut body = self.evidence.get_stream(&evidence.object_key).await?;
        let mut hasher = Sha256::new();
        while let Some(chunk) = body.next().await {
            hasher.update(&chunk?);
        }
        let recomputed = hex::encode(hasher.finalize());
        let intact = recomputed == evidence.sha256;
        let kind = if intact {
            CustodyKind::Verified
        } else {
            CustodyKind::VerificationFailed
        };
        self.record(
            actor,
            &evidence,
            kind,
            recomputed.clone(),
            "evidence.verified",
            context,
        )
        .await?;
        Ok(Verification {
            evidence,
            recomputed_sha256: recomputed,
            intact,
        })
    }

    /// Deletes a file (admins, with a reason, before the test is validated). The row and its
    /// custody log stay; the object goes.
    ///
    /// # Errors
    /// `Forbidden`, `Invalid` without a reason, `Refused` once validated, `NotFound`.
    pub async fn delete(
        &self,
        actor: &Actor,
        id: EvidenceId,
        reason: &str,
        context: &RequestContext,
    ) -> Result<Evidence, EvidenceError> {
        actor.authorize(Action::ManageSystem)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(EvidenceError::Invalid(vec![FieldError::new(
                "reason",
                "is required to delete evidence",
            )]));
        }
        let mut evidence = self.live(actor, id).await?;
        let test = self.test(actor, evidence.test_id).await?;
        if test.workflow().state() == TestState::Validated {
            return Err(EvidenceError::Refused(Refusal::NotAllowedInState {
                state: TestState::Validated,
                action: "delete evidence",
            }));
        }
        let now = self.clock.now();
        evidence.deleted_at = Some(now);
        evidence.deleted_by = Some(actor.user_id);
        evidence.delete_reason = Some(reason.to_owned());
        let uow = self.database.begin().await?;
        uow.mark_evidence_deleted(actor.tenant_id, &evidence)
            .await?;
        let event = CustodyEvent {
            id: self.ids.new_id(),
            evidence_id: id,
            kind: CustodyKind::Deleted,
            actor: actor.user_id,
            occurred_at: now,
            sha256: evidence.sha256.clone(),
        };
        uow.insert_custody_event(actor.tenant_id, &event).await?;
        let purge = PendingObject {
            object_key: evidence.object_key.clone(),
            tenant_id: actor.tenant_id,
            purpose: PendingPurpose::Purge,
            recorded_at: now,
        };
        uow.record_pending_object(&purge).await?;
        let mut change = self.change(actor, "evidence.deleted", &evidence);
        change.details = serde_json::json!({"reason": reason, "sha256": evidence.sha256});
        audit_trail::record(
            self.clock.as_ref(),
            self.ids.as_ref(),
            uow.as_ref(),
            context,
            change,
        )
        .await?;
        uow.commit().await?;
        // After the commit; should the store fail now, the purge record stays for the sweep.
        if self.dispose(&purge).await.is_err() {
            tracing::warn!(key = %evidence.object_key, "deleted evidence object left for the sweep");
        }
        Ok(evidence)
    }

    /// Removes the objects of failed or interrupted uploads older than `upload_grace` and of
    /// deleted files, as recorded in the pending-object records of every tenant.
    ///
    /// # Errors
    /// `Unexpected` when the records cannot be read; a store failure on one object is counted
    /// and its record kept for the next sweep.
    pub async fn sweep(&self, upload_grace: Duration) -> Result<SweepReport, EvidenceError> {
        let now = self.clock.now();
        let upload_deadline = now - upload_grace;
        let mut report = SweepReport::default();
        let pending = self.database.pending_objects(now, SWEEP_BATCH).await?;
        for object in pending {
            let due = match object.purpose {
                PendingPurpose::Purge => true,
                PendingPurpose::Upload => object.recorded_at < upload_deadline,
            };
            if !due {
                continue;
            }
            match self.dispose(&object).await {
                Ok(true) => match object.purpose {
                    PendingPurpose::Upload => report.abandoned_uploads += 1,
                    PendingPurpose::Purge => report.purged += 1,
                },
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(%error, key = %object.object_key, "evidence sweep could not remove an object");
                    report.failed += 1;
                }
            }
        }
        Ok(report)
    }

    /// Claims the pending record of `key` and removes its object; false when someone else
    /// claimed it first. On a store failure the record is put back for the next sweep.
    async fn dispose(&self, object: &PendingObject) -> Result<bool, EvidenceError> {
        let key = &object.object_key;
        if !self.database.claim_pending_object(key).await? {
            return Ok(false);
        }
        if let Err(error) = self.evidence.delete(key).await {
            self.database.record_pending_object(object).await?;
            return Err(error.into());
        }
        Ok(true)
    }

    /// Best effort after a failed upload: the sweep retries whatever this leaves.
    async fn abandon(&self, object: &PendingObject) {
        if let Err(error) = self.dispose(object).await {
            tracing::warn!(%error, key = %object.object_key, "failed upload left for the evidence sweep");
        }
    }

    async fn live(&self, actor: &Actor, id: EvidenceId) -> Result<Evidence, EvidenceError> {
        match self.database.find_evidence(actor.tenant_id, id).await? {
            Some(evidence) if evidence.deleted_at.is_none() => Ok(evidence),
            _ => Err(EvidenceError::NotFound(EvidenceItem::Evidence)),
        }
    }

    async fn record(
        &self,
        actor: &Actor,
        evidence: &Evidence,
        kind: CustodyKind,
        sha256: String,
        action: &str,
        context: &RequestContext,
    ) -> Result<(), EvidenceError> {
        let uow = self.database.begin().await?;
        let event = CustodyEvent {
            id: self.ids.new_id(),
            evidence_id: evidence.id,
            kind,
            actor: actor.user_id,
            occurred_at: self.clock.now(),
            sha256,
        };
        uow.insert_custody_event(actor.tenant_id, &event).await?;
        let mut change = self.change(actor, action, evidence);
        change.details = serde_json::json!({"custody": kind.as_str(), "sha256": event.sha256});
        audit_trail::record(
            self.clock.as_ref(),
            self.ids.as_ref(),
            uow.as_ref(),
            context,
            change,
        )
        .await?;
        uow.commit().await?;
        Ok(())
    }

    fn change<'a>(&self, actor: &Actor, action: &'a str, evidence: &Evidence) -> Change<'a> {
        Change {
            tenant: actor.tenant_id,
            actor: Some(actor.user_id),
            action,
            entity_type: "evidence",
            entity_id: Some(evidence.id.to_string()),
            details: serde_json::json!({
                "test_id": evidence.test_id,
                "filename": evidence.filename,
                "sha256": evidence.sha256,
                "size_bytes": evidence.size_bytes,
            }),
        }
    }
}
