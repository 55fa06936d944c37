//! Compliance: frameworks imported from Mappings Explorer files, each control covered, partial
//! or a gap according to the organization's validated tests of its techniques.

use reqwest::StatusCode;
use serde_json::{Value, json};

use aegis_infrastructure::feeds::ctid::ComplianceFiles;
use aegis_infrastructure::feeds::rule_files::Location;

use crate::helpers::*;

fn mapping(control: &str, name: &str, technique: &str) -> Value {
    json!({"capability_id": control, "capability_description": name, "capability_group": "SI",
           "mapping_type": "mitigates", "attack_object_id": technique, "status": "complete"})
}

on_both_databases!(
    controls_are_covered_partial_or_gaps_by_validated_tests,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let dir = tempfile::tempdir().unwrap();
        let file = |attack: &str, objects: Vec<Value>| {
            json!({"metadata": {"mapping_framework": "nist_800_53", "mapping_framework_version": "rev5",
                                 "attack_version": attack}, "mapping_objects": objects})
            .to_string()
        };
        std::fs::write(
            dir.path().join("nist-16.1.json"),
            file("16.1", vec![
                mapping("SI-03", "Malicious Code Protection", "T1059.001"),
                mapping("SI-04", "System Monitoring", "T1059.001"),
                mapping("SI-04", "System Monitoring", "T1566"),
                mapping("AC-02", "Account Management", "T1566"),
                json!({"capability_id": null, "attack_object_id": "T1027", "status": "non_mappable"}),
            ]),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("nist-14.1.json"),
            file(
                "14.1",
                vec![mapping("SI-03", "Malicious Code Protection", "T1027")],
            ),
        )
        .unwrap();
        let prepared = aegis::app::prepare(&app.settings).await.unwrap();
        let initiator = aegis_application::context::Initiator::System {
            tenant: prepared.tenant.id,
        };
        let compliance = &prepared.wired.services.compliance;
        let feed = ComplianceFiles::at(Location::Path(dir.path().to_owned()));
        let report = compliance.import(&initiator, &feed).await.unwrap();
        assert_eq!(report.frameworks.len(), 1, "{report:?}");
        assert_eq!(report.frameworks[0].1.created, 4);
        assert!(report.skipped[0].1.contains("ATT&CK 14.1"), "{report:?}");
        let again = compliance.import(&initiator, &feed).await.unwrap();
        assert_eq!(again.frameworks[0].1.unchanged, 4, "idempotent");

        let admin = app.admin_token().await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;
        let listed: Value = app
            .get("/api/v1/compliance/frameworks", &viewer)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed[0]["id"], "nist_800_53-rev5");
        assert_eq!(listed[0]["controls"], 3);
        assert_eq!(listed[0]["attack_version"], "16.1");

        let before: Value = app
            .get("/api/v1/compliance/frameworks/nist_800_53-rev5", &viewer)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(before["covered_percent"], 0.0);
        assert_eq!(before["derived"], false);
        assert!(
            before["controls"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["status"] == "gap")
        );

        app.validated_test(
            &admin,
            "T1059.001",
            json!({"outcome": "detected", "detected_at": "2026-11-22T10:03:00Z"}),
        )
        .await;
        let after: Value = app
            .get("/api/v1/compliance/frameworks/nist_800_53-rev5", &viewer)
            .await
            .json()
            .await
            .unwrap();
        let control = |id: &str| {
            after["controls"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["control_id"] == id)
                .cloned()
                .unwrap()
        };
        assert_eq!(control("SI-03")["status"], "covered");
        assert_eq!(control("SI-04")["status"], "partial");
        assert_eq!(control("SI-04")["to_test"], json!(["T1566"]));
        assert_eq!(control("AC-02")["status"], "gap");
        assert_eq!(after["covered_percent"], 33.3);
        assert_eq!(after["touched_percent"], 66.7);
        let gaps: Value = app
            .get(
                "/api/v1/compliance/frameworks/nist_800_53-rev5?status=gap",
                &viewer,
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(gaps["controls"].as_array().unwrap().len(), 1);
        let bad = app
            .get(
                "/api/v1/compliance/frameworks/nist_800_53-rev5?status=done",
                &viewer,
            )
            .await;
        assert_eq!(problem(bad).await["errors"][0]["field"], "status");
        let missing = app
            .get("/api/v1/compliance/frameworks/iso_27001", &viewer)
            .await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }
);

on_both_databases!(
    a_technique_whose_newest_validated_test_missed_it_is_not_covered,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("nist.json"),
            json!({"metadata": {"mapping_framework": "nist_800_53", "mapping_framework_version": "rev5",
                                 "attack_version": "16.1"},
                   "mapping_objects": [
                       mapping("SI-03", "Malicious Code Protection", "T1059.001"),
                       mapping("SI-04", "System Monitoring", "T1059.001"),
                       mapping("SI-04", "System Monitoring", "T1566"),
                       mapping("AC-02", "Account Management", "T1566"),
                   ]})
            .to_string(),
        )
        .unwrap();
        let prepared = aegis::app::prepare(&app.settings).await.unwrap();
        let initiator = aegis_application::context::Initiator::System {
            tenant: prepared.tenant.id,
        };
        prepared
            .wired
            .services
            .compliance
            .import(
                &initiator,
                &ComplianceFiles::at(Location::Path(dir.path().to_owned())),
            )
            .await
            .unwrap();
        let admin = app.admin_token().await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;
        let read = |path: &'static str| {
            let app = &app;
            let viewer = viewer.clone();
            async move {
                let response = app.get(path, &viewer).await;
                assert_eq!(response.status(), StatusCode::OK, "{path}");
                response.json::<Value>().await.unwrap()
            }
        };
        let control = |view: &Value, id: &str| {
            view["controls"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["control_id"] == id)
                .cloned()
                .unwrap()
        };

        // Every technique tested, and each newest validated test missed it.
        app.validated_test(&admin, "T1059.001", json!({"outcome": "not_detected"}))
            .await;
        app.validated_test(&admin, "T1566", json!({"outcome": "logged"}))
            .await;
        let missed = read("/api/v1/compliance/frameworks/nist_800_53-rev5").await;
        for id in ["SI-03", "SI-04", "AC-02"] {
            let control = control(&missed, id);
            assert_eq!(control["status"], "gap", "{control}");
            assert_eq!(control["tested_not_detected"], true, "{control}");
            assert_eq!(control["validated"], json!([]), "{control}");
        }
        assert_eq!(
            control(&missed, "SI-04")["missed"],
            json!(["T1059.001", "T1566"])
        );
        assert_eq!(missed["covered_percent"], 0.0);
        assert_eq!(missed["touched_percent"], 0.0);
        let board = read("/api/v1/dashboard").await;
        assert_eq!(board["kpis"]["covered_techniques"], 0, "{board}");
        assert_eq!(board["kpis"]["coverage_percent"], 0.0);
        let snapshot = app
            .send_ok(
                reqwest::Method::POST,
                "/api/v1/snapshots",
                &admin,
                json!({}),
            )
            .await;
        assert_eq!(snapshot["covered_techniques"], 0, "{snapshot}");

        // A newer detection of T1566 covers it: AC-02 is covered, SI-04 partly.
        app.validated_test(
            &admin,
            "T1566",
            json!({"outcome": "detected", "detected_at": "2026-11-22T10:03:00Z"}),
        )
        .await;
        let detected = read("/api/v1/compliance/frameworks/nist_800_53-rev5").await;
        assert_eq!(control(&detected, "AC-02")["status"], "covered");
        let si04 = control(&detected, "SI-04");
        assert_eq!(si04["status"], "partial", "{si04}");
        assert_eq!(si04["missed"], json!(["T1059.001"]));
        assert_eq!(si04["tested_not_detected"], false);
        assert_eq!(control(&detected, "SI-03")["tested_not_detected"], true);
        let board = read("/api/v1/dashboard").await;
        assert_eq!(board["kpis"]["covered_techniques"], 1, "{board}");
    }
);
