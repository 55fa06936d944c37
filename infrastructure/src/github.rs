//! The GitHub REST API adapter of the `GithubApi` port: a pull request's diff and check runs.
//!
//! Connections go through the webhooks' guarded resolver, so the configured API address obeys
//! the same SSRF rules (internal addresses only when the tenant's allow-list names them,
//! checked at every connection); proxies from the environment are ignored, redirects are not
//! followed, answers are bounded, and connecting and the whole request time out. Every request
//! carries the token as a Bearer, `X-GitHub-Api-Version: 2022-11-28` and a User-Agent (GitHub
//! refuses requests without one).

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};

use aegis_application::github::{
    CheckOutput, CheckUpdate, GithubApi, GithubApiError, GithubTarget, NewCheckRun,
};
use aegis_domain::github::RepositoryName;
use aegis_domain::webhook::{AllowList, TargetRefusal};

use crate::webhooks::{allowed_addresses, chain, guarded_client, judge_literal, parse_target};

/// The most of a JSON answer that is read.
const RESPONSE_LIMIT: usize = 1024 * 1024;
/// The most of GitHub's error message kept.
const MESSAGE_MAX: usize = 1000;
const API_VERSION: &str = "2022-11-28";

/// Timeouts of the GitHub client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GithubClientSettings {
    pub connect_timeout: Duration,
    pub total_timeout: Duration,
}

impl Default for GithubClientSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(30),
        }
    }
}

/// GitHub over HTTP.
#[derive(Debug, Clone, Default)]
pub struct HttpGithubApi {
    settings: GithubClientSettings,
}

impl HttpGithubApi {
    #[must_use]
    pub fn new(settings: GithubClientSettings) -> Self {
        Self { settings }
    }

    /// Sends the request built on `path` (below the API address) and returns the status and
    /// the body, read up to `limit` bytes (`Rejected` 413 beyond).
    async fn call(
        &self,
        target: &GithubTarget,
        segments: &[&str],
        limit: usize,
        build: impl FnOnce(&reqwest::Client, reqwest::Url) -> reqwest::RequestBuilder,
    ) -> Result<Vec<u8>, GithubApiError> {
        let mut url = reqwest::Url::parse(&format!("{}/", target.api_url))
            .map_err(|_| TargetRefusal::NotHttp)?;
        // Each part is an escaped path segment: a name never changes the path.
        url.path_segments_mut()
            .map_err(|()| TargetRefusal::NotHttp)?
            .pop_if_empty()
            .extend(segments);
        let parsed = parse_target(url.as_str())?;
        judge_literal(&parsed, &target.allow)?;
        let client = guarded_client(
            &target.allow,
            self.settings.connect_timeout,
            self.settings.total_timeout,
            concat!("Aegis-GitHub/", env!("CARGO_PKG_VERSION")),
        )
        .map_err(|e| GithubApiError::Unreachable(chain(&e)))?;
        let request = build(&client, parsed.url)
            .bearer_auth(&target.token)
            .header("x-github-api-version", API_VERSION);
        let mut response = request
            .send()
            .await
            .map_err(|e| GithubApiError::Unreachable(chain(&e)))?;
        let status = response.status();
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > limit {
                        return Err(GithubApiError::Rejected {
                            status: 413,
                            message: format!("the answer is larger than {limit} bytes"),
                        });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(error) => return Err(GithubApiError::Unreachable(chain(&error))),
            }
        }
        if status.is_success() {
            return Ok(body);
        }
        let json = serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null);
        let message = if status.is_redirection() {
            "redirects are not followed: check the configured API address".to_owned()
        } else {
            error_text(&json)
                .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect())
        };
        Err(GithubApiError::Rejected {
            status: status.as_u16(),
            message: message.chars().take(MESSAGE_MAX).collect(),
        })
    }
}

/// GitHub's error shape, `{message, errors: [{resource, field, code, message}]}`, as a line.
fn error_text(json: &Value) -> Option<String> {
    let message = json.get("message").and_then(Value::as_str)?;
    let details: Vec<String> = json
        .get("errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|e| match e {
            Value::String(text) => text.clone(),
            other => other
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| {
                    format!(
                        "{} {}",
                        other.get("field").and_then(Value::as_str).unwrap_or(""),
                        other.get("code").and_then(Value::as_str).unwrap_or("")
                    )
                }),
        })
        .collect();
    Some(if details.is_empty() {
        message.to_owned()
    } else {
        format!("{message}: {}", details.join("; "))
    })
}

fn output(output: &CheckOutput) -> Value {
    json!({
        "title": output.title,
        "summary": output.summary,
        "annotations": output.annotations.iter().map(|a| json!({
            "path": a.path,
            "start_line": a.start_line,
            "end_line": a.end_line,
            "annotation_level": a.level,
            "title": a.title,
            "message": a.message,
        })).collect::<Vec<_>>(),
    })
}

/// The body of a check run's update.
#[must_use]
pub fn update_body(update: &CheckUpdate) -> Value {
    let time =
        |at: &chrono::DateTime<chrono::Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    match update {
        CheckUpdate::Started { at } => json!({"status": "in_progress", "started_at": time(at)}),
        CheckUpdate::Annotate(out) => json!({"output": output(out)}),
        CheckUpdate::Completed {
            conclusion,
            at,
            output: out,
        } => json!({
            "status": "completed",
            "conclusion": conclusion,
            "completed_at": time(at),
            "output": output(out),
        }),
    }
}

#[async_trait]
impl GithubApi for HttpGithubApi {
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

    async fn pull_request_diff(
        &self,
        target: &GithubTarget,
        repository: &RepositoryName,
        number: u64,
        limit: usize,
    ) -> Result<Vec<u8>, GithubApiError> {
        let number = number.to_string();
        self.call(
            target,
            &[
                "repos",
                repository.owner(),
                repository.name(),
                "pulls",
                number.as_str(),
            ],
            limit,
            |client, url| {
                client
                    .get(url)
                    .header("accept", "application/vnd.github.diff")
            },
        )
        .await
    }

    async fn create_check_run(
        &self,
        target: &GithubTarget,
        repository: &RepositoryName,
        check: &NewCheckRun,
    ) -> Result<i64, GithubApiError> {
        let mut body = json!({
            "name": check.name,
            "head_sha": check.head_sha,
            "status": "queued",
            "external_id": check.external_id,
        });
        if let Some(url) = &check.details_url {
            body["details_url"] = json!(url);
        }
        let answer = self
            .call(
                target,
                &["repos", repository.owner(), repository.name(), "check-runs"],
                RESPONSE_LIMIT,
                |client, url| {
                    client
                        .post(url)
                        .header("accept", "application/vnd.github+json")
                        .json(&body)
                },
            )
            .await?;
        serde_json::from_slice::<Value>(&answer)
            .ok()
            .and_then(|json| json.get("id").and_then(Value::as_i64))
            .ok_or_else(|| {
                GithubApiError::Unreachable("the answer carries no check run id".to_owned())
            })
    }

    async fn update_check_run(
        &self,
        target: &GithubTarget,
        repository: &RepositoryName,
        id: i64,
        update: &CheckUpdate,
    ) -> Result<(), GithubApiError> {
        let id = id.to_string();
        let body = update_body(update);
        self.call(
            target,
            &[
                "repos",
                repository.owner(),
                repository.name(),
                "check-runs",
                id.as_str(),
            ],
            RESPONSE_LIMIT,
            |client, url| {
                client
                    .patch(url)
                    .header("accept", "application/vnd.github+json")
                    .json(&body)
            },
        )
        .await
        .map(|_| ())
    }
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]
mod tests {
    use super::*;

    #[test]
    fn github_errors_read_as_one_line() {
        let refused = json!({"message": "Validation Failed",
            "errors": [{"resource": "CheckRun", "field": "head_sha", "code": "invalid"}],
            "documentation_url": "https://docs.github.com/rest"});
        assert_eq!(
            error_text(&refused).unwrap(),
            "Validation Failed: head_sha invalid"
        );
        assert_eq!(
            error_text(&json!({"message": "Not Found"})).unwrap(),
            "Not Found"
        );
        assert!(error_text(&Value::Null).is_none());
    }

    #[tokio::test]
    async fn internal_addresses_are_refused_before_any_request() {
        let api = HttpGithubApi::default();
        let target = GithubTarget {
            api_url: "http://169.254.169.254".to_owned(),
            token: "t".to_owned(),
            allow: AllowList::default(),
        };
        let repository = RepositoryName::parse("acme/rules").unwrap();
        let refused = api.pull_request_diff(&target, &repository, 1, 1024).await;
        assert!(
            matches!(
                &refused,
                Err(GithubApiError::Refused(TargetRefusal::Address { .. }))
            ),
            "{refused:?}"
        );
    }
}
