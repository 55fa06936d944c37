//! The analytics feeds for BI tools: flat rows with stable columns, as JSON pages and CSV,
//! paginated with the total and the next page in headers.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

async fn feed(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    let response = app.get(path, token).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response
}

async fn json_feed(app: &TestApp, path: &str, token: &str) -> Value {
    feed(app, path, token).await.json().await.unwrap()
}

on_both_databases!(
    each_feed_gives_flat_rows_as_json_and_csv,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;
        app.validated_test(
            &admin,
            "T1059.001",
            json!({"outcome": "detected", "detected_at": "2026-11-22T12:05:00Z"}),
        )
        .await;
        app.validated_test(&admin, "T1566", json!({"outcome": "not_detected"}))
            .await;
        for _ in 0..2 {
            app.send_ok(
                reqwest::Method::POST,
                "/api/v1/snapshots",
                &admin,
                json!({}),
            )
            .await;
        }

        // Tests: typed JSON, newest first, time to detect from red's execution.
        let tests = json_feed(&app, "/api/v1/analytics/tests", &viewer).await;
        assert_eq!(tests["total"], 2);
        let detected = tests["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["technique_id"] == "T1059.001")
            .unwrap();
        assert_eq!(detected["outcome"], "detected");
        assert_eq!(detected["state"], "validated");
        assert!(detected["time_to_detect_seconds"].is_i64(), "{detected}");

        // One row a page: the total and the next page are in the headers.
        let first = feed(
            &app,
            "/api/v1/analytics/tests?per_page=1&format=csv",
            &viewer,
        )
        .await;
        assert_eq!(first.headers()["x-total-count"], "2");
        assert_eq!(
            first.headers()["link"],
            "</api/v1/analytics/tests?page=2&per_page=1&format=csv>; rel=\"next\""
        );
        assert!(
            first.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let csv = first.text().await.unwrap();
        let mut lines = csv.lines();
        assert_eq!(
            lines.next().unwrap(),
            "id,title,technique_id,state,platform,campaign_id,assignee_id,created_at,executed_at,tool,outcome,detected_at,time_to_detect_seconds,detection_source,fired_rules,validated_at"
        );
        assert_eq!(lines.count(), 1);
        let last = feed(&app, "/api/v1/analytics/tests?page=2&per_page=1", &viewer).await;
        assert!(last.headers().get("link").is_none());

        // Coverage: every technique of the matrix, the proven one with its outcome split.
        let coverage = json_feed(&app, "/api/v1/analytics/coverage?per_page=200", &viewer).await;
        let row = coverage["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["technique_id"] == "T1059.001")
            .unwrap();
        assert_eq!(row["parent_id"], "T1059");
        assert_eq!(row["validated_tests"], 1);
        assert_eq!(row["detected"], 1);
        assert_eq!(row["missed"], 0);

        // Trends: the snapshots oldest first.
        let trends = json_feed(&app, "/api/v1/analytics/trends", &viewer).await;
        let points = trends["items"].as_array().unwrap();
        assert_eq!(points.len(), 2);
        assert!(points[0]["taken_at"].as_str() <= points[1]["taken_at"].as_str());
        assert_eq!(points[0]["trigger"], "manual");

        // Operators: the red and the blue worker of each test, with their logged time.
        let operators = json_feed(&app, "/api/v1/analytics/operators", &admin).await;
        let teams: Vec<&str> = operators["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["team"].as_str().unwrap())
            .collect();
        assert!(
            teams.contains(&"red") && teams.contains(&"blue"),
            "{operators}"
        );
        for operator in operators["items"].as_array().unwrap() {
            assert!(operator["email"].as_str().unwrap().contains('@'));
            assert!(operator["worklogs"].as_u64().unwrap() >= 1);
        }
        let csv = feed(&app, "/api/v1/analytics/operators?format=csv", &admin)
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(
            csv.lines().next().unwrap(),
            "user_id,email,display_name,role,team,tests,worklogs,worked_seconds,first_started_at,last_ended_at"
        );

        let refused = app
            .get("/api/v1/analytics/tests?format=xlsx", &viewer)
            .await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem(refused).await["errors"][0]["field"], "format");
    }
);
