//! Detection rules: imported from Sigma and Elastic rule sets (a directory, an archive), kept
//! with their attribution, shown on their techniques, and counted in coverage.

use std::io::Write;

use reqwest::StatusCode;
use serde_json::Value;

use aegis_application::rules::RuleImportReport;
use aegis_domain::detection::RuleSource;
use aegis_infrastructure::feeds::rule_files::{Location, RuleFiles};

use crate::helpers::*;

const ENCODED: &str = "title: Encoded PowerShell Command Line
id: 5f3c8a1e-0000-4000-8000-000000000001
status: test
description: Detects PowerShell started with an encoded command.
author: Aegis Test Author
date: 2024/01/15
tags:
  - attack.execution
  - attack.t1059.001
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    CommandLine|contains: ' -enc '
  condition: selection
falsepositives:
  - Administrative scripts
level: high
";

const OLD: &str = "title: Old PowerShell Rule
id: 5f3c8a1e-0000-4000-8000-000000000002
status: deprecated
author: Someone Else
tags: [attack.t1059.001]
logsource: {product: windows}
detection: {selection: {Image: powershell.exe}, condition: selection}
level: low
";

const FUTURE: &str = "title: Technique From A Newer ATT&CK
id: 5f3c8a1e-0000-4000-8000-000000000003
author: Aegis Test Author
tags: [attack.t1685]
logsource: {product: windows}
detection: {selection: {Image: x.exe}, condition: selection}
level: medium
";

const ELASTIC: &str = r#"[metadata]
creation_date = "2024/02/01"
maturity = "production"
updated_date = "2024/03/01"

[rule]
author = ["Elastic"]
description = "Phishing attachment opened."
name = "Suspicious Attachment Execution"
risk_score = 73
rule_id = "0e1c2d3e-0000-4000-8000-00000000e1a5"
severity = "high"
type = "eql"
language = "eql"
query = '''
process where process.parent.name == "outlook.exe"
'''

[[rule.threat]]
framework = "MITRE ATT&CK"
[[rule.threat.technique]]
id = "T1566"
name = "Phishing"
[rule.threat.tactic]
id = "TA0001"
name = "Initial Access"
"#;

async fn import(app: &TestApp, feed: RuleFiles) -> RuleImportReport {
    let prepared = aegis::app::prepare(&app.settings).await.unwrap();
    let initiator = aegis_application::context::Initiator::System {
        tenant: prepared.tenant.id,
    };
    prepared
        .wired
        .services
        .rules
        .import(&initiator, &feed)
        .await
        .unwrap()
}

async fn read(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app.get(path, token).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

on_both_databases!(
    sigma_and_elastic_rules_land_on_their_techniques_and_count_in_coverage,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let dir = tempfile::tempdir().unwrap();
        let sigma = dir.path().join("sigma");
        std::fs::create_dir_all(sigma.join("rules/windows")).unwrap();
        std::fs::create_dir_all(sigma.join("deprecated")).unwrap();
        std::fs::write(sigma.join("rules/windows/encoded.yml"), ENCODED).unwrap();
        std::fs::write(sigma.join("deprecated/old.yml"), OLD).unwrap();
        std::fs::write(sigma.join("rules/windows/future.yml"), FUTURE).unwrap();
        std::fs::write(sigma.join("rules/windows/broken.yml"), "title: [unclosed").unwrap();
        std::fs::write(sigma.join("README.md"), "not a rule").unwrap();

        let report = import(&app, RuleFiles::new(RuleSource::Sigma, &sigma)).await;
        assert_eq!(report.counts.created, 3, "{report:?}");
        assert_eq!(report.skipped.len(), 1);
        assert_eq!(report.skipped[0].0, "rules/windows/broken.yml");
        assert_eq!(report.unresolved_techniques, ["T1685"]);
        let again = import(&app, RuleFiles::new(RuleSource::Sigma, &sigma)).await;
        assert_eq!(
            (
                again.counts.created,
                again.counts.updated,
                again.counts.unchanged
            ),
            (0, 0, 3),
            "idempotent"
        );

        // Elastic from a zip; an entry that climbs out of the archive is refused.
        let archive = dir.path().join("elastic.zip");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&archive).unwrap());
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("rules/initial_access_attachment.toml", options)
            .unwrap();
        zip.write_all(ELASTIC.as_bytes()).unwrap();
        zip.start_file("../outside.toml", options).unwrap();
        zip.write_all(ELASTIC.as_bytes()).unwrap();
        zip.finish().unwrap();
        let elastic = import(&app, RuleFiles::new(RuleSource::Elastic, &archive)).await;
        assert_eq!(elastic.counts.created, 1, "{elastic:?}");
        assert_eq!(
            elastic.skipped,
            [(
                "../outside.toml".to_owned(),
                "the entry's path leaves the archive".to_owned()
            )]
        );

        // The same archive online: downloaded, then read like the file (nothing changes).
        let served = crate::feed_server::serve(std::collections::HashMap::from([(
            "/releases/elastic.zip".to_owned(),
            (200, std::fs::read(&archive).unwrap()),
        )]))
        .await;
        let online = RuleFiles::at(
            RuleSource::Elastic,
            Location::Url(format!("{}/releases/elastic.zip", served.base)),
        );
        let downloaded = import(&app, online).await;
        assert_eq!(downloaded.counts.unchanged, 1, "{downloaded:?}");
        let prepared = aegis::app::prepare(&app.settings).await.unwrap();
        let missing = RuleFiles::at(
            RuleSource::Elastic,
            Location::Url(format!("{}/releases/nothing.zip", served.base)),
        );
        let refused = prepared
            .wired
            .services
            .rules
            .import(
                &aegis_application::context::Initiator::System {
                    tenant: prepared.tenant.id,
                },
                &missing,
            )
            .await;
        assert!(refused.is_err_and(|e| e.to_string().contains("404")));

        let admin = app.admin_token().await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;
        let active = read(&app, "/api/v1/detection-rules?technique=t1059.001", &viewer).await;
        assert_eq!(active["total"], 1);
        assert_eq!(active["items"][0]["author"], "Aegis Test Author");
        let all = read(
            &app,
            "/api/v1/detection-rules?technique=T1059.001&include_deprecated=true",
            &viewer,
        )
        .await;
        assert_eq!(all["total"], 2);
        let elastic_only = read(&app, "/api/v1/detection-rules?source=elastic", &viewer).await;
        assert_eq!(elastic_only["total"], 1);
        assert_eq!(elastic_only["items"][0]["techniques"][0], "T1566");
        let unresolved = read(&app, "/api/v1/detection-rules?technique=T1685", &viewer).await;
        assert_eq!(unresolved["total"], 1, "kept until ATT&CK brings T1685");
        let bad = app
            .get("/api/v1/detection-rules?source=splunk", &viewer)
            .await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);

        let id = active["items"][0]["id"].as_str().unwrap();
        let detail = read(&app, &format!("/api/v1/detection-rules/{id}"), &viewer).await;
        assert_eq!(detail["source"], "sigma");
        assert!(
            detail["licence"]
                .as_str()
                .unwrap()
                .contains("Detection Rule License")
        );
        assert_eq!(detail["text"], ENCODED);
        assert_eq!(detail["log_source"], "windows/process_creation/");
        assert_eq!(detail["created"], "2024-01-15");
        let missing = app
            .get(
                &format!("/api/v1/detection-rules/{}", uuid::Uuid::new_v4()),
                &viewer,
            )
            .await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);

        let technique = read(&app, "/api/v1/techniques/T1059.001", &viewer).await;
        let rules = technique["detection_rules"].as_array().unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0]["deprecated"], false, "active rules first");
        assert_eq!(rules[1]["deprecated"], true);
        // One active, unproven rule: a few points, never "covered" on its own.
        let coverage = &technique["coverage"];
        assert!(
            coverage["breakdown"]["rules"].as_f64().unwrap() > 0.0,
            "{coverage}"
        );
        assert_eq!(coverage["status"], "not_covered");
        let phishing = read(&app, "/api/v1/techniques/T1566", &viewer).await;
        assert_eq!(phishing["detection_rules"][0]["source"], "elastic");

        let map = read(&app, "/api/v1/heatmap", &viewer).await;
        let powershell = sub_cell(&map, "execution", "T1059", "T1059.001");
        assert_eq!(
            powershell["detection_rules"], 1,
            "deprecated rules do not count"
        );
    }
);

fn sub_cell<'a>(map: &'a Value, tactic: &str, parent: &str, sub: &str) -> &'a Value {
    map["tactics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["shortname"] == tactic)
        .and_then(|c| {
            c["techniques"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["mitre_id"] == parent)
        })
        .and_then(|t| {
            t["subtechniques"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["mitre_id"] == sub)
        })
        .unwrap_or_else(|| panic!("no {sub} under {parent} in {tactic}"))
}

fn d3fend_row(technique: &str, id: &str, name: &str, tactic: &str) -> Value {
    serde_json::json!({
        "off_tech_id": {"type": "literal", "value": technique},
        "def_tech_id": {"type": "literal", "value": id},
        "def_tech_label": {"type": "literal", "value": name},
        "def_tactic_label": {"type": "literal", "value": tactic},
    })
}

on_both_databases!(
    d3fend_countermeasures_land_on_their_techniques_and_count_in_coverage,
    |app: TestApp| async move {
        use aegis_infrastructure::feeds::rule_files::D3fendFiles;

        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let dir = tempfile::tempdir().unwrap();
        let api = dir.path().join("offensive-technique/attack");
        std::fs::create_dir_all(&api).unwrap();
        let response = |rows: Vec<Value>| {
            serde_json::json!({"off_to_def": {"head": {"vars": []}, "results": {"bindings": rows}}})
                .to_string()
        };
        std::fs::write(
            api.join("T1059.001.json"),
            response(vec![
                d3fend_row("T1059.001", "D3-EAL", "Executable Allowlisting", "Harden"),
                d3fend_row("T1059.001", "D3-SEA", "Script Execution Analysis", "Detect"),
            ]),
        )
        .unwrap();
        std::fs::write(api.join("T1486.json"), response(vec![])).unwrap();
        std::fs::write(api.join("broken.json"), "{").unwrap();

        let prepared = aegis::app::prepare(&app.settings).await.unwrap();
        let initiator = aegis_application::context::Initiator::System {
            tenant: prepared.tenant.id,
        };
        let rules = &prepared.wired.services.rules;
        let report = rules
            .import_countermeasures(&initiator, &D3fendFiles::new(dir.path()))
            .await
            .unwrap();
        assert_eq!(report.counts.created, 2, "{report:?}");
        assert_eq!(report.skipped.len(), 1);
        let again = rules
            .import_countermeasures(&initiator, &D3fendFiles::new(dir.path()))
            .await
            .unwrap();
        assert_eq!(again.counts.unchanged, 2);

        let admin = app.admin_token().await;
        let technique = read(&app, "/api/v1/techniques/T1059.001", &admin).await;
        let countermeasures = technique["countermeasures"].as_array().unwrap();
        assert_eq!(countermeasures.len(), 2, "{technique}");
        assert_eq!(countermeasures[0]["tactic"], "Detect");
        assert_eq!(countermeasures[0]["d3fend_id"], "D3-SEA");
        assert_eq!(
            countermeasures[0]["url"],
            "https://d3fend.mitre.org/technique/d3f:ScriptExecutionAnalysis/"
        );
        let breakdown = &technique["coverage"]["breakdown"];
        assert!(
            breakdown["countermeasures"].as_f64().unwrap() > 0.0,
            "{breakdown}"
        );
        let map = read(&app, "/api/v1/heatmap", &admin).await;
        assert_eq!(
            sub_cell(&map, "execution", "T1059", "T1059.001")["countermeasures"],
            2
        );
    }
);

fn sigma_rule(id: &str, title: &str) -> String {
    format!(
        "title: {title}\nid: {id}\nstatus: test\nauthor: Aegis Test Author\ntags: [attack.t1059.001]\n\
         logsource: {{product: windows}}\ndetection: {{selection: {{Image: x.exe}}, condition: selection}}\nlevel: high\n"
    )
}

on_both_databases!(
    blue_records_each_rule_result_and_only_fired_rules_are_proven,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let dir = tempfile::tempdir().unwrap();
        for (n, title) in ["Fires", "Stays Silent", "Not Looked At"]
            .iter()
            .enumerate()
        {
            std::fs::write(
                dir.path().join(format!("rule{n}.yml")),
                sigma_rule(&format!("6a7b8c9d-0000-4000-8000-00000000000{n}"), title),
            )
            .unwrap();
        }
        import(&app, RuleFiles::new(RuleSource::Sigma, dir.path())).await;
        let admin = app.admin_token().await;

        let (_, blue_tech) = app.user_with_role(&admin, "blue_tech").await;
        let test = app
            .send_ok(
                reqwest::Method::POST,
                "/api/v1/tests",
                &admin,
                serde_json::json!({"title": "Bad verdict", "technique_id": "T1059.001"}),
            )
            .await;
        let bad = app
            .client
            .patch(app.url(&format!(
                "/api/v1/tests/{}/blue",
                test["id"].as_str().unwrap()
            )))
            .bearer_auth(&blue_tech)
            .json(&serde_json::json!({"rule_results": [{"rule": "Fires", "result": "maybe"}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            problem(bad).await["errors"][0]["field"],
            "rule_results[0].result"
        );

        let validated = app
            .validated_test(
                &admin,
                "T1059.001",
                serde_json::json!({
                    "outcome": "detected", "detected_at": "2026-11-22T10:03:00Z",
                    "rule_results": [
                        {"rule": "sigma:6a7b8c9d-0000-4000-8000-000000000000", "result": "triggered"},
                        {"rule": "Stays Silent", "result": "not_triggered"},
                        {"rule": "Not Looked At", "result": "not_evaluated"},
                    ],
                }),
            )
            .await;
        assert_eq!(validated["state"], "validated");
        assert_eq!(
            validated["blue"]["fired_rules"],
            serde_json::json!(["sigma:6a7b8c9d-0000-4000-8000-000000000000"])
        );
        assert_eq!(
            validated["blue"]["rule_results"][1]["result"],
            "not_triggered"
        );
        // One proven rule (1), the silent one earns nothing, the unchecked one a quarter:
        // 20 × 1.25 / 3 = 8.3 (docs/scoring.md).
        let technique = read(&app, "/api/v1/techniques/T1059.001", &admin).await;
        assert_eq!(
            technique["coverage"]["breakdown"]["rules"], 8.3,
            "{}",
            technique["coverage"]
        );
    }
);

const LEGACY: &str = "title: PowerShell By Its Old Id
id: 5f3c8a1e-0000-4000-8000-000000000004
author: Aegis Test Author
tags: [attack.execution, attack.t1086]
logsource: {product: windows}
detection: {selection: {Image: powershell.exe}, condition: selection}
level: medium
";

const BOTH: &str = "title: PowerShell By Both Ids
id: 5f3c8a1e-0000-4000-8000-000000000005
author: Aegis Test Author
tags: [attack.t1086, attack.t1059.001]
logsource: {product: windows}
detection: {selection: {Image: pwsh.exe}, condition: selection}
level: medium
";

on_both_databases!(
    rules_naming_a_revoked_technique_count_under_its_successor,
    |app: TestApp| async move {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("legacy.yml"), LEGACY).unwrap();
        std::fs::write(dir.path().join("both.yml"), BOTH).unwrap();
        // Rules first: the empty catalog knows neither id yet.
        let before = import(&app, RuleFiles::new(RuleSource::Sigma, dir.path())).await;
        assert_eq!(before.unresolved_techniques, ["T1059.001", "T1086"]);

        // ATT&CK then revokes T1086 in favour of T1059.001: the rules follow it.
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let after = import(&app, RuleFiles::new(RuleSource::Sigma, dir.path())).await;
        assert!(after.unresolved_techniques.is_empty(), "{after:?}");
        assert_eq!(after.replaced_techniques.len(), 1, "{after:?}");
        assert_eq!(after.replaced_techniques[0].named, "T1086");
        assert_eq!(after.replaced_techniques[0].current, "T1059.001");

        let admin = app.admin_token().await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;
        let listed = read(&app, "/api/v1/detection-rules?technique=T1059.001", &viewer).await;
        assert_eq!(listed["total"], 2, "{listed}");
        let legacy = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["title"] == "PowerShell By Its Old Id")
            .unwrap();
        assert_eq!(legacy["techniques"], serde_json::json!(["T1059.001"]));
        assert_eq!(
            legacy["legacy_techniques"],
            serde_json::json!([{"named_as": "T1086", "technique": "T1059.001"}])
        );
        let by_old_id = read(&app, "/api/v1/detection-rules?technique=T1086", &viewer).await;
        assert_eq!(
            by_old_id["total"], 2,
            "the rules tagged with the old id still find it"
        );

        let technique = read(&app, "/api/v1/techniques/T1059.001", &viewer).await;
        assert_eq!(technique["detection_rules"].as_array().unwrap().len(), 2);
        let map = read(&app, "/api/v1/heatmap", &viewer).await;
        let powershell = sub_cell(&map, "execution", "T1059", "T1059.001");
        assert_eq!(
            powershell["detection_rules"], 2,
            "each rule once, however many of its ids lead there"
        );
    }
);
