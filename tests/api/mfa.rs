//! Multi-factor sign-in over HTTP: enrolment with a QR code and recovery codes, the
//! two-step sign-in (202 then `POST /auth/mfa`), a recovery code used once, the policy that
//! requires a factor, and an admin's reset — with codes computed here as an app would.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use totp_rs::{Algorithm, Builder, Secret};

use crate::helpers::*;

/// The code an authenticator app shows for `secret` at `offset` steps from now.
fn code(secret: &str, offset: i64) -> String {
    let totp = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_secret(Secret::try_from_base32(secret).unwrap())
        .with_account_name("x")
        .build()
        .unwrap();
    let now = chrono::Utc::now().timestamp() + offset * 30;
    totp.generate(u64::try_from(now).unwrap()).to_string()
}

async fn post(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> reqwest::Response {
    let mut request = app.client.post(app.url(path)).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

on_both_databases!(
    enrolment_makes_sign_in_two_steps,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        let email = "mfa.lead@aegis.test";
        let (user_id, first) = app.create_user(&admin, email, "red_lead").await;
        let token = app.ready_user(email, &first).await;

        let enrolment = app
            .send_ok(Method::POST, "/api/v1/mfa/totp", &token, json!({}))
            .await;
        let secret = enrolment["secret"].as_str().unwrap().to_owned();
        assert!(
            enrolment["otpauth_uri"]
                .as_str()
                .unwrap()
                .starts_with("otpauth://totp/Aegis:")
        );
        assert!(enrolment["qr_svg"].as_str().unwrap().starts_with("<svg"));
        let wrong = post(
            &app,
            "/api/v1/mfa/totp/confirm",
            Some(&token),
            json!({"code": "000000"}),
        )
        .await;
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem(wrong).await["code"], "INVALID_MFA_CODE");
        let confirmed = app
            .send_ok(
                Method::POST,
                "/api/v1/mfa/totp/confirm",
                &token,
                json!({"code": code(&secret, 0)}),
            )
            .await;
        let recovery: Vec<String> = confirmed["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(recovery.len(), 10);
        let status: Value = app.get("/api/v1/mfa", &token).await.json().await.unwrap();
        assert_eq!(status["enrolled"], true);
        assert_eq!(status["recovery_codes_left"], 10);

        // The password alone now gives a challenge, not tokens.
        let step = app.login(email, NEW_PASSWORD).await;
        assert_eq!(step.status(), StatusCode::ACCEPTED);
        assert!(step.headers().get("set-cookie").is_none());
        let challenge: Value = step.json().await.unwrap();
        assert_eq!(challenge["mfa_required"], true);
        let challenge = challenge["challenge_token"].as_str().unwrap().to_owned();
        let wrong = post(
            &app,
            "/api/v1/auth/mfa",
            None,
            json!({"challenge_token": challenge, "code": "123456"}),
        )
        .await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(problem(wrong).await["code"], "INVALID_MFA_CODE");
        let missing = post(
            &app,
            "/api/v1/auth/mfa",
            None,
            json!({"challenge_token": challenge}),
        )
        .await;
        assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);
        // The confirming code was spent; the next step's code is accepted.
        let signed_in = post(
            &app,
            "/api/v1/auth/mfa",
            None,
            json!({"challenge_token": challenge, "code": code(&secret, 1)}),
        )
        .await;
        assert_eq!(signed_in.status(), StatusCode::OK);
        let pair: Value = signed_in.json().await.unwrap();
        let second = pair["access_token"].as_str().unwrap();
        assert_eq!(
            app.get("/api/v1/tests", second).await.status(),
            StatusCode::OK
        );

        // A recovery code works once.
        let challenge: Value = app.login(email, NEW_PASSWORD).await.json().await.unwrap();
        let body =
            json!({"challenge_token": challenge["challenge_token"], "recovery_code": recovery[0]});
        assert_eq!(
            post(&app, "/api/v1/auth/mfa", None, body.clone())
                .await
                .status(),
            StatusCode::OK
        );
        let challenge: Value = app.login(email, NEW_PASSWORD).await.json().await.unwrap();
        let again =
            json!({"challenge_token": challenge["challenge_token"], "recovery_code": recovery[0]});
        assert_eq!(
            post(&app, "/api/v1/auth/mfa", None, again).await.status(),
            StatusCode::UNAUTHORIZED
        );

        // An admin resets the factor (audited); the password alone signs in again.
        let reset = app
            .client
            .delete(app.url(&format!("/api/v1/mfa/users/{user_id}")))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(reset.status(), StatusCode::NO_CONTENT);
        let audit: Value = app
            .get(
                &format!("/api/v1/audit-logs?entity_id={user_id}&per_page=100"),
                &admin,
            )
            .await
            .json()
            .await
            .unwrap();
        assert!(
            audit["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["action"] == "mfa.reset"),
            "{audit}"
        );
        assert_eq!(
            app.login(email, NEW_PASSWORD).await.status(),
            StatusCode::OK
        );
    }
);

on_both_databases!(
    the_policy_requires_enrolment_first,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        let policy = app
            .send_ok(
                Method::PUT,
                "/api/v1/mfa/policy",
                &admin,
                json!({"required_roles": ["viewer"]}),
            )
            .await;
        assert_eq!(policy["required_roles"], json!(["viewer"]));
        let bad = app
            .client
            .put(app.url("/api/v1/mfa/policy"))
            .bearer_auth(&admin)
            .json(&json!({"required_roles": ["root"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem(bad).await["errors"][0]["field"], "required_roles");

        let email = "mfa.viewer@aegis.test";
        let (_, first) = app.create_user(&admin, email, "viewer").await;
        app.ready_user(email, &first).await;
        let pair: Value = app.login(email, NEW_PASSWORD).await.json().await.unwrap();
        assert_eq!(pair["mfa_enrolment_required"], true);
        let token = pair["access_token"].as_str().unwrap().to_owned();
        let refused = app.get("/api/v1/tests", &token).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert_eq!(problem(refused).await["code"], "MFA_ENROLMENT_REQUIRED");
        let enrolment = app
            .send_ok(Method::POST, "/api/v1/mfa/totp", &token, json!({}))
            .await;
        let secret = enrolment["secret"].as_str().unwrap().to_owned();
        app.send_ok(
            Method::POST,
            "/api/v1/mfa/totp/confirm",
            &token,
            json!({"code": code(&secret, 0)}),
        )
        .await;
        let off = post(
            &app,
            "/api/v1/mfa/disable",
            Some(&token),
            json!({"code": code(&secret, 1)}),
        )
        .await;
        assert_eq!(
            off.status(),
            StatusCode::FORBIDDEN,
            "the token is still the enrolment one"
        );
        assert_eq!(
            app.login(email, NEW_PASSWORD).await.status(),
            StatusCode::ACCEPTED
        );
    }
);
