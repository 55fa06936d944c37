//! Tenants an operator runs, over HTTP: the bootstrap admin (the installation's platform
//! operator) creates a tenant and its first admin; disabling it stops every way its users
//! sign in (password, refresh, access tokens, API keys) with a clear problem and keeps its
//! data; enabling it gives them back. Only operators reach the platform's routes; a tenant's
//! admin renames their own tenant.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

const ACME_ADMIN: &str = "admin@acme.test";
const ACME_PASSWORD: &str = "Acme#Keeper-2026-first";

/// Creates the `acme` tenant as the operator `operator`; returns the created answer.
async fn create_acme(app: &TestApp, operator: &str) -> Value {
    let response = app
        .client
        .post(app.url("/api/v1/platform/tenants"))
        .bearer_auth(operator)
        .json(&json!({
            "slug": "acme",
            "name": "Acme Corp",
            "admin_email": ACME_ADMIN,
            "admin_password": ACME_PASSWORD,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

on_both_databases!(
    an_operator_creates_disables_and_enables_a_tenant,
    |app: TestApp| async move {
        let operator = app.admin_token().await;
        let created = create_acme(&app, &operator).await;
        assert_eq!(created["tenant"]["slug"], "acme");
        assert_eq!(created["tenant"]["status"], "active");
        assert_eq!(created["admin"]["email"], ACME_ADMIN);
        assert_eq!(created["admin"]["role"], "admin");
        assert_eq!(created["admin"]["must_change_password"], true);
        assert!(
            created["admin_password"].is_null(),
            "the given password is not echoed"
        );
        let id = created["tenant"]["id"].as_str().unwrap().to_owned();
        assert_eq!(created["admin"]["tenant_id"], id.as_str());

        // Both tenants are listed; the new one is read by its id.
        let listed: Value = app
            .get("/api/v1/platform/tenants", &operator)
            .await
            .json()
            .await
            .unwrap();
        let slugs: Vec<&str> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["slug"].as_str().unwrap())
            .collect();
        assert_eq!(slugs, ["acme", "default"]);
        let one: Value = app
            .get(&format!("/api/v1/platform/tenants/{id}"), &operator)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(one["name"], "Acme Corp");

        // Acme's admin signs in, works, and holds a refresh token and an API key.
        let acme = app.ready_user(ACME_ADMIN, ACME_PASSWORD).await;
        let login: Value = app
            .login(ACME_ADMIN, NEW_PASSWORD)
            .await
            .json()
            .await
            .unwrap();
        let refresh_token = login["refresh_token"].as_str().unwrap().to_owned();
        let acme = login["access_token"].as_str().map_or(acme, str::to_owned);
        let key = app
            .send_ok(
                Method::POST,
                "/api/v1/api-keys",
                &acme,
                json!({"name": "acme pipeline", "scopes": ["read"]}),
            )
            .await["key"]
            .as_str()
            .unwrap()
            .to_owned();
        let (viewer_id, _) = app.user_with_role(&acme, "viewer").await;

        let disabled = app
            .send_ok(
                Method::POST,
                &format!("/api/v1/platform/tenants/{id}/disable"),
                &operator,
                json!({}),
            )
            .await;
        assert_eq!(disabled["status"], "disabled");
        assert!(disabled["disabled_at"].is_string());

        // Every way in is refused with a problem that says why.
        let refused = app.login(ACME_ADMIN, NEW_PASSWORD).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert_eq!(problem(refused).await["code"], "TENANT_DISABLED");
        let wrong = app.login(ACME_ADMIN, "not the password at all").await;
        assert_eq!(
            wrong.status(),
            StatusCode::UNAUTHORIZED,
            "without the password nothing is revealed"
        );
        let token = app.get("/api/v1/users", &acme).await;
        assert_eq!(token.status(), StatusCode::FORBIDDEN);
        assert_eq!(problem(token).await["code"], "TENANT_DISABLED");
        let keyed = app.get("/api/v1/users/me", &key).await;
        assert_eq!(keyed.status(), StatusCode::FORBIDDEN);
        assert_eq!(problem(keyed).await["code"], "TENANT_DISABLED");
        let refreshed = app
            .client
            .post(app.url("/api/v1/auth/refresh"))
            .json(&json!({"refresh_token": refresh_token}))
            .send()
            .await
            .unwrap();
        assert_eq!(refreshed.status(), StatusCode::FORBIDDEN);
        assert_eq!(problem(refreshed).await["code"], "TENANT_DISABLED");
        // The operator's own tenant goes on.
        assert_eq!(
            app.get("/api/v1/users", &operator).await.status(),
            StatusCode::OK
        );

        let enabled = app
            .send_ok(
                Method::POST,
                &format!("/api/v1/platform/tenants/{id}/enable"),
                &operator,
                json!({}),
            )
            .await;
        assert_eq!(enabled["status"], "active");
        assert!(enabled["disabled_at"].is_null());

        // Everything comes back as it was: the token, the key, the session, the data.
        assert_eq!(
            app.get("/api/v1/users/me", &acme).await.status(),
            StatusCode::OK
        );
        assert_eq!(
            app.get("/api/v1/users/me", &key).await.status(),
            StatusCode::OK
        );
        let refreshed = app
            .client
            .post(app.url("/api/v1/auth/refresh"))
            .json(&json!({"refresh_token": refresh_token}))
            .send()
            .await
            .unwrap();
        assert_eq!(refreshed.status(), StatusCode::OK, "the session was kept");
        let users: Value = app.get("/api/v1/users", &acme).await.json().await.unwrap();
        let ids: Vec<&str> = users["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap())
            .collect();
        assert!(ids.contains(&viewer_id.as_str()), "{users}");
        assert_eq!(
            app.login(ACME_ADMIN, NEW_PASSWORD).await.status(),
            StatusCode::OK
        );

        // Creating, disabling and enabling are in the new tenant's audit trail.
        let audit: Value = app
            .get("/api/v1/audit-logs?per_page=100", &acme)
            .await
            .json()
            .await
            .unwrap();
        let actions: Vec<&str> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        for action in [
            "tenant.created",
            "user.created",
            "tenant.disabled",
            "tenant.enabled",
        ] {
            assert!(actions.contains(&action), "{action} in {actions:?}");
        }
        // And in the operator's.
        let audit: Value = app
            .get("/api/v1/audit-logs?per_page=100", &operator)
            .await
            .json()
            .await
            .unwrap();
        let actions: Vec<&str> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        for action in [
            "platform.tenant_created",
            "platform.tenant_disabled",
            "platform.tenant_enabled",
        ] {
            assert!(actions.contains(&action), "{action} in {actions:?}");
        }
    }
);

on_both_databases!(
    only_operators_run_tenants_and_bad_requests_name_the_field,
    |app: TestApp| async move {
        let operator = app.admin_token().await;

        // A generated password is shown once.
        let created = app
            .send_ok(
                Method::POST,
                "/api/v1/platform/tenants",
                &operator,
                json!({"slug": "globex", "name": "Globex", "admin_email": "boss@globex.test"}),
            )
            .await;
        let password = created["admin_password"].as_str().unwrap().to_owned();
        let globex = app.ready_user("boss@globex.test", &password).await;
        let globex_id = created["tenant"]["id"].as_str().unwrap().to_owned();

        // A tenant's admin is no operator, and neither is any API key.
        for path in [
            "/api/v1/platform/tenants".to_owned(),
            format!("/api/v1/platform/tenants/{globex_id}"),
        ] {
            let refused = app.get(&path, &globex).await;
            assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{path}");
            assert_eq!(problem(refused).await["code"], "PLATFORM_OPERATOR_REQUIRED");
        }
        let key = app
            .send_ok(
                Method::POST,
                "/api/v1/api-keys",
                &operator,
                json!({"name": "operator's key", "scopes": ["write"]}),
            )
            .await["key"]
            .as_str()
            .unwrap()
            .to_owned();
        let keyed = app.get("/api/v1/platform/tenants", &key).await;
        assert_eq!(keyed.status(), StatusCode::FORBIDDEN);
        assert_eq!(problem(keyed).await["code"], "PLATFORM_OPERATOR_REQUIRED");
        let default_id = app
            .get("/api/v1/tenant", &operator)
            .await
            .json::<Value>()
            .await
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let disable = post(
            &app,
            &format!("/api/v1/platform/tenants/{default_id}/disable"),
            &globex,
            json!({}),
        )
        .await;
        assert_eq!(disable.status(), StatusCode::FORBIDDEN);
        let create = post(
            &app,
            "/api/v1/platform/tenants",
            &globex,
            json!({"slug": "sneaky", "name": "Sneaky", "admin_email": "x@sneaky.test"}),
        )
        .await;
        assert_eq!(create.status(), StatusCode::FORBIDDEN);

        // The operator cannot lock themselves out.
        let own = post(
            &app,
            &format!("/api/v1/platform/tenants/{default_id}/disable"),
            &operator,
            json!({}),
        )
        .await;
        assert_eq!(own.status(), StatusCode::CONFLICT);
        assert_eq!(problem(own).await["code"], "OWN_TENANT");

        // Bad input names its field; taken slugs and emails conflict; nothing is half-made.
        let bad = post(
            &app,
            "/api/v1/platform/tenants",
            &operator,
            json!({"slug": "Not A Slug", "name": " ", "admin_email": "nobody"}),
        )
        .await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<String> = problem(bad).await["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(fields, ["slug", "name", "admin_email"]);
        let weak = post(
            &app,
            "/api/v1/platform/tenants",
            &operator,
            json!({"slug": "initech", "name": "Initech", "admin_email": "a@initech.test",
                "admin_password": "short"}),
        )
        .await;
        assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem(weak).await["errors"][0]["field"], "admin_password");
        let taken = post(
            &app,
            "/api/v1/platform/tenants",
            &operator,
            json!({"slug": "globex", "name": "Again", "admin_email": "other@globex.test"}),
        )
        .await;
        assert_eq!(taken.status(), StatusCode::CONFLICT);
        assert_eq!(problem(taken).await["code"], "TENANT_SLUG_TAKEN");
        let email = post(
            &app,
            "/api/v1/platform/tenants",
            &operator,
            json!({"slug": "initech", "name": "Initech", "admin_email": ADMIN_EMAIL}),
        )
        .await;
        assert_eq!(email.status(), StatusCode::CONFLICT);
        assert_eq!(problem(email).await["code"], "EMAIL_TAKEN");
        let listed: Value = app
            .get("/api/v1/platform/tenants", &operator)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            listed.as_array().unwrap().len(),
            2,
            "the refused creations left no tenant behind: {listed}"
        );
        let missing = app
            .get(
                &format!("/api/v1/platform/tenants/{}", uuid::Uuid::now_v7()),
                &operator,
            )
            .await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert_eq!(problem(missing).await["code"], "TENANT_NOT_FOUND");
    }
);

on_both_databases!(
    an_admin_reads_and_renames_their_tenant,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;
        let tenant: Value = app
            .get("/api/v1/tenant", &viewer)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(tenant["slug"], "default");
        assert_eq!(tenant["links"]["mfa_policy"], "/api/v1/mfa/policy");

        let rename = |token: String, name: &'static str| {
            let app = &app;
            async move {
                app.client
                    .patch(app.url("/api/v1/tenant"))
                    .bearer_auth(token)
                    .json(&json!({"name": name}))
                    .send()
                    .await
                    .unwrap()
            }
        };
        let refused = rename(viewer.clone(), "Viewers Inc").await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let blank = rename(admin.clone(), "   ").await;
        assert_eq!(blank.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem(blank).await["errors"][0]["field"], "name");
        let renamed: Value = rename(admin.clone(), "  Blue Harbor Bank ")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(renamed["name"], "Blue Harbor Bank");
        let seen: Value = app
            .get("/api/v1/tenant", &viewer)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(seen["name"], "Blue Harbor Bank");
    }
);

on_both_databases!(
    the_same_idempotency_key_gives_the_same_tenant_once,
    |app: TestApp| async move {
        let operator = app.admin_token().await;
        let create = |body: Value, key: &'static str| {
            app.client
                .post(app.url("/api/v1/platform/tenants"))
                .bearer_auth(&operator)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
        };
        let globex =
            json!({"slug": "globex", "name": "Globex", "admin_email": "admin@globex.test"});
        let first = create(globex.clone(), "onboard-globex").await.unwrap();
        assert_eq!(first.status(), StatusCode::CREATED);
        let first: Value = first.json().await.unwrap();
        assert!(first["admin_password"].is_string(), "generated, shown once");

        // A retried request (the answer was lost on the way): the same tenant, once.
        let again = create(globex.clone(), "onboard-globex").await.unwrap();
        assert_eq!(again.status(), StatusCode::OK);
        let again: Value = again.json().await.unwrap();
        assert_eq!(again["tenant"]["id"], first["tenant"]["id"]);
        assert_eq!(again["admin"]["id"], first["admin"]["id"]);
        assert!(again["admin_password"].is_null(), "never kept: {again}");

        let other = create(
            json!({"slug": "initech", "name": "Initech", "admin_email": "admin@initech.test"}),
            "onboard-globex",
        )
        .await
        .unwrap();
        assert_eq!(other.status(), StatusCode::CONFLICT);
        assert_eq!(problem(other).await["code"], "IDEMPOTENCY_KEY_REUSED");

        let tenants: Value = app
            .get("/api/v1/platform/tenants", &operator)
            .await
            .json()
            .await
            .unwrap();
        let globexes = tenants
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["slug"] == "globex")
            .count();
        assert_eq!(globexes, 1, "{tenants}");
    }
);
