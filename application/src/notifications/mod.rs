//! One's notifications: list, unread count, mark read, the live feed, the channels each
//! person chooses per kind, and email.

mod channels;
mod live;
mod mail;

pub(crate) use channels::deliver;
pub use channels::{ChannelSettings, KindChannels, KindRequest};
pub use live::LiveCursor;
pub use mail::{EmailCounts, MailFailure, MailKick, MailMessage, MailSender, Mailing, render};

use std::sync::Arc;

use aegis_domain::Role;
use aegis_domain::notification::{Notification, NotificationId};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::Action;
use aegis_domain::ports::{RepositoryError, UserFilter};
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;
use aegis_domain::workflow::{Audience, Team};

use crate::audit_trail::{self, Change};
use crate::context::{Actor, Forbidden, RequestContext};
use crate::error::{Classified, ErrorKind, unexpected};
use crate::ports::{Clock, Database, IdGenerator, NotificationSignals, UnitOfWork};

#[derive(Debug, thiserror::Error)]
pub enum NotificationError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("notification not found")]
    NotFound,
    #[error("invalid input")]
    Invalid(Vec<crate::error::FieldError>),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for NotificationError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl Classified for NotificationError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::NotFound => ErrorKind::NotFound,
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound => "NOTIFICATION_NOT_FOUND",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

/// The roles an audience is made of.
pub(crate) const fn audience_roles(audience: Audience) -> &'static [Role] {
    match audience {
        Audience::BlueTeam => &[Role::BlueLead, Role::BlueTech],
        Audience::RedTeam => &[Role::RedLead, Role::RedTech],
        Audience::BothLeads => &[Role::RedLead, Role::BlueLead],
        Audience::ApprovingLead(Team::Red) => &[Role::RedLead],
        Audience::ApprovingLead(Team::Blue) => &[Role::BlueLead],
    }
}

/// The active users of `tenant` in `audience`, but not `except` (who caused the event).
pub(crate) async fn recipients(
    uow: &dyn UnitOfWork,
    tenant: TenantId,
    audience: Audience,
    except: UserId,
) -> Result<Vec<UserId>, RepositoryError> {
    let mut users = Vec::new();
    for role in audience_roles(audience) {
        let filter = UserFilter {
            role: Some(*role),
            is_active: Some(true),
            ..UserFilter::default()
        };
        let page = uow
            .list_users(
                tenant,
                &filter,
                PageRequest::new(1, PageRequest::MAX_PER_PAGE),
            )
            .await?;
        users.extend(
            page.items
                .into_iter()
                .map(|u| u.id)
                .filter(|id| *id != except),
        );
    }
    Ok(users)
}

#[derive(Clone)]
pub struct NotificationService {
    database: Arc<dyn Database>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    signals: Arc<dyn NotificationSignals>,
    /// Email as configured; `None`: emails fail with the reason.
    mailing: Option<Mailing>,
    email_policy: aegis_domain::webhook::DeliveryPolicy,
    kick: MailKick,
}

impl NotificationService {
    pub fn new(
        database: Arc<dyn Database>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        signals: Arc<dyn NotificationSignals>,
    ) -> Self {
        Self {
            database,
            clock,
            ids,
            signals,
            mailing: None,
            email_policy: aegis_domain::webhook::DeliveryPolicy::default(),
            kick: MailKick::default(),
        }
    }

    /// Queues the mail job through `kick` (attached to the job service by `Services::new`).
    #[must_use]
    pub fn kicking(mut self, kick: MailKick) -> Self {
        self.kick = kick;
        self
    }

    /// # Errors
    /// `Unexpected` on storage failure.
    pub async fn list(
        &self,
        actor: &Actor,
        unread_only: bool,
        page: PageRequest,
    ) -> Result<Page<Notification>, NotificationError> {
        actor.authorize(Action::ReadOwnAccount)?;
        Ok(self
            .database
            .list_notifications(actor.tenant_id, actor.user_id, unread_only, page)
            .await?)
    }

    /// # Errors
    /// `Unexpected` on storage failure.
    pub async fn unread_count(&self, actor: &Actor) -> Result<u64, NotificationError> {
        actor.authorize(Action::ReadOwnAccount)?;
        Ok(self
            .database
            .count_unread_notifications(actor.tenant_id, actor.user_id)
            .await?)
    }

    /// Marks one notification (or, with `None`, all) read; returns how many changed.
    ///
    /// # Errors
    /// `NotFound` when one was named and it is not the actor's unread notification.
    pub async fn mark_read(
        &self,
        actor: &Actor,
        only: Option<NotificationId>,
        context: &RequestContext,
    ) -> Result<u64, NotificationError> {
        actor.authorize(Action::ManageOwnAccount)?;
        let uow = self.database.begin().await?;
        let changed = uow
            .mark_notifications_read(actor.tenant_id, actor.user_id, only, self.clock.now())
            .await?;
        if only.is_some() && changed == 0 {
            return Err(NotificationError::NotFound);
        }
        let change = Change {
            tenant: actor.tenant_id,
            actor: Some(actor.user_id),
            action: "notifications.read",
            entity_type: "notification",
            entity_id: only.map(|id| id.to_string()),
            details: serde_json::json!({ "count": changed }),
        };
        audit_trail::record(
            self.clock.as_ref(),
            self.ids.as_ref(),
            uow.as_ref(),
            context,
            change,
        )
        .await?;
        uow.commit().await?;
        Ok(changed)
    }
}
