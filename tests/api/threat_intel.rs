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
    }
);
