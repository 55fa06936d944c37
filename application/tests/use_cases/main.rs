//! Use-case tests over in-memory fakes: the rules of the application layer, without I/O.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    unreachable_pub,
    reason = "test code: a failed unwrap is a failed test"
)]

mod alerts;
mod api_keys;
mod attack_paths;
mod detection_lifecycle;
mod fakes;
mod github;
mod jobs;
mod knowledge;
mod mfa;
mod notification_channels;
mod notifications;
mod sso;
mod tenants;
mod tickets;
mod webhooks;

use std::sync::Arc;

use chrono::Duration;

use aegis_application::auth::{Access, AuthError, AuthSettings, Credentials, SignIn};
use aegis_application::context::{Actor, Initiator, RequestContext};
use aegis_application::idempotency::IdempotencyKey;
use aegis_application::users::{NewUser, UserChanges, UserError};
use aegis_application::{Dependencies, Services};
use aegis_domain::tenant::Tenant;
use aegis_domain::user::UserId;

use fakes::*;

const ADMIN: &str = "admin@aegis.test";
const PASSWORD: &str = "Bootstrap#Keeper-2026";

struct Harness {
    services: Services,
    database: MemoryDatabase,
    clock: Arc<FixedClock>,
    tenant: Tenant,
    queue: RecordingQueue,
    webhooks: RecordingTransport,
    signals: Signals,
    tracker: RecordingTracker,
    mail: RecordingMail,
    sso_provider: fakes::sso::ScriptedProvider,
    github: fakes::RecordingGithub,
}

async fn harness() -> Harness {
    let database = MemoryDatabase::default();
    let clock = Arc::new(FixedClock::new());
    let queue = RecordingQueue::default();
    let webhooks = RecordingTransport::default();
    let signals = Signals::default();
    let tracker = RecordingTracker::default();
    let mail = RecordingMail::default();
    let sso_provider = fakes::sso::ScriptedProvider::default();
    let github = fakes::RecordingGithub::default();
    let deps = Dependencies {
        database: Arc::new(database.clone()),
        catalog: Arc::new(EmptyCatalog),
        rules: Arc::new(EmptyCatalog),
        countermeasures: Arc::new(EmptyCatalog),
        templates: Arc::new(EmptyCatalog),
        intel: Arc::new(EmptyCatalog),
        data_sources: Arc::new(EmptyCatalog),
        tracking: Arc::new(EmptyCatalog),
        compliance: Arc::new(EmptyCatalog),
        osint: Arc::new(EmptyCatalog),
        reports: Arc::new(EmptyCatalog),
        renderer: Arc::new(fakes::TitleRenderer),
        signer: Arc::new(fakes::DigestSigner),
        feeds: Arc::new(fakes::NoFeeds),
        cipher: Arc::new(fakes::PlainCipher),
        hasher: Arc::new(PlainHasher),
        tokens: Arc::new(TransparentTokens {
            clock: clock.clone(),
        }),
        clock: clock.clone(),
        ids: Arc::new(CountingIds::default()),
        secrets: Arc::new(CountingSecrets::default()),
        otp: Arc::new(fakes::StepCodes),
        evidence: Arc::new(NoEvidence),
        jobs: Arc::new(queue.clone()),
        attack_feed: Arc::new(NoFeed),
        scoring: Arc::new(aegis_domain::scoring::ScoringPolicy::default()),
        telemetry: Arc::new(fakes::NoTelemetry),
        webhook_transport: Arc::new(webhooks.clone()),
        webhook_secrets: Arc::new(fakes::PlainCipher),
        notification_signals: Arc::new(signals.clone()),
        scan_reader: Arc::new(fakes::findings::CannedScans(Default::default())),
        ticket_tracker: Arc::new(tracker.clone()),
        mail: Some(aegis_application::notifications::Mailing {
            sender: Arc::new(mail.clone()),
            web_url: "https://aegis.test".to_owned(),
        }),
        attack_flows: Arc::new(fakes::NoFlowFiles),
        siem: Arc::new(fakes::NoSiem),
        scan_signer: Arc::new(aegis_application::scans::ReportKeySigner(Arc::new(
            fakes::DigestSigner,
        ))),
        detection_parser: Arc::new(fakes::scans::NoDetections),
        openid: Arc::new(sso_provider.clone()),
        sso_callback_url: "https://aegis.test/api/v1/sso/callback".to_owned(),
        github_api: Arc::new(github.clone()),
        public_url: Some("https://aegis.test".to_owned()),
    };
    let services = Services::new(
        deps,
        AuthSettings::default(),
        aegis_application::Limits::default(),
        aegis_application::jobs::JobSettings::default(),
    );
    let tenant = services
        .bootstrap
        .ensure_tenant("default", "Default")
        .await
        .unwrap();
    services
        .bootstrap
        .ensure_admin(&tenant, ADMIN, Some(PASSWORD.to_owned()))
        .await
        .unwrap();
    Harness {
        services,
        database,
        clock,
        tenant,
        queue,
        webhooks,
        signals,
        tracker,
        mail,
        sso_provider,
        github,
    }
}

impl Harness {
    fn context() -> RequestContext {
        RequestContext {
            request_id: Some("test".into()),
            client_ip: Some("192.0.2.1".into()),
            user_agent: None,
            api_key: None,
        }
    }

    async fn login(&self, email: &str, password: &str) -> Result<String, AuthError> {
        let credentials = Credentials {
            email: email.into(),
            password: password.into(),
        };
        self.services
            .auth
            .login(credentials, &Self::context())
            .await
            .map(|signed_in| match signed_in {
                SignIn::Tokens(pair) => pair.access_token,
                SignIn::MfaRequired {
                    challenge_token, ..
                } => challenge_token,
            })
    }

    async fn actor(&self, email: &str, password: &str, access: Access) -> Actor {
        let token = self.login(email, password).await.unwrap();
        self.services
            .auth
            .authenticate(&token, access)
            .await
            .unwrap()
    }

    fn system(&self) -> Initiator {
        Initiator::System {
            tenant: self.tenant.id,
        }
    }

    async fn create(&self, email: &str, role: &str) -> String {
        let request = NewUser {
            email: email.into(),
            display_name: None,
            role: role.into(),
            kind: None,
            password: None,
        };
        let created = self
            .services
            .users
            .create(&self.system(), request, None, &Self::context())
            .await
            .unwrap();
        created.generated_password.unwrap()
    }
}

#[tokio::test]
async fn a_pending_password_change_limits_access() {
    let h = harness().await;
    let token = h.login(ADMIN, PASSWORD).await.unwrap();
    let full = h.services.auth.authenticate(&token, Access::Full).await;
    assert!(matches!(full, Err(AuthError::PasswordChangeRequired)));
    assert!(
        h.services
            .auth
            .authenticate(&token, Access::PasswordChange)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn lockout_grows_and_expires_but_spares_the_last_admin() {
    let h = harness().await;
    let password = h.create("tech@aegis.test", "red_tech").await;
    for _ in 0..4 {
        assert!(matches!(
            h.login("tech@aegis.test", "nope").await,
            Err(AuthError::InvalidCredentials)
        ));
    }
    let locked = h.login("tech@aegis.test", "nope").await;
    assert!(matches!(
        locked,
        Err(AuthError::AccountLocked {
            retry_after_seconds: 30
        })
    ));
    assert!(matches!(
        h.login("tech@aegis.test", &password).await,
        Err(AuthError::AccountLocked { .. })
    ));
    h.clock.advance(Duration::seconds(31));
    // One more failure after the lock doubles it.
    assert!(matches!(
        h.login("tech@aegis.test", "nope").await,
        Err(AuthError::AccountLocked {
            retry_after_seconds: 60
        })
    ));
    h.clock.advance(Duration::seconds(61));
    assert!(h.login("tech@aegis.test", &password).await.is_ok());

    for _ in 0..20 {
        assert!(matches!(
            h.login(ADMIN, "nope").await,
            Err(AuthError::InvalidCredentials)
        ));
    }
    assert!(h.login(ADMIN, PASSWORD).await.is_ok());
}

#[tokio::test]
async fn a_reused_refresh_token_ends_the_family() {
    let h = harness().await;
    let credentials = Credentials {
        email: ADMIN.into(),
        password: PASSWORD.into(),
    };
    let SignIn::Tokens(first) = h
        .services
        .auth
        .login(credentials, &Harness::context())
        .await
        .unwrap()
    else {
        panic!("no second factor is enrolled");
    };
    let second = h
        .services
        .auth
        .refresh(&first.refresh_token, &Harness::context())
        .await
        .unwrap();
    let reuse = h
        .services
        .auth
        .refresh(&first.refresh_token, &Harness::context())
        .await;
    assert!(matches!(reuse, Err(AuthError::RefreshTokenReused)));
    let after = h
        .services
        .auth
        .refresh(&second.refresh_token, &Harness::context())
        .await;
    assert!(matches!(after, Err(AuthError::InvalidRefreshToken)));
    h.clock.advance(Duration::days(15));
    let expired = h
        .services
        .auth
        .authenticate(&second.access_token, Access::PasswordChange)
        .await;
    assert!(matches!(expired, Err(AuthError::TokenExpired)));
}

#[tokio::test]
async fn only_admins_manage_users_and_the_last_admin_stays() {
    let h = harness().await;
    let password = h.create("lead@aegis.test", "red_lead").await;
    let lead = h
        .actor("lead@aegis.test", &password, Access::PasswordChange)
        .await;
    let refused = h
        .services
        .users
        .list(
            &Initiator::User(lead),
            &Default::default(),
            Default::default(),
        )
        .await;
    assert!(matches!(refused, Err(UserError::Forbidden(_))));

    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    let demote = UserChanges {
        role: Some("viewer".into()),
        ..UserChanges::default()
    };
    let result = h
        .services
        .users
        .update(
            &Initiator::User(admin.clone()),
            admin.user_id,
            demote,
            &Harness::context(),
        )
        .await;
    assert!(matches!(result, Err(UserError::LastAdmin)));
}

#[tokio::test]
async fn idempotent_creation_replays_and_refuses_other_payloads() {
    let h = harness().await;
    let admin = Initiator::User(h.actor(ADMIN, PASSWORD, Access::PasswordChange).await);
    let key = IdempotencyKey::parse("create-rita").unwrap();
    let request = |email: &str| NewUser {
        email: email.into(),
        display_name: None,
        role: "viewer".into(),
        kind: None,
        password: None,
    };
    let users = &h.services.users;
    let first = users
        .create(
            &admin,
            request("rita@aegis.test"),
            Some(&key),
            &Harness::context(),
        )
        .await
        .unwrap();
    let again = users
        .create(
            &admin,
            request("rita@aegis.test"),
            Some(&key),
            &Harness::context(),
        )
        .await
        .unwrap();
    assert!(again.replayed && !first.replayed);
    assert_eq!(again.user, first.user);
    assert!(again.generated_password.is_none());
    let other = users
        .create(
            &admin,
            request("other@aegis.test"),
            Some(&key),
            &Harness::context(),
        )
        .await;
    assert!(matches!(other, Err(UserError::IdempotencyConflict)));
}

#[tokio::test]
async fn a_failed_change_leaves_no_audit_entry_and_the_chain_verifies() {
    let h = harness().await;
    h.create("dup@aegis.test", "viewer").await;
    let entries_before = h.database.state().audit.len();
    let duplicate = NewUser {
        email: "DUP@aegis.test".into(),
        display_name: None,
        role: "viewer".into(),
        kind: None,
        password: None,
    };
    let result = h
        .services
        .users
        .create(&h.system(), duplicate, None, &Harness::context())
        .await;
    assert!(matches!(result, Err(UserError::EmailTaken)));
    assert_eq!(h.database.state().audit.len(), entries_before);

    let admin = Initiator::User(h.actor(ADMIN, PASSWORD, Access::PasswordChange).await);
    let report = h.services.audit_log.verify(&admin).await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(
        report.entries_checked as usize,
        h.database.state().audit.len()
    );

    h.database.state().audit[1].record.action = "forged".into();
    let report = h.services.audit_log.verify(&admin).await.unwrap();
    assert_eq!(report.broken_at_sequence, Some(2));
    let _ = UserId::from_uuid(uuid::Uuid::nil());
}

#[tokio::test]
async fn stored_coverage_follows_the_calendar_when_recomputed() {
    use aegis_domain::catalog::TechniqueId;
    use aegis_domain::scoring::CoverageStatus;
    use aegis_domain::test_case::{BlueReport, Outcome, TestCase, TestId};
    use aegis_domain::workflow::{TestState, Verdict, Workflow};

    let h = harness().await;
    let technique = TechniqueId::parse("T1059.001").unwrap();
    let now = aegis_application::ports::Clock::now(h.clock.as_ref());
    let admin = UserId::from_uuid(uuid::Uuid::now_v7());
    let mut validated = TestCase::draft(
        TestId::from_uuid(uuid::Uuid::now_v7()),
        h.tenant.id,
        "Encoded cradle".into(),
        technique.clone(),
        admin,
        now,
    )
    .restored(
        Workflow::restore(
            TestState::Validated,
            Some(Verdict::Approve),
            Some(Verdict::Approve),
            false,
        ),
        1,
    );
    validated.platform = Some("Windows".into());
    validated.blue = BlueReport {
        outcome: Some(Outcome::Prevented),
        ..BlueReport::default()
    };
    validated.validated_at = Some(now);
    h.database.state().tests.push(validated);
    let uow = aegis_application::ports::Database::begin(&h.database)
        .await
        .unwrap();
    let fresh = aegis_application::coverage::refresh(
        uow.as_ref(),
        h.tenant.id,
        &technique,
        &aegis_domain::scoring::ScoringPolicy::default(),
        now,
    )
    .await
    .unwrap();
    uow.commit().await.unwrap();
    assert_eq!(fresh.score.status, CoverageStatus::Validated);

    h.clock.advance(Duration::days(200));
    assert_eq!(h.services.coverage.recompute_all().await.unwrap(), 1);
    let stored = h.database.state().scores[0].1.clone();
    assert_eq!(stored.score.status, CoverageStatus::Stale);
    assert!(stored.score.score < fresh.score.score);
    assert_eq!(stored.score.breakdown.freshness, 0.0);
}
