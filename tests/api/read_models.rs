//! The derived views are computed once per change and served with validators: a copy that is
//! current gets 304, and a change committed by any instance is in the very next read of every
//! instance (the versions live in the shared database, not in a process).

use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

/// A second instance of the app on `app`'s database and data directory (so it signs tokens
/// with the same secret), on its own port.
async fn second_instance(app: &TestApp) -> String {
    let application = aegis::app::build(&app.settings).await.unwrap();
    tokio::spawn(application.server);
    format!("http://127.0.0.1:{}", application.port)
}

async fn get_at(app: &TestApp, base: &str, path: &str, token: &str) -> Response {
    app.client
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn read_at(app: &TestApp, base: &str, path: &str, token: &str) -> (String, Value) {
    let response = get_at(app, base, path, token).await;
    assert_eq!(response.status(), StatusCode::OK, "{base}{path}");
    let tag = response.headers()[ETAG].to_str().unwrap().to_owned();
    (tag, response.json().await.unwrap())
}

fn cell_status(map: &Value, technique: &str) -> String {
    map["tactics"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|column| column["techniques"].as_array().unwrap())
        .flat_map(|cell| {
            std::iter::once(cell).chain(cell["subtechniques"].as_array().into_iter().flatten())
        })
        .find(|cell| cell["mitre_id"] == technique)
        .map(|cell| cell["status"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("no {technique} on the map"))
}

on_both_databases!(
    a_validation_is_in_the_next_heatmap_and_dashboard_of_every_instance,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let other = second_instance(&app).await;
        let admin = app.admin_token().await;
        // Both instances compute and keep the views before the change.
        let mut before = Vec::new();
        for base in [app.base.clone(), other.clone()] {
            let (heatmap_tag, map) = read_at(&app, &base, "/api/v1/heatmap", &admin).await;
            assert_eq!(cell_status(&map, "T1059.001"), "not_covered");
            let (board_tag, board) = read_at(&app, &base, "/api/v1/dashboard", &admin).await;
            assert_eq!(board["kpis"]["validated_tests"], 0);
            before.push((heatmap_tag, board_tag));
        }

        // The change goes through the first instance.
        app.validated_test(
            &admin,
            "T1059.001",
            json!({"outcome": "detected", "detected_at": "2026-11-22T10:03:00Z",
                   "detection_source": "EDR"}),
        )
        .await;

        for (base, (heatmap_tag, board_tag)) in [app.base.clone(), other].iter().zip(before) {
            let (tag, map) = read_at(&app, base, "/api/v1/heatmap", &admin).await;
            assert_ne!(cell_status(&map, "T1059.001"), "not_covered", "{base}");
            assert_ne!(tag, heatmap_tag, "{base}");
            let (tag, board) = read_at(&app, base, "/api/v1/dashboard", &admin).await;
            assert_eq!(board["kpis"]["validated_tests"], 1, "{base}");
            assert_ne!(tag, board_tag, "{base}");
        }
    }
);

/// Asks for `path` again with the tag of the copy held; the tag also moves at each minute
/// (views move with time), so one crossing is forgiven with the new tag.
async fn revalidate(app: &TestApp, path: &str, token: &str, tag: &str) -> Response {
    let ask = |tag: String| async move {
        app.client
            .get(app.url(path))
            .bearer_auth(token)
            .header(IF_NONE_MATCH, tag)
            .send()
            .await
            .unwrap()
    };
    let response = ask(tag.to_owned()).await;
    if response.status() == StatusCode::OK {
        let fresh = response.headers()[ETAG].to_str().unwrap().to_owned();
        return ask(fresh).await;
    }
    response
}

on_both_databases!(
    a_current_copy_gets_304_and_a_copy_from_before_a_change_does_not,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let paths = [
            "/api/v1/heatmap",
            "/api/v1/coverage",
            "/api/v1/dashboard",
            "/api/v1/metrics?days=7",
            "/api/v1/tactics",
            "/api/v1/techniques?per_page=50",
            "/api/v1/techniques/T1059.001",
        ];
        let mut held = Vec::new();
        for path in paths {
            let (tag, _) = read_at(&app, &app.base, path, &admin).await;
            assert!(tag.starts_with("W/\""), "{path}: {tag}");
            let again = revalidate(&app, path, &admin, &tag).await;
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
            assert!(again.headers().contains_key(ETAG), "{path}");
            held.push(again.headers()[ETAG].to_str().unwrap().to_owned());
        }
        // Another URL's tag is not this one's.
        let other = app
            .client
            .get(app.url("/api/v1/techniques/T1566"))
            .bearer_auth(&admin)
            .header(IF_NONE_MATCH, &held[paths.len() - 1])
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), StatusCode::OK);

        app.validated_test(&admin, "T1059.001", json!({"outcome": "logged"}))
            .await;
        for (path, tag) in paths.iter().zip(&held) {
            let response = app
                .client
                .get(app.url(path))
                .bearer_auth(&admin)
                .header(IF_NONE_MATCH, tag)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path} after a change");
            assert_ne!(response.headers()[ETAG].to_str().unwrap(), tag, "{path}");
        }

        // Last-Modified is given once the second of the last change is over, and
        // If-Modified-Since with it is answered 304. The validation's follow-up jobs (alert
        // evaluation, webhooks) may still change the tenant's views for a moment: wait for
        // a second without change.
        let mut answered = Vec::new();
        for _ in 0..10 {
            tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
            let response = app.get("/api/v1/heatmap", &admin).await;
            let Some(modified) = response.headers().get(LAST_MODIFIED) else {
                answered.push(StatusCode::OK);
                continue;
            };
            let modified = modified.to_str().unwrap().to_owned();
            let since = app
                .client
                .get(app.url("/api/v1/heatmap"))
                .bearer_auth(&admin)
                .header(IF_MODIFIED_SINCE, &modified)
                .send()
                .await
                .unwrap();
            answered.push(since.status());
            if since.status() == StatusCode::NOT_MODIFIED {
                break;
            }
        }
        assert_eq!(
            answered.last(),
            Some(&StatusCode::NOT_MODIFIED),
            "no quiet second gave Last-Modified and its 304: {answered:?}"
        );
    }
);

on_both_databases!(another_role_holds_another_copy, |app: TestApp| async move {
    // A role may see less of the same view (a blind campaign's tests), so the copy one
    // role holds never answers for another.
    let admin = app.admin_token().await;
    let (tag, _) = read_at(&app, &app.base, "/api/v1/dashboard", &admin).await;
    let (_, viewer) = app.user_with_role(&admin, "red_tech").await;
    let response = app
        .client
        .get(app.url("/api/v1/dashboard"))
        .bearer_auth(&viewer)
        .header(IF_NONE_MATCH, &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
});
