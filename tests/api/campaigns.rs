//! Campaigns end to end: planned from a threat actor (tests from the best template),
//! dependencies respected, activated, run, completed, spawned again by the recurring job
//! exactly once; a missed detection opens a finding that closes only through a validated
//! retest with a better outcome. Blind campaigns hide what red has not released; templates
//! travel without results.

use reqwest::{Method, StatusCode};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

use aegis_domain::template::TemplateSource;
use aegis_infrastructure::feeds::rule_files::Location;
use aegis_infrastructure::feeds::template_files::LibraryFiles;

use crate::helpers::*;

/// Two Atomic tests of T1059.001: the first needs an argument without a default (it cannot
/// be planned unattended), the second can.
const ATOMIC: &str = "attack_technique: T1059.001
atomic_tests:
- name: Download cradle
  auto_generated_guid: 7d3b5f1c-0000-4000-8000-00000000c701
  supported_platforms: [windows]
  input_arguments:
    url: {description: Where the script is, type: url, default: null}
  executor: {name: powershell, command: 'IEX (iwr #{url})'}
- name: Encoded command
  auto_generated_guid: 7d3b5f1c-0000-4000-8000-00000000c702
  supported_platforms: [windows]
  executor: {name: command_prompt, command: powershell.exe -enc ZQBjAGgAbwA=}
";

async fn import_atomic(app: &TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("atomics/T1059.001/T1059.001.yaml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, ATOMIC).unwrap();
    let prepared = aegis::app::prepare(&app.settings).await.unwrap();
    let initiator = aegis_application::context::Initiator::System {
        tenant: prepared.tenant.id,
    };
    let feed = LibraryFiles::at(
        TemplateSource::Atomic,
        Location::Path(dir.path().to_owned()),
    );
    prepared
        .wired
        .services
        .templates
        .import(&initiator, &feed)
        .await
        .unwrap();
}

async fn status_of(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Value,
) -> (StatusCode, Value) {
    let response = app
        .client
        .request(method, app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn read(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app.get(path, token).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

/// Moves a recurring campaign's next due time into the past, as the calendar would.
async fn make_due(app: &TestApp, campaign: &str) {
    let db = Database::connect(app.database.url()).await.unwrap();
    let past = chrono::Utc::now() - chrono::Duration::hours(1);
    let statement = Query::update()
        .table(Alias::new("campaigns"))
        .value(Alias::new("next_run_at"), past)
        .and_where(Expr::col(Alias::new("id")).eq(uuid::Uuid::parse_str(campaign).unwrap()))
        .to_owned();
    let result = db.execute(&statement).await.unwrap();
    assert_eq!(result.rows_affected(), 1);
}

async fn run_job(app: &TestApp, admin: &str, job: &str) -> Value {
    let run = app
        .send_ok(
            Method::POST,
            &format!("/api/v1/system/jobs/{job}/run"),
            admin,
            json!({}),
        )
        .await;
    let done = app.wait_for_job(run["id"].as_str().unwrap(), admin).await;
    assert_eq!(done["outcome"], "succeeded", "{done}");
    done
}

fn test_of<'a>(detail: &'a Value, technique: &str) -> &'a Value {
    detail["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["test"])
        .find(|t| t["technique_id"] == technique)
        .unwrap_or_else(|| panic!("no {technique} test in {detail}"))
}

on_both_databases!(
    a_campaign_from_a_threat_actor_runs_recurs_once_and_its_missed_detection_is_remediated,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        import_atomic(&app).await;
        let admin = app.admin_token().await;
        let crew = app.crew(&admin).await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;

        // Planned from APT29 on Windows: PowerShell from the Atomic test that renders
        // unattended, phishing by hand.
        let (status, _) = status_of(
            &app,
            Method::POST,
            "/api/v1/campaigns/from-threat-actor",
            &viewer,
            json!({"threat_actor_id": "G0016"}),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, problem) = status_of(
            &app,
            Method::POST,
            "/api/v1/campaigns/from-threat-actor",
            &crew.red_lead,
            json!({"threat_actor_id": "G9999"}),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
        let planned = app
            .send_ok(
                Method::POST,
                "/api/v1/campaigns/from-threat-actor",
                &crew.red_lead,
                json!({"threat_actor_id": "G0016", "platform": "Windows"}),
            )
            .await;
        assert_eq!(planned["campaign"]["status"], "draft");
        assert_eq!(planned["campaign"]["campaign_type"], "purple_team");
        assert_eq!(planned["from_templates"], 1, "{planned}");
        let campaign = planned["campaign"]["id"].as_str().unwrap().to_owned();
        let powershell = test_of(&planned, "T1059.001").clone();
        let phishing = test_of(&planned, "T1566").clone();
        assert_eq!(
            powershell["red"]["command"],
            "powershell.exe -enc ZQBjAGgAbwA="
        );
        assert_eq!(powershell["campaign_id"], campaign.as_str());
        let (ps, phish) = (
            powershell["id"].as_str().unwrap().to_owned(),
            phishing["id"].as_str().unwrap().to_owned(),
        );

        // Initial access before execution; the reverse would close a cycle.
        let detail = app
            .send_ok(
                Method::PUT,
                &format!("/api/v1/tests/{ps}/dependencies"),
                &crew.red_lead,
                json!({"depends_on": [phish]}),
            )
            .await;
        assert_eq!(test_of(&detail, "T1059.001")["id"], ps.as_str());
        assert_eq!(
            detail["tests"][0]["depends_on"]
                .as_array()
                .map(Vec::len)
                .unwrap_or(0)
                + detail["tests"][1]["depends_on"]
                    .as_array()
                    .map(Vec::len)
                    .unwrap_or(0),
            1
        );
        assert_eq!(detail["progress"]["blocked"], 1);
        let (status, problem) = status_of(
            &app,
            Method::PUT,
            &format!("/api/v1/tests/{phish}/dependencies"),
            &crew.red_lead,
            json!({"depends_on": [ps]}),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem["errors"][0]["field"], "depends_on", "{problem}");

        // Nothing runs before the campaign is active.
        let (status, problem) = status_of(
            &app,
            Method::POST,
            &format!("/api/v1/tests/{phish}/start-execution"),
            &crew.red_tech,
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(problem["code"], "CAMPAIGN_NOT_ACTIVE");
        app.send_ok(Method::PATCH, &format!("/api/v1/campaigns/{campaign}/schedule"), &crew.blue_lead,
            json!({"start_date": "2026-11-30", "end_date": "2026-12-11", "recurrence": {"every_days": 7}}))
            .await;
        let active = app
            .send_ok(
                Method::POST,
                &format!("/api/v1/campaigns/{campaign}/activate"),
                &crew.blue_lead,
                json!({}),
            )
            .await;
        assert_eq!(active["status"], "active");
        assert_eq!(active["recurrence"]["rule"], "every 7 days");

        // The dependency holds execution back until phishing validates (and it is missed).
        let (status, problem) = status_of(
            &app,
            Method::POST,
            &format!("/api/v1/tests/{ps}/start-execution"),
            &crew.red_tech,
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(problem["code"], "DEPENDENCIES_NOT_VALIDATED", "{problem}");
        assert!(
            problem["title"].as_str().unwrap().contains(&phish),
            "{problem}"
        );
        app.run_to_validation(&crew, &phish, json!({"outcome": "not_detected"}))
            .await;
        app.run_to_validation(
            &crew,
            &ps,
            json!({"outcome": "detected",
            "detected_at": "2026-11-22T10:05:00Z", "detection_source": "EDR"}),
        )
        .await;

        // Completion is the red lead's; afterwards nothing changes.
        let (status, _) = status_of(
            &app,
            Method::POST,
            &format!("/api/v1/campaigns/{campaign}/complete"),
            &crew.blue_lead,
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        app.send_ok(
            Method::POST,
            &format!("/api/v1/campaigns/{campaign}/complete"),
            &crew.red_lead,
            json!({}),
        )
        .await;
        let (status, problem) = status_of(
            &app,
            Method::PATCH,
            &format!("/api/v1/campaigns/{campaign}"),
            &crew.red_lead,
            json!({"name": "Renamed"}),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");
        let (status, problem) = status_of(
            &app,
            Method::POST,
            &format!("/api/v1/tests/{ps}/comments"),
            &crew.red_tech,
            json!({"body": "late"}),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(problem["code"], "CAMPAIGN_CLOSED");

        let detail = read(&app, &format!("/api/v1/campaigns/{campaign}"), &viewer).await;
        assert_eq!(detail["progress"]["validated"], 2);
        assert_eq!(detail["progress"]["percent_validated"], 100.0);
        assert_eq!(detail["progress"]["outcomes"]["not_detected"], 1);
        let coverage = read(
            &app,
            &format!("/api/v1/campaigns/{campaign}/coverage"),
            &viewer,
        )
        .await;
        assert_eq!(
            coverage["techniques"].as_array().unwrap().len(),
            2,
            "{coverage}"
        );
        assert!(coverage["score"].as_f64().unwrap() > 0.0);
        let timeline = read(
            &app,
            &format!("/api/v1/campaigns/{campaign}/timeline"),
            &viewer,
        )
        .await;
        let kinds: Vec<&str> = timeline
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds.first(), Some(&"created"));
        assert!(
            kinds.contains(&"activated")
                && kinds.contains(&"completed")
                && kinds.contains(&"validate-blue")
        );

        // The recurring job spawns the next run once its date comes, and only once.
        run_job(&app, &admin, "recurring_campaigns").await;
        let listed = read(&app, "/api/v1/campaigns", &viewer).await;
        assert_eq!(listed["total"], 1, "not due yet");
        make_due(&app, &campaign).await;
        let first = run_job(&app, &admin, "recurring_campaigns").await;
        assert_eq!(first["counts"]["spawned"], 1, "{first}");
        let again = run_job(&app, &admin, "recurring_campaigns").await;
        assert_eq!(again["counts"]["spawned"], 0, "{again}");
        let listed = read(&app, "/api/v1/campaigns", &viewer).await;
        assert_eq!(listed["total"], 2);
        let next = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["predecessor_id"] == campaign.as_str())
            .unwrap();
        assert_eq!(
            (next["run_number"].as_i64(), next["status"].as_str()),
            (Some(2), Some("draft"))
        );
        assert_eq!(next["recurrence"]["rule"], "every 7 days");
        let next_id = next["id"].as_str().unwrap();
        let next_detail = read(&app, &format!("/api/v1/campaigns/{next_id}"), &viewer).await;
        assert_eq!(
            next_detail["progress"]["by_state"]["draft"], 2,
            "fresh drafts: {next_detail}"
        );
        assert_eq!(
            next_detail["progress"]["blocked"], 1,
            "the dependency came along"
        );
        // The next run starts from what red actually ran last time.
        assert_eq!(
            test_of(&next_detail, "T1059.001")["red"]["command"],
            "whoami"
        );
        assert_eq!(
            test_of(&next_detail, "T1059.001")["blue"]["outcome"],
            Value::Null
        );
        let compared = read(
            &app,
            &format!("/api/v1/campaigns/{next_id}/coverage"),
            &viewer,
        )
        .await;
        assert_eq!(compared["previous"]["campaign_id"], campaign.as_str());
        assert_eq!(compared["previous"]["percent_validated"], 100.0);
        assert_eq!(
            compared["changes"].as_array().unwrap().len(),
            2,
            "{compared}"
        );

        // The missed phishing opened a finding; it closes only through a better retest.
        let findings = read(
            &app,
            &format!("/api/v1/findings?campaign_id={campaign}"),
            &viewer,
        )
        .await;
        assert_eq!(findings["total"], 1, "{findings}");
        let finding = &findings["items"][0];
        assert_eq!(finding["test_id"], phish.as_str());
        assert_eq!(finding["outcome"], "not_detected");
        assert_eq!(finding["status"], "open");
        assert!(finding["due_on"].is_string());
        let id = finding["id"].as_str().unwrap().to_owned();
        let me: Value = read(&app, "/api/v1/users/me", &crew.blue_tech).await;
        let with_step = app
            .send_ok(
                Method::POST,
                &format!("/api/v1/findings/{id}/steps"),
                &crew.blue_lead,
                json!({"title": "Alert on macro-enabled attachments", "assignee_id": me["id"]}),
            )
            .await;
        assert_eq!(with_step["status"], "in_remediation");
        let step = with_step["steps"][0]["id"].as_str().unwrap().to_owned();
        let (status, _) = status_of(
            &app,
            Method::PATCH,
            &format!("/api/v1/findings/{id}/steps/{step}"),
            &crew.red_tech,
            json!({"status": "done"}),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "not the assignee");
        let done = app
            .send_ok(
                Method::PATCH,
                &format!("/api/v1/findings/{id}/steps/{step}"),
                &crew.blue_tech,
                json!({"status": "done", "notes": "rule deployed"}),
            )
            .await;
        assert_eq!(done["steps"][0]["status"], "done");

        let retest = app
            .send_ok(
                Method::POST,
                &format!("/api/v1/findings/{id}/retest"),
                &crew.blue_lead,
                json!({}),
            )
            .await;
        assert_eq!(retest["finding"]["status"], "awaiting_retest");
        let first_retest = retest["retest"]["id"].as_str().unwrap().to_owned();
        assert_eq!(retest["retest"]["state"], "draft");
        app.run_to_validation(&crew, &first_retest, json!({"outcome": "not_detected"}))
            .await;
        let after = read(&app, &format!("/api/v1/findings/{id}"), &viewer).await;
        assert_eq!(after["status"], "in_remediation", "no better: {after}");
        assert_eq!(after["last_retest_outcome"], "not_detected");
        let retest = app
            .send_ok(
                Method::POST,
                &format!("/api/v1/findings/{id}/retest"),
                &crew.red_lead,
                json!({}),
            )
            .await;
        let second_retest = retest["retest"]["id"].as_str().unwrap().to_owned();
        app.run_to_validation(
            &crew,
            &second_retest,
            json!({"outcome": "detected",
            "detected_at": "2026-11-22T10:05:00Z"}),
        )
        .await;
        let closed = read(&app, &format!("/api/v1/findings/{id}"), &viewer).await;
        assert_eq!(closed["status"], "resolved", "{closed}");
        assert!(closed["resolved_at"].is_string());
        let all = read(&app, "/api/v1/findings", &viewer).await;
        assert_eq!(
            all["total"], 1,
            "a failed retest opens no finding of its own: {all}"
        );

        let csv = app
            .get("/api/v1/exports/findings?format=csv", &viewer)
            .await
            .text()
            .await
            .unwrap();
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(&rows[0][4], "resolved");
        assert!(
            rows[0][12].contains("Alert on macro-enabled attachments [done]"),
            "{csv}"
        );
    }
);

on_both_databases!(
    a_blind_campaign_shows_blue_only_what_red_released,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let crew = app.crew(&admin).await;
        let campaign = app
            .send_ok(Method::POST, "/api/v1/campaigns", &crew.red_lead,
                json!({"name": "Operation Nightfall", "campaign_type": "red_team",
                       "phases": [{"name": "execution", "starts_on": "2026-12-01", "ends_on": "2026-12-05"}]}))
            .await;
        let id = campaign["id"].as_str().unwrap().to_owned();
        let test = app
            .send_ok(
                Method::POST,
                "/api/v1/tests",
                &crew.red_lead,
                json!({"title": "Covert PowerShell", "technique_id": "T1059.001"}),
            )
            .await;
        let test_id = test["id"].as_str().unwrap().to_owned();
        let (status, problem) = status_of(
            &app,
            Method::PUT,
            &format!("/api/v1/tests/{test_id}/dependencies"),
            &crew.red_lead,
            json!({"depends_on": []}),
        )
        .await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (StatusCode::CONFLICT, Some("TEST_NOT_IN_CAMPAIGN")),
            "{problem}"
        );
        let (status, problem) = status_of(
            &app,
            Method::POST,
            &format!("/api/v1/campaigns/{id}/activate"),
            &crew.red_lead,
            json!({}),
        )
        .await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (StatusCode::CONFLICT, Some("CAMPAIGN_HAS_NO_TESTS"))
        );
        app.send_ok(
            Method::POST,
            &format!("/api/v1/campaigns/{id}/tests"),
            &crew.red_lead,
            json!({"test_id": test_id}),
        )
        .await;
        app.send_ok(
            Method::POST,
            &format!("/api/v1/campaigns/{id}/activate"),
            &crew.red_lead,
            json!({}),
        )
        .await;

        let hidden = |token: String| {
            let app = &app;
            let test_id = test_id.clone();
            async move {
                let one = app
                    .get(&format!("/api/v1/tests/{test_id}"), &token)
                    .await
                    .status();
                let list: Value = app.get("/api/v1/tests", &token).await.json().await.unwrap();
                (one == StatusCode::NOT_FOUND, list["total"] == 0)
            }
        };
        assert_eq!(hidden(crew.blue_tech.clone()).await, (true, true));
        assert_eq!(hidden(crew.red_tech.clone()).await, (false, false));
        let seen = read(&app, &format!("/api/v1/campaigns/{id}"), &crew.blue_lead).await;
        assert_eq!(
            (
                seen["hidden_tests"].as_i64(),
                seen["tests"].as_array().map(Vec::len)
            ),
            (Some(1), Some(0))
        );

        let act = |action: &str| format!("/api/v1/tests/{test_id}/{action}");
        app.send_ok(
            Method::POST,
            &act("start-execution"),
            &crew.red_tech,
            json!({}),
        )
        .await;
        assert_eq!(
            hidden(crew.blue_lead.clone()).await,
            (true, true),
            "still executing"
        );
        app.send_ok(Method::PATCH, &act("red"), &crew.red_tech,
            json!({"executed_at": "2026-12-02T09:00:00Z", "command": "powershell -nop", "result_summary": "ran"})).await;
        app.send_ok(Method::POST, &act("submit-red"), &crew.red_tech, json!({}))
            .await;
        assert_eq!(
            hidden(crew.blue_tech.clone()).await,
            (false, false),
            "released"
        );
        let seen = read(&app, &format!("/api/v1/campaigns/{id}"), &crew.blue_lead).await;
        assert_eq!(seen["hidden_tests"], 0);
        assert_eq!(seen["campaign"]["phases"][0]["status"], "planned");
    }
);

on_both_databases!(
    a_campaign_travels_as_a_template_without_results,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let crew = app.crew(&admin).await;
        let campaign = app
            .send_ok(Method::POST, "/api/v1/campaigns", &crew.blue_lead,
                json!({"name": "Quarterly purple", "start_date": "2026-12-01", "end_date": "2026-12-15",
                       "phases": [{"name": "preparation", "starts_on": "2026-12-01", "ends_on": "2026-12-03"}],
                       "recurrence": {"cron": "0 6 1 */3 *"}}))
            .await;
        let id = campaign["id"].as_str().unwrap().to_owned();
        assert!(campaign["next_run_at"].is_string(), "{campaign}");
        let mut ids = Vec::new();
        for technique in ["T1566", "T1059.001"] {
            let test = app
                .send_ok(Method::POST, "/api/v1/tests", &crew.blue_lead,
                    json!({"title": format!("Plan {technique}"), "technique_id": technique, "platform": "Windows"}))
                .await;
            let test_id = test["id"].as_str().unwrap().to_owned();
            app.send_ok(
                Method::POST,
                &format!("/api/v1/campaigns/{id}/tests"),
                &crew.blue_lead,
                json!({"test_id": test_id}),
            )
            .await;
            ids.push(test_id);
        }
        app.send_ok(
            Method::PUT,
            &format!("/api/v1/campaigns/{id}/tests/order"),
            &crew.blue_lead,
            json!({"test_ids": [ids[1], ids[0]]}),
        )
        .await;
        let (status, problem) = status_of(
            &app,
            Method::PUT,
            &format!("/api/v1/campaigns/{id}/tests/order"),
            &crew.blue_lead,
            json!({"test_ids": [ids[1]]}),
        )
        .await;
        assert_eq!(
            (status, problem["errors"][0]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("test_ids"))
        );
        app.send_ok(
            Method::PUT,
            &format!("/api/v1/tests/{}/dependencies", ids[1]),
            &crew.blue_lead,
            json!({"depends_on": [ids[0]]}),
        )
        .await;
        app.send_ok(
            Method::POST,
            &format!("/api/v1/campaigns/{id}/activate"),
            &crew.blue_lead,
            json!({}),
        )
        .await;
        app.run_to_validation(
            &crew,
            &ids[0],
            json!({"outcome": "logged", "notes": "blue's private notes"}),
        )
        .await;

        // The campaign's own heatmap: its techniques (with their parents), scored from its tests.
        let map = read(
            &app,
            &format!("/api/v1/heatmap?campaign_id={id}"),
            &crew.red_tech,
        )
        .await;
        let mut cells: Vec<(String, String)> = Vec::new();
        for column in map["tactics"].as_array().unwrap() {
            for cell in column["techniques"].as_array().unwrap() {
                for c in std::iter::once(cell).chain(cell["subtechniques"].as_array().unwrap()) {
                    cells.push((
                        c["mitre_id"].as_str().unwrap().to_owned(),
                        c["status"].as_str().unwrap().to_owned(),
                    ));
                }
            }
        }
        cells.sort();
        cells.dedup();
        assert_eq!(
            cells,
            [
                ("T1059", "not_covered"),
                ("T1059.001", "in_progress"),
                ("T1566", "partial")
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned())),
            "{map}"
        );
        // A window with no validation in it: the same campaign, nothing proven yet.
        let later = read(
            &app,
            &format!("/api/v1/heatmap?campaign_id={id}&from=2999-01-01T00:00:00Z"),
            &crew.red_tech,
        )
        .await;
        assert_eq!(later["organization_score"], 0.0, "{later}");
        let whole = read(
            &app,
            "/api/v1/heatmap?from=2000-01-01T00:00:00Z&to=2999-01-01T00:00:00Z",
            &crew.red_tech,
        )
        .await;
        assert!(
            whole["organization_score"].as_f64().unwrap() > 0.0,
            "{whole}"
        );
        let (status, problem) = status_of(
            &app,
            Method::GET,
            &format!("/api/v1/heatmap?campaign_id={}", uuid::Uuid::new_v4()),
            &crew.red_tech,
            json!({}),
        )
        .await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("CAMPAIGN_NOT_FOUND"))
        );
        let layer = read(
            &app,
            &format!("/api/v1/heatmap/navigator-layer?campaign_id={id}"),
            &crew.red_tech,
        )
        .await;
        assert_eq!(layer["techniques"].as_array().unwrap().len(), 3, "{layer}");
        let board = read(&app, "/api/v1/dashboard", &crew.red_tech).await;
        assert_eq!(board["kpis"]["active_campaigns"], 1);

        let template = read(
            &app,
            &format!("/api/v1/campaigns/{id}/export"),
            &crew.red_tech,
        )
        .await;
        let text = template.to_string();
        assert!(
            !text.contains("blue's private notes")
                && !text.contains("outcome")
                && !text.contains("logged"),
            "no results travel: {text}"
        );
        assert_eq!(template["format"], "aegis.campaign-template/1");
        assert_eq!(
            template["tests"][0]["technique_id"], "T1059.001",
            "in campaign order"
        );
        assert_eq!(template["tests"][0]["depends_on"], json!([2]));
        assert_eq!(template["phases"][0]["ends_after_days"], 2);
        assert_eq!(template["recurrence"], "0 6 1 */3 *");

        let imported = app
            .send_ok(
                Method::POST,
                "/api/v1/campaigns/import",
                &crew.red_lead,
                json!({"template": template, "start_date": "2027-03-01"}),
            )
            .await;
        assert_eq!(imported["campaign"]["status"], "draft");
        assert_eq!(imported["campaign"]["phases"][0]["ends_on"], "2027-03-03");
        assert_eq!(imported["campaign"]["end_date"], "2027-03-15");
        assert_eq!(imported["tests"][0]["test"]["technique_id"], "T1059.001");
        assert_eq!(
            imported["tests"][0]["depends_on"][0],
            imported["tests"][1]["test"]["id"]
        );
        assert_eq!(imported["tests"][1]["test"]["state"], "draft");

        let mut broken = template.clone();
        broken["tests"][1]["technique_id"] = json!("T9999");
        broken["tests"][0]["depends_on"] = json!([7]);
        let (status, problem) = status_of(
            &app,
            Method::POST,
            "/api/v1/campaigns/import",
            &crew.red_lead,
            json!({"template": broken}),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(
            fields.contains(&"tests[1].technique_id") && fields.contains(&"tests[0].depends_on"),
            "{problem}"
        );
        let (status, problem) = status_of(
            &app,
            Method::POST,
            "/api/v1/campaigns",
            &crew.red_lead,
            json!({"name": " ", "campaign_type": "chaos", "recurrence": {"cron": "whenever"}}),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            ["campaign_type", "name", "recurrence.cron"],
            "{problem}"
        );
    }
);
