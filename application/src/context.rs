//! Who is asking, and from where: the explicit context of every use case.

use chrono::{DateTime, Utc};

use aegis_domain::Role;
use aegis_domain::api_key::{ApiKeyId, Scope, Scopes};
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
    /// The API key the request came with instead of a token: its scopes narrow the role.
    pub api_key: Option<KeyGrant>,
}

/// The API key a request authenticated with, and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyGrant {
    pub id: ApiKeyId,
    pub name: String,
    pub scopes: Scopes,
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
    /// The API key the request authenticated with: audit entries name it.
    pub api_key: Option<KeyUse>,
}

/// The key an audited change was made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUse {
    pub id: ApiKeyId,
    pub name: String,
}

/// A refusal: the role may not do it, or the role may but the API key lacks the scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forbidden {
    pub role: Role,
    pub action: Action,
    pub missing_scope: Option<Scope>,
}

impl std::fmt::Display for Forbidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.missing_scope {
            Some(scope) => write!(
                f,
                "the API key lacks the scope `{scope}` (needed to {})",
                self.action
            ),
            None => write!(f, "the role `{}` may not {}", self.role, self.action),
        }
    }
}

impl std::error::Error for Forbidden {}

impl Actor {
    /// # Errors
    /// `Forbidden` when the actor's role does not permit `action`.
    pub fn authorize(&self, action: Action) -> Result<(), Forbidden> {
        self.authorize_with(action, Scope::needed_for(action))
    }

    /// Like `authorize`, for the work whose key scope is not the action's own (uploading
    /// evidence is `execute_red` or `evaluate_blue` for the role, `evidence:write` for a key).
    ///
    /// # Errors
    /// `Forbidden` when the role does not permit `action` or the key lacks `scope`.
    pub fn authorize_with(&self, action: Action, scope: Scope) -> Result<(), Forbidden> {
        let refused = |missing_scope| Forbidden {
            role: self.role,
            action,
            missing_scope,
        };
        if !permits(self.role, action) {
            return Err(refused(None));
        }
        match &self.api_key {
            Some(key) if !key.scopes.grants(scope) => Err(refused(Some(scope))),
            _ => Ok(()),
        }
    }

    /// The key's part of `authorize` alone, for work whose role rule the domain decides
    /// itself (the workflow's `transition`): a key needs `scope` to do `action`.
    ///
    /// # Errors
    /// `Forbidden` naming `scope` when the actor's key lacks it.
    pub fn require_key_scope(&self, action: Action, scope: Scope) -> Result<(), Forbidden> {
        match &self.api_key {
            Some(key) if !key.scopes.grants(scope) => Err(Forbidden {
                role: self.role,
                action,
                missing_scope: Some(scope),
            }),
            _ => Ok(()),
        }
    }

    /// Whether the actor signed in (a token), rather than presenting an API key: managing
    /// keys and credentials needs a person at the keyboard.
    pub fn is_interactive(&self) -> bool {
        self.api_key.is_none()
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
