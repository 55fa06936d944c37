//! The wire types of [`crate::routes::github`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::github::{GithubConfigChanges, GithubConfigSummary, WebhookOutcome};
use aegis_domain::github::GithubDelivery;

/// The GitHub integration: never its token or webhook secret, only whether they are set.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GithubConfigView {
    pub configured: bool,
    /// `https://api.github.com`, or an Enterprise Server's `https://HOST/api/v3`.
    pub api_url: Option<String>,
    /// `owner/name`, lower-cased.
    pub repositories: Vec<String>,
    pub active: bool,
    /// The name of the check run on pull requests.
    pub check_name: Option<String>,
    pub token_set: bool,
    pub webhook_secret_set: bool,
    /// The service account scans from GitHub are submitted as.
    pub service_user: Option<Uuid>,
    /// Where to point the repository's webhook.
    pub webhook_path: String,
    pub updated_by: Option<Uuid>,
    pub updated_at: Option<DateTime<Utc>>,
}

pub const WEBHOOK_PATH: &str = "/api/v1/integrations/github/webhook";

impl From<Option<GithubConfigSummary>> for GithubConfigView {
    fn from(config: Option<GithubConfigSummary>) -> Self {
        match config {
            None => Self {
                configured: false,
                api_url: None,
                repositories: Vec::new(),
                active: false,
                check_name: None,
                token_set: false,
                webhook_secret_set: false,
                service_user: None,
                webhook_path: WEBHOOK_PATH.to_owned(),
                updated_by: None,
                updated_at: None,
            },
            Some(c) => Self {
                configured: true,
                api_url: Some(c.api_url),
                repositories: c.repositories,
                active: c.active,
                check_name: Some(c.check_name),
                token_set: c.token_set,
                webhook_secret_set: c.webhook_secret_set,
                service_user: Some(c.service_user),
                webhook_path: WEBHOOK_PATH.to_owned(),
                updated_by: Some(c.updated_by),
                updated_at: Some(c.updated_at),
            },
        }
    }
}

/// The GitHub integration as an admin saves it. The token or the secret left out keeps the
/// stored one; both are required the first time.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GithubConfigRequest {
    /// `https://api.github.com` when absent.
    #[schema(max_length = 2048)]
    pub api_url: Option<String>,
    /// A personal access token or an installation token with `checks:write`,
    /// `pull_requests:read` and `contents:read`. Write-only.
    #[schema(max_length = 4096, write_only)]
    pub token: Option<String>,
    /// The webhook's secret (at least 16 characters). Write-only.
    #[schema(min_length = 16, max_length = 4096, write_only)]
    pub webhook_secret: Option<String>,
    /// `owner/name` of each repository served.
    #[schema(min_items = 1, max_items = 200)]
    pub repositories: Vec<String>,
    /// `true` when absent.
    pub active: Option<bool>,
    /// `Aegis detection scan` when absent.
    #[schema(max_length = 100)]
    pub check_name: Option<String>,
}

// Written by hand so that the token and the secret never reach a log.
impl std::fmt::Debug for GithubConfigRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubConfigRequest")
            .field("api_url", &self.api_url)
            .field("repositories", &self.repositories)
            .finish_non_exhaustive()
    }
}

impl From<GithubConfigRequest> for GithubConfigChanges {
    fn from(body: GithubConfigRequest) -> Self {
        Self {
            api_url: body.api_url,
            token: body.token,
            webhook_secret: body.webhook_secret,
            repositories: body.repositories,
            active: body.active,
            check_name: body.check_name,
        }
    }
}

/// One webhook delivery GitHub made.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GithubDeliveryView {
    /// `X-GitHub-Delivery`.
    pub delivery_id: String,
    /// `X-GitHub-Event`: `pull_request`, `ping`, ...
    pub event: String,
    pub action: Option<String>,
    pub repository: Option<String>,
    pub pull_request: Option<u64>,
    pub head_sha: Option<String>,
    /// `scanned`, `ignored` or `failed` (a failed delivery, redelivered, is tried again).
    #[schema(value_type = crate::views::enums::GithubDeliveryResult)]
    pub result: String,
    pub scan_id: Option<Uuid>,
    pub error: Option<String>,
    pub received_at: DateTime<Utc>,
}

impl From<GithubDelivery> for GithubDeliveryView {
    fn from(d: GithubDelivery) -> Self {
        Self {
            delivery_id: d.delivery_id,
            event: d.event,
            action: d.action,
            repository: d.repository,
            pull_request: d.pull_request,
            head_sha: d.head_sha,
            result: d.result.as_str().to_owned(),
            scan_id: d.scan_id.map(|s| s.as_uuid()),
            error: d.error,
            received_at: d.received_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GithubDeliveryListView {
    pub items: Vec<GithubDeliveryView>,
}

/// How many deliveries to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GithubDeliveryQuery {
    /// 50 when absent; at most 200.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// What a webhook delivery did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GithubWebhookView {
    /// `pong`, `duplicate` (this delivery id was taken before: nothing happened), `ignored`,
    /// or `queued` (a scan was submitted: `scan_id`).
    #[schema(value_type = crate::views::enums::GithubWebhookStatus)]
    pub status: String,
    pub scan_id: Option<Uuid>,
}

impl From<&WebhookOutcome> for GithubWebhookView {
    fn from(outcome: &WebhookOutcome) -> Self {
        let (status, scan_id) = match outcome {
            WebhookOutcome::Pong => ("pong", None),
            WebhookOutcome::Duplicate => ("duplicate", None),
            WebhookOutcome::Ignored => ("ignored", None),
            WebhookOutcome::Scanned(id) => ("queued", Some(id.as_uuid())),
        };
        Self {
            status: status.to_owned(),
            scan_id,
        }
    }
}
