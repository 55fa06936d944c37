//! THE cross-tenant isolation test, on both databases. A second tenant is created through the
//! real operator API, and both tenants get the same breadth of real data (the permission
//! walk's seed: users, tests in each state, evidence, campaigns, findings and their steps,
//! detection assets and decay policies, reports, snapshots, scans, webhooks and deliveries,
//! Jira and SIEM configurations, attack paths, playbooks, lessons, API keys, alerts,
//! notifications). Then each tenant's admin calls every operation of the OpenAPI document
//! that takes an id, with the *other* tenant's ids, and must get 404 (403 for the platform's
//! routes, which are the operator's); and every list the document offers is read by each
//! admin and must name none of the other tenant's ids.
//!
//! The operations come from the live OpenAPI document, and their bodies and placeholders
//! from the permission walk (which must cover every documented endpoint), so a new endpoint
//! is covered here as soon as it is documented and walked.

use std::collections::{HashMap, HashSet};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use aegis_domain::Role;
use aegis_domain::tenant::TenantId;

use crate::helpers::*;
use crate::permissions::{Caller, Walk, documented, endpoints, placeholders, seed, seed_tenant};

/// Placeholders that name shared things (the catalog, its rules, templates and frameworks,
/// feed imports and job runs, intelligence items, threat actors) or fixed words: another
/// tenant may legitimately read them, so an operation whose ids are all of these is no
/// isolation question.
const SHARED: &[&str] = &[
    "action",
    "actor",
    "custom",
    "framework",
    "import",
    "intel_item",
    "job",
    "job_run",
    "kind",
    "mitre_id",
    "new_custom_id",
    "number",
    "risk_technique",
    "rule",
    "technique_id",
    "template",
    "tracked_actor",
];

/// The values of placeholders that are not ids (urls, names, emails), never checked in lists.
const NOT_IDS: &[&str] = &["siem_url", "jira_url", "new_name", "new_email"];

/// One tenant as the test sees it: its admin's walk and who its admin is.
struct Side<'a> {
    slug: &'static str,
    /// The installation's platform operator (the default tenant's bootstrap admin).
    operator: bool,
    tenant: TenantId,
    walk: Walk<'a>,
    admin: Caller,
}

async fn me(app: &TestApp, token: &str) -> Value {
    app.get("/api/v1/auth/me", token)
        .await
        .json()
        .await
        .unwrap()
}

fn admin_caller(token: &str, me: &Value) -> Caller {
    Caller {
        role: Role::Admin,
        user_id: me["id"].as_str().unwrap().to_owned(),
        token: token.to_owned(),
        read_only_key: false,
    }
}

/// What an operation's successful answer is, per the document: an event stream is never
/// read to its end.
fn streams(operation: &Value) -> bool {
    operation["responses"]["200"]["content"]
        .as_object()
        .is_some_and(|content| content.contains_key("text/event-stream"))
}

fn has_query(operation: &Value, name: &str) -> bool {
    operation["parameters"]
        .as_array()
        .is_some_and(|parameters| {
            parameters
                .iter()
                .any(|p| p["in"] == "query" && p["name"] == name)
        })
}

/// Calls every id-taking operation as `caller`'s admin with `victim`'s ids. Returns the
/// number of calls and the failures; adds every id of the victim it used to `victim_ids`.
async fn call_with_foreign_ids(
    app: &TestApp,
    document: &Value,
    caller: &Side<'_>,
    victim: &Side<'_>,
    victim_ids: &mut HashSet<String>,
) -> (usize, Vec<String>) {
    let walked = endpoints();
    let mut calls = 0;
    let mut failures = Vec::new();
    for (path, operations) in document["paths"].as_object().unwrap() {
        if !path.contains('{') {
            continue;
        }
        for (method, _) in operations.as_object().unwrap() {
            let method: Method = method.to_uppercase().parse().unwrap();
            if path.starts_with("/api/v1/platform/") {
                // The platform's routes belong to operators: a tenant's admin is refused
                // whatever the id. The default tenant's admin is the installation's operator,
                // whose running of tenants is tested in `tenants` (here it would disable the
                // other side halfway through).
                if caller.operator {
                    continue;
                }
                let concrete = path.replace("{id}", &victim.tenant.to_string());
                let response = app
                    .client
                    .request(method.clone(), app.url(&concrete))
                    .bearer_auth(&caller.admin.token)
                    .json(&json!({}))
                    .send()
                    .await
                    .unwrap();
                calls += 1;
                if response.status() != StatusCode::FORBIDDEN {
                    failures.push(format!(
                        "{} {method} {concrete} -> {} (expected 403)",
                        caller.slug,
                        response.status()
                    ));
                }
                continue;
            }
            let Some(endpoint) = walked
                .iter()
                .find(|e| e.method == method && documented(e.path) == *path)
            else {
                if method == Method::POST && path == "/api/v1/tests/{id}/evidence" {
                    // A multipart upload, which the walk does not send.
                    let test = &victim.walk.shared["red_test"];
                    victim_ids.insert(test.clone());
                    let form = reqwest::multipart::Form::new().part(
                        "file",
                        reqwest::multipart::Part::bytes(b"intruder".to_vec())
                            .file_name("intruder.txt"),
                    );
                    let response = app
                        .client
                        .post(app.url(&format!("/api/v1/tests/{test}/evidence")))
                        .bearer_auth(&caller.admin.token)
                        .multipart(form)
                        .send()
                        .await
                        .unwrap();
                    calls += 1;
                    if response.status() != StatusCode::NOT_FOUND {
                        failures.push(format!(
                            "{} POST /api/v1/tests/{test}/evidence -> {}",
                            caller.slug,
                            response.status()
                        ));
                    }
                    continue;
                }
                failures.push(format!(
                    "{method} {path} is documented but not walked: add it to the permission walk"
                ));
                continue;
            };
            let body = endpoint.body.as_ref().map(Value::to_string);
            let text = format!("{} {}", endpoint.path, body.as_deref().unwrap_or(""));
            let path_names = placeholders(endpoint.path);
            if path_names
                .iter()
                .all(|name| SHARED.contains(&name.as_str()))
            {
                continue;
            }
            // The victim's own resources, made by the victim's admin.
            let mut resolved = HashMap::new();
            for name in placeholders(&text) {
                victim
                    .walk
                    .resolve(&name, &victim.admin, &mut resolved)
                    .await;
            }
            for (name, value) in &resolved {
                if !SHARED.contains(&name.as_str()) && !NOT_IDS.contains(&name.as_str()) {
                    victim_ids.insert(value.clone());
                }
            }
            let fill = |text: &str| {
                resolved
                    .iter()
                    .fold(text.to_owned(), |text, (name, value)| {
                        text.replace(&format!("{{{name}}}"), value)
                    })
            };
            let concrete = fill(endpoint.path);
            let mut request = app
                .client
                .request(method.clone(), app.url(&concrete))
                .bearer_auth(&caller.admin.token);
            if let Some(body) = &body {
                request = request
                    .header("content-type", "application/json")
                    .body(fill(body));
            }
            let response = request.send().await.unwrap();
            calls += 1;
            let status = response.status();
            if status != StatusCode::NOT_FOUND {
                let answer = response.text().await.unwrap_or_default();
                failures.push(format!(
                    "{} {method} {concrete} -> {status}: {}",
                    caller.slug,
                    answer.chars().take(300).collect::<String>()
                ));
            }
        }
    }
    (calls, failures)
}

/// Reads every list (every GET without a path parameter) as `caller`'s admin and reports
/// those that name one of `foreign` ids.
async fn read_lists(
    app: &TestApp,
    document: &Value,
    caller: &Side<'_>,
    foreign: &HashSet<String>,
) -> (usize, Vec<String>) {
    let mut calls = 0;
    let mut failures = Vec::new();
    for (path, operations) in document["paths"].as_object().unwrap() {
        let Some(operation) = operations.get("get") else {
            continue;
        };
        if path.contains('{') || !path.starts_with("/api/v1/") || streams(operation) {
            continue;
        }
        let url = if has_query(operation, "per_page") {
            format!("{path}?per_page=200")
        } else {
            path.clone()
        };
        let response = app.get(&url, &caller.admin.token).await;
        calls += 1;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        if path.starts_with("/api/v1/platform/") {
            // The operator lists tenants, which is their job; anyone else is refused.
            let expected = if caller.operator {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            if status != expected {
                failures.push(format!("{} GET {url} -> {status}", caller.slug));
            }
            continue;
        }
        let leaked: Vec<&String> = foreign.iter().filter(|id| body.contains(*id)).collect();
        if !leaked.is_empty() {
            failures.push(format!(
                "{} GET {url} ({status}) shows the other tenant's {leaked:?}",
                caller.slug
            ));
        }
    }
    (calls, failures)
}

on_both_databases!(
    no_tenant_sees_or_touches_another_tenants_rows,
    |app: TestApp| async move {
        // The default tenant, seeded as the walk seeds it (with the shared catalog).
        let first = seed(&app).await;
        let first_me = me(&app, &first.admin).await;
        let first_tenant = TenantId::parse(first_me["tenant_id"].as_str().unwrap()).unwrap();

        // A second tenant, through the real operator API, with the same breadth of data.
        let created = app
            .send_ok(
                Method::POST,
                "/api/v1/platform/tenants",
                &first.admin,
                json!({"slug": "second", "name": "Second Org",
                       "admin_email": "admin@second.test"}),
            )
            .await;
        let password = created["admin_password"].as_str().unwrap().to_owned();
        let second_token = app.ready_user("admin@second.test", &password).await;
        let second_tenant = TenantId::parse(created["tenant"]["id"].as_str().unwrap()).unwrap();
        let second = seed_tenant(&app, second_token.clone(), second_tenant).await;
        let second_me = me(&app, &second_token).await;

        let first = Side {
            slug: "default",
            operator: true,
            tenant: first_tenant,
            admin: admin_caller(&first.admin.clone(), &first_me),
            walk: first,
        };
        let second = Side {
            slug: "second",
            operator: false,
            tenant: second_tenant,
            admin: admin_caller(&second_token, &second_me),
            walk: second,
        };

        let document: Value = serde_json::from_str(&aegis_http::openapi::document()).unwrap();
        let mut calls = 0;
        let mut failures = Vec::new();
        // The ids each side owns, gathered as they are used against it.
        let mut first_ids = HashSet::new();
        let mut second_ids = HashSet::new();
        for (caller, victim, victim_ids) in [
            (&second, &first, &mut first_ids),
            (&first, &second, &mut second_ids),
        ] {
            for (name, value) in &victim.walk.shared {
                if !SHARED.contains(name) && !NOT_IDS.contains(name) {
                    victim_ids.insert(value.clone());
                }
            }
            victim_ids.insert(victim.admin.user_id.clone());
            let (made, failed) =
                call_with_foreign_ids(&app, &document, caller, victim, victim_ids).await;
            calls += made;
            failures.extend(failed);
        }
        let mut list_calls = 0;
        for (caller, foreign) in [(&first, &second_ids), (&second, &first_ids)] {
            let (made, failed) = read_lists(&app, &document, caller, foreign).await;
            list_calls += made;
            failures.extend(failed);
        }
        println!(
            "tenant isolation: {calls} calls with the other tenant's ids, {list_calls} list \
             reads checked against {} + {} ids",
            first_ids.len(),
            second_ids.len()
        );
        assert!(
            failures.is_empty(),
            "{} of {} calls crossed tenants:\n{}",
            failures.len(),
            calls + list_calls,
            failures.join("\n")
        );
        assert!(calls > 150, "too few calls to mean anything: {calls}");
    }
);
