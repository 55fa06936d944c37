//! Attack paths end to end on both databases: drawn by hand (with the graph's rules as 422s
//! naming the field), made from a threat actor in kill-chain order, imported from an Attack
//! Flow Builder file and a STIX bundle (unknown techniques noted, not fatal; broken files
//! 422), met with the organization's coverage (scores, the weakest step, the first stop with
//! AND / OR), exported and read back as the same graph, planned as a campaign whose tests
//! depend on each other in the path's order; viewers read and never write.

use std::path::{Path, PathBuf};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

fn flow_fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/attack-flow")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

async fn import(app: &TestApp, token: &str, bytes: Vec<u8>, query: &str) -> (StatusCode, Value) {
    let response = app
        .client
        .post(app.url(&format!("/api/v1/attack-paths/import{query}")))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Value,
) -> reqwest::Response {
    app.client
        .request(method, app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn step<'a>(detail: &'a Value, technique: &str) -> &'a Value {
    detail["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["technique_id"] == technique)
        .unwrap_or_else(|| panic!("no {technique} step in {detail}"))
}

fn keys(detail: &Value) -> Vec<String> {
    detail["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap().to_owned())
        .collect()
}

/// Pairs of labels: a step's (technique or operator, name), or an edge's (from, to).
type Pairs = Vec<(String, String)>;

/// The graph as sets of (kind, technique or operator, name) and edges between those.
fn shape(detail: &Value) -> (Pairs, Pairs) {
    let label = |s: &Value| {
        s["technique_id"]
            .as_str()
            .or_else(|| s["operator"].as_str())
            .unwrap()
            .to_owned()
    };
    let steps = detail["steps"].as_array().unwrap();
    let by_key = |key: &Value| steps.iter().find(|s| s["key"] == *key).map(label).unwrap();
    let mut nodes: Vec<(String, String)> = steps
        .iter()
        .map(|s| (label(s), s["name"].as_str().unwrap().to_owned()))
        .collect();
    nodes.sort();
    let mut edges: Vec<(String, String)> = detail["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (by_key(&e["from"]), by_key(&e["to"])))
        .collect();
    edges.sort();
    (nodes, edges)
}

on_both_databases!(
    a_path_drawn_by_hand_shows_coverage_its_weakest_step_and_where_it_is_stopped,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let crew = app.crew(&admin).await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;

        // Phishing, then PowerShell or a Unix shell (OR), then obfuscation.
        let body = json!({
            "name": "Phish to obfuscation",
            "description": "Two ways to run code",
            "steps": [
                {"key": "phish", "technique_id": "T1566"},
                {"key": "ps", "technique_id": "T1059.001"},
                {"key": "sh", "technique_id": "T1059.004"},
                {"key": "either", "operator": "OR"},
                {"key": "hide", "technique_id": "T1027", "name": "Hide the payload"}
            ],
            "edges": [
                {"from": "phish", "to": "ps"}, {"from": "phish", "to": "sh"},
                {"from": "ps", "to": "either"}, {"from": "sh", "to": "either"},
                {"from": "either", "to": "hide"}
            ]
        });
        let refused = send(
            &app,
            Method::POST,
            "/api/v1/attack-paths",
            &viewer,
            body.clone(),
        )
        .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let created = send(
            &app,
            Method::POST,
            "/api/v1/attack-paths",
            &crew.red_lead,
            body.clone(),
        )
        .await;
        assert_eq!(created.status(), StatusCode::CREATED);
        assert_eq!(created.headers()["etag"], "\"1\"");
        let created: Value = created.json().await.unwrap();
        let id = created["path"]["id"].as_str().unwrap().to_owned();
        assert_eq!(created["path"]["source"], "manual");
        assert_eq!(created["path"]["techniques"], 4);
        assert_eq!(keys(&created), ["phish", "ps", "sh", "either", "hide"]);
        assert_eq!(step(&created, "T1027")["name"], "Hide the payload");
        assert_eq!(step(&created, "T1566")["name"], "Phishing");
        // Nothing tested yet: everything uncovered, the first step weakest, nothing stops it.
        assert_eq!(step(&created, "T1566")["status"], "not_covered");
        assert_eq!(created["weakest_step"], "phish");
        assert_eq!(created["first_stop"], Value::Null);

        // PowerShell detected: one branch of the OR, so the OR still lets the chain through.
        app.validated_test(
            &admin,
            "T1059.001",
            json!({"outcome": "detected", "detected_at": "2026-11-22T10:05:00Z"}),
        )
        .await;
        app.validated_test(&admin, "T1566", json!({"outcome": "not_detected"}))
            .await;
        let detail: Value = app
            .get(&format!("/api/v1/attack-paths/{id}"), &viewer)
            .await
            .json()
            .await
            .unwrap();
        let ps = step(&detail, "T1059.001");
        assert_eq!(ps["latest_outcome"], "detected");
        assert_eq!(ps["stopped"], true);
        assert!(ps["score"].as_f64().unwrap() > 0.0, "{ps}");
        assert_eq!(step(&detail, "T1566")["latest_outcome"], "not_detected");
        assert_eq!(step(&detail, "T1566")["stopped"], false);
        assert_eq!(detail["first_stop"], "ps");
        let either = detail["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == "either")
            .unwrap();
        assert_eq!(either["stopped"], false);
        assert_eq!(either["score"], Value::Null);
        // The weakest step is the first, in order, of the lowest score.
        let scored: Vec<(String, f64)> = detail["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["kind"] == "technique")
            .map(|s| {
                (
                    s["key"].as_str().unwrap().to_owned(),
                    s["score"].as_f64().unwrap(),
                )
            })
            .collect();
        let lowest = scored.iter().map(|(_, v)| *v).fold(f64::INFINITY, f64::min);
        let first_lowest = scored.iter().find(|(_, v)| *v == lowest).unwrap();
        assert_eq!(detail["weakest_step"], first_lowest.0.as_str());
        assert_ne!(detail["weakest_step"], "ps");

        // The Unix shell prevented too: both branches stopped, so the OR is.
        app.validated_test(&admin, "T1059.004", json!({"outcome": "prevented"}))
            .await;
        let detail: Value = app
            .get(&format!("/api/v1/attack-paths/{id}"), &viewer)
            .await
            .json()
            .await
            .unwrap();
        let either = detail["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == "either")
            .unwrap();
        assert_eq!(either["stopped"], true);

        // Bad graphs are 422s naming the field.
        let mut cycle = body.clone();
        cycle["edges"]
            .as_array_mut()
            .unwrap()
            .push(json!({"from": "hide", "to": "phish"}));
        let answer = send(
            &app,
            Method::POST,
            "/api/v1/attack-paths",
            &crew.red_lead,
            cycle,
        )
        .await;
        assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem(answer).await["errors"][0]["field"], "steps");
        let mut unknown = body.clone();
        unknown["steps"][0]["technique_id"] = json!("T9999");
        let answer = send(
            &app,
            Method::POST,
            "/api/v1/attack-paths",
            &crew.red_lead,
            unknown,
        )
        .await;
        assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            problem(answer).await["errors"][0]["field"],
            "steps[0].technique_id"
        );
        let mut dangling = body.clone();
        dangling["edges"][0]["to"] = json!("nowhere");
        let answer = send(
            &app,
            Method::POST,
            "/api/v1/attack-paths",
            &crew.red_lead,
            dangling,
        )
        .await;
        assert_eq!(problem(answer).await["errors"][0]["field"], "edges[0].to");
        let empty = json!({"name": "Empty", "steps": []});
        let answer = send(
            &app,
            Method::POST,
            "/api/v1/attack-paths",
            &crew.red_lead,
            empty,
        )
        .await;
        assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);

        // Updates are versioned: a stale version is refused.
        let renamed = send(
            &app,
            Method::PATCH,
            &format!("/api/v1/attack-paths/{id}"),
            &crew.blue_lead,
            json!({"name": "Renamed", "version": 1}),
        )
        .await;
        assert_eq!(renamed.status(), StatusCode::OK);
        let renamed: Value = renamed.json().await.unwrap();
        assert_eq!(renamed["path"]["version"], 2);
        let stale = send(
            &app,
            Method::PATCH,
            &format!("/api/v1/attack-paths/{id}"),
            &crew.red_lead,
            json!({"name": "Stale", "version": 1}),
        )
        .await;
        assert_eq!(stale.status(), StatusCode::CONFLICT);
        let half = send(
            &app,
            Method::PATCH,
            &format!("/api/v1/attack-paths/{id}"),
            &crew.red_lead,
            json!({"steps": [{"key": "a", "technique_id": "T1566"}]}),
        )
        .await;
        assert_eq!(problem(half).await["errors"][0]["field"], "edges");
        let regraphed: Value = app.send_ok(Method::PATCH, &format!("/api/v1/attack-paths/{id}"), &crew.red_lead,
            json!({"steps": [{"key": "a", "technique_id": "T1566"}, {"key": "b", "technique_id": "T1027"}],
                   "edges": [{"from": "a", "to": "b"}]})).await;
        assert_eq!(keys(&regraphed), ["a", "b"]);
        let readonly = send(
            &app,
            Method::PATCH,
            &format!("/api/v1/attack-paths/{id}"),
            &viewer,
            json!({"name": "Viewer"}),
        )
        .await;
        assert_eq!(readonly.status(), StatusCode::FORBIDDEN);

        let list: Value = app
            .get("/api/v1/attack-paths", &viewer)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["total"], 1);
        assert_eq!(list["items"][0]["name"], "Renamed");

        let gone = send(
            &app,
            Method::DELETE,
            &format!("/api/v1/attack-paths/{id}"),
            &viewer,
            json!({}),
        )
        .await;
        assert_eq!(gone.status(), StatusCode::FORBIDDEN);
        let gone = send(
            &app,
            Method::DELETE,
            &format!("/api/v1/attack-paths/{id}"),
            &crew.red_lead,
            json!({}),
        )
        .await;
        assert_eq!(gone.status(), StatusCode::NO_CONTENT);
        let missing = app
            .get(&format!("/api/v1/attack-paths/{id}"), &viewer)
            .await;
        assert_eq!(problem(missing).await["code"], "ATTACK_PATH_NOT_FOUND");
    }
);

on_both_databases!(
    flows_import_export_and_read_back_and_a_path_plans_a_campaign,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let crew = app.crew(&admin).await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;

        // The builder file: T1190 is not in this catalog and one action names no technique;
        // both are passed through and noted, the chain around them kept.
        let (status, _) = import(&app, &viewer, flow_fixture("fixture.afb"), "").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, made) = import(&app, &crew.red_lead, flow_fixture("fixture.afb"), "").await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        let notes = made["notes"].as_array().unwrap();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes.iter().any(|n| n.as_str().unwrap().contains("T1190")));
        let path = &made["attack_path"];
        assert_eq!(path["path"]["name"], "Aegis fixture flow");
        assert_eq!(path["path"]["source"], "attack_flow");
        let (nodes, edges) = shape(path);
        assert_eq!(nodes.len(), 4, "{nodes:?}");
        assert_eq!(
            edges,
            [
                ("OR".to_owned(), "T1059.001".to_owned()),
                ("T1059.001".to_owned(), "T1027".to_owned()),
                ("T1566".to_owned(), "OR".to_owned()),
            ]
        );
        let id = path["path"]["id"].as_str().unwrap().to_owned();

        // Exported as an Attack Flow STIX bundle, imported back: the same graph.
        let exported = app
            .get(&format!("/api/v1/attack-paths/{id}/export"), &viewer)
            .await;
        assert_eq!(exported.status(), StatusCode::OK);
        assert!(
            exported.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains(".json")
        );
        let bundle: Value = exported.json().await.unwrap();
        assert_eq!(bundle["type"], "bundle");
        let objects = bundle["objects"].as_array().unwrap();
        assert!(objects.iter().any(|o| o["type"] == "extension-definition"
            && o["id"] == "extension-definition--fb9c968a-745b-4ade-9b25-c324172197f4"));
        assert_eq!(
            objects
                .iter()
                .filter(|o| o["type"] == "attack-action")
                .count(),
            3
        );
        assert_eq!(
            objects
                .iter()
                .filter(|o| o["type"] == "attack-operator")
                .count(),
            1
        );
        let (status, back) = import(
            &app,
            &crew.red_lead,
            serde_json::to_vec(&bundle).unwrap(),
            "?name=Round%20trip",
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{back}");
        assert_eq!(back["attack_path"]["path"]["name"], "Round trip");
        assert_eq!(back["notes"], json!([]));
        assert_eq!(shape(&back["attack_path"]), shape(path));

        // The STIX fixture: T1082, T1041 and T9999 are not in this catalog.
        let (status, stix) =
            import(&app, &crew.blue_lead, flow_fixture("fixture-stix.json"), "").await;
        assert_eq!(status, StatusCode::CREATED, "{stix}");
        assert_eq!(stix["notes"].as_array().unwrap().len(), 3, "{stix}");
        let (nodes, edges) = shape(&stix["attack_path"]);
        assert_eq!(nodes.len(), 3, "{nodes:?}");
        assert!(
            edges.contains(&("T1566".to_owned(), "T1059".to_owned())),
            "{edges:?}"
        );
        assert!(
            edges.contains(&("T1059".to_owned(), "AND".to_owned())),
            "{edges:?}"
        );

        // Files that are no flow: 422 naming the file.
        for bad in [
            b"not json at all".to_vec(),
            br#"{"type": "bundle", "objects": [{"type": "indicator", "id": "indicator--1"}]}"#
                .to_vec(),
            br#"{"schema": "attack_flow_v2", "objects": []}"#.to_vec(),
            br#"{"hello": "world"}"#.to_vec(),
        ] {
            let (status, problem) = import(&app, &crew.red_lead, bad, "").await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
            assert_eq!(problem["errors"][0]["field"], "file", "{problem}");
        }

        // A campaign from the first path: one draft per technique step, each waiting for the
        // technique steps before it (through the OR).
        let refused = send(
            &app,
            Method::POST,
            &format!("/api/v1/attack-paths/{id}/campaign"),
            &viewer,
            json!({}),
        )
        .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let planned = send(
            &app,
            Method::POST,
            &format!("/api/v1/attack-paths/{id}/campaign"),
            &crew.red_lead,
            json!({}),
        )
        .await;
        assert_eq!(planned.status(), StatusCode::CREATED);
        let planned: Value = planned.json().await.unwrap();
        assert_eq!(planned["campaign"]["status"], "draft");
        assert_eq!(planned["campaign"]["name"], "Path: Aegis fixture flow");
        let tests = planned["tests"].as_array().unwrap();
        let techniques: Vec<&str> = tests
            .iter()
            .map(|t| t["test"]["technique_id"].as_str().unwrap())
            .collect();
        assert_eq!(techniques, ["T1566", "T1059.001", "T1027"]);
        let id_of = |n: usize| tests[n]["test"]["id"].clone();
        assert_eq!(tests[0]["depends_on"], json!([]));
        assert_eq!(tests[1]["depends_on"], json!([id_of(0)]));
        assert_eq!(tests[2]["depends_on"], json!([id_of(1)]));
        assert_eq!(planned["progress"]["blocked"], 2);
        let campaign = planned["campaign"]["id"].as_str().unwrap();
        let read: Value = app
            .get(&format!("/api/v1/campaigns/{campaign}"), &viewer)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(read["tests"].as_array().unwrap().len(), 3);

        // From a threat actor: its techniques in kill-chain order (initial access first).
        let refused = send(
            &app,
            Method::POST,
            "/api/v1/attack-paths/from-actor/G0016",
            &viewer,
            json!({}),
        )
        .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let missing = send(
            &app,
            Method::POST,
            "/api/v1/attack-paths/from-actor/G9999",
            &crew.red_lead,
            json!({}),
        )
        .await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        let made = app
            .send_ok(
                Method::POST,
                "/api/v1/attack-paths/from-actor/G0016",
                &crew.red_lead,
                json!({}),
            )
            .await;
        let path = &made["attack_path"];
        assert_eq!(path["path"]["source"], "threat_actor");
        let order: Vec<&str> = path["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["technique_id"].as_str().unwrap())
            .collect();
        assert_eq!(order, ["T1566", "T1059.001"]);
        assert_eq!(path["edges"], json!([{"from": "s1", "to": "s2"}]));
        assert!(path["path"]["name"].as_str().unwrap().contains("APT29"));
    }
);

/// One of the CTID's real flows, over the real ATT&CK catalog, imports with per-step coverage
/// and plans a campaign.
#[tokio::test]
async fn a_real_ctid_flow_imports_over_the_real_catalog_when_present() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/feeds");
    let attack: PathBuf =
        root.join("attack-stix/mitre__cti/enterprise-attack/enterprise-attack.json.gz");
    let flow = root.join("attack-flow/center-for-threat-informed-defense__attack-flow/corpus/Tesla Kubernetes Breach.afb");
    if !attack.exists() || !flow.exists() {
        eprintln!("skipped: ../shared/feeds (ATT&CK and the CTID attack flows) is absent");
        return;
    }
    let app = spawn_app(Backend::Postgres).await;
    app.import_attack(&attack).await;
    let admin = app.admin_token().await;
    let (status, made) = import(&app, &admin, std::fs::read(&flow).unwrap(), "").await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let path = &made["attack_path"];
    assert_eq!(path["path"]["name"], "Tesla Kubernetes Breach");
    let techniques = path["path"]["techniques"].as_u64().unwrap();
    assert!(techniques >= 8, "{path}");
    assert!(
        path["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["kind"] == "technique")
            .all(|s| s["status"] == "not_covered")
    );
    assert!(path["weakest_step"].is_string());
    let id = path["path"]["id"].as_str().unwrap();
    let planned = app
        .send_ok(
            Method::POST,
            &format!("/api/v1/attack-paths/{id}/campaign"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(
        planned["tests"].as_array().unwrap().len() as u64,
        techniques
    );
}
