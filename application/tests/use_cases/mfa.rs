//! Multi-factor sign-in: enrolment confirmed by a code, the second step at sign-in, a code
//! used once, single-use recovery codes, wrong codes counted towards the lockout, the policy
//! that sends users to enrol, and an admin's audited reset.

use chrono::Duration;

use aegis_application::auth::{Access, AuthError, Credentials, SignIn};
use aegis_application::mfa::{MfaError, SecondFactor};
use aegis_application::ports::Clock;

use super::*;

async fn sign_in(h: &Harness, email: &str, password: &str) -> Result<SignIn, AuthError> {
    h.services
        .auth
        .login(
            Credentials {
                email: email.into(),
                password: password.into(),
            },
            &Harness::context(),
        )
        .await
}

fn challenge(signed_in: SignIn) -> String {
    match signed_in {
        SignIn::MfaRequired {
            challenge_token, ..
        } => challenge_token,
        SignIn::Tokens(_) => panic!("the second step was skipped"),
    }
}

#[tokio::test]
async fn enrolment_makes_sign_in_two_steps_and_each_code_works_once() {
    let h = harness().await;
    let password = h.create("lead@aegis.test", "red_lead").await;
    let lead = h
        .actor("lead@aegis.test", &password, Access::PasswordChange)
        .await;
    let enrolment = h
        .services
        .mfa
        .begin_enrolment(&lead, &Harness::context())
        .await
        .unwrap();
    assert!(enrolment.uri.starts_with("otpauth://totp/"));
    let stored = h.database.with(|s| s.mfa_factors[0].sealed_secret.clone());
    assert!(
        !stored.contains(&enrolment.secret),
        "the secret is sealed at rest"
    );
    assert!(matches!(
        h.services
            .mfa
            .confirm_enrolment(&lead, "999999", &Harness::context())
            .await,
        Err(MfaError::WrongCode)
    ));
    let codes = h
        .services
        .mfa
        .confirm_enrolment(
            &lead,
            &StepCodes::code_at(h.clock.now()),
            &Harness::context(),
        )
        .await
        .unwrap();
    assert_eq!(codes.len(), 10);
    let hashes = h.database.with(|s| s.recovery_codes.clone());
    assert!(hashes.iter().all(|c| !codes.contains(&c.hash)));

    // The code that confirmed the enrolment cannot sign in again: the next step's can.
    let token = challenge(sign_in(&h, "lead@aegis.test", &password).await.unwrap());
    let replay = h
        .services
        .auth
        .verify_mfa(
            &token,
            SecondFactor::Totp(StepCodes::code_at(h.clock.now())),
            &Harness::context(),
        )
        .await;
    assert!(
        matches!(replay, Err(AuthError::InvalidMfaCode)),
        "{replay:?}"
    );
    h.clock.advance(Duration::seconds(30));
    let pair = h
        .services
        .auth
        .verify_mfa(
            &token,
            SecondFactor::Totp(StepCodes::code_at(h.clock.now())),
            &Harness::context(),
        )
        .await
        .unwrap();
    assert!(!pair.access_token.is_empty());
    // The challenge is spent.
    h.clock.advance(Duration::seconds(30));
    assert!(matches!(
        h.services
            .auth
            .verify_mfa(
                &token,
                SecondFactor::Totp(StepCodes::code_at(h.clock.now())),
                &Harness::context()
            )
            .await,
        Err(AuthError::InvalidMfaChallenge)
    ));

    // A recovery code signs in once.
    let token = challenge(sign_in(&h, "lead@aegis.test", &password).await.unwrap());
    h.services
        .auth
        .verify_mfa(
            &token,
            SecondFactor::RecoveryCode(codes[0].to_uppercase()),
            &Harness::context(),
        )
        .await
        .unwrap();
    let token = challenge(sign_in(&h, "lead@aegis.test", &password).await.unwrap());
    assert!(matches!(
        h.services
            .auth
            .verify_mfa(
                &token,
                SecondFactor::RecoveryCode(codes[0].clone()),
                &Harness::context()
            )
            .await,
        Err(AuthError::InvalidMfaCode)
    ));
}

#[tokio::test]
async fn wrong_codes_count_towards_the_lockout_and_an_admin_resets_the_factor() {
    let h = harness().await;
    let password = h.create("tech@aegis.test", "blue_tech").await;
    let tech = h
        .actor("tech@aegis.test", &password, Access::PasswordChange)
        .await;
    h.services
        .mfa
        .begin_enrolment(&tech, &Harness::context())
        .await
        .unwrap();
    h.services
        .mfa
        .confirm_enrolment(
            &tech,
            &StepCodes::code_at(h.clock.now()),
            &Harness::context(),
        )
        .await
        .unwrap();
    // Retyping the password does not reset the count: the fifth wrong code locks.
    let mut last = None;
    for _ in 0..5 {
        let token = challenge(sign_in(&h, "tech@aegis.test", &password).await.unwrap());
        last = Some(
            h.services
                .auth
                .verify_mfa(
                    &token,
                    SecondFactor::Totp("000000".into()),
                    &Harness::context(),
                )
                .await,
        );
    }
    assert!(
        matches!(last, Some(Err(AuthError::AccountLocked { .. }))),
        "{last:?}"
    );

    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    assert!(matches!(
        h.services
            .mfa
            .reset(&tech, admin.user_id.as_uuid(), &Harness::context())
            .await,
        Err(MfaError::Forbidden(_))
    ));
    h.services
        .mfa
        .reset(&admin, tech.user_id.as_uuid(), &Harness::context())
        .await
        .unwrap();
    let audited = h.database.with(|s| s.audit.last().cloned()).unwrap();
    assert_eq!(audited.record.action, "mfa.reset");
    h.clock.advance(Duration::hours(1));
    assert!(matches!(
        sign_in(&h, "tech@aegis.test", &password).await,
        Ok(SignIn::Tokens(_))
    ));
}

#[tokio::test]
async fn the_policy_sends_users_to_enrol_before_anything_else() {
    let h = harness().await;
    let admin = h.actor(ADMIN, PASSWORD, Access::PasswordChange).await;
    h.services
        .mfa
        .set_policy(&admin, &["viewer".into()], &Harness::context())
        .await
        .unwrap();
    assert!(matches!(
        h.services
            .mfa
            .set_policy(&admin, &["root".into()], &Harness::context())
            .await,
        Err(MfaError::Invalid(_))
    ));
    let password = h.create("viewer@aegis.test", "viewer").await;
    let SignIn::Tokens(pair) = sign_in(&h, "viewer@aegis.test", &password).await.unwrap() else {
        panic!("no factor yet: tokens");
    };
    assert!(pair.mfa_enrolment_required);
    // Past the password change, the token still reaches only the account.
    let mut user = h
        .database
        .with(|s| {
            s.users
                .iter()
                .find(|u| u.email.as_str() == "viewer@aegis.test")
                .cloned()
        })
        .unwrap();
    user.must_change_password = false;
    h.database.with(|s| {
        s.users.retain(|u| u.id != user.id);
        s.users.push(user.clone());
    });
    assert!(matches!(
        h.services
            .auth
            .authenticate(&pair.access_token, Access::Full)
            .await,
        Err(AuthError::MfaEnrolmentRequired)
    ));
    let viewer = h
        .services
        .auth
        .authenticate(&pair.access_token, Access::PasswordChange)
        .await
        .unwrap();
    let status = h.services.mfa.status(&viewer).await.unwrap();
    assert!(status.required && !status.enrolled);
    h.services
        .mfa
        .begin_enrolment(&viewer, &Harness::context())
        .await
        .unwrap();
    h.services
        .mfa
        .confirm_enrolment(
            &viewer,
            &StepCodes::code_at(h.clock.now()),
            &Harness::context(),
        )
        .await
        .unwrap();
    // Required by the policy: it cannot be turned off.
    h.clock.advance(Duration::seconds(30));
    assert!(matches!(
        h.services
            .mfa
            .disable(
                &viewer,
                &StepCodes::code_at(h.clock.now()),
                &Harness::context()
            )
            .await,
        Err(MfaError::RequiredByPolicy)
    ));
    assert!(matches!(
        sign_in(&h, "viewer@aegis.test", &password).await,
        Ok(SignIn::MfaRequired { .. })
    ));
}
