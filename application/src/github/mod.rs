//! GitHub: pull requests of the repositories a tenant's integration serves are scanned when
//! their code changes (`webhook`: the signed deliveries, each once), and each scan is reported
//! back as a check run (`checks`: the `github_checks` job); admins configure it (`config`).
//!
//! GitHub is called with no unit of work open (SQLite has one writer); what it answers is
//! written afterwards.

mod checks;
mod config;
mod webhook;

use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use aegis_domain::github::{Annotation, RepositoryName};
use aegis_domain::job::JobKind;
use aegis_domain::ports::RepositoryError;
use aegis_domain::webhook::{AllowList, TargetRefusal};

use crate::context::Forbidden;
use crate::data_sources::CredentialCipher;
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::jobs::JobService;
use crate::ports::{Clock, Database, IdGenerator};
use crate::scans::ScanService;

pub use checks::CheckReport;
pub use config::{GithubConfigChanges, GithubConfigSummary};
pub use webhook::{WebhookDelivery, WebhookOutcome};

/// Where and with which token GitHub is called.
#[derive(Clone, PartialEq, Eq)]
pub struct GithubTarget {
    /// `https://api.github.com`, or an Enterprise Server's `https://HOST/api/v3`.
    pub api_url: String,
    pub token: String,
    /// The tenant's allow-list of internal hosts (the webhooks' one).
    pub allow: AllowList,
}

// Written by hand so that the token never reaches a log through `{:?}`.
impl std::fmt::Debug for GithubTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubTarget")
            .field("api_url", &self.api_url)
            .finish_non_exhaustive()
    }
}

/// A check run to create (`POST /repos/{owner}/{repo}/check-runs`), queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCheckRun {
    pub name: String,
    pub head_sha: String,
    /// The scan id.
    pub external_id: String,
    pub details_url: Option<String>,
}

/// A check run's output: its title, a Markdown summary and up to 50 annotations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutput {
    pub title: String,
    pub summary: String,
    pub annotations: Vec<Annotation>,
}

/// What one `PATCH /repos/{owner}/{repo}/check-runs/{id}` changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckUpdate {
    /// `status: in_progress`.
    Started { at: DateTime<Utc> },
    /// More annotations while in progress (GitHub appends them).
    Annotate(CheckOutput),
    /// `status: completed` with its conclusion and output.
    Completed {
        conclusion: &'static str,
        at: DateTime<Utc>,
        output: CheckOutput,
    },
}

/// Why a GitHub call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GithubApiError {
    /// The configured address is not allowed (SSRF rules, at connection time).
    #[error("refused: {0}")]
    Refused(#[from] TargetRefusal),
    /// GitHub answered with an error: its status and its `message`.
    #[error("GitHub answered HTTP {status}: {message}")]
    Rejected { status: u16, message: String },
    /// No usable answer (connection, timeout, an answer that does not parse or is too large).
    #[error("GitHub could not be reached: {0}")]
    Unreachable(String),
}

/// The network side: GitHub's REST API, with the webhooks' SSRF rules applied at connection
/// time.
#[async_trait]
pub trait GithubApi: Send + Sync {
    /// Whether `url` may be called: http(s), and allowed by the SSRF rules.
    ///
    /// # Errors
    /// The `TargetRefusal` that says why not.
    async fn check_target(&self, url: &str, allow: &AllowList) -> Result<(), TargetRefusal>;

    /// `GET /repos/{owner}/{repo}/pulls/{number}` as `application/vnd.github.diff`: the pull
    /// request's unified diff, at most `limit` bytes.
    ///
    /// # Errors
    /// `GithubApiError`; `Rejected` with status 413 when the diff is larger than `limit`.
    async fn pull_request_diff(
        &self,
        target: &GithubTarget,
        repository: &RepositoryName,
        number: u64,
        limit: usize,
    ) -> Result<Vec<u8>, GithubApiError>;

    /// `POST /repos/{owner}/{repo}/check-runs`; returns GitHub's id of the check run.
    ///
    /// # Errors
    /// `GithubApiError`.
    async fn create_check_run(
        &self,
        target: &GithubTarget,
        repository: &RepositoryName,
        check: &NewCheckRun,
    ) -> Result<i64, GithubApiError>;

    /// `PATCH /repos/{owner}/{repo}/check-runs/{id}`.
    ///
    /// # Errors
    /// `GithubApiError`.
    async fn update_check_run(
        &self,
        target: &GithubTarget,
        repository: &RepositoryName,
        id: i64,
        update: &CheckUpdate,
    ) -> Result<(), GithubApiError>;
}

#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("invalid GitHub request")]
    Invalid(Vec<FieldError>),
    #[error("GitHub is not configured for this organization")]
    NotConfigured,
    /// No active integration serves the delivery's repository.
    #[error("no GitHub integration serves repository {0}")]
    UnknownRepository(String),
    /// The `X-Hub-Signature-256` is missing or no configured secret made it.
    #[error("the webhook signature is missing or does not match")]
    BadSignature,
    /// GitHub refused or could not be reached: the delivery is recorded as failed.
    #[error("{0}")]
    Upstream(GithubApiError),
    /// The scan could not be submitted (the diff does not read, or the service account may
    /// no longer submit scans).
    #[error("{0}")]
    Scan(crate::scans::ScanError),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for GithubError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl Classified for GithubError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::NotConfigured | Self::UnknownRepository(_) => ErrorKind::NotFound,
            Self::BadSignature => ErrorKind::Unauthenticated,
            Self::Upstream(_) => ErrorKind::Upstream,
            Self::Scan(error) => error.kind(),
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::NotConfigured => "GITHUB_NOT_CONFIGURED",
            Self::UnknownRepository(_) => "GITHUB_REPOSITORY_UNKNOWN",
            Self::BadSignature => "GITHUB_SIGNATURE_INVALID",
            Self::Upstream(GithubApiError::Rejected { .. }) => "GITHUB_REJECTED",
            Self::Upstream(_) => "GITHUB_UNREACHABLE",
            Self::Scan(error) => error.code(),
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

fn invalid(field: &str, message: impl Into<String>) -> GithubError {
    GithubError::Invalid(vec![FieldError::new(field, message)])
}

/// Queues the `github_checks` job; the job service is built after this one.
#[derive(Clone, Default)]
pub struct CheckKick {
    jobs: Arc<OnceLock<JobService>>,
    last: Arc<Mutex<i64>>,
}

impl CheckKick {
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
        if let Err(error) = jobs.queue_due(JobKind::GithubChecks, run_at).await {
            // The scheduled run reports it; nothing is lost.
            tracing::warn!(%error, "the github_checks job could not be queued");
        }
    }
}

/// Tells the check runs a scan moved: the scans' watcher.
struct ScanMoved {
    kick: CheckKick,
    clock: Arc<dyn Clock>,
}

#[async_trait]
impl crate::scans::ScanWatcher for ScanMoved {
    async fn changed(&self) {
        self.kick.at(self.clock.now()).await;
    }
}

/// The ports the GitHub service uses.
pub struct GithubPorts {
    pub database: Arc<dyn Database>,
    pub api: Arc<dyn GithubApi>,
    /// Seals the token and the webhook secret (the data-source credential cipher).
    pub cipher: Arc<dyn CredentialCipher>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    /// Where people open a scan (`{public_url}/scans/{id}`): the check run's details link.
    pub public_url: Option<String>,
}

#[derive(Clone)]
pub struct GithubService {
    database: Arc<dyn Database>,
    api: Arc<dyn GithubApi>,
    cipher: Arc<dyn CredentialCipher>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    public_url: Option<String>,
    scans: ScanService,
    kick: CheckKick,
}

impl GithubService {
    pub(crate) fn new(ports: GithubPorts, scans: ScanService, kick: CheckKick) -> Self {
        let service = Self {
            database: ports.database,
            api: ports.api,
            cipher: ports.cipher,
            clock: ports.clock,
            ids: ports.ids,
            public_url: ports
                .public_url
                .map(|url| url.trim_end_matches('/').to_owned()),
            scans,
            kick,
        };
        service.scans.watch().attach(Arc::new(ScanMoved {
            kick: service.kick.clone(),
            clock: service.clock.clone(),
        }));
        service
    }
}
