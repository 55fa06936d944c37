//! Threat intelligence in STIX bundles: merged into the ATT&CK group it describes (by STIX id
//! or a shared alias), or added as an actor of its own, with its targets and techniques.

use reqwest::StatusCode;
use serde_json::{Value, json};

use aegis_application::threat_intel::IntelImportReport;
use aegis_infrastructure::feeds::rule_files::Location;
use aegis_infrastructure::feeds::stix_intel::StixIntelFiles;

use crate::helpers::*;

fn playbook() -> Value {
    json!({"type": "bundle", "id": "bundle--playbook", "spec_version": "2.0", "objects": [
        {"type": "intrusion-set", "id": "intrusion-set--cozy-duke", "name": "CozyDuke",
         "aliases": ["Cozy Bear"], "description": "A vendor's name for APT29."},
        {"type": "intrusion-set", "id": "intrusion-set--new-crew", "name": "New Crew",
         "external_references": [{"source_name": "vendor", "url": "https://intel.example/new-crew"}]},
        {"type": "campaign", "id": "campaign--1", "name": "Campaign 1"},
        {"type": "identity", "id": "identity--victims", "name": "Victims", "identity_class": "unknown",
         "sectors": ["government-national", "technology"], "x_cta_country": ["DE"]},
        {"type": "attack-pattern", "id": "attack-pattern--ps", "name": "T1059.001: PowerShell",
         "external_references": [{"source_name": "mitre-attack", "external_id": "T1059.001"}]},
        {"type": "attack-pattern", "id": "attack-pattern--future", "name": "T1685",
         "external_references": [{"source_name": "mitre-attack", "external_id": "T1685"}]},
        {"type": "relationship", "id": "relationship--1", "relationship_type": "attributed-to",
         "source_ref": "campaign--1", "target_ref": "intrusion-set--cozy-duke"},
        {"type": "relationship", "id": "relationship--2", "relationship_type": "uses",
         "source_ref": "campaign--1", "target_ref": "attack-pattern--ps"},
        {"type": "relationship", "id": "relationship--3", "relationship_type": "targets",
         "source_ref": "campaign--1", "target_ref": "identity--victims"},
        {"type": "relationship", "id": "relationship--4", "relationship_type": "uses",
         "source_ref": "intrusion-set--new-crew", "target_ref": "attack-pattern--future"},
    ]})
}

async fn import(app: &TestApp, path: &std::path::Path) -> IntelImportReport {
    let prepared = aegis::app::prepare(&app.settings).await.unwrap();
    let initiator = aegis_application::context::Initiator::System {
        tenant: prepared.tenant.id,
    };
    prepared
        .wired
        .services
        .threat_intel
        .import(
            &initiator,
            &StixIntelFiles::at(Location::Path(path.to_owned())),
        )
        .await
        .unwrap()
}

on_both_databases!(
    stix_intelligence_merges_into_attack_groups_by_alias_and_adds_new_actors,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("playbook.json"), playbook().to_string()).unwrap();
        std::fs::write(dir.path().join("index.json"), "{\"playbooks\": []}").unwrap();

        let report = import(&app, dir.path()).await;
        assert_eq!(report.counts.actors.created, 2, "{report:?}");
        assert_eq!((report.counts.merged, report.counts.added), (1, 1));
        assert_eq!(report.skipped.len(), 1, "the index is not a bundle");
        assert_eq!(report.unresolved_techniques, ["T1685"]);
        let again = import(&app, dir.path()).await;
        assert_eq!(again.counts.actors.unchanged, 2, "idempotent: {again:?}");
        assert_eq!(again.counts.added, 0, "no second copy of the new actor");

        let admin = app.admin_token().await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;
        let response = app.get("/api/v1/threat-actors/G0016", &viewer).await;
        assert_eq!(response.status(), StatusCode::OK);
        let apt29: Value = response.json().await.unwrap();
        assert!(
            apt29["aliases"]
                .as_array()
                .unwrap()
                .contains(&json!("CozyDuke")),
            "{apt29}"
        );
        assert_eq!(
            apt29["target_sectors"],
            json!(["government-national", "technology"])
        );
        assert_eq!(apt29["target_regions"], json!(["DE"]));
        assert_eq!(apt29["intel"][0]["path"], "playbook.json");
        assert!(
            apt29["techniques"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["mitre_id"] == "T1059.001"),
            "a campaign's technique counts for its actor: {apt29}"
        );

        let listed: Value = app
            .get("/api/v1/threat-actors?q=new%20crew", &viewer)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed["total"], 1, "{listed}");
        assert_eq!(listed["items"][0]["mitre_id"], Value::Null);
        let stix_id = listed["items"][0]["stix_id"].as_str().unwrap();
        let crew: Value = app
            .get(&format!("/api/v1/threat-actors/{stix_id}"), &viewer)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            crew["intel"][0]["techniques"],
            json!(["T1685"]),
            "kept until ATT&CK brings it"
        );
        assert_eq!(
            crew["references"][0]["url"],
            "https://intel.example/new-crew"
        );

        // An alias only intelligence knows finds the ATT&CK group it was merged into.
        let by_alias: Value = app
            .get("/api/v1/threat-actors?q=cozyduke", &viewer)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(by_alias["total"], 1, "{by_alias}");
        assert_eq!(by_alias["items"][0]["mitre_id"], "G0016");
    }
);

async fn run_intel_scan(app: &TestApp, admin: &str) -> Value {
    let run = app
        .send_ok(
            reqwest::Method::POST,
            "/api/v1/system/run-intel-scan",
            admin,
            json!({}),
        )
        .await;
    app.wait_for_job(run["id"].as_str().unwrap(), admin).await
}

on_both_databases!(
    leads_track_actors_and_hear_of_their_new_techniques_once,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let (_, lead) = app.user_with_role(&admin, "red_lead").await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;
        let track = |token: String, id: &'static str| {
            let app = &app;
            async move {
                app.client
                    .put(app.url(&format!("/api/v1/tracked-actors/{id}")))
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
            }
        };
        assert_eq!(
            track(viewer.clone(), "G0016").await.status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            track(lead.clone(), "G9999").await.status(),
            StatusCode::NOT_FOUND
        );
        let tracked = track(lead.clone(), "G0016").await;
        assert_eq!(tracked.status(), StatusCode::OK);
        let tracked: Value = tracked.json().await.unwrap();
        assert_eq!(tracked["known_techniques"], json!(["T1059.001", "T1566"]));
        let listed: Value = app
            .get("/api/v1/tracked-actors", &viewer)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed[0]["name"], "APT29");

        // In scope: only the tracked actor weighs; FIN7's and Cobalt Strike's use no longer do.
        let map: Value = app
            .get("/api/v1/heatmap", &viewer)
            .await
            .json()
            .await
            .unwrap();
        let cells: Vec<&Value> = map["tactics"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|t| t["techniques"].as_array().unwrap())
            .collect();
        let phishing = cells.iter().find(|c| c["mitre_id"] == "T1566").unwrap();
        assert_eq!(phishing["threat_actors"], 1, "{phishing}");

        run_intel_scan(&app, &admin).await;
        // New intelligence: a playbook says APT29 (as CozyDuke) also uses T1027.
        let dir = tempfile::tempdir().unwrap();
        let bundle = json!({"type": "bundle", "id": "bundle--1", "objects": [
            {"type": "intrusion-set", "id": "intrusion-set--cozyduke", "name": "CozyDuke", "aliases": ["Cozy Bear"]},
            {"type": "attack-pattern", "id": "attack-pattern--obf", "name": "T1027",
             "external_references": [{"source_name": "mitre-attack", "external_id": "T1027"}]},
            {"type": "relationship", "id": "relationship--1", "relationship_type": "uses",
             "source_ref": "intrusion-set--cozyduke", "target_ref": "attack-pattern--obf"},
        ]});
        std::fs::write(dir.path().join("playbook.json"), bundle.to_string()).unwrap();
        import(&app, dir.path()).await;
        let scan = run_intel_scan(&app, &admin).await;
        assert_eq!(scan["counts"]["tracked_actor_news"], 1, "{scan}");
        let notes: Value = app
            .get("/api/v1/notifications", &lead)
            .await
            .json()
            .await
            .unwrap();
        let news = notes["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["kind"] == "intel.tracked_actor_techniques")
            .unwrap_or_else(|| panic!("{notes}"));
        assert_eq!(news["body"], "APT29: T1027");
        let again = run_intel_scan(&app, &admin).await;
        assert_eq!(
            again["counts"]["tracked_actor_news"], 0,
            "told once: {again}"
        );

        let untrack = |token: String| {
            let app = &app;
            async move {
                app.client
                    .delete(app.url("/api/v1/tracked-actors/G0016"))
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        assert_eq!(untrack(lead.clone()).await, StatusCode::NO_CONTENT);
        assert_eq!(untrack(lead.clone()).await, StatusCode::NOT_FOUND);
    }
);

on_both_databases!(
    intelligence_naming_a_revoked_technique_counts_under_its_successor,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let dir = tempfile::tempdir().unwrap();
        let bundle = json!({"type": "bundle", "id": "bundle--old", "spec_version": "2.0", "objects": [
            {"type": "intrusion-set", "id": "intrusion-set--old-crew", "name": "Old Crew"},
            {"type": "attack-pattern", "id": "attack-pattern--old", "name": "PowerShell",
             "external_references": [{"source_name": "mitre-attack", "external_id": "T1086"}]},
            {"type": "relationship", "id": "relationship--1", "relationship_type": "uses",
             "source_ref": "intrusion-set--old-crew", "target_ref": "attack-pattern--old"},
        ]});
        std::fs::write(dir.path().join("old.json"), bundle.to_string()).unwrap();
        let report = import(&app, dir.path()).await;
        assert!(report.unresolved_techniques.is_empty(), "{report:?}");
        assert_eq!(report.replaced_techniques.len(), 1, "{report:?}");
        assert_eq!(report.replaced_techniques[0].current, "T1059.001");

        let admin = app.admin_token().await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;
        let crew: Value = app
            .get("/api/v1/threat-actors/intrusion-set--old-crew", &viewer)
            .await
            .json()
            .await
            .unwrap();
        let techniques: Vec<&str> = crew["techniques"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["mitre_id"].as_str().unwrap())
            .collect();
        assert_eq!(techniques, ["T1059.001"], "{crew}");
        assert_eq!(crew["intel"][0]["techniques"], json!(["T1059.001"]));
        assert_eq!(
            crew["intel"][0]["legacy_techniques"],
            json!([{"named_as": "T1086", "technique": "T1059.001"}])
        );
    }
);
