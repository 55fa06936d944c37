//! Single sign-on: the configuration's checks, a sign-in that provisions and maps groups to a
//! role, a state used once, just-in-time provisioning off, and "SSO only" sparing the
//! break-glass admin.

use aegis_application::auth::{Access, AuthError};
use aegis_application::sso::{ProviderAnswer, SsoConfigRequest, SsoError, VerifiedIdentity};
use aegis_domain::Role;

use super::*;

fn request() -> SsoConfigRequest {
    SsoConfigRequest {
        display_name: "Contoso".into(),
        issuer: "https://idp.example".into(),
        client_id: "aegis".into(),
        client_secret: Some("s3cret".into()),
        scopes: vec!["email".into(), "profile".into()],
        groups_claim: "groups".into(),
        role_mappings: vec![
            ("admins".into(), "admin".into()),
            ("red".into(), "red_tech".into()),
        ],
        default_role: Some("viewer".into()),
        jit_provisioning: true,
        sso_only: false,
        break_glass_email: None,
        enabled: true,
    }
}

fn person(subject: &str, groups: &[&str]) -> VerifiedIdentity {
    VerifiedIdentity {
        subject: subject.into(),
        email: Some(format!("{subject}@idp.test")),
        email_verified: true,
        name: Some(subject.to_uppercase()),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
    }
}

/// The state the provider would send back: read from the authorization URL.
fn state_of(url: &str) -> String {
    url.split("state=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .unwrap()
        .to_owned()
}

async fn sign_in(h: &Harness, who: VerifiedIdentity) -> Result<String, SsoError> {
    let url = h.services.sso.begin("default").await?;
    *h.sso_provider.identity.lock().unwrap() = Some(who);
    let answer = ProviderAnswer {
        state: state_of(&url),
        outcome: Ok("code".into()),
    };
    let pair = h.services.sso.complete(answer, &Harness::context()).await?;
    Ok(pair.access_token)
}

#[tokio::test]
async fn the_configuration_names_each_bad_field_and_is_for_admins() {
    let h = harness().await;
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    let bad = SsoConfigRequest {
        issuer: "ftp://idp.example".into(),
        client_secret: None,
        role_mappings: vec![("admins".into(), "root".into())],
        sso_only: true,
        ..request()
    };
    let Err(SsoError::Invalid(fields)) = h
        .services
        .sso
        .save_config(&admin, bad, &Harness::context())
        .await
    else {
        panic!("an invalid configuration was saved");
    };
    let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        named,
        [
            "issuer",
            "role_mappings[0].role",
            "break_glass_email",
            "client_secret"
        ]
    );
    let unreachable = SsoConfigRequest {
        issuer: "https://unreachable.example".into(),
        ..request()
    };
    let Err(SsoError::Invalid(fields)) = h
        .services
        .sso
        .save_config(&admin, unreachable, &Harness::context())
        .await
    else {
        panic!("a provider without discovery was saved");
    };
    assert_eq!(fields[0].field, "issuer");

    let password = h.create("viewer@aegis.test", "viewer").await;
    let viewer = h
        .actor("viewer@aegis.test", &password, Access::PasswordChange)
        .await;
    assert!(matches!(
        h.services
            .sso
            .save_config(&viewer, request(), &Harness::context())
            .await,
        Err(SsoError::Forbidden(_))
    ));
    let saved = h
        .services
        .sso
        .save_config(&admin, request(), &Harness::context())
        .await
        .unwrap();
    let sealed = saved.sealed_client_secret.unwrap();
    assert!(!sealed.contains("s3cret"));
    assert!(h.database.with(|s| {
        s.audit
            .iter()
            .any(|e| e.record.action == "sso.config_updated")
    }));
}

#[tokio::test]
async fn a_sign_in_provisions_maps_groups_and_spends_its_state() {
    let h = harness().await;
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    h.services
        .sso
        .save_config(&admin, request(), &Harness::context())
        .await
        .unwrap();
    let token = sign_in(&h, person("bob", &["staff", "red"])).await.unwrap();
    let bob = h
        .services
        .auth
        .authenticate(&token, Access::Full)
        .await
        .unwrap();
    assert_eq!(bob.role, Role::RedTech);
    assert_eq!(bob.email.as_str(), "bob@idp.test");
    // The nonce the provider is asked to check is the one sent with the request.
    let exchange = h.sso_provider.exchanges.lock().unwrap()[0].clone();
    assert_eq!(exchange.pkce_verifier, "verifier");

    // Again, with other groups: the same account, its role following the groups.
    let again = sign_in(&h, person("bob", &["admins"])).await.unwrap();
    let bob_again = h
        .services
        .auth
        .authenticate(&again, Access::Full)
        .await
        .unwrap();
    assert_eq!(bob_again.user_id, bob.user_id);
    assert_eq!(bob_again.role, Role::Admin);

    // A state comes back once.
    let url = h.services.sso.begin("default").await.unwrap();
    let answer = ProviderAnswer {
        state: state_of(&url),
        outcome: Ok("code".into()),
    };
    h.services
        .sso
        .complete(answer.clone(), &Harness::context())
        .await
        .unwrap();
    assert!(matches!(
        h.services.sso.complete(answer, &Harness::context()).await,
        Err(SsoError::InvalidState)
    ));
}

#[tokio::test]
async fn without_provisioning_an_unknown_person_is_refused_and_audited() {
    let h = harness().await;
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    let strict = SsoConfigRequest {
        jit_provisioning: false,
        default_role: None,
        ..request()
    };
    h.services
        .sso
        .save_config(&admin, strict, &Harness::context())
        .await
        .unwrap();
    assert!(matches!(
        sign_in(&h, person("mallory", &["admins"])).await,
        Err(SsoError::UnknownUser)
    ));
    assert!(matches!(
        sign_in(&h, person("nobody", &["staff"])).await,
        Err(SsoError::NoRole)
    ));
    assert!(h.database.with(|s| {
        s.audit
            .iter()
            .filter(|e| e.record.action == "sso.sign_in_refused")
            .count()
            == 2
    }));
}

#[tokio::test]
async fn sso_only_refuses_passwords_but_the_break_glass_admin() {
    let h = harness().await;
    let password = h.create("lead@aegis.test", "red_lead").await;
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    let only = SsoConfigRequest {
        sso_only: true,
        break_glass_email: Some(ADMIN.into()),
        ..request()
    };
    h.services
        .sso
        .save_config(&admin, only, &Harness::context())
        .await
        .unwrap();
    assert!(matches!(
        h.login("lead@aegis.test", &password).await,
        Err(AuthError::SsoRequired)
    ));
    assert!(matches!(
        h.login("lead@aegis.test", "wrong").await,
        Err(AuthError::InvalidCredentials)
    ));
    assert!(h.login(ADMIN, PASSWORD).await.is_ok());
}
