//! Webhook deliveries: the tenant is the one whose integration serves the payload's
//! repository and whose secret signs the body; each delivery id is taken once per tenant (a
//! replay or a redelivery is acknowledged and nothing else happens), except one whose diff
//! could not be fetched: recorded as failed, its redelivery is tried again. A pull request
//! opened, synchronized or reopened is fetched as a diff and submitted as a scan, in the same
//! transaction as its delivery and its check run.

use serde::Deserialize;

use aegis_domain::github::{
    CheckRun, CheckStage, DeliveryResult, GithubConfig, GithubDelivery, RepositoryName,
    scans_action, signature_matches,
};
use aegis_domain::ports::RepositoryError;
use aegis_domain::scan::{Scan, ScanId, ScanSource};

use super::{GithubError, GithubService, invalid};
use crate::context::{Actor, RequestContext};
use crate::ports::UnitOfWork;
use crate::scans::{ScanError, SubmissionRecord, SubmitScan};

/// The largest diff fetched, as the scans take.
const DIFF_LIMIT: usize = 5 * 1024 * 1024;
/// The longest delivery id kept (GitHub's are GUIDs).
const DELIVERY_ID_MAX: usize = 100;

/// A delivery as it arrived: the headers and the raw body (the signature covers its bytes).
#[derive(Debug, Clone, Default)]
pub struct WebhookDelivery {
    pub event: Option<String>,
    pub delivery_id: Option<String>,
    pub signature: Option<String>,
    pub body: Vec<u8>,
}

/// What a delivery did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// `ping`: the hook is set up.
    Pong,
    /// This delivery id was taken before: nothing happened.
    Duplicate,
    /// An event or action that is not scanned.
    Ignored,
    /// A scan was submitted.
    Scanned(ScanId),
}

#[derive(Deserialize)]
struct Payload {
    action: Option<String>,
    repository: Option<RepositoryPart>,
    pull_request: Option<PullRequestPart>,
    number: Option<u64>,
}

#[derive(Deserialize)]
struct RepositoryPart {
    full_name: String,
}

#[derive(Deserialize)]
struct PullRequestPart {
    number: u64,
    head: CommitPart,
    base: CommitPart,
}

#[derive(Deserialize)]
struct CommitPart {
    sha: String,
}

/// The delivery and its check run, written in the scan's transaction.
struct DeliveryRecord {
    delivery: GithubDelivery,
    repository: RepositoryName,
    head_sha: String,
    now: chrono::DateTime<chrono::Utc>,
}

#[async_trait::async_trait]
impl SubmissionRecord for DeliveryRecord {
    async fn record(&self, uow: &dyn UnitOfWork, scan: &Scan) -> Result<(), RepositoryError> {
        let delivery = GithubDelivery {
            scan_id: Some(scan.id),
            ..self.delivery.clone()
        };
        uow.record_github_delivery(scan.tenant_id, &delivery)
            .await?;
        let check = CheckRun {
            tenant_id: scan.tenant_id,
            scan_id: scan.id,
            repository: self.repository.clone(),
            head_sha: self.head_sha.clone(),
            github_id: None,
            stage: CheckStage::Pending,
            annotations_sent: 0,
            attempts: 0,
            retry_at: None,
            last_error: None,
            abandoned: false,
            updated_at: self.now,
        };
        uow.insert_check_run(scan.tenant_id, &check).await
    }
}

fn header(value: Option<&String>, name: &str) -> Result<String, GithubError> {
    match value.map(|v| v.trim()) {
        Some(v)
            if !v.is_empty() && v.len() <= DELIVERY_ID_MAX && !v.chars().any(char::is_control) =>
        {
            Ok(v.to_owned())
        }
        _ => Err(invalid(name, "is required (at most 100 characters)")),
    }
}

impl GithubService {
    /// Takes a webhook delivery (no user: the signature is the authentication).
    ///
    /// # Errors
    /// `BadSignature` when the signature is missing or no secret of an integration serving the
    /// repository made it; `UnknownRepository` when none serves it; `Invalid` for a body that
    /// is not GitHub's JSON or a missing header; `Upstream` when the diff cannot be fetched
    /// (the delivery is recorded as failed, and its redelivery tried again); `Scan` when the
    /// diff is refused.
    pub async fn receive(
        &self,
        delivery: WebhookDelivery,
        context: &RequestContext,
    ) -> Result<WebhookOutcome, GithubError> {
        let signature = delivery
            .signature
            .as_deref()
            .ok_or(GithubError::BadSignature)?;
        let payload: Payload = serde_json::from_slice(&delivery.body)
            .map_err(|e| invalid("body", format!("not a GitHub webhook payload: {e}")))?;
        let repository = match &payload.repository {
            Some(part) => Some(
                RepositoryName::parse(&part.full_name)
                    .map_err(|e| invalid("repository.full_name", e.to_string()))?,
            ),
            None => None,
        };
        let config = self
            .signed_by(repository.as_ref(), &delivery.body, signature)
            .await?;
        let event = header(delivery.event.as_ref(), "X-GitHub-Event")?;
        let delivery_id = header(delivery.delivery_id.as_ref(), "X-GitHub-Delivery")?;
        let tenant = config.tenant_id;
        if let Some(seen) = self
            .database
            .find_github_delivery(tenant, &delivery_id)
            .await?
            && seen.result != DeliveryResult::Failed
        {
            return Ok(WebhookOutcome::Duplicate);
        }
        let now = self.clock.now();
        let mut record = GithubDelivery {
            tenant_id: tenant,
            delivery_id,
            event: event.chars().take(100).collect(),
            action: payload
                .action
                .as_ref()
                .map(|a| a.chars().take(100).collect()),
            repository: repository.as_ref().map(RepositoryName::full_name),
            pull_request: payload
                .pull_request
                .as_ref()
                .map(|p| p.number)
                .or(payload.number),
            head_sha: payload
                .pull_request
                .as_ref()
                .map(|p| p.head.sha.chars().take(64).collect()),
            result: DeliveryResult::Ignored,
            scan_id: None,
            error: None,
            received_at: now,
        };
        let scanned =
            event == "pull_request" && payload.action.as_deref().is_some_and(scans_action);
        let (Some(repository), Some(pull), true) =
            (repository, payload.pull_request.as_ref(), scanned)
        else {
            let outcome = if event == "ping" {
                WebhookOutcome::Pong
            } else {
                WebhookOutcome::Ignored
            };
            self.record_alone(&record).await?;
            return Ok(outcome);
        };
        let target = self.target(&config).await?;
        let diff = match self
            .api
            .pull_request_diff(&target, &repository, pull.number, DIFF_LIMIT)
            .await
        {
            Ok(diff) => diff,
            Err(error) => {
                record.result = DeliveryResult::Failed;
                record.error = Some(error.to_string());
                self.record_alone(&record).await?;
                return Err(GithubError::Upstream(error));
            }
        };
        let actor = self.service_actor(&config).await?;
        let request = SubmitScan {
            diff,
            source: ScanSource {
                repository: Some(repository.full_name()),
                commit: Some(pull.head.sha.clone()),
                base: Some(pull.base.sha.clone()),
                pull_request: Some(pull.number.to_string()),
            },
        };
        record.result = DeliveryResult::Scanned;
        let writes = DeliveryRecord {
            delivery: record.clone(),
            repository,
            head_sha: pull.head.sha.chars().take(64).collect(),
            now,
        };
        match self
            .scans
            .submit_recorded(&actor, request, context, &writes)
            .await
        {
            Ok(submitted) => {
                self.kick.at(self.clock.now()).await;
                Ok(WebhookOutcome::Scanned(submitted.scan.id))
            }
            Err(ScanError::AlreadyRecorded) => Ok(WebhookOutcome::Duplicate),
            Err(error) => {
                // A diff the scans refuse is recorded, so the admin sees why.
                record.result = DeliveryResult::Failed;
                record.error = Some(match &error {
                    ScanError::Invalid(fields) => fields
                        .iter()
                        .map(|f| format!("{}: {}", f.field, f.message))
                        .collect::<Vec<_>>()
                        .join("; "),
                    other => other.to_string(),
                });
                self.record_alone(&record).await?;
                Err(GithubError::Scan(error))
            }
        }
    }

    /// The integration whose secret signed `body`, among those serving `repository` (all
    /// active ones for a delivery without a repository, such as an organization's ping).
    async fn signed_by(
        &self,
        repository: Option<&RepositoryName>,
        body: &[u8],
        signature: &str,
    ) -> Result<GithubConfig, GithubError> {
        let candidates: Vec<GithubConfig> = self
            .database
            .active_github_configs()
            .await?
            .into_iter()
            .filter(|c| repository.is_none_or(|r| c.serves(r)))
            .collect();
        if candidates.is_empty() {
            return Err(match repository {
                Some(name) => GithubError::UnknownRepository(name.full_name()),
                None => GithubError::BadSignature,
            });
        }
        candidates
            .into_iter()
            .find(|config| {
                self.cipher
                    .decrypt(&config.webhook_secret_sealed)
                    .is_ok_and(|secret| signature_matches(&secret, body, signature))
            })
            .ok_or(GithubError::BadSignature)
    }

    /// Records a delivery that made no scan, on its own.
    async fn record_alone(&self, delivery: &GithubDelivery) -> Result<(), GithubError> {
        let uow = self.database.begin().await?;
        match uow
            .record_github_delivery(delivery.tenant_id, delivery)
            .await
        {
            // Another request took this delivery meanwhile: it stands.
            Err(RepositoryError::Duplicate(_)) => return Ok(()),
            other => other?,
        }
        uow.commit().await?;
        Ok(())
    }

    /// The integration's service account, as it stands (an admin may have changed its role
    /// or deactivated it: then it cannot submit, and the delivery says so).
    async fn service_actor(&self, config: &GithubConfig) -> Result<Actor, GithubError> {
        let user = self
            .database
            .find_user(config.tenant_id, config.service_user)
            .await?
            .filter(|u| u.is_active)
            .ok_or_else(|| {
                invalid(
                    "service_user",
                    "the GitHub integration's service account is gone or inactive; save the \
                     configuration again",
                )
            })?;
        Ok(Actor {
            user_id: user.id,
            tenant_id: user.tenant_id,
            role: user.role,
            email: user.email,
            must_change_password: false,
            token: None,
            api_key: None,
        })
    }
}
