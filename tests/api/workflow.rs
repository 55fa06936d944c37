//! Tests through the red/blue workflow over HTTP, by users of every role.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

struct Team {
    admin: String,
    red_lead: String,
    red_tech: String,
    blue_lead: String,
    blue_tech: String,
    viewer: String,
}

async fn team(app: &TestApp) -> Team {
    app.import_attack(&attack_fixture("enterprise-v1.json"))
        .await;
    let admin = app.admin_token().await;
    let mut tokens = Vec::new();
    for role in ["red_lead", "red_tech", "blue_lead", "blue_tech", "viewer"] {
        tokens.push(app.user_with_role(&admin, role).await.1);
    }
    let [red_lead, red_tech, blue_lead, blue_tech, viewer] =
        <[String; 5]>::try_from(tokens).unwrap();
    Team {
        admin,
        red_lead,
        red_tech,
        blue_lead,
        blue_tech,
        viewer,
    }
}

impl TestApp {
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    async fn step(&self, test: &str, action: &str, token: &str, body: Value) -> reqwest::Response {
        self.call(
            Method::POST,
            &format!("/api/v1/tests/{test}/{action}"),
            token,
            Some(body),
        )
        .await
    }

    async fn create_test(&self, token: &str, title: &str) -> Value {
        let response = self
            .call(Method::POST, "/api/v1/tests", token, Some(json!({"title": title, "technique_id": "T1059.001", "objective": "Detect PowerShell download cradles"})))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }
}

async fn ok(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

async fn refused(response: reqwest::Response, status: StatusCode, code: &str) {
    assert_eq!(response.status(), status);
    assert_eq!(problem(response).await["code"], code);
}

on_both_databases!(
    a_test_goes_from_draft_to_validated,
    |app: TestApp| async move {
        let t = team(&app).await;
        refused(
            app.call(
                Method::POST,
                "/api/v1/tests",
                &t.red_tech,
                Some(json!({"title": "x", "technique_id": "T1059"})),
            )
            .await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        )
        .await;
        let unknown = app
            .call(
                Method::POST,
                "/api/v1/tests",
                &t.red_lead,
                Some(json!({"title": "", "technique_id": "T9999"})),
            )
            .await;
        let fields: Vec<String> = problem(unknown).await["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(fields, ["title", "technique_id"]);

        let test = app.create_test(&t.red_lead, "PowerShell cradle").await;
        let id = test["id"].as_str().unwrap().to_owned();
        assert_eq!(test["state"], "draft");
        assert_eq!(test["version"], 1);

        // Blue cannot start red's work; red starts it.
        refused(
            app.step(&id, "start-execution", &t.blue_tech, json!({}))
                .await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        )
        .await;
        let started = ok(app
            .step(&id, "start-execution", &t.red_tech, json!({}))
            .await)
        .await;
        assert_eq!(started["state"], "red_executing");
        assert!(started["red"]["started_at"].is_string());
        refused(
            app.step(&id, "start-execution", &t.red_tech, json!({}))
                .await,
            StatusCode::CONFLICT,
            "TRANSITION_NOT_ALLOWED",
        )
        .await;

        // Submitting without a report names what is missing.
        let missing = app.step(&id, "submit-red", &t.red_tech, json!({})).await;
        assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);
        refused(
            app.call(
                Method::PATCH,
                &format!("/api/v1/tests/{id}/blue"),
                &t.blue_tech,
                Some(json!({"outcome": "detected"})),
            )
            .await,
            StatusCode::CONFLICT,
            "TRANSITION_NOT_ALLOWED",
        )
        .await;
        refused(
            app.call(
                Method::PATCH,
                &format!("/api/v1/tests/{id}/red"),
                &t.blue_lead,
                Some(json!({"tool": "x"})),
            )
            .await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        )
        .await;
        let report = json!({
            "executed_at": "2026-11-22T10:00:00Z",
            "procedure": "Ran an encoded PowerShell download cradle",
            "command": "powershell -enc SQBFAFgA...",
            "tool": "Atomic Red Team",
            "targets": ["WS-042"],
            "result_summary": "Payload executed",
            "version": 2,
        });
        let reported = ok(app
            .call(
                Method::PATCH,
                &format!("/api/v1/tests/{id}/red"),
                &t.red_tech,
                Some(report.clone()),
            )
            .await)
        .await;
        assert_eq!(reported["version"], 3);
        // A stale version is refused.
        refused(
            app.call(
                Method::PATCH,
                &format!("/api/v1/tests/{id}/red"),
                &t.red_tech,
                Some(report),
            )
            .await,
            StatusCode::CONFLICT,
            "VERSION_CONFLICT",
        )
        .await;
        let stale = app
            .client
            .post(app.url(&format!("/api/v1/tests/{id}/pause-timer")))
            .bearer_auth(&t.red_tech)
            .header("If-Match", "\"1\"")
            .send()
            .await
            .unwrap();
        refused(stale, StatusCode::CONFLICT, "VERSION_CONFLICT").await;

        ok(app.step(&id, "pause-timer", &t.red_tech, json!({})).await).await;
        refused(
            app.step(&id, "pause-timer", &t.red_tech, json!({})).await,
            StatusCode::CONFLICT,
            "TIMER_STATE",
        )
        .await;
        let submitted = ok(app
            .step(
                &id,
                "submit-red",
                &t.red_tech,
                json!({"notes": "over to blue"}),
            )
            .await)
        .await;
        assert_eq!(submitted["state"], "blue_evaluating");
        assert_eq!(submitted["paused"], false);

        let evaluated = ok(app.call(Method::PATCH, &format!("/api/v1/tests/{id}/blue"), &t.blue_tech, Some(json!({"outcome": "detected", "detected_at": "2026-11-22T10:03:00Z", "detection_source": "EDR", "fired_rules": ["sigma:3b6ab547"]}))).await).await;
        assert_eq!(evaluated["blue"]["outcome"], "detected");
        let bad_outcome = app
            .call(
                Method::PATCH,
                &format!("/api/v1/tests/{id}/blue"),
                &t.blue_tech,
                Some(json!({"outcome": "maybe"})),
            )
            .await;
        assert_eq!(problem(bad_outcome).await["errors"][0]["field"], "outcome");
        ok(app.step(&id, "submit-blue", &t.blue_tech, json!({})).await).await;

        // Only leads vote, each for their side.
        refused(
            app.step(
                &id,
                "validate-red",
                &t.red_tech,
                json!({"verdict": "approve"}),
            )
            .await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        )
        .await;
        refused(
            app.step(
                &id,
                "validate-red",
                &t.blue_lead,
                json!({"verdict": "approve"}),
            )
            .await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        )
        .await;
        let bad_verdict = app
            .step(
                &id,
                "validate-red",
                &t.red_lead,
                json!({"verdict": "maybe"}),
            )
            .await;
        assert_eq!(problem(bad_verdict).await["errors"][0]["field"], "verdict");
        let voted = ok(app
            .step(
                &id,
                "validate-red",
                &t.red_lead,
                json!({"verdict": "approve", "notes": "clean run"}),
            )
            .await)
        .await;
        assert_eq!(voted["state"], "in_review");
        let validated = ok(app
            .step(
                &id,
                "validate-blue",
                &t.blue_lead,
                json!({"verdict": "approve"}),
            )
            .await)
        .await;
        assert_eq!(validated["state"], "validated");
        assert_eq!(validated["red_vote"]["notes"], "clean run");

        refused(
            app.call(
                Method::DELETE,
                &format!("/api/v1/tests/{id}"),
                &t.red_lead,
                None,
            )
            .await,
            StatusCode::CONFLICT,
            "TRANSITION_NOT_ALLOWED",
        )
        .await;
        refused(
            app.step(&id, "reopen", &t.viewer, json!({})).await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        )
        .await;
        let comment = app
            .call(
                Method::POST,
                &format!("/api/v1/tests/{id}/comments"),
                &t.blue_tech,
                Some(json!({"body": "Rule fired in 40 s"})),
            )
            .await;
        assert_eq!(comment.status(), StatusCode::CREATED);
        refused(
            app.call(
                Method::POST,
                &format!("/api/v1/tests/{id}/comments"),
                &t.viewer,
                Some(json!({"body": "hi"})),
            )
            .await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        )
        .await;

        let timeline = ok(app
            .call(
                Method::GET,
                &format!("/api/v1/tests/{id}/timeline"),
                &t.viewer,
                None,
            )
            .await)
        .await;
        let steps: Vec<&str> = timeline["transitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            steps,
            [
                "start-execution",
                "pause-timer",
                "submit-red",
                "submit-blue",
                "validate-red",
                "validate-blue"
            ]
        );
        let worklogs = timeline["worklogs"].as_array().unwrap();
        assert_eq!(worklogs.len(), 2);
        assert!(
            worklogs
                .iter()
                .all(|w| w["intact"] == true && w["integrity_hash"].as_str().unwrap().len() == 64)
        );
        assert_eq!(timeline["comments"][0]["body"], "Rule fired in 40 s");

        let listed = ok(app
            .call(
                Method::GET,
                "/api/v1/tests?state=validated&technique_id=T1059.001&tactic=execution&q=cradle",
                &t.viewer,
                None,
            )
            .await)
        .await;
        assert_eq!(listed["total"], 1);
        let red_queue = ok(app
            .call(Method::GET, "/api/v1/tests?team=red", &t.red_tech, None)
            .await)
        .await;
        assert_eq!(red_queue["total"], 0);
        let audit: Value = app
            .get("/api/v1/audit-logs?entity_type=test&per_page=100", &t.admin)
            .await
            .json()
            .await
            .unwrap();
        assert!(
            audit["total"].as_u64().unwrap() >= 9,
            "every step is audited"
        );
    }
);

on_both_databases!(
    a_dispute_is_resolved_and_a_rejection_reopened,
    |app: TestApp| async move {
        let t = team(&app).await;
        let test = app.create_test(&t.blue_lead, "Second run").await;
        let id = test["id"].as_str().unwrap().to_owned();
        ok(app
            .step(&id, "start-execution", &t.red_lead, json!({}))
            .await)
        .await;
        ok(app.call(Method::PATCH, &format!("/api/v1/tests/{id}/red"), &t.red_lead, Some(json!({"executed_at": "2026-11-22T11:00:00Z", "command": "whoami", "result_summary": "ok"}))).await).await;
        ok(app.step(&id, "submit-red", &t.red_lead, json!({})).await).await;
        ok(app
            .call(
                Method::PATCH,
                &format!("/api/v1/tests/{id}/blue"),
                &t.blue_lead,
                Some(json!({"outcome": "not_detected"})),
            )
            .await)
        .await;
        ok(app.step(&id, "submit-blue", &t.blue_lead, json!({})).await).await;

        ok(app
            .step(
                &id,
                "validate-red",
                &t.red_lead,
                json!({"verdict": "approve"}),
            )
            .await)
        .await;
        let without_notes = app
            .step(
                &id,
                "validate-blue",
                &t.blue_lead,
                json!({"verdict": "reject"}),
            )
            .await;
        assert_eq!(problem(without_notes).await["errors"][0]["field"], "notes");
        let disputed = ok(app
            .step(
                &id,
                "validate-blue",
                &t.blue_lead,
                json!({"verdict": "reject", "notes": "the alert never reached the SOC"}),
            )
            .await)
        .await;
        assert_eq!(disputed["state"], "disputed");
        let rejected = ok(app
            .step(
                &id,
                "validate-red",
                &t.red_lead,
                json!({"verdict": "reject", "notes": "agreed"}),
            )
            .await)
        .await;
        assert_eq!(rejected["state"], "rejected");

        let reopened = ok(app
            .step(
                &id,
                "reopen",
                &t.red_lead,
                json!({"notes": "retest after tuning"}),
            )
            .await)
        .await;
        assert_eq!(reopened["state"], "draft");
        assert!(reopened["red_vote"]["verdict"].is_null());
        let timeline = ok(app
            .call(
                Method::GET,
                &format!("/api/v1/tests/{id}/timeline"),
                &t.admin,
                None,
            )
            .await)
        .await;
        assert_eq!(
            timeline["transitions"].as_array().unwrap().len(),
            7,
            "history is kept across the reopen"
        );

        // Admin passes every role check; a draft can be edited and deleted.
        let edited = ok(app
            .call(
                Method::PATCH,
                &format!("/api/v1/tests/{id}"),
                &t.admin,
                Some(json!({"title": "Third run", "technique_id": "T1566"})),
            )
            .await)
        .await;
        assert_eq!(edited["technique_id"], "T1566");
        let gone = app
            .call(
                Method::DELETE,
                &format!("/api/v1/tests/{id}"),
                &t.red_lead,
                None,
            )
            .await;
        assert_eq!(gone.status(), StatusCode::NO_CONTENT);
        refused(
            app.call(Method::GET, &format!("/api/v1/tests/{id}"), &t.viewer, None)
                .await,
            StatusCode::NOT_FOUND,
            "TEST_NOT_FOUND",
        )
        .await;
    }
);

on_both_databases!(test_creation_is_idempotent, |app: TestApp| async move {
    let t = team(&app).await;
    let create = |key: &'static str, title: &'static str| {
        let app = &app;
        let token = t.red_lead.clone();
        async move {
            app.client
                .post(app.url("/api/v1/tests"))
                .bearer_auth(token)
                .header("Idempotency-Key", key)
                .json(&json!({"title": title, "technique_id": "T1059"}))
                .send()
                .await
                .unwrap()
        }
    };
    let first: Value = create("plan-1", "Plan").await.json().await.unwrap();
    let again: Value = create("plan-1", "Plan").await.json().await.unwrap();
    assert_eq!(first["id"], again["id"]);
    refused(
        create("plan-1", "Other").await,
        StatusCode::CONFLICT,
        "IDEMPOTENCY_KEY_REUSED",
    )
    .await;
    let listed: Value = app
        .get("/api/v1/tests", &t.viewer)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["total"], 1);
});

on_both_databases!(
    whoever_must_act_next_is_notified,
    |app: TestApp| async move {
        let t = team(&app).await;
        let test = app.create_test(&t.red_lead, "Notify me").await;
        let id = test["id"].as_str().unwrap().to_owned();
        ok(app
            .step(&id, "start-execution", &t.red_tech, json!({}))
            .await)
        .await;
        ok(app.call(Method::PATCH, &format!("/api/v1/tests/{id}/red"), &t.red_tech, Some(json!({"executed_at": "2026-11-22T12:00:00Z", "command": "id", "result_summary": "ok"}))).await).await;
        ok(app.step(&id, "submit-red", &t.red_tech, json!({})).await).await;

        let count: Value = app
            .get("/api/v1/notifications/unread-count", &t.blue_tech)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(count["unread"], 1);
        let red_count: Value = app
            .get("/api/v1/notifications/unread-count", &t.red_lead)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            red_count["unread"], 0,
            "red is not told about its own submission"
        );
        let listed: Value = app
            .get("/api/v1/notifications?unread=true", &t.blue_tech)
            .await
            .json()
            .await
            .unwrap();
        let note = &listed["items"][0];
        assert_eq!(note["kind"], "test.submit-red");
        assert_eq!(note["entity_id"], id.as_str());
        assert!(note["title"].as_str().unwrap().starts_with("Notify me"));
        let note_id = note["id"].as_str().unwrap().to_owned();
        let marked = ok(app
            .call(
                Method::POST,
                &format!("/api/v1/notifications/{note_id}/read"),
                &t.blue_tech,
                None,
            )
            .await)
        .await;
        assert_eq!(marked["marked"], 1);
        refused(
            app.call(
                Method::POST,
                &format!("/api/v1/notifications/{note_id}/read"),
                &t.blue_lead,
                None,
            )
            .await,
            StatusCode::NOT_FOUND,
            "NOTIFICATION_NOT_FOUND",
        )
        .await;

        ok(app
            .call(
                Method::PATCH,
                &format!("/api/v1/tests/{id}/blue"),
                &t.blue_tech,
                Some(json!({"outcome": "logged"})),
            )
            .await)
        .await;
        ok(app.step(&id, "submit-blue", &t.blue_tech, json!({})).await).await;
        for lead in [&t.red_lead, &t.blue_lead] {
            let count: Value = app
                .get("/api/v1/notifications/unread-count", lead)
                .await
                .json()
                .await
                .unwrap();
            assert!(count["unread"].as_u64().unwrap() >= 1, "both leads review");
        }
        ok(app
            .step(
                &id,
                "validate-red",
                &t.red_lead,
                json!({"verdict": "approve"}),
            )
            .await)
        .await;
        ok(app
            .step(
                &id,
                "validate-blue",
                &t.blue_lead,
                json!({"verdict": "reject", "notes": "only logged"}),
            )
            .await)
        .await;
        let red_notes: Value = app
            .get("/api/v1/notifications?unread=true", &t.red_lead)
            .await
            .json()
            .await
            .unwrap();
        let dispute = red_notes["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["kind"] == "test.validate-blue")
            .expect("the approving lead hears of the dispute");
        assert!(dispute["body"].as_str().unwrap().contains("only logged"));
        let all = ok(app
            .call(
                Method::POST,
                "/api/v1/notifications/read-all",
                &t.red_lead,
                None,
            )
            .await)
        .await;
        assert!(all["marked"].as_u64().unwrap() >= 2);
        let count: Value = app
            .get("/api/v1/notifications/unread-count", &t.red_lead)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(count["unread"], 0);
    }
);

/// The fields of a 422's `errors`, checking that its detail names each of them.
async fn fields_at_fault(response: reqwest::Response) -> Vec<String> {
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = problem(response).await;
    let fields: Vec<String> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    let detail = body["detail"].as_str().unwrap();
    for field in &fields {
        assert!(detail.contains(field.as_str()), "{detail} names {field}");
    }
    fields
}

on_both_databases!(
    every_refusal_of_invalid_data_names_each_field_at_fault,
    |app: TestApp| async move {
        let t = team(&app).await;
        let test = app.create_test(&t.red_lead, "Without a date").await;
        let id = test["id"].as_str().unwrap().to_owned();
        ok(app
            .step(&id, "start-execution", &t.red_tech, json!({}))
            .await)
        .await;
        ok(app
            .call(
                Method::PATCH,
                &format!("/api/v1/tests/{id}/red"),
                &t.red_tech,
                Some(json!({"command": "whoami", "result_summary": "ran"})),
            )
            .await)
        .await;
        // Submitted without `executed_at`: the detail says which field, not just "invalid".
        let submitted = app.step(&id, "submit-red", &t.red_tech, json!({})).await;
        assert_eq!(submitted.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = problem(submitted).await;
        assert_eq!(
            body["errors"],
            json!([{"field": "executed_at", "message": "is required before submitting"}])
        );
        assert_eq!(
            body["detail"],
            "invalid test data (executed_at: is required before submitting)"
        );
        // A value of the wrong type, at the top level or deeper, is named by its path.
        let wrong_type = app
            .call(
                Method::PATCH,
                &format!("/api/v1/tests/{id}/red"),
                &t.red_tech,
                Some(json!({"executed_at": 20261122, "command": "whoami"})),
            )
            .await;
        assert_eq!(fields_at_fault(wrong_type).await, ["executed_at"]);
        let wrong_target = app
            .call(
                Method::PATCH,
                &format!("/api/v1/tests/{id}/red"),
                &t.red_tech,
                Some(json!({"targets": ["WS-1", 2]})),
            )
            .await;
        assert_eq!(fields_at_fault(wrong_target).await, ["targets[1]"]);
        // serde's missing field is an entry for that field.
        let missing = app
            .call(
                Method::POST,
                "/api/v1/tests",
                &t.red_lead,
                Some(json!({"title": "No technique"})),
            )
            .await;
        assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = problem(missing).await;
        assert_eq!(
            body["errors"],
            json!([{"field": "technique_id", "message": "is required"}])
        );
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("technique_id: is required"),
            "{body}"
        );
    }
);

on_both_databases!(
    blue_picks_a_test_up_and_its_timer_starts_then,
    |app: TestApp| async move {
        let t = team(&app).await;
        let test = app.create_test(&t.red_lead, "Blue pick-up").await;
        let id = test["id"].as_str().unwrap().to_owned();
        ok(app
            .step(&id, "start-execution", &t.red_tech, json!({}))
            .await)
        .await;
        ok(app
            .call(
                Method::PATCH,
                &format!("/api/v1/tests/{id}/red"),
                &t.red_tech,
                Some(json!({
                    "executed_at": "2026-11-22T10:00:00Z",
                    "procedure": "Ran an encoded PowerShell download cradle",
                    "result_summary": "Payload executed",
                })),
            )
            .await)
        .await;
        let waiting = ok(app.step(&id, "submit-red", &t.red_tech, json!({})).await).await;
        assert_eq!(waiting["state"], "blue_evaluating");
        assert_eq!(waiting["blue"]["started_at"], Value::Null, "{waiting}");

        let offered = ok(app
            .call(
                Method::GET,
                &format!("/api/v1/tests/{id}/timeline"),
                &t.blue_tech,
                None,
            )
            .await)
        .await;
        assert_eq!(
            offered["available_actions"],
            json!(["start-evaluation", "submit-blue"]),
            "{offered}"
        );
        refused(
            app.step(&id, "pause-timer", &t.blue_tech, json!({})).await,
            StatusCode::CONFLICT,
            "TIMER_STATE",
        )
        .await;
        refused(
            app.step(&id, "start-evaluation", &t.red_tech, json!({}))
                .await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        )
        .await;

        let picked = ok(app
            .step(&id, "start-evaluation", &t.blue_tech, json!({}))
            .await)
        .await;
        assert_eq!(picked["state"], "blue_evaluating");
        let started = picked["blue"]["started_at"].as_str().unwrap().to_owned();
        refused(
            app.step(&id, "start-evaluation", &t.blue_lead, json!({}))
                .await,
            StatusCode::CONFLICT,
            "TIMER_STATE",
        )
        .await;
        // Read back from storage, the pick-up holds: the timer can pause.
        let paused = ok(app.step(&id, "pause-timer", &t.blue_tech, json!({})).await).await;
        assert_eq!(paused["paused"], true);
        assert_eq!(paused["blue"]["started_at"], started.as_str());
    }
);
