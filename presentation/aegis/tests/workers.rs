//! `aegis worker` processes sharing one PostgreSQL: every scheduled run executes once however
//! many workers run, and a job whose worker is killed mid-run is retried and completes once.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aegis_infrastructure::test_support::TestDatabase;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SCHEDULES: [&str; 9] = [
    "AEGIS_SCHEDULE_ATTACK_SYNC",
    "AEGIS_SCHEDULE_INTEL_SCAN",
    "AEGIS_SCHEDULE_NOTIFICATION_CLEANUP",
    "AEGIS_SCHEDULE_COVERAGE_SNAPSHOT",
    "AEGIS_SCHEDULE_COVERAGE_REFRESH",
    "AEGIS_SCHEDULE_EVIDENCE_SWEEP",
    "AEGIS_SCHEDULE_FEED_SYNC",
    "AEGIS_SCHEDULE_RECURRING_CAMPAIGNS",
    "AEGIS_SCHEDULE_REPORT_GENERATION",
];

/// The `aegis` binary on `database`, with every schedule off unless `env` sets it.
fn aegis(database: &str, data_dir: &Path, env: &[(&str, String)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aegis"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AEGIS_FIRST_START_SYNC", "false")
        .env("AEGIS_DATA_DIR", data_dir)
        .env("AEGIS_DATABASE_URL", database)
        .env("AEGIS_LOG", "info")
        .env("AEGIS_JOB_POLL_MILLIS", "100")
        .env("AEGIS_JOB_HEARTBEAT_SECONDS", "1")
        .current_dir(data_dir);
    for schedule in SCHEDULES {
        command.env(schedule, "off");
    }
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

/// A worker process, killed when dropped.
struct Worker(Child);

impl Worker {
    fn start(database: &str, data_dir: &Path, env: &[(&str, String)]) -> Self {
        let log = std::fs::File::create(data_dir.join("worker.log")).unwrap();
        let child = aegis(database, data_dir, env)
            .arg("worker")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        Self(child)
    }

    /// SIGKILL: no graceful shutdown, no chance to give the job back.
    fn kill(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Migrates, creates the default organization, and proves the command line runs a job.
fn prepare(database: &str, data_dir: &Path) {
    let output = aegis(database, data_dir, &[])
        .args(["jobs", "run", "coverage_refresh"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(printed.contains("coverage_refresh: succeeded"), "{printed}");
}

async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_workers_execute_every_scheduled_run_once() {
    let database = TestDatabase::postgres().await;
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    prepare(database.url(), a.path());
    let every_two_seconds = [(
        "AEGIS_SCHEDULE_NOTIFICATION_CLEANUP",
        "*/2 * * * * *".to_owned(),
    )];
    let first = Worker::start(database.url(), a.path(), &every_two_seconds);
    let second = Worker::start(database.url(), b.path(), &every_two_seconds);
    tokio::time::sleep(Duration::from_secs(12)).await;
    first.kill();
    second.kill();

    let db = Database::connect(database.url()).await.unwrap();
    // Runs due well before the workers stopped have had time to finish.
    let runs = rows(
        &db,
        "SELECT run_key, outcome, attempts, EXTRACT(EPOCH FROM due_at)::bigint AS due \
         FROM job_runs WHERE kind = 'notification_cleanup' AND trigger_kind = 'schedule' \
         AND due_at < now() - interval '3 seconds' ORDER BY due_at",
    )
    .await;
    assert!(runs.len() >= 3, "only {} scheduled runs", runs.len());
    let mut previous: Option<i64> = None;
    for run in &runs {
        let key: String = run.try_get("", "run_key").unwrap();
        let outcome: String = run.try_get("", "outcome").unwrap();
        let attempts: i32 = run.try_get("", "attempts").unwrap();
        let due: i64 = run.try_get("", "due").unwrap();
        assert_eq!((outcome.as_str(), attempts), ("succeeded", 1), "{key}");
        if let Some(previous) = previous {
            assert_eq!(due - previous, 2, "no due time is skipped: {key}");
        }
        previous = Some(due);
    }
    // Both schedulers queued every due time; the queue kept each attempt once.
    let duplicates = rows(
        &db,
        "SELECT idempotency_key FROM apalis.jobs GROUP BY idempotency_key HAVING count(*) > 1",
    )
    .await;
    assert!(duplicates.is_empty());
    let logs = [a.path(), b.path()]
        .map(|dir| std::fs::read_to_string(dir.join("worker.log")).unwrap_or_default());
    assert!(
        logs.iter().all(|log| log.contains("job workers running")),
        "{logs:?}"
    );
}

/// An HTTP server that answers every request with `body` after `delay`, counting requests.
async fn slow_feed(body: Vec<u8>, delay: Duration) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            counter.fetch_add(1, Ordering::SeqCst);
            let body = body.clone();
            tokio::spawn(async move {
                let mut request = vec![0_u8; 4096];
                let _ = socket.read(&mut request).await;
                tokio::time::sleep(delay).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&body).await;
            });
        }
    });
    (format!("http://{address}/attack.json"), requests)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_whose_worker_dies_is_retried_and_completes_once() {
    let bundle = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/attack/enterprise-v1.json"
    ))
    .unwrap();
    let (url, requests) = slow_feed(bundle, Duration::from_secs(3)).await;
    let database = TestDatabase::postgres().await;
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    prepare(database.url(), a.path());
    let env = [("AEGIS_ATTACK_URL", url)];
    let queued = aegis(database.url(), a.path(), &env)
        .args(["jobs", "run", "attack_sync", "--queued"])
        .output()
        .unwrap();
    assert!(queued.status.success(), "{queued:?}");
    let run_id = String::from_utf8_lossy(&queued.stdout).trim().to_owned();

    let doomed = Worker::start(database.url(), a.path(), &env);
    for _ in 0..100 {
        if requests.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        requests.load(Ordering::SeqCst),
        1,
        "the first worker took the job"
    );
    // Mid-job: the feed has not answered yet.
    doomed.kill();
    let _successor = Worker::start(database.url(), b.path(), &env);

    let db = Database::connect(database.url()).await.unwrap();
    let query = format!("SELECT outcome, attempts FROM job_runs WHERE id = '{run_id}'");
    let mut finished = None;
    for _ in 0..300 {
        let run = rows(&db, &query).await;
        let outcome: String = run[0].try_get("", "outcome").unwrap();
        if outcome == "succeeded" || outcome == "dead" {
            let attempts: i32 = run[0].try_get("", "attempts").unwrap();
            finished = Some((outcome, attempts));
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(finished, Some(("succeeded".to_owned(), 2)));
    assert_eq!(requests.load(Ordering::SeqCst), 2);
    let imports = rows(&db, "SELECT id::text AS id, status FROM catalog_imports").await;
    assert_eq!(
        imports.len(),
        1,
        "the retried attempt restarts the same import"
    );
    let status: String = imports[0].try_get("", "status").unwrap();
    let id: String = imports[0].try_get("", "id").unwrap();
    assert_eq!(
        (status.as_str(), id.as_str()),
        ("succeeded", run_id.as_str())
    );
    let techniques = rows(&db, "SELECT 1 FROM techniques").await;
    assert_eq!(techniques.len(), 6);
}
