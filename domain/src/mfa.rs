//! Multi-factor sign-in: a TOTP factor (RFC 6238) per user, single-use recovery codes, a
//! per-tenant policy naming the roles that must use it, and the short-lived challenge that
//! links a correct password to the second step.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::id::Id;
use crate::role::Role;
use crate::tenant::TenantId;
use crate::user::UserId;

pub type MfaChallengeId = Id<MfaChallenge>;

/// How many recovery codes a user holds after enrolment or regeneration.
pub const RECOVERY_CODES: usize = 10;
/// How many wrong codes one challenge accepts before it is spent.
pub const CHALLENGE_ATTEMPTS: u32 = 5;

/// A user's authenticator app: its secret (sealed at rest) and the last time step used, so a
/// code is accepted once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpFactor {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    /// The base32 secret, encrypted with the server's key (hex of the ciphertext).
    pub sealed_secret: String,
    /// `None` until the user proves the app works with a first code.
    pub confirmed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub last_used_step: Option<i64>,
}

impl TotpFactor {
    pub fn is_confirmed(&self) -> bool {
        self.confirmed_at.is_some()
    }

    /// Whether a code of time step `step` may still be used: later than the last one used.
    pub fn accepts_step(&self, step: i64) -> bool {
        self.last_used_step.is_none_or(|last| step > last)
    }
}

/// The roles of a tenant that must sign in with a second factor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MfaPolicy {
    pub required_roles: BTreeSet<Role>,
}

impl MfaPolicy {
    pub fn requires(&self, role: Role) -> bool {
        self.required_roles.contains(&role)
    }

    /// The roles, space-separated, as stored.
    pub fn to_text(&self) -> String {
        self.required_roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// # Errors
    /// The first name that is no role.
    pub fn parse(text: &str) -> Result<Self, crate::role::UnknownRole> {
        Ok(Self {
            required_roles: text
                .split_whitespace()
                .map(str::parse)
                .collect::<Result<_, _>>()?,
        })
    }
}

/// The second step of a sign-in: issued after a correct password, spent by a correct code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaChallenge {
    pub id: MfaChallengeId,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    /// SHA-256 of the challenge token.
    pub token_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub failed_attempts: u32,
}

impl MfaChallenge {
    /// Whether the challenge can still be answered at `now`.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.used_at.is_none() && self.expires_at > now && self.failed_attempts < CHALLENGE_ATTEMPTS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_is_used_once() {
        let mut factor = TotpFactor {
            tenant_id: TenantId::from_uuid(uuid::Uuid::nil()),
            user_id: UserId::from_uuid(uuid::Uuid::nil()),
            sealed_secret: String::new(),
            confirmed_at: None,
            created_at: Utc::now(),
            last_used_step: None,
        };
        assert!(factor.accepts_step(10));
        factor.last_used_step = Some(10);
        assert!(!factor.accepts_step(10));
        assert!(!factor.accepts_step(9));
        assert!(factor.accepts_step(11));
    }

    #[test]
    fn policies_round_trip_and_refuse_unknown_roles() {
        let policy = MfaPolicy::parse("admin red_lead");
        assert!(
            policy
                .as_ref()
                .is_ok_and(|p| p.requires(Role::Admin) && !p.requires(Role::Viewer))
        );
        assert_eq!(policy.map(|p| p.to_text()), Ok("admin red_lead".to_owned()));
        assert!(MfaPolicy::parse("root").is_err());
        assert_eq!(MfaPolicy::parse("").map(|p| p.required_roles.len()), Ok(0));
    }

    #[test]
    fn challenges_close_when_used_expired_or_guessed_at() {
        let now = Utc::now();
        let mut challenge = MfaChallenge {
            id: MfaChallengeId::from_uuid(uuid::Uuid::nil()),
            tenant_id: TenantId::from_uuid(uuid::Uuid::nil()),
            user_id: UserId::from_uuid(uuid::Uuid::nil()),
            token_hash: String::new(),
            created_at: now,
            expires_at: now + chrono::Duration::minutes(5),
            used_at: None,
            failed_attempts: 0,
        };
        assert!(challenge.is_open(now));
        assert!(!challenge.is_open(now + chrono::Duration::minutes(6)));
        challenge.failed_attempts = CHALLENGE_ATTEMPTS;
        assert!(!challenge.is_open(now));
    }
}
