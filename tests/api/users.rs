//! User administration: create (idempotently), list, change, reset, deactivate.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

on_both_databases!(
    create_user_is_idempotent_per_key,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        let create = |key: &'static str, email: &'static str| {
            let app = &app;
            let admin = admin.clone();
            async move {
                app.client
                    .post(app.url("/api/v1/users"))
                    .bearer_auth(admin)
                    .header("Idempotency-Key", key)
                    .json(&json!({"email": email, "role": "red_tech", "display_name": "Rita Red"}))
                    .send()
                    .await
                    .unwrap()
            }
        };
        let first = create("key-1", "rita@aegis.test").await;
        assert_eq!(first.status(), StatusCode::CREATED);
        let first: Value = first.json().await.unwrap();
        assert!(first["generated_password"].as_str().is_some());
        assert_eq!(first["must_change_password"], true);

        let replay = create("key-1", "rita@aegis.test").await;
        assert_eq!(replay.status(), StatusCode::CREATED);
        assert_eq!(replay.headers()["idempotent-replayed"], "true");
        let replay: Value = replay.json().await.unwrap();
        assert_eq!(replay["id"], first["id"]);
        assert!(
            replay.get("generated_password").is_none(),
            "a password is shown once"
        );

        let other_payload = create("key-1", "someone.else@aegis.test").await;
        assert_eq!(other_payload.status(), StatusCode::CONFLICT);
        assert_eq!(
            problem(other_payload).await["code"],
            "IDEMPOTENCY_KEY_REUSED"
        );

        let duplicate = create("key-2", "RITA@aegis.test").await;
        assert_eq!(duplicate.status(), StatusCode::CONFLICT);
        assert_eq!(problem(duplicate).await["code"], "EMAIL_TAKEN");

        let listed: Value = app
            .get("/api/v1/users?role=red_tech", &admin)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed["total"], 1);
    }
);

on_both_databases!(
    create_user_validates_every_field,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        let response = app
            .client
            .post(app.url("/api/v1/users"))
            .bearer_auth(&admin)
            .json(&json!({"email": "not an email", "role": "wizard"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = problem(response).await;
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["email", "role"]);

        let weak = app
            .client
            .post(app.url("/api/v1/users"))
            .bearer_auth(&admin)
            .json(&json!({"email": "weak@aegis.test", "role": "viewer", "password": "password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(problem(weak).await["errors"][0]["field"], "password");
    }
);

on_both_databases!(list_filters_and_paginates, |app: TestApp| async move {
    let admin = app.admin_token().await;
    for (email, role) in [
        ("ann@aegis.test", "viewer"),
        ("bob@aegis.test", "viewer"),
        ("cid@aegis.test", "blue_lead"),
    ] {
        app.create_user(&admin, email, role).await;
    }
    let all: Value = app
        .get("/api/v1/users?per_page=2", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["total"], 4);
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    assert_eq!(all["items"][0]["email"], ADMIN_EMAIL);
    let page2: Value = app
        .get("/api/v1/users?per_page=2&page=2", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page2["items"][0]["email"], "bob@aegis.test");
    let viewers: Value = app
        .get("/api/v1/users?role=viewer&q=AN", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(viewers["total"], 1);
    assert_eq!(viewers["items"][0]["email"], "ann@aegis.test");
    let descending: Value = app
        .get("/api/v1/users?sort=-email&per_page=1", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(descending["items"][0]["email"], "cid@aegis.test");
    let by_role: Value = app
        .get("/api/v1/users?sort=role", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_role["items"][0]["role"], "admin");
    let bad_sort = app.get("/api/v1/users?sort=password_hash", &admin).await;
    assert_eq!(problem(bad_sort).await["errors"][0]["field"], "sort");
    let bad = app.get("/api/v1/users?role=wizard", &admin).await;
    assert_eq!(problem(bad).await["errors"][0]["field"], "role");
});

on_both_databases!(update_reset_and_deactivate, |app: TestApp| async move {
    let admin = app.admin_token().await;
    let (id, password) = app.create_user(&admin, "dan@aegis.test", "viewer").await;
    let token = app.ready_user("dan@aegis.test", &password).await;

    let promoted = app
        .client
        .patch(app.url(&format!("/api/v1/users/{id}")))
        .bearer_auth(&admin)
        .json(&json!({"role": "blue_lead", "display_name": "Dan Blue"}))
        .send()
        .await
        .unwrap();
    assert_eq!(promoted.status(), StatusCode::OK);
    // The role applies at once, to the token already issued.
    let me: Value = app
        .get("/api/v1/users/me", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "blue_lead");
    assert_eq!(me["display_name"], "Dan Blue");

    let preferences = app
        .client
        .patch(app.url("/api/v1/users/me/preferences"))
        .bearer_auth(&token)
        .json(&json!({"theme": "dark", "heatmap": {"colour_by": "score"}}))
        .send()
        .await
        .unwrap();
    let preferences: Value = preferences.json().await.unwrap();
    assert_eq!(preferences["preferences"]["theme"], "dark");
    let not_object = app
        .client
        .patch(app.url("/api/v1/users/me/preferences"))
        .bearer_auth(&token)
        .json(&json!(["dark"]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem(not_object).await["errors"][0]["field"],
        "preferences"
    );

    let reset = app
        .client
        .post(app.url(&format!("/api/v1/users/{id}/reset-password")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), StatusCode::OK);
    let reset: Value = reset.json().await.unwrap();
    let temporary = reset["generated_password"].as_str().unwrap().to_owned();
    let relogin: Value = app
        .login("dan@aegis.test", &temporary)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(relogin["must_change_password"], true);

    let deactivated = app
        .client
        .delete(app.url(&format!("/api/v1/users/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(deactivated.status(), StatusCode::OK);
    let deactivated: Value = deactivated.json().await.unwrap();
    assert_eq!(deactivated["is_active"], false);
    assert_eq!(
        app.login("dan@aegis.test", &temporary).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let inactive: Value = app
        .get("/api/v1/users?is_active=false", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(inactive["total"], 1);

    let missing = app
        .get(&format!("/api/v1/users/{}", uuid::Uuid::new_v4()), &admin)
        .await;
    assert_eq!(problem(missing).await["code"], "USER_NOT_FOUND");
});

on_both_databases!(
    the_last_admin_cannot_be_demoted_or_deactivated,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        let me: Value = app
            .get("/api/v1/users/me", &admin)
            .await
            .json()
            .await
            .unwrap();
        let admin_id = me["id"].as_str().unwrap().to_owned();
        let demote = app
            .client
            .patch(app.url(&format!("/api/v1/users/{admin_id}")))
            .bearer_auth(&admin)
            .json(&json!({"role": "viewer"}))
            .send()
            .await
            .unwrap();
        assert_eq!(demote.status(), StatusCode::CONFLICT);
        assert_eq!(problem(demote).await["code"], "LAST_ADMIN");
        let delete = app
            .client
            .delete(app.url(&format!("/api/v1/users/{admin_id}")))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(problem(delete).await["code"], "LAST_ADMIN");

        // With a second admin, the first may step down.
        let (_, _second) = app.user_with_role(&admin, "admin").await;
        let demote = app
            .client
            .patch(app.url(&format!("/api/v1/users/{admin_id}")))
            .bearer_auth(&admin)
            .json(&json!({"role": "viewer"}))
            .send()
            .await
            .unwrap();
        assert_eq!(demote.status(), StatusCode::OK);
    }
);

on_both_databases!(
    colleagues_see_each_other_by_name_and_role_only,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        let (red_id, red) = app.user_with_role(&admin, "red_tech").await;
        let directory: Value = app
            .get("/api/v1/users/directory", &red)
            .await
            .json()
            .await
            .unwrap();
        let people = directory.as_array().unwrap();
        assert!(people.len() >= 2, "{directory}");
        let me = people.iter().find(|p| p["id"] == red_id.as_str()).unwrap();
        assert_eq!(me["role"], "red_tech");
        assert!(
            me.get("email").is_none(),
            "no emails in the directory: {me}"
        );
        assert!(people.iter().any(|p| p["role"] == "admin"));
    }
);
