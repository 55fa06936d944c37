//! API keys: shown once, stored as a hash, narrowed by scopes, refused once revoked or
//! expired, never managing keys themselves, and audited under their name.

use chrono::Duration;

use aegis_application::api_keys::{ApiKeyChanges, ApiKeyError, NewApiKey};
use aegis_application::auth::{Access, AuthError};
use aegis_application::context::KeyUse;
use aegis_application::ports::Clock;
use aegis_application::users::NewUser;
use aegis_domain::api_key::Scope;
use aegis_domain::permission::Action;

use super::*;

fn new_key(name: &str, scopes: &[&str]) -> NewApiKey {
    NewApiKey {
        name: name.into(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        expires_at: None,
        owner_id: None,
    }
}

#[tokio::test]
async fn a_key_acts_as_its_owner_narrowed_by_its_scopes() {
    let h = harness().await;
    let password = h.create("lead@aegis.test", "red_lead").await;
    let lead = h
        .actor("lead@aegis.test", &password, Access::PasswordChange)
        .await;
    let created = h
        .services
        .api_keys
        .create(
            &lead,
            new_key("ci", &["read", "tests:write"]),
            &Harness::context(),
        )
        .await
        .unwrap();
    assert!(created.secret.starts_with("aegis_"));
    let stored = h.database.with(|s| s.api_keys.clone());
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].secret_hash.contains(&created.secret));
    assert_ne!(stored[0].secret_hash, created.secret);

    let actor = h
        .services
        .api_keys
        .authenticate(&created.secret, Some("198.51.100.7"))
        .await
        .unwrap();
    assert_eq!(actor.user_id, lead.user_id);
    assert!(actor.authorize(Action::PlanTests).is_ok());
    assert!(actor.authorize(Action::ReadOperations).is_ok());
    let refused = actor
        .authorize_with(Action::ExecuteRed, Scope::EvidenceWrite)
        .unwrap_err();
    assert_eq!(refused.missing_scope, Some(Scope::EvidenceWrite));
    assert!(refused.to_string().contains("evidence:write"), "{refused}");
    // The role still bounds the key: a red lead's key cannot evaluate blue.
    let role_refusal = actor.authorize(Action::EvaluateBlue).unwrap_err();
    assert_eq!(role_refusal.missing_scope, None);

    let used = h.database.with(|s| s.api_keys[0].clone());
    assert_eq!(used.last_used_ip.as_deref(), Some("198.51.100.7"));
    assert_eq!(used.last_used_at, Some(h.clock.now()));
}

#[tokio::test]
async fn keys_cannot_manage_keys_and_stop_when_revoked_or_expired() {
    let h = harness().await;
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    let mut request = new_key("expiring", &["write"]);
    request.expires_at = Some(h.clock.now() + Duration::hours(1));
    let expiring = h
        .services
        .api_keys
        .create(&admin, request, &Harness::context())
        .await
        .unwrap();
    let by_key = h
        .services
        .api_keys
        .authenticate(&expiring.secret, None)
        .await
        .unwrap();
    assert!(matches!(
        h.services
            .api_keys
            .create(&by_key, new_key("more", &["write"]), &Harness::context())
            .await,
        Err(ApiKeyError::NotInteractive)
    ));
    h.clock.advance(Duration::hours(2));
    assert!(matches!(
        h.services
            .api_keys
            .authenticate(&expiring.secret, None)
            .await,
        Err(AuthError::TokenExpired)
    ));

    let revoked = h
        .services
        .api_keys
        .create(&admin, new_key("revoked", &["read"]), &Harness::context())
        .await
        .unwrap();
    h.services
        .api_keys
        .revoke(&admin, revoked.key.id, &Harness::context())
        .await
        .unwrap();
    assert!(matches!(
        h.services
            .api_keys
            .authenticate(&revoked.secret, None)
            .await,
        Err(AuthError::TokenRevoked)
    ));
    let mut forged = revoked.secret.clone();
    forged.pop();
    forged.push('0');
    assert!(matches!(
        h.services.api_keys.authenticate(&forged, None).await,
        Err(AuthError::InvalidToken)
    ));
    let listed = h.services.api_keys.list(&admin, false).await.unwrap();
    let statuses: Vec<_> = listed.iter().map(|k| k.status).collect();
    assert_eq!(statuses, ["revoked", "expired"]);
}

#[tokio::test]
async fn bad_input_names_the_field_and_others_keys_are_not_found() {
    let h = harness().await;
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    let Err(ApiKeyError::Invalid(fields)) = h
        .services
        .api_keys
        .create(&admin, new_key(" ", &["tests:delete"]), &Harness::context())
        .await
    else {
        panic!("refused");
    };
    let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(names, ["name", "scopes"]);

    let password = h.create("viewer@aegis.test", "viewer").await;
    let viewer = h
        .actor("viewer@aegis.test", &password, Access::PasswordChange)
        .await;
    let admins = h
        .services
        .api_keys
        .create(&admin, new_key("admin's", &["read"]), &Harness::context())
        .await
        .unwrap();
    assert!(matches!(
        h.services.api_keys.get(&viewer, admins.key.id).await,
        Err(ApiKeyError::NotFound)
    ));
    assert!(matches!(
        h.services
            .api_keys
            .update(
                &viewer,
                admins.key.id,
                ApiKeyChanges::default(),
                &Harness::context()
            )
            .await,
        Err(ApiKeyError::NotFound)
    ));
    assert!(matches!(
        h.services.api_keys.list(&viewer, true).await,
        Err(ApiKeyError::Forbidden(_))
    ));
    // A viewer cannot give keys to someone else.
    let mut for_admin = new_key("theirs", &["read"]);
    for_admin.owner_id = Some(admin.user_id.as_uuid());
    assert!(matches!(
        h.services
            .api_keys
            .create(&viewer, for_admin, &Harness::context())
            .await,
        Err(ApiKeyError::Forbidden(_))
    ));
}

#[tokio::test]
async fn service_accounts_have_no_password_and_act_through_keys_audited_by_name() {
    let h = harness().await;
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    let service = h
        .services
        .users
        .create(
            &h.system(),
            NewUser {
                email: "pipeline@aegis.test".into(),
                display_name: Some("Pipeline".into()),
                role: "red_lead".into(),
                kind: Some("service".into()),
                password: None,
            },
            None,
            &Harness::context(),
        )
        .await
        .unwrap();
    assert_eq!(service.user.kind, "service");
    assert_eq!(service.generated_password, None);
    assert!(matches!(
        h.login("pipeline@aegis.test", "!").await,
        Err(AuthError::InvalidCredentials)
    ));
    let mut request = new_key("pipeline", &["write"]);
    request.owner_id = Some(service.user.id);
    let created = h
        .services
        .api_keys
        .create(&admin, request, &Harness::context())
        .await
        .unwrap();
    let actor = h
        .services
        .api_keys
        .authenticate(&created.secret, None)
        .await
        .unwrap();
    assert_eq!(actor.user_id.as_uuid(), service.user.id);

    // A change made with the key records the key's name in the audit trail.
    let context = RequestContext {
        api_key: Some(KeyUse {
            id: aegis_domain::api_key::ApiKeyId::from_uuid(created.key.id),
            name: "pipeline".into(),
        }),
        ..Harness::context()
    };
    h.services
        .notifications
        .mark_read(&actor, None, &context)
        .await
        .unwrap();
    let last = h.database.with(|s| s.audit.last().cloned()).unwrap();
    assert!(
        last.record.details.contains("\"pipeline\""),
        "{:?}",
        last.record
    );
}
