//! In-memory users for use-case tests.

use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::*;
use aegis_domain::tenant::TenantId;
use aegis_domain::user::{Email, User, UserId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Memory, Slot};

#[async_trait]
impl<S: Slot> UserRepository for Memory<S> {
    async fn find_user_for_login(&self, email: &Email) -> Result<Option<User>, RepositoryError> {
        Ok(self.with(|s| s.users.iter().find(|u| &u.email == email).cloned()))
    }
    async fn find_user(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Option<User>, RepositoryError> {
        Ok(self.with(|s| {
            s.users
                .iter()
                .find(|u| u.tenant_id == tenant && u.id == user)
                .cloned()
        }))
    }
    async fn find_user_by_email(
        &self,
        tenant: TenantId,
        email: &Email,
    ) -> Result<Option<User>, RepositoryError> {
        Ok(self.with(|s| {
            s.users
                .iter()
                .find(|u| u.tenant_id == tenant && &u.email == email)
                .cloned()
        }))
    }
    async fn list_users(
        &self,
        tenant: TenantId,
        filter: &UserFilter,
        page: PageRequest,
    ) -> Result<Page<User>, RepositoryError> {
        let items: Vec<User> = self.with(|s| {
            s.users
                .iter()
                .filter(|u| u.tenant_id == tenant)
                .filter(|u| filter.role.is_none_or(|r| u.role == r))
                .filter(|u| filter.is_active.is_none_or(|a| u.is_active == a))
                .cloned()
                .collect()
        });
        Ok(Page {
            total: items.len() as u64,
            items,
            request: page,
        })
    }
    async fn count_usable_admins(
        &self,
        tenant: TenantId,
        except: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<u64, RepositoryError> {
        Ok(self.with(|s| {
            s.users
                .iter()
                .filter(|u| u.tenant_id == tenant && Some(u.id) != except && u.is_usable_admin(now))
                .count() as u64
        }))
    }
    async fn insert_user(&self, _tenant: TenantId, user: &User) -> Result<(), RepositoryError> {
        self.with(|s| {
            if s.users.iter().any(|u| u.email == user.email) {
                return Err(RepositoryError::Duplicate(Subject::Email));
            }
            s.users.push(user.clone());
            Ok(())
        })
    }
    async fn update_user(&self, tenant: TenantId, user: &User) -> Result<(), RepositoryError> {
        self.with(|s| {
            match s
                .users
                .iter_mut()
                .find(|u| u.tenant_id == tenant && u.id == user.id)
            {
                Some(existing) => {
                    *existing = user.clone();
                    Ok(())
                }
                None => Err(RepositoryError::NotFound(Entity::User)),
            }
        })
    }
}
