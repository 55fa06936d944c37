//! Background jobs over REST: run now, history, scheduler status, the intel scan's
//! notifications, and posture snapshots.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

async fn post(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn expect_problem_status(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    problem(response).await
}

async fn read(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app.get(path, token).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

on_both_databases!(
    admins_run_jobs_and_follow_their_history,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        let started = post(&app, "/api/v1/system/jobs/notification_cleanup/run", &admin).await;
        assert_eq!(started.status(), StatusCode::ACCEPTED);
        let run: Value = started.json().await.unwrap();
        assert_eq!(run["outcome"], "queued");
        let finished = app.wait_for_job(run["id"].as_str().unwrap(), &admin).await;
        assert_eq!(finished["outcome"], "succeeded", "{finished}");
        assert_eq!(finished["attempts"], 1);
        assert_eq!(finished["counts"]["deleted"], 0);
        assert!(finished["error"].is_null());

        let unknown = post(&app, "/api/v1/system/jobs/reboot/run", &admin).await;
        let problem = expect_problem_status(unknown, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem["errors"][0]["field"], "job", "{problem}");

        let history = read(&app, "/api/v1/system/jobs?job=notification_cleanup", &admin).await;
        assert_eq!(history["total"], 1);
        assert_eq!(history["items"][0]["id"], run["id"]);
        let none = read(&app, "/api/v1/system/jobs?outcome=dead", &admin).await;
        assert_eq!(none["total"], 0);
        let bad = app.get("/api/v1/system/jobs?outcome=lost", &admin).await;
        expect_problem_status(bad, StatusCode::UNPROCESSABLE_ENTITY).await;

        let status = read(&app, "/api/v1/system/scheduler-status", &admin).await;
        let jobs = status.as_array().unwrap();
        assert_eq!(jobs.len(), aegis_domain::job::JobKind::ALL.len());
        let cleanup = jobs
            .iter()
            .find(|j| j["job"] == "notification_cleanup")
            .unwrap();
        assert_eq!(cleanup["last_run"]["id"], run["id"]);
        assert_eq!(cleanup["schedule"], "0 30 2 * * *");
        assert!(cleanup["next_due"].is_string());
        let snapshot = jobs
            .iter()
            .find(|j| j["job"] == "coverage_snapshot")
            .unwrap();
        assert_eq!(snapshot["schedule"], "0 0 0 * * Sun");
    }
);

on_both_databases!(
    the_intel_scan_tells_leads_what_an_import_changed_once,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        let (_, lead) = app.user_with_role(&admin, "blue_lead").await;
        let (_, tech) = app.user_with_role(&admin, "blue_tech").await;
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;

        let started = post(&app, "/api/v1/system/run-intel-scan", &admin).await;
        assert_eq!(started.status(), StatusCode::ACCEPTED);
        let run: Value = started.json().await.unwrap();
        assert_eq!(run["job"], "intel_scan");
        let finished = app.wait_for_job(run["id"].as_str().unwrap(), &admin).await;
        assert_eq!(finished["outcome"], "succeeded", "{finished}");
        assert_eq!(finished["counts"]["imports"], 1);
        assert_eq!(finished["counts"]["new_techniques"], 6);
        // The admin and the lead, not the technician.
        assert_eq!(finished["counts"]["notified"], 2);
        let notes = read(&app, "/api/v1/notifications", &lead).await;
        assert_eq!(notes["items"][0]["kind"], "intel.catalog_changed");
        assert!(
            notes["items"][0]["title"]
                .as_str()
                .unwrap()
                .contains("6 new"),
            "{notes}"
        );
        let none = read(&app, "/api/v1/notifications", &tech).await;
        assert_eq!(none["total"], 0);

        // Nothing new since: the next scan tells nobody.
        let again: Value = post(&app, "/api/v1/system/run-intel-scan", &admin)
            .await
            .json()
            .await
            .unwrap();
        let finished = app
            .wait_for_job(again["id"].as_str().unwrap(), &admin)
            .await;
        assert_eq!(finished["counts"]["imports"], 0, "{finished}");
        assert_eq!(finished["counts"]["notified"], 0);
        let notes = read(&app, "/api/v1/notifications", &lead).await;
        assert_eq!(notes["total"], 1);
    }
);

on_both_databases!(
    leads_take_snapshots_everyone_reads_the_trend_admins_delete,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let (_, lead) = app.user_with_role(&admin, "red_lead").await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;

        let refused = post(&app, "/api/v1/snapshots", &viewer).await;
        expect_problem_status(refused, StatusCode::FORBIDDEN).await;
        let taken = post(&app, "/api/v1/snapshots", &lead).await;
        assert_eq!(taken.status(), StatusCode::CREATED);
        let snapshot: Value = taken.json().await.unwrap();
        let heatmap = read(&app, "/api/v1/heatmap", &viewer).await;
        let techniques: std::collections::HashSet<String> = heatmap["tactics"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|column| column["techniques"].as_array().unwrap().clone())
            .map(|cell| cell["mitre_id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(snapshot["total_techniques"], techniques.len());
        assert_eq!(snapshot["covered_techniques"], 0);
        assert_eq!(snapshot["coverage_percent"], 0.0);
        assert_eq!(
            snapshot["by_tactic"].as_array().unwrap().len(),
            heatmap["tactics"].as_array().unwrap().len()
        );
        assert_eq!(snapshot["status_counts"]["not_covered"], techniques.len());

        // The weekly job records one more, without a user.
        let run: Value = post(&app, "/api/v1/system/jobs/coverage_snapshot/run", &admin)
            .await
            .json()
            .await
            .unwrap();
        let finished = app.wait_for_job(run["id"].as_str().unwrap(), &admin).await;
        assert_eq!(finished["counts"]["snapshots"], 1, "{finished}");

        let list = read(&app, "/api/v1/snapshots", &viewer).await;
        assert_eq!(list["total"], 2);
        assert!(
            list["items"][0]["taken_by"].is_null(),
            "newest first: {list}"
        );
        let trend = read(&app, "/api/v1/snapshots/trend", &viewer).await;
        assert_eq!(trend.as_array().unwrap().len(), 2);
        let id = snapshot["id"].as_str().unwrap();
        let one = read(&app, &format!("/api/v1/snapshots/{id}"), &viewer).await;
        assert_eq!(one["id"], snapshot["id"]);

        let path = format!("/api/v1/snapshots/{id}");
        let by_lead = app
            .client
            .delete(app.url(&path))
            .bearer_auth(&lead)
            .send()
            .await
            .unwrap();
        expect_problem_status(by_lead, StatusCode::FORBIDDEN).await;
        let deleted = app
            .client
            .delete(app.url(&path))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
        let gone = app.get(&path, &viewer).await;
        expect_problem_status(gone, StatusCode::NOT_FOUND).await;
    }
);
