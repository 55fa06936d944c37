//! Channel preferences (`notification_preferences`: the kinds a user set) and the email
//! outbox (`email_deliveries`).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use aegis_domain::notification::{
    ChannelChoice, ChannelPreferences, EmailDelivery, EmailDeliveryId, EmailStatus,
};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::RepositoryError;
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;

use crate::persistence::error::unexpected;

mod preference {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notification_preferences")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub kind: String,
        pub in_app: bool,
        pub email: bool,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod email {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "email_deliveries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tenant_id: Uuid,
        pub user_id: Uuid,
        pub to_address: String,
        pub kind: String,
        pub title: String,
        pub body: String,
        pub entity_type: Option<String>,
        pub entity_id: Option<String>,
        pub status: String,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        pub created_at: DateTimeUtc,
        pub sent_at: Option<DateTimeUtc>,
        pub last_error: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(super) async fn preferences(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
) -> Result<ChannelPreferences, RepositoryError> {
    let rows = preference::Entity::find()
        .filter(preference::Column::TenantId.eq(tenant.as_uuid()))
        .filter(preference::Column::UserId.eq(user.as_uuid()))
        .all(db)
        .await
        .map_err(unexpected)?;
    Ok(ChannelPreferences::restored(rows.into_iter().map(|row| {
        (
            row.kind,
            ChannelChoice {
                in_app: row.in_app,
                email: row.email,
            },
        )
    })))
}

pub(super) async fn save_preferences(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
    preferences: &ChannelPreferences,
    at: DateTime<Utc>,
) -> Result<(), RepositoryError> {
    preference::Entity::delete_many()
        .filter(preference::Column::TenantId.eq(tenant.as_uuid()))
        .filter(preference::Column::UserId.eq(user.as_uuid()))
        .exec(db)
        .await
        .map_err(unexpected)?;
    let rows: Vec<_> = preferences
        .chosen()
        .map(|(kind, choice)| preference::ActiveModel {
            tenant_id: Set(tenant.as_uuid()),
            user_id: Set(user.as_uuid()),
            kind: Set(kind.to_owned()),
            in_app: Set(choice.in_app),
            email: Set(choice.email),
            updated_at: Set(at),
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    preference::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

fn email_row(e: &EmailDelivery) -> email::ActiveModel {
    email::ActiveModel {
        id: Set(e.id.as_uuid()),
        tenant_id: Set(e.tenant_id.as_uuid()),
        user_id: Set(e.user_id.as_uuid()),
        to_address: Set(e.to.clone()),
        kind: Set(e.kind.clone()),
        title: Set(e.title.clone()),
        body: Set(e.body.clone()),
        entity_type: Set(e.entity_type.clone()),
        entity_id: Set(e.entity_id.clone()),
        status: Set(e.status.as_str().to_owned()),
        attempts: Set(i32::try_from(e.attempts).unwrap_or(i32::MAX)),
        next_attempt_at: Set(e.next_attempt_at),
        created_at: Set(e.created_at),
        sent_at: Set(e.sent_at),
        last_error: Set(e.last_error.clone()),
    }
}

fn email_of(row: email::Model) -> Result<EmailDelivery, RepositoryError> {
    let status = EmailStatus::parse(&row.status).ok_or_else(|| {
        RepositoryError::unexpected(format!("unknown email status `{}`", row.status))
    })?;
    Ok(EmailDelivery {
        id: EmailDeliveryId::from_uuid(row.id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        user_id: UserId::from_uuid(row.user_id),
        to: row.to_address,
        kind: row.kind,
        title: row.title,
        body: row.body,
        entity_type: row.entity_type,
        entity_id: row.entity_id,
        status,
        attempts: u32::try_from(row.attempts).unwrap_or(0),
        next_attempt_at: row.next_attempt_at,
        created_at: row.created_at,
        sent_at: row.sent_at,
        last_error: row.last_error,
    })
}

pub(super) async fn insert_emails(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    emails: &[EmailDelivery],
) -> Result<(), RepositoryError> {
    if emails.is_empty() {
        return Ok(());
    }
    if emails.iter().any(|e| e.tenant_id != tenant) {
        return Err(RepositoryError::unexpected(
            "an email of another tenant".to_owned(),
        ));
    }
    email::Entity::insert_many(emails.iter().map(email_row))
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

pub(super) async fn due_emails(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<EmailDelivery>, RepositoryError> {
    email::Entity::find()
        .filter(email::Column::Status.eq(EmailStatus::Pending.as_str()))
        .filter(email::Column::NextAttemptAt.lte(now))
        .order_by_asc(email::Column::NextAttemptAt)
        .order_by_asc(email::Column::Id)
        .limit(limit)
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(email_of)
        .collect()
}

pub(super) async fn claim_email(
    db: &impl ConnectionTrait,
    e: &EmailDelivery,
    until: DateTime<Utc>,
) -> Result<bool, RepositoryError> {
    let expected = i32::try_from(e.attempts).unwrap_or(i32::MAX);
    let result = email::Entity::update_many()
        .col_expr(
            email::Column::Attempts,
            Expr::col(email::Column::Attempts).add(1),
        )
        .col_expr(email::Column::NextAttemptAt, Expr::value(until))
        .filter(email::Column::TenantId.eq(e.tenant_id.as_uuid()))
        .filter(email::Column::Id.eq(e.id.as_uuid()))
        .filter(email::Column::Attempts.eq(expected))
        .filter(email::Column::Status.eq(EmailStatus::Pending.as_str()))
        .exec(db)
        .await
        .map_err(unexpected)?;
    Ok(result.rows_affected == 1)
}

pub(super) async fn save_email(
    db: &impl ConnectionTrait,
    e: &EmailDelivery,
) -> Result<(), RepositoryError> {
    let attempts = i32::try_from(e.attempts).unwrap_or(i32::MAX);
    email::Entity::update_many()
        .col_expr(email::Column::Status, Expr::value(e.status.as_str()))
        .col_expr(email::Column::NextAttemptAt, Expr::value(e.next_attempt_at))
        .col_expr(email::Column::SentAt, Expr::value(e.sent_at))
        .col_expr(email::Column::LastError, Expr::value(e.last_error.clone()))
        .filter(email::Column::TenantId.eq(e.tenant_id.as_uuid()))
        .filter(email::Column::Id.eq(e.id.as_uuid()))
        // Only the attempt that claimed it records its outcome.
        .filter(email::Column::Attempts.eq(attempts))
        .exec(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

pub(super) async fn delete_finished_emails(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    cutoff: DateTime<Utc>,
) -> Result<u64, RepositoryError> {
    let result = email::Entity::delete_many()
        .filter(email::Column::TenantId.eq(tenant.as_uuid()))
        .filter(
            email::Column::Status.is_in([EmailStatus::Sent.as_str(), EmailStatus::Failed.as_str()]),
        )
        .filter(email::Column::CreatedAt.lt(cutoff))
        .exec(db)
        .await
        .map_err(unexpected)?;
    Ok(result.rows_affected)
}

pub(super) async fn list_emails(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
    page: PageRequest,
) -> Result<Page<EmailDelivery>, RepositoryError> {
    let query = email::Entity::find()
        .filter(email::Column::TenantId.eq(tenant.as_uuid()))
        .filter(email::Column::UserId.eq(user.as_uuid()));
    let total = query.clone().count(db).await.map_err(unexpected)?;
    let rows = query
        .order_by_desc(email::Column::CreatedAt)
        .order_by_desc(email::Column::Id)
        .offset(page.offset())
        .limit(page.per_page())
        .all(db)
        .await
        .map_err(unexpected)?;
    Ok(Page {
        items: rows.into_iter().map(email_of).collect::<Result<_, _>>()?,
        total,
        request: page,
    })
}
