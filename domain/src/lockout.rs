//! Account lockout after repeated failed sign-ins, with a growing back-off.

use chrono::{DateTime, Duration, Utc};

/// Failures allowed before the first lock, and how the lock grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub threshold: u32,
    pub base_seconds: i64,
    pub max_seconds: i64,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            threshold: 5,
            base_seconds: 30,
            max_seconds: 15 * 60,
        }
    }
}

impl LockoutPolicy {
    /// When an account with `failed_attempts` consecutive failures (including the one just
    /// made) is locked until, or `None` when it stays open.
    ///
    /// `last_usable_admin` is true when the account is the only admin still able to sign in:
    /// locking it would lock every admin out, so it is never locked (rate limiting per client
    /// still applies).
    pub fn lock_until(
        &self,
        failed_attempts: u32,
        now: DateTime<Utc>,
        last_usable_admin: bool,
    ) -> Option<DateTime<Utc>> {
        if last_usable_admin || failed_attempts < self.threshold {
            return None;
        }
        let doublings = (failed_attempts - self.threshold).min(20);
        let seconds = self
            .base_seconds
            .saturating_mul(1_i64 << doublings)
            .min(self.max_seconds);
        Some(now + Duration::seconds(seconds))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_grows_then_caps() {
        let policy = LockoutPolicy::default();
        let now = DateTime::<Utc>::UNIX_EPOCH;
        assert_eq!(policy.lock_until(4, now, false), None);
        assert_eq!(
            policy.lock_until(5, now, false),
            Some(now + Duration::seconds(30))
        );
        assert_eq!(
            policy.lock_until(6, now, false),
            Some(now + Duration::seconds(60))
        );
        assert_eq!(
            policy.lock_until(40, now, false),
            Some(now + Duration::seconds(900))
        );
    }

    #[test]
    fn the_last_usable_admin_is_never_locked() {
        let policy = LockoutPolicy::default();
        assert_eq!(
            policy.lock_until(50, DateTime::<Utc>::UNIX_EPOCH, true),
            None
        );
    }
}
