//! Knowledge over HTTP on both databases: a playbook edited twice and restored, its versions
//! and diff; the full-text search finding it by a word of its body (and no longer once the
//! word is gone or the playbook deleted); lessons drawn from a finding and from a completed
//! campaign; bad input naming its field.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

async fn status_of(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn read(app: &TestApp, path: &str, token: &str) -> Value {
    let (status, body) = status_of(app, Method::GET, path, token, None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

async fn search(app: &TestApp, query: &str, token: &str) -> Vec<Value> {
    read(app, &format!("/api/v1/search?{query}"), token).await["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
        .collect()
}

on_both_databases!(
    a_playbook_edited_twice_is_restored_and_found_by_search,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let (_, tech) = app.user_with_role(&admin, "red_tech").await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;
        let body = "Run the encoded command.\nWatch the quasarbeacon process tree.";
        let new = json!({"technique_id": "T1059.001", "type": "attack",
            "title": "Encoded PowerShell", "body": body,
            "tools": ["Atomic Red Team"], "prerequisites": ["A Windows host"]});
        let (status, problem) = status_of(
            &app,
            Method::POST,
            "/api/v1/knowledge/playbooks",
            &viewer,
            Some(new.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
        let create = |key: &'static str| {
            app.client
                .post(app.url("/api/v1/knowledge/playbooks"))
                .bearer_auth(&tech)
                .header("Idempotency-Key", key)
                .json(&new)
                .send()
        };
        let first = create("pb-1").await.unwrap();
        assert_eq!(first.status(), StatusCode::CREATED);
        let playbook: Value = first.json().await.unwrap();
        let again: Value = create("pb-1").await.unwrap().json().await.unwrap();
        assert_eq!(
            again["id"], playbook["id"],
            "the same key gives the first result"
        );
        let id = playbook["id"].as_str().unwrap().to_owned();
        assert_eq!(playbook["version"], 1);
        assert_eq!(playbook["type"], "attack");

        // A word of the body finds it; a word of the title too; a technique by its name.
        let hits = search(&app, "q=quasarbeacon", &viewer).await;
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0]["type"], "playbook");
        assert_eq!(hits[0]["id"], id.as_str());
        assert_eq!(hits[0]["title"], "Encoded PowerShell");
        assert!(
            hits[0]["snippet"]
                .as_str()
                .unwrap()
                .contains("«quasarbeacon»"),
            "{hits:?}"
        );
        assert_eq!(hits[0]["link"], format!("/knowledge?playbook={id}"));
        let prefix = search(&app, "q=quasarbea&types=playbook,lesson", &viewer).await;
        assert_eq!(prefix.len(), 1, "the last word matches as a prefix");
        let techniques = search(&app, "q=powershell&types=technique", &viewer).await;
        assert!(
            techniques
                .iter()
                .any(|h| h["type"] == "technique" && h["id"] == "T1059.001"),
            "{techniques:?}"
        );
        let ordered: Vec<f64> = techniques
            .iter()
            .map(|h| h["score"].as_f64().unwrap())
            .collect();
        assert!(
            ordered.windows(2).all(|w| w[0] >= w[1]),
            "ranked: {ordered:?}"
        );

        // Two edits, each a version; a stale version is refused.
        let path = format!("/api/v1/knowledge/playbooks/{id}");
        let v2 = app
            .send_ok(
                Method::PATCH,
                &path,
                &tech,
                json!({"body": "Run the encoded command.\nWatch the nebulafox process tree.", "version": 1}),
            )
            .await;
        assert_eq!(v2["version"], 2);
        let (status, problem) = status_of(
            &app,
            Method::PATCH,
            &path,
            &tech,
            Some(json!({"title": "Stale", "version": 1})),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");
        let v3 = app
            .send_ok(
                Method::PATCH,
                &path,
                &admin,
                json!({"title": "Encoded PowerShell, hunted", "tools": ["Atomic Red Team", "Sysmon"]}),
            )
            .await;
        assert_eq!(v3["version"], 3);
        assert!(search(&app, "q=quasarbeacon", &viewer).await.is_empty());
        assert_eq!(search(&app, "q=nebulafox", &viewer).await.len(), 1);

        let versions = read(&app, &format!("{path}/versions"), &viewer).await;
        let numbers: Vec<i64> = versions
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["number"].as_i64().unwrap())
            .collect();
        assert_eq!(numbers, [3, 2, 1]);
        let one = read(&app, &format!("{path}/versions/1"), &viewer).await;
        assert_eq!(one["body"], body);
        let diff = read(&app, &format!("{path}/diff?from=1&to=3"), &viewer).await;
        assert_eq!(diff["changed_fields"], json!(["title", "tools"]));
        let lines = diff["lines"].as_array().unwrap();
        assert!(
            lines
                .contains(&json!({"op": "delete", "text": "Watch the quasarbeacon process tree."})),
            "{diff}"
        );
        assert!(
            lines.contains(&json!({"op": "insert", "text": "Watch the nebulafox process tree."})),
            "{diff}"
        );
        assert!(
            diff["unified"]
                .as_str()
                .unwrap()
                .contains("-Watch the quasarbeacon")
        );

        // Restoring version 1 is version 4, with version 1's content; search follows.
        let restored = app
            .send_ok(Method::POST, &format!("{path}/restore/1"), &tech, json!({}))
            .await;
        assert_eq!(restored["version"], 4);
        assert_eq!(restored["body"], body);
        assert_eq!(restored["title"], "Encoded PowerShell");
        let latest = read(&app, &format!("{path}/versions/4"), &viewer).await;
        assert_eq!(latest["restored_from"], 1);
        assert_eq!(search(&app, "q=quasarbeacon", &viewer).await.len(), 1);
        assert!(search(&app, "q=nebulafox", &viewer).await.is_empty());

        // A soft delete hides it from the list and the search, not from include_inactive.
        let (status, _) = status_of(&app, Method::DELETE, &path, &tech, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let listed = read(
            &app,
            "/api/v1/knowledge/playbooks?technique=T1059.001",
            &viewer,
        )
        .await;
        assert_eq!(listed["total"], 0);
        let all = read(
            &app,
            "/api/v1/knowledge/playbooks?include_inactive=true&type=attack",
            &viewer,
        )
        .await;
        assert_eq!(all["total"], 1);
        assert_eq!(all["items"][0]["active"], false);
        assert!(search(&app, "q=quasarbeacon", &viewer).await.is_empty());
        let stats = read(&app, "/api/v1/knowledge/stats", &viewer).await;
        assert_eq!(stats["inactive_playbooks"], 1);
        assert_eq!(stats["playbook_versions"], 4);
    }
);

on_both_databases!(
    lessons_are_drawn_from_a_finding_and_a_completed_campaign,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let crew = app.crew(&admin).await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;
        app.validated_test(&admin, "T1566", json!({"outcome": "not_detected"}))
            .await;
        let findings = read(&app, "/api/v1/findings", &viewer).await;
        let finding = findings["items"][0].clone();
        assert_eq!(finding["technique_id"], "T1566", "{findings}");
        let (status, lesson) = status_of(
            &app,
            Method::POST,
            &format!(
                "/api/v1/knowledge/lessons/from-finding/{}",
                finding["id"].as_str().unwrap()
            ),
            &crew.blue_tech,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{lesson}");
        assert_eq!(lesson["severity"], finding["severity"]);
        assert_eq!(lesson["link"], "test");
        assert_eq!(lesson["test_id"], finding["test_id"]);
        assert_eq!(lesson["finding_id"], finding["id"]);
        assert_eq!(lesson["technique_id"], "T1566");
        assert!(lesson["attack_path_id"].is_null());
        let id = lesson["id"].as_str().unwrap().to_owned();
        let (status, _) = status_of(
            &app,
            Method::POST,
            &format!(
                "/api/v1/knowledge/lessons/from-finding/{}",
                uuid::Uuid::nil()
            ),
            &crew.blue_tech,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let edited = app
            .send_ok(
                Method::PATCH,
                &format!("/api/v1/knowledge/lessons/{id}"),
                &crew.blue_lead,
                json!({"body": "Mail gateway rules missed the lure; add a sandbox verdict.", "severity": "critical"}),
            )
            .await;
        assert_eq!(edited["version"], 2);
        let found = search(&app, "q=sandbox verdict&types=lesson", &viewer).await;
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0]["id"], id.as_str());
        let listed = read(&app, "/api/v1/knowledge/lessons?severity=critical", &viewer).await;
        assert_eq!(listed["total"], 1);

        // A campaign that is not completed gives no lesson; a completed one does.
        let planned = app
            .send_ok(
                Method::POST,
                "/api/v1/campaigns",
                &crew.red_lead,
                json!({"name": "Spring exercise", "campaign_type": "purple_team"}),
            )
            .await;
        let campaign = planned["id"].as_str().unwrap().to_owned();
        let from_campaign = format!("/api/v1/knowledge/lessons/from-campaign/{campaign}");
        let (status, problem) =
            status_of(&app, Method::POST, &from_campaign, &crew.red_lead, None).await;
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");
        assert_eq!(problem["code"], "CAMPAIGN_NOT_COMPLETED");
        let test = app
            .send_ok(
                Method::POST,
                "/api/v1/tests",
                &crew.red_lead,
                json!({"title": "Spearphishing link", "technique_id": "T1566"}),
            )
            .await;
        let test = test["id"].as_str().unwrap().to_owned();
        app.send_ok(
            Method::POST,
            &format!("/api/v1/campaigns/{campaign}/tests"),
            &crew.red_lead,
            json!({"test_id": test}),
        )
        .await;
        app.send_ok(
            Method::POST,
            &format!("/api/v1/campaigns/{campaign}/activate"),
            &crew.red_lead,
            json!({}),
        )
        .await;
        app.run_to_validation(&crew, &test, json!({"outcome": "not_detected"}))
            .await;
        app.send_ok(
            Method::POST,
            &format!("/api/v1/campaigns/{campaign}/complete"),
            &crew.red_lead,
            json!({}),
        )
        .await;
        let (status, lesson) =
            status_of(&app, Method::POST, &from_campaign, &crew.red_lead, None).await;
        assert_eq!(status, StatusCode::CREATED, "{lesson}");
        assert_eq!(lesson["link"], "campaign");
        assert_eq!(lesson["campaign_id"], campaign.as_str());
        assert!(
            lesson["title"]
                .as_str()
                .unwrap()
                .contains("Spring exercise")
        );
        assert_eq!(lesson["severity"], "high", "a missed technique: {lesson}");
        assert!(
            lesson["body"]
                .as_str()
                .unwrap()
                .contains("T1566 — Spearphishing link"),
            "{lesson}"
        );

        let stats = read(&app, "/api/v1/knowledge/stats", &viewer).await;
        assert_eq!(stats["lessons"], 2, "{stats}");
        let (status, _) = status_of(
            &app,
            Method::DELETE,
            &format!("/api/v1/knowledge/lessons/{id}"),
            &crew.blue_lead,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = status_of(
            &app,
            Method::GET,
            &format!("/api/v1/knowledge/lessons/{id}"),
            &viewer,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
);

on_both_databases!(
    bad_knowledge_input_names_the_field,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let response = app
            .client
            .post(app.url("/api/v1/knowledge/playbooks"))
            .bearer_auth(&admin)
            .json(&json!({"technique_id": "T9999", "type": "pray", "title": "", "body": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let bad = problem(response).await;
        assert_eq!(fields(&bad), ["technique_id", "type", "title"], "{bad}");
        let response = app
            .get("/api/v1/search?q=%20--%20&types=spells&limit=0", &admin)
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let bad = problem(response).await;
        assert_eq!(fields(&bad), ["types", "limit", "q"], "{bad}");
        let response = app
            .client
            .post(app.url("/api/v1/knowledge/lessons"))
            .bearer_auth(&admin)
            .json(&json!({"title": "t", "severity": "dire", "test_id": uuid::Uuid::nil()}))
            .send()
            .await
            .unwrap();
        let bad = problem(response).await;
        assert_eq!(fields(&bad), ["severity", "test_id"], "{bad}");
        let response = app
            .get("/api/v1/knowledge/playbooks?type=pray", &admin)
            .await;
        assert_eq!(fields(&problem(response).await), ["type"]);
        let response = app
            .get(
                &format!(
                    "/api/v1/knowledge/playbooks/{}/diff?from=1",
                    uuid::Uuid::nil()
                ),
                &admin,
            )
            .await;
        assert!(response.status().is_client_error());
        problem(response).await;
    }
);
