//! What a tenant decides about its scans, over HTTP: a suppression lets a failing scan pass
//! until it expires; a baseline accepts a repository's findings so that only new ones block;
//! an exception waives a rule under a path pattern; the policy profile decides new scans.
//! A pipeline's key that may submit scans cannot waive its own findings; every change is
//! audited; bad input names its field.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::scans::{added_file, finished, hostile_diff, service_key, sigma_rule, submit};

const REPOSITORY: &str = "?repository=acme/detections";

/// Submits `diff` and waits for the decided scan.
async fn scanned(app: &TestApp, token: &str, diff: &str, query: &str) -> Value {
    let response = submit(app, token, diff, query, None).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let scan = finished(app, token, &id).await;
    assert_eq!(scan["status"], "completed", "{scan}");
    scan
}

async fn findings(app: &TestApp, token: &str, scan: &Value) -> Vec<Value> {
    app.get(
        &format!("/api/v1/scans/{}/findings", scan["id"].as_str().unwrap()),
        token,
    )
    .await
    .json::<Vec<Value>>()
    .await
    .unwrap()
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn audited(app: &TestApp, admin: &str, action: &str) -> u64 {
    let page: Value = app
        .get(
            &format!("/api/v1/audit-logs?action={action}&per_page=100"),
            admin,
        )
        .await
        .json()
        .await
        .unwrap();
    page["total"].as_u64().unwrap()
}

/// What the expiry's passing leaves: the waivers' `expires_at` a minute ago.
async fn expire_waivers(app: &TestApp, kind: &str) {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    use sea_orm::{ConnectionTrait, Database};
    let db = Database::connect(app.database.url()).await.unwrap();
    let statement = Query::update()
        .table(Alias::new("scan_waivers"))
        .value(
            Alias::new("expires_at"),
            chrono::Utc::now() - chrono::Duration::minutes(1),
        )
        .and_where(Expr::col(Alias::new("kind")).eq(kind))
        .to_owned();
    assert!(db.execute(&statement).await.unwrap().rows_affected() > 0);
}

on_both_databases!(
    a_suppression_lets_a_failing_scan_pass_until_it_expires,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let (_, lead) = app.user_with_role(&admin, "blue_lead").await;
        let pipeline = service_key(&app, &admin, "ci", "blue_lead", &["read", "scans:write"]).await;

        let failing = scanned(&app, &pipeline, &hostile_diff(), REPOSITORY).await;
        assert_eq!(failing["decision"], "fail");
        assert_eq!(failing["blocking"], 3);
        let found = findings(&app, &pipeline, &failing).await;
        assert_eq!(found.len(), 3);

        // The pipeline's key may submit scans, not waive what they find.
        let refused = post(
            &app,
            &pipeline,
            "/api/v1/scans/suppressions",
            json!({"fingerprint": found[0]["fingerprint"], "reason": "mine"}),
        )
        .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);

        let expiry = chrono::Utc::now() + chrono::Duration::days(7);
        for finding in &found {
            let created = post(
                &app,
                &lead,
                "/api/v1/scans/suppressions",
                json!({
                    "fingerprint": finding["fingerprint"],
                    "reason": format!("{} accepted until the rule is rewritten", finding["rule_id"]),
                    "expires_at": expiry,
                }),
            )
            .await;
            assert_eq!(created.status(), StatusCode::CREATED);
            let created: Value = created.json().await.unwrap();
            assert_eq!(created["kind"], "suppression");
            assert_eq!(created["fingerprint"], finding["fingerprint"]);
        }
        let again = post(
            &app,
            &lead,
            "/api/v1/scans/suppressions",
            json!({"fingerprint": found[0]["fingerprint"], "reason": "twice"}),
        )
        .await;
        assert_eq!(again.status(), StatusCode::CONFLICT);
        assert_eq!(problem(again).await["code"], "SCAN_WAIVER_EXISTS");

        let passing = scanned(&app, &pipeline, &hostile_diff(), REPOSITORY).await;
        assert_eq!(passing["decision"], "pass", "{passing}");
        assert_eq!(passing["blocking"], 0);
        assert_eq!(passing["findings"], 3, "a waived finding is still reported");
        for finding in findings(&app, &pipeline, &passing).await {
            assert_eq!(finding["blocks"], false);
            assert_eq!(finding["waived"]["kind"], "suppression", "{finding}");
        }
        let artifact = app
            .get(
                &format!("/api/v1/scans/{}/artifact", passing["id"].as_str().unwrap()),
                &pipeline,
            )
            .await
            .text()
            .await
            .unwrap();
        let artifact: Value = serde_json::from_str(&artifact).unwrap();
        assert_eq!(artifact["decision"], "pass");
        assert!(
            artifact.to_string().contains("\"waived\""),
            "the signed result says what it did not count: {artifact}"
        );

        expire_waivers(&app, "suppression").await;
        let expired = scanned(&app, &pipeline, &hostile_diff(), REPOSITORY).await;
        assert_eq!(expired["decision"], "fail", "{expired}");
        assert_eq!(expired["blocking"], 3);
        let standing: Vec<Value> = app
            .get("/api/v1/scans/suppressions", &lead)
            .await
            .json()
            .await
            .unwrap();
        assert!(standing.is_empty(), "{standing:?}");
        let all: Vec<Value> = app
            .get("/api/v1/scans/suppressions?include_expired=true", &lead)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(all.len(), 3);

        let deleted = app
            .client
            .delete(app.url(&format!(
                "/api/v1/scans/suppressions/{}",
                all[0]["id"].as_str().unwrap()
            )))
            .bearer_auth(&lead)
            .send()
            .await
            .unwrap();
        assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
        assert_eq!(audited(&app, &admin, "scan_suppression.created").await, 3);
        assert_eq!(audited(&app, &admin, "scan_suppression.deleted").await, 1);
    }
);

on_both_databases!(
    a_baseline_blocks_only_new_findings_and_an_exception_covers_its_paths,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let (_, lead) = app.user_with_role(&admin, "red_lead").await;

        let first = scanned(&app, &lead, &hostile_diff(), REPOSITORY).await;
        assert_eq!(first["decision"], "fail");
        let baseline = post(
            &app,
            &lead,
            "/api/v1/scans/baselines",
            json!({"scan_id": first["id"], "reason": "the legacy rules, accepted at onboarding"}),
        )
        .await;
        assert_eq!(baseline.status(), StatusCode::CREATED);
        let baseline: Value = baseline.json().await.unwrap();
        assert_eq!(baseline["repository"], "acme/detections");
        assert_eq!(baseline["findings"], 3);

        let same = scanned(&app, &lead, &hostile_diff(), REPOSITORY).await;
        assert_eq!(same["decision"], "pass", "{same}");
        let elsewhere = scanned(&app, &lead, &hostile_diff(), "?repository=acme/other").await;
        assert_eq!(
            elsewhere["decision"], "fail",
            "a baseline holds for its repository"
        );

        // The same content in a new file is new: it blocks.
        let new_file = added_file(
            "rules/windows/process_creation/proc_creation_win_cradle_copy.yml",
            &sigma_rule(
                "6e4c5d3b-8f20-4b0a-9d7e-1f3a5b7c9d02",
                "Download Cradle \u{202E}exe.txt Via PowerShell",
                "t1086",
                "AKIAIOSFODNN7EXAMPLE",
            ),
        );
        let new = scanned(&app, &lead, &new_file, REPOSITORY).await;
        assert_eq!(new["decision"], "fail");
        assert_eq!(new["blocking"], 3);

        // Exceptions for the three rules under the process-creation folder let it through.
        let mut exception_ids = Vec::new();
        for rule in [
            "attack-tag-revoked",
            "bidi-control",
            "secret-aws-access-key",
        ] {
            let created = post(
                &app,
                &lead,
                "/api/v1/scans/exceptions",
                json!({
                    "rule_id": rule,
                    "path_pattern": "rules/windows/process_creation/*.yml",
                    "reason": "test fixtures of the red team",
                }),
            )
            .await;
            assert_eq!(created.status(), StatusCode::CREATED);
            let created: Value = created.json().await.unwrap();
            exception_ids.push(created["id"].as_str().unwrap().to_owned());
        }
        let excepted = scanned(&app, &lead, &new_file, REPOSITORY).await;
        assert_eq!(excepted["decision"], "pass", "{excepted}");
        for finding in findings(&app, &lead, &excepted).await {
            assert_eq!(finding["waived"]["kind"], "exception", "{finding}");
        }

        // A second baseline of the repository replaces the first.
        let replacing = post(
            &app,
            &lead,
            "/api/v1/scans/baselines",
            json!({"scan_id": new["id"], "reason": "re-baselined"}),
        )
        .await;
        assert_eq!(replacing.status(), StatusCode::CREATED);
        let baselines: Vec<Value> = app
            .get("/api/v1/scans/baselines", &lead)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(baselines.len(), 1);
        assert_eq!(baselines[0]["scan_id"], new["id"]);

        let unknown = post(
            &app,
            &lead,
            "/api/v1/scans/baselines",
            json!({"scan_id": uuid::Uuid::new_v4(), "reason": "x"}),
        )
        .await;
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
        let unnamed = scanned(&app, &lead, &hostile_diff(), "").await;
        let refused = post(
            &app,
            &lead,
            "/api/v1/scans/baselines",
            json!({"scan_id": unnamed["id"], "reason": "x"}),
        )
        .await;
        assert_eq!(refused.status(), StatusCode::CONFLICT);
        assert_eq!(problem(refused).await["code"], "SCAN_NOT_BASELINABLE");

        // A waiver is found only under its own kind.
        let as_suppression = app
            .get(
                &format!("/api/v1/scans/suppressions/{}", exception_ids[0]),
                &lead,
            )
            .await;
        assert_eq!(as_suppression.status(), StatusCode::NOT_FOUND);
        let path = format!("/api/v1/scans/exceptions/{}", exception_ids[0]);
        assert_eq!(app.get(&path, &lead).await.status(), StatusCode::OK);
        let deleted = app
            .client
            .delete(app.url(&path))
            .bearer_auth(&lead)
            .send()
            .await
            .unwrap();
        assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
        assert_eq!(app.get(&path, &lead).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(audited(&app, &admin, "scan_baseline.created").await, 2);
        assert_eq!(audited(&app, &admin, "scan_exception.deleted").await, 1);
    }
);

on_both_databases!(
    the_policy_profile_decides_new_scans_and_bad_input_names_the_field,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let (_, lead) = app.user_with_role(&admin, "blue_lead").await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;

        let default: Value = app
            .get("/api/v1/scans/policy", &viewer)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(default["is_default"], true);
        assert_eq!(default["block_at"], "high");
        assert_eq!(default["error_mode"], "fail_closed");

        let profile = json!({
            "block_at": "critical",
            "never_block": ["bidi-control", "attack-tag-revoked", "secret-aws-access-key"],
            "error_mode": "fail_open",
            "download_allow_list": ["GitHub.com", "github.com"],
        });
        let put = |token: String, body: Value| {
            let app = &app;
            async move {
                app.client
                    .put(app.url("/api/v1/scans/policy"))
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
            }
        };
        assert_eq!(
            put(viewer.clone(), profile.clone()).await.status(),
            StatusCode::FORBIDDEN
        );
        for (body, field) in [
            (
                json!({"block_at": "severe", "error_mode": "fail_open"}),
                "block_at",
            ),
            (
                json!({"block_at": "high", "error_mode": "sometimes"}),
                "error_mode",
            ),
            (
                json!({"block_at": "high", "error_mode": "fail_open", "always_block": ["Bad Rule"]}),
                "always_block[0]",
            ),
            (
                json!({"block_at": "high", "error_mode": "fail_open", "always_block": ["a"], "never_block": ["a"]}),
                "never_block",
            ),
            (
                json!({"block_at": "high", "error_mode": "fail_open", "download_allow_list": ["not a host"]}),
                "download_allow_list[0]",
            ),
        ] {
            let response = put(lead.clone(), body.clone()).await;
            assert_eq!(
                response.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{body}"
            );
            assert_eq!(
                problem(response).await["errors"][0]["field"],
                field,
                "{body}"
            );
        }

        let set = put(lead.clone(), profile).await;
        assert_eq!(set.status(), StatusCode::OK);
        let set: Value = set.json().await.unwrap();
        assert_eq!(set["is_default"], false);
        assert_eq!(set["block_at"], "critical");
        assert_eq!(set["download_allow_list"], json!(["github.com"]));

        let scan = scanned(&app, &lead, &hostile_diff(), REPOSITORY).await;
        assert_eq!(scan["decision"], "pass", "{scan}");
        assert_eq!(scan["policy"]["block_at"], "critical");
        assert_eq!(scan["policy"]["error_mode"], "fail_open");
        assert_eq!(audited(&app, &admin, "scan_policy.updated").await, 1);

        // Waivers' own input errors name their field.
        for (path, body, field) in [
            (
                "/api/v1/scans/suppressions",
                json!({"fingerprint": "xyz", "reason": "r"}),
                "fingerprint",
            ),
            (
                "/api/v1/scans/suppressions",
                json!({"fingerprint": "a".repeat(64), "reason": "r", "expires_at": "2020-01-01T00:00:00Z"}),
                "expires_at",
            ),
            (
                "/api/v1/scans/suppressions",
                json!({"fingerprint": "a".repeat(64), "reason": "  "}),
                "reason",
            ),
            (
                "/api/v1/scans/exceptions",
                json!({"rule_id": "bidi-control", "path_pattern": "rules/[abc", "reason": "r"}),
                "path_pattern",
            ),
        ] {
            let response = post(&app, &lead, path, body.clone()).await;
            assert_eq!(
                response.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{body}"
            );
            assert_eq!(
                problem(response).await["errors"][0]["field"],
                field,
                "{body}"
            );
        }
        let unknown_field = post(
            &app,
            &lead,
            "/api/v1/scans/suppressions",
            json!({"fingerprint": "a".repeat(64), "reason": "r", "until": "never"}),
        )
        .await;
        assert_eq!(unknown_field.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
);
