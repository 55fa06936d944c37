//! Coverage over HTTP: a test's progress moves its technique's status and score, which the
//! technique detail explains, the technique list filters on, and the heatmap rolls up.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

async fn send(app: &TestApp, method: Method, path: &str, token: &str, body: Value) -> Value {
    let response = app
        .client
        .request(method, app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert!(status.is_success(), "{path}: {status}: {body}");
    body
}

async fn read(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app.get(path, token).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

fn ids(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["mitre_id"].as_str().unwrap())
        .collect()
}

fn cell<'a>(map: &'a Value, tactic: &str, technique: &str) -> &'a Value {
    let column = map["tactics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["shortname"] == tactic)
        .unwrap_or_else(|| panic!("no {tactic} column"));
    column["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["mitre_id"] == technique)
        .unwrap_or_else(|| panic!("no {technique} under {tactic}"))
}

on_both_databases!(
    validation_moves_coverage_and_the_heatmap,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let mut tokens = Vec::new();
        for role in ["red_lead", "red_tech", "blue_lead", "blue_tech", "viewer"] {
            tokens.push(app.user_with_role(&admin, role).await.1);
        }
        let [red_lead, red_tech, blue_lead, blue_tech, viewer] =
            <[String; 5]>::try_from(tokens).unwrap();

        let uncovered = read(
            &app,
            "/api/v1/techniques?coverage_status=not_covered&include_subtechniques=true",
            &viewer,
        )
        .await;
        assert!(ids(&uncovered).contains(&"T1059.001"));
        assert_eq!(uncovered["items"][0]["coverage_status"], "not_covered");
        let bad = app
            .get("/api/v1/techniques?coverage_status=sort-of", &viewer)
            .await;
        assert_eq!(problem(bad).await["errors"][0]["field"], "coverage_status");

        let test = send(
            &app,
            Method::POST,
            "/api/v1/tests",
            &red_lead,
            json!({"title": "Encoded cradle", "technique_id": "T1059.001", "platform": "Windows"}),
        )
        .await;
        assert_eq!(test["platform"], "Windows");
        let id = test["id"].as_str().unwrap().to_owned();
        let in_progress = read(
            &app,
            "/api/v1/techniques?coverage_status=in_progress&include_subtechniques=true",
            &viewer,
        )
        .await;
        assert_eq!(ids(&in_progress), ["T1059.001"]);

        let step = |action: &'static str, token: String, body: Value| {
            let app = &app;
            let id = id.clone();
            async move {
                send(
                    app,
                    Method::POST,
                    &format!("/api/v1/tests/{id}/{action}"),
                    &token,
                    body,
                )
                .await
            }
        };
        step("start-execution", red_tech.clone(), json!({})).await;
        send(
            &app,
            Method::PATCH,
            &format!("/api/v1/tests/{id}/red"),
            &red_tech,
            json!({
                "executed_at": "2026-11-22T10:00:00Z", "procedure": "Encoded download cradle",
                "command": "powershell -enc SQBFAFgA", "tool": "Atomic Red Team",
                "targets": ["WS-042"], "result_summary": "Payload executed",
            }),
        )
        .await;
        step("submit-red", red_tech.clone(), json!({})).await;
        send(
            &app,
            Method::PATCH,
            &format!("/api/v1/tests/{id}/blue"),
            &blue_tech,
            json!({
                "outcome": "detected", "detected_at": "2026-11-22T10:03:00Z",
                "detection_source": "EDR", "fired_rules": ["sigma:3b6ab547"],
            }),
        )
        .await;
        step("submit-blue", blue_tech.clone(), json!({})).await;
        step(
            "validate-red",
            red_lead.clone(),
            json!({"verdict": "approve"}),
        )
        .await;
        let validated = step(
            "validate-blue",
            blue_lead.clone(),
            json!({"verdict": "approve"}),
        )
        .await;
        assert_eq!(validated["state"], "validated");
        assert!(validated["validated_at"].is_string());

        let detail = read(&app, "/api/v1/techniques/T1059.001", &viewer).await;
        let coverage = &detail["coverage"];
        assert_eq!(coverage["status"], "validated");
        assert_eq!(coverage["validated_tests"], 1);
        assert_eq!(coverage["open_tests"], 0);
        // Detected (0.85 of 40), one proven rule (1/3 of 20), fresh (15), one platform (1/3
        // of 10): docs/scoring.md.
        let breakdown = &coverage["breakdown"];
        assert_eq!(breakdown["tests"], 34.0);
        assert_eq!(breakdown["rules"], 6.7);
        assert_eq!(breakdown["freshness"], 15.0);
        assert_eq!(breakdown["diversity"], 3.3);
        assert_eq!(breakdown["countermeasures"], 0.0);
        assert_eq!(coverage["score"], 59.0);

        let map = read(&app, "/api/v1/heatmap", &viewer).await;
        let tactics: Vec<&str> = map["tactics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["tactic_id"].as_str().unwrap())
            .collect();
        let listed: Vec<Value> = read(&app, "/api/v1/tactics", &viewer)
            .await
            .as_array()
            .unwrap()
            .clone();
        let matrix: Vec<&str> = listed
            .iter()
            .map(|t| t["mitre_id"].as_str().unwrap())
            .collect();
        assert_eq!(tactics, matrix, "columns in matrix order");
        let parent = cell(&map, "execution", "T1059");
        assert_eq!(parent["score"], 0.0, "the parent has no test of its own");
        assert_eq!(parent["rolled_score"], 59.0, "max roll-up by default");
        let sub = parent["subtechniques"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["mitre_id"] == "T1059.001")
            .unwrap();
        assert_eq!(sub["status"], "validated");
        assert!(sub["threat_actors"].as_u64().unwrap() >= 1);
        assert!(map["organization_score"].as_f64().unwrap() > 0.0);

        let summary = read(&app, "/api/v1/coverage", &viewer).await;
        assert!(summary["techniques"].as_u64().unwrap() >= 2);
        let execution = summary["tactics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["shortname"] == "execution")
            .unwrap();
        assert!(execution["score"].as_f64().unwrap() > 0.0);

        let apt29 = read(&app, "/api/v1/heatmap?threat_actor=G0016", &viewer).await;
        let on_map: Vec<&str> = apt29["tactics"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["techniques"].as_array().unwrap())
            .map(|t| t["mitre_id"].as_str().unwrap())
            .collect();
        assert!(on_map.contains(&"T1059"), "{on_map:?}");
        assert!(
            on_map.iter().all(|t| ["T1059", "T1566"].contains(t)),
            "{on_map:?}"
        );
        let unknown = app.get("/api/v1/heatmap?threat_actor=G9999", &viewer).await;
        assert_eq!(problem(unknown).await["code"], "THREAT_ACTOR_NOT_FOUND");

        // The dashboard and the metrics follow the validation.
        let board = read(&app, "/api/v1/dashboard", &viewer).await;
        let kpis = &board["kpis"];
        assert_eq!(kpis["validated_tests"], 1, "{board}");
        assert_eq!(kpis["total_techniques"], 3);
        assert_eq!(
            kpis["covered_techniques"], 1,
            "T1059 is covered through T1059.001"
        );
        assert_eq!(kpis["coverage_percent"], 33.3);
        assert_eq!(kpis["open_tests"], 0);
        assert!(kpis["organization_score"].as_f64().unwrap() > 0.0);
        let execution = board["by_tactic"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["tactic"] == "execution")
            .unwrap();
        assert_eq!(execution["covered"], 1);
        let latest = &board["activity"][0];
        assert_eq!(latest["action"], "validate-blue", "{board}");
        assert_eq!(latest["test_title"], "Encoded cradle");
        assert_eq!(latest["to_state"], "validated");
        assert!(latest["actor_name"].is_string());
        let story = &board["narrative"];
        assert!(
            story["posture"]
                .as_str()
                .unwrap()
                .contains("33.3% of the matrix"),
            "{story}"
        );
        assert_eq!(
            story["improvements"],
            "1 test validated in the last 30 days, proving coverage of 1 technique."
        );
        assert!(
            story["top_risks"][0]
                .as_str()
                .unwrap()
                .starts_with("T1566 Phishing: used by"),
            "{story}"
        );
        assert_eq!(story["trend"], "No earlier snapshot to compare with yet.");

        let metrics = read(&app, "/api/v1/metrics", &viewer).await;
        assert_eq!(metrics["total_tests"], 1);
        let validated_step = metrics["funnel"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["state"] == "validated")
            .unwrap();
        assert_eq!(validated_step["tests"], 1);
        assert_eq!(metrics["validation_rate"], 1.0);
        assert_eq!(metrics["detection_rate"], 1.0);
        assert_eq!(
            metrics["mean_time_to_detect_seconds"], 180.0,
            "10:00 to 10:03"
        );
        assert_eq!(metrics["never_tested_techniques"], 4);
        assert_eq!(metrics["validated_techniques"], 1);
        assert_eq!(metrics["detection_trend"].as_array().unwrap().len(), 12);
        let operators = metrics["operators"].as_array().unwrap();
        assert_eq!(operators.len(), 4, "{metrics}");
        assert!(
            operators
                .iter()
                .any(|o| o["actions"]["submit-red"] == 1 && o["actions"]["start-execution"] == 1),
            "{metrics}"
        );

        // Reopening takes the validation back: the technique is under way again.
        let reopened = step("reopen", admin.clone(), json!({"notes": "new EDR build"})).await;
        assert!(reopened["validated_at"].is_null());
        let detail = read(&app, "/api/v1/techniques/T1059.001", &viewer).await;
        assert_eq!(detail["coverage"]["status"], "in_progress");
        assert_eq!(detail["coverage"]["score"], 0.0);
    }
);

on_both_databases!(
    the_heatmap_exports_as_a_navigator_layer_and_a_layer_plans_tests,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let (_, lead) = app.user_with_role(&admin, "blue_lead").await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;

        let response = app.get("/api/v1/heatmap/navigator-layer", &viewer).await;
        assert_eq!(response.status(), StatusCode::OK);
        let disposition = response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(disposition.contains("attachment"), "{disposition}");
        let layer: Value = response.json().await.unwrap();
        assert_eq!(layer["versions"]["layer"], "4.5");
        assert_eq!(layer["domain"], "enterprise-attack");
        assert!(
            layer["name"]
                .as_str()
                .unwrap()
                .starts_with("Aegis coverage")
        );
        assert_eq!(layer["gradient"]["minValue"], 0.0);
        assert_eq!(layer["gradient"]["maxValue"], 100.0);
        assert_eq!(layer["gradient"]["colors"].as_array().unwrap().len(), 3);
        assert_eq!(layer["legendItems"].as_array().unwrap().len(), 4);
        let techniques = layer["techniques"].as_array().unwrap();
        let ids: Vec<&str> = techniques
            .iter()
            .map(|t| t["techniqueID"].as_str().unwrap())
            .collect();
        for id in ["T1059", "T1059.001", "T1059.004", "T1566", "T1027"] {
            assert!(ids.contains(&id), "{id} missing from {ids:?}");
        }
        assert!(!ids.contains(&"T1086"), "revoked techniques stay out");
        let powershell = techniques
            .iter()
            .find(|t| t["techniqueID"] == "T1059.001")
            .unwrap();
        assert_eq!(powershell["tactic"], "execution");
        assert_eq!(powershell["score"], 0.0);
        assert!(powershell["color"].as_str().unwrap().starts_with('#'));
        assert_eq!(powershell["metadata"][0]["name"], "status");
        assert_eq!(powershell["metadata"][0]["value"], "not_covered");
        assert_eq!(
            powershell["links"][0]["url"],
            "https://attack.mitre.org/techniques/T1059/001/"
        );

        let execution: Value = app
            .get("/api/v1/heatmap/navigator-layer?tactic=TA0002", &viewer)
            .await
            .json()
            .await
            .unwrap();
        let tactics: std::collections::HashSet<&str> = execution["techniques"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["tactic"].as_str().unwrap())
            .collect();
        assert_eq!(tactics, std::collections::HashSet::from(["execution"]));
        assert!(execution["name"].as_str().unwrap().ends_with("(Execution)"));
        let unknown = app
            .get("/api/v1/heatmap/navigator-layer?tactic=TA9999", &viewer)
            .await;
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

        let planned = json!({
            "name": "Red team priorities",
            "domain": "enterprise-attack",
            "versions": {"layer": "4.5"},
            "techniques": [
                {"techniqueID": "T1059", "tactic": "execution", "score": 50},
                {"techniqueID": "T1059", "tactic": "execution", "comment": "Focus on PowerShell"},
                {"techniqueID": "T1566", "comment": "Spear-phishing attachment"},
                {"techniqueID": "T1027"},
                {"techniqueID": "T1027.001", "score": 10, "enabled": false},
                {"techniqueID": "T1234", "score": 1},
                {"techniqueID": "bogus", "score": 1}
            ]
        });
        let refused = send_raw(&app, "/api/v1/heatmap/navigator-layer", &viewer, &planned).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let imported = send_raw(&app, "/api/v1/heatmap/navigator-layer", &lead, &planned).await;
        assert_eq!(imported.status(), StatusCode::CREATED);
        let imported: Value = imported.json().await.unwrap();
        let created = imported["created"].as_array().unwrap();
        assert_eq!(created.len(), 2, "{imported}");
        let t1059 = created
            .iter()
            .find(|t| t["technique_id"] == "T1059")
            .unwrap();
        assert_eq!(t1059["state"], "draft");
        assert!(
            t1059["title"]
                .as_str()
                .unwrap()
                .contains("Red team priorities")
        );
        let description = t1059["description"].as_str().unwrap();
        assert!(description.contains("Layer score: 50"), "{description}");
        assert!(description.contains("Focus on PowerShell"), "{description}");
        let skipped: Vec<(&str, &str)> = imported["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["technique_id"].as_str().unwrap(),
                    s["reason"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            skipped,
            vec![
                ("bogus", "not an ATT&CK technique id"),
                ("T1234", "not in the catalog")
            ]
        );

        let other = json!({"name": "Mobile", "domain": "mobile-attack", "techniques": []});
        let refused = send_raw(&app, "/api/v1/heatmap/navigator-layer", &lead, &other).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "domain");

        // Our own export plans a test for every technique on it.
        let round_trip = send_raw(&app, "/api/v1/heatmap/navigator-layer", &lead, &layer).await;
        assert_eq!(round_trip.status(), StatusCode::CREATED);
        let round_trip: Value = round_trip.json().await.unwrap();
        assert_eq!(round_trip["created"].as_array().unwrap().len(), 5);
        let tests: Value = app
            .get("/api/v1/tests", &viewer)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(tests["total"], 7);
    }
);

async fn send_raw(app: &TestApp, path: &str, token: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

on_both_databases!(
    a_technique_counts_each_actor_of_it_and_its_sub_techniques_once,
    |app: TestApp| async move {
        // The fixture's APT29 uses T1059.001 and T1566, FIN7 T1566. Add APT29 -> T1059 and
        // T1059.004, FIN7 -> T1059.001: T1059's family is used by two actors, recorded four
        // times (which is what adding up the per-technique counts said).
        let mut bundle: Value = serde_json::from_str(
            &std::fs::read_to_string(attack_fixture("enterprise-v1.json")).unwrap(),
        )
        .unwrap();
        let objects = bundle["objects"].as_array_mut().unwrap();
        for (n, (actor, technique)) in [
            ("intrusion-set--30", "attack-pattern--10"),
            ("intrusion-set--30", "attack-pattern--12"),
            ("intrusion-set--31", "attack-pattern--11"),
        ]
        .into_iter()
        .enumerate()
        {
            objects.push(
                json!({"type": "relationship", "id": format!("relationship--9{n}"),
                                "relationship_type": "uses", "source_ref": actor,
                                "target_ref": technique}),
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("enterprise-families.json");
        std::fs::write(&path, bundle.to_string()).unwrap();
        app.import_attack(&path).await;
        let admin = app.admin_token().await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;

        let map = read(&app, "/api/v1/heatmap", &viewer).await;
        let t1059 = cell(&map, "execution", "T1059");
        assert_eq!(t1059["threat_actors"], 2, "APT29 and FIN7, once each");
        let sub = |id: &str| {
            t1059["subtechniques"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["mitre_id"] == id)
                .cloned()
                .unwrap()
        };
        assert_eq!(sub("T1059.001")["threat_actors"], 2);
        assert_eq!(sub("T1059.004")["threat_actors"], 1);

        let board = read(&app, "/api/v1/dashboard", &viewer).await;
        let risks: Vec<&str> = board["narrative"]["top_risks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        assert!(
            risks.contains(
                &"T1059 Command and Scripting Interpreter: used by 2 threat actors, not covered"
            ),
            "{risks:?}"
        );
    }
);
