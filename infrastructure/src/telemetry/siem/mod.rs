//! The SIEM adapters of the `SiemAlerts` port: Elasticsearch / OpenSearch (`_search` on the
//! alerts index), Splunk (a search job over REST, polled) and Microsoft Sentinel (a client
//! credentials token, then KQL over `SecurityAlert` through the Log Analytics query API).
//!
//! Connections go through the webhooks' guarded resolver, so the configured addresses obey
//! the same SSRF rules (internal addresses only when the tenant's allow-list names them,
//! checked at every connection); proxies from the environment are ignored, redirects are not
//! followed, answers are read up to 4 MiB, and connecting and each request time out.

mod elastic;
mod sentinel;
mod splunk;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

use aegis_application::telemetry::siem::{
    ExpectedRule, RuleAlerts, SiemAlerts, SiemAnswer, SiemQueryError, SiemTarget,
};
use aegis_domain::siem::SiemKind;
use aegis_domain::telemetry::RunWindow;
use aegis_domain::webhook::{AllowList, TargetRefusal};

use crate::webhooks::{allowed_addresses, chain, guarded_client, judge_literal, parse_target};

/// The most of an answer that is read.
const RESPONSE_LIMIT: usize = 4 * 1024 * 1024;
/// The most of a SIEM's error message kept (it goes to the client).
const MESSAGE_MAX: usize = 1000;
/// Alert ids and hosts kept per rule.
const SAMPLES: usize = 5;

/// Timeouts of the SIEM client, and how a Splunk search job is waited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiemClientSettings {
    pub connect_timeout: Duration,
    /// Each request's.
    pub request_timeout: Duration,
    /// Between two looks at a Splunk search job.
    pub poll_interval: Duration,
    /// How long a Splunk search job may take.
    pub job_timeout: Duration,
}

impl Default for SiemClientSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_millis(500),
            job_timeout: Duration::from_secs(120),
        }
    }
}

/// The SIEMs over HTTP.
#[derive(Debug, Clone, Default)]
pub struct HttpSiemAlerts {
    settings: SiemClientSettings,
}

/// The vendor's name in messages.
fn system(kind: SiemKind) -> &'static str {
    match kind {
        SiemKind::Elastic => "Elasticsearch",
        SiemKind::OpenSearch => "OpenSearch",
        SiemKind::Splunk => "Splunk",
        SiemKind::Sentinel => "Microsoft Sentinel",
    }
}

impl HttpSiemAlerts {
    #[must_use]
    pub fn new(settings: SiemClientSettings) -> Self {
        Self { settings }
    }

    fn client(&self, allow: &AllowList) -> Result<reqwest::Client, reqwest::Error> {
        guarded_client(
            allow,
            self.settings.connect_timeout,
            self.settings.request_timeout,
            concat!("Aegis-SIEM/", env!("CARGO_PKG_VERSION")),
        )
    }

    /// Sends the request `build` makes for `url` and returns the JSON answer (bounded); an
    /// error status becomes `Rejected` with what the SIEM said.
    async fn call(
        &self,
        system: &'static str,
        allow: &AllowList,
        url: &str,
        build: impl FnOnce(&reqwest::Client, reqwest::Url) -> reqwest::RequestBuilder,
    ) -> Result<Value, SiemQueryError> {
        let target = parse_target(url)?;
        judge_literal(&target, allow)?;
        let failed = |error: &reqwest::Error| {
            if error.is_timeout() {
                SiemQueryError::Timeout {
                    system,
                    message: chain(error),
                }
            } else {
                SiemQueryError::Unreachable {
                    system,
                    message: chain(error),
                }
            }
        };
        let client = self.client(allow).map_err(|e| failed(&e))?;
        let mut response = build(&client, target.url)
            .send()
            .await
            .map_err(|e| failed(&e))?;
        let status = response.status();
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > RESPONSE_LIMIT {
                        return Err(SiemQueryError::BadResponse {
                            system,
                            message: format!("the answer is larger than {RESPONSE_LIMIT} bytes"),
                        });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(error) => return Err(failed(&error)),
            }
        }
        let json = serde_json::from_slice::<Value>(&body);
        if status.is_success() {
            return json.map_err(|e| SiemQueryError::BadResponse {
                system,
                message: format!("the answer is not JSON: {e}"),
            });
        }
        let json = json.unwrap_or(Value::Null);
        let message = if status.is_redirection() {
            "redirects are not followed: check the configured address".to_owned()
        } else {
            let text = error_text(&json);
            if !text.is_empty() {
                text
            } else if matches!(status.as_u16(), 401 | 403) {
                "the credentials were refused".to_owned()
            } else {
                String::from_utf8_lossy(&body).chars().take(200).collect()
            }
        };
        Err(SiemQueryError::Rejected {
            system,
            status: status.as_u16(),
            message: message.chars().take(MESSAGE_MAX).collect(),
        })
    }
}

/// The vendors' error shapes as one line: Elasticsearch `{error: {type, reason}}`, Splunk
/// `{messages: [{type, text}]}`, Log Analytics `{error: {code, message}}`, Microsoft Entra
/// `{error, error_description}`.
fn error_text(json: &Value) -> String {
    match json.get("error") {
        Some(Value::Object(error)) => {
            let reason = error
                .get("reason")
                .or_else(|| error.get("message"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            let kind = error
                .get("type")
                .or_else(|| error.get("code"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            match (kind.is_empty(), reason.is_empty()) {
                (false, false) => format!("{kind}: {reason}"),
                (true, false) => reason.to_owned(),
                (false, true) => kind.to_owned(),
                (true, true) => String::new(),
            }
        }
        Some(Value::String(code)) => match json.get("error_description").and_then(Value::as_str) {
            Some(description) => format!("{code}: {description}"),
            None => code.clone(),
        },
        _ => json
            .get("messages")
            .and_then(Value::as_array)
            .map(|messages| {
                messages
                    .iter()
                    .filter_map(|m| m.get("text").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default(),
    }
}

/// A time as the SIEMs write it: RFC 3339 (`Z` or an offset), Splunk's `_time` with a
/// colon-less offset, or epoch milliseconds (Elasticsearch's aggregations).
fn parse_time(value: &Value) -> Option<DateTime<Utc>> {
    match value {
        Value::String(text) => DateTime::parse_from_rfc3339(text)
            .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z"))
            .ok()
            .map(|t| t.with_timezone(&Utc)),
        Value::Number(n) => n
            .as_f64()
            .and_then(|ms| DateTime::from_timestamp_millis(ms as i64)),
        _ => None,
    }
}

/// A field of a document, by its dotted name either as one key (as Elastic's alerts are
/// written) or as nested objects.
fn field<'a>(document: &'a Value, name: &str) -> Option<&'a Value> {
    if let Some(value) = document.get(name) {
        return Some(value);
    }
    let mut current = document;
    for part in name.split('.') {
        current = current.get(part)?;
    }
    Some(current)
}

fn text_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => items.first().and_then(|v| text_of(Some(v))),
        _ => None,
    }
}

/// Which expected rule a value names: its id or its title, case-insensitive.
fn rule_named<'a>(rules: &'a [ExpectedRule], value: &str) -> Option<&'a ExpectedRule> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    rules.iter().find(|r| {
        (!r.id.is_empty() && r.id.eq_ignore_ascii_case(value))
            || r.title.trim().eq_ignore_ascii_case(value)
    })
}

/// Alerts gathered per rule, in the order the rules are expected.
#[derive(Default)]
struct Tally {
    found: Vec<RuleAlerts>,
}

impl Tally {
    fn entry(&mut self, rule: &ExpectedRule) -> &mut RuleAlerts {
        let at = match self
            .found
            .iter()
            .position(|f| f.reference == rule.reference)
        {
            Some(at) => at,
            None => {
                self.found.push(RuleAlerts {
                    reference: rule.reference.clone(),
                    count: 0,
                    first_at: None,
                    last_at: None,
                    alert_ids: Vec::new(),
                    hosts: Vec::new(),
                });
                self.found.len() - 1
            }
        };
        &mut self.found[at]
    }

    /// One alert: counted, its time widening the rule's span, its id and host kept.
    fn alert(
        &mut self,
        rule: &ExpectedRule,
        at: Option<DateTime<Utc>>,
        id: Option<String>,
        host: Option<String>,
    ) {
        let entry = self.entry(rule);
        entry.count += 1;
        entry.first_at = earliest(entry.first_at, at);
        entry.last_at = latest(entry.last_at, at);
        sample(&mut entry.alert_ids, id);
        sample(&mut entry.hosts, host);
    }

    fn into_found(self, rules: &[ExpectedRule]) -> Vec<RuleAlerts> {
        let mut found = self.found;
        found.retain(|f| f.count > 0);
        found.sort_by_key(|f| rules.iter().position(|r| r.reference == f.reference));
        found
    }
}

fn earliest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn latest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn sample(list: &mut Vec<String>, value: Option<String>) {
    if let Some(value) = value
        && list.len() < SAMPLES
        && !list.contains(&value)
    {
        list.push(value);
    }
}

/// A query's text quoted for the query languages that take double-quoted strings with
/// backslash escapes (SPL, KQL).
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `base` with path segments appended, each escaped (an index or a search id never changes
/// the path).
fn url_with(base: &str, segments: &[&str]) -> Result<reqwest::Url, SiemQueryError> {
    let mut url = reqwest::Url::parse(&format!("{base}/")).map_err(|_| TargetRefusal::NotHttp)?;
    url.path_segments_mut()
        .map_err(|()| TargetRefusal::NotHttp)?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

#[async_trait]
impl SiemAlerts for HttpSiemAlerts {
    async fn check_target(&self, url: &str, allow: &AllowList) -> Result<(), TargetRefusal> {
        let target = parse_target(url)?;
        judge_literal(&target, allow)?;
        match target.url.host_str() {
            Some(host) if !host.starts_with('[') && host.parse::<std::net::IpAddr>().is_err() => {
                allowed_addresses(host, allow).await.map(|_| ())
            }
            _ => Ok(()),
        }
    }

    async fn check(&self, target: &SiemTarget) -> Result<(), SiemQueryError> {
        match target.kind {
            SiemKind::Elastic | SiemKind::OpenSearch => elastic::check(self, target).await,
            SiemKind::Splunk => splunk::check(self, target).await,
            SiemKind::Sentinel => sentinel::check(self, target).await,
        }
    }

    async fn alerts(
        &self,
        target: &SiemTarget,
        rules: &[ExpectedRule],
        window: RunWindow,
    ) -> Result<SiemAnswer, SiemQueryError> {
        match target.kind {
            SiemKind::Elastic | SiemKind::OpenSearch => {
                elastic::alerts(self, target, rules, window).await
            }
            SiemKind::Splunk => splunk::alerts(self, target, rules, window).await,
            SiemKind::Sentinel => sentinel::alerts(self, target, rules, window).await,
        }
    }
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_vendors_error_shapes_read_as_one_line() {
        let elastic = json!({"error": {"root_cause": [], "type": "index_not_found_exception",
            "reason": "no such index [.alerts]"}, "status": 404});
        assert_eq!(
            error_text(&elastic),
            "index_not_found_exception: no such index [.alerts]"
        );
        let splunk =
            json!({"messages": [{"type": "FATAL", "text": "Unknown search command 'x'."}]});
        assert_eq!(error_text(&splunk), "Unknown search command 'x'.");
        let analytics = json!({"error": {"message": "The request had some invalid properties",
            "code": "BadArgumentError"}});
        assert_eq!(
            error_text(&analytics),
            "BadArgumentError: The request had some invalid properties"
        );
        let entra = json!({"error": "invalid_client", "error_description": "AADSTS7000215"});
        assert_eq!(error_text(&entra), "invalid_client: AADSTS7000215");
    }

    #[test]
    fn times_read_in_each_vendors_format() {
        let expected = DateTime::parse_from_rfc3339("2026-11-29T10:00:42Z")
            .unwrap()
            .with_timezone(&Utc);
        for value in [
            json!("2026-11-29T10:00:42Z"),
            json!("2026-11-29T10:00:42.000+00:00"),
            json!("2026-11-29T11:00:42.000+0100"),
            json!(1_795_946_442_000_i64),
        ] {
            assert_eq!(parse_time(&value), Some(expected), "{value}");
        }
        assert_eq!(parse_time(&json!("yesterday")), None);
    }

    #[test]
    fn quoting_escapes_what_would_end_the_string() {
        assert_eq!(quoted(r#"a "b" \c"#), r#""a \"b\" \\c""#);
    }
}
