//! Alerts over HTTP: the eight system rules, a validated missed detection that fires
//! detection_gap once and not again within the cooldown, the lifecycle with its notes, each
//! rule type firing from data set up through the API, and bad input named by field.

use reqwest::{Method, StatusCode};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

use crate::helpers::*;

async fn read(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app.get(path, token).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Value,
) -> reqwest::Response {
    app.client
        .request(method, app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn evaluate(app: &TestApp, token: &str) -> Value {
    let response = send(
        app,
        Method::POST,
        "/api/v1/alerts/evaluate",
        token,
        json!({}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    response.json().await.unwrap()
}

/// The alerts of a type, newest first.
async fn alerts_of(app: &TestApp, token: &str, rule_type: &str) -> Vec<Value> {
    read(
        app,
        &format!("/api/v1/alerts?rule_type={rule_type}&per_page=200"),
        token,
    )
    .await["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// The system rule of a type.
async fn system_rule(app: &TestApp, token: &str, rule_type: &str) -> Value {
    read(app, "/api/v1/alerts/rules", token).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["system"] == true && r["rule_type"] == rule_type)
        .unwrap()
        .clone()
}

on_both_databases!(
    a_missed_detection_fires_detection_gap_once_per_cooldown,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let (_, lead) = app.user_with_role(&admin, "blue_lead").await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;
        let (_, tech) = app.user_with_role(&admin, "red_tech").await;

        let rules = read(&app, "/api/v1/alerts/rules", &viewer).await;
        let rules = rules["items"].as_array().unwrap();
        assert_eq!(rules.len(), 8, "{rules:?}");
        assert!(
            rules
                .iter()
                .all(|r| r["system"] == true && r["enabled"] == true)
        );

        let test = app
            .validated_test(&admin, "T1059.001", json!({"outcome": "not_detected"}))
            .await;
        let test_id = test["id"].as_str().unwrap();
        let report = evaluate(&app, &lead).await;
        assert_eq!(report["rules_evaluated"], 8, "{report}");
        let gaps = alerts_of(&app, &viewer, "detection_gap").await;
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        let alert = &gaps[0];
        assert_eq!(alert["status"], "open");
        assert_eq!(alert["severity"], "high");
        assert_eq!(alert["details"]["test_id"], test_id);
        assert_eq!(alert["details"]["technique_id"], "T1059.001");
        let id = alert["id"].as_str().unwrap().to_owned();

        // The leads and admins are told in-app.
        let told = read(&app, "/api/v1/notifications", &lead).await;
        assert!(
            told["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["kind"] == "alert.fired" && n["entity_id"] == id.as_str()),
            "{told}"
        );
        let board = read(&app, "/api/v1/dashboard", &viewer).await;
        let summary = read(&app, "/api/v1/alerts/summary", &viewer).await;
        assert_eq!(board["kpis"]["open_alerts"], summary["open"], "{board}");
        assert!(summary["open"].as_u64().unwrap() >= 1);

        // Who may act: a tech and a viewer may not.
        for token in [&tech, &viewer] {
            let refused = send(
                &app,
                Method::POST,
                &format!("/api/v1/alerts/{id}/acknowledge"),
                token,
                json!({}),
            )
            .await;
            assert_eq!(refused.status(), StatusCode::FORBIDDEN);
            let refused = send(
                &app,
                Method::POST,
                "/api/v1/alerts/evaluate",
                token,
                json!({}),
            )
            .await;
            assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        }
        let acknowledged = app
            .send_ok(
                Method::POST,
                &format!("/api/v1/alerts/{id}/acknowledge"),
                &lead,
                json!({"note": "EDR rule on its way"}),
            )
            .await;
        assert_eq!(acknowledged["status"], "acknowledged");
        assert_eq!(acknowledged["acknowledged"]["note"], "EDR rule on its way");
        let twice = send(
            &app,
            Method::POST,
            &format!("/api/v1/alerts/{id}/acknowledge"),
            &lead,
            json!({}),
        )
        .await;
        assert_eq!(twice.status(), StatusCode::CONFLICT);
        assert_eq!(problem(twice).await["code"], "ILLEGAL_ALERT_STEP");

        // Evaluated again within the cooldown: no second alert for the same test.
        let again = evaluate(&app, &lead).await;
        assert_eq!(again["rules_evaluated"], 8);
        assert_eq!(alerts_of(&app, &viewer, "detection_gap").await.len(), 1);
        let acknowledged_list = read(&app, "/api/v1/alerts?status=acknowledged", &viewer).await;
        assert_eq!(acknowledged_list["total"], 1);

        let resolved = app
            .send_ok(
                Method::POST,
                &format!("/api/v1/alerts/{id}/resolve"),
                &admin,
                json!({}),
            )
            .await;
        assert_eq!(resolved["status"], "resolved");
        assert!(resolved["closed"]["at"].is_string());
        let missing = send(
            &app,
            Method::POST,
            &format!("/api/v1/alerts/{}/dismiss", uuid::Uuid::nil()),
            &lead,
            json!({}),
        )
        .await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }
);

on_both_databases!(rules_refuse_bad_input_by_field, |app: TestApp| async move {
    let admin = app.admin_token().await;
    let (_, lead) = app.user_with_role(&admin, "red_lead").await;
    let (_, viewer) = app.user_with_role(&admin, "viewer").await;
    let bad = send(
        &app,
        Method::POST,
        "/api/v1/alerts/rules",
        &lead,
        json!({"name": "x", "rule_type": "coverage_drop"}),
    )
    .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(bad).await["errors"][0]["field"], "rule_type");
    let bad = send(
        &app,
        Method::POST,
        "/api/v1/alerts/rules",
        &lead,
        json!({"name": "x", "rule_type": "low_coverage", "config": {"threshold": 150, "days": 3},
               "channels": ["pager"], "cooldown_hours": 0}),
    )
    .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = problem(bad).await;
    let mut fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["channels", "config.days", "cooldown_hours"],
        "{body}"
    );
    let filter = app.get("/api/v1/alerts?status=closed", &viewer).await;
    assert_eq!(filter.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(filter).await["errors"][0]["field"], "status");
    let forbidden = send(
        &app,
        Method::POST,
        "/api/v1/alerts/rules",
        &viewer,
        json!({"name": "x", "rule_type": "low_coverage"}),
    )
    .await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);

    let custom = app
        .send_ok(
            Method::POST,
            "/api/v1/alerts/rules",
            &lead,
            json!({"name": "Critical only", "rule_type": "high_risk_uncovered",
                   "config": {"min_severity": "critical"}, "severity": "critical",
                   "cooldown_hours": 6, "channels": ["in_app", "email"]}),
        )
        .await;
    assert_eq!(custom["system"], false);
    assert_eq!(custom["config"]["min_severity"], "critical");
    assert_eq!(custom["channels"], json!(["in_app", "email"]));
    let id = custom["id"].as_str().unwrap();
    let changed = app
        .send_ok(
            Method::PATCH,
            &format!("/api/v1/alerts/rules/{id}"),
            &lead,
            json!({"enabled": false, "cooldown_hours": 12}),
        )
        .await;
    assert_eq!(changed["enabled"], false);
    assert_eq!(changed["cooldown_hours"], 12);
    assert_eq!(changed["config"]["min_severity"], "critical");

    // System rules are disabled, never deleted; deleting is the admin's.
    let system = system_rule(&app, &viewer, "stale_technique").await;
    let system_id = system["id"].as_str().unwrap();
    let conflict = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/alerts/rules/{system_id}"),
        &admin,
        json!({}),
    )
    .await;
    assert_eq!(conflict.status(), StatusCode::CONFLICT);
    assert_eq!(problem(conflict).await["code"], "SYSTEM_ALERT_RULE");
    let lead_delete = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/alerts/rules/{id}"),
        &lead,
        json!({}),
    )
    .await;
    assert_eq!(lead_delete.status(), StatusCode::FORBIDDEN);
    let deleted = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/alerts/rules/{id}"),
        &admin,
        json!({}),
    )
    .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = send(
        &app,
        Method::PATCH,
        &format!("/api/v1/alerts/rules/{id}"),
        &lead,
        json!({}),
    )
    .await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
});

/// Moves a technique's newest validation into the past, as the calendar would.
async fn age_validation(app: &TestApp, technique: &str) {
    let db = Database::connect(app.database.url()).await.unwrap();
    let long_ago = chrono::Utc::now() - chrono::Duration::days(400);
    let statement = Query::update()
        .table(Alias::new("technique_scores"))
        .value(Alias::new("last_validated_at"), long_ago)
        .and_where(Expr::col(Alias::new("technique_id")).eq(technique))
        .to_owned();
    let result = db.execute(&statement).await.unwrap();
    assert_eq!(result.rows_affected(), 1);
}

/// The v2 bundle in which APT29 is also reported using the technique it adds (T1204).
fn bundle_with_new_actor_technique(dir: &std::path::Path) -> std::path::PathBuf {
    let mut bundle: Value =
        serde_json::from_slice(&std::fs::read(attack_fixture("enterprise-v2.json")).unwrap())
            .unwrap();
    let objects = bundle["objects"].as_array_mut().unwrap();
    let mitre_id = |o: &Value| {
        o["external_references"]
            .as_array()
            .and_then(|refs| refs.iter().find(|r| r["source_name"] == "mitre-attack"))
            .and_then(|r| r["external_id"].as_str())
            .map(str::to_owned)
    };
    let t1204 = objects
        .iter()
        .find(|o| mitre_id(o).as_deref() == Some("T1204"))
        .unwrap()["id"]
        .clone();
    let mut uses = objects
        .iter()
        .find(|o| o["type"] == "relationship" && o["source_ref"] == "intrusion-set--30")
        .unwrap()
        .clone();
    uses["id"] = json!("relationship--7e3a0c55-1204-4c2a-9d1e-000000001204");
    uses["target_ref"] = t1204;
    objects.push(uses);
    let path = dir.join("enterprise-v2-apt29.json");
    std::fs::write(&path, serde_json::to_vec(&bundle).unwrap()).unwrap();
    path
}

on_both_databases!(
    every_rule_type_fires_from_its_data,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        let (_, lead) = app.user_with_role(&admin, "blue_lead").await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;
        let tune = |rule: Value, body: Value| {
            let app = &app;
            let lead = lead.clone();
            async move {
                let id = rule["id"].as_str().unwrap().to_owned();
                app.send_ok(
                    Method::PATCH,
                    &format!("/api/v1/alerts/rules/{id}"),
                    &lead,
                    body,
                )
                .await
            }
        };
        // orphan_spike: the empty catalog is the baseline; an import adds techniques no rule names.
        tune(
            system_rule(&app, &viewer, "orphan_spike").await,
            json!({"config": {"threshold": 3}}),
        )
        .await;
        evaluate(&app, &lead).await;
        assert!(alerts_of(&app, &viewer, "orphan_spike").await.is_empty());
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        evaluate(&app, &lead).await;
        let orphans = alerts_of(&app, &viewer, "orphan_spike").await;
        assert_eq!(orphans.len(), 1, "{orphans:?}");
        assert_eq!(orphans[0]["details"]["previous"], 0);

        // high_risk_uncovered and detection_gap: T1566, used by two groups, missed.
        app.send_ok(
            Method::PUT,
            "/api/v1/tracked-actors/G0016",
            &lead,
            json!({}),
        )
        .await;
        app.validated_test(&admin, "T1566", json!({"outcome": "not_detected"}))
            .await;
        // coverage_regression and low_coverage: a detection raises the score, a reopen drops it.
        tune(
            system_rule(&app, &viewer, "coverage_regression").await,
            json!({"config": {"threshold": 1}}),
        )
        .await;
        let detected = app
            .validated_test(
                &admin,
                "T1059.001",
                json!({"outcome": "detected", "detected_at": "2026-11-22T10:05:00Z"}),
            )
            .await;
        app.send_ok(Method::POST, "/api/v1/snapshots", &lead, json!({}))
            .await;
        let detected_id = detected["id"].as_str().unwrap();
        app.send_ok(
            Method::POST,
            &format!("/api/v1/tests/{detected_id}/reopen"),
            &admin,
            json!({"notes": "retest"}),
        )
        .await;
        app.send_ok(Method::POST, "/api/v1/snapshots", &lead, json!({}))
            .await;
        // expiry_wave: one proof expiring within ten years is a wave of one.
        app.send_ok(
        Method::POST,
        "/api/v1/alerts/rules",
        &lead,
        json!({"name": "Any expiry", "rule_type": "expiry_wave", "config": {"threshold": 1, "days": 3650}}),
    )
    .await;
        let asset = app
            .send_ok(
                Method::POST,
                "/api/v1/detection-lifecycle/assets",
                &lead,
                json!({"name": "Phishing mail rule", "kind": "siem_rule", "platform": "splunk"}),
            )
            .await;
        app.send_ok(
            Method::POST,
            "/api/v1/detection-lifecycle/validations",
            &lead,
            json!({"asset_id": asset["id"], "technique_id": "T1566", "evidence": "TICKET-7"}),
        )
        .await;
        // stale_technique: T1566's newest validation, moved 400 days back.
        age_validation(&app, "T1566").await;
        // new_technique: an import reports the tracked APT29 using T1204.
        let dir = tempfile::tempdir().unwrap();
        app.import_attack(&bundle_with_new_actor_technique(dir.path()))
            .await;

        evaluate(&app, &lead).await;
        let high = alerts_of(&app, &viewer, "high_risk_uncovered").await;
        assert!(
            high.iter().any(|a| a["details"]["technique_id"] == "T1566"),
            "{high:?}"
        );
        let gaps = alerts_of(&app, &viewer, "detection_gap").await;
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert_eq!(gaps[0]["details"]["technique_id"], "T1566");
        let regression = alerts_of(&app, &viewer, "coverage_regression").await;
        assert!(
            regression
                .iter()
                .any(|a| a["details"]["scope"] == "organization"),
            "{regression:?}"
        );
        assert!(!alerts_of(&app, &viewer, "low_coverage").await.is_empty());
        let waves = alerts_of(&app, &viewer, "expiry_wave").await;
        assert_eq!(waves.len(), 1, "{waves:?}");
        assert!(waves[0]["details"]["expiring"].as_u64().unwrap() >= 1);
        let stale = alerts_of(&app, &viewer, "stale_technique").await;
        assert!(
            stale
                .iter()
                .any(|a| a["details"]["technique_id"] == "T1566"),
            "{stale:?}"
        );
        let news = alerts_of(&app, &viewer, "new_technique").await;
        assert_eq!(news.len(), 1, "{news:?}");
        assert_eq!(news[0]["details"]["technique_id"], "T1204");
        assert_eq!(news[0]["details"]["actor"], "APT29");

        let summary = read(&app, "/api/v1/alerts/summary", &viewer).await;
        for rule_type in [
            "high_risk_uncovered",
            "stale_technique",
            "coverage_regression",
            "low_coverage",
            "expiry_wave",
            "new_technique",
            "orphan_spike",
            "detection_gap",
        ] {
            assert!(
                summary["active_by_type"][rule_type].as_u64().unwrap() >= 1,
                "{rule_type}: {summary}"
            );
        }
        // Nothing fires twice within the cooldown.
        let total = summary["total"].clone();
        let again = evaluate(&app, &lead).await;
        assert_eq!(again["alerts_fired"], 0, "{again}");
        assert_eq!(
            read(&app, "/api/v1/alerts/summary", &viewer).await["total"],
            total
        );
    }
);
