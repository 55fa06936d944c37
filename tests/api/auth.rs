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
