//! Webhooks, the allow-list, the delivery outbox and the attempt log.

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr, sea_query::ExprTrait, sea_query::OnConflict,
};

use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::{DeliveryRecord, Entity, RepositoryError, WebhookRepository};
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;
use aegis_domain::webhook::{
    AllowList, DeliveryAttempt, DeliveryId, DeliveryStatus, Webhook, WebhookDelivery, WebhookEvent,
    WebhookId, WebhookPreset,
};

use super::error::{corrupt, ensure_tenant, unexpected};
use super::{Connection, SeaStore};

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod webhook {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "webhooks")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub name: String,
            pub url: String,
            pub events: String,
            pub preset: String,
            pub active: bool,
            pub secret_sealed: Vec<u8>,
            pub created_by: Uuid,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod allow_list {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "webhook_allow_lists")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub tenant_id: Uuid,
            pub entries: String,
            pub updated_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod delivery {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "webhook_deliveries")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub webhook_id: Uuid,
            pub message_id: String,
            pub event: String,
            pub payload: String,
            pub status: String,
            pub attempts: i32,
            pub next_attempt_at: Option<DateTimeUtc>,
            pub created_at: DateTimeUtc,
            pub last_attempt_at: Option<DateTimeUtc>,
            pub last_response_code: Option<i32>,
            pub last_error: Option<String>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod attempt {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "webhook_delivery_attempts")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub delivery_id: Uuid,
            pub attempt: i32,
            pub attempted_at: DateTimeUtc,
            pub duration_ms: i64,
            pub succeeded: bool,
            pub response_code: Option<i32>,
            pub error: Option<String>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::{allow_list, attempt, delivery, webhook};

fn webhook_of(row: webhook::Model) -> Result<Webhook, RepositoryError> {
    let events = row
        .events
        .split_whitespace()
        .map(|name| WebhookEvent::parse(name).ok_or_else(|| corrupt("webhook event", name)))
        .collect::<Result<BTreeSet<_>, _>>()?;
    Ok(Webhook {
        id: WebhookId::from_uuid(row.id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        name: row.name,
        url: row.url,
        events,
        preset: WebhookPreset::parse(&row.preset)
            .ok_or_else(|| corrupt("webhook preset", &row.preset))?,
        active: row.active,
        secret_sealed: row.secret_sealed,
        created_by: UserId::from_uuid(row.created_by),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn webhook_row(hook: &Webhook) -> webhook::ActiveModel {
    webhook::ActiveModel {
        id: Set(hook.id.as_uuid()),
        tenant_id: Set(hook.tenant_id.as_uuid()),
        name: Set(hook.name.clone()),
        url: Set(hook.url.clone()),
        events: Set(hook.events_text()),
        preset: Set(hook.preset.as_str().to_owned()),
        active: Set(hook.active),
        secret_sealed: Set(hook.secret_sealed.clone()),
        created_by: Set(hook.created_by.as_uuid()),
        created_at: Set(hook.created_at),
        updated_at: Set(hook.updated_at),
    }
}

fn code_of(value: Option<i32>) -> Option<u16> {
    value.and_then(|code| u16::try_from(code).ok())
}

fn delivery_of(row: delivery::Model) -> Result<WebhookDelivery, RepositoryError> {
    Ok(WebhookDelivery {
        id: DeliveryId::from_uuid(row.id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        webhook_id: WebhookId::from_uuid(row.webhook_id),
        message_id: row.message_id,
        event: WebhookEvent::parse(&row.event)
            .ok_or_else(|| corrupt("delivery event", &row.event))?,
        payload: row.payload,
        status: DeliveryStatus::parse(&row.status)
            .ok_or_else(|| corrupt("delivery status", &row.status))?,
        attempts: u32::try_from(row.attempts).unwrap_or(0),
        next_attempt_at: row.next_attempt_at,
        created_at: row.created_at,
        last_attempt_at: row.last_attempt_at,
        last_response_code: code_of(row.last_response_code),
        last_error: row.last_error,
    })
}

fn delivery_row(d: &WebhookDelivery) -> delivery::ActiveModel {
    delivery::ActiveModel {
        id: Set(d.id.as_uuid()),
        tenant_id: Set(d.tenant_id.as_uuid()),
        webhook_id: Set(d.webhook_id.as_uuid()),
        message_id: Set(d.message_id.clone()),
        event: Set(d.event.as_str().to_owned()),
        payload: Set(d.payload.clone()),
        status: Set(d.status.as_str().to_owned()),
        attempts: Set(i32::try_from(d.attempts).unwrap_or(i32::MAX)),
        next_attempt_at: Set(d.next_attempt_at),
        created_at: Set(d.created_at),
        last_attempt_at: Set(d.last_attempt_at),
        last_response_code: Set(d.last_response_code.map(i32::from)),
        last_error: Set(d.last_error.clone()),
    }
}

fn attempt_of(row: attempt::Model) -> DeliveryAttempt {
    DeliveryAttempt {
        id: row.id,
        delivery_id: DeliveryId::from_uuid(row.delivery_id),
        attempt: u32::try_from(row.attempt).unwrap_or(0),
        attempted_at: row.attempted_at,
        duration_ms: u64::try_from(row.duration_ms).unwrap_or(0),
        succeeded: row.succeeded,
        response_code: code_of(row.response_code),
        error: row.error,
    }
}

const WAITING: [&str; 2] = ["pending", "retrying"];

async fn find_webhook(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: WebhookId,
) -> Result<Option<Webhook>, RepositoryError> {
    webhook::Entity::find()
        .filter(webhook::Column::TenantId.eq(tenant.as_uuid()))
        .filter(webhook::Column::Id.eq(id.as_uuid()))
        .one(db)
        .await
        .map_err(unexpected)?
        .map(webhook_of)
        .transpose()
}

async fn list_webhooks(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Vec<Webhook>, RepositoryError> {
    webhook::Entity::find()
        .filter(webhook::Column::TenantId.eq(tenant.as_uuid()))
        .order_by_asc(webhook::Column::CreatedAt)
        .order_by_asc(webhook::Column::Id)
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(webhook_of)
        .collect()
}

async fn allow_list_of(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<AllowList, RepositoryError> {
    let Some(row) = allow_list::Entity::find_by_id(tenant.as_uuid())
        .one(db)
        .await
        .map_err(unexpected)?
    else {
        return Ok(AllowList::default());
    };
    AllowList::parse(row.entries.lines().filter(|l| !l.trim().is_empty()))
        .map_err(|e| corrupt("webhook allow-list", e))
}

async fn find_delivery(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: DeliveryId,
) -> Result<Option<WebhookDelivery>, RepositoryError> {
    delivery::Entity::find()
        .filter(delivery::Column::TenantId.eq(tenant.as_uuid()))
        .filter(delivery::Column::Id.eq(id.as_uuid()))
        .one(db)
        .await
        .map_err(unexpected)?
        .map(delivery_of)
        .transpose()
}

async fn list_deliveries(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    hook: WebhookId,
    page: PageRequest,
) -> Result<Page<DeliveryRecord>, RepositoryError> {
    let query = delivery::Entity::find()
        .filter(delivery::Column::TenantId.eq(tenant.as_uuid()))
        .filter(delivery::Column::WebhookId.eq(hook.as_uuid()));
    let total = query.clone().count(db).await.map_err(unexpected)?;
    let rows = query
        .order_by_desc(delivery::Column::CreatedAt)
        .order_by_desc(delivery::Column::Id)
        .offset(page.offset())
        .limit(page.per_page())
        .all(db)
        .await
        .map_err(unexpected)?;
    let ids: Vec<_> = rows.iter().map(|row| row.id).collect();
    let attempts = if ids.is_empty() {
        Vec::new()
    } else {
        attempt::Entity::find()
            .filter(attempt::Column::TenantId.eq(tenant.as_uuid()))
            .filter(attempt::Column::DeliveryId.is_in(ids))
            .order_by_asc(attempt::Column::Attempt)
            .all(db)
            .await
            .map_err(unexpected)?
    };
    let items = rows
        .into_iter()
        .map(|row| {
            let id = row.id;
            Ok(DeliveryRecord {
                delivery: delivery_of(row)?,
                attempts: attempts
                    .iter()
                    .filter(|a| a.delivery_id == id)
                    .cloned()
                    .map(attempt_of)
                    .collect(),
            })
        })
        .collect::<Result<_, RepositoryError>>()?;
    Ok(Page {
        items,
        total,
        request: page,
    })
}

async fn due_deliveries(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<WebhookDelivery>, RepositoryError> {
    delivery::Entity::find()
        .filter(delivery::Column::TenantId.eq(tenant.as_uuid()))
        .filter(delivery::Column::Status.is_in(WAITING))
        .filter(delivery::Column::NextAttemptAt.lte(now))
        .order_by_asc(delivery::Column::NextAttemptAt)
        .order_by_asc(delivery::Column::Id)
        .limit(limit)
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(delivery_of)
        .collect()
}

async fn next_due(db: &impl ConnectionTrait) -> Result<Option<DateTime<Utc>>, RepositoryError> {
    Ok(delivery::Entity::find()
        .filter(delivery::Column::Status.is_in(WAITING))
        .filter(delivery::Column::NextAttemptAt.is_not_null())
        .order_by_asc(delivery::Column::NextAttemptAt)
        .one(db)
        .await
        .map_err(unexpected)?
        .and_then(|row| row.next_attempt_at))
}

#[async_trait]
impl<C: Connection> WebhookRepository for SeaStore<C> {
    async fn insert_webhook(
        &self,
        tenant: TenantId,
        hook: &Webhook,
    ) -> Result<(), RepositoryError> {
        ensure_tenant(hook.tenant_id, tenant, "webhook")?;
        webhook::Entity::insert(webhook_row(hook))
            .exec_without_returning(self.conn())
            .await
            .map_err(unexpected)?;
        Ok(())
    }

    async fn find_webhook(
        &self,
        tenant: TenantId,
        id: WebhookId,
    ) -> Result<Option<Webhook>, RepositoryError> {
        find_webhook(&self.read(), tenant, id).await
    }

    async fn list_webhooks(&self, tenant: TenantId) -> Result<Vec<Webhook>, RepositoryError> {
        list_webhooks(&self.read(), tenant).await
    }

    async fn update_webhook(
        &self,
        tenant: TenantId,
        hook: &Webhook,
    ) -> Result<(), RepositoryError> {
        ensure_tenant(hook.tenant_id, tenant, "webhook")?;
        let result = webhook::Entity::update_many()
            .col_expr(webhook::Column::Name, Expr::value(hook.name.clone()))
            .col_expr(webhook::Column::Url, Expr::value(hook.url.clone()))
            .col_expr(webhook::Column::Events, Expr::value(hook.events_text()))
            .col_expr(
                webhook::Column::Preset,
                Expr::value(hook.preset.as_str().to_owned()),
            )
            .col_expr(webhook::Column::Active, Expr::value(hook.active))
            .col_expr(
                webhook::Column::SecretSealed,
                Expr::value(hook.secret_sealed.clone()),
            )
            .col_expr(webhook::Column::UpdatedAt, Expr::value(hook.updated_at))
            .filter(webhook::Column::TenantId.eq(tenant.as_uuid()))
            .filter(webhook::Column::Id.eq(hook.id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(unexpected)?;
        if result.rows_affected == 0 {
            return Err(RepositoryError::NotFound(Entity::Webhook));
        }
        Ok(())
    }

    async fn delete_webhook(&self, tenant: TenantId, id: WebhookId) -> Result<(), RepositoryError> {
        // Attempts and deliveries go first: SQLite enforces the cascade only when foreign
        // keys are switched on for the connection, so nothing relies on it.
        let deliveries: Vec<uuid::Uuid> = delivery::Entity::find()
            .select_only()
            .column(delivery::Column::Id)
            .filter(delivery::Column::TenantId.eq(tenant.as_uuid()))
            .filter(delivery::Column::WebhookId.eq(id.as_uuid()))
            .into_tuple()
            .all(self.conn())
            .await
            .map_err(unexpected)?;
        for chunk in deliveries.chunks(500) {
            attempt::Entity::delete_many()
                .filter(attempt::Column::DeliveryId.is_in(chunk.to_vec()))
                .exec(self.conn())
                .await
                .map_err(unexpected)?;
        }
        delivery::Entity::delete_many()
            .filter(delivery::Column::TenantId.eq(tenant.as_uuid()))
            .filter(delivery::Column::WebhookId.eq(id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(unexpected)?;
        let result = webhook::Entity::delete_many()
            .filter(webhook::Column::TenantId.eq(tenant.as_uuid()))
            .filter(webhook::Column::Id.eq(id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(unexpected)?;
        if result.rows_affected == 0 {
            return Err(RepositoryError::NotFound(Entity::Webhook));
        }
        Ok(())
    }

    async fn webhook_allow_list(&self, tenant: TenantId) -> Result<AllowList, RepositoryError> {
        allow_list_of(&self.read(), tenant).await
    }

    async fn set_webhook_allow_list(
        &self,
        tenant: TenantId,
        list: &AllowList,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        let row = allow_list::ActiveModel {
            tenant_id: Set(tenant.as_uuid()),
            entries: Set(list.to_texts().join("\n")),
            updated_at: Set(at),
        };
        allow_list::Entity::insert(row)
            .on_conflict(
                OnConflict::column(allow_list::Column::TenantId)
                    .update_columns([allow_list::Column::Entries, allow_list::Column::UpdatedAt])
                    .to_owned(),
            )
            .exec_without_returning(self.conn())
            .await
            .map_err(unexpected)?;
        Ok(())
    }

    async fn insert_webhook_deliveries(
        &self,
        tenant: TenantId,
        deliveries: &[WebhookDelivery],
    ) -> Result<(), RepositoryError> {
        if deliveries.is_empty() {
            return Ok(());
        }
        for d in deliveries {
            ensure_tenant(d.tenant_id, tenant, "webhook delivery")?;
        }
        delivery::Entity::insert_many(deliveries.iter().map(delivery_row))
            .exec_without_returning(self.conn())
            .await
            .map_err(unexpected)?;
        Ok(())
    }

    async fn find_webhook_delivery(
        &self,
        tenant: TenantId,
        id: DeliveryId,
    ) -> Result<Option<WebhookDelivery>, RepositoryError> {
        find_delivery(&self.read(), tenant, id).await
    }

    async fn list_webhook_deliveries(
        &self,
        tenant: TenantId,
        hook: WebhookId,
        page: PageRequest,
    ) -> Result<Page<DeliveryRecord>, RepositoryError> {
        list_deliveries(&self.read(), tenant, hook, page).await
    }

    async fn due_webhook_deliveries(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<WebhookDelivery>, RepositoryError> {
        due_deliveries(&self.read(), tenant, now, limit).await
    }

    async fn next_webhook_delivery_due(&self) -> Result<Option<DateTime<Utc>>, RepositoryError> {
        next_due(&self.read()).await
    }

    async fn claim_webhook_delivery(
        &self,
        tenant: TenantId,
        id: DeliveryId,
        expected_attempts: u32,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let expected = i32::try_from(expected_attempts).unwrap_or(i32::MAX);
        let result = delivery::Entity::update_many()
            .col_expr(
                delivery::Column::Attempts,
                Expr::col(delivery::Column::Attempts).add(1),
            )
            .col_expr(delivery::Column::NextAttemptAt, Expr::value(lease_until))
            .filter(delivery::Column::TenantId.eq(tenant.as_uuid()))
            .filter(delivery::Column::Id.eq(id.as_uuid()))
            .filter(delivery::Column::Attempts.eq(expected))
            .filter(delivery::Column::Status.is_in(WAITING))
            .exec(self.conn())
            .await
            .map_err(unexpected)?;
        Ok(result.rows_affected == 1)
    }

    async fn record_webhook_attempt(
        &self,
        tenant: TenantId,
        d: &WebhookDelivery,
        logged: &DeliveryAttempt,
    ) -> Result<(), RepositoryError> {
        ensure_tenant(d.tenant_id, tenant, "webhook delivery")?;
        let result = delivery::Entity::update_many()
            .col_expr(
                delivery::Column::Status,
                Expr::value(d.status.as_str().to_owned()),
            )
            .col_expr(
                delivery::Column::Attempts,
                Expr::value(i32::try_from(d.attempts).unwrap_or(i32::MAX)),
            )
            .col_expr(
                delivery::Column::NextAttemptAt,
                Expr::value(d.next_attempt_at),
            )
            .col_expr(
                delivery::Column::LastAttemptAt,
                Expr::value(d.last_attempt_at),
            )
            .col_expr(
                delivery::Column::LastResponseCode,
                Expr::value(d.last_response_code.map(i32::from)),
            )
            .col_expr(
                delivery::Column::LastError,
                Expr::value(d.last_error.clone()),
            )
            .filter(delivery::Column::TenantId.eq(tenant.as_uuid()))
            .filter(delivery::Column::Id.eq(d.id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(unexpected)?;
        if result.rows_affected == 0 {
            return Err(RepositoryError::NotFound(Entity::WebhookDelivery));
        }
        let row = attempt::ActiveModel {
            id: Set(logged.id),
            tenant_id: Set(tenant.as_uuid()),
            delivery_id: Set(logged.delivery_id.as_uuid()),
            attempt: Set(i32::try_from(logged.attempt).unwrap_or(i32::MAX)),
            attempted_at: Set(logged.attempted_at),
            duration_ms: Set(i64::try_from(logged.duration_ms).unwrap_or(i64::MAX)),
            succeeded: Set(logged.succeeded),
            response_code: Set(logged.response_code.map(i32::from)),
            error: Set(logged.error.clone()),
        };
        attempt::Entity::insert(row)
            .exec_without_returning(self.conn())
            .await
            .map_err(unexpected)?;
        Ok(())
    }
}
