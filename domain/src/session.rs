//! Refresh sessions: rotating refresh tokens grouped in families.
//!
//! Each refresh hands out a new token and marks the old one used. Presenting a used token
//! again means it was stolen (or replayed), so the whole family is revoked.

use chrono::{DateTime, Utc};

use crate::id::Id;
use crate::tenant::TenantId;
use crate::user::UserId;

pub type RefreshSessionId = Id<RefreshSession>;

/// Marker for the ids of a login's chain of refresh tokens.
#[derive(Debug)]
pub enum SessionFamily {}
pub type SessionFamilyId = Id<SessionFamily>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshSession {
    pub id: RefreshSessionId,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub family_id: SessionFamilyId,
    /// SHA-256 of the token; the token itself is never stored.
    pub token_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A signed-in session as its user sees it: one sign-in's family of refresh tokens, from the
/// sign-in to the last refresh, while it can still refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveSession {
    pub family_id: SessionFamilyId,
    pub user_id: UserId,
    /// When the user signed in.
    pub started_at: DateTime<Utc>,
    /// When the session last refreshed (or signed in): the last time it was seen.
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The address and user agent of the last refresh.
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// What presenting a refresh token leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshVerdict {
    /// Valid: rotate it.
    Rotate,
    /// Already used: a replay, revoke the family.
    ReuseDetected,
    /// Expired or revoked: refuse.
    Refuse,
}

impl RefreshSession {
    pub fn verdict(&self, now: DateTime<Utc>) -> RefreshVerdict {
        if self.revoked_at.is_some() || self.expires_at <= now {
            RefreshVerdict::Refuse
        } else if self.used_at.is_some() {
            RefreshVerdict::ReuseDetected
        } else {
            RefreshVerdict::Rotate
        }
    }
}
