//! Webhooks, the tenant's allow-list of internal targets, and the delivery outbox with its
//! attempt log.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::RepositoryError;
use crate::page::{Page, PageRequest};
use crate::tenant::TenantId;
use crate::webhook::{AllowList, DeliveryAttempt, DeliveryId, Webhook, WebhookDelivery, WebhookId};

/// A delivery with the log of its attempts, oldest attempt first.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRecord {
    pub delivery: WebhookDelivery,
    pub attempts: Vec<DeliveryAttempt>,
}

#[async_trait]
pub trait WebhookRepository: Send + Sync {
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_webhook(
        &self,
        tenant: TenantId,
        webhook: &Webhook,
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_webhook(
        &self,
        tenant: TenantId,
        id: WebhookId,
    ) -> Result<Option<Webhook>, RepositoryError>;

    /// The tenant's webhooks, oldest first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_webhooks(&self, tenant: TenantId) -> Result<Vec<Webhook>, RepositoryError>;

    /// Stores the name, URL, events, preset, activity, secret and `updated_at`.
    ///
    /// # Errors
    /// `NotFound(Entity::Webhook)` when the webhook is not in the tenant.
    async fn update_webhook(
        &self,
        tenant: TenantId,
        webhook: &Webhook,
    ) -> Result<(), RepositoryError>;

    /// Deletes the webhook and its deliveries.
    ///
    /// # Errors
    /// `NotFound(Entity::Webhook)` when the webhook is not in the tenant.
    async fn delete_webhook(&self, tenant: TenantId, id: WebhookId) -> Result<(), RepositoryError>;

    /// The tenant's allow-list (empty when never set).
    ///
    /// # Errors
    /// `Unexpected` on storage failure or a stored entry that no longer parses.
    async fn webhook_allow_list(&self, tenant: TenantId) -> Result<AllowList, RepositoryError>;

    /// Replaces the tenant's allow-list.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn set_webhook_allow_list(
        &self,
        tenant: TenantId,
        list: &AllowList,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;

    /// Records deliveries waiting for their first attempt (the outbox).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn insert_webhook_deliveries(
        &self,
        tenant: TenantId,
        deliveries: &[WebhookDelivery],
    ) -> Result<(), RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_webhook_delivery(
        &self,
        tenant: TenantId,
        id: DeliveryId,
    ) -> Result<Option<WebhookDelivery>, RepositoryError>;

    /// A webhook's deliveries, newest first, each with its attempts.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_webhook_deliveries(
        &self,
        tenant: TenantId,
        webhook: WebhookId,
        page: PageRequest,
    ) -> Result<Page<DeliveryRecord>, RepositoryError>;

    /// Deliveries waiting for an attempt that is due at `now`, oldest due first.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn due_webhook_deliveries(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<WebhookDelivery>, RepositoryError>;

    /// The earliest time a waiting delivery of any tenant is due, for scheduling the next run.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn next_webhook_delivery_due(&self) -> Result<Option<DateTime<Utc>>, RepositoryError>;

    /// Takes a delivery for one attempt: when it still waits with `expected_attempts` attempts,
    /// counts the attempt and holds it until `lease_until`, so that no other worker sends it
    /// meanwhile. Returns whether this caller got it.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn claim_webhook_delivery(
        &self,
        tenant: TenantId,
        id: DeliveryId,
        expected_attempts: u32,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, RepositoryError>;

    /// Logs an attempt and stores the delivery's new status, next attempt and last outcome.
    ///
    /// # Errors
    /// `NotFound(Entity::WebhookDelivery)` when the delivery is gone (its webhook deleted).
    async fn record_webhook_attempt(
        &self,
        tenant: TenantId,
        delivery: &WebhookDelivery,
        attempt: &DeliveryAttempt,
    ) -> Result<(), RepositoryError>;
}
