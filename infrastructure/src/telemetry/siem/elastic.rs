//! Elasticsearch (Elastic Security's alerts) and OpenSearch: `POST {base}/{index}/_search`
//! with a `bool` query (a `range` on `@timestamp` over the run's window, and the expected
//! rules by id in the configured field; Elastic also by `kibana.alert.rule.name`), a `terms`
//! aggregation per rule id with the first and last alert time, and the earliest hits for the
//! alerts' ids and hosts. Authentication: `Authorization: ApiKey <key>`, or basic with a user.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use aegis_application::telemetry::siem::{ExpectedRule, SiemAnswer, SiemQueryError, SiemTarget};
use aegis_domain::siem::SiemKind;
use aegis_domain::telemetry::RunWindow;

use super::{HttpSiemAlerts, Tally, field, parse_time, rule_named, system, text_of, url_with};

/// Elastic Security's alert name field (the rule's name at the time of the alert).
const NAME_FIELD: &str = "kibana.alert.rule.name";
/// Hits read for the alerts' ids and hosts (the counts come from the aggregation).
const HITS: usize = 200;

fn authorization(target: &SiemTarget) -> String {
    match &target.username {
        Some(user) => format!(
            "Basic {}",
            STANDARD.encode(format!("{user}:{}", target.secret))
        ),
        None => format!("ApiKey {}", target.secret),
    }
}

/// The search body: what is sealed as the query, too.
pub(super) fn query(target: &SiemTarget, rules: &[ExpectedRule], window: RunWindow) -> Value {
    let ids: Vec<&str> = rules
        .iter()
        .filter(|r| !r.id.is_empty())
        .map(|r| r.id.as_str())
        .collect();
    let mut should = vec![json!({"terms": {target.rule_field.as_str(): ids}})];
    if target.kind == SiemKind::Elastic {
        let names: Vec<&str> = rules.iter().map(|r| r.title.as_str()).collect();
        should.push(json!({"terms": {NAME_FIELD: names}}));
    }
    json!({
        "size": HITS,
        "sort": [{"@timestamp": {"order": "asc"}}],
        "track_total_hits": true,
        "query": {"bool": {"filter": [
            {"range": {"@timestamp": {
                "gte": window.from.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "lte": window.to.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "format": "strict_date_optional_time"}}},
            {"bool": {"should": should, "minimum_should_match": 1}}
        ]}},
        "aggs": {"rules": {
            "terms": {"field": target.rule_field.as_str(), "size": rules.len().max(1)},
            "aggs": {
                "first": {"min": {"field": "@timestamp"}},
                "last": {"max": {"field": "@timestamp"}}
            }
        }}
    })
}

async fn search(
    client: &HttpSiemAlerts,
    target: &SiemTarget,
    body: &Value,
) -> Result<Value, SiemQueryError> {
    let name = system(target.kind);
    let url = url_with(&target.base_url, &[target.index.as_str(), "_search"])?;
    client
        .call(name, &target.allow, url.as_str(), |http, url| {
            http.post(url)
                .header("authorization", authorization(target))
                .header("accept", "application/json")
                .json(body)
        })
        .await
}

pub(super) async fn check(
    client: &HttpSiemAlerts,
    target: &SiemTarget,
) -> Result<(), SiemQueryError> {
    let answer = search(
        client,
        target,
        &json!({"size": 0, "query": {"match_all": {}}}),
    )
    .await?;
    if answer.get("hits").is_none() {
        return Err(SiemQueryError::BadResponse {
            system: system(target.kind),
            message: "the answer carries no hits".to_owned(),
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
    let body = query(target, rules, window);
    let answer = search(client, target, &body).await?;
    let found = read(target, rules, &answer)?;
    Ok(SiemAnswer {
        query: body.to_string(),
        found,
    })
}

/// Reads a search response: the aggregation's buckets give each rule's count and span; the
/// hits give alert ids and hosts, and the rules named only by their title (which the
/// aggregation by id cannot see).
pub(super) fn read(
    target: &SiemTarget,
    rules: &[ExpectedRule],
    answer: &Value,
) -> Result<Vec<aegis_application::telemetry::siem::RuleAlerts>, SiemQueryError> {
    let name = system(target.kind);
    let Some(hits) = answer
        .get("hits")
        .and_then(|h| h.get("hits"))
        .and_then(Value::as_array)
    else {
        return Err(SiemQueryError::BadResponse {
            system: name,
            message: "the answer carries no hits.hits".to_owned(),
        });
    };
    let mut tally = Tally::default();
    let mut counted = Vec::new();
    let buckets = answer
        .pointer("/aggregations/rules/buckets")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for bucket in &buckets {
        let Some(key) = text_of(bucket.get("key")) else {
            continue;
        };
        let Some(rule) = rule_named(rules, &key) else {
            continue;
        };
        let entry = tally.entry(rule);
        entry.count = bucket.get("doc_count").and_then(Value::as_u64).unwrap_or(0);
        // `value_as_string` is the formatted date; `value` the epoch milliseconds.
        let time = |agg: &str| {
            bucket
                .get(agg)
                .and_then(|a| a.get("value_as_string").or_else(|| a.get("value")))
                .and_then(parse_time)
        };
        entry.first_at = time("first");
        entry.last_at = time("last");
        counted.push(rule.reference.clone());
    }
    for hit in hits {
        let source = hit.get("_source").unwrap_or(&Value::Null);
        let by_id = text_of(field(source, &target.rule_field));
        let by_name = text_of(field(source, NAME_FIELD));
        let Some(rule) = by_id
            .as_deref()
            .and_then(|id| rule_named(rules, id))
            .or_else(|| by_name.as_deref().and_then(|n| rule_named(rules, n)))
        else {
            continue;
        };
        let id = text_of(field(source, "kibana.alert.uuid")).or_else(|| text_of(hit.get("_id")));
        let host =
            text_of(field(source, "host.name")).or_else(|| text_of(field(source, "host.hostname")));
        let at = field(source, "@timestamp").and_then(parse_time);
        if counted.contains(&rule.reference) {
            // The aggregation counted it: the hit only adds its id and host.
            let entry = tally.entry(rule);
            super::sample(&mut entry.alert_ids, id);
            super::sample(&mut entry.hosts, host);
        } else {
            tally.alert(rule, at, id, host);
        }
    }
    Ok(tally.into_found(rules))
}
