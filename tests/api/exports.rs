//! Exports: tests streamed as CSV or JSON with the list's filters, and every technique with
//! its score and breakdown.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

async fn download(app: &TestApp, path: &str, token: &str) -> (String, String, String) {
    let response = app.get(path, token).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (kind, disposition) = (header("content-type"), header("content-disposition"));
    (kind, disposition, response.text().await.unwrap())
}

on_both_databases!(
    tests_and_techniques_export_as_csv_and_json,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;
        let (kind, disposition, empty) =
            download(&app, "/api/v1/exports/tests?format=json", &viewer).await;
        assert_eq!(kind, "application/json");
        assert!(disposition.contains("tests.json"), "{disposition}");
        assert_eq!(serde_json::from_str::<Value>(&empty).unwrap(), json!([]));

        app.send_ok(
            Method::POST,
            "/api/v1/tests",
            &admin,
            json!({"title": "Phishing, with \"quotes\"", "technique_id": "T1566"}),
        )
        .await;
        app.validated_test(
            &admin,
            "T1059.001",
            json!({"outcome": "detected", "detected_at": "2026-11-22T10:03:00Z", "fired_rules": ["EDR rule 7"]}),
        )
        .await;

        let (kind, _, text) = download(&app, "/api/v1/exports/tests", &viewer).await;
        assert!(kind.starts_with("text/csv"), "{kind}");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(header[0], "id");
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2, "{text}");
        let phishing = rows.iter().find(|r| &r[2] == "T1566").unwrap();
        assert_eq!(&phishing[1], "Phishing, with \"quotes\"");
        let validated = rows.iter().find(|r| &r[2] == "T1059.001").unwrap();
        assert_eq!(&validated[3], "validated");
        assert_eq!(&validated[13], "EDR rule 7");

        let (_, _, only) = download(
            &app,
            "/api/v1/exports/tests?format=json&state=validated",
            &viewer,
        )
        .await;
        let only: Value = serde_json::from_str(&only).unwrap();
        assert_eq!(only.as_array().unwrap().len(), 1);
        assert_eq!(only[0]["blue"]["outcome"], "detected");
        let bad = app.get("/api/v1/exports/tests?format=xml", &viewer).await;
        assert_eq!(problem(bad).await["errors"][0]["field"], "format");

        let (_, disposition, techniques) =
            download(&app, "/api/v1/exports/techniques", &viewer).await;
        assert!(disposition.contains("techniques.csv"));
        let mut reader = csv::Reader::from_reader(techniques.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let powershell = rows.iter().find(|r| &r[0] == "T1059.001").unwrap();
        assert_eq!(&powershell[2], "T1059", "its parent");
        assert_eq!(&powershell[4], "validated");
        assert_eq!(&powershell[7], "1");
        let (_, _, json_rows) =
            download(&app, "/api/v1/exports/techniques?format=json", &viewer).await;
        let json_rows: Value = serde_json::from_str(&json_rows).unwrap();
        assert_eq!(json_rows.as_array().unwrap().len(), rows.len());
    }
);
