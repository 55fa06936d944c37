//! Webhooks: admins register HTTP endpoints for events; each event becomes a delivery per
//! matching active webhook, written in the event's own unit of work (the outbox), and a job
//! sends the deliveries after commit, signed as Standard Webhooks says, retrying with
//! exponential back-off until delivered or dead.
//!
//! Where a webhook may point is checked twice: when it is saved (a 422 naming `url`) and by
//! the transport at every connection, so a name that later resolves elsewhere (DNS
//! rebinding) is still refused.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use aegis_domain::job::JobKind;
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::Action;
use aegis_domain::ports::{DeliveryRecord, RepositoryError};
use aegis_domain::tenant::TenantId;
use aegis_domain::test_case::{TestCase, TransitionRecord};
use aegis_domain::user::UserId;
use aegis_domain::webhook::{
    AllowList, DeliveryAttempt, DeliveryId, DeliveryPolicy, DeliveryStatus, TargetRefusal, Webhook,
    WebhookDelivery, WebhookEvent, WebhookId, WebhookPreset,
};

use crate::audit_trail::{self, Change};
use crate::context::{Actor, Forbidden, RequestContext};
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::jobs::JobService;
use crate::ports::{Clock, Database, IdGenerator, SecretGenerator, UnitOfWork};

const NAME_MAX: usize = 120;
const URL_MAX: usize = 2048;
/// The Standard Webhooks secret prefix.
pub const SECRET_PREFIX: &str = "whsec_";
/// Deliveries one run sends per tenant before it queues the next run.
const BATCH: u64 = 100;
/// How long a claimed delivery is held for the worker sending it; a worker that dies
/// mid-send lets another retry after this.
const LEASE: chrono::Duration = chrono::Duration::seconds(120);

/// Seals webhook secrets at rest: the server's credential cipher (the one that seals
/// data-source credentials), behind a port of this room.
pub trait WebhookSecrets: Send + Sync {
    fn seal(&self, secret: &str) -> Vec<u8>;
    /// `None` when the sealed bytes cannot be opened with this server's key.
    fn unseal(&self, sealed: &[u8]) -> Option<String>;
}

/// One signed request to send.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingDelivery {
    pub url: String,
    pub allow: AllowList,
    /// `webhook-id`.
    pub message_id: String,
    /// `webhook-timestamp`, seconds since the epoch.
    pub timestamp: i64,
    pub body: String,
    /// The `whsec_` secret the signature is made with.
    pub secret: String,
}

// Written by hand so that the secret never reaches a log through `{:?}`.
impl std::fmt::Debug for OutgoingDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutgoingDelivery")
            .field("url", &self.url)
            .field("message_id", &self.message_id)
            .field("timestamp", &self.timestamp)
            .field("body_bytes", &self.body.len())
            .field("secret", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendOutcome {
    /// A 2xx answer.
    pub succeeded: bool,
    pub response_code: Option<u16>,
    pub duration_ms: u64,
    pub error: Option<String>,
}

/// The network side of webhooks, with the SSRF rules applied at connection time.
#[async_trait]
pub trait WebhookTransport: Send + Sync {
    /// Whether `url` may be used: an http(s) URL whose host is an allowed address or a name
    /// resolving to at least one allowed address.
    ///
    /// # Errors
    /// The `TargetRefusal` that says why not.
    async fn check_target(&self, url: &str, allow: &AllowList) -> Result<(), TargetRefusal>;

    /// Sends one delivery, signed; never follows redirects, reads at most a bounded part of
    /// the answer, and refuses any address the allow-list does not permit.
    async fn send(&self, delivery: OutgoingDelivery) -> SendOutcome;
}

/// Queues the delivery job. The job service is built after the services that record
/// events, so it is attached once everything exists.
#[derive(Clone, Default)]
pub struct DeliveryKick(Arc<OnceLock<JobService>>);

impl DeliveryKick {
    pub(crate) fn attach(&self, jobs: JobService) {
        // Attached once by `Services::new`; a second attach would be the same service.
        let _ = self.0.set(jobs);
    }

    /// Queues a run now.
    async fn now(&self) {
        let Some(jobs) = self.0.get() else {
            return;
        };
        if let Err(error) = jobs.queue_follow_up(JobKind::WebhookDelivery).await {
            // The scheduled run picks the deliveries up; nothing is lost.
            tracing::warn!(%error, "the webhook delivery job could not be queued");
        }
    }

    /// Queues a run for a retry due at `due`. The queue counts delays in whole seconds, so
    /// the run is asked for two seconds past the second `due` falls in: it can never start
    /// before `due`, find nothing due, and leave the retry to the safety-net schedule.
    async fn at(&self, due: DateTime<Utc>) {
        let Some(jobs) = self.0.get() else {
            return;
        };
        let Some(run_at) = DateTime::<Utc>::from_timestamp(due.timestamp() + 2, 0) else {
            return;
        };
        if let Err(error) = jobs.queue_due(JobKind::WebhookDelivery, run_at).await {
            tracing::warn!(%error, "the webhook retry could not be queued");
        }
    }
}

#[async_trait::async_trait]
impl crate::alerts::FiredAlerts for Outbox {
    async fn record(
        &self,
        uow: &dyn UnitOfWork,
        alert: &aegis_domain::alert::Alert,
    ) -> Result<usize, RepositoryError> {
        let data = serde_json::json!({
            "id": alert.id.as_uuid(),
            "rule_id": alert.rule_id.as_uuid(),
            "rule_type": alert.rule_type.as_str(),
            "severity": alert.severity.as_str(),
            "title": alert.title,
            "details": alert.details,
            "fired_at": alert.fired_at,
        });
        Outbox::record(self, uow, alert.tenant_id, WebhookEvent::AlertFired, data).await
    }

    async fn dispatch(&self) {
        Outbox::dispatch(self).await;
    }
}

/// Records events as deliveries and has them sent: the outbox side, used by every room
/// whose events webhooks hear about.
#[derive(Clone)]
pub struct Outbox {
    database: Arc<dyn Database>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    kick: DeliveryKick,
}

impl Outbox {
    pub(crate) fn new(
        database: Arc<dyn Database>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        kick: DeliveryKick,
    ) -> Self {
        Self {
            database,
            clock,
            ids,
            kick,
        }
    }

    /// Records `event` for every active webhook of the tenant that wants it, inside the
    /// caller's unit of work, so the deliveries commit (or roll back) with the event.
    /// Returns how many were recorded.
    ///
    /// # Errors
    /// `RepositoryError` from reading the webhooks or writing the deliveries.
    pub(crate) async fn record(
        &self,
        uow: &dyn UnitOfWork,
        tenant: TenantId,
        event: WebhookEvent,
        data: Value,
    ) -> Result<usize, RepositoryError> {
        record_event(
            self.clock.as_ref(),
            self.ids.as_ref(),
            uow,
            tenant,
            event,
            data,
        )
        .await
    }

    /// After a commit: queues the delivery job when a delivery is due now.
    pub(crate) async fn dispatch(&self) {
        match self.database.next_webhook_delivery_due().await {
            Ok(Some(due)) if due <= self.clock.now() => self.kick.now().await,
            Ok(_) => {}
            Err(error) => tracing::warn!(error = %error.chain(), "webhook outbox unreadable"),
        }
    }

    /// Records an event that belongs to no transaction of a tenant (a global import) for
    /// every tenant, each in its own unit of work, and has it sent.
    ///
    /// # Errors
    /// `RepositoryError` when the tenants cannot be read or a delivery cannot be written.
    pub(crate) async fn publish_to_every_tenant(
        &self,
        event: WebhookEvent,
        data: Value,
    ) -> Result<usize, RepositoryError> {
        let mut recorded = 0;
        for tenant in self.database.list_tenants().await? {
            recorded += self.publish(tenant.id, event, data.clone()).await?;
        }
        Ok(recorded)
    }

    /// Records an event for one tenant in its own unit of work, and has it sent.
    ///
    /// # Errors
    /// `RepositoryError` when a delivery cannot be written.
    pub(crate) async fn publish(
        &self,
        tenant: TenantId,
        event: WebhookEvent,
        data: Value,
    ) -> Result<usize, RepositoryError> {
        // Most tenants have no webhook: a read on the pool avoids a write transaction.
        if !self
            .database
            .list_webhooks(tenant)
            .await?
            .iter()
            .any(|hook| hook.wants(event))
        {
            return Ok(0);
        }
        let uow = self.database.begin().await?;
        let recorded = self.record(uow.as_ref(), tenant, event, data).await?;
        uow.commit().await?;
        if recorded > 0 {
            self.kick.now().await;
        }
        Ok(recorded)
    }
}

/// The Standard Webhooks payload: `type`, `timestamp`, `data`.
fn payload(event: WebhookEvent, at: DateTime<Utc>, data: Value) -> String {
    json!({
        "type": event.as_str(),
        "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": data,
    })
    .to_string()
}

async fn record_event(
    clock: &dyn Clock,
    ids: &dyn IdGenerator,
    uow: &dyn UnitOfWork,
    tenant: TenantId,
    event: WebhookEvent,
    data: Value,
) -> Result<usize, RepositoryError> {
    let hooks: Vec<Webhook> = uow
        .list_webhooks(tenant)
        .await?
        .into_iter()
        .filter(|hook| hook.wants(event))
        .collect();
    if hooks.is_empty() {
        return Ok(0);
    }
    let now = clock.now();
    let body = payload(event, now, data);
    let deliveries: Vec<WebhookDelivery> = hooks
        .iter()
        .map(|hook| {
            let id = ids.new_id();
            WebhookDelivery::pending(
                DeliveryId::from_uuid(id),
                hook,
                message_id(id),
                event,
                body.clone(),
                now,
            )
        })
        .collect();
    uow.insert_webhook_deliveries(tenant, &deliveries).await?;
    Ok(deliveries.len())
}

fn message_id(id: Uuid) -> String {
    format!("msg_{}", id.simple())
}

/// The event data of a test, as webhooks carry it.
pub(crate) fn test_data(test: &TestCase) -> Value {
    json!({
        "test_id": test.id,
        "title": test.title,
        "technique_id": test.technique_id.as_str(),
        "state": test.workflow().state().as_str(),
        "campaign_id": test.campaign_id,
        "outcome": test.blue.outcome.map(|o| o.as_str()),
    })
}

/// Test workflow events for webhooks: the follow-up `test_cases` calls on every step, in
/// the step's unit of work.
pub(crate) struct WebhooksOnValidation {
    outbox: Outbox,
}

impl WebhooksOnValidation {
    pub(crate) fn new(outbox: Outbox) -> Self {
        Self { outbox }
    }
}

#[async_trait]
impl crate::test_cases::ValidationFollowUp for WebhooksOnValidation {
    async fn on_validated(
        &self,
        uow: &dyn UnitOfWork,
        _context: &RequestContext,
        actor: UserId,
        test: &TestCase,
        _threat: &crate::coverage::ThreatByTechnique,
    ) -> Result<(), RepositoryError> {
        let mut data = test_data(test);
        data["validated_by"] = json!(actor);
        self.outbox
            .record(uow, test.tenant_id, WebhookEvent::TestValidated, data)
            .await?;
        Ok(())
    }

    async fn on_transition(
        &self,
        uow: &dyn UnitOfWork,
        test: &TestCase,
        step: &TransitionRecord,
    ) -> Result<(), RepositoryError> {
        let mut data = test_data(test);
        data["action"] = json!(step.action);
        data["from"] = json!(step.from);
        data["to"] = json!(step.to);
        data["actor_id"] = json!(step.actor);
        self.outbox
            .record(uow, test.tenant_id, WebhookEvent::TestTransitioned, data)
            .await?;
        Ok(())
    }

    async fn after_commit(&self) {
        self.outbox.dispatch().await;
    }
}

/// The body a preset sends for a stored Standard Webhooks payload.
pub fn render(preset: WebhookPreset, event: WebhookEvent, payload: &str) -> String {
    if preset == WebhookPreset::Generic {
        return payload.to_owned();
    }
    let data = serde_json::from_str::<Value>(payload)
        .ok()
        .and_then(|v| v.get("data").cloned())
        .unwrap_or(Value::Null);
    let facts: Vec<(String, String)> = match &data {
        Value::Object(fields) => fields
            .iter()
            .filter_map(|(key, value)| {
                let text = match value {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => return None,
                };
                Some((key.replace('_', " "), text))
            })
            .collect(),
        _ => Vec::new(),
    };
    let headline = format!("Aegis: {} ({})", event.headline(), event.as_str());
    match preset {
        WebhookPreset::Slack => {
            let lines: Vec<String> = facts.iter().map(|(k, v)| format!("*{k}*: {v}")).collect();
            json!({
                "text": headline,
                "blocks": [
                    {"type": "header", "text": {"type": "plain_text", "text": headline}},
                    {"type": "section", "text": {"type": "mrkdwn",
                        "text": if lines.is_empty() { "-".to_owned() } else { lines.join("\n") }}},
                ],
            })
            .to_string()
        }
        // Microsoft Teams' incoming webhooks (Workflows) take a message with an Adaptive Card.
        _ => json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": null,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {"type": "TextBlock", "text": headline, "weight": "Bolder",
                         "size": "Medium", "wrap": true},
                        {"type": "FactSet", "facts": facts.iter()
                            .map(|(k, v)| json!({"title": k, "value": v}))
                            .collect::<Vec<_>>()},
                    ],
                },
            }],
        })
        .to_string(),
    }
}

/// A webhook as it is shown: never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSummary {
    pub id: Uuid,
    pub name: String,
    pub url: String,
    pub events: Vec<String>,
    pub preset: &'static str,
    pub active: bool,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl WebhookSummary {
    fn of(hook: &Webhook) -> Self {
        Self {
            id: hook.id.as_uuid(),
            name: hook.name.clone(),
            url: hook.url.clone(),
            events: hook.events.iter().map(|e| e.as_str().to_owned()).collect(),
            preset: hook.preset.as_str(),
            active: hook.active,
            created_by: hook.created_by.as_uuid(),
            created_at: hook.created_at,
            updated_at: hook.updated_at,
        }
    }
}

/// A webhook and, when it was just made or changed, its secret (shown this once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookWithSecret {
    pub webhook: WebhookSummary,
    pub secret: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewWebhook {
    pub name: String,
    pub url: String,
    pub events: Vec<String>,
    /// `generic` when absent.
    pub preset: Option<String>,
    /// Active when absent.
    pub active: Option<bool>,
    /// A `whsec_` secret to use; one is generated when absent.
    pub secret: Option<String>,
}

/// Changes to a webhook; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookChanges {
    pub name: Option<String>,
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub preset: Option<String>,
    pub active: Option<bool>,
    /// A new `whsec_` secret.
    pub secret: Option<String>,
    /// Generate a new secret (shown in the answer).
    pub rotate_secret: bool,
}

/// What a delivery job run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryCounts {
    pub delivered: u64,
    pub retrying: u64,
    pub dead: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("invalid webhook data")]
    Invalid(Vec<FieldError>),
    #[error("webhook not found")]
    NotFound,
    #[error("webhook delivery not found")]
    DeliveryNotFound,
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for WebhookError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::NotFound(aegis_domain::ports::Entity::WebhookDelivery) => {
                Self::DeliveryNotFound
            }
            RepositoryError::NotFound(_) => Self::NotFound,
            other => Self::Unexpected(unexpected(&other)),
        }
    }
}

impl Classified for WebhookError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::NotFound | Self::DeliveryNotFound => ErrorKind::NotFound,
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::NotFound => "WEBHOOK_NOT_FOUND",
            Self::DeliveryNotFound => "WEBHOOK_DELIVERY_NOT_FOUND",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

/// The ports the webhook service uses.
pub struct WebhookPorts {
    pub database: Arc<dyn Database>,
    pub cipher: Arc<dyn WebhookSecrets>,
    pub transport: Arc<dyn WebhookTransport>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub secrets: Arc<dyn SecretGenerator>,
}

#[derive(Clone)]
pub struct WebhookService {
    database: Arc<dyn Database>,
    cipher: Arc<dyn WebhookSecrets>,
    transport: Arc<dyn WebhookTransport>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    secrets: Arc<dyn SecretGenerator>,
    kick: DeliveryKick,
    policy: DeliveryPolicy,
}

impl WebhookService {
    pub(crate) fn new(ports: WebhookPorts, kick: DeliveryKick, policy: DeliveryPolicy) -> Self {
        Self {
            database: ports.database,
            cipher: ports.cipher,
            transport: ports.transport,
            clock: ports.clock,
            ids: ports.ids,
            secrets: ports.secrets,
            kick,
            policy,
        }
    }

    /// # Errors
    /// `Forbidden` unless an admin.
    pub async fn list(&self, actor: &Actor) -> Result<Vec<WebhookSummary>, WebhookError> {
        actor.authorize(Action::ManageSystem)?;
        Ok(self
            .database
            .list_webhooks(actor.tenant_id)
            .await?
            .iter()
            .map(WebhookSummary::of)
            .collect())
    }

    /// # Errors
    /// `Forbidden` unless an admin; `NotFound`.
    pub async fn get(&self, actor: &Actor, id: Uuid) -> Result<WebhookSummary, WebhookError> {
        actor.authorize(Action::ManageSystem)?;
        let hook = self.find(actor.tenant_id, id).await?;
        Ok(WebhookSummary::of(&hook))
    }

    /// Registers a webhook and returns its secret, which is not shown again.
    ///
    /// # Errors
    /// `Forbidden` unless an admin; `Invalid` naming the fields at fault (a refused `url`
    /// says why).
    pub async fn create(
        &self,
        actor: &Actor,
        request: NewWebhook,
        context: &RequestContext,
    ) -> Result<WebhookWithSecret, WebhookError> {
        actor.authorize(Action::ManageSystem)?;
        let mut fields = Vec::new();
        let name = check_name(&request.name, &mut fields);
        let events = check_events(&request.events, &mut fields);
        let preset = check_preset(request.preset.as_deref(), &mut fields);
        let secret = match request.secret.as_deref() {
            Some(given) => check_secret(given, &mut fields),
            None => Some(self.new_secret()),
        };
        let url = self
            .check_url(actor.tenant_id, &request.url, &mut fields)
            .await?;
        let (Some(name), Some(events), Some(preset), Some(secret), Some(url), true) =
            (name, events, preset, secret, url, fields.is_empty())
        else {
            fields.sort_by(|a, b| a.field.cmp(&b.field));
            return Err(WebhookError::Invalid(fields));
        };
        let now = self.clock.now();
        let hook = Webhook {
            id: WebhookId::from_uuid(self.ids.new_id()),
            tenant_id: actor.tenant_id,
            name,
            url,
            events,
            preset,
            active: request.active.unwrap_or(true),
            secret_sealed: self.cipher.seal(&secret),
            created_by: actor.user_id,
            created_at: now,
            updated_at: now,
        };
        let uow = self.database.begin().await?;
        uow.insert_webhook(actor.tenant_id, &hook).await?;
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "webhook.created",
            hook.id.to_string(),
            describe(&hook),
        )
        .await?;
        uow.commit().await?;
        Ok(WebhookWithSecret {
            webhook: WebhookSummary::of(&hook),
            secret: Some(secret),
        })
    }

    /// Changes a webhook; a new or rotated secret is in the answer this once.
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`, `Invalid`.
    pub async fn update(
        &self,
        actor: &Actor,
        id: Uuid,
        changes: WebhookChanges,
        context: &RequestContext,
    ) -> Result<WebhookWithSecret, WebhookError> {
        actor.authorize(Action::ManageSystem)?;
        let mut fields = Vec::new();
        let name = changes.name.as_deref().map(|n| check_name(n, &mut fields));
        let events = changes
            .events
            .as_deref()
            .map(|e| check_events(e, &mut fields));
        let preset = changes
            .preset
            .as_deref()
            .map(|p| check_preset(Some(p), &mut fields));
        let given = changes
            .secret
            .as_deref()
            .map(|s| check_secret(s, &mut fields));
        if changes.rotate_secret && changes.secret.is_some() {
            fields.push(FieldError::new(
                "rotate_secret",
                "give either a secret or rotate_secret, not both",
            ));
        }
        let url = match changes.url.as_deref() {
            Some(url) => Some(self.check_url(actor.tenant_id, url, &mut fields).await?),
            None => None,
        };
        if !fields.is_empty() {
            fields.sort_by(|a, b| a.field.cmp(&b.field));
            return Err(WebhookError::Invalid(fields));
        }
        let secret = match given {
            Some(given) => given,
            None if changes.rotate_secret => Some(self.new_secret()),
            None => None,
        };
        let uow = self.database.begin().await?;
        let mut hook = uow
            .find_webhook(actor.tenant_id, WebhookId::from_uuid(id))
            .await?
            .ok_or(WebhookError::NotFound)?;
        if let Some(Some(name)) = name {
            hook.name = name;
        }
        if let Some(Some(events)) = events {
            hook.events = events;
        }
        if let Some(Some(preset)) = preset {
            hook.preset = preset;
        }
        if let Some(Some(url)) = url {
            hook.url = url;
        }
        if let Some(active) = changes.active {
            hook.active = active;
        }
        if let Some(secret) = &secret {
            hook.secret_sealed = self.cipher.seal(secret);
        }
        hook.updated_at = self.clock.now();
        uow.update_webhook(actor.tenant_id, &hook).await?;
        let mut details = describe(&hook);
        details["secret_changed"] = json!(secret.is_some());
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "webhook.updated",
            hook.id.to_string(),
            details,
        )
        .await?;
        uow.commit().await?;
        Ok(WebhookWithSecret {
            webhook: WebhookSummary::of(&hook),
            secret,
        })
    }

    /// Deletes a webhook and its delivery log.
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`.
    pub async fn delete(
        &self,
        actor: &Actor,
        id: Uuid,
        context: &RequestContext,
    ) -> Result<(), WebhookError> {
        actor.authorize(Action::ManageSystem)?;
        let uow = self.database.begin().await?;
        let hook = uow
            .find_webhook(actor.tenant_id, WebhookId::from_uuid(id))
            .await?
            .ok_or(WebhookError::NotFound)?;
        uow.delete_webhook(actor.tenant_id, hook.id).await?;
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "webhook.deleted",
            hook.id.to_string(),
            json!({ "name": hook.name, "url": hook.url }),
        )
        .await?;
        uow.commit().await?;
        Ok(())
    }

    /// The tenant's allow-list of internal hosts and ranges.
    ///
    /// # Errors
    /// `Forbidden` unless an admin.
    pub async fn allow_list(&self, actor: &Actor) -> Result<Vec<String>, WebhookError> {
        actor.authorize(Action::ManageSystem)?;
        Ok(self
            .database
            .webhook_allow_list(actor.tenant_id)
            .await?
            .to_texts())
    }

    /// Replaces the allow-list.
    ///
    /// # Errors
    /// `Forbidden`; `Invalid` naming `entries` and the entry that does not parse.
    pub async fn set_allow_list(
        &self,
        actor: &Actor,
        entries: &[String],
        context: &RequestContext,
    ) -> Result<Vec<String>, WebhookError> {
        actor.authorize(Action::ManageSystem)?;
        if entries.len() > 200 {
            return Err(WebhookError::Invalid(vec![FieldError::new(
                "entries",
                "at most 200 entries",
            )]));
        }
        let list = AllowList::parse(entries.iter().map(String::as_str))
            .map_err(|e| WebhookError::Invalid(vec![FieldError::new("entries", e.to_string())]))?;
        let uow = self.database.begin().await?;
        uow.set_webhook_allow_list(actor.tenant_id, &list, self.clock.now())
            .await?;
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "webhook.allow_list_changed",
            actor.tenant_id.to_string(),
            json!({ "entries": list.to_texts() }),
        )
        .await?;
        uow.commit().await?;
        Ok(list.to_texts())
    }

    /// A webhook's deliveries, newest first, each with its attempts.
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`.
    pub async fn deliveries(
        &self,
        actor: &Actor,
        id: Uuid,
        page: PageRequest,
    ) -> Result<Page<DeliveryRecord>, WebhookError> {
        actor.authorize(Action::ManageSystem)?;
        let hook = self.find(actor.tenant_id, id).await?;
        Ok(self
            .database
            .list_webhook_deliveries(actor.tenant_id, hook.id, page)
            .await?)
    }

    /// Sends a delivery again as a new delivery with the same `webhook-id`, so a receiver
    /// that already has it can tell.
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`, `DeliveryNotFound`.
    pub async fn redeliver(
        &self,
        actor: &Actor,
        id: Uuid,
        delivery: Uuid,
        context: &RequestContext,
    ) -> Result<WebhookDelivery, WebhookError> {
        actor.authorize(Action::ManageSystem)?;
        let uow = self.database.begin().await?;
        let hook = uow
            .find_webhook(actor.tenant_id, WebhookId::from_uuid(id))
            .await?
            .ok_or(WebhookError::NotFound)?;
        let original = uow
            .find_webhook_delivery(actor.tenant_id, DeliveryId::from_uuid(delivery))
            .await?
            .filter(|d| d.webhook_id == hook.id)
            .ok_or(WebhookError::DeliveryNotFound)?;
        let copy = WebhookDelivery::pending(
            DeliveryId::from_uuid(self.ids.new_id()),
            &hook,
            original.message_id.clone(),
            original.event,
            original.payload.clone(),
            self.clock.now(),
        );
        uow.insert_webhook_deliveries(actor.tenant_id, std::slice::from_ref(&copy))
            .await?;
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "webhook.redelivered",
            hook.id.to_string(),
            json!({ "delivery_id": original.id, "redelivery_id": copy.id }),
        )
        .await?;
        uow.commit().await?;
        self.kick.now().await;
        Ok(copy)
    }

    /// Sends a `webhook.ping` to the webhook now, whatever its events.
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`.
    pub async fn ping(
        &self,
        actor: &Actor,
        id: Uuid,
        context: &RequestContext,
    ) -> Result<WebhookDelivery, WebhookError> {
        actor.authorize(Action::ManageSystem)?;
        let uow = self.database.begin().await?;
        let hook = uow
            .find_webhook(actor.tenant_id, WebhookId::from_uuid(id))
            .await?
            .ok_or(WebhookError::NotFound)?;
        let now = self.clock.now();
        let delivery_id = self.ids.new_id();
        let delivery = WebhookDelivery::pending(
            DeliveryId::from_uuid(delivery_id),
            &hook,
            message_id(delivery_id),
            WebhookEvent::Ping,
            payload(
                WebhookEvent::Ping,
                now,
                json!({ "webhook_id": hook.id, "name": hook.name, "requested_by": actor.user_id }),
            ),
            now,
        );
        uow.insert_webhook_deliveries(actor.tenant_id, std::slice::from_ref(&delivery))
            .await?;
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "webhook.tested",
            hook.id.to_string(),
            json!({ "delivery_id": delivery.id }),
        )
        .await?;
        uow.commit().await?;
        self.kick.now().await;
        Ok(delivery)
    }

    /// Sends every due delivery of every tenant (the delivery job), then queues the next run
    /// for the earliest retry. No unit of work is open while a request is in flight.
    ///
    /// # Errors
    /// `Unexpected` when the outbox cannot be read or an attempt cannot be recorded.
    pub async fn deliver_due(&self) -> Result<DeliveryCounts, WebhookError> {
        let mut counts = DeliveryCounts::default();
        let mut more = false;
        for tenant in self.database.list_tenants().await? {
            let now = self.clock.now();
            let due = self
                .database
                .due_webhook_deliveries(tenant.id, now, BATCH)
                .await?;
            if due.is_empty() {
                continue;
            }
            more |= due.len() as u64 == BATCH;
            let hooks: HashMap<WebhookId, Webhook> = self
                .database
                .list_webhooks(tenant.id)
                .await?
                .into_iter()
                .map(|hook| (hook.id, hook))
                .collect();
            let allow = self.database.webhook_allow_list(tenant.id).await?;
            for delivery in due {
                let Some(hook) = hooks.get(&delivery.webhook_id) else {
                    continue;
                };
                match self.attempt(tenant.id, hook, &allow, delivery).await? {
                    Some(DeliveryStatus::Delivered) => counts.delivered += 1,
                    Some(DeliveryStatus::Dead) => counts.dead += 1,
                    Some(_) => counts.retrying += 1,
                    None => {}
                }
            }
        }
        // Whatever still waits (a retry, or a delivery another run holds) gets a run at its
        // time; runs asked for the same second are one run.
        if more {
            self.kick.now().await;
        } else if let Some(next) = self.database.next_webhook_delivery_due().await? {
            self.kick.at(next).await;
        }
        Ok(counts)
    }

    /// One attempt of one delivery, if this worker claims it; returns its new status.
    async fn attempt(
        &self,
        tenant: TenantId,
        hook: &Webhook,
        allow: &AllowList,
        mut delivery: WebhookDelivery,
    ) -> Result<Option<DeliveryStatus>, WebhookError> {
        let started = self.clock.now();
        if !self
            .database
            .claim_webhook_delivery(tenant, delivery.id, delivery.attempts, started + LEASE)
            .await?
        {
            return Ok(None);
        }
        delivery.attempts += 1;
        let outcome = if !hook.active && delivery.event != WebhookEvent::Ping {
            SendOutcome {
                succeeded: false,
                response_code: None,
                duration_ms: 0,
                error: Some("the webhook is inactive".to_owned()),
            }
        } else {
            match self.cipher.unseal(&hook.secret_sealed) {
                Some(secret) => {
                    self.transport
                        .send(OutgoingDelivery {
                            url: hook.url.clone(),
                            allow: allow.clone(),
                            message_id: delivery.message_id.clone(),
                            timestamp: started.timestamp(),
                            body: render(hook.preset, delivery.event, &delivery.payload),
                            secret,
                        })
                        .await
                }
                None => SendOutcome {
                    succeeded: false,
                    response_code: None,
                    duration_ms: 0,
                    error: Some(
                        "the webhook's secret cannot be read with this server's key; set it again"
                            .to_owned(),
                    ),
                },
            }
        };
        let logged = DeliveryAttempt {
            id: self.ids.new_id(),
            delivery_id: delivery.id,
            attempt: delivery.attempts,
            attempted_at: started,
            duration_ms: outcome.duration_ms,
            succeeded: outcome.succeeded,
            response_code: outcome.response_code,
            error: outcome.error,
        };
        if hook.active || delivery.event == WebhookEvent::Ping {
            delivery.record_attempt(&logged, &self.policy);
        } else {
            // Deliveries of a deactivated webhook are not retried.
            delivery.record_attempt(
                &logged,
                &DeliveryPolicy {
                    max_attempts: 0,
                    ..self.policy
                },
            );
        }
        let uow = self.database.begin().await?;
        match uow.record_webhook_attempt(tenant, &delivery, &logged).await {
            // The webhook was deleted while the request was in flight.
            Err(RepositoryError::NotFound(_)) => return Ok(None),
            other => other?,
        }
        uow.commit().await?;
        Ok(Some(delivery.status))
    }

    async fn find(&self, tenant: TenantId, id: Uuid) -> Result<Webhook, WebhookError> {
        self.database
            .find_webhook(tenant, WebhookId::from_uuid(id))
            .await?
            .ok_or(WebhookError::NotFound)
    }

    /// `whsec_` and the base64 of 32 random bytes (the hash of a fresh 256-bit token, so the
    /// length does not depend on the generator's alphabet).
    fn new_secret(&self) -> String {
        let key = Sha256::digest(self.secrets.token().as_bytes());
        format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
    }

    /// The URL, trimmed, if it is well-formed and its target allowed; resolving the name
    /// happens here, outside any unit of work.
    async fn check_url(
        &self,
        tenant: TenantId,
        url: &str,
        fields: &mut Vec<FieldError>,
    ) -> Result<Option<String>, WebhookError> {
        let url = url.trim();
        if url.is_empty() || url.len() > URL_MAX {
            fields.push(FieldError::new(
                "url",
                format!("must be 1 to {URL_MAX} characters"),
            ));
            return Ok(None);
        }
        let allow = self.database.webhook_allow_list(tenant).await?;
        match self.transport.check_target(url, &allow).await {
            Ok(()) => Ok(Some(url.to_owned())),
            Err(refusal) => {
                fields.push(FieldError::new("url", refusal.to_string()));
                Ok(None)
            }
        }
    }

    async fn audit(
        &self,
        uow: &dyn UnitOfWork,
        actor: &Actor,
        context: &RequestContext,
        action: &str,
        entity_id: String,
        details: Value,
    ) -> Result<(), RepositoryError> {
        let change = Change {
            tenant: actor.tenant_id,
            actor: Some(actor.user_id),
            action,
            entity_type: "webhook",
            entity_id: Some(entity_id),
            details,
        };
        audit_trail::record(self.clock.as_ref(), self.ids.as_ref(), uow, context, change).await
    }
}

fn describe(hook: &Webhook) -> Value {
    json!({
        "name": hook.name,
        "url": hook.url,
        "events": hook.events_text(),
        "preset": hook.preset.as_str(),
        "active": hook.active,
    })
}

fn check_name(name: &str, fields: &mut Vec<FieldError>) -> Option<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        fields.push(FieldError::new(
            "name",
            format!("must be 1 to {NAME_MAX} characters"),
        ));
        return None;
    }
    Some(name.to_owned())
}

fn check_events(events: &[String], fields: &mut Vec<FieldError>) -> Option<BTreeSet<WebhookEvent>> {
    match events
        .iter()
        .map(|e| WebhookEvent::parse_subscribable(e))
        .collect::<Result<BTreeSet<_>, _>>()
    {
        Ok(set) if set.is_empty() => {
            fields.push(FieldError::new("events", "at least one event is required"));
            None
        }
        Ok(set) => Some(set),
        Err(unknown) => {
            fields.push(FieldError::new("events", unknown.to_string()));
            None
        }
    }
}

fn check_preset(preset: Option<&str>, fields: &mut Vec<FieldError>) -> Option<WebhookPreset> {
    match preset {
        None => Some(WebhookPreset::Generic),
        Some(text) => {
            let parsed = WebhookPreset::parse(text);
            if parsed.is_none() {
                fields.push(FieldError::new("preset", "must be generic, slack or teams"));
            }
            parsed
        }
    }
}

/// A given secret must be a Standard Webhooks secret: `whsec_` and base64 of 24 to 64 bytes.
fn check_secret(secret: &str, fields: &mut Vec<FieldError>) -> Option<String> {
    let key = secret
        .strip_prefix(SECRET_PREFIX)
        .and_then(|b64| STANDARD.decode(b64).ok());
    match key {
        Some(key) if (24..=64).contains(&key.len()) => Some(secret.to_owned()),
        _ => {
            fields.push(FieldError::new(
                "secret",
                "must be `whsec_` followed by the base64 of 24 to 64 random bytes",
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_reshape_the_payload_for_chat() {
        let payload = payload(
            WebhookEvent::FindingOpened,
            DateTime::<Utc>::UNIX_EPOCH,
            json!({"title": "T1059 missed", "severity": "high", "nested": {"x": 1}}),
        );
        assert_eq!(
            render(
                WebhookPreset::Generic,
                WebhookEvent::FindingOpened,
                &payload
            ),
            payload
        );
        let slack: Value = serde_json::from_str(&render(
            WebhookPreset::Slack,
            WebhookEvent::FindingOpened,
            &payload,
        ))
        .unwrap_or_default();
        assert!(
            slack["text"]
                .as_str()
                .unwrap_or("")
                .contains("finding.opened")
        );
        assert!(
            slack["blocks"][1]["text"]["text"]
                .as_str()
                .unwrap_or("")
                .contains("*severity*: high")
        );
        let teams: Value = serde_json::from_str(&render(
            WebhookPreset::Teams,
            WebhookEvent::FindingOpened,
            &payload,
        ))
        .unwrap_or_default();
        assert_eq!(teams["type"], "message");
        let card = &teams["attachments"][0]["content"];
        assert_eq!(card["type"], "AdaptiveCard");
        assert_eq!(card["body"][1]["facts"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn given_secrets_must_be_standard_webhooks_secrets() {
        let mut fields = Vec::new();
        assert!(check_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &mut fields).is_some());
        assert!(check_secret("whsec_c2hvcnQ=", &mut fields).is_none());
        assert!(check_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &mut fields).is_none());
        assert_eq!(fields.len(), 2);
    }
}
