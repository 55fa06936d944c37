//! User accounts.

use aegis_domain::ports::Entity;
use aegis_domain::ports::Subject;
use aegis_domain::ports::UserRepository;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use aegis_domain::Role;
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::{RepositoryError, UserFilter, UserSortKey};
use aegis_domain::tenant::TenantId;
use aegis_domain::user::{Email, User, UserId, UserKind};

use super::entities::user;
use super::error::{corrupt, ensure_tenant, on_write, unexpected};
use super::text_search::any_contains;

use async_trait::async_trait;

use super::read_models::Scope;
use super::{Connection, SeaStore};

fn to_domain(row: user::Model) -> Result<User, RepositoryError> {
    Ok(User {
        id: UserId::from_uuid(row.id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        email: Email::parse(&row.email).map_err(|e| corrupt("email", e))?,
        display_name: row.display_name,
        role: row.role.parse::<Role>().map_err(|e| corrupt("role", e))?,
        kind: UserKind::parse(&row.kind).ok_or_else(|| corrupt("user kind", &row.kind))?,
        password_hash: row.password_hash,
        is_active: row.is_active,
        must_change_password: row.must_change_password,
        failed_login_attempts: u32::try_from(row.failed_login_attempts).unwrap_or(0),
        locked_until: row.locked_until,
        credentials_changed_at: row.credentials_changed_at,
        last_login_at: row.last_login_at,
        preferences: row.preferences,
        created_at: row.created_at,
        updated_at: row.updated_at,
        deactivated_at: row.deactivated_at,
    })
}

fn to_row(user: &User) -> user::ActiveModel {
    user::ActiveModel {
        id: Set(user.id.as_uuid()),
        tenant_id: Set(user.tenant_id.as_uuid()),
        email: Set(user.email.as_str().to_owned()),
        display_name: Set(user.display_name.clone()),
        role: Set(user.role.as_str().to_owned()),
        kind: Set(user.kind.as_str().to_owned()),
        password_hash: Set(user.password_hash.clone()),
        is_active: Set(user.is_active),
        must_change_password: Set(user.must_change_password),
        failed_login_attempts: Set(i32::try_from(user.failed_login_attempts).unwrap_or(i32::MAX)),
        locked_until: Set(user.locked_until),
        credentials_changed_at: Set(user.credentials_changed_at),
        last_login_at: Set(user.last_login_at),
        preferences: Set(user.preferences.clone()),
        created_at: Set(user.created_at),
        updated_at: Set(user.updated_at),
        deactivated_at: Set(user.deactivated_at),
    }
}

fn one(row: Option<user::Model>) -> Result<Option<User>, RepositoryError> {
    row.map(to_domain).transpose()
}

pub(crate) async fn find_for_login(
    db: &impl ConnectionTrait,
    email: &Email,
) -> Result<Option<User>, RepositoryError> {
    one(user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await
        .map_err(unexpected)?)
}

pub(crate) async fn find(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: UserId,
) -> Result<Option<User>, RepositoryError> {
    let row = user::Entity::find()
        .filter(user::Column::TenantId.eq(tenant.as_uuid()))
        .filter(user::Column::Id.eq(id.as_uuid()))
        .one(db)
        .await
        .map_err(unexpected)?;
    one(row)
}

pub(crate) async fn find_by_email(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    email: &Email,
) -> Result<Option<User>, RepositoryError> {
    let row = user::Entity::find()
        .filter(user::Column::TenantId.eq(tenant.as_uuid()))
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await
        .map_err(unexpected)?;
    one(row)
}

pub(crate) async fn list(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    filter: &UserFilter,
    page: PageRequest,
) -> Result<Page<User>, RepositoryError> {
    let mut query = user::Entity::find().filter(user::Column::TenantId.eq(tenant.as_uuid()));
    if let Some(role) = filter.role {
        query = query.filter(user::Column::Role.eq(role.as_str()));
    }
    if let Some(active) = filter.is_active {
        query = query.filter(user::Column::IsActive.eq(active));
    }
    if let Some(text) = &filter.text {
        query = query.filter(any_contains(
            &[user::Column::Email, user::Column::DisplayName],
            text,
        ));
    }
    let total = query.clone().count(db).await.map_err(unexpected)?;
    let column = match filter.sort.key {
        UserSortKey::Email => user::Column::Email,
        UserSortKey::DisplayName => user::Column::DisplayName,
        UserSortKey::Role => user::Column::Role,
        UserSortKey::CreatedAt => user::Column::CreatedAt,
        UserSortKey::LastLoginAt => user::Column::LastLoginAt,
    };
    let order = if filter.sort.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    let rows = query
        .order_by(column, order)
        .order_by_asc(user::Column::Email)
        .offset(page.offset())
        .limit(page.per_page())
        .all(db)
        .await
        .map_err(unexpected)?;
    let items = rows.into_iter().map(to_domain).collect::<Result<_, _>>()?;
    Ok(Page {
        items,
        total,
        request: page,
    })
}

pub(crate) async fn count_usable_admins(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    except: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<u64, RepositoryError> {
    let mut query = user::Entity::find()
        .filter(user::Column::TenantId.eq(tenant.as_uuid()))
        .filter(user::Column::Role.eq(Role::Admin.as_str()))
        .filter(user::Column::IsActive.eq(true))
        .filter(
            Condition::any()
                .add(user::Column::LockedUntil.is_null())
                .add(user::Column::LockedUntil.lte(now)),
        );
    if let Some(except) = except {
        query = query.filter(user::Column::Id.ne(except.as_uuid()));
    }
    query.count(db).await.map_err(unexpected)
}

pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: &User,
) -> Result<(), RepositoryError> {
    ensure_tenant(user.tenant_id, tenant, "user")?;
    user::Entity::insert(to_row(user))
        .exec_without_returning(db)
        .await
        .map_err(on_write(Subject::Email))?;
    Ok(())
}

pub(crate) async fn update(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: &User,
) -> Result<(), RepositoryError> {
    let mut row = to_row(user);
    // Identity and tenant never change.
    row.id = sea_orm::ActiveValue::NotSet;
    row.tenant_id = sea_orm::ActiveValue::NotSet;
    row.created_at = sea_orm::ActiveValue::NotSet;
    let result = user::Entity::update_many()
        .set(row)
        .filter(user::Column::TenantId.eq(tenant.as_uuid()))
        .filter(user::Column::Id.eq(user.id.as_uuid()))
        .exec(db)
        .await
        .map_err(on_write(Subject::Email))?;
    if result.rows_affected == 0 {
        return Err(RepositoryError::NotFound(Entity::User));
    }
    Ok(())
}

#[async_trait]
impl<C: Connection> UserRepository for SeaStore<C> {
    async fn find_user_for_login(&self, email: &Email) -> Result<Option<User>, RepositoryError> {
        find_for_login(self.conn(), email).await
    }
    async fn find_user(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Option<User>, RepositoryError> {
        find(self.conn(), tenant, user).await
    }
    async fn find_user_by_email(
        &self,
        tenant: TenantId,
        email: &Email,
    ) -> Result<Option<User>, RepositoryError> {
        find_by_email(self.conn(), tenant, email).await
    }
    async fn list_users(
        &self,
        tenant: TenantId,
        filter: &UserFilter,
        page: PageRequest,
    ) -> Result<Page<User>, RepositoryError> {
        list(self.conn(), tenant, filter, page).await
    }
    async fn count_usable_admins(
        &self,
        tenant: TenantId,
        except: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<u64, RepositoryError> {
        count_usable_admins(self.conn(), tenant, except, now).await
    }
    async fn insert_user(&self, tenant: TenantId, user: &User) -> Result<(), RepositoryError> {
        let outcome = insert(self.conn(), tenant, user).await?;
        self.changed(Scope::Tenant(tenant)).await?;
        Ok(outcome)
    }
    async fn update_user(&self, tenant: TenantId, user: &User) -> Result<(), RepositoryError> {
        let outcome = update(self.conn(), tenant, user).await?;
        self.changed(Scope::Tenant(tenant)).await?;
        Ok(outcome)
    }
}
