//! Jobs: one run per due time, retries with back-off, the dead letter, and the work itself.

use std::time::Duration as StdDuration;

use chrono::Duration;

use aegis_application::auth::Access;
use aegis_application::jobs::JobError;
use aegis_domain::job::{JobKind, JobOutcome};
use aegis_domain::notification::{Notification, NotificationId};

use aegis_application::ports::Clock;

use super::*;

#[tokio::test]
async fn a_due_time_becomes_one_run_however_many_schedulers_see_it() {
    let h = harness().await;
    let due = h.clock.now();
    let first = h
        .services
        .jobs
        .schedule_due(JobKind::NotificationCleanup, due)
        .await
        .unwrap();
    let second = h
        .services
        .jobs
        .schedule_due(JobKind::NotificationCleanup, due)
        .await
        .unwrap();
    assert_eq!(first.id, second.id);
    let queued = h.queue.take();
    assert_eq!(queued.len(), 1, "{queued:?}");
    let (ticket, delay) = queued[0];
    assert_eq!(
        (ticket.run_id, ticket.attempt, delay),
        (first.id, 1, StdDuration::ZERO)
    );

    assert_eq!(
        h.services.jobs.execute(&ticket).await.unwrap(),
        JobOutcome::Succeeded
    );
    // A second delivery of the same attempt finds the run finished and does nothing.
    assert_eq!(
        h.services.jobs.execute(&ticket).await.unwrap(),
        JobOutcome::Succeeded
    );
    let run = h.database.with(|s| s.job_runs[0].clone());
    assert_eq!(run.attempts, 1);
    assert_eq!(run.counts.get("deleted"), Some(&0));
}

#[tokio::test]
async fn a_failing_job_backs_off_then_is_dead_lettered() {
    let h = harness().await;
    let run = h
        .services
        .jobs
        .schedule_due(JobKind::AttackSync, h.clock.now())
        .await
        .unwrap();
    let mut delays = Vec::new();
    let mut outcome = JobOutcome::Queued;
    for _ in 0..10 {
        let Some((ticket, delay)) = h.queue.take().into_iter().next() else {
            break;
        };
        delays.push(delay.as_secs());
        outcome = h.services.jobs.execute(&ticket).await.unwrap();
    }
    assert_eq!(outcome, JobOutcome::Dead);
    assert_eq!(delays, vec![0, 30, 60, 120, 240]);
    let stored = h
        .database
        .with(|s| s.job_runs.iter().find(|r| r.id == run.id).cloned())
        .unwrap();
    assert_eq!(stored.attempts, 5);
    assert!(stored.error.unwrap().contains("no feed in tests"));
    assert!(stored.finished_at.is_some());
}

#[tokio::test]
async fn notification_clean_up_deletes_only_old_read_notifications() {
    let h = harness().await;
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    let now = h.clock.now();
    let notification = |read_days_ago: Option<i64>| Notification {
        id: NotificationId::from_uuid(uuid::Uuid::new_v4()),
        tenant_id: h.tenant.id,
        user_id: admin.user_id,
        kind: "test.submit-red".into(),
        title: "t".into(),
        body: "b".into(),
        entity_type: None,
        entity_id: None,
        created_at: now - Duration::days(200),
        read_at: read_days_ago.map(|days| now - Duration::days(days)),
    };
    h.database.with(|s| {
        s.notifications.extend([
            notification(Some(100)),
            notification(Some(10)),
            notification(None),
        ]);
    });
    let run = h
        .services
        .jobs
        .run_in_foreground(&h.system(), JobKind::NotificationCleanup)
        .await
        .unwrap();
    assert_eq!(run.outcome, JobOutcome::Succeeded);
    assert_eq!(run.counts.get("deleted"), Some(&1));
    assert_eq!(h.database.with(|s| s.notifications.len()), 2);
}

#[tokio::test]
async fn only_admins_run_jobs_and_read_their_history() {
    let h = harness().await;
    let password = h.create("lead@aegis.test", "red_lead").await;
    let lead = h
        .actor("lead@aegis.test", &password, Access::PasswordChange)
        .await;
    let refused = h
        .services
        .jobs
        .run_now(
            &Initiator::User(lead.clone()),
            JobKind::IntelScan,
            &Harness::context(),
        )
        .await;
    assert!(matches!(refused, Err(JobError::Forbidden(_))));
    assert!(h.queue.take().is_empty());

    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    let run = h
        .services
        .jobs
        .run_now(
            &Initiator::User(admin.clone()),
            JobKind::IntelScan,
            &Harness::context(),
        )
        .await
        .unwrap();
    assert_eq!(run.outcome, JobOutcome::Queued);
    let status = h.services.jobs.scheduler_status(&admin).await.unwrap();
    assert_eq!(status.len(), JobKind::ALL.len());
    let intel = status
        .iter()
        .find(|j| j.kind == JobKind::IntelScan)
        .unwrap();
    assert_eq!(intel.last_run.as_ref().map(|r| r.id), Some(run.id));
    assert!(intel.next_due.is_some_and(|due| due > h.clock.now()));
}

#[tokio::test]
async fn the_weekly_snapshot_records_every_organization_and_leads_take_one_on_demand() {
    let h = harness().await;
    let run = h
        .services
        .jobs
        .run_in_foreground(&h.system(), JobKind::CoverageSnapshot)
        .await
        .unwrap();
    assert_eq!(run.counts.get("snapshots"), Some(&1));
    let password = h.create("tech@aegis.test", "red_tech").await;
    let tech = h
        .actor("tech@aegis.test", &password, Access::PasswordChange)
        .await;
    assert!(
        h.services
            .snapshots
            .take(&tech, &Harness::context())
            .await
            .is_err()
    );
    let trend = h.services.snapshots.trend(&tech, None, None).await.unwrap();
    assert_eq!(trend.len(), 1);
}

#[tokio::test]
async fn a_lead_dates_a_snapshot_in_the_past_but_never_in_the_future() {
    let h = harness().await;
    let password = h.create("lead@aegis.test", "blue_lead").await;
    let lead = h
        .actor("lead@aegis.test", &password, Access::PasswordChange)
        .await;
    let now = aegis_application::ports::Clock::now(h.clock.as_ref());
    let weeks_ago = now - chrono::Duration::weeks(11);
    let taken = h
        .services
        .snapshots
        .take_at(&lead, weeks_ago, &Harness::context())
        .await
        .unwrap();
    assert_eq!(taken.taken_at, weeks_ago);
    let future = h
        .services
        .snapshots
        .take_at(
            &lead,
            now + chrono::Duration::minutes(1),
            &Harness::context(),
        )
        .await;
    assert!(matches!(
        future,
        Err(aegis_application::snapshots::SnapshotError::InTheFuture)
    ));
    let trend = h.services.snapshots.trend(&lead, None, None).await.unwrap();
    assert_eq!(trend.len(), 1, "only the past one was recorded");
    assert_eq!(trend[0].taken_at, weeks_ago);
}
