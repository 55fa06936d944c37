//! Single sign-on over HTTP through a real OpenID provider: the certified `oidc-provider`
//! package run by `scripts/oidc-provider.mjs` (scripts/test.sh starts it and exports
//! `AEGIS_TEST_OIDC_ISSUER`). A cookie-keeping client plays the browser: it follows the
//! redirects to the provider, posts the provider's login form, and brings the code back to
//! Aegis's callback. The app announces `https://aegis.example` as its public URL, which is the
//! redirect URI registered at the provider; the browser here delivers that address to the
//! app's real port.

use reqwest::{Method, StatusCode, Url};
use serde_json::{Value, json};

use crate::helpers::*;

const CLIENT_ID: &str = "aegis";
const CLIENT_SECRET: &str = "aegis-oidc-test-secret-0123456789";
const PUBLIC_URL: &str = "https://aegis.example";

/// The provider's issuer, or `None` (and a note) when the test command did not start one.
fn issuer() -> Option<String> {
    let issuer = std::env::var("AEGIS_TEST_OIDC_ISSUER").ok();
    if issuer.is_none() {
        eprintln!(
            "skipped: AEGIS_TEST_OIDC_ISSUER is not set (scripts/test.sh starts the OpenID provider, \
             scripts/oidc-provider.mjs)"
        );
    }
    issuer
}

/// Allows the provider's loopback address and configures it for the default tenant.
async fn configure(app: &TestApp, admin: &str, issuer: &str, changes: Value) -> Value {
    app.send_ok(
        Method::PUT,
        "/api/v1/webhooks/allow-list",
        admin,
        json!({"entries": ["127.0.0.1"]}),
    )
    .await;
    let mut body = json!({
        "display_name": "Test IdP",
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scopes": ["email", "profile", "groups"],
        "groups_claim": "groups",
        "role_mappings": [
            {"group": "aegis-admins", "role": "admin"},
            {"group": "red-team", "role": "red_tech"},
            {"group": "blue-team", "role": "blue_tech"},
        ],
        "default_role": "viewer",
        "jit_provisioning": true,
    });
    if let (Some(body), Some(changes)) = (body.as_object_mut(), changes.as_object()) {
        for (key, value) in changes {
            body.insert(key.clone(), value.clone());
        }
    }
    app.send_ok(Method::PUT, "/api/v1/sso/config", admin, body)
        .await
}

/// A browser: keeps the provider's cookies, follows nothing by itself.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Where a redirect answer points, resolved against the request's URL.
fn location(response: &reqwest::Response) -> Url {
    let target = response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location in a {} answer", response.status()))
        .to_str()
        .unwrap();
    response.url().join(target).unwrap()
}

/// The authorization URL `GET /sso/login` redirects to.
async fn start(app: &TestApp) -> Url {
    let response = app
        .client
        .get(app.url("/api/v1/sso/login?tenant=default"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    location(&response)
}

/// Signs `login` in at the provider from `authorization` and returns the callback URL the
/// provider sends the browser to, pointed at the app's real port.
async fn at_provider(app: &TestApp, authorization: Url, login: &str) -> Url {
    let browser = browser();
    let mut next = authorization;
    let mut submitted = false;
    for _ in 0..10 {
        if next.as_str().starts_with(PUBLIC_URL) {
            let path = &next.as_str()[PUBLIC_URL.len()..];
            return Url::parse(&app.url(path)).unwrap();
        }
        let response = browser.get(next.clone()).send().await.unwrap();
        if response.status().is_redirection() {
            next = location(&response);
            continue;
        }
        assert_eq!(response.status(), StatusCode::OK, "at {next}");
        assert!(!submitted, "the provider asked for the login twice");
        // The provider's login form: post the login (its development interactions take any
        // password) to the form's action.
        let page_url = response.url().clone();
        let page = response.text().await.unwrap();
        let action = page
            .split("action=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("no login form at {page_url}: {page}"));
        let posted = browser
            .post(page_url.join(action).unwrap())
            .form(&[("prompt", "login"), ("login", login), ("password", "any")])
            .send()
            .await
            .unwrap();
        assert!(posted.status().is_redirection(), "{}", posted.status());
        submitted = true;
        next = location(&posted);
    }
    panic!("the provider never sent the browser back");
}

/// The whole sign-in of `login`: Aegis's answer to the provider's redirect.
async fn sign_in(app: &TestApp, login: &str) -> reqwest::Response {
    let authorization = start(app).await;
    let callback = at_provider(app, authorization, login).await;
    app.client.get(callback).send().await.unwrap()
}

/// The access token the callback set as the session cookie.
fn session_token(response: &reqwest::Response) -> String {
    response
        .cookies()
        .find(|c| c.name() == "aegis_token")
        .map(|c| c.value().to_owned())
        .expect("the callback sets the session cookie")
}

async fn me(app: &TestApp, token: &str) -> Value {
    let response = app.get("/api/v1/auth/me", token).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn with_query(url: &Url, name: &str, value: &str) -> Url {
    let mut changed = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name {
                value.to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    changed.query_pairs_mut().clear().extend_pairs(pairs);
    changed
}

/// What a problem says (its title and detail), lowercased.
fn detail(problem: &Value) -> String {
    format!(
        "{} {}",
        problem["title"].as_str().unwrap_or_default(),
        problem["detail"].as_str().unwrap_or_default()
    )
    .to_lowercase()
}

fn query(url: &Url, name: &str) -> String {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

on_both_databases!(
    a_sign_in_provisions_the_person_with_the_role_of_their_groups,
    |app: TestApp| async move {
        let Some(issuer) = issuer() else { return };
        let admin = app.admin_token().await;
        let saved = configure(&app, &admin, &issuer, json!({})).await;
        assert_eq!(saved["client_secret_set"], true);
        assert!(saved.get("client_secret").is_none());
        assert_eq!(
            saved["redirect_uri"],
            "https://aegis.example/api/v1/sso/callback"
        );
        let listed: Value = app
            .client
            .get(app.url("/api/v1/sso/providers?tenant=default"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(listed["providers"][0]["display_name"], "Test IdP");
        assert_eq!(
            listed["providers"][0]["login_url"],
            "/api/v1/sso/login?tenant=default"
        );

        // The authorization request: code flow with S256 PKCE, our client, state and nonce.
        let authorization = start(&app).await;
        assert!(authorization.as_str().starts_with(&issuer));
        assert_eq!(query(&authorization, "response_type"), "code");
        assert_eq!(query(&authorization, "client_id"), CLIENT_ID);
        assert_eq!(query(&authorization, "code_challenge_method"), "S256");
        assert!(!query(&authorization, "nonce").is_empty());
        assert!(query(&authorization, "scope").contains("openid"));

        let callback = at_provider(&app, authorization, "bob").await;
        let signed_in = app.client.get(callback).send().await.unwrap();
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
        assert_eq!(signed_in.headers()["location"], "/");
        assert!(
            signed_in
                .cookies()
                .any(|c| c.name() == "aegis_refresh" && !c.value().is_empty())
        );
        let token = session_token(&signed_in);
        let bob = me(&app, &token).await;
        assert_eq!(bob["email"], "bob@idp.test");
        assert_eq!(bob["role"], "red_tech");
        assert_eq!(bob["display_name"], "Bob Red");
        // Our own token reaches the API as any sign-in's does.
        assert_eq!(
            app.get("/api/v1/tests", &token).await.status(),
            StatusCode::OK
        );

        // A second sign-in reuses the account.
        let again = sign_in(&app, "bob").await;
        assert_eq!(again.status(), StatusCode::SEE_OTHER);
        assert_eq!(me(&app, &session_token(&again)).await["id"], bob["id"]);

        // Alice is in aegis-admins; Dave is in no group, so gets the default role.
        let alice = sign_in(&app, "alice").await;
        assert_eq!(me(&app, &session_token(&alice)).await["role"], "admin");
        let dave = sign_in(&app, "dave").await;
        assert_eq!(me(&app, &session_token(&dave)).await["role"], "viewer");

        let audit: Value = app
            .get("/api/v1/audit-logs?action=sso.user_provisioned", &admin)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(audit["items"].as_array().unwrap().len(), 3);
        let logins: Value = app
            .get("/api/v1/audit-logs?action=auth.login", &admin)
            .await
            .json()
            .await
            .unwrap();
        assert!(
            logins["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["details"]["method"] == "sso")
        );
    }
);

on_both_databases!(
    without_provisioning_an_unknown_person_is_refused,
    |app: TestApp| async move {
        let Some(issuer) = issuer() else { return };
        let admin = app.admin_token().await;
        configure(&app, &admin, &issuer, json!({"jit_provisioning": false})).await;
        let refused = sign_in(&app, "carol").await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert_eq!(problem(refused).await["code"], "SSO_UNKNOWN_USER");

        // An account an admin made first is linked by its verified email.
        let (_, temporary) = app.create_user(&admin, "erin@idp.test", "viewer").await;
        let erin = sign_in(&app, "erin").await;
        assert_eq!(erin.status(), StatusCode::SEE_OTHER);
        let token = session_token(&erin);
        let erin = me(&app, &token).await;
        assert_eq!(erin["role"], "blue_tech", "the role follows the groups");
        // The provider vouched for her: the session is not held at a password change, and
        // the temporary password she never used is void.
        assert_eq!(erin["must_change_password"], false, "{erin}");
        let tests = app.get("/api/v1/tests", &token).await;
        assert_eq!(tests.status(), StatusCode::OK);
        let with_temporary = app.login("erin@idp.test", &temporary).await;
        assert_eq!(with_temporary.status(), StatusCode::UNAUTHORIZED);
    }
);

on_both_databases!(
    a_tampered_or_replayed_state_is_refused,
    |app: TestApp| async move {
        let Some(issuer) = issuer() else { return };
        let admin = app.admin_token().await;
        configure(&app, &admin, &issuer, json!({})).await;
        let callback = at_provider(&app, start(&app).await, "bob").await;
        let state = query(&callback, "state");
        let mut forged = state.clone();
        forged.pop();
        forged.push(if state.ends_with('A') { 'B' } else { 'A' });
        let tampered = app
            .client
            .get(with_query(&callback, "state", &forged))
            .send()
            .await
            .unwrap();
        assert_eq!(tampered.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(problem(tampered).await["code"], "INVALID_SSO_STATE");

        let first = app.client.get(callback.clone()).send().await.unwrap();
        assert_eq!(first.status(), StatusCode::SEE_OTHER);
        let replayed = app.client.get(callback).send().await.unwrap();
        assert_eq!(replayed.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(problem(replayed).await["code"], "INVALID_SSO_STATE");

        // The provider's error comes back as a refusal too, and spends the state.
        let authorization = start(&app).await;
        let denied = app
            .client
            .get(app.url(&format!(
                "/api/v1/sso/callback?error=access_denied&state={}",
                query(&authorization, "state")
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(denied.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(problem(denied).await["code"], "SSO_DENIED");
    }
);

on_both_databases!(
    a_wrong_nonce_or_another_audience_is_refused,
    |app: TestApp| async move {
        let Some(issuer) = issuer() else { return };
        let admin = app.admin_token().await;
        configure(&app, &admin, &issuer, json!({})).await;
        // The provider puts the nonce it is given into the ID token; one changed on the way
        // makes a token that does not answer our request.
        let authorization = start(&app).await;
        let other_nonce = with_query(&authorization, "nonce", "a-nonce-aegis-never-sent");
        let callback = at_provider(&app, other_nonce, "bob").await;
        let refused = app.client.get(callback).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        let body = problem(refused).await;
        assert_eq!(body["code"], "SSO_TOKEN_REFUSED");
        assert!(detail(&body).contains("nonce"), "{body}");

        // This account's ID tokens are addressed to another client.
        let foreign = sign_in(&app, "foreign-audience").await;
        assert_eq!(foreign.status(), StatusCode::UNAUTHORIZED);
        let body = problem(foreign).await;
        assert_eq!(body["code"], "SSO_TOKEN_REFUSED");
        assert!(detail(&body).contains("audience"), "{body}");

        let refusals: Value = app
            .get("/api/v1/audit-logs?action=sso.sign_in_refused", &admin)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(refusals["items"].as_array().unwrap().len(), 2);
        // Neither made an account.
        let users: Value = app.get("/api/v1/users", &admin).await.json().await.unwrap();
        assert!(
            !users["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|u| u["email"].as_str().unwrap().ends_with("@idp.test"))
        );
    }
);

on_both_databases!(
    sso_only_refuses_passwords_but_the_break_glass_admin,
    |app: TestApp| async move {
        let Some(issuer) = issuer() else { return };
        let admin = app.admin_token().await;
        let (_, password) = app.create_user(&admin, "lead@aegis.test", "red_lead").await;
        configure(
            &app,
            &admin,
            &issuer,
            json!({"sso_only": true, "break_glass_email": ADMIN_EMAIL}),
        )
        .await;
        let refused = app.login("lead@aegis.test", &password).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert_eq!(problem(refused).await["code"], "SSO_REQUIRED");
        let wrong = app.login("lead@aegis.test", "not the password").await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            app.login(ADMIN_EMAIL, NEW_PASSWORD).await.status(),
            StatusCode::OK
        );
        // SSO still signs people in.
        assert_eq!(sign_in(&app, "bob").await.status(), StatusCode::SEE_OTHER);
    }
);

on_both_databases!(
    the_configuration_is_checked_and_for_admins_only,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        let missing: Value = app
            .get("/api/v1/sso/config", &admin)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(missing["configured"], false);
        assert_eq!(missing["groups_claim"], "groups");
        let bad = app
            .client
            .put(app.url("/api/v1/sso/config"))
            .bearer_auth(&admin)
            .json(&json!({
                "display_name": "",
                "issuer": "ftp://idp.example",
                "client_id": "aegis",
                "role_mappings": [{"group": "admins", "role": "root"}],
                "sso_only": true,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = problem(bad).await;
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        for field in [
            "display_name",
            "issuer",
            "role_mappings[0].role",
            "break_glass_email",
            "client_secret",
        ] {
            assert!(fields.contains(&field), "{field} in {fields:?}");
        }
        // A provider on a loopback address needs the allow-list.
        let internal = app
            .client
            .put(app.url("/api/v1/sso/config"))
            .bearer_auth(&admin)
            .json(&json!({
                "display_name": "Local",
                "issuer": "http://127.0.0.1:9",
                "client_id": "aegis",
                "client_secret": "secret",
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(internal.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem(internal).await["errors"][0]["field"], "issuer");

        let (_, viewer) = app.user_with_role(&admin, "viewer").await;
        assert_eq!(
            app.get("/api/v1/sso/config", &viewer).await.status(),
            StatusCode::FORBIDDEN
        );
        // No provider: the sign-in page offers none, and login says so.
        let listed: Value = app
            .client
            .get(app.url("/api/v1/sso/providers?tenant=default"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(listed["providers"], json!([]));
        let login = app
            .client
            .get(app.url("/api/v1/sso/login?tenant=default"))
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), StatusCode::NOT_FOUND);
    }
);

#[tokio::test]
async fn the_sign_in_legs_share_the_sign_in_rate_limit() {
    let app = spawn_app_with(
        Backend::Sqlite,
        AppOptions {
            auth_rate_limit_per_minute: 2,
            ..AppOptions::default()
        },
    )
    .await;
    let get = |path: &'static str| {
        let request = app.client.get(app.url(path));
        async move { request.send().await.unwrap().status() }
    };
    assert_eq!(
        get("/api/v1/sso/login?tenant=default").await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get("/api/v1/sso/callback?state=x.y&code=z").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get("/api/v1/sso/login?tenant=default").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // The sign-in page's list of providers is not limited.
    assert_eq!(
        get("/api/v1/sso/providers?tenant=default").await,
        StatusCode::OK
    );
}
