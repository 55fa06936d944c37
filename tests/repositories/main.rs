//! Repository integration tests: the same adapter code against a fresh SQLite file and a fresh
//! PostgreSQL database, per test.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    unreachable_pub,
    reason = "test code: a failed unwrap is a failed test"
)]

use chrono::{DateTime, Duration, SubsecRound, Utc};
use sea_orm_migration::MigratorTrait;
use uuid::Uuid;

use aegis_application::ports::Database;
use aegis_domain::Role;
use aegis_domain::audit::{AuditEntry, AuditEntryId, AuditRecord};
use aegis_domain::page::PageRequest;
use aegis_domain::ports::*;
use aegis_domain::session::{RefreshSession, RefreshSessionId, SessionFamilyId};
use aegis_domain::tenant::{Tenant, TenantId, TenantSlug};
use aegis_domain::user::{Email, User, UserId};
use aegis_infrastructure::persistence::{PoolSettings, SeaDatabase, connect};
use aegis_infrastructure::test_support::TestDatabase;
use aegis_migrations::Migrator;

mod evidence;

struct Store {
    db: SeaDatabase,
    _guard: TestDatabase,
}

// A scenario's `async move` block would otherwise capture only the fields it touches and drop
// the guard (and with it the database) before running: a type with `Drop` is captured whole.
impl Drop for Store {
    fn drop(&mut self) {}
}

async fn store(postgres: bool) -> Store {
    let guard = if postgres {
        TestDatabase::postgres().await
    } else {
        TestDatabase::sqlite().await
    };
    let db = connect(guard.url(), PoolSettings::new(5)).await.unwrap();
    Migrator::up(db.connection(), None).await.unwrap();
    Store { db, _guard: guard }
}

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

async fn tenant(db: &SeaDatabase, slug: &str) -> TenantId {
    let tenant = Tenant {
        id: TenantId::from_uuid(Uuid::now_v7()),
        slug: TenantSlug::parse(slug).unwrap(),
        name: slug.to_uppercase(),
        created_at: now(),
        disabled_at: None,
    };
    db.insert_tenant(&tenant).await.unwrap();
    tenant.id
}

fn user(tenant: TenantId, email: &str, role: Role) -> User {
    let at = now();
    User {
        id: UserId::from_uuid(Uuid::now_v7()),
        tenant_id: tenant,
        email: Email::parse(email).unwrap(),
        display_name: email.split('@').next().unwrap().to_owned(),
        role,
        kind: aegis_domain::user::UserKind::Person,
        password_hash: "$2b$04$hash".to_owned(),
        is_active: true,
        must_change_password: true,
        failed_login_attempts: 0,
        locked_until: None,
        credentials_changed_at: at,
        last_login_at: None,
        preferences: serde_json::json!({"theme": "dark"}),
        created_at: at,
        updated_at: at,
        deactivated_at: None,
    }
}

macro_rules! on_both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                let scenario = $body;
                scenario(store(false).await).await;
            }

            #[tokio::test]
            async fn postgres() {
                let scenario = $body;
                scenario(store(true).await).await;
            }
        }
    };
}

on_both!(
    users_round_trip_and_stay_in_their_tenant,
    |s: Store| async move {
        let db = &s.db;
        let a = tenant(db, "alpha").await;
        let b = tenant(db, "bravo").await;
        let ana = user(a, "ana@aegis.test", Role::RedLead);
        db.insert_user(a, &ana).await.unwrap();
        assert_eq!(db.find_user(a, ana.id).await.unwrap(), Some(ana.clone()));
        assert_eq!(
            db.find_user(b, ana.id).await.unwrap(),
            None,
            "invisible through another tenant"
        );
        assert_eq!(db.find_user_by_email(b, &ana.email).await.unwrap(), None);
        assert_eq!(
            db.find_user_for_login(&ana.email)
                .await
                .unwrap()
                .map(|u| u.id),
            Some(ana.id)
        );

        let duplicate = user(b, "ana@aegis.test", Role::Viewer);
        assert!(matches!(
            db.insert_user(b, &duplicate).await,
            Err(RepositoryError::Duplicate(Subject::Email))
        ));

        let mut changed = ana.clone();
        changed.role = Role::Admin;
        changed.failed_login_attempts = 3;
        changed.locked_until = Some(now() + Duration::minutes(1));
        changed.preferences = serde_json::json!({"theme": "light", "nested": {"a": [1, 2]}});
        db.update_user(a, &changed).await.unwrap();
        assert_eq!(
            db.find_user(a, ana.id).await.unwrap(),
            Some(changed.clone())
        );
        assert!(matches!(
            db.update_user(b, &changed).await,
            Err(RepositoryError::NotFound(_))
        ));
    }
);

on_both!(
    user_lists_filter_paginate_and_count_admins,
    |s: Store| async move {
        let db = &s.db;
        let t = tenant(db, "alpha").await;
        let other = tenant(db, "bravo").await;
        for (email, role) in [
            ("cy@a.test", Role::Viewer),
            ("ann@a.test", Role::Admin),
            ("bo@a.test", Role::Viewer),
            ("dee_x@a.test", Role::Admin),
        ] {
            db.insert_user(t, &user(t, email, role)).await.unwrap();
        }
        db.insert_user(other, &user(other, "zed@b.test", Role::Admin))
            .await
            .unwrap();
        let page = db
            .list_users(t, &UserFilter::default(), PageRequest::new(1, 2))
            .await
            .unwrap();
        assert_eq!(page.total, 4);
        assert_eq!(
            page.items
                .iter()
                .map(|u| u.email.as_str())
                .collect::<Vec<_>>(),
            ["ann@a.test", "bo@a.test"]
        );
        let viewers = UserFilter {
            role: Some(Role::Viewer),
            ..UserFilter::default()
        };
        assert_eq!(
            db.list_users(t, &viewers, PageRequest::default())
                .await
                .unwrap()
                .total,
            2
        );
        let text = UserFilter {
            text: Some("ANN".into()),
            ..UserFilter::default()
        };
        assert_eq!(
            db.list_users(t, &text, PageRequest::default())
                .await
                .unwrap()
                .total,
            1
        );
        // `_` is a literal, not a wildcard.
        let underscore = UserFilter {
            text: Some("e_x".into()),
            ..UserFilter::default()
        };
        assert_eq!(
            db.list_users(t, &underscore, PageRequest::default())
                .await
                .unwrap()
                .total,
            1
        );
        let wildcard = UserFilter {
            text: Some("%".into()),
            ..UserFilter::default()
        };
        assert_eq!(
            db.list_users(t, &wildcard, PageRequest::default())
                .await
                .unwrap()
                .total,
            0
        );

        assert_eq!(db.count_usable_admins(t, None, now()).await.unwrap(), 2);
        let mut locked = db
            .find_user_by_email(t, &Email::parse("ann@a.test").unwrap())
            .await
            .unwrap()
            .unwrap();
        locked.locked_until = Some(now() + Duration::minutes(5));
        db.update_user(t, &locked).await.unwrap();
        assert_eq!(db.count_usable_admins(t, None, now()).await.unwrap(), 1);
        assert_eq!(
            db.count_usable_admins(t, None, now() + Duration::minutes(6))
                .await
                .unwrap(),
            2
        );
        let dee = db
            .find_user_by_email(t, &Email::parse("dee_x@a.test").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            db.count_usable_admins(t, Some(dee.id), now())
                .await
                .unwrap(),
            0
        );
    }
);

on_both!(refresh_sessions_rotate_and_revoke, |s: Store| async move {
    let db = &s.db;
    let t = tenant(db, "alpha").await;
    let ana = user(t, "ana@aegis.test", Role::Viewer);
    db.insert_user(t, &ana).await.unwrap();
    let session = |family: SessionFamilyId, hash: &str| RefreshSession {
        id: RefreshSessionId::from_uuid(Uuid::now_v7()),
        tenant_id: t,
        user_id: ana.id,
        family_id: family,
        token_hash: hash.to_owned(),
        created_at: now(),
        expires_at: now() + Duration::days(1),
        used_at: None,
        revoked_at: None,
        client_ip: Some("192.0.2.1".into()),
        user_agent: None,
    };
    let one = SessionFamilyId::from_uuid(Uuid::now_v7());
    let two = SessionFamilyId::from_uuid(Uuid::now_v7());
    let first = session(one, "h1");
    db.insert_refresh_session(t, &first).await.unwrap();
    db.insert_refresh_session(t, &session(one, "h2"))
        .await
        .unwrap();
    db.insert_refresh_session(t, &session(two, "h3"))
        .await
        .unwrap();
    assert!(matches!(
        db.insert_refresh_session(t, &session(two, "h3")).await,
        Err(RepositoryError::Duplicate(Subject::RefreshToken))
    ));
    assert_eq!(
        db.find_refresh_session(t, "h1").await.unwrap(),
        Some(first.clone())
    );

    db.mark_refresh_session_used(t, first.id, now())
        .await
        .unwrap();
    assert!(
        db.find_refresh_session(t, "h1")
            .await
            .unwrap()
            .unwrap()
            .used_at
            .is_some()
    );
    db.revoke_user_sessions(t, ana.id, Some(two), now())
        .await
        .unwrap();
    assert!(
        db.find_refresh_session(t, "h2")
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_some()
    );
    assert!(
        db.find_refresh_session(t, "h3")
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_none(),
        "the kept family"
    );
    db.revoke_session_family(t, two, now()).await.unwrap();
    assert!(
        db.find_refresh_session(t, "h3")
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_some()
    );

    db.revoke_access_token(t, "jti-1", ana.id, now())
        .await
        .unwrap();
    db.revoke_access_token(t, "jti-1", ana.id, now())
        .await
        .unwrap();
    assert!(db.is_access_token_revoked(t, "jti-1").await.unwrap());
    assert!(!db.is_access_token_revoked(t, "jti-2").await.unwrap());
});

on_both!(idempotency_records_round_trip, |s: Store| async move {
    let db = &s.db;
    let t = tenant(db, "alpha").await;
    let record = IdempotencyRecord {
        tenant_id: t,
        actor_id: UserId::from_uuid(Uuid::now_v7()),
        scope: "users.create".into(),
        key: "k-1".into(),
        fingerprint: "f".repeat(64),
        response: serde_json::json!({"user": {"id": 1}}),
        created_at: now(),
    };
    db.insert_idempotency_record(t, &record).await.unwrap();
    let found = db
        .find_idempotency_record(t, record.actor_id, "users.create", "k-1")
        .await
        .unwrap();
    assert_eq!(found, Some(record.clone()));
    assert_eq!(
        db.find_idempotency_record(t, record.actor_id, "other.scope", "k-1")
            .await
            .unwrap(),
        None
    );
    assert!(matches!(
        db.insert_idempotency_record(t, &record).await,
        Err(RepositoryError::Duplicate(Subject::IdempotencyKey))
    ));
});

async fn append(db: &dyn Database, t: TenantId, action: &str, at: DateTime<Utc>) -> AuditEntry {
    let uow = db.begin().await.unwrap();
    let head = uow.lock_audit_head(t).await.unwrap();
    let record = AuditRecord::new(
        t,
        None,
        action,
        "user",
        Some("u1".into()),
        &serde_json::json!({"b": 1, "a": "é"}),
        None,
        Some("::1".into()),
        at,
    );
    let (entry, _) = AuditEntry::chain(&head, AuditEntryId::from_uuid(Uuid::now_v7()), record);
    uow.append_audit_entry(t, &entry).await.unwrap();
    uow.commit().await.unwrap();
    entry
}

on_both!(the_audit_chain_is_stored_exactly, |s: Store| async move {
    let db = &s.db;
    let t = tenant(db, "alpha").await;
    let other = tenant(db, "bravo").await;
    let start = now();
    let mut entries = Vec::new();
    for (i, action) in ["user.created", "auth.login", "user.created"]
        .into_iter()
        .enumerate()
    {
        entries.push(
            append(
                db,
                t,
                action,
                start + Duration::seconds(i64::try_from(i).unwrap()),
            )
            .await,
        );
    }
    append(db, other, "user.created", start).await;
    let head = db.lock_audit_head(t).await.unwrap();
    assert_eq!(
        (head.sequence, head.hash.clone()),
        (3, entries[2].hash.clone())
    );

    // Read back byte for byte: the hash still matches.
    let chain = db.audit_chain_batch(t, 0, 10).await.unwrap();
    assert_eq!(chain, entries);
    assert_eq!(
        db.audit_chain_batch(t, 1, 1).await.unwrap(),
        vec![entries[1].clone()]
    );

    let created = AuditFilter {
        action: Some("user.created".into()),
        ..AuditFilter::default()
    };
    let page = db
        .list_audit_entries(t, &created, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(page.items[0].sequence, 3, "newest first");
    let window = AuditFilter {
        from: Some(start + Duration::seconds(1)),
        to: Some(start + Duration::seconds(2)),
        ..AuditFilter::default()
    };
    assert_eq!(
        db.list_audit_entries(t, &window, PageRequest::default())
            .await
            .unwrap()
            .total,
        1
    );

    // A stale head (someone else appended meanwhile) cannot fork the chain.
    let stale = aegis_domain::tenant::AuditHead {
        sequence: 1,
        hash: entries[0].hash.clone(),
    };
    let record = AuditRecord::new(
        t,
        None,
        "forked",
        "user",
        None,
        &serde_json::json!({}),
        None,
        None,
        now(),
    );
    let (fork, _) = AuditEntry::chain(&stale, AuditEntryId::from_uuid(Uuid::now_v7()), record);
    assert!(matches!(
        db.append_audit_entry(t, &fork).await,
        Err(RepositoryError::Duplicate(Subject::AuditSequence))
    ));
});

on_both!(
    a_unit_of_work_dropped_without_commit_leaves_nothing,
    |s: Store| async move {
        let db = &s.db;
        let t = tenant(db, "alpha").await;
        {
            let uow = db.begin().await.unwrap();
            uow.insert_user(t, &user(t, "ghost@aegis.test", Role::Viewer))
                .await
                .unwrap();
            let head = uow.lock_audit_head(t).await.unwrap();
            let record = AuditRecord::new(
                t,
                None,
                "user.created",
                "user",
                None,
                &serde_json::json!({}),
                None,
                None,
                now(),
            );
            let (entry, _) =
                AuditEntry::chain(&head, AuditEntryId::from_uuid(Uuid::now_v7()), record);
            uow.append_audit_entry(t, &entry).await.unwrap();
            // Dropped here: an error path in a use case.
        }
        assert_eq!(
            db.find_user_for_login(&Email::parse("ghost@aegis.test").unwrap())
                .await
                .unwrap(),
            None
        );
        assert_eq!(db.lock_audit_head(t).await.unwrap().sequence, 0);
        assert!(db.audit_chain_batch(t, 0, 10).await.unwrap().is_empty());
    }
);

on_both!(migrations_go_down_and_up_again, |s: Store| async move {
    let connection = s.db.connection();
    Migrator::down(connection, None).await.unwrap();
    assert!(
        Migrator::get_applied_migrations(connection)
            .await
            .unwrap()
            .is_empty()
    );
    Migrator::up(connection, None).await.unwrap();
    assert!(
        Migrator::get_pending_migrations(connection)
            .await
            .unwrap()
            .is_empty()
    );
    tenant(&s.db, "again").await;
});

on_both!(
    a_stale_change_names_the_stored_version_and_a_missing_test_is_not_found,
    |s: Store| async move {
        use aegis_domain::catalog::TechniqueId;
        use aegis_domain::test_case::{TestCase, TestId};
        let db = &s.db;
        let t = tenant(db, "alpha").await;
        let author = user(t, "red@aegis.test", Role::RedLead);
        db.insert_user(t, &author).await.unwrap();
        let mut test = TestCase::draft(
            TestId::from_uuid(Uuid::now_v7()),
            t,
            "Encoded cradle".into(),
            TechniqueId::parse("T1059.001").unwrap(),
            author.id,
            now(),
        );
        db.insert_test(t, &test).await.unwrap();
        let mut first = test.clone();
        let based_on = first.record_change(now());
        db.update_test(t, &first, based_on).await.unwrap();
        // A second editor still holds version 1: refused, told the stored one is 2.
        let based_on = test.record_change(now());
        assert!(matches!(
            db.update_test(t, &test, based_on).await,
            Err(RepositoryError::StaleVersion { current: 2 })
        ));
        let ghost = TestCase::draft(
            TestId::from_uuid(Uuid::now_v7()),
            t,
            "Never stored".into(),
            TechniqueId::parse("T1003").unwrap(),
            author.id,
            now(),
        );
        assert!(matches!(
            db.update_test(t, &ghost, 1).await,
            Err(RepositoryError::NotFound(Entity::Test))
        ));
        assert_eq!(db.find_test(t, first.id).await.unwrap(), Some(first));
    }
);

mod alerts;
mod detection_lifecycle;
mod github;
mod notification_channels;

mod webhooks;
