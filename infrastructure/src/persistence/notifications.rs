//! In-app notifications.

use aegis_domain::ports::NotificationRepository;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use aegis_domain::notification::{ChannelPreferences, EmailDelivery, Notification, NotificationId};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::RepositoryError;
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;

use super::error::unexpected;

/// Channel preferences and the email outbox.
mod channels;

pub(crate) mod entity {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notifications")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tenant_id: Uuid,
        pub user_id: Uuid,
        pub kind: String,
        pub title: String,
        pub body: String,
        pub entity_type: Option<String>,
        pub entity_id: Option<String>,
        pub created_at: DateTimeUtc,
        pub read_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

use async_trait::async_trait;

use super::{Connection, SeaStore};

pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    notifications: &[Notification],
) -> Result<(), RepositoryError> {
    if notifications.is_empty() {
        return Ok(());
    }
    let rows = notifications.iter().map(|n| ActiveModel {
        id: Set(n.id.as_uuid()),
        tenant_id: Set(tenant.as_uuid()),
        user_id: Set(n.user_id.as_uuid()),
        kind: Set(n.kind.clone()),
        title: Set(n.title.clone()),
        body: Set(n.body.clone()),
        entity_type: Set(n.entity_type.clone()),
        entity_id: Set(n.entity_id.clone()),
        created_at: Set(n.created_at),
        read_at: Set(n.read_at),
    });
    Entity::insert_many(rows)
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

pub(crate) async fn list(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
    unread_only: bool,
    page: PageRequest,
) -> Result<Page<Notification>, RepositoryError> {
    let mut query = Entity::find()
        .filter(Column::TenantId.eq(tenant.as_uuid()))
        .filter(Column::UserId.eq(user.as_uuid()));
    if unread_only {
        query = query.filter(Column::ReadAt.is_null());
    }
    let total = query.clone().count(db).await.map_err(unexpected)?;
    let rows = query
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Id)
        .offset(page.offset())
        .limit(page.per_page())
        .all(db)
        .await
        .map_err(unexpected)?;
    Ok(Page {
        items: rows.into_iter().map(to_domain).collect(),
        total,
        request: page,
    })
}

fn to_domain(row: entity::Model) -> Notification {
    Notification {
        id: NotificationId::from_uuid(row.id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        user_id: UserId::from_uuid(row.user_id),
        kind: row.kind,
        title: row.title,
        body: row.body,
        entity_type: row.entity_type,
        entity_id: row.entity_id,
        created_at: row.created_at,
        read_at: row.read_at,
    }
}

pub(crate) async fn since(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
    since: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Notification>, RepositoryError> {
    let rows = Entity::find()
        .filter(Column::TenantId.eq(tenant.as_uuid()))
        .filter(Column::UserId.eq(user.as_uuid()))
        .filter(Column::CreatedAt.gte(since))
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(db)
        .await
        .map_err(unexpected)?;
    Ok(rows.into_iter().map(to_domain).collect())
}

pub(crate) async fn count_unread(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
) -> Result<u64, RepositoryError> {
    Entity::find()
        .filter(Column::TenantId.eq(tenant.as_uuid()))
        .filter(Column::UserId.eq(user.as_uuid()))
        .filter(Column::ReadAt.is_null())
        .count(db)
        .await
        .map_err(unexpected)
}

pub(crate) async fn mark_read(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
    only: Option<NotificationId>,
    at: DateTime<Utc>,
) -> Result<u64, RepositoryError> {
    let mut update = Entity::update_many()
        .col_expr(Column::ReadAt, Expr::value(at))
        .filter(Column::TenantId.eq(tenant.as_uuid()))
        .filter(Column::UserId.eq(user.as_uuid()))
        .filter(Column::ReadAt.is_null());
    if let Some(id) = only {
        update = update.filter(Column::Id.eq(id.as_uuid()));
    }
    Ok(update.exec(db).await.map_err(unexpected)?.rows_affected)
}

pub(crate) async fn delete_read(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    cutoff: DateTime<Utc>,
) -> Result<u64, RepositoryError> {
    Ok(Entity::delete_many()
        .filter(Column::TenantId.eq(tenant.as_uuid()))
        .filter(Column::ReadAt.lt(cutoff))
        .exec(db)
        .await
        .map_err(unexpected)?
        .rows_affected)
}

#[async_trait]
impl<C: Connection> NotificationRepository for SeaStore<C> {
    async fn insert_notifications(
        &self,
        tenant: TenantId,
        items: &[Notification],
    ) -> Result<(), RepositoryError> {
        insert(self.conn(), tenant, items).await?;
        self.live
            .notified(items.iter().map(|notification| notification.user_id));
        Ok(())
    }
    async fn notifications_since(
        &self,
        tenant: TenantId,
        user: UserId,
        from: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Notification>, RepositoryError> {
        since(&self.read(), tenant, user, from, limit).await
    }
    async fn list_notifications(
        &self,
        tenant: TenantId,
        user: UserId,
        unread_only: bool,
        page: PageRequest,
    ) -> Result<Page<Notification>, RepositoryError> {
        list(self.conn(), tenant, user, unread_only, page).await
    }
    async fn count_unread_notifications(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<u64, RepositoryError> {
        count_unread(self.conn(), tenant, user).await
    }
    async fn mark_notifications_read(
        &self,
        tenant: TenantId,
        user: UserId,
        only: Option<NotificationId>,
        at: DateTime<Utc>,
    ) -> Result<u64, RepositoryError> {
        mark_read(self.conn(), tenant, user, only, at).await
    }
    async fn delete_read_notifications(
        &self,
        tenant: TenantId,
        cutoff: DateTime<Utc>,
    ) -> Result<u64, RepositoryError> {
        delete_read(self.conn(), tenant, cutoff).await
    }
    async fn channel_preferences(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<ChannelPreferences, RepositoryError> {
        channels::preferences(self.conn(), tenant, user).await
    }
    async fn save_channel_preferences(
        &self,
        tenant: TenantId,
        user: UserId,
        preferences: &ChannelPreferences,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        channels::save_preferences(self.conn(), tenant, user, preferences, at).await
    }
    async fn insert_email_deliveries(
        &self,
        tenant: TenantId,
        emails: &[EmailDelivery],
    ) -> Result<(), RepositoryError> {
        channels::insert_emails(self.conn(), tenant, emails).await?;
        // The mail job is queued when the live side hears of these users: a person who
        // turned the bell off for this kind still gets the email at once.
        self.live.notified(emails.iter().map(|email| email.user_id));
        Ok(())
    }
    async fn due_email_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<EmailDelivery>, RepositoryError> {
        channels::due_emails(self.conn(), now, limit).await
    }
    async fn claim_email_delivery(
        &self,
        email: &EmailDelivery,
        until: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        channels::claim_email(self.conn(), email, until).await
    }
    async fn save_email_delivery(&self, email: &EmailDelivery) -> Result<(), RepositoryError> {
        channels::save_email(self.conn(), email).await
    }
    async fn delete_finished_email_deliveries(
        &self,
        tenant: TenantId,
        cutoff: DateTime<Utc>,
    ) -> Result<u64, RepositoryError> {
        channels::delete_finished_emails(self.conn(), tenant, cutoff).await
    }
    async fn list_email_deliveries(
        &self,
        tenant: TenantId,
        user: UserId,
        page: PageRequest,
    ) -> Result<Page<EmailDelivery>, RepositoryError> {
        channels::list_emails(&self.read(), tenant, user, page).await
    }
}
