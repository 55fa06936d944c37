//! Microsoft Sentinel through the Log Analytics query API. A token from
//! `POST {login}/{directory}/oauth2/v2.0/token` (client credentials, scope
//! `https://api.loganalytics.io/.default`) answering `{"access_token": …}`; then
//! `POST {api}/v1/workspaces/{workspace}/query` with `{"query": KQL, "timespan":
//! "start/end"}` answering `{"tables": [{"name", "columns": [{"name", "type"}], "rows":
//! [[…]]}]}`. The KQL reads `SecurityAlert` in the window: an alert belongs to an expected
//! rule by `AlertName` (the analytic rule's name), by the analytic rule ids Sentinel writes in
//! `ExtendedProperties["Analytic Rule Ids"]`, or by `AlertType`.

use serde_json::{Value, json};

use aegis_application::telemetry::siem::{ExpectedRule, SiemAnswer, SiemQueryError, SiemTarget};
use aegis_domain::telemetry::RunWindow;

use super::{HttpSiemAlerts, Tally, parse_time, quoted, rule_named, text_of, url_with};

const SYSTEM: &str = "Microsoft Sentinel";
const SCOPE: &str = "https://api.loganalytics.io/.default";
/// Alerts read at most (each row is one alert).
const ROWS: usize = 1000;

fn time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The KQL sent: what is sealed as the query, too.
pub(super) fn kql(rules: &[ExpectedRule], window: RunWindow) -> String {
    let list = |values: Vec<&str>| {
        let mut quoted_values: Vec<String> = values
            .into_iter()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(quoted)
            .collect();
        quoted_values.dedup();
        if quoted_values.is_empty() {
            "\"\"".to_owned()
        } else {
            quoted_values.join(", ")
        }
    };
    let names = list(rules.iter().map(|r| r.title.as_str()).collect());
    let ids = list(rules.iter().map(|r| r.id.as_str()).collect());
    format!(
        "SecurityAlert\n\
         | where TimeGenerated between (datetime({from}) .. datetime({to}))\n\
         | extend AnalyticRuleIds = tostring(parse_json(ExtendedProperties)[\"Analytic Rule Ids\"])\n\
         | where AlertName in~ ({names}) or AlertType in~ ({ids}) or AnalyticRuleIds has_any ({ids})\n\
         | project TimeGenerated, AlertName, AlertType, SystemAlertId, ProviderName, CompromisedEntity, AnalyticRuleIds\n\
         | order by TimeGenerated asc\n\
         | take {ROWS}",
        from = time(window.from),
        to = time(window.to),
    )
}

async fn token(client: &HttpSiemAlerts, target: &SiemTarget) -> Result<String, SiemQueryError> {
    let url = url_with(
        &target.login_url,
        &[target.directory_id.as_str(), "oauth2", "v2.0", "token"],
    )?;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", target.username.as_deref().unwrap_or_default()),
        ("client_secret", target.secret.as_str()),
        ("scope", SCOPE),
    ];
    let answer = client
        .call(SYSTEM, &target.allow, url.as_str(), |http, url| {
            http.post(url)
                .header("accept", "application/json")
                .form(&form)
        })
        .await?;
    text_of(answer.get("access_token")).ok_or_else(|| SiemQueryError::BadResponse {
        system: SYSTEM,
        message: "the token answer carries no access_token".to_owned(),
    })
}

async fn query(
    client: &HttpSiemAlerts,
    target: &SiemTarget,
    body: &Value,
) -> Result<Value, SiemQueryError> {
    let token = token(client, target).await?;
    let url = url_with(
        &target.base_url,
        &["v1", "workspaces", target.workspace_id.as_str(), "query"],
    )?;
    let answer = client
        .call(SYSTEM, &target.allow, url.as_str(), |http, url| {
            http.post(url)
                .bearer_auth(&token)
                .header("accept", "application/json")
                .json(body)
        })
        .await?;
    if answer.get("tables").and_then(Value::as_array).is_none() {
        return Err(SiemQueryError::BadResponse {
            system: SYSTEM,
            message: "the answer carries no tables".to_owned(),
        });
    }
    Ok(answer)
}

pub(super) async fn check(
    client: &HttpSiemAlerts,
    target: &SiemTarget,
) -> Result<(), SiemQueryError> {
    query(
        client,
        target,
        &json!({"query": "SecurityAlert | take 1", "timespan": "P1D"}),
    )
    .await
    .map(|_| ())
}

pub(super) async fn alerts(
    client: &HttpSiemAlerts,
    target: &SiemTarget,
    rules: &[ExpectedRule],
    window: RunWindow,
) -> Result<SiemAnswer, SiemQueryError> {
    let kql = kql(rules, window);
    let body = json!({
        "query": kql,
        "timespan": format!("{}/{}", time(window.from), time(window.to)),
    });
    let answer = query(client, target, &body).await?;
    let mut tally = Tally::default();
    // The first table is the query's result (`PrimaryResult`).
    let table = answer.pointer("/tables/0").unwrap_or(&Value::Null);
    let columns: Vec<String> = table
        .get("columns")
        .and_then(Value::as_array)
        .map(|c| {
            c.iter()
                .map(|c| text_of(c.get("name")).unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    let at = |name: &str| columns.iter().position(|c| c == name);
    let rows = table
        .get("rows")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for row in &rows {
        let cell = |name: &str| at(name).and_then(|i| row.get(i));
        let name = text_of(cell("AlertName")).unwrap_or_default();
        let kind = text_of(cell("AlertType")).unwrap_or_default();
        let ids = text_of(cell("AnalyticRuleIds"))
            .unwrap_or_default()
            .to_ascii_lowercase();
        let rule = rule_named(rules, &name)
            .or_else(|| rule_named(rules, &kind))
            .or_else(|| {
                rules.iter().find(|r| {
                    let id = r.id.trim().to_ascii_lowercase();
                    !id.is_empty()
                        && (ids.contains(&id) || kind.to_ascii_lowercase().ends_with(&id))
                })
            });
        let Some(rule) = rule else { continue };
        tally.alert(
            rule,
            cell("TimeGenerated").and_then(parse_time),
            text_of(cell("SystemAlertId")),
            text_of(cell("CompromisedEntity")),
        );
    }
    Ok(SiemAnswer {
        query: kql,
        found: tally.into_found(rules),
    })
}
