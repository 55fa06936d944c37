//! Who is asking, and from where: the explicit context of every use case.

use chrono::{DateTime, Utc};

use aegis_domain::Role;
use aegis_domain::permission::{Action, permits};
use aegis_domain::session::SessionFamilyId;
use aegis_domain::tenant::TenantId;
use aegis_domain::user::{Email, UserId};

/// An authenticated user acting within their tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub role: Role,
    pub email: Email,
    pub must_change_password: bool,
    /// The access token the request came with, so logout can revoke exactly it.
    pub token: Option<PresentedToken>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedToken {
    pub jti: String,
    pub session_family: SessionFamilyId,
    pub expires_at: DateTime<Utc>,
}

/// Where a request came from, for the audit trail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    pub request_id: Option<String>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the role `{role}` may not {action}")]
pub struct Forbidden {
    pub role: Role,
    pub action: Action,
}

impl Actor {
    /// # Errors
    /// `Forbidden` when the actor's role does not permit `action`.
    pub fn authorize(&self, action: Action) -> Result<(), Forbidden> {
        if permits(self.role, action) {
            Ok(())
        } else {
            Err(Forbidden {
                role: self.role,
                action,
            })
        }
    }
}

/// Who starts a use case: a signed-in user, or the operator at the command line (trusted,
/// recorded in the audit trail without an actor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Initiator {
    User(Actor),
    System { tenant: TenantId },
}

impl Initiator {
    pub fn tenant(&self) -> TenantId {
        match self {
            Initiator::User(actor) => actor.tenant_id,
            Initiator::System { tenant } => *tenant,
        }
    }

    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Initiator::User(actor) => Some(actor.user_id),
            Initiator::System { .. } => None,
        }
    }

    /// # Errors
    /// `Forbidden` when a user's role does not permit `action`; the system may do anything.
    pub fn authorize(&self, action: Action) -> Result<(), Forbidden> {
        match self {
            Initiator::User(actor) => actor.authorize(action),
            Initiator::System { .. } => Ok(()),
        }
    }
}
