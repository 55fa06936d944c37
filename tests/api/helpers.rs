//! `spawn_app`: a real Aegis on a fresh database and data directory, and a client for it.

use std::path::PathBuf;

use reqwest::{Client, Response, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};

use aegis::config::{Profile, Settings};
use aegis_infrastructure::test_support::TestDatabase;

pub const ADMIN_EMAIL: &str = "admin@aegis.test";
pub const ADMIN_PASSWORD: &str = "Bootstrap#Keeper-2026";
/// What tests change passwords to; satisfies the policy for every test email.
pub const NEW_PASSWORD: &str = "Kq9!vZr2#mTx7Lp";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub settings: Settings,
    pub base: String,
    pub client: Client,
    pub database: TestDatabase,
    pub _data_dir: tempfile::TempDir,
}

// A scenario's `async move` block would otherwise capture only the fields it touches and drop
// the database guard before running: a type with `Drop` is captured whole.
impl Drop for TestApp {
    fn drop(&mut self) {}
}

/// One user of each working role, signed in.
pub struct Crew {
    pub red_lead: String,
    pub red_tech: String,
    pub blue_lead: String,
    pub blue_tech: String,
}

pub struct AppOptions {
    pub auth_rate_limit_per_minute: u32,
    /// Where sync-mitre reads ATT&CK (nothing listens there by default).
    pub attack_url: Option<String>,
    pub evidence_max_bytes: Option<u64>,
    /// The bearer token that opens `/metrics` (not served without one).
    pub metrics_token: Option<String>,
    /// Sync every feed at the first start with an empty catalog (off: tests import what
    /// they need themselves).
    pub first_start_sync: bool,
    /// Run the job workers in the test's process (off: queued jobs stay queued).
    pub jobs_in_process: bool,
    /// Email through a plain SMTP server on 127.0.0.1 at this port (off without).
    pub smtp_port: Option<u16>,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            auth_rate_limit_per_minute: 100_000,
            attack_url: None,
            evidence_max_bytes: None,
            metrics_token: None,
            first_start_sync: false,
            jobs_in_process: true,
            smtp_port: None,
        }
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, AppOptions::default()).await
}

pub async fn spawn_app_with(backend: Backend, options: AppOptions) -> TestApp {
    let database = match backend {
        Backend::Sqlite => TestDatabase::sqlite().await,
        Backend::Postgres => TestDatabase::postgres().await,
    };
    let data_dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        profile: Profile::Embedded,
        listen: "127.0.0.1:0".to_owned(),
        data_dir: PathBuf::from(data_dir.path()),
        database_url: Some(database.url().to_owned()),
        database_max_connections: 5,
        admin_email: ADMIN_EMAIL.to_owned(),
        admin_password: Some(SecretString::from(ADMIN_PASSWORD)),
        // The lowest cost bcrypt allows: the tests exercise the flow, not the hash strength.
        bcrypt_cost: 4,
        auth_rate_limit_per_minute: options.auth_rate_limit_per_minute,
        attack_url: options
            .attack_url
            .unwrap_or_else(|| "http://127.0.0.1:9/unreachable".to_owned()),
        http_workers: Some(1),
        evidence_max_bytes: options.evidence_max_bytes.unwrap_or(1024 * 1024 * 1024),
        job_poll_millis: 100,
        // Webhook retries in tenths of a second, so a dead delivery is seen within the test.
        webhook_retry_millis: 100,
        metrics_token: options.metrics_token.map(SecretString::from),
        first_start_sync: options.first_start_sync,
        jobs_in_process: options.jobs_in_process,
        smtp_host: options.smtp_port.map(|_| "127.0.0.1".to_owned()),
        smtp_port: options.smtp_port,
        smtp_security: aegis::config::SmtpSecurity::None,
        public_url: Some("https://aegis.example".to_owned()),
        ..Settings::default()
    };
    // `AEGIS_LOG=debug cargo nextest run …` shows the app's log beside a failing test.
    if std::env::var_os("AEGIS_LOG").is_some() {
        aegis::telemetry::init(&settings);
    }
    let application = aegis::app::build(&settings).await.unwrap();
    tokio::spawn(application.server);
    TestApp {
        settings,
        base: format!("http://127.0.0.1:{}", application.port),
        client: Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        database,
        _data_dir: data_dir,
    }
}

impl TestApp {
    /// Imports an ATT&CK bundle file into this app's database, as `aegis import attack` does.
    pub async fn import_attack(&self, path: &std::path::Path) -> aegis_domain::ports::ImportReport {
        let source = aegis_infrastructure::feeds::attack::FileAttackSource::new(path);
        self.import_attack_from(&source).await.unwrap()
    }

    /// Imports ATT&CK from any source.
    pub async fn import_attack_from(
        &self,
        source: &dyn aegis_application::catalog::AttackSource,
    ) -> Result<aegis_domain::ports::ImportReport, aegis_application::catalog::CatalogError> {
        let prepared = aegis::app::prepare(&self.settings).await.unwrap();
        let initiator = aegis_application::context::Initiator::System {
            tenant: prepared.tenant.id,
        };
        prepared
            .wired
            .services
            .catalog
            .import_attack(&initiator, source)
            .await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
    }

    /// Signs in and returns the access token, asserting success.
    pub async fn token(&self, email: &str, password: &str) -> String {
        let response = self.login(email, password).await;
        assert_eq!(response.status(), StatusCode::OK, "login of {email}");
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// Signs in as the bootstrap admin and completes the forced password change.
    pub async fn admin_token(&self) -> String {
        self.ready_user(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    /// Signs in, changes the password to `NEW_PASSWORD`, and returns a usable token.
    pub async fn ready_user(&self, email: &str, password: &str) -> String {
        let token = self.token(email, password).await;
        let response = self
            .client
            .post(self.url("/api/v1/auth/change-password"))
            .bearer_auth(&token)
            .json(&json!({"current_password": password, "new_password": NEW_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::NO_CONTENT,
            "password change of {email}"
        );
        token
    }

    /// Creates a user through the API (as `admin`) and returns its id and one-time password.
    pub async fn create_user(&self, admin: &str, email: &str, role: &str) -> (String, String) {
        let response = self
            .client
            .post(self.url("/api/v1/users"))
            .bearer_auth(admin)
            .json(&json!({"email": email, "role": role}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "create {email}");
        let body: Value = response.json().await.unwrap();
        (
            body["id"].as_str().unwrap().to_owned(),
            body["generated_password"].as_str().unwrap().to_owned(),
        )
    }

    /// A user of `role`, signed in with the password already changed.
    pub async fn user_with_role(&self, admin: &str, role: &str) -> (String, String) {
        let email = format!(
            "{}.{}@aegis.test",
            role.replace('_', "-"),
            uuid::Uuid::new_v4().simple()
        );
        let (id, password) = self.create_user(admin, &email, role).await;
        let token = self.ready_user(&email, &password).await;
        (id, token)
    }

    /// Polls a job run until it finishes (succeeded or dead) and returns it.
    pub async fn wait_for_job(&self, id: &str, token: &str) -> Value {
        let mut run = Value::Null;
        for _ in 0..300 {
            run = self
                .get(&format!("/api/v1/system/jobs/{id}"), token)
                .await
                .json()
                .await
                .unwrap();
            if matches!(run["outcome"].as_str(), Some("succeeded" | "dead")) {
                return run;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("job {id} did not finish: {run}");
    }

    /// Sends `body` as JSON and returns the answer's JSON, asserting a 2xx status.
    pub async fn send_ok(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Value,
    ) -> Value {
        let response = self
            .client
            .request(method.clone(), self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{method} {path} -> {status}: {answer}");
        answer
    }

    /// A user of each working role.
    pub async fn crew(&self, admin: &str) -> Crew {
        let mut tokens = Vec::new();
        for role in ["red_lead", "red_tech", "blue_lead", "blue_tech"] {
            tokens.push(self.user_with_role(admin, role).await.1);
        }
        let [red_lead, red_tech, blue_lead, blue_tech] = [0, 1, 2, 3].map(|i| tokens[i].clone());
        Crew {
            red_lead,
            red_tech,
            blue_lead,
            blue_tech,
        }
    }

    /// Takes a new test of `technique` through the whole workflow, red and blue each by a
    /// user of their team, with blue's evaluation `blue`; returns the validated test.
    pub async fn validated_test(&self, admin: &str, technique: &str, blue: Value) -> Value {
        let crew = self.crew(admin).await;
        let test = self
            .send_ok(
                reqwest::Method::POST,
                "/api/v1/tests",
                &crew.red_lead,
                json!({"title": format!("Validate {technique}"), "technique_id": technique}),
            )
            .await;
        self.run_to_validation(&crew, test["id"].as_str().unwrap(), blue)
            .await
    }

    /// Takes the draft test `id` from start-execution to validated; returns it.
    pub async fn run_to_validation(&self, crew: &Crew, id: &str, blue: Value) -> Value {
        use reqwest::Method;
        let act = |action: &str| format!("/api/v1/tests/{id}/{action}");
        self.send_ok(
            Method::POST,
            &act("start-execution"),
            &crew.red_tech,
            json!({}),
        )
        .await;
        self.send_ok(
            Method::PATCH,
            &act("red"),
            &crew.red_tech,
            json!({"executed_at": "2026-11-22T10:00:00Z", "procedure": "Procedure", "command": "whoami",
                   "tool": "manual", "targets": ["WS-1"], "result_summary": "ran"}),
        )
        .await;
        self.send_ok(Method::POST, &act("submit-red"), &crew.red_tech, json!({}))
            .await;
        self.send_ok(Method::PATCH, &act("blue"), &crew.blue_tech, blue)
            .await;
        self.send_ok(
            Method::POST,
            &act("submit-blue"),
            &crew.blue_tech,
            json!({}),
        )
        .await;
        self.send_ok(
            Method::POST,
            &act("validate-red"),
            &crew.red_lead,
            json!({"verdict": "approve"}),
        )
        .await;
        self.send_ok(
            Method::POST,
            &act("validate-blue"),
            &crew.blue_lead,
            json!({"verdict": "approve"}),
        )
        .await
    }

    /// `/metrics` as Prometheus reads it, with the scrape token `token`.
    pub async fn metrics_text(&self, token: &str) -> String {
        let response = self
            .client
            .get(self.url("/metrics"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.unwrap()
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }
}

/// Reads a problem document, checking its media type.
pub async fn problem(response: Response) -> Value {
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert_eq!(
        content_type, "application/problem+json",
        "errors are problem documents"
    );
    response.json().await.unwrap()
}

/// Runs a scenario on both databases, as two tests.
macro_rules! on_both_databases {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                let scenario = $body;
                scenario(crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await).await;
            }

            #[tokio::test]
            async fn postgres() {
                let scenario = $body;
                scenario(crate::helpers::spawn_app(crate::helpers::Backend::Postgres).await).await;
            }
        }
    };
}
pub(crate) use on_both_databases;

/// The production profile: PostgreSQL, evidence in the S3 server that `scripts/test.sh`
/// starts, a strong secret, migrations applied first as an operator would.
pub async fn spawn_production_app() -> TestApp {
    use aegis::config::EvidenceBackend;
    use sea_orm_migration::MigratorTrait;

    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run scripts/test.sh"))
    };
    let database = TestDatabase::postgres().await;
    let connection = sea_orm::Database::connect(database.url()).await.unwrap();
    aegis_migrations::Migrator::up(&connection, None)
        .await
        .unwrap();
    let data_dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        profile: Profile::Production,
        listen: "127.0.0.1:0".to_owned(),
        data_dir: PathBuf::from(data_dir.path()),
        database_url: Some(database.url().to_owned()),
        secret_key: Some(SecretString::from(
            "9c1f5e7a3b2d4c6e8f0a1b3c5d7e9f2a4b6c8d0e1f3a5b7c",
        )),
        admin_email: ADMIN_EMAIL.to_owned(),
        admin_password: Some(SecretString::from(ADMIN_PASSWORD)),
        evidence_backend: Some(EvidenceBackend::S3),
        s3_endpoint: Some(var("AEGIS_TEST_S3_ENDPOINT")),
        s3_region: var("AEGIS_TEST_S3_REGION"),
        s3_bucket: var("AEGIS_TEST_S3_BUCKET"),
        s3_access_key: Some(var("AEGIS_TEST_S3_ACCESS_KEY")),
        s3_secret_key: Some(SecretString::from(var("AEGIS_TEST_S3_SECRET_KEY"))),
        // Browsers reach the store under another name than Aegis does: links must be
        // signed for that one.
        s3_public_endpoint: Some(var("AEGIS_TEST_S3_ENDPOINT").replace("127.0.0.1", "localhost")),
        bcrypt_cost: 4,
        http_workers: Some(1),
        first_start_sync: false,
        ..Settings::default()
    };
    let application = aegis::app::build(&settings).await.unwrap();
    tokio::spawn(application.server);
    TestApp {
        settings,
        base: format!("http://127.0.0.1:{}", application.port),
        client: Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        database,
        _data_dir: data_dir,
    }
}

/// One of the small ATT&CK bundles written for the tests.
pub fn attack_fixture(name: &str) -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/attack")
        .join(name)
}

/// A file of `tests/fixtures/osint` (intelligence feeds written for the tests).
pub fn osint_fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/osint")
            .join(name),
    )
    .unwrap()
}
