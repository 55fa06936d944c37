//! `aegis demo`: the demonstration data set fills the dashboard, the trend, the campaign's
//! every workflow state and the findings, and a second run changes no row.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::Value;

use crate::helpers::{TestApp, on_both_databases};

/// Every table's row count.
async fn row_counts(app: &TestApp) -> BTreeMap<String, i64> {
    let db = Database::connect(app.database.url()).await.unwrap();
    let backend = db.get_database_backend();
    let tables_sql = if app.database.is_postgres() {
        "SELECT table_name AS name FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    };
    let tables = db
        .query_all_raw(Statement::from_string(backend, tables_sql))
        .await
        .unwrap();
    let mut counts = BTreeMap::new();
    for row in tables {
        let name: String = row.try_get("", "name").unwrap();
        // The scheduler's bookkeeping moves on its own (safety-net schedules fire every
        // minute, whatever the demo does): apalis's queue on SQLite, and the runs a schedule
        // started. What the demo asks for by hand still counts.
        let query = match name.as_str() {
            "Jobs" | "Workers" => continue,
            "job_runs" => {
                "SELECT COUNT(*) AS n FROM job_runs WHERE trigger_kind <> 'schedule'".to_owned()
            }
            _ => format!("SELECT COUNT(*) AS n FROM \"{name}\""),
        };
        let count = db
            .query_one_raw(Statement::from_string(backend, query))
            .await
            .unwrap()
            .unwrap();
        counts.insert(name, count.try_get::<i64>("", "n").unwrap());
    }
    db.close().await.unwrap();
    counts
}

async fn json(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app.get(path, token).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

on_both_databases!(
    the_demo_fills_every_page_and_a_second_run_changes_nothing,
    |app: TestApp| async move {
        let prepared = aegis::app::prepare(&app.settings).await.unwrap();
        let services = &prepared.wired.services;
        let first = aegis::demo::seed(services, &prepared.tenant).await.unwrap();
        assert!(
            first.catalog_imported,
            "the empty catalog gets APT29's techniques"
        );
        assert!(first.campaign_created);
        assert_eq!(first.users.len(), 6, "one user per role");
        assert!(first.users.iter().all(|u| u.password.is_some()));
        assert!(first.tests >= 7, "{first:?}");
        assert_eq!(first.snapshots, 12);
        assert_eq!(first.rules_created, 6);
        assert!(first.findings > 0, "{first:?}");
        assert_eq!(first.vulnerabilities, 3, "the scanners' SARIF results");
        assert_eq!(first.reports, 1, "the campaign's signed report");
        assert_eq!(first.evidence, 2 * first.validated + 2 + 2 + 2 + 1);

        let before = row_counts(&app).await;
        let second = aegis::demo::seed(services, &prepared.tenant).await.unwrap();
        assert!(!second.catalog_imported && !second.campaign_created);
        assert!(second.users.iter().all(|u| u.password.is_none()));
        assert_eq!(
            row_counts(&app).await,
            before,
            "a second run writes nothing"
        );

        // What the demo's people see.
        let admin = &first.users[0];
        assert_eq!(admin.role, aegis_domain::Role::Admin);
        let token = app
            .ready_user(&admin.email, admin.password.as_deref().unwrap())
            .await;
        let dashboard = json(&app, "/api/v1/dashboard", &token).await;
        let kpis = &dashboard["kpis"];
        assert_eq!(kpis["validated_tests"], first.validated, "{kpis}");
        assert_eq!(kpis["active_campaigns"], 1);
        assert!(kpis["covered_techniques"].as_u64().unwrap() > 0, "{kpis}");
        assert!(kpis["organization_score"].as_f64().is_some(), "{kpis}");
        assert!(!dashboard["activity"].as_array().unwrap().is_empty());

        let trend = json(&app, "/api/v1/snapshots/trend", &token).await;
        let points = trend.as_array().unwrap();
        assert_eq!(points.len(), 12, "twelve weekly snapshots");
        let validated: Vec<u64> = points
            .iter()
            .map(|p| p["validated_tests"].as_u64().unwrap())
            .collect();
        assert!(validated.windows(2).all(|w| w[0] < w[1]), "{validated:?}");
        let first_at =
            chrono::DateTime::parse_from_rfc3339(points[0]["taken_at"].as_str().unwrap()).unwrap();
        assert!(chrono::Utc::now().signed_duration_since(first_at) >= chrono::Duration::days(76));

        let campaigns = json(&app, "/api/v1/campaigns", &token).await;
        let campaign = campaigns["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == aegis::demo::DEMO_CAMPAIGN)
            .unwrap()
            .clone();
        let detail = json(
            &app,
            &format!("/api/v1/campaigns/{}", campaign["id"].as_str().unwrap()),
            &token,
        )
        .await;
        let by_state = &detail["progress"]["by_state"];
        for state in [
            "draft",
            "red_executing",
            "blue_evaluating",
            "in_review",
            "validated",
            "rejected",
            "disputed",
        ] {
            assert!(
                by_state[state].as_u64().unwrap_or(0) > 0,
                "{state}: {by_state}"
            );
        }

        let findings = json(&app, "/api/v1/findings?kind=test_gap", &token).await;
        let items = findings["items"].as_array().unwrap();
        assert_eq!(items.len() as u32, first.findings);
        assert!(
            items
                .iter()
                .all(|f| f["steps"].as_array().unwrap().len() == 2
                    && f["status"] == "in_remediation")
        );

        let scanned = json(&app, "/api/v1/findings?kind=vulnerability", &token).await;
        assert_eq!(scanned["total"], 3, "{scanned}");
        let log4shell = scanned["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["vulnerability"]["rule_id"] == "CVE-2021-44228")
            .unwrap();
        assert_eq!(log4shell["severity"], "critical");
        assert_eq!(log4shell["vulnerability"]["scanner"], "Trivy");

        let rules = json(&app, "/api/v1/detection-rules", &token).await;
        assert_eq!(rules["total"], 6);

        let lead = first
            .users
            .iter()
            .find(|u| u.role == aegis_domain::Role::BlueLead)
            .unwrap();
        let lead_token = app
            .ready_user(&lead.email, lead.password.as_deref().unwrap())
            .await;
        let notifications = json(&app, "/api/v1/notifications", &lead_token).await;
        assert!(
            notifications["total"].as_u64().unwrap() > 0,
            "{notifications}"
        );
    }
);
