//! In-memory webhooks, and a transport that records what it would send.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use aegis_application::webhooks::{
    OutgoingDelivery, SendOutcome, WebhookSecrets, WebhookTransport,
};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::*;
use aegis_domain::tenant::TenantId;
use aegis_domain::webhook::{
    AllowList, DeliveryAttempt, DeliveryId, TargetRefusal, Webhook, WebhookDelivery, WebhookId,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Memory, PlainCipher, Slot};

#[derive(Clone, Default)]
pub struct WebhookState {
    pub hooks: Vec<Webhook>,
    pub allow: Vec<(TenantId, AllowList)>,
    pub deliveries: Vec<WebhookDelivery>,
    pub attempts: Vec<DeliveryAttempt>,
}

#[async_trait]
impl<S: Slot> WebhookRepository for Memory<S> {
    async fn insert_webhook(
        &self,
        _tenant: TenantId,
        hook: &Webhook,
    ) -> Result<(), RepositoryError> {
        self.with(|s| s.webhooks.hooks.push(hook.clone()));
        Ok(())
    }
    async fn find_webhook(
        &self,
        tenant: TenantId,
        id: WebhookId,
    ) -> Result<Option<Webhook>, RepositoryError> {
        Ok(self.with(|s| {
            s.webhooks
                .hooks
                .iter()
                .find(|h| h.tenant_id == tenant && h.id == id)
                .cloned()
        }))
    }
    async fn list_webhooks(&self, tenant: TenantId) -> Result<Vec<Webhook>, RepositoryError> {
        Ok(self.with(|s| {
            s.webhooks
                .hooks
                .iter()
                .filter(|h| h.tenant_id == tenant)
                .cloned()
                .collect()
        }))
    }
    async fn update_webhook(
        &self,
        tenant: TenantId,
        hook: &Webhook,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            let stored = s
                .webhooks
                .hooks
                .iter_mut()
                .find(|h| h.tenant_id == tenant && h.id == hook.id)
                .ok_or(RepositoryError::NotFound(Entity::Webhook))?;
            *stored = hook.clone();
            Ok(())
        })
    }
    async fn delete_webhook(&self, tenant: TenantId, id: WebhookId) -> Result<(), RepositoryError> {
        self.with(|s| {
            let before = s.webhooks.hooks.len();
            s.webhooks
                .hooks
                .retain(|h| !(h.tenant_id == tenant && h.id == id));
            if s.webhooks.hooks.len() == before {
                return Err(RepositoryError::NotFound(Entity::Webhook));
            }
            let gone: Vec<DeliveryId> = s
                .webhooks
                .deliveries
                .iter()
                .filter(|d| d.webhook_id == id)
                .map(|d| d.id)
                .collect();
            s.webhooks.deliveries.retain(|d| d.webhook_id != id);
            s.webhooks
                .attempts
                .retain(|a| !gone.contains(&a.delivery_id));
            Ok(())
        })
    }
    async fn webhook_allow_list(&self, tenant: TenantId) -> Result<AllowList, RepositoryError> {
        Ok(self.with(|s| {
            s.webhooks
                .allow
                .iter()
                .find(|(t, _)| *t == tenant)
                .map(|(_, list)| list.clone())
                .unwrap_or_default()
        }))
    }
    async fn set_webhook_allow_list(
        &self,
        tenant: TenantId,
        list: &AllowList,
        _at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            s.webhooks.allow.retain(|(t, _)| *t != tenant);
            s.webhooks.allow.push((tenant, list.clone()));
        });
        Ok(())
    }
    async fn insert_webhook_deliveries(
        &self,
        _tenant: TenantId,
        deliveries: &[WebhookDelivery],
    ) -> Result<(), RepositoryError> {
        self.with(|s| s.webhooks.deliveries.extend_from_slice(deliveries));
        Ok(())
    }
    async fn find_webhook_delivery(
        &self,
        tenant: TenantId,
        id: DeliveryId,
    ) -> Result<Option<WebhookDelivery>, RepositoryError> {
        Ok(self.with(|s| {
            s.webhooks
                .deliveries
                .iter()
                .find(|d| d.tenant_id == tenant && d.id == id)
                .cloned()
        }))
    }
    async fn list_webhook_deliveries(
        &self,
        tenant: TenantId,
        webhook: WebhookId,
        page: PageRequest,
    ) -> Result<Page<DeliveryRecord>, RepositoryError> {
        Ok(self.with(|s| {
            let mut all: Vec<DeliveryRecord> = s
                .webhooks
                .deliveries
                .iter()
                .filter(|d| d.tenant_id == tenant && d.webhook_id == webhook)
                .map(|d| DeliveryRecord {
                    delivery: d.clone(),
                    attempts: s
                        .webhooks
                        .attempts
                        .iter()
                        .filter(|a| a.delivery_id == d.id)
                        .cloned()
                        .collect(),
                })
                .collect();
            all.sort_by(|a, b| {
                b.delivery
                    .created_at
                    .cmp(&a.delivery.created_at)
                    .then(b.delivery.id.cmp(&a.delivery.id))
            });
            let total = all.len() as u64;
            let items = all
                .into_iter()
                .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
                .take(usize::try_from(page.per_page()).unwrap_or(usize::MAX))
                .collect();
            Page {
                items,
                total,
                request: page,
            }
        }))
    }
    async fn due_webhook_deliveries(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<WebhookDelivery>, RepositoryError> {
        Ok(self.with(|s| {
            s.webhooks
                .deliveries
                .iter()
                .filter(|d| {
                    d.tenant_id == tenant
                        && d.status.is_waiting()
                        && d.next_attempt_at.is_some_and(|at| at <= now)
                })
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .cloned()
                .collect()
        }))
    }
    async fn next_webhook_delivery_due(&self) -> Result<Option<DateTime<Utc>>, RepositoryError> {
        Ok(self.with(|s| {
            s.webhooks
                .deliveries
                .iter()
                .filter(|d| d.status.is_waiting())
                .filter_map(|d| d.next_attempt_at)
                .min()
        }))
    }
    async fn claim_webhook_delivery(
        &self,
        tenant: TenantId,
        id: DeliveryId,
        expected_attempts: u32,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        Ok(self.with(|s| {
            match s.webhooks.deliveries.iter_mut().find(|d| {
                d.tenant_id == tenant
                    && d.id == id
                    && d.attempts == expected_attempts
                    && d.status.is_waiting()
            }) {
                Some(d) => {
                    d.attempts += 1;
                    d.next_attempt_at = Some(lease_until);
                    true
                }
                None => false,
            }
        }))
    }
    async fn record_webhook_attempt(
        &self,
        tenant: TenantId,
        delivery: &WebhookDelivery,
        attempt: &DeliveryAttempt,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            let stored = s
                .webhooks
                .deliveries
                .iter_mut()
                .find(|d| d.tenant_id == tenant && d.id == delivery.id)
                .ok_or(RepositoryError::NotFound(Entity::WebhookDelivery))?;
            *stored = delivery.clone();
            s.webhooks.attempts.push(attempt.clone());
            Ok(())
        })
    }
}

impl WebhookSecrets for PlainCipher {
    fn seal(&self, secret: &str) -> Vec<u8> {
        secret.as_bytes().to_vec()
    }
    fn unseal(&self, sealed: &[u8]) -> Option<String> {
        String::from_utf8(sealed.to_vec()).ok()
    }
}

/// Judges URLs by the domain's rules (names ending in `.internal` resolve to 10.0.0.1, any
/// other name to a public address) and records each delivery instead of sending it,
/// answering with `status`.
#[derive(Clone)]
pub struct RecordingTransport {
    pub sent: Arc<Mutex<Vec<OutgoingDelivery>>>,
    status: Arc<AtomicU16>,
}

impl Default for RecordingTransport {
    fn default() -> Self {
        Self {
            sent: Arc::default(),
            status: Arc::new(AtomicU16::new(200)),
        }
    }
}

impl RecordingTransport {
    pub fn answer_with(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    fn judge(url: &str, allow: &AllowList) -> Result<(), TargetRefusal> {
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .ok_or(TargetRefusal::NotHttp)?;
        let host = rest.split('/').next().unwrap_or_default();
        let host = if host.starts_with('[') {
            host.split(']')
                .next()
                .unwrap_or_default()
                .trim_start_matches('[')
        } else {
            host.split(':').next().unwrap_or_default()
        };
        let address: IpAddr = match host.parse() {
            Ok(ip) => ip,
            Err(_) if host.ends_with(".internal") => [10, 0, 0, 1].into(),
            Err(_) => [93, 184, 216, 34].into(),
        };
        match allow.judge(host, address) {
            Some(class) => Err(TargetRefusal::Address { address, class }),
            None => Ok(()),
        }
    }
}

#[async_trait]
impl WebhookTransport for RecordingTransport {
    async fn check_target(&self, url: &str, allow: &AllowList) -> Result<(), TargetRefusal> {
        Self::judge(url, allow)
    }

    async fn send(&self, delivery: OutgoingDelivery) -> SendOutcome {
        if let Err(refusal) = Self::judge(&delivery.url, &delivery.allow) {
            return SendOutcome {
                succeeded: false,
                response_code: None,
                duration_ms: 0,
                error: Some(refusal.to_string()),
            };
        }
        self.sent.lock().unwrap().push(delivery);
        let status = self.status.load(Ordering::SeqCst);
        SendOutcome {
            succeeded: (200..300).contains(&status),
            response_code: Some(status),
            duration_ms: 3,
            error: (!(200..300).contains(&status)).then(|| format!("HTTP {status}")),
        }
    }
}
