//! The Jira Cloud (REST v3) and Tempo (REST v4) adapter of the `TicketTracker` port.
//!
//! Connections go through the webhooks' guarded resolver, so the configured addresses obey
//! the same SSRF rules (internal addresses only when the tenant's allow-list names them,
//! checked at every connection); proxies from the environment are ignored, redirects are not
//! followed, answers are read up to 1 MiB, and connecting and the whole request time out.
//! Descriptions are written in the Atlassian Document Format that REST v3 requires.

use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use aegis_application::tickets::{
    CreatedIssue, IssueDraft, IssueLink, IssueStatus, JiraTarget, TempoTarget, TempoWorklog,
    TicketTracker, TrackerError,
};
use aegis_domain::ticket::StatusCategory;
use aegis_domain::webhook::{AllowList, TargetRefusal};

use crate::webhooks::{allowed_addresses, chain, guarded_client, judge_literal, parse_target};

/// The most of an answer that is read.
const RESPONSE_LIMIT: usize = 1024 * 1024;
/// The most of a tracker's error message kept (it goes to the client and the ticket).
const MESSAGE_MAX: usize = 1000;

/// Timeouts of the tracker client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackerClientSettings {
    pub connect_timeout: Duration,
    pub total_timeout: Duration,
}

impl Default for TrackerClientSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(20),
        }
    }
}

/// Jira and Tempo over HTTP.
#[derive(Debug, Clone, Default)]
pub struct HttpTicketTracker {
    settings: TrackerClientSettings,
}

impl HttpTicketTracker {
    #[must_use]
    pub fn new(settings: TrackerClientSettings) -> Self {
        Self { settings }
    }

    fn client(&self, allow: &AllowList) -> Result<reqwest::Client, reqwest::Error> {
        guarded_client(
            allow,
            self.settings.connect_timeout,
            self.settings.total_timeout,
            concat!("Aegis-Tickets/", env!("CARGO_PKG_VERSION")),
        )
    }

    /// Sends `request` to `url` and returns the status and the JSON answer (bounded).
    async fn call(
        &self,
        system: &'static str,
        allow: &AllowList,
        url: &str,
        build: impl FnOnce(&reqwest::Client, reqwest::Url) -> reqwest::RequestBuilder,
    ) -> Result<Value, TrackerError> {
        let unreachable = |message: String| TrackerError::Unreachable { system, message };
        let target = parse_target(url)?;
        judge_literal(&target, allow)?;
        let client = self.client(allow).map_err(|e| unreachable(chain(&e)))?;
        let mut response = build(&client, target.url)
            .send()
            .await
            .map_err(|e| unreachable(chain(&e)))?;
        let status = response.status();
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > RESPONSE_LIMIT {
                        return Err(unreachable(format!(
                            "the answer is larger than {RESPONSE_LIMIT} bytes"
                        )));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(error) => return Err(unreachable(chain(&error))),
            }
        }
        let json = serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(json);
        }
        let message = if status.is_redirection() {
            "redirects are not followed: check the configured address".to_owned()
        } else if matches!(status.as_u16(), 401 | 403) && error_text(&json).is_empty() {
            "the credentials were refused".to_owned()
        } else {
            let text = error_text(&json);
            if text.is_empty() {
                String::from_utf8_lossy(&body).chars().take(200).collect()
            } else {
                text
            }
        };
        Err(TrackerError::Rejected {
            system,
            status: status.as_u16(),
            message: message.chars().take(MESSAGE_MAX).collect(),
        })
    }
}

/// Jira's error shape, `{errorMessages: [...], errors: {field: message}}` (Tempo's is
/// `{errors: [{message}]}`), as one line.
fn error_text(json: &Value) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(messages) = json.get("errorMessages").and_then(Value::as_array) {
        parts.extend(messages.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    match json.get("errors") {
        Some(Value::Object(fields)) => {
            parts.extend(
                fields
                    .iter()
                    .map(|(field, message)| match message.as_str() {
                        Some(text) => format!("{field}: {text}"),
                        None => format!("{field}: {message}"),
                    }),
            )
        }
        Some(Value::Array(errors)) => parts.extend(
            errors
                .iter()
                .filter_map(|e| e.get("message").and_then(Value::as_str))
                .map(str::to_owned),
        ),
        _ => {}
    }
    parts.join("; ")
}

fn basic(target: &JiraTarget) -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", target.email, target.api_token))
    )
}

/// A text node; ADF refuses empty ones, so callers skip empty text.
fn text(value: &str) -> Value {
    json!({"type": "text", "text": value})
}

fn linked(link: &IssueLink) -> Value {
    match &link.url {
        Some(url) => json!({"type": "text", "text": link.text,
            "marks": [{"type": "link", "attrs": {"href": url}}]}),
        None => text(&link.text),
    }
}

fn paragraph(content: Vec<Value>) -> Value {
    json!({"type": "paragraph", "content": content})
}

fn heading(title: &str) -> Value {
    json!({"type": "heading", "attrs": {"level": 3}, "content": [text(title)]})
}

fn bullets(items: Vec<Value>) -> Value {
    json!({"type": "bulletList", "content": items.into_iter()
        .map(|item| json!({"type": "listItem", "content": [paragraph(vec![item])]}))
        .collect::<Vec<_>>()})
}

/// The description in the Atlassian Document Format: what was tested and what the defence
/// did, what red ran, and links to the finding, the test and each evidence file in Aegis.
#[must_use]
pub fn description(draft: &IssueDraft) -> Value {
    let mut content = vec![paragraph(vec![
        text("Aegis found a gap: technique "),
        json!({"type": "text", "text": draft.technique, "marks": [{"type": "strong"}]}),
        text(" was "),
        json!({"type": "text", "text": draft.outcome, "marks": [{"type": "strong"}]}),
        text(&format!(" (severity {}).", draft.severity)),
    ])];
    let mut facts = vec![text(&format!("Technique: {}", draft.technique))];
    facts.push(text(&format!("Outcome: {}", draft.outcome)));
    facts.push(text(&format!("Severity: {}", draft.severity)));
    if !draft.test_title.is_empty() {
        facts.push(text(&format!("Test: {}", draft.test_title)));
    }
    if let Some(due) = draft.due_on {
        facts.push(text(&format!("Fix due by: {due}")));
    }
    content.push(bullets(facts));
    if !draft.execution.trim().is_empty() {
        content.push(heading("What was executed"));
        content.push(json!({"type": "codeBlock", "content": [text(draft.execution.trim())]}));
    }
    content.push(heading("In Aegis"));
    content.push(bullets(
        draft
            .links
            .iter()
            .filter(|l| !l.text.is_empty())
            .map(linked)
            .collect(),
    ));
    if !draft.evidence.is_empty() {
        content.push(heading("Evidence"));
        content.push(bullets(
            draft
                .evidence
                .iter()
                .filter(|l| !l.text.is_empty())
                .map(linked)
                .collect(),
        ));
    }
    json!({"type": "doc", "version": 1, "content": content})
}

fn field<'a>(json: &'a Value, name: &str) -> Option<&'a str> {
    json.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

#[async_trait]
impl TicketTracker for HttpTicketTracker {
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

    async fn create_issue(
        &self,
        target: &JiraTarget,
        draft: &IssueDraft,
    ) -> Result<CreatedIssue, TrackerError> {
        let body = json!({
            "fields": {
                "project": {"key": draft.project_key},
                "issuetype": {"name": draft.issue_type},
                "summary": draft.summary,
                "description": description(draft),
                "labels": draft.labels,
            }
        });
        let url = format!("{}/rest/api/3/issue", target.base_url);
        let answer = self
            .call("Jira", &target.allow, &url, |client, url| {
                client
                    .post(url)
                    .header("authorization", basic(target))
                    .header("accept", "application/json")
                    .json(&body)
            })
            .await?;
        let (Some(id), Some(key)) = (field(&answer, "id"), field(&answer, "key")) else {
            return Err(TrackerError::Unreachable {
                system: "Jira",
                message: "the answer carries no issue id and key".to_owned(),
            });
        };
        Ok(CreatedIssue {
            id: id.to_owned(),
            key: key.to_owned(),
            browse_url: format!("{}/browse/{key}", target.base_url),
        })
    }

    async fn issue_status(
        &self,
        target: &JiraTarget,
        key: &str,
    ) -> Result<IssueStatus, TrackerError> {
        let mut url = reqwest::Url::parse(&format!("{}/", target.base_url))
            .map_err(|_| TargetRefusal::NotHttp)?;
        // The key is a path segment, escaped: a hand-made link's key never changes the path.
        url.path_segments_mut()
            .map_err(|()| TargetRefusal::NotHttp)?
            .pop_if_empty()
            .extend(["rest", "api", "3", "issue", key]);
        url.query_pairs_mut().append_pair("fields", "status");
        let answer = self
            .call("Jira", &target.allow, url.as_str(), |client, url| {
                client
                    .get(url)
                    .header("authorization", basic(target))
                    .header("accept", "application/json")
            })
            .await?;
        let status = &answer["fields"]["status"];
        let Some(name) = field(status, "name") else {
            return Err(TrackerError::Unreachable {
                system: "Jira",
                message: "the answer carries no fields.status.name".to_owned(),
            });
        };
        Ok(IssueStatus {
            id: field(&answer, "id").unwrap_or_default().to_owned(),
            name: name.to_owned(),
            category: status["statusCategory"]["key"]
                .as_str()
                .map_or(StatusCategory::Unknown, StatusCategory::parse),
        })
    }

    async fn push_worklog(
        &self,
        target: &TempoTarget,
        worklog: &TempoWorklog,
    ) -> Result<String, TrackerError> {
        let issue_id: i64 = worklog
            .issue_id
            .parse()
            .map_err(|_| TrackerError::Rejected {
                system: "Tempo",
                status: 0,
                message: format!("the Jira issue id {} is not numeric", worklog.issue_id),
            })?;
        let body = json!({
            "issueId": issue_id,
            "timeSpentSeconds": worklog.seconds,
            "startDate": worklog.started_at.format("%Y-%m-%d").to_string(),
            "startTime": worklog.started_at.format("%H:%M:%S").to_string(),
            "authorAccountId": worklog.author_account_id,
            "description": worklog.description,
        });
        let url = format!("{}/4/worklogs", target.base_url);
        let answer = self
            .call("Tempo", &target.allow, &url, |client, url| {
                client
                    .post(url)
                    .bearer_auth(&target.token)
                    .header("accept", "application/json")
                    .json(&body)
            })
            .await?;
        match &answer["tempoWorklogId"] {
            Value::Number(id) => Ok(id.to_string()),
            Value::String(id) if !id.is_empty() => Ok(id.clone()),
            _ => Err(TrackerError::Unreachable {
                system: "Tempo",
                message: "the answer carries no tempoWorklogId".to_owned(),
            }),
        }
    }
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]
mod tests {
    use super::*;

    fn draft() -> IssueDraft {
        IssueDraft {
            project_key: "SEC".to_owned(),
            issue_type: "Task".to_owned(),
            summary: "[Aegis] T1059.001 not detected: PowerShell".to_owned(),
            labels: vec!["aegis".to_owned()],
            technique: "T1059.001".to_owned(),
            outcome: "not detected".to_owned(),
            severity: "high".to_owned(),
            test_title: "PowerShell".to_owned(),
            execution: "Ran: powershell -enc ...".to_owned(),
            due_on: None,
            links: vec![
                IssueLink {
                    text: "Finding in Aegis".to_owned(),
                    url: Some("https://aegis.example/findings/1".to_owned()),
                },
                IssueLink {
                    text: "Test in Aegis".to_owned(),
                    url: None,
                },
            ],
            evidence: vec![IssueLink {
                text: "capture.pcap (SHA-256 ab)".to_owned(),
                url: Some("https://aegis.example/tests/1#evidence-2".to_owned()),
            }],
        }
    }

    /// Every node of the document is one ADF knows, and no text node is empty.
    fn check_nodes(node: &Value) {
        let kind = node["type"].as_str().unwrap();
        assert!(
            [
                "doc",
                "paragraph",
                "text",
                "heading",
                "bulletList",
                "listItem",
                "codeBlock"
            ]
            .contains(&kind),
            "{kind}"
        );
        if kind == "text" {
            assert!(!node["text"].as_str().unwrap().is_empty(), "{node}");
        }
        for child in node["content"].as_array().into_iter().flatten() {
            check_nodes(child);
        }
    }

    #[test]
    fn the_description_is_an_adf_document_with_the_links() {
        let doc = description(&draft());
        assert_eq!(doc["type"], "doc");
        assert_eq!(doc["version"], 1);
        check_nodes(&doc);
        let text = doc.to_string();
        assert!(text.contains("T1059.001"));
        assert!(text.contains(r#""href":"https://aegis.example/findings/1""#));
        assert!(text.contains("capture.pcap (SHA-256 ab)"));
        assert!(text.contains("codeBlock"));
    }

    #[test]
    fn jira_and_tempo_errors_read_as_one_line() {
        let jira = json!({"errorMessages": ["Bad request"],
                          "errors": {"project": "project is required"}});
        assert_eq!(
            error_text(&jira),
            "Bad request; project: project is required"
        );
        let tempo = json!({"errors": [{"message": "Issue not found"}]});
        assert_eq!(error_text(&tempo), "Issue not found");
        assert_eq!(error_text(&Value::Null), "");
    }

    #[tokio::test]
    async fn internal_addresses_are_refused_before_any_request() {
        let tracker = HttpTicketTracker::default();
        let target = JiraTarget {
            base_url: "http://169.254.169.254".to_owned(),
            email: "a@b.c".to_owned(),
            api_token: "t".to_owned(),
            allow: AllowList::default(),
        };
        let refused = tracker.issue_status(&target, "SEC-1").await;
        assert!(
            matches!(
                &refused,
                Err(TrackerError::Refused(TargetRefusal::Address { .. }))
            ),
            "{refused:?}"
        );
        assert!(
            tracker
                .check_target("http://localhost:9/", &AllowList::default())
                .await
                .is_err()
        );
    }
}
