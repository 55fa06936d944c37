//! Background jobs: the platform's periodic and on-demand work, and the record of every run.
//!
//! A run is identified by its key: a scheduled run by its job and due time, so that however
//! many workers see the same due time, one run exists; a manual run by a fresh id.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};

/// The kinds of work the job runner knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobKind {
    /// Imports the configured ATT&CK release.
    AttackSync,
    /// Compares the newest catalog imports with what leads were last told, and tells them.
    IntelScan,
    /// Deletes read notifications older than the retention.
    NotificationCleanup,
    /// Records every organization's coverage posture.
    CoverageSnapshot,
    /// Recomputes stored coverage so freshness, decay and staleness follow the calendar.
    CoverageRefresh,
    /// Removes evidence objects that crashed uploads or deletes left behind.
    EvidenceSweep,
    /// Syncs the data sources whose schedule came due or that an admin asked to sync.
    FeedSync,
    /// Spawns the next run of every recurring campaign that came due.
    RecurringCampaigns,
    /// Generates the reports that were asked for.
    ReportGeneration,
    /// Ends the detection proofs whose time ran out (the decay engine).
    DetectionDecay,
    /// Evaluates every organization's alert rules.
    AlertEvaluation,
    /// Sends the webhook deliveries that are due (first attempts and retries).
    WebhookDelivery,
    /// Brings linked Jira issues' statuses back and pushes sealed worklogs to Tempo.
    TicketSync,
    /// Sends the notification emails that are due (first attempts and retries).
    EmailDelivery,
    /// Runs the submitted scans of detection-content diffs (queued, or whose worker died).
    Scan,
    /// Reports scans of GitHub pull requests back as check runs.
    GithubChecks,
}

impl JobKind {
    pub const ALL: [Self; 16] = [
        Self::AttackSync,
        Self::IntelScan,
        Self::NotificationCleanup,
        Self::CoverageSnapshot,
        Self::CoverageRefresh,
        Self::EvidenceSweep,
        Self::FeedSync,
        Self::RecurringCampaigns,
        Self::ReportGeneration,
        Self::DetectionDecay,
        Self::AlertEvaluation,
        Self::WebhookDelivery,
        Self::TicketSync,
        Self::EmailDelivery,
        Self::Scan,
        Self::GithubChecks,
    ];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AttackSync => "attack_sync",
            Self::IntelScan => "intel_scan",
            Self::NotificationCleanup => "notification_cleanup",
            Self::CoverageSnapshot => "coverage_snapshot",
            Self::CoverageRefresh => "coverage_refresh",
            Self::EvidenceSweep => "evidence_sweep",
            Self::FeedSync => "feed_sync",
            Self::RecurringCampaigns => "recurring_campaigns",
            Self::ReportGeneration => "report_generation",
            Self::DetectionDecay => "detection_decay",
            Self::AlertEvaluation => "alert_evaluation",
            Self::WebhookDelivery => "webhook_delivery",
            Self::TicketSync => "ticket_sync",
            Self::EmailDelivery => "email_delivery",
            Self::Scan => "scan",
            Self::GithubChecks => "github_checks",
        }
    }

    #[must_use]
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == value)
    }

    /// When the job runs unless configured otherwise: a cron expression with seconds first,
    /// in UTC.
    #[must_use]
    pub fn default_schedule(self) -> &'static str {
        match self {
            Self::AttackSync => "0 0 3 * * *",
            Self::IntelScan => "0 0 6 * * Mon",
            Self::NotificationCleanup => "0 30 2 * * *",
            Self::CoverageSnapshot => "0 0 0 * * Sun",
            Self::CoverageRefresh => "0 15 0 * * *",
            Self::EvidenceSweep => "0 */15 * * * *",
            Self::FeedSync => "0 */5 * * * *",
            Self::RecurringCampaigns => "0 0 1 * * *",
            Self::ReportGeneration => "0 */10 * * * *",
            Self::DetectionDecay => "0 0 2 * * *",
            Self::AlertEvaluation => "0 20 * * * *",
            // A safety net: deliveries are sent by runs queued when they are recorded and at
            // each retry; this catches those whose run was lost.
            Self::WebhookDelivery => "0 */5 * * * *",
            Self::TicketSync => "0 */15 * * * *",
            // A safety net too: emails are sent by runs queued as their notifications commit.
            Self::EmailDelivery => "0 * * * * *",
            // A safety net: scans are run by runs queued as they are submitted; this picks up
            // those whose run was lost or whose worker died holding them.
            Self::Scan => "30 * * * * *",
            // A safety net: check runs are reported by runs queued as their scans move; this
            // catches those whose run was lost, and the retries.
            Self::GithubChecks => "45 * * * * *",
        }
    }

    #[must_use]
    pub fn description(self) -> &'static str {
        match self {
            Self::AttackSync => "Import the configured ATT&CK release",
            Self::IntelScan => {
                "Tell the leads what the newest catalog imports added, changed or revoked"
            }
            Self::NotificationCleanup => "Delete read notifications older than 90 days",
            Self::CoverageSnapshot => "Record each organization's coverage posture",
            Self::CoverageRefresh => "Recompute coverage as validations age",
            Self::EvidenceSweep => "Remove evidence objects left behind by interrupted work",
            Self::FeedSync => {
                "Sync the data sources whose schedule came due or that an admin asked to sync"
            }
            Self::RecurringCampaigns => "Spawn the next run of each recurring campaign that is due",
            Self::ReportGeneration => "Generate the reports that were asked for",
            Self::DetectionDecay => "Expire the detection proofs whose time ran out",
            Self::AlertEvaluation => "Evaluate each organization's alert rules",
            Self::WebhookDelivery => "Send the webhook deliveries that are due",
            Self::TicketSync => {
                "Bring linked Jira issues' statuses back and push sealed worklogs to Tempo"
            }
            Self::EmailDelivery => "Send the notification emails that are due",
            Self::Scan => "Scan the submitted diffs of detection content",
            Self::GithubChecks => "Report scans of GitHub pull requests as check runs",
        }
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a run exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobTrigger {
    /// Its schedule came due at this instant.
    Schedule { due_at: DateTime<Utc> },
    /// A user asked for it, or the operator at the command line (no user).
    Manual { by: Option<crate::user::UserId> },
}

impl JobTrigger {
    /// The key that makes a run unique: one run per job and due time, whatever number of
    /// schedulers saw it come due.
    #[must_use]
    pub fn run_key(&self, kind: JobKind, id: uuid::Uuid) -> String {
        match self {
            Self::Schedule { due_at } => format!(
                "{kind}@{}",
                due_at.to_rfc3339_opts(SecondsFormat::Secs, true)
            ),
            Self::Manual { .. } => format!("{kind}#{id}"),
        }
    }
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    Queued,
    Running,
    Succeeded,
    /// The last attempt failed; another is scheduled after the back-off.
    Retrying,
    /// Every attempt failed: the run is dead-lettered and waits for a person.
    Dead,
}

impl JobOutcome {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Retrying => "retrying",
            Self::Dead => "dead",
        }
    }

    #[must_use]
    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::Queued,
            Self::Running,
            Self::Succeeded,
            Self::Retrying,
            Self::Dead,
        ]
        .into_iter()
        .find(|outcome| outcome.as_str() == value)
    }

    /// Whether the run has nothing left to do.
    #[must_use]
    pub fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Dead)
    }
}

/// What a finished run did: counts by name, e.g. `{"deleted": 12}`.
pub type JobCounts = std::collections::BTreeMap<String, u64>;

/// One run of a job and its history.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRun {
    pub id: uuid::Uuid,
    pub kind: JobKind,
    pub run_key: String,
    pub trigger: JobTrigger,
    pub queued_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Attempts started so far.
    pub attempts: u32,
    pub max_attempts: u32,
    pub outcome: JobOutcome,
    pub counts: JobCounts,
    /// The last attempt's error.
    pub error: Option<String>,
}

impl JobRun {
    #[must_use]
    pub fn queued(
        id: uuid::Uuid,
        kind: JobKind,
        trigger: JobTrigger,
        now: DateTime<Utc>,
        max_attempts: u32,
    ) -> Self {
        Self {
            id,
            kind,
            run_key: trigger.run_key(kind, id),
            trigger,
            queued_at: now,
            started_at: None,
            finished_at: None,
            attempts: 0,
            max_attempts,
            outcome: JobOutcome::Queued,
            counts: JobCounts::new(),
            error: None,
        }
    }
}

/// How failed attempts are retried: exponential back-off, capped, then dead-lettered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            first_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(60 * 60),
        }
    }
}

impl RetryPolicy {
    /// The wait before the attempt after `failed_attempt` (1-based), or `None` when that was
    /// the last one.
    #[must_use]
    pub fn delay_after(&self, failed_attempt: u32) -> Option<Duration> {
        if failed_attempt >= self.max_attempts {
            return None;
        }
        let doublings = failed_attempt.saturating_sub(1).min(31);
        let delay = self
            .first_delay
            .checked_mul(1_u32 << doublings)
            .unwrap_or(self.max_delay);
        Some(delay.min(self.max_delay))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in JobKind::ALL {
            assert_eq!(JobKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(JobKind::parse("reboot"), None);
    }

    #[test]
    fn a_scheduled_run_is_keyed_by_its_due_time_and_a_manual_one_by_its_id() {
        let due_at = DateTime::parse_from_rfc3339("2026-11-29T00:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let id = uuid::Uuid::nil();
        let scheduled = JobTrigger::Schedule { due_at };
        assert_eq!(
            scheduled.run_key(JobKind::CoverageSnapshot, id),
            "coverage_snapshot@2026-11-29T00:00:00Z"
        );
        assert_eq!(
            scheduled.run_key(JobKind::CoverageSnapshot, uuid::Uuid::from_u128(7)),
            scheduled.run_key(JobKind::CoverageSnapshot, id),
        );
        let manual = JobTrigger::Manual {
            by: Some(crate::user::UserId::from_uuid(id)),
        };
        assert_ne!(
            manual.run_key(JobKind::IntelScan, id),
            manual.run_key(JobKind::IntelScan, uuid::Uuid::from_u128(7))
        );
    }

    #[test]
    fn back_off_doubles_up_to_the_cap_then_gives_up() {
        let policy = RetryPolicy {
            max_attempts: 5,
            first_delay: Duration::from_secs(10),
            max_delay: Duration::from_secs(45),
        };
        let delays: Vec<_> = (1..=5).map(|attempt| policy.delay_after(attempt)).collect();
        assert_eq!(
            delays,
            vec![
                Some(Duration::from_secs(10)),
                Some(Duration::from_secs(20)),
                Some(Duration::from_secs(40)),
                Some(Duration::from_secs(45)),
                None,
            ]
        );
    }

    #[test]
    fn back_off_never_overflows() {
        let policy = RetryPolicy {
            max_attempts: u32::MAX,
            first_delay: Duration::from_secs(u64::MAX / 2),
            max_delay: Duration::from_secs(60),
        };
        assert_eq!(policy.delay_after(40), Some(Duration::from_secs(60)));
    }
}
