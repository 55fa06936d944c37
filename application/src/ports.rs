//! Ports that are not repositories: transactions, hashing, tokens, time, ids, secrets and the
//! evidence store. Infrastructure implements them; tests use in-memory fakes.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use aegis_domain::Role;
use aegis_domain::ports::{Repositories, RepositoryError};
use aegis_domain::session::SessionFamilyId;
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;

/// One database transaction offering every repository. Dropping it without `commit` rolls
/// back, so an error anywhere in a use case leaves nothing half-written.
#[async_trait]
pub trait UnitOfWork: Repositories {
    /// # Errors
    /// `Unexpected` when the database refuses the commit.
    async fn commit(self: Box<Self>) -> Result<(), RepositoryError>;
}

/// The database: reads outside transactions, and transactions for every change.
#[async_trait]
pub trait Database: Repositories {
    /// # Errors
    /// `Unexpected` when no transaction can be opened.
    async fn begin(&self) -> Result<Box<dyn UnitOfWork>, RepositoryError>;

    /// Checks that the database answers (readiness).
    ///
    /// # Errors
    /// `Unexpected` when it does not.
    async fn ping(&self) -> Result<(), RepositoryError>;
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashingError(pub String);

/// Slow, salted password hashing. Implementations must not block the async executor.
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// # Errors
    /// `HashingError` when the hasher fails (never for a policy-conforming password).
    async fn hash(&self, password: &str) -> Result<String, HashingError>;

    /// Whether `password` matches `hash`; a malformed hash is a mismatch.
    async fn verify(&self, password: &str, hash: &str) -> bool;
}

/// What an access token asserts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessClaims {
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub role: Role,
    /// Unique token id, the key of revocation.
    pub jti: String,
    /// The login (refresh family) the token belongs to; logout revokes it.
    pub session_family: SessionFamilyId,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Until the user enrols the second factor the tenant requires, the token only reaches
    /// their own account.
    pub mfa_enrolment_required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the access token has expired")]
    Expired,
    #[error("the access token is not valid")]
    Invalid,
    #[error("the access token could not be issued: {0}")]
    Issue(String),
}

/// Signs and checks short-lived access tokens.
pub trait TokenService: Send + Sync {
    /// # Errors
    /// `Issue` when signing fails.
    fn issue(&self, claims: &AccessClaims) -> Result<String, TokenError>;

    /// # Errors
    /// `Expired` or `Invalid`.
    fn verify(&self, token: &str) -> Result<AccessClaims, TokenError>;
}

/// The current time; fixed in tests.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// New entity ids (UUID v7 in production, a counter in tests).
pub trait IdGenerator: Send + Sync {
    fn new_id(&self) -> Uuid;
}

/// Unguessable strings from a cryptographic source.
pub trait SecretGenerator: Send + Sync {
    /// A random token of at least 256 bits, URL-safe.
    fn token(&self) -> String;

    /// A random password that satisfies the password policy.
    fn password(&self) -> String;
}

#[derive(Debug, thiserror::Error)]
pub enum EvidenceStoreError {
    #[error("the file is larger than the limit of {0} bytes")]
    TooLarge(u64),
    #[error("evidence object `{0}` not found")]
    NotFound(String),
    #[error("evidence key `{0}` is not allowed")]
    InvalidKey(String),
    #[error("evidence store unavailable: {0}")]
    Unavailable(String),
}

/// A body streamed in chunks, so that no whole file is ever held in memory.
pub type ByteChunks = std::pin::Pin<
    Box<dyn futures::Stream<Item = Result<Vec<u8>, EvidenceStoreError>> + Send + 'static>,
>;

/// Where evidence files live: a local directory (embedded) or an S3 bucket (production).
/// Keys are relative paths of `[A-Za-z0-9._-]` segments separated by `/`.
#[async_trait]
pub trait EvidenceStore: Send + Sync {
    /// # Errors
    /// `InvalidKey` for a key outside the alphabet or with `..`; `Unavailable` on I/O failure.
    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), EvidenceStoreError>;

    /// # Errors
    /// `NotFound` when nothing is stored under `key`.
    async fn get(&self, key: &str) -> Result<Vec<u8>, EvidenceStoreError>;

    /// Stores `body` under `key` as it arrives; a failing chunk aborts and leaves nothing.
    ///
    /// # Errors
    /// `InvalidKey`, `Unavailable`, or the error the stream itself yielded.
    async fn put_stream(
        &self,
        key: &str,
        content_type: &str,
        body: ByteChunks,
    ) -> Result<(), EvidenceStoreError>;

    /// The object under `key`, in chunks.
    ///
    /// # Errors
    /// `NotFound` when nothing is stored under `key`.
    async fn get_stream(&self, key: &str) -> Result<ByteChunks, EvidenceStoreError>;

    /// Deleting a missing key is not an error.
    ///
    /// # Errors
    /// `Unavailable` on I/O failure.
    async fn delete(&self, key: &str) -> Result<(), EvidenceStoreError>;

    /// A URL a browser can fetch the object from directly, valid for `expires_in`, that saves
    /// it as `filename`; `None` when the store cannot make one (the local filesystem), in
    /// which case downloads stream through Aegis.
    ///
    /// # Errors
    /// `InvalidKey`, or `Unavailable` when the link cannot be signed.
    async fn presigned_download(
        &self,
        key: &str,
        filename: &str,
        expires_in: std::time::Duration,
    ) -> Result<Option<String>, EvidenceStoreError> {
        let _ = (key, filename, expires_in);
        Ok(None)
    }

    /// Checks that the store is reachable and writable enough to serve (readiness).
    ///
    /// # Errors
    /// `Unavailable` when it is not.
    async fn check(&self) -> Result<(), EvidenceStoreError>;
}

/// One attempt of a job run, as the queue carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobTicket {
    pub run_id: uuid::Uuid,
    pub kind: aegis_domain::job::JobKind,
    /// 1 for the first attempt.
    pub attempt: u32,
}

#[derive(Debug, thiserror::Error)]
#[error("the job queue failed: {0}")]
pub struct JobQueueError(pub String);

/// The durable queue that job attempts wait in until a worker takes them.
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Queues the attempt to start after `delay`. Queuing an attempt that is already queued
    /// does nothing, so schedulers in several processes may all queue the same due run.
    ///
    /// # Errors
    /// `JobQueueError` when the queue cannot be written.
    async fn enqueue(
        &self,
        ticket: &JobTicket,
        delay: std::time::Duration,
    ) -> Result<(), JobQueueError>;
}

/// What an authenticator app needs to be set up: the secret, its `otpauth://` URI, and the
/// URI as a QR code (SVG).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpProvisioning {
    pub secret: String,
    pub uri: String,
    pub qr_svg: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("one-time password failure: {0}")]
pub struct OtpError(pub String);

/// Time-based one-time passwords (RFC 6238: SHA-1, six digits, 30-second steps).
pub trait OneTimePasswords: Send + Sync {
    /// A fresh secret of 160 random bits, base32.
    fn new_secret(&self) -> String;

    /// # Errors
    /// `OtpError` for a secret that is not base32 or too short.
    fn provisioning(
        &self,
        secret: &str,
        issuer: &str,
        account: &str,
    ) -> Result<TotpProvisioning, OtpError>;

    /// The time step (seconds since the epoch / 30) at which `code` is right for `secret`,
    /// looking one step either side of `now` for clock drift; `None` when it is wrong.
    fn matching_step(&self, secret: &str, code: &str, now: DateTime<Utc>) -> Option<i64>;
}

/// A wake-up for live notification streams: a user got notifications, or, when signals may
/// have been missed (a lagging subscriber, a lost database connection), everyone should look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationSignal {
    User(aegis_domain::user::UserId),
    Everyone,
}

/// Who got new notifications, as their transactions commit: in this process, and from the
/// other instances where the database carries it (PostgreSQL `NOTIFY`).
pub trait NotificationSignals: Send + Sync {
    /// The signals from now on; the stream ends only when the process stops signalling.
    fn subscribe(&self) -> futures::stream::BoxStream<'static, NotificationSignal>;
}
