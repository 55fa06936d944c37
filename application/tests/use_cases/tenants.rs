//! Tenants an operator runs: a tenant and its first admin are one transaction; only platform
//! operators (the default tenant's bootstrap admin, signed in) run tenants; a disabled
//! tenant's users cannot sign in until it is enabled.

use aegis_application::auth::{Access, AuthError};
use aegis_application::tenants::{NewTenant, TenantError};
use aegis_domain::user::Email;

use super::*;

const ACME_ADMIN: &str = "admin@acme.test";
const ACME_PASSWORD: &str = "Acme#Keeper-2026-first";

fn acme(admin_email: &str) -> NewTenant {
    NewTenant {
        slug: "acme".into(),
        name: "Acme Corp".into(),
        admin_email: admin_email.into(),
        admin_password: Some(ACME_PASSWORD.into()),
    }
}

#[tokio::test]
async fn a_tenant_and_its_first_admin_are_one_transaction() {
    let h = harness().await;
    let context = Harness::context();
    let taken = h
        .services
        .tenants
        .create(&h.system(), acme(ADMIN), None, &context)
        .await;
    assert!(matches!(taken, Err(TenantError::EmailTaken)), "{taken:?}");
    assert!(
        h.database
            .with(|s| s.tenants.iter().all(|t| t.slug.as_str() != "acme")),
        "the refused admin left no tenant behind"
    );

    let created = h
        .services
        .tenants
        .create(&h.system(), acme(ACME_ADMIN), None, &context)
        .await
        .unwrap();
    assert_eq!(created.tenant.status, "active");
    assert_eq!(created.admin.role, "admin");
    assert!(created.admin.must_change_password);
    assert_eq!(created.generated_password, None);
    let admin = h
        .database
        .with(|s| {
            s.users
                .iter()
                .find(|u| u.email == Email::parse(ACME_ADMIN).unwrap())
                .cloned()
        })
        .unwrap();
    assert_eq!(admin.tenant_id.as_uuid(), created.tenant.id);
    let chain: Vec<String> = h.database.with(|s| {
        s.audit
            .iter()
            .filter(|e| e.record.tenant_id.as_uuid() == created.tenant.id)
            .map(|e| e.record.action.clone())
            .collect()
    });
    assert_eq!(chain, ["tenant.created", "user.created"]);

    let again = h
        .services
        .tenants
        .create(&h.system(), acme("other@acme.test"), None, &context)
        .await;
    assert!(matches!(again, Err(TenantError::SlugTaken)), "{again:?}");
}

#[tokio::test]
async fn only_platform_operators_run_tenants() {
    let h = harness().await;
    let operator = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    assert!(h.services.tenants.is_operator(&operator).await.unwrap());
    let password = h.create("second.admin@aegis.test", "admin").await;
    let admin = h
        .actor("second.admin@aegis.test", &password, Access::PasswordChange)
        .await;
    let refused = h
        .services
        .tenants
        .list(&Initiator::User(admin.clone()))
        .await;
    assert!(
        matches!(refused, Err(TenantError::NotOperator)),
        "{refused:?}"
    );
    let listed = h
        .services
        .tenants
        .list(&Initiator::User(operator.clone()))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);

    let own = h
        .services
        .tenants
        .disable(
            &Initiator::User(operator),
            h.tenant.id.as_uuid(),
            &Harness::context(),
        )
        .await;
    assert!(matches!(own, Err(TenantError::OwnTenant)), "{own:?}");

    h.services
        .tenants
        .grant_operator(&h.system(), "second.admin@aegis.test", &Harness::context())
        .await
        .unwrap();
    assert!(h.services.tenants.is_operator(&admin).await.unwrap());
}

#[tokio::test]
async fn a_disabled_tenant_signs_nobody_in_until_enabled() {
    let h = harness().await;
    let context = Harness::context();
    let created = h
        .services
        .tenants
        .create(&h.system(), acme(ACME_ADMIN), None, &context)
        .await
        .unwrap();
    let token = h.login(ACME_ADMIN, ACME_PASSWORD).await.unwrap();
    h.services
        .tenants
        .disable(&h.system(), created.tenant.id, &context)
        .await
        .unwrap();
    assert!(matches!(
        h.login(ACME_ADMIN, ACME_PASSWORD).await,
        Err(AuthError::TenantDisabled)
    ));
    assert!(matches!(
        h.login(ACME_ADMIN, "not the password").await,
        Err(AuthError::InvalidCredentials)
    ));
    assert!(matches!(
        h.services
            .auth
            .authenticate(&token, Access::PasswordChange)
            .await,
        Err(AuthError::TenantDisabled)
    ));
    // The default tenant goes on.
    assert!(h.login(ADMIN, PASSWORD).await.is_ok());

    let enabled = h
        .services
        .tenants
        .enable(&h.system(), created.tenant.id, &context)
        .await
        .unwrap();
    assert_eq!(enabled.status, "active");
    assert!(
        h.services
            .auth
            .authenticate(&token, Access::PasswordChange)
            .await
            .is_ok()
    );
}
