//! Risk over HTTP: computed over the matrix on request, recomputed when tracked actors change
//! and when a validation moves a technique's proof, explained by its breakdown and its
//! recommendations, and the prevention/detection split with the time to detect.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

async fn read(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app.get(path, token).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

on_both_databases!(
    risk_ranks_explains_and_follows_its_inputs,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let (_, lead) = app.user_with_role(&admin, "red_lead").await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;

        let empty = read(&app, "/api/v1/risk/summary", &viewer).await;
        assert_eq!(empty["techniques"], 0);
        assert!(empty["computed_at"].is_null());
        let refused = app
            .client
            .post(app.url("/api/v1/risk/compute"))
            .bearer_auth(&viewer)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let computed = app
            .send_ok(Method::POST, "/api/v1/risk/compute", &lead, json!({}))
            .await;
        assert_eq!(computed["assessed"], 5, "{computed}");

        // No tracked actor: every known actor counts. T1566 is used by two groups.
        let top = read(&app, "/api/v1/risk/top?limit=3", &viewer).await;
        assert_eq!(top[0]["technique_id"], "T1566", "{top}");
        assert_eq!(top[0]["score"], 47.0);
        assert_eq!(top[0]["level"], "medium");
        assert_eq!(top[0]["inputs"]["actors"], 2);
        assert_eq!(top[0]["inputs"]["tracked_actors"], false);
        assert_eq!(top[0]["breakdown"]["detection_gap"], 35.0);
        assert_eq!(top[0]["breakdown"]["threat_actors"], 12.0);

        // Tracking APT29 narrows the threat to it, at once.
        app.send_ok(
            Method::PUT,
            "/api/v1/tracked-actors/G0016",
            &lead,
            json!({}),
        )
        .await;
        let t1566 = read(&app, "/api/v1/risk/techniques/T1566", &viewer).await;
        assert_eq!(t1566["inputs"]["actors"], 1);
        assert_eq!(t1566["inputs"]["tracked_actors"], true);
        assert_eq!(t1566["score"], 41.0);
        let unused = read(&app, "/api/v1/risk/techniques/T1027", &viewer).await;
        assert_eq!(unused["score"], 35.0);
        assert_eq!(unused["inputs"]["detection_proven"], false);

        // A detected validation proves T1059.001; a missed one leaves T1566 worse off.
        let before = read(&app, "/api/v1/risk/techniques/T1059.001", &viewer).await;
        app.validated_test(
            &admin,
            "T1059.001",
            json!({"outcome": "detected", "detected_at": "2026-11-22T10:05:00Z"}),
        )
        .await;
        let after = read(&app, "/api/v1/risk/techniques/T1059.001", &viewer).await;
        assert_eq!(after["inputs"]["detection_proven"], true, "{after}");
        assert_eq!(after["inputs"]["validated_tests"], 1);
        assert!(after["score"].as_f64() < before["score"].as_f64());
        app.validated_test(&admin, "T1566", json!({"outcome": "not_detected"}))
            .await;
        let missed = read(&app, "/api/v1/risk/techniques/T1566", &viewer).await;
        assert_eq!(missed["inputs"]["failed_tests"], 1);
        assert_eq!(missed["breakdown"]["failed_tests"], 15.0);
        assert_eq!(missed["inputs"]["detection_status"], "partial");

        let ranked = read(&app, "/api/v1/risk?sort=score_desc", &viewer).await;
        assert_eq!(ranked["total"], 5);
        assert_eq!(ranked["items"][0]["technique_id"], "T1566", "{ranked}");
        let advice = read(&app, "/api/v1/risk/recommendations", &viewer).await;
        assert_eq!(advice[0]["rank"], 1);
        assert_eq!(advice[0]["technique_id"], "T1566");
        assert_eq!(advice[0]["action"], "improve_detection");
        let reason = advice[0]["reason"].as_str().unwrap();
        assert!(reason.starts_with("T1566 is "), "{reason}");
        assert!(reason.contains("1 tracked actor uses it"), "{reason}");
        assert!(
            reason.contains("1 of 1 validated tests missed it"),
            "{reason}"
        );
        let unproven = advice
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["technique_id"] == "T1059")
            .expect("the parent APT29 uses through its sub-technique");
        assert_eq!(unproven["action"], "plan_test");
        assert_eq!(
            unproven["reason"],
            "T1059 is medium: 1 tracked actor uses it and no detection is proven; plan a test of it"
        );
        // A proven technique with no fresh intelligence asks for nothing.
        assert!(
            !advice
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["technique_id"] == "T1059.001")
        );

        let only_medium = read(&app, "/api/v1/risk?level=medium&sort=technique", &viewer).await;
        assert!(
            only_medium["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["level"] == "medium")
        );
        let used = read(&app, "/api/v1/risk?used_by_actors=true", &viewer).await;
        assert_eq!(used["total"], 3, "{used}");

        let matrix = read(&app, "/api/v1/risk/matrix", &viewer).await;
        let cells = matrix.as_array().unwrap();
        assert_eq!(cells.len(), 25);
        assert_eq!(cells[0]["likelihood"], 5);
        let counted: u64 = cells.iter().map(|c| c["count"].as_u64().unwrap()).sum();
        assert_eq!(counted, 5);
        let summary = read(&app, "/api/v1/risk/summary", &viewer).await;
        assert_eq!(summary["techniques"], 5);
        assert_eq!(summary["highest"]["technique_id"], "T1566");
        assert_eq!(summary["by_level"].as_object().unwrap().len(), 5);

        let performance = read(&app, "/api/v1/risk/detection-performance", &viewer).await;
        let overall = &performance["overall"];
        assert_eq!(overall["validated_tests"], 2);
        assert_eq!(overall["detected"], 1);
        assert_eq!(overall["missed"], 1);
        assert_eq!(overall["detected_share"], 0.5);
        assert_eq!(overall["median_seconds_to_detect"], 300);
        assert_eq!(overall["p90_seconds_to_detect"], 300);
        assert_eq!(performance["by_technique"]["T1566"]["missed_share"], 1.0);
        assert!(!performance["by_tactic"].as_object().unwrap().is_empty());
    }
);

on_both_databases!(
    bad_risk_queries_name_their_field,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        for (path, field) in [
            ("/api/v1/risk?level=severe", "level"),
            ("/api/v1/risk?sort=sideways", "sort"),
            ("/api/v1/risk?min_score=101", "min_score"),
            ("/api/v1/risk/top?limit=0", "limit"),
            ("/api/v1/risk/recommendations?limit=500", "limit"),
            ("/api/v1/risk/techniques/nope", "id"),
        ] {
            let response = app.get(path, &admin).await;
            assert_eq!(
                response.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path}"
            );
            assert_eq!(
                problem(response).await["errors"][0]["field"],
                field,
                "{path}"
            );
        }
        let missing = app.get("/api/v1/risk/techniques/T1234", &admin).await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }
);
