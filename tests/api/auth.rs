//! Signing in and out, tokens, cookies, the forced password change, lockout and rate limits.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

on_both_databases!(login_change_password_and_me, |app: TestApp| async move {
    let response = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(cookies.iter().any(|c| c.starts_with("aegis_token=")
        && c.contains("HttpOnly")
        && c.contains("SameSite=Strict")));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["must_change_password"], true);
    assert!(body["refresh_token"].as_str().is_some_and(|t| t.len() > 40));
    let token = body["access_token"].as_str().unwrap().to_owned();

    // Until the password changes, only me, change-password and logout answer.
    let me = app.get("/api/v1/auth/me", &token).await;
    assert_eq!(me.status(), StatusCode::OK);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["email"], ADMIN_EMAIL);
    assert_eq!(me["role"], "admin");
    assert!(me.get("password_hash").is_none());
    let blocked = app.get("/api/v1/users", &token).await;
    assert_eq!(blocked.status(), StatusCode::FORBIDDEN);
    assert_eq!(problem(blocked).await["code"], "PASSWORD_CHANGE_REQUIRED");

    // A weak new password is refused with the field named.
    let weak = app
        .client
        .post(app.url("/api/v1/auth/change-password"))
        .bearer_auth(&token)
        .json(&json!({"current_password": ADMIN_PASSWORD, "new_password": "short"}))
        .send()
        .await
        .unwrap();
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let weak = problem(weak).await;
    assert!(
        weak["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["field"] == "new_password")
    );
    let wrong = app
        .client
        .post(app.url("/api/v1/auth/change-password"))
        .bearer_auth(&token)
        .json(&json!({"current_password": "not-it", "new_password": NEW_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem(wrong).await["errors"][0]["field"],
        "current_password"
    );

    let changed = app
        .client
        .post(app.url("/api/v1/auth/change-password"))
        .bearer_auth(&token)
        .json(&json!({"current_password": ADMIN_PASSWORD, "new_password": NEW_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    // The same token now reaches everything the role allows.
    assert_eq!(
        app.get("/api/v1/users", &token).await.status(),
        StatusCode::OK
    );
    let me: Value = app
        .get("/api/v1/auth/me", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["must_change_password"], false);
    // The old password no longer works; the new one does.
    assert_eq!(
        app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login(ADMIN_EMAIL, NEW_PASSWORD).await.status(),
        StatusCode::OK
    );
});

on_both_databases!(
    form_login_and_cookie_authentication,
    |app: TestApp| async move {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let response = client
            .post(app.url("/api/v1/auth/login"))
            .form(&[("username", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        // The cookie alone authenticates.
        let me = client.get(app.url("/api/v1/auth/me")).send().await.unwrap();
        assert_eq!(me.status(), StatusCode::OK);
        // A change by cookie needs the anti-forgery header.
        let forged = client
            .post(app.url("/api/v1/auth/refresh"))
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        assert_eq!(problem(forged).await["code"], "CSRF_HEADER_MISSING");
        // The refresh cookie alone refreshes.
        let refreshed = client
            .post(app.url("/api/v1/auth/refresh"))
            .header("x-aegis-request", "1")
            .send()
            .await
            .unwrap();
        assert_eq!(refreshed.status(), StatusCode::OK);
        // Logout clears the cookies.
        let logout = client
            .post(app.url("/api/v1/auth/logout"))
            .header("x-aegis-request", "1")
            .send()
            .await
            .unwrap();
        assert_eq!(logout.status(), StatusCode::NO_CONTENT);
        let me = client.get(app.url("/api/v1/auth/me")).send().await.unwrap();
        assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    }
);

on_both_databases!(
    a_change_is_authenticated_by_a_bearer_token_or_by_cookie_and_header_never_a_mix,
    |app: TestApp| async move {
        let bearer = app.admin_token().await;
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let signed_in = client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"email": ADMIN_EMAIL, "password": NEW_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(signed_in.status(), StatusCode::OK);
        let change = "/api/v1/notifications/read-all";
        // A Basic header authenticates nothing: beside the cookie, the change is the cookie's
        // and needs the anti-forgery header (browsers resend Basic credentials by themselves).
        let basic = client
            .post(app.url(change))
            .header("authorization", "Basic YWRtaW46YWRtaW4=")
            .send()
            .await
            .unwrap();
        assert_eq!(basic.status(), StatusCode::FORBIDDEN);
        assert_eq!(problem(basic).await["code"], "CSRF_HEADER_MISSING");
        let basic_with_header = client
            .post(app.url(change))
            .header("authorization", "Basic YWRtaW46YWRtaW4=")
            .header("x-aegis-request", "1")
            .send()
            .await
            .unwrap();
        assert_eq!(basic_with_header.status(), StatusCode::OK);
        // A bearer token is judged alone: an invalid one does not fall back to the cookie.
        let wrong_bearer = client
            .post(app.url(change))
            .header("authorization", "Bearer not-a-token")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong_bearer.status(), StatusCode::UNAUTHORIZED);
        let valid_bearer = app
            .client
            .post(app.url(change))
            .bearer_auth(&bearer)
            .send()
            .await
            .unwrap();
        assert_eq!(valid_bearer.status(), StatusCode::OK);
        let lowercase_scheme = app
            .client
            .post(app.url(change))
            .header("authorization", format!("bearer {bearer}"))
            .send()
            .await
            .unwrap();
        assert_eq!(lowercase_scheme.status(), StatusCode::OK);
        // Refresh reads the refresh cookie whatever the Authorization header says.
        let refresh = client
            .post(app.url("/api/v1/auth/refresh"))
            .bearer_auth(&bearer)
            .send()
            .await
            .unwrap();
        assert_eq!(refresh.status(), StatusCode::FORBIDDEN);
        assert_eq!(problem(refresh).await["code"], "CSRF_HEADER_MISSING");
    }
);

on_both_databases!(
    wrong_credentials_are_one_uniform_error,
    |app: TestApp| async move {
        for (email, password) in [
            (ADMIN_EMAIL, "Wrong#Password-99"),
            ("nobody@aegis.test", ADMIN_PASSWORD),
            ("not-an-email", "x"),
        ] {
            let response = app.login(email, password).await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
            assert_eq!(problem(response).await["code"], "INVALID_CREDENTIALS");
        }
        let empty = app.login("", "").await;
        assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<String> = problem(empty).await["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(fields, ["email", "password"]);
        let no_token = app
            .client
            .get(app.url("/api/v1/auth/me"))
            .send()
            .await
            .unwrap();
        assert_eq!(problem(no_token).await["code"], "AUTHENTICATION_REQUIRED");
        let garbage = app.get("/api/v1/auth/me", "not.a.jwt").await;
        assert_eq!(problem(garbage).await["code"], "INVALID_TOKEN");
    }
);

on_both_databases!(
    refresh_rotates_and_reuse_ends_the_session,
    |app: TestApp| async move {
        let login: Value = app
            .login(ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .json()
            .await
            .unwrap();
        let first = login["refresh_token"].as_str().unwrap().to_owned();
        let refresh = |token: String| {
            let app = &app;
            async move {
                app.client
                    .post(app.url("/api/v1/auth/refresh"))
                    .json(&json!({"refresh_token": token}))
                    .send()
                    .await
                    .unwrap()
            }
        };
        let rotated = refresh(first.clone()).await;
        assert_eq!(rotated.status(), StatusCode::OK);
        let rotated: Value = rotated.json().await.unwrap();
        let second = rotated["refresh_token"].as_str().unwrap().to_owned();
        assert_ne!(first, second);

        // The spent token comes back: the whole family is revoked, the fresh one too.
        let reused = refresh(first).await;
        assert_eq!(reused.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(problem(reused).await["code"], "REFRESH_TOKEN_REUSED");
        let after = refresh(second).await;
        assert_eq!(problem(after).await["code"], "INVALID_REFRESH_TOKEN");
        let forged = refresh("00000000000000000000000000000000.forged".to_owned()).await;
        assert_eq!(problem(forged).await["code"], "INVALID_REFRESH_TOKEN");
    }
);

on_both_databases!(
    logout_revokes_the_access_token_everywhere,
    |app: TestApp| async move {
        let token = app.admin_token().await;
        assert_eq!(
            app.get("/api/v1/users/me", &token).await.status(),
            StatusCode::OK
        );
        let logout = app
            .client
            .post(app.url("/api/v1/auth/logout"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(logout.status(), StatusCode::NO_CONTENT);
        let after = app.get("/api/v1/users/me", &token).await;
        assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(problem(after).await["code"], "TOKEN_REVOKED");
    }
);

on_both_databases!(
    repeated_failures_lock_an_account_but_never_the_last_admin,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        let email = "locked.out@aegis.test";
        let (_, password) = app.create_user(&admin, email, "red_tech").await;
        for _ in 0..4 {
            assert_eq!(
                app.login(email, "Wrong#Password-99").await.status(),
                StatusCode::UNAUTHORIZED
            );
        }
        let locked = app.login(email, "Wrong#Password-99").await;
        assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry_after: u64 = locked.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=30).contains(&retry_after));
        assert_eq!(problem(locked).await["code"], "ACCOUNT_LOCKED");
        // Even the right password waits for the lock to pass.
        assert_eq!(
            app.login(email, &password).await.status(),
            StatusCode::TOO_MANY_REQUESTS
        );

        // The only admin keeps being able to try.
        for _ in 0..8 {
            assert_eq!(
                app.login(ADMIN_EMAIL, "Wrong#Password-99").await.status(),
                StatusCode::UNAUTHORIZED
            );
        }
        assert_eq!(
            app.login(ADMIN_EMAIL, NEW_PASSWORD).await.status(),
            StatusCode::OK
        );
    }
);

#[tokio::test]
async fn auth_endpoints_are_rate_limited_per_client() {
    let app = spawn_app_with(
        Backend::Sqlite,
        AppOptions {
            auth_rate_limit_per_minute: 3,
            ..AppOptions::default()
        },
    )
    .await;
    for _ in 0..3 {
        assert_eq!(
            app.login(ADMIN_EMAIL, "Wrong#Password-99").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let limited = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(problem(limited).await["code"], "RATE_LIMITED");
    // Other endpoints are not limited.
    let health = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

/// Signs in as `email` with this User-Agent; returns the token pair.
async fn sign_in_from(app: &TestApp, email: &str, agent: &str) -> Value {
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("user-agent", agent)
        .json(&json!({"email": email, "password": NEW_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn sessions_of(app: &TestApp, token: &str) -> Vec<Value> {
    let response = app.get("/api/v1/auth/sessions", token).await;
    assert_eq!(response.status(), StatusCode::OK);
    response
        .json::<Value>()
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

async fn refresh_with(app: &TestApp, refresh_token: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/refresh"))
        .json(&json!({"refresh_token": refresh_token}))
        .send()
        .await
        .unwrap()
}

on_both_databases!(
    sessions_are_listed_and_ended_one_or_all,
    |app: TestApp| async move {
        app.admin_token().await;
        let laptop = sign_in_from(&app, ADMIN_EMAIL, "Firefox/140 laptop").await;
        let phone = sign_in_from(&app, ADMIN_EMAIL, "curl/8 phone").await;
        let phone_token = phone["access_token"].as_str().unwrap().to_owned();

        let listed = sessions_of(&app, &phone_token).await;
        let current: Vec<&Value> = listed.iter().filter(|s| s["current"] == true).collect();
        assert_eq!(current.len(), 1, "{listed:?}");
        assert_eq!(current[0]["user_agent"], "curl/8 phone");
        assert_eq!(current[0]["client_ip"], "127.0.0.1");
        let laptop_session = listed
            .iter()
            .find(|s| s["user_agent"] == "Firefox/140 laptop")
            .unwrap_or_else(|| panic!("the laptop's session is listed: {listed:?}"))
            .clone();
        assert_eq!(laptop_session["current"], false);

        // A refresh keeps the session (same id) and moves when it was last seen.
        let laptop_refresh = laptop["refresh_token"].as_str().unwrap();
        let refreshed: Value = refresh_with(&app, laptop_refresh)
            .await
            .json()
            .await
            .unwrap();
        let laptop_refresh = refreshed["refresh_token"].as_str().unwrap().to_owned();
        let after = sessions_of(&app, &phone_token).await;
        let moved = after
            .iter()
            .find(|s| s["id"] == laptop_session["id"])
            .unwrap_or_else(|| panic!("a refresh keeps the session: {after:?}"));
        assert_eq!(moved["created_at"], laptop_session["created_at"]);
        assert!(moved["last_seen_at"].as_str() >= laptop_session["last_seen_at"].as_str());
        assert_eq!(after.len(), listed.len(), "a refresh opens no session");

        // Ending the laptop's session stops its refresh token.
        let id = laptop_session["id"].as_str().unwrap();
        let ended = app
            .client
            .delete(app.url(&format!("/api/v1/auth/sessions/{id}")))
            .bearer_auth(&phone_token)
            .send()
            .await
            .unwrap();
        assert_eq!(ended.status(), StatusCode::NO_CONTENT);
        let refused = refresh_with(&app, &laptop_refresh).await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(problem(refused).await["code"], "INVALID_REFRESH_TOKEN");
        assert!(
            sessions_of(&app, &phone_token)
                .await
                .iter()
                .all(|s| s["id"] != id)
        );
        let unknown = app
            .client
            .delete(app.url(&format!("/api/v1/auth/sessions/{}", uuid::Uuid::now_v7())))
            .bearer_auth(&phone_token)
            .send()
            .await
            .unwrap();
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
        assert_eq!(problem(unknown).await["code"], "SESSION_NOT_FOUND");

        // All but the current one: the first sign-in's session ends, this one goes on.
        let others: Value = app
            .client
            .delete(app.url("/api/v1/auth/sessions"))
            .bearer_auth(&phone_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(others["ended"].as_u64().unwrap() >= 1, "{others}");
        let left = sessions_of(&app, &phone_token).await;
        assert_eq!(left.len(), 1, "{left:?}");
        assert_eq!(left[0]["current"], true);

        // And all of them: this request's token is signed out too.
        let all = app
            .client
            .delete(app.url("/api/v1/auth/sessions?include_current=true"))
            .bearer_auth(&phone_token)
            .send()
            .await
            .unwrap();
        assert_eq!(all.status(), StatusCode::OK);
        let gone = app.get("/api/v1/auth/sessions", &phone_token).await;
        assert_eq!(gone.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(problem(gone).await["code"], "TOKEN_REVOKED");
        let phone_refresh = phone["refresh_token"].as_str().unwrap();
        assert_eq!(
            refresh_with(&app, phone_refresh).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
);

on_both_databases!(an_admin_ends_a_users_sessions, |app: TestApp| async move {
    let admin = app.admin_token().await;
    let email = "ended.viewer@aegis.test";
    let (viewer_id, password) = app.create_user(&admin, email, "viewer").await;
    app.ready_user(email, &password).await;
    let viewer = sign_in_from(&app, email, "viewer's browser").await;
    let viewer_token = viewer["access_token"].as_str().unwrap().to_owned();

    let refused = app
        .client
        .delete(app.url("/api/v1/users/00000000-0000-7000-8000-000000000000/sessions"))
        .bearer_auth(&viewer_token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // Access tokens are compared with the change to the second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let ended = app
        .client
        .delete(app.url(&format!("/api/v1/users/{viewer_id}/sessions")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), StatusCode::NO_CONTENT);
    let after = app.get("/api/v1/auth/me", &viewer_token).await;
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(problem(after).await["code"], "TOKEN_REVOKED");
    let refresh = viewer["refresh_token"].as_str().unwrap();
    assert_eq!(
        refresh_with(&app, refresh).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // The admin's own sessions go on, and the viewer signs in again.
    assert_eq!(
        app.get("/api/v1/users", &admin).await.status(),
        StatusCode::OK
    );
    sign_in_from(&app, email, "viewer's browser").await;
    let audit: Value = app
        .get("/api/v1/audit-logs?action=user.sessions_ended", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(audit["items"][0]["entity_id"], viewer_id.as_str());
});
