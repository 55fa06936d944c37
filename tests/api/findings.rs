//! Findings of kind vulnerability over HTTP: scanners' SARIF files (a Trivy-shaped one with
//! CVEs and security-severity scores, a Semgrep-shaped one with CWE tags) become findings with
//! their techniques, re-importing changes nothing, a later clean scan resolves them, they
//! join the list's filters and the remediation flow, and bad files and viewers are refused.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

fn sarif_fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/sarif")
            .join(name),
    )
    .unwrap()
}

async fn import(
    app: &TestApp,
    token: &str,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/findings/import/sarif"))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn import_ok(app: &TestApp, token: &str, body: Vec<u8>) -> Value {
    let response = import(app, token, "application/sarif+json", body).await;
    let status = response.status();
    let answer: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer
}

async fn read(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app.get(path, token).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

fn by_rule<'a>(list: &'a Value, rule: &str) -> &'a Value {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["vulnerability"]["rule_id"] == rule)
        .unwrap_or_else(|| panic!("no finding of {rule} in {list}"))
}

on_both_databases!(
    a_sarif_file_becomes_findings_idempotently_with_their_techniques,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        let (_, lead) = app.user_with_role(&admin, "blue_lead").await;
        // The KEV→ATT&CK mapping ties log4shell to T1059.
        let response = app
            .client
            .post(app.url("/api/v1/data-sources/kev_attack/bundle"))
            .bearer_auth(&admin)
            .header("content-type", "application/octet-stream")
            .body(osint_fixture("kev-attack.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);

        let first = import_ok(&app, &lead, sarif_fixture("trivy.sarif")).await;
        assert_eq!(
            (&first["created"], &first["updated"], &first["unchanged"]),
            (&json!(3), &json!(0), &json!(0)),
            "{first}"
        );
        let list = read(&app, "/api/v1/findings?kind=vulnerability", &lead).await;
        assert_eq!(list["total"], 3, "{list}");
        let log4shell = by_rule(&list, "CVE-2021-44228");
        assert_eq!(log4shell["kind"], "vulnerability");
        assert_eq!(log4shell["severity"], "critical", "security-severity 10.0");
        assert_eq!(log4shell["test_id"], Value::Null);
        assert_eq!(log4shell["outcome"], Value::Null);
        let vulnerability = &log4shell["vulnerability"];
        assert_eq!(vulnerability["scanner"], "Trivy");
        assert_eq!(vulnerability["scanner_version"], "0.57.1");
        assert_eq!(vulnerability["cves"], json!(["CVE-2021-44228"]));
        assert_eq!(vulnerability["cwes"], json!(["CWE-502"]));
        assert_eq!(
            vulnerability["location"],
            json!({"uri": "app/pom.xml", "line": 42})
        );
        assert!(
            vulnerability["guidance"]
                .as_str()
                .unwrap()
                .contains("Upgrade log4j-core")
        );
        // T1059 from the KEV mapping, T1190 and T1203 from CWE-502.
        assert_eq!(
            vulnerability["techniques"],
            json!(["T1059", "T1190", "T1203"])
        );
        assert_eq!(by_rule(&list, "CVE-2023-44487")["severity"], "high");
        assert_eq!(by_rule(&list, "CVE-2024-0727")["severity"], "low");

        let again = import_ok(&app, &lead, sarif_fixture("trivy.sarif")).await;
        assert_eq!(
            (
                &again["created"],
                &again["updated"],
                &again["unchanged"],
                &again["resolved"]
            ),
            (&json!(0), &json!(0), &json!(3), &json!(0)),
            "re-importing the same file creates nothing: {again}"
        );

        let semgrep = import_ok(&app, &lead, sarif_fixture("semgrep.sarif")).await;
        assert_eq!(semgrep["created"], 3, "{semgrep}");
        assert_eq!(
            semgrep["results_skipped"], 1,
            "the suppressed one: {semgrep}"
        );
        assert_eq!(semgrep["skipped"][0]["reason"], "suppressed in the scanner");
        let all = read(
            &app,
            "/api/v1/findings?kind=vulnerability&per_page=50",
            &lead,
        )
        .await;
        assert_eq!(all["total"], 6);
        let shell = by_rule(
            &all,
            "python.lang.security.audit.subprocess-shell-true.subprocess-shell-true",
        );
        assert_eq!(shell["severity"], "high", "level error without a score");
        assert_eq!(shell["technique_id"], "T1059", "CWE-78");
        assert!(
            shell["vulnerability"]["guidance"]
                .as_str()
                .unwrap()
                .contains("Fix: Pass the command as a list")
        );
        let sql = by_rule(
            &all,
            "python.django.security.injection.sql.sql-injection-using-raw",
        );
        assert_eq!(
            sql["vulnerability"]["cwes"],
            json!(["CWE-89"]),
            "from relationships"
        );
        assert_eq!(sql["severity"], "medium", "security-severity 6.5");
        // Each technique a vulnerability leads to finds it, not only its first.
        let t1203 = read(&app, "/api/v1/findings?technique_id=T1203", &lead).await;
        assert_eq!(t1203["total"], 1, "{t1203}");
        let secrets = read(&app, "/api/v1/findings?technique_id=T1552.001", &lead).await;
        assert_eq!(secrets["total"], 1, "CWE-798: {secrets}");
        let gaps = read(&app, "/api/v1/findings?kind=test_gap", &lead).await;
        assert_eq!(gaps["total"], 0);
        let critical = read(
            &app,
            "/api/v1/findings?kind=vulnerability&severity=critical",
            &lead,
        )
        .await;
        assert_eq!(critical["total"], 1);

        // A later scan of the same scope that no longer reports a result resolves it.
        let mut trivy: Value = serde_json::from_slice(&sarif_fixture("trivy.sarif")).unwrap();
        trivy["runs"][0]["results"]
            .as_array_mut()
            .unwrap()
            .truncate(1);
        let later = import_ok(&app, &lead, serde_json::to_vec(&trivy).unwrap()).await;
        assert_eq!(
            (&later["unchanged"], &later["resolved"]),
            (&json!(1), &json!(2)),
            "{later}"
        );
        let resolved = read(
            &app,
            "/api/v1/findings?kind=vulnerability&status=resolved",
            &lead,
        )
        .await;
        assert_eq!(resolved["total"], 2, "{resolved}");

        let audit = read(
            &app,
            "/api/v1/audit-logs?action=finding.scan_imported",
            &admin,
        )
        .await;
        assert_eq!(audit["total"], 4, "each import is audited: {audit}");
    }
);

on_both_databases!(
    a_vulnerability_finding_goes_through_the_remediation_flow,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        let (_, lead) = app.user_with_role(&admin, "red_lead").await;
        // Multipart, as the web UI sends it.
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(sarif_fixture("semgrep.sarif"))
                .file_name("semgrep.sarif"),
        );
        let response = app
            .client
            .post(app.url("/api/v1/findings/import/sarif"))
            .bearer_auth(&lead)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let list = read(&app, "/api/v1/findings?kind=vulnerability", &lead).await;
        let id = by_rule(&list, "generic.secrets.security.detected-generic-api-key")["id"]
            .as_str()
            .unwrap()
            .to_owned();

        let stepped = app
            .send_ok(
                Method::POST,
                &format!("/api/v1/findings/{id}/steps"),
                &lead,
                json!({"title": "Rotate the key and move it to the vault"}),
            )
            .await;
        assert_eq!(stepped["status"], "in_remediation");
        let retest = app
            .client
            .post(app.url(&format!("/api/v1/findings/{id}/retest")))
            .bearer_auth(&lead)
            .send()
            .await
            .unwrap();
        assert_eq!(retest.status(), StatusCode::CONFLICT);
        let body = problem(retest).await;
        assert_eq!(body["code"], "FINDING_STATUS_CONFLICT", "{body}");
        let fixed = app
            .send_ok(
                Method::PATCH,
                &format!("/api/v1/findings/{id}"),
                &lead,
                json!({"status": "resolved"}),
            )
            .await;
        assert_eq!(fixed["status"], "resolved");
        assert!(fixed["resolved_at"].is_string());

        // Reported again by the next scan: open once more.
        let again = import_ok(&app, &lead, sarif_fixture("semgrep.sarif")).await;
        assert_eq!(again["updated"], 1, "{again}");
        let reopened = read(&app, &format!("/api/v1/findings/{id}"), &lead).await;
        assert_eq!(reopened["status"], "open");
    }
);

on_both_databases!(
    bad_files_and_viewers_are_refused,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;
        let forbidden = import(
            &app,
            &viewer,
            "application/sarif+json",
            sarif_fixture("trivy.sarif"),
        )
        .await;
        assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);

        for (body, expected) in [
            (&b"{not json"[..], "is not a JSON document"),
            (br#"{"version":"2.0.0","runs":[]}"#, "version"),
            (
                br#"{"version":"2.1.0","runs":[{"tool":{}}]}"#,
                "runs[0].tool.driver.name",
            ),
        ] {
            let response = import(&app, &admin, "application/json", body.to_vec()).await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
            let body = problem(response).await;
            assert_eq!(body["code"], "VALIDATION_FAILED", "{body}");
            assert_eq!(body["errors"][0]["field"], "file", "{body}");
            let message = body["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains(expected), "{message}");
        }
        let unknown = app.get("/api/v1/findings?kind=bug", &admin).await;
        assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem(unknown).await["errors"][0]["field"], "kind");
    }
);
