//! Every endpoint, walked with every role, against the permission matrix (whose golden table
//! is checked in `domain/tests/golden/permissions.txt`).

use reqwest::{Method, StatusCode};
use serde_json::json;

use aegis_domain::Role;
use aegis_domain::permission::Action;

use crate::helpers::*;

struct Endpoint {
    method: Method,
    path: &'static str,
    action: Action,
    body: Option<serde_json::Value>,
}

fn endpoints() -> Vec<Endpoint> {
    let e = |method: Method,
             path: &'static str,
             action: Action,
             body: Option<serde_json::Value>| Endpoint {
        method,
        path,
        action,
        body,
    };
    vec![
        e(Method::GET, "/api/v1/tactics", Action::ReadCatalog, None),
        e(Method::GET, "/api/v1/heatmap", Action::ReadCatalog, None),
        e(
            Method::GET,
            "/api/v1/dashboard",
            Action::ReadOperations,
            None,
        ),
        e(Method::GET, "/api/v1/metrics", Action::ReadOperations, None),
        e(
            Method::GET,
            "/api/v1/detection-rules",
            Action::ReadCatalog,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/detection-rules/{import}",
            Action::ReadCatalog,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/test-templates",
            Action::ReadCatalog,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/test-templates/{import}",
            Action::ReadCatalog,
            None,
        ),
        e(
            Method::POST,
            "/api/v1/tests/from-template",
            Action::PlanTests,
            Some(json!({"template_id": "00000000-0000-4000-8000-000000000000"})),
        ),
        e(
            Method::GET,
            "/api/v1/data-sources",
            Action::ReadCatalog,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/tracked-actors",
            Action::ReadCatalog,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/compliance/frameworks",
            Action::ReadCatalog,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/compliance/frameworks/{import}",
            Action::ReadCatalog,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/exports/tests",
            Action::ReadOperations,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/exports/techniques",
            Action::ReadCatalog,
            None,
        ),
        e(
            Method::PUT,
            "/api/v1/tracked-actors/{id}",
            Action::PlanTests,
            None,
        ),
        e(
            Method::DELETE,
            "/api/v1/tracked-actors/{id}",
            Action::PlanTests,
            None,
        ),
        e(
            Method::PATCH,
            "/api/v1/data-sources/{kind}",
            Action::ManageSystem,
            Some(json!({"enabled": true})),
        ),
        e(
            Method::POST,
            "/api/v1/data-sources/{kind}/sync",
            Action::ManageSystem,
            None,
        ),
        e(
            Method::POST,
            "/api/v1/data-sources/{kind}/bundle",
            Action::ManageSystem,
            Some(json!({"type": "bundle", "id": "bundle--walk", "objects": []})),
        ),
        e(Method::GET, "/api/v1/coverage", Action::ReadCatalog, None),
        e(
            Method::GET,
            "/api/v1/heatmap/navigator-layer",
            Action::ReadCatalog,
            None,
        ),
        e(
            Method::POST,
            "/api/v1/heatmap/navigator-layer",
            Action::PlanTests,
            Some(json!({"name": "walk", "techniques": [{"techniqueID": "T1059", "score": 1}]})),
        ),
        e(
            Method::GET,
            "/api/v1/tests/{test}/evidence",
            Action::ReadOperations,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/evidence/{evidence}",
            Action::ReadOperations,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/evidence/{evidence}/download",
            Action::ReadOperations,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/evidence/{evidence}/download-link",
            Action::ReadOperations,
            None,
        ),
        e(
            Method::POST,
            "/api/v1/evidence/{evidence}/verify",
            Action::ReadOperations,
            None,
        ),
        e(
            Method::DELETE,
            "/api/v1/evidence/{evidence}",
            Action::ManageSystem,
            Some(json!({"reason": "walk"})),
        ),
        e(
            Method::PATCH,
            "/api/v1/techniques/{mitre_id}/review",
            Action::FlagTechniqueForReview,
            Some(json!({"review_required": true, "reason": "walk"})),
        ),
        e(
            Method::POST,
            "/api/v1/techniques",
            Action::ManageCatalog,
            Some(json!({"mitre_id": "T9{n}", "name": "Walked", "tactics": ["execution"]})),
        ),
        e(
            Method::PATCH,
            "/api/v1/techniques/{mitre_id}",
            Action::ManageCatalog,
            Some(json!({"name": "Walked", "tactics": ["execution"]})),
        ),
        e(
            Method::GET,
            "/api/v1/system/imports",
            Action::ManageSystem,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/system/imports/{import}",
            Action::ManageSystem,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/system/jobs",
            Action::ManageSystem,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/system/jobs/{import}",
            Action::ManageSystem,
            None,
        ),
        e(
            Method::POST,
            "/api/v1/system/jobs/{job}/run",
            Action::ManageSystem,
            None,
        ),
        e(
            Method::POST,
            "/api/v1/system/run-intel-scan",
            Action::ManageSystem,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/system/scheduler-status",
            Action::ManageSystem,
            None,
        ),
        e(Method::GET, "/api/v1/snapshots", Action::ReadCatalog, None),
        e(
            Method::GET,
            "/api/v1/snapshots/trend",
            Action::ReadCatalog,
            None,
        ),
        e(
            Method::POST,
            "/api/v1/snapshots",
            Action::TakeSnapshot,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/snapshots/{import}",
            Action::ReadCatalog,
            None,
        ),
        e(
            Method::DELETE,
            "/api/v1/snapshots/{import}",
            Action::ManageSystem,
            None,
        ),
        e(Method::GET, "/api/v1/tests", Action::ReadOperations, None),
        e(
            Method::GET,
            "/api/v1/notifications",
            Action::ReadOwnAccount,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/notifications/unread-count",
            Action::ReadOwnAccount,
            None,
        ),
        e(
            Method::POST,
            "/api/v1/notifications/{note}/read",
            Action::ManageOwnAccount,
            None,
        ),
        e(
            Method::POST,
            "/api/v1/notifications/read-all",
            Action::ManageOwnAccount,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/tests/{test}",
            Action::ReadOperations,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/tests/{test}/timeline",
            Action::ReadOperations,
            None,
        ),
        e(
            Method::PATCH,
            "/api/v1/tests/{test}",
            Action::PlanTests,
            Some(json!({"title": "Renamed"})),
        ),
        e(
            Method::DELETE,
            "/api/v1/tests/{test}",
            Action::PlanTests,
            None,
        ),
        e(
            Method::PATCH,
            "/api/v1/tests/{test}/red",
            Action::ExecuteRed,
            Some(json!({"tool": "x"})),
        ),
        e(
            Method::PATCH,
            "/api/v1/tests/{test}/blue",
            Action::EvaluateBlue,
            Some(json!({"notes": "x"})),
        ),
        e(
            Method::POST,
            "/api/v1/tests/{test}/comments",
            Action::Comment,
            Some(json!({"body": "x"})),
        ),
        e(
            Method::POST,
            "/api/v1/tests/{test}/{action}",
            Action::ExecuteRed,
            None,
        ),
        e(
            Method::POST,
            "/api/v1/tests",
            Action::PlanTests,
            Some(json!({"title": "Walk", "technique_id": "T1059"})),
        ),
        e(Method::GET, "/api/v1/techniques", Action::ReadCatalog, None),
        e(
            Method::GET,
            "/api/v1/techniques/{mitre_id}",
            Action::ReadCatalog,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/threat-actors/{id}",
            Action::ReadCatalog,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/threat-actors",
            Action::ReadCatalog,
            None,
        ),
        e(Method::GET, "/api/v1/auth/me", Action::ReadOwnAccount, None),
        e(
            Method::GET,
            "/api/v1/users/me",
            Action::ReadOwnAccount,
            None,
        ),
        e(
            Method::PATCH,
            "/api/v1/users/me/preferences",
            Action::ManageOwnAccount,
            Some(json!({"theme": "dark"})),
        ),
        e(Method::GET, "/api/v1/users", Action::ManageUsers, None),
        e(
            Method::GET,
            "/api/v1/users/directory",
            Action::ReadOperations,
            None,
        ),
        e(
            Method::POST,
            "/api/v1/users",
            Action::ManageUsers,
            Some(json!({"email": "{unique}", "role": "viewer"})),
        ),
        e(
            Method::GET,
            "/api/v1/users/{target}",
            Action::ManageUsers,
            None,
        ),
        e(
            Method::PATCH,
            "/api/v1/users/{target}",
            Action::ManageUsers,
            Some(json!({"display_name": "Target"})),
        ),
        e(
            Method::POST,
            "/api/v1/users/{target}/reset-password",
            Action::ManageUsers,
            None,
        ),
        e(
            Method::DELETE,
            "/api/v1/users/{target}",
            Action::ManageUsers,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/campaigns",
            Action::ReadOperations,
            None,
        ),
        e(
            Method::POST,
            "/api/v1/campaigns",
            Action::ManageCampaigns,
            Some(json!({"name": "Walk"})),
        ),
        e(
            Method::POST,
            "/api/v1/campaigns/from-threat-actor",
            Action::ManageCampaigns,
            Some(json!({"threat_actor_id": "G0016"})),
        ),
        e(
            Method::POST,
            "/api/v1/campaigns/import",
            Action::ManageCampaigns,
            Some(
                json!({"template": {"format": "aegis.campaign-template/1", "name": "Walk",
                                     "campaign_type": "purple_team", "tests": []}}),
            ),
        ),
        e(
            Method::GET,
            "/api/v1/campaigns/{campaign}",
            Action::ReadOperations,
            None,
        ),
        e(
            Method::PATCH,
            "/api/v1/campaigns/{campaign}",
            Action::ManageCampaigns,
            Some(json!({"name": "Walked"})),
        ),
        e(
            Method::DELETE,
            "/api/v1/campaigns/{campaign}",
            Action::ManageCampaigns,
            None,
        ),
        e(
            Method::PATCH,
            "/api/v1/campaigns/{campaign}/schedule",
            Action::ManageCampaigns,
            Some(json!({"start_date": "2026-12-01"})),
        ),
        e(
            Method::POST,
            "/api/v1/campaigns/{campaign}/tests",
            Action::ManageCampaigns,
            Some(json!({"test_id": "00000000-0000-4000-8000-000000000000"})),
        ),
        e(
            Method::PUT,
            "/api/v1/campaigns/{campaign}/tests/order",
            Action::ManageCampaigns,
            Some(json!({"test_ids": []})),
        ),
        e(
            Method::DELETE,
            "/api/v1/campaigns/{campaign}/tests/{test_id}",
            Action::ManageCampaigns,
            None,
        ),
        e(
            Method::PUT,
            "/api/v1/tests/{test}/dependencies",
            Action::ManageCampaigns,
            Some(json!({"depends_on": []})),
        ),
        e(
            Method::POST,
            "/api/v1/campaigns/{campaign}/activate",
            Action::ManageCampaigns,
            None,
        ),
        e(
            Method::POST,
            "/api/v1/campaigns/{campaign}/complete",
            Action::CompleteCampaign,
            None,
        ),
        e(
            Method::POST,
            "/api/v1/campaigns/{campaign}/archive",
            Action::ManageCampaigns,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/campaigns/{campaign}/export",
            Action::ReadOperations,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/campaigns/{campaign}/coverage",
            Action::ReadOperations,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/campaigns/{campaign}/timeline",
            Action::ReadOperations,
            None,
        ),
        e(Method::GET, "/api/v1/reports", Action::ReadOperations, None),
        e(
            Method::POST,
            "/api/v1/reports",
            Action::TakeSnapshot,
            Some(json!({"kind": "executive_summary"})),
        ),
        e(
            Method::GET,
            "/api/v1/reports/{report}",
            Action::ReadOperations,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/reports/{report}/download",
            Action::ReadOperations,
            None,
        ),
        e(
            Method::POST,
            "/api/v1/reports/{report}/verify",
            Action::ReadOperations,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/findings",
            Action::ReadOperations,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/exports/findings",
            Action::ReadOperations,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/findings/{finding}",
            Action::ReadOperations,
            None,
        ),
        e(
            Method::PATCH,
            "/api/v1/findings/{finding}",
            Action::ManageFindings,
            Some(json!({"severity": "high"})),
        ),
        e(
            Method::POST,
            "/api/v1/findings/{finding}/accept-risk",
            Action::ManageFindings,
            Some(json!({"reason": "walk", "expires_on": "2099-01-01"})),
        ),
        e(
            Method::POST,
            "/api/v1/findings/{finding}/retest",
            Action::ManageFindings,
            None,
        ),
        e(
            Method::POST,
            "/api/v1/findings/{finding}/steps",
            Action::ManageFindings,
            Some(json!({"title": "Walk"})),
        ),
        // Leads change any step; a step's assignee (anyone who works on tests) its progress.
        e(
            Method::PATCH,
            "/api/v1/findings/{finding}/steps/{step_id}",
            Action::Comment,
            Some(json!({"status": "done"})),
        ),
        e(
            Method::DELETE,
            "/api/v1/findings/{finding}/steps/{step_id}",
            Action::ManageFindings,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/audit-logs",
            Action::ReadAuditLog,
            None,
        ),
        e(
            Method::GET,
            "/api/v1/audit-logs/verify",
            Action::ReadAuditLog,
            None,
        ),
    ]
}

/// The checked-in golden table (role x action), read as the reviewers see it.
fn golden_table() -> std::collections::HashMap<(String, String), bool> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../domain/tests/golden/permissions.txt"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let roles: Vec<&str> = lines.next().unwrap().split_whitespace().skip(1).collect();
    let mut table = std::collections::HashMap::new();
    for line in lines {
        let mut cells = line.split_whitespace();
        let action = cells.next().unwrap();
        for (role, cell) in roles.iter().zip(cells) {
            table.insert(((*role).to_owned(), action.to_owned()), cell == "x");
        }
    }
    table
}

on_both_databases!(
    every_endpoint_with_every_role_matches_the_golden_table,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let mut tokens = vec![(Role::Admin, admin.clone())];
        for role in Role::ALL.into_iter().filter(|r| *r != Role::Admin) {
            let (_, token) = app.user_with_role(&admin, role.as_str()).await;
            tokens.push((role, token));
        }
        let golden = golden_table();
        let mut mismatches = Vec::new();
        for (role, token) in &tokens {
            for endpoint in endpoints() {
                // Each request gets its own target user, so deleting one does not affect the next.
                let (target, _) = app
                    .create_user(
                        &admin,
                        &format!("target.{}@aegis.test", uuid::Uuid::new_v4().simple()),
                        "viewer",
                    )
                    .await;
                let test = if endpoint.path.contains("{test}") {
                    let created: serde_json::Value = app
                        .client
                        .post(app.url("/api/v1/tests"))
                        .bearer_auth(&admin)
                        .json(&json!({"title": "Walked", "technique_id": "T1059"}))
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    created["id"].as_str().unwrap().to_owned()
                } else {
                    String::new()
                };
                let path = endpoint
                    .path
                    .replace("{target}", &target)
                    .replace("{test}", &test)
                    .replace("{action}", "start-execution")
                    .replace("{note}", &uuid::Uuid::new_v4().to_string())
                    .replace("{import}", &uuid::Uuid::new_v4().to_string())
                    .replace("{job}", "coverage_refresh")
                    .replace("{kind}", "stix")
                    .replace("{evidence}", &uuid::Uuid::new_v4().to_string())
                    .replace("{mitre_id}", "T1059")
                    .replace("{campaign}", &uuid::Uuid::new_v4().to_string())
                    .replace("{finding}", &uuid::Uuid::new_v4().to_string())
                    .replace("{report}", &uuid::Uuid::new_v4().to_string())
                    .replace("{step_id}", &uuid::Uuid::new_v4().to_string())
                    .replace("{test_id}", &uuid::Uuid::new_v4().to_string())
                    .replace("{id}", "G0016");
                let mut request = app
                    .client
                    .request(endpoint.method.clone(), app.url(&path))
                    .bearer_auth(token);
                if let Some(body) = &endpoint.body {
                    let body = body
                        .to_string()
                        .replace("{n}", &format!("{:03}", rand_suffix()))
                        .replace(
                            "{unique}",
                            &format!("new.{}@aegis.test", uuid::Uuid::new_v4().simple()),
                        );
                    request = request
                        .header("content-type", "application/json")
                        .body(body);
                }
                let status = request.send().await.unwrap().status();
                let allowed = golden[&(
                    role.as_str().to_owned(),
                    endpoint.action.as_str().to_owned(),
                )];
                // Allowed means the role check passes: the request may still be refused
                // for the test's state (409) or find nothing (404), but never for the role.
                let ok = if allowed {
                    status.is_success()
                        || status == StatusCode::CONFLICT
                        || status == StatusCode::NOT_FOUND
                } else {
                    status == StatusCode::FORBIDDEN
                };
                if !ok {
                    mismatches.push(format!(
                        "{role} {} {} -> {status} (allowed: {allowed})",
                        endpoint.method, endpoint.path
                    ));
                }
            }
        }
        assert!(
            mismatches.is_empty(),
            "endpoints disagree with the golden table:\n{}",
            mismatches.join("\n")
        );
    }
);

#[test]
fn the_walk_covers_every_documented_endpoint() {
    let document: serde_json::Value =
        serde_json::from_str(&aegis_http::openapi::document()).unwrap();
    // Sign-in and session endpoints are for everyone by design and tested in `auth`.
    let open = [
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/auth/change-password",
        // Starts a real sync; its role rules are tested in `catalog`.
        "/api/v1/system/sync-mitre",
    ];
    // Multipart uploads; their role rules are tested in `evidence`.
    let multipart = [("post", "/api/v1/tests/{id}/evidence")];
    let walked: Vec<(String, String)> = endpoints()
        .iter()
        .map(|e| {
            (
                e.method.as_str().to_lowercase(),
                e.path
                    .replace("{target}", "{id}")
                    .replace("{test}", "{id}")
                    .replace("{note}", "{id}")
                    .replace("{import}", "{id}")
                    .replace("{evidence}", "{id}")
                    .replace("{campaign}", "{id}")
                    .replace("{finding}", "{id}")
                    .replace("{report}", "{id}"),
            )
        })
        .collect();
    for (path, operations) in document["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let secured = operation.get("security").is_some();
            if !secured
                || open.contains(&path.as_str())
                || multipart.contains(&(method.as_str(), path.as_str()))
            {
                continue;
            }
            assert!(
                walked.contains(&(method.clone(), path.clone())),
                "{method} {path} is not walked with every role"
            );
        }
    }
}

/// Three digits for a fresh custom technique id per request.
fn rand_suffix() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(100);
    NEXT.fetch_add(1, Ordering::Relaxed) % 1000
}
