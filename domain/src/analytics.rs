//! What the analytics feeds read beyond the other rooms: each operator's logged work.

use chrono::{DateTime, Utc};

use crate::user::UserId;
use crate::workflow::Team;

/// One person's sealed worklogs on one team, summed: how much red or blue work they did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorActivity {
    pub user_id: UserId,
    pub team: Team,
    /// Distinct tests they logged work on.
    pub tests: u64,
    pub worklogs: u64,
    /// Worked time, pauses excluded.
    pub seconds: i64,
    pub first_started_at: DateTime<Utc>,
    pub last_ended_at: DateTime<Utc>,
}
