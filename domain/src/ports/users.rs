//! Users of a tenant: accounts, their filters and list order.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::RepositoryError;
use crate::page::{Page, PageRequest};
use crate::role::Role;
use crate::tenant::TenantId;
use crate::user::{Email, User, UserId};

/// Filters of the user list; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub is_active: Option<bool>,
    /// Case-insensitive substring of the email or display name.
    pub text: Option<String>,
    pub sort: UserSort,
}

/// The column a user list is ordered by; ties are broken by email.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UserSortKey {
    #[default]
    Email,
    DisplayName,
    Role,
    CreatedAt,
    LastLoginAt,
}

/// A list order: a key, ascending unless `descending`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UserSort {
    pub key: UserSortKey,
    pub descending: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown sort `{0}`: expected email, display_name, role, created_at or last_login_at, with `-` for descending"
)]
pub struct UnknownSort(pub String);

impl std::str::FromStr for UserSort {
    type Err = UnknownSort;

    /// `created_at` ascending, `-created_at` descending.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (descending, name) = text
            .strip_prefix('-')
            .map_or((false, text), |rest| (true, rest));
        let key = match name {
            "email" => UserSortKey::Email,
            "display_name" => UserSortKey::DisplayName,
            "role" => UserSortKey::Role,
            "created_at" => UserSortKey::CreatedAt,
            "last_login_at" => UserSortKey::LastLoginAt,
            _ => return Err(UnknownSort(text.to_owned())),
        };
        Ok(Self { key, descending })
    }
}

#[async_trait]
pub trait UserRepository: Send + Sync {
    /// The account with this email in any tenant (see the module documentation).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_user_for_login(&self, email: &Email) -> Result<Option<User>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_user(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Option<User>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn find_user_by_email(
        &self,
        tenant: TenantId,
        email: &Email,
    ) -> Result<Option<User>, RepositoryError>;

    /// Users ordered by email.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn list_users(
        &self,
        tenant: TenantId,
        filter: &UserFilter,
        page: PageRequest,
    ) -> Result<Page<User>, RepositoryError>;

    /// Active admins of the tenant that are not locked at `now`, other than `except`.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn count_usable_admins(
        &self,
        tenant: TenantId,
        except: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<u64, RepositoryError>;

    /// # Errors
    /// `Duplicate(Subject::Email)` when the email is taken in any tenant.
    async fn insert_user(&self, tenant: TenantId, user: &User) -> Result<(), RepositoryError>;

    /// Replaces every mutable field of the user.
    ///
    /// # Errors
    /// `NotFound(Entity::User)` when it does not exist in the tenant.
    async fn update_user(&self, tenant: TenantId, user: &User) -> Result<(), RepositoryError>;
}
