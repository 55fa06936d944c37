//! GitHub: a tenant's integration (the API it calls, the repositories it serves), the webhook
//! deliveries it received (each once), and the check runs that report scans back on pull
//! requests. Pure: the signature check, the repository names, the check-run stages and the
//! conclusion and annotations a finished scan reports.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::scan::{Decision, ErrorMode, Scan, ScanId, ScanStatus, Severity};
use crate::tenant::TenantId;
use crate::user::UserId;

/// GitHub.com's REST API; an Enterprise Server's is `https://HOST/api/v3`.
pub const GITHUB_API_URL: &str = "https://api.github.com";
/// The name a check run has unless the admin chose another.
pub const DEFAULT_CHECK_NAME: &str = "Aegis detection scan";
/// GitHub's limit of annotations per check-run request.
pub const ANNOTATIONS_PER_REQUEST: usize = 50;
/// The most repositories one integration serves.
pub const REPOSITORIES_MAX: usize = 200;

/// A repository as GitHub names it: `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepositoryName {
    owner: String,
    name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a GitHub repository name (owner/name)")]
pub struct InvalidRepository(pub String);

impl RepositoryName {
    /// Parses `owner/name`: an owner of letters, digits and `-` (at most 39), a name of
    /// letters, digits, `-`, `_` and `.` (at most 100, not `.` or `..`). Compared without case,
    /// as GitHub does.
    ///
    /// # Errors
    /// `InvalidRepository` otherwise.
    pub fn parse(text: &str) -> Result<Self, InvalidRepository> {
        let refuse = || InvalidRepository(text.chars().take(200).collect());
        let (owner, name) = text.trim().split_once('/').ok_or_else(refuse)?;
        let owner_ok = !owner.is_empty()
            && owner.len() <= 39
            && owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        let name_ok = !name.is_empty()
            && name.len() <= 100
            && name != "."
            && name != ".."
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !owner_ok || !name_ok {
            return Err(refuse());
        }
        Ok(Self {
            owner: owner.to_ascii_lowercase(),
            name: name.to_ascii_lowercase(),
        })
    }

    #[must_use]
    pub fn owner(&self) -> &str {
        &self.owner
    }

    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    #[must_use]
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

impl std::fmt::Display for RepositoryName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// Whether `header` (`X-Hub-Signature-256`: `sha256=` and the hex HMAC-SHA256 of the raw
/// body under the webhook secret) signs `body`. Compared in constant time by `hmac`.
#[must_use]
pub fn signature_matches(secret: &str, body: &[u8], header: &str) -> bool {
    let Some(hex_digest) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_digest) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// The `X-Hub-Signature-256` value GitHub sends for `body`.
#[must_use]
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        // HMAC takes a key of any length; this arm is never taken.
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A tenant's GitHub integration, its token and secret sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct GithubConfig {
    pub tenant_id: TenantId,
    /// Without a trailing slash.
    pub api_url: String,
    pub token_sealed: Vec<u8>,
    pub webhook_secret_sealed: Vec<u8>,
    pub repositories: Vec<RepositoryName>,
    pub active: bool,
    pub check_name: String,
    /// The service account scans from GitHub are submitted as.
    pub service_user: UserId,
    pub updated_by: UserId,
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for GithubConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubConfig")
            .field("tenant_id", &self.tenant_id)
            .field("api_url", &self.api_url)
            .field("repositories", &self.repositories)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

impl GithubConfig {
    /// Whether this integration takes webhooks of `repository`.
    #[must_use]
    pub fn serves(&self, repository: &RepositoryName) -> bool {
        self.active && self.repositories.contains(repository)
    }
}

/// What became of a webhook delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryResult {
    /// A pull request's diff was fetched and submitted: the delivery names its scan.
    Scanned,
    /// An event or action that is not scanned (or a ping).
    Ignored,
    /// The diff could not be fetched: the same delivery, redelivered, is tried again.
    Failed,
}

impl DeliveryResult {
    pub const ALL: [Self; 3] = [Self::Scanned, Self::Ignored, Self::Failed];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Scanned => "scanned",
            Self::Ignored => "ignored",
            Self::Failed => "failed",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// One webhook delivery, by GitHub's `X-GitHub-Delivery` id (unique per tenant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubDelivery {
    pub tenant_id: TenantId,
    pub delivery_id: String,
    pub event: String,
    pub action: Option<String>,
    pub repository: Option<String>,
    pub pull_request: Option<u64>,
    pub head_sha: Option<String>,
    pub result: DeliveryResult,
    pub scan_id: Option<ScanId>,
    pub error: Option<String>,
    pub received_at: DateTime<Utc>,
}

/// Whether a `pull_request` event's action changes the code under review.
#[must_use]
pub fn scans_action(action: &str) -> bool {
    matches!(action, "opened" | "synchronize" | "reopened")
}

/// How far a check run has been reported to GitHub; each stage is sent once, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CheckStage {
    /// Nothing sent yet.
    Pending,
    Queued,
    InProgress,
    Completed,
}

impl CheckStage {
    pub const ALL: [Self; 4] = [
        Self::Pending,
        Self::Queued,
        Self::InProgress,
        Self::Completed,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Queued => "queued",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The stage a scan in `status` has reached.
    #[must_use]
    pub const fn of(status: ScanStatus) -> Self {
        match status {
            ScanStatus::Queued => Self::Queued,
            ScanStatus::Running => Self::InProgress,
            ScanStatus::Completed | ScanStatus::Error => Self::Completed,
        }
    }

    /// The stage that follows this one.
    #[must_use]
    pub const fn next(self) -> Option<Self> {
        match self {
            Self::Pending => Some(Self::Queued),
            Self::Queued => Some(Self::InProgress),
            Self::InProgress => Some(Self::Completed),
            Self::Completed => None,
        }
    }
}

/// The check run that reports a scan from GitHub back on its pull request: an outbox row the
/// `github_checks` job works through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRun {
    pub tenant_id: TenantId,
    pub scan_id: ScanId,
    pub repository: RepositoryName,
    pub head_sha: String,
    /// GitHub's id, once created.
    pub github_id: Option<i64>,
    pub stage: CheckStage,
    /// Annotations already sent: batches go out one request at a time, and a retry resumes
    /// after the last one GitHub took.
    pub annotations_sent: u32,
    pub attempts: u32,
    /// When to try again after a failure; `None` when nothing failed.
    pub retry_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Set when the reporting was given up after too many failures.
    pub abandoned: bool,
    pub updated_at: DateTime<Utc>,
}

/// A finished scan's conclusion: pass is `success`, fail `failure`; a scan that could not
/// finish follows the policy's error mode (`failure` when closed, `neutral` when open).
#[must_use]
pub fn conclusion(scan: &Scan) -> &'static str {
    if scan.status == ScanStatus::Error {
        return match scan.policy.error_mode {
            ErrorMode::FailClosed => "failure",
            ErrorMode::FailOpen => "neutral",
        };
    }
    match scan.decision {
        Some(Decision::Pass) => "success",
        Some(Decision::Fail | Decision::Error) | None => "failure",
    }
}

/// One annotation of a check run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub path: String,
    pub start_line: u32,
    pub end_line: u32,
    /// `failure` for a finding that blocks, `warning` otherwise.
    pub level: &'static str,
    pub title: String,
    pub message: String,
}

/// The annotations of a finished scan, one per finding. A finding about the whole file is
/// put on its first line: GitHub requires a line.
#[must_use]
pub fn annotations(scan: &Scan) -> Vec<Annotation> {
    scan.findings
        .iter()
        .map(|finding| {
            let line = finding.line.unwrap_or(1).max(1);
            let mut message = finding.message.clone();
            if !finding.suggestion.is_empty() {
                message.push_str("\n\n");
                message.push_str(&finding.suggestion);
            }
            if let Some(waived) = &finding.waived {
                message.push_str(&format!(
                    "\n\nWaived ({}): {}",
                    waived.kind.as_str(),
                    waived.reason
                ));
            }
            Annotation {
                path: finding.file.clone(),
                start_line: line,
                end_line: line,
                level: if scan.policy.blocks(finding) {
                    "failure"
                } else {
                    "warning"
                },
                title: finding.rule_id.clone(),
                message: message.chars().take(64 * 1024).collect(),
            }
        })
        .collect()
}

/// The check run's title and summary: the decision, the findings by severity, the coverage.
#[must_use]
pub fn summary(scan: &Scan) -> (String, String) {
    let blocking = scan
        .findings
        .iter()
        .filter(|f| scan.policy.blocks(f))
        .count();
    let decision = scan.decision.map_or("error", Decision::as_str);
    let title = match (scan.status, blocking) {
        (ScanStatus::Error, _) => "The scan could not finish".to_owned(),
        (_, 0) => format!("Pass: {} findings, none blocking", scan.findings.len()),
        (_, n) => format!("Fail: {n} blocking of {} findings", scan.findings.len()),
    };
    let mut text = format!("**Decision: {decision}** ({} files)\n\n", scan.files);
    text.push_str("| severity | findings |\n|---|---|\n");
    for severity in Severity::ALL.iter().rev() {
        let count = scan
            .findings
            .iter()
            .filter(|f| f.severity == *severity)
            .count();
        text.push_str(&format!("| {severity} | {count} |\n"));
    }
    let list = |items: &[String]| {
        if items.is_empty() {
            "none".to_owned()
        } else {
            items.join(", ")
        }
    };
    text.push_str(&format!(
        "\nCoverage: gained {}; lost {}; proven detections changed {}.\n",
        list(&scan.coverage.gained),
        list(&scan.coverage.lost),
        list(&scan.coverage.proven_changed),
    ));
    if let Some(error) = &scan.error {
        text.push_str(&format!("\nError: {error}\n"));
    }
    (title, text)
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]
mod tests {
    use super::*;

    /// GitHub's documented example ("Validating webhook deliveries").
    #[test]
    fn the_documented_signature_verifies_and_a_changed_byte_does_not() {
        let secret = "It's a Secret to Everybody";
        let body = b"Hello, World!";
        let header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert_eq!(signature(secret, body), header);
        assert!(signature_matches(secret, body, header));
        assert!(!signature_matches(secret, b"Hello, World?", header));
        assert!(!signature_matches("another secret", body, header));
        assert!(!signature_matches(
            secret,
            body,
            &header.replace("sha256=", "sha1=")
        ));
        assert!(!signature_matches(secret, body, "sha256=zz"));
        assert!(!signature_matches(secret, body, ""));
        assert!(!signature_matches(
            secret,
            body,
            &header[..header.len() - 2]
        ));
    }

    #[test]
    fn repository_names_parse_like_github_and_compare_without_case() {
        let name = RepositoryName::parse("Acme/Detection-Rules.v2").unwrap();
        assert_eq!(name.full_name(), "acme/detection-rules.v2");
        assert_eq!(
            name,
            RepositoryName::parse("acme/detection-rules.V2").unwrap()
        );
        for bad in [
            "acme", "/x", "acme/", "a/b/c", "acme/..", "ac me/x", "a_b/x",
        ] {
            assert!(RepositoryName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn stages_follow_the_scan_in_order() {
        assert_eq!(CheckStage::of(ScanStatus::Queued), CheckStage::Queued);
        assert_eq!(CheckStage::of(ScanStatus::Running), CheckStage::InProgress);
        assert_eq!(CheckStage::of(ScanStatus::Error), CheckStage::Completed);
        assert_eq!(CheckStage::Pending.next(), Some(CheckStage::Queued));
        assert_eq!(CheckStage::Completed.next(), None);
        assert!(CheckStage::Queued < CheckStage::Completed);
        assert!(scans_action("synchronize") && !scans_action("closed"));
    }
}
