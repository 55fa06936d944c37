//! The ATT&CK catalog: importing bundles idempotently, and reading tactics, techniques and
//! threat actors over the API.

use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/attack")
        .join(name)
}

on_both_databases!(
    imports_are_idempotent_and_flag_changes,
    |app: TestApp| async move {
        let first = app.import_attack(&fixture("enterprise-v1.json")).await;
        let technique = first.counts["technique"];
        assert_eq!(
            (technique.created, technique.updated, technique.unchanged),
            (6, 0, 0)
        );
        assert_eq!(first.counts["tactic"].created, 3);
        assert_eq!(first.counts["threat_actor"].created, 2);
        assert_eq!(first.counts["relationship"].created, 7);
        assert_eq!(first.skipped.len(), 1, "the technique without an ATT&CK id");
        assert!(first.skipped[0].reason.contains("ATT&CK id"));

        let again = app.import_attack(&fixture("enterprise-v1.json")).await;
        assert!(again.is_unchanged());
        assert_eq!(again.counts["technique"].unchanged, 6);

        let newer = app.import_attack(&fixture("enterprise-v2.json")).await;
        let technique = newer.counts["technique"];
        assert_eq!(
            (
                technique.created,
                technique.updated,
                technique.unchanged,
                technique.revoked
            ),
            (1, 2, 4, 1)
        );
        assert_eq!(newer.flagged_for_review, ["T1566"]);

        let admin = app.admin_token().await;
        let flagged: Value = app
            .get("/api/v1/techniques?review_required=true", &admin)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(flagged["total"], 1);
        assert_eq!(flagged["items"][0]["name"], "Phishing (renamed)");
        // The deprecated technique is kept, and hidden unless asked for.
        let visible: Value = app
            .get("/api/v1/techniques", &admin)
            .await
            .json()
            .await
            .unwrap();
        let ids: Vec<&str> = visible["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["mitre_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["T1059", "T1204", "T1566"]);
        let all: Value = app
            .get(
                "/api/v1/techniques?include_revoked=true&include_subtechniques=true",
                &admin,
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(all["total"], 7);
    }
);

on_both_databases!(
    the_catalog_is_readable_by_every_role,
    |app: TestApp| async move {
        app.import_attack(&fixture("enterprise-v1.json")).await;
        let admin = app.admin_token().await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;

        let tactics: Value = app
            .get("/api/v1/tactics", &viewer)
            .await
            .json()
            .await
            .unwrap();
        let order: Vec<&str> = tactics
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["mitre_id"].as_str().unwrap())
            .collect();
        assert_eq!(order, ["TA0001", "TA0002", "TA0005"], "matrix order");

        let execution: Value = app
            .get(
                "/api/v1/techniques?tactic=TA0002&include_subtechniques=true",
                &viewer,
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(execution["total"], 3);
        let by_shortname: Value = app
            .get("/api/v1/techniques?tactic=execution", &viewer)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(by_shortname["total"], 1);
        let saas: Value = app
            .get("/api/v1/techniques?platform=SaaS", &viewer)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(saas["items"][0]["mitre_id"], "T1566");
        let text: Value = app
            .get(
                "/api/v1/techniques?q=powershell&include_subtechniques=true",
                &viewer,
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(text["total"], 1, "the revoked duplicate stays hidden");

        let by_name: Value = app
            .get("/api/v1/techniques?sort=-name", &viewer)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(by_name["items"][0]["name"], "Phishing");
        let bad_sort = app.get("/api/v1/techniques?sort=colour", &viewer).await;
        assert_eq!(problem(bad_sort).await["errors"][0]["field"], "sort");
        let detail: Value = app
            .get("/api/v1/techniques/t1059", &viewer)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(detail["name"], "Command and Scripting Interpreter");
        let subs: Vec<&str> = detail["subtechniques"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["mitre_id"].as_str().unwrap())
            .collect();
        assert_eq!(subs, ["T1059.001", "T1059.004"]);
        let powershell: Value = app
            .get("/api/v1/techniques/T1059.001", &viewer)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(powershell["parent"], "T1059");
        assert_eq!(powershell["threat_actors"][0]["name"], "APT29");
        assert_eq!(powershell["software"][0]["mitre_id"], "S0154");
        assert_eq!(powershell["mitigations"][0]["mitre_id"], "M1038");
        let revoked: Value = app
            .get("/api/v1/techniques/T1086", &viewer)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(revoked["revoked"], true);
        assert_eq!(revoked["revoked_by"], "attack-pattern--11");

        let missing = app.get("/api/v1/techniques/T9999", &viewer).await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert_eq!(problem(missing).await["code"], "TECHNIQUE_NOT_FOUND");
        let malformed = app.get("/api/v1/techniques/not-an-id", &viewer).await;
        assert_eq!(problem(malformed).await["errors"][0]["field"], "mitre_id");

        let actors: Value = app
            .get("/api/v1/threat-actors?q=cozy", &viewer)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(actors["total"], 1);
        let apt29: Value = app
            .get("/api/v1/threat-actors/G0016", &viewer)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            apt29["aliases"],
            serde_json::json!(["APT29", "Cozy Bear", "NOBELIUM"])
        );
        let used: Vec<&str> = apt29["techniques"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["mitre_id"].as_str().unwrap())
            .collect();
        assert_eq!(used, ["T1059.001", "T1566"]);
        assert_eq!(apt29["references"][0]["url"], "https://example.com/apt29");
        let unknown = app.get("/api/v1/threat-actors/G9999", &viewer).await;
        assert_eq!(problem(unknown).await["code"], "THREAT_ACTOR_NOT_FOUND");
    }
);

#[tokio::test]
async fn the_real_enterprise_bundle_imports_when_present() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../../shared/feeds/attack-stix/mitre__cti/enterprise-attack/enterprise-attack.json.gz",
    );
    if !path.exists() {
        return;
    }
    let app = spawn_app(Backend::Postgres).await;
    let report = app.import_attack(&path).await;
    assert_eq!(report.counts["technique"].created, 835);
    assert_eq!(report.counts["tactic"].created, 14);
    assert!(report.skipped.is_empty());
    assert!(app.import_attack(&path).await.is_unchanged());

    let admin = app.admin_token().await;
    let tactics: Value = app
        .get("/api/v1/tactics", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tactics[0]["mitre_id"], "TA0043");
    assert_eq!(tactics[13]["mitre_id"], "TA0040");
    let t1059: Value = app
        .get("/api/v1/techniques/T1059", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(t1059["subtechniques"].as_array().unwrap().len() >= 10);
    let powershell: Value = app
        .get("/api/v1/techniques/T1059.001", &admin)
        .await
        .json()
        .await
        .unwrap();
    let components = powershell["data_components"].as_array().unwrap();
    assert!(
        components.iter().any(|c| c == "Process Creation"),
        "{components:?}"
    );
    assert!(
        powershell["detection_strategies"][0]["mitre_id"]
            .as_str()
            .unwrap()
            .starts_with("DET")
    );
    let t1215: Value = app
        .get("/api/v1/techniques/T1215", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t1215["revoked"], true);
    let apt29: Value = app
        .get("/api/v1/threat-actors/G0016", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(apt29["techniques"].as_array().unwrap().len() > 40);

    // T1059's family is used by 120 current groups of ATT&CK 18.1 (172 current, 187 in all);
    // adding up its per-technique counts said 274.
    let heatmap: Value = app
        .get("/api/v1/heatmap", &admin)
        .await
        .json()
        .await
        .unwrap();
    let t1059 = heatmap["tactics"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["techniques"].as_array().unwrap())
        .find(|t| t["mitre_id"] == "T1059")
        .unwrap();
    assert_eq!(t1059["threat_actors"], 120);
    let board: Value = app
        .get("/api/v1/dashboard", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        board["narrative"]["top_risks"][0],
        "T1059 Command and Scripting Interpreter: used by 120 threat actors, not covered"
    );
}

#[tokio::test]
async fn attack_comes_over_https_and_taxii_with_the_bundle_as_fallback() {
    use std::collections::HashMap;

    use aegis_infrastructure::feeds::remote::{TaxiiAttackSource, UrlAttackSource};

    let bundle = std::fs::read(fixture("enterprise-v1.json")).unwrap();
    let parsed: Value = serde_json::from_slice(&bundle).unwrap();
    let objects = parsed["objects"].as_array().unwrap();
    let (first, rest) = objects.split_at(10);
    let page1 = serde_json::json!({"more": true, "next": "page-2", "objects": first});
    let page2 = serde_json::json!({"more": false, "objects": rest});
    let mut gzipped = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gzipped, &bundle).unwrap();
    let routes = HashMap::from([
        ("/enterprise-attack.json".to_owned(), (200, bundle.clone())),
        (
            "/enterprise-attack.json.gz".to_owned(),
            (200, gzipped.finish().unwrap()),
        ),
        (
            "/taxii/objects/".to_owned(),
            (200, page1.to_string().into_bytes()),
        ),
        (
            "/taxii/objects/?next=page-2".to_owned(),
            (200, page2.to_string().into_bytes()),
        ),
        (
            "/broken/objects/".to_owned(),
            (503, b"maintenance".to_vec()),
        ),
    ]);
    let server = crate::feed_server::serve(routes).await;
    let app = spawn_app(Backend::Sqlite).await;

    let url = UrlAttackSource::new(format!("{}/enterprise-attack.json.gz", server.base));
    let report = app.import_attack_from(&url).await.unwrap();
    assert_eq!(report.counts["technique"].created, 6);

    let taxii = TaxiiAttackSource::new(format!("{}/taxii/objects/", server.base), None);
    let report = app.import_attack_from(&taxii).await.unwrap();
    assert!(
        report.is_unchanged(),
        "the same objects over TAXII change nothing"
    );
    let requests = server.requests.lock().unwrap().clone();
    assert!(
        requests
            .iter()
            .any(|r| r.contains("application/taxii+json;version=2.1"))
    );
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("GET /taxii/objects/?next=page-2"))
    );

    let fallback = UrlAttackSource::new(format!("{}/enterprise-attack.json", server.base));
    let with_fallback =
        TaxiiAttackSource::new(format!("{}/broken/objects/", server.base), Some(fallback));
    assert!(
        app.import_attack_from(&with_fallback)
            .await
            .unwrap()
            .is_unchanged()
    );

    let without = TaxiiAttackSource::new(format!("{}/broken/objects/", server.base), None);
    let error = app.import_attack_from(&without).await.unwrap_err();
    assert!(error.to_string().contains("503"), "{error}");
    let missing = UrlAttackSource::new(format!("{}/nothing-here.json", server.base));
    assert!(app.import_attack_from(&missing).await.is_err());
}

#[tokio::test]
async fn admins_sync_mitre_in_the_background_and_watch_it() {
    use std::collections::HashMap;

    let bundle = std::fs::read(fixture("enterprise-v1.json")).unwrap();
    let server =
        crate::feed_server::serve(HashMap::from([("/attack.json".to_owned(), (200, bundle))]))
            .await;
    let app = spawn_app_with(
        Backend::Sqlite,
        AppOptions {
            attack_url: Some(format!("{}/attack.json", server.base)),
            ..AppOptions::default()
        },
    )
    .await;
    let admin = app.admin_token().await;
    let (_, lead) = app.user_with_role(&admin, "red_lead").await;
    let refused = app
        .client
        .post(app.url("/api/v1/system/sync-mitre"))
        .bearer_auth(&lead)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let started = app
        .client
        .post(app.url("/api/v1/system/sync-mitre"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), StatusCode::ACCEPTED);
    let run: Value = started.json().await.unwrap();
    assert_eq!(run["job"], "attack_sync");
    assert_eq!(run["trigger"], "manual");
    let id = run["id"].as_str().unwrap().to_owned();
    let finished = app.wait_for_job(&id, &admin).await;
    assert_eq!(finished["outcome"], "succeeded", "{finished}");
    assert_eq!(finished["attempts"], 1);
    assert!(
        finished["counts"]["created"].as_u64().unwrap() >= 6,
        "{finished}"
    );
    let techniques: Value = app
        .get("/api/v1/techniques", &lead)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(techniques["total"], 3);
    let history: Value = app
        .get("/api/v1/system/imports", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history[0]["status"], "succeeded");
    assert_eq!(history[0]["report"]["counts"]["technique"]["created"], 6);
    let audit: Value = app
        .get("/api/v1/audit-logs?action=job.run_requested", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(audit["total"], 1);
}

on_both_databases!(
    leads_flag_techniques_and_admins_add_their_own,
    |app: TestApp| async move {
        app.import_attack(&fixture("enterprise-v1.json")).await;
        let admin = app.admin_token().await;
        let (_, lead) = app.user_with_role(&admin, "blue_lead").await;
        let (_, tech) = app.user_with_role(&admin, "blue_tech").await;
        let flag = |token: String, body: Value| {
            let app = &app;
            async move {
                app.client
                    .patch(app.url("/api/v1/techniques/T1566/review"))
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
            }
        };
        assert_eq!(
            flag(tech.clone(), serde_json::json!({"review_required": true}))
                .await
                .status(),
            StatusCode::FORBIDDEN
        );
        let flagged: Value = flag(
            lead.clone(),
            serde_json::json!({"review_required": true, "reason": "new phishing variants"}),
        )
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(flagged["review_required"], true);
        let listed: Value = app
            .get("/api/v1/techniques?review_required=true", &tech)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed["items"][0]["mitre_id"], "T1566");
        let cleared: Value = flag(lead.clone(), serde_json::json!({"review_required": false}))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(cleared["review_required"], false);

        let create = |token: String, body: Value| {
            let app = &app;
            async move {
                app.client
                    .post(app.url("/api/v1/techniques"))
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
            }
        };
        let custom = serde_json::json!({"mitre_id": "T1059.901", "name": "Internal scripting host", "tactics": ["execution"], "platforms": ["Windows"]});
        assert_eq!(
            create(lead.clone(), custom.clone()).await.status(),
            StatusCode::FORBIDDEN
        );
        let created = create(admin.clone(), custom.clone()).await;
        assert_eq!(created.status(), StatusCode::CREATED);
        let created: Value = created.json().await.unwrap();
        assert_eq!(created["custom"], true);
        assert_eq!(created["parent"], "T1059");
        let again = create(admin.clone(), custom).await;
        assert_eq!(problem(again).await["errors"][0]["field"], "mitre_id");
        let invalid = create(
            admin.clone(),
            serde_json::json!({"mitre_id": "T8888.001", "name": "", "tactics": ["nowhere"]}),
        )
        .await;
        let fields: Vec<String> = problem(invalid).await["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(fields, ["name", "tactics", "mitre_id"]);
        let parent: Value = app
            .get("/api/v1/techniques/T1059", &tech)
            .await
            .json()
            .await
            .unwrap();
        assert!(
            parent["subtechniques"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["mitre_id"] == "T1059.901")
        );
        let updated = app
        .client
        .patch(app.url("/api/v1/techniques/T1059.901"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"name": "Internal scripting host v2", "tactics": ["execution", "defense-evasion"]}))
        .send()
        .await
        .unwrap();
        let updated: Value = updated.json().await.unwrap();
        assert_eq!(
            updated["tactics"],
            serde_json::json!(["execution", "defense-evasion"])
        );
        let evasion: Value = app
            .get(
                "/api/v1/techniques?tactic=defense-evasion&include_subtechniques=true",
                &tech,
            )
            .await
            .json()
            .await
            .unwrap();
        assert!(
            evasion["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["mitre_id"] == "T1059.901")
        );
        let imported = app
            .client
            .patch(app.url("/api/v1/techniques/T1566"))
            .bearer_auth(&admin)
            .json(&serde_json::json!({"name": "Renamed", "tactics": ["execution"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            problem(imported).await["code"],
            "CUSTOM_TECHNIQUE_NOT_FOUND"
        );
    }
);
