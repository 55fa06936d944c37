//! Intelligence over HTTP: the KEV→ATT&CK mapping, the KEV catalog, NVD and news imported as
//! data sources (offline bundles and online, from a local server answering in the vendors'
//! shapes), deduplicated by URL, reviewed, and moving risk: a technique that tracked actors
//! use, tied to a recently exploited CVE and proven by nothing, comes first, with the reason.

use std::collections::HashMap;

use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

async fn read(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app.get(path, token).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

async fn upload(app: &TestApp, token: &str, kind: &str, bytes: Vec<u8>) -> Value {
    let response = app
        .client
        .post(app.url(&format!("/api/v1/data-sources/{kind}/bundle")))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{kind}: {body}");
    body
}

/// The KEV fixture with its two recent additions dated within the risk window.
fn recent_kev() -> Vec<u8> {
    let text = String::from_utf8(osint_fixture("kev-catalog.json")).unwrap();
    let day = |ago: i64| {
        (Utc::now() - Duration::days(ago))
            .format("%Y-%m-%d")
            .to_string()
    };
    text.replace("2026-11-28", &day(9))
        .replace("2026-11-30", &day(7))
        .into_bytes()
}

on_both_databases!(
    intelligence_ties_exploited_cves_to_techniques_and_risk,
    |app: TestApp| async move {
        app.import_attack(&attack_fixture("enterprise-v1.json"))
            .await;
        let admin = app.admin_token().await;
        let (_, lead) = app.user_with_role(&admin, "red_lead").await;
        let (_, viewer) = app.user_with_role(&admin, "viewer").await;
        app.send_ok(
            Method::PUT,
            "/api/v1/tracked-actors/G0016",
            &lead,
            json!({}),
        )
        .await;

        let mapping = upload(&app, &admin, "kev_attack", osint_fixture("kev-attack.json")).await;
        assert_eq!(mapping["counts"]["created"], 4, "{mapping}");
        let kev = upload(&app, &admin, "kev", recent_kev()).await;
        assert_eq!(kev["counts"]["created"], 3, "{kev}");
        assert_eq!(kev["counts"]["skipped"], 1, "{kev}");
        let again = upload(&app, &admin, "kev", recent_kev()).await;
        assert_eq!(again["counts"]["unchanged"], 3, "one item per URL: {again}");
        upload(&app, &admin, "nvd", osint_fixture("nvd-cves.json")).await;
        upload(&app, &admin, "news", osint_fixture("news.rss")).await;

        let items = read(&app, "/api/v1/osint/items?per_page=50", &viewer).await;
        assert_eq!(items["total"], 7, "{items}");
        let exploited = read(&app, "/api/v1/osint/items?source=kev&q=outlook", &viewer).await;
        assert_eq!(exploited["total"], 1);
        let outlook = &exploited["items"][0];
        assert_eq!(outlook["known_exploited"], true);
        assert_eq!(outlook["techniques"], json!(["T1566"]), "{outlook}");
        let log4j = read(
            &app,
            "/api/v1/osint/items?source=nvd&severity=critical",
            &viewer,
        )
        .await;
        assert_eq!(log4j["items"][0]["cves"], json!(["CVE-2021-44228"]));
        assert_eq!(log4j["items"][0]["cvss"], 10.0);
        // Named in the text (T1190) and reached through the KEV mapping (T1059).
        assert_eq!(log4j["items"][0]["techniques"], json!(["T1059", "T1190"]));
        let shells = read(&app, "/api/v1/osint/technique/T1059.004", &viewer).await;
        assert_eq!(shells["total"], 2, "KEV and the news: {shells}");

        // Review: leads and admins; a viewer is refused.
        let id = outlook["id"].as_str().unwrap();
        let refused = app
            .client
            .post(app.url(&format!("/api/v1/osint/items/{id}/review")))
            .bearer_auth(&viewer)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let reviewed = app
            .send_ok(
                Method::POST,
                &format!("/api/v1/osint/items/{id}/review"),
                &lead,
                json!({}),
            )
            .await;
        assert_eq!(reviewed["reviewed"], true);
        let pending = read(&app, "/api/v1/osint/items?reviewed=false", &viewer).await;
        assert_eq!(pending["total"], 6);
        let summary = read(&app, "/api/v1/osint/summary", &viewer).await;
        assert_eq!(summary["items"], 7);
        assert_eq!(summary["unreviewed"], 6);
        assert_eq!(summary["known_exploited"], 4, "{summary}");

        // The import recomputed risk: T1566 is used by the tracked APT29, tied to an exploited
        // Outlook CVE this month, and nothing proves it is detected.
        let top = read(&app, "/api/v1/risk/top?limit=1", &viewer).await;
        assert_eq!(top[0]["technique_id"], "T1566", "{top}");
        assert_eq!(top[0]["inputs"]["intelligence_signals"], 1);
        assert_eq!(top[0]["inputs"]["tracked_actors"], true);
        let advice = read(&app, "/api/v1/risk/recommendations?limit=1", &viewer).await;
        assert_eq!(
            advice[0]["reason"],
            "T1566 is medium: 1 tracked actor uses it, 1 intelligence item named it recently \
             and no detection is proven; plan a test of it",
            "{advice}"
        );

        for (path, field) in [
            ("/api/v1/osint/items?source=blog", "source"),
            ("/api/v1/osint/items?severity=CRITICAL", "severity"),
            ("/api/v1/osint/technique/nope", "mitre_id"),
        ] {
            let response = app.get(path, &viewer).await;
            assert_eq!(
                problem(response).await["errors"][0]["field"],
                field,
                "{path}"
            );
        }
        let missing = app
            .get(
                &format!("/api/v1/osint/items/{}", uuid::Uuid::nil()),
                &viewer,
            )
            .await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }
);

fn nvd_page(start: u64, total: u64, id: &str) -> Vec<u8> {
    json!({
        "resultsPerPage": 2000, "startIndex": start, "totalResults": total,
        "format": "NVD_CVE", "version": "2.0", "timestamp": "2026-12-01T08:00:00.000",
        "vulnerabilities": [{"cve": {
            "id": id, "published": "2026-11-20T10:00:00.000", "vulnStatus": "Analyzed",
            "descriptions": [{"lang": "en", "value": format!("{id} lets attackers in (T1190).")}],
            "metrics": {"cvssMetricV31": [{"type": "Primary",
                "cvssData": {"version": "3.1", "baseScore": 8.1, "baseSeverity": "HIGH"}}]}
        }}]
    })
    .to_string()
    .into_bytes()
}

on_both_databases!(
    online_feeds_are_read_from_their_servers,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        let base = "/rest/json/cves/2.0?hasKev";
        let served = crate::feed_server::serve(HashMap::from([
            (
                format!("{base}&resultsPerPage=2000&startIndex=0"),
                (200, nvd_page(0, 2001, "CVE-2026-30001")),
            ),
            (
                format!("{base}&resultsPerPage=2000&startIndex=2000"),
                (200, nvd_page(2000, 2001, "CVE-2026-30002")),
            ),
            (
                "/feeds/kev.json".to_owned(),
                (200, osint_fixture("kev-catalog.json")),
            ),
            ("/feed.rss".to_owned(), (200, osint_fixture("news.rss"))),
            ("/atom.xml".to_owned(), (200, osint_fixture("news.atom"))),
        ]))
        .await;
        let sync = |kind: &'static str, url: String, credential: Option<&'static str>| {
            let app = &app;
            let admin = admin.clone();
            async move {
                let mut body = json!({"url": url});
                if let Some(key) = credential {
                    body["credential"] = json!(key);
                }
                app.send_ok(
                    Method::PATCH,
                    &format!("/api/v1/data-sources/{kind}"),
                    &admin,
                    body,
                )
                .await;
                let run = app
                    .send_ok(
                        Method::POST,
                        &format!("/api/v1/data-sources/{kind}/sync"),
                        &admin,
                        json!({}),
                    )
                    .await;
                app.wait_for_job(run["id"].as_str().unwrap(), &admin).await
            }
        };
        let nvd = sync(
            "nvd",
            format!("{}{base}", served.base),
            Some("nvd-test-key"),
        )
        .await;
        assert_eq!(nvd["outcome"], "succeeded", "{nvd}");
        assert_eq!(nvd["counts"]["created"], 2, "both pages: {nvd}");
        let heads = served
            .requests
            .lock()
            .unwrap()
            .join("\n")
            .to_ascii_lowercase();
        assert!(heads.contains("apikey: nvd-test-key"), "{heads}");

        let kev = sync("kev", format!("{}/feeds/kev.json", served.base), None).await;
        assert_eq!(kev["counts"]["created"], 3, "{kev}");
        // A list of feeds; one that is down is skipped, the others are read.
        let news = sync(
            "news",
            format!("{0}/feed.rss {0}/atom.xml {0}/gone.xml", served.base),
            None,
        )
        .await;
        assert_eq!(news["outcome"], "succeeded", "{news}");
        assert_eq!(news["counts"]["created"], 3, "{news}");
        let items = read(&app, "/api/v1/osint/items?source=news", &admin).await;
        assert_eq!(items["total"], 3);
        let nvd_items = read(&app, "/api/v1/osint/items?source=nvd&severity=high", &admin).await;
        assert_eq!(nvd_items["total"], 2);
    }
);
