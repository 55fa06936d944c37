//! Splunk: a search job over REST. `POST {base}/services/search/jobs` (form: `search`,
//! `earliest_time` and `latest_time` as epoch seconds, `output_mode=json`) answers
//! `{"sid": …}`; `GET /services/search/jobs/{sid}?output_mode=json` is polled until
//! `entry[0].content.dispatchState` is `DONE` (or `FAILED`); then
//! `GET /services/search/jobs/{sid}/results?output_mode=json&count=0` answers
//! `{"results": [...]}`. Authentication: `Authorization: Bearer <token>`.
//!
//! The search is the connection's template with `$rules$` replaced by the expected rules'
//! titles and ids, quoted; each result is tied to a rule by `search_name`, `rule_name`,
//! `rule_title`, `savedsearch_name` or `rule_id` (Enterprise Security names a correlation
//! search's notable `<Domain> - <name> - Rule`, so that form is read too).

use serde_json::Value;

use aegis_application::telemetry::siem::{ExpectedRule, SiemAnswer, SiemQueryError, SiemTarget};
use aegis_domain::telemetry::RunWindow;

use super::{HttpSiemAlerts, Tally, parse_time, quoted, rule_named, text_of, url_with};

const SYSTEM: &str = "Splunk";
/// Where a result names its rule, most specific first.
const RULE_FIELDS: [&str; 5] = [
    "rule_id",
    "rule_name",
    "rule_title",
    "search_name",
    "savedsearch_name",
];

/// The search with the expected rules in place of `$rules$`.
pub(super) fn search(template: &str, rules: &[ExpectedRule]) -> String {
    let mut names: Vec<String> = Vec::new();
    for rule in rules {
        for value in [&rule.title, &rule.id] {
            let value = quoted(value.trim());
            if value != "\"\"" && !names.contains(&value) {
                names.push(value);
            }
        }
    }
    let search = template.replace("$rules$", &names.join(", "));
    // The jobs endpoint runs what it is given: a bare query needs the `search` command.
    if search.trim_start().starts_with("search ") || search.trim_start().starts_with('|') {
        search
    } else {
        format!("search {search}")
    }
}

/// An Enterprise Security notable's rule name without its `<Domain> - ` and ` - Rule`.
fn bare(name: &str) -> &str {
    let name = name.trim();
    let name = name.strip_suffix(" - Rule").unwrap_or(name);
    match name.split_once(" - ") {
        Some((domain, rest))
            if [
                "Access", "Endpoint", "Network", "Identity", "Threat", "Audit",
            ]
            .contains(&domain) =>
        {
            rest
        }
        _ => name,
    }
}

fn job_url(target: &SiemTarget, tail: &[&str]) -> Result<reqwest::Url, SiemQueryError> {
    let mut segments = vec!["services", "search", "jobs"];
    segments.extend_from_slice(tail);
    let mut url = url_with(&target.base_url, &segments)?;
    url.query_pairs_mut().append_pair("output_mode", "json");
    Ok(url)
}

async fn get(
    client: &HttpSiemAlerts,
    target: &SiemTarget,
    url: reqwest::Url,
) -> Result<Value, SiemQueryError> {
    client
        .call(SYSTEM, &target.allow, url.as_str(), |http, url| {
            http.get(url)
                .bearer_auth(&target.secret)
                .header("accept", "application/json")
        })
        .await
}

pub(super) async fn check(
    client: &HttpSiemAlerts,
    target: &SiemTarget,
) -> Result<(), SiemQueryError> {
    let mut url = url_with(&target.base_url, &["services", "server", "info"])?;
    url.query_pairs_mut().append_pair("output_mode", "json");
    let answer = get(client, target, url).await?;
    if answer.get("entry").and_then(Value::as_array).is_none() {
        return Err(SiemQueryError::BadResponse {
            system: SYSTEM,
            message: "the server information carries no entry".to_owned(),
        });
    }
    Ok(())
}

pub(super) async fn alerts(
    client: &HttpSiemAlerts,
    target: &SiemTarget,
    rules: &[ExpectedRule],
    window: RunWindow,
) -> Result<SiemAnswer, SiemQueryError> {
    let query = search(&target.search, rules);
    let form = [
        ("search", query.clone()),
        ("earliest_time", window.from.timestamp().to_string()),
        ("latest_time", (window.to.timestamp() + 1).to_string()),
        ("output_mode", "json".to_owned()),
    ];
    let url = url_with(&target.base_url, &["services", "search", "jobs"])?;
    let created = client
        .call(SYSTEM, &target.allow, url.as_str(), |http, url| {
            http.post(url)
                .bearer_auth(&target.secret)
                .header("accept", "application/json")
                .form(&form)
        })
        .await?;
    let Some(sid) = text_of(created.get("sid")) else {
        return Err(SiemQueryError::BadResponse {
            system: SYSTEM,
            message: "the created search job carries no sid".to_owned(),
        });
    };
    wait(client, target, &sid).await?;
    let mut url = job_url(target, &[sid.as_str(), "results"])?;
    url.query_pairs_mut().append_pair("count", "0");
    let answer = get(client, target, url).await?;
    let Some(results) = answer.get("results").and_then(Value::as_array) else {
        return Err(SiemQueryError::BadResponse {
            system: SYSTEM,
            message: "the job's results carry no results array".to_owned(),
        });
    };
    let mut tally = Tally::default();
    for result in results {
        let rule = RULE_FIELDS.iter().find_map(|name| {
            let value = text_of(result.get(*name))?;
            rule_named(rules, &value).or_else(|| rule_named(rules, bare(&value)))
        });
        let Some(rule) = rule else { continue };
        let id = text_of(result.get("event_id")).or_else(|| text_of(result.get("_cd")));
        let host = ["dest", "host", "orig_host", "src"]
            .iter()
            .find_map(|name| text_of(result.get(*name)));
        tally.alert(rule, result.get("_time").and_then(parse_time), id, host);
    }
    Ok(SiemAnswer {
        query,
        found: tally.into_found(rules),
    })
}

/// Polls the job until it is done; a failed job is refused with its messages.
async fn wait(
    client: &HttpSiemAlerts,
    target: &SiemTarget,
    sid: &str,
) -> Result<(), SiemQueryError> {
    let deadline = tokio::time::Instant::now() + client.settings.job_timeout;
    loop {
        let answer = get(client, target, job_url(target, &[sid])?).await?;
        let Some(content) = answer.pointer("/entry/0/content") else {
            return Err(SiemQueryError::BadResponse {
                system: SYSTEM,
                message: "the search job's status carries no entry[0].content".to_owned(),
            });
        };
        match content.get("dispatchState").and_then(Value::as_str) {
            Some("DONE") => return Ok(()),
            Some("FAILED") => {
                let messages = content
                    .get("messages")
                    .and_then(Value::as_array)
                    .map(|m| {
                        m.iter()
                            .filter_map(|m| m.get("text").and_then(Value::as_str))
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                    .unwrap_or_default();
                return Err(SiemQueryError::Rejected {
                    system: SYSTEM,
                    status: 200,
                    message: format!("the search job {sid} failed: {messages}"),
                });
            }
            Some(_) => {}
            None => {
                return Err(SiemQueryError::BadResponse {
                    system: SYSTEM,
                    message: "the search job's status carries no dispatchState".to_owned(),
                });
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(SiemQueryError::Timeout {
                system: SYSTEM,
                message: format!(
                    "the search job {sid} was not done after {} s",
                    client.settings.job_timeout.as_secs()
                ),
            });
        }
        tokio::time::sleep(client.settings.poll_interval).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_takes_the_quoted_rules_and_the_search_command() {
        let rules = vec![ExpectedRule {
            reference: "sigma:1".to_owned(),
            id: "1".to_owned(),
            title: "Encoded \"PowerShell\"".to_owned(),
        }];
        assert_eq!(
            search("index=notable search_name IN ($rules$)", &rules),
            r#"search index=notable search_name IN ("Encoded \"PowerShell\"", "1")"#
        );
        assert_eq!(
            search("| tstats count where index=notable", &rules),
            "| tstats count where index=notable"
        );
    }

    #[test]
    fn notable_names_lose_their_domain_and_suffix() {
        assert_eq!(
            bare("Endpoint - Encoded PowerShell - Rule"),
            "Encoded PowerShell"
        );
        assert_eq!(bare("Encoded PowerShell"), "Encoded PowerShell");
    }
}
