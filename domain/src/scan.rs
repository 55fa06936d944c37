//! Detection as code: a pipeline sends the diff of its detection repository and Aegis answers
//! pass or fail with a signed result. This module holds the pure part: the diff reader
//! (`diff`), the injection and hazard rules (`hazards`), findings and their fingerprints, the
//! policy and the decision, and the canonical artifact (`artifact`).

pub mod artifact;
pub mod diff;
pub mod hazards;

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::id::Id;
use crate::tenant::TenantId;
use crate::user::UserId;

pub type ScanId = Id<Scan>;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Self; 5] = [
        Self::Info,
        Self::Low,
        Self::Medium,
        Self::High,
        Self::Critical,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing a scan found in a diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub severity: Severity,
    pub file: String,
    /// The new side's line; `None` for what concerns the whole file (its name, its parse).
    pub line: Option<u32>,
    pub message: String,
    pub suggestion: String,
    /// SHA-256 of the rule, the file and the matched content: stable when the line moves.
    pub fingerprint: String,
    /// The suppression, exception or baseline that let it through, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waived: Option<crate::scan_policy::Waived>,
}

impl Finding {
    /// A finding whose fingerprint is made of the rule, the file and `matched` (whitespace
    /// collapsed, so re-indenting does not change it).
    #[must_use]
    pub fn new(
        rule_id: &str,
        severity: Severity,
        file: &str,
        line: Option<u32>,
        matched: &str,
        message: impl Into<String>,
        suggestion: impl Into<String>,
    ) -> Self {
        Self {
            rule_id: rule_id.to_owned(),
            severity,
            file: file.to_owned(),
            line,
            message: message.into(),
            suggestion: suggestion.into(),
            fingerprint: fingerprint(rule_id, file, matched),
            waived: None,
        }
    }
}

/// SHA-256 (hex) of `rule_id`, `file` and the normalized `matched` content, NUL-separated.
#[must_use]
pub fn fingerprint(rule_id: &str, file: &str, matched: &str) -> String {
    let normalized = matched.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut hasher = Sha256::new();
    hasher.update(rule_id.as_bytes());
    hasher.update([0]);
    hasher.update(file.as_bytes());
    hasher.update([0]);
    hasher.update(normalized.as_bytes());
    hex::encode(hasher.finalize())
}

/// Orders findings by file, line and rule, and drops exact repeats (same fingerprint and line).
pub fn sort_findings(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| {
        (&a.file, a.line, &a.rule_id, &a.fingerprint).cmp(&(
            &b.file,
            b.line,
            &b.rule_id,
            &b.fingerprint,
        ))
    });
    findings.dedup_by(|a, b| a.fingerprint == b.fingerprint && a.line == b.line);
}

/// What an internal failure decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorMode {
    /// A scan that cannot finish lets the change through.
    FailOpen,
    /// A scan that cannot finish stops the change (`error`).
    FailClosed,
}

impl ErrorMode {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::FailOpen => "fail_open",
            Self::FailClosed => "fail_closed",
        }
    }
}

/// Which findings block a change, and what an internal failure decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanPolicy {
    /// Findings at this severity or above block.
    pub block_at: Severity,
    /// Rules that block whatever their severity.
    pub always_block: BTreeSet<String>,
    /// Rules that never block (reported only).
    pub never_block: BTreeSet<String>,
    pub error_mode: ErrorMode,
    /// Hosts tests may download and run code from (`raw.githubusercontent.com`); a subdomain
    /// of a listed host is allowed too.
    pub download_allow_list: Vec<String>,
}

impl Default for ScanPolicy {
    /// Block at high and above; an internal failure stops the change.
    fn default() -> Self {
        Self {
            block_at: Severity::High,
            always_block: BTreeSet::new(),
            never_block: BTreeSet::new(),
            error_mode: ErrorMode::FailClosed,
            download_allow_list: vec![
                "github.com".to_owned(),
                "raw.githubusercontent.com".to_owned(),
            ],
        }
    }
}

impl ScanPolicy {
    /// Whether `finding` blocks under this policy.
    #[must_use]
    pub fn blocks(&self, finding: &Finding) -> bool {
        if finding.waived.is_some() || self.never_block.contains(&finding.rule_id) {
            return false;
        }
        self.always_block.contains(&finding.rule_id) || finding.severity >= self.block_at
    }

    /// Whether `host` is one tests may download from.
    #[must_use]
    pub fn allows_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.download_allow_list.iter().any(|allowed| {
            let allowed = allowed.to_ascii_lowercase();
            host == allowed || host.ends_with(&format!(".{allowed}"))
        })
    }

    /// The decision on a scan that ran to its end.
    #[must_use]
    pub fn decide(&self, findings: &[Finding]) -> Decision {
        if findings.iter().any(|f| self.blocks(f)) {
            Decision::Fail
        } else {
            Decision::Pass
        }
    }

    /// The decision on a scan that could not run to its end.
    #[must_use]
    pub const fn decide_failure(&self) -> Decision {
        match self.error_mode {
            ErrorMode::FailOpen => Decision::Pass,
            ErrorMode::FailClosed => Decision::Error,
        }
    }
}

/// The answer to a pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Pass,
    Fail,
    Error,
}

impl Decision {
    pub const ALL: [Self; 3] = [Self::Pass, Self::Fail, Self::Error];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Error => "error",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == text)
    }
}

/// Where a scan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanStatus {
    Queued,
    Running,
    Completed,
    Error,
}

impl ScanStatus {
    pub const ALL: [Self; 4] = [Self::Queued, Self::Running, Self::Completed, Self::Error];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Error => "error",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Where the diff came from, as the pipeline says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanSource {
    pub repository: Option<String>,
    pub commit: Option<String>,
    pub base: Option<String>,
    pub pull_request: Option<String>,
}

/// How the change moves the tenant's coverage.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageDelta {
    /// Techniques an added rule tags that no rule of the catalog covered.
    pub gained: Vec<String>,
    /// Techniques whose only rule of the catalog the change deletes.
    pub lost: Vec<String>,
    /// Proven detection assets (rule ids) whose logic the change alters: their proof ends.
    pub proven_changed: Vec<String>,
}

/// One submitted diff and, once run, its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    pub id: ScanId,
    pub tenant_id: TenantId,
    pub source: ScanSource,
    pub diff_sha256: String,
    pub diff_bytes: u64,
    /// Where the raw diff is (`diffs/{id}.patch`).
    pub diff_key: String,
    pub status: ScanStatus,
    pub decision: Option<Decision>,
    pub policy: ScanPolicy,
    pub findings: Vec<Finding>,
    pub coverage: CoverageDelta,
    /// The files the diff touched.
    pub files: u32,
    /// Why the last attempt failed.
    pub error: Option<String>,
    pub attempts: u32,
    /// Until when the worker that claimed it holds it.
    pub lease_until: Option<DateTime<Utc>>,
    pub submitted_by: UserId,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    /// The signed canonical artifact, once completed.
    pub artifact: Option<String>,
    /// When the raw diff passed its tenant's retention and was handed to the evidence sweep
    /// for deletion; the scan keeps `diff_sha256`.
    pub diff_deleted_at: Option<DateTime<Utc>>,
}

impl Scan {
    /// The evidence-store key of a scan's raw diff.
    #[must_use]
    pub fn diff_key_of(id: ScanId) -> String {
        format!("diffs/{id}.patch")
    }
}

/// How long a scan's raw diff is kept when its tenant has not said.
pub const DEFAULT_DIFF_RETENTION_DAYS: u32 = 90;

/// The longest retention a tenant may choose: ten years.
pub const MAX_DIFF_RETENTION_DAYS: u32 = 3650;

/// The upper bounds, in milliseconds, of the scan latency histogram's buckets (submission to
/// decision): a queue that keeps up decides within seconds, and P95 beyond a minute is an
/// outage worth its own buckets.
pub const LATENCY_BUCKETS_MS: [u64; 12] = [
    250, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 900_000, 3_600_000,
];

/// The scan queue as an operator watches it, over every tenant (`/metrics`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanQueueStats {
    pub queued: u64,
    pub running: u64,
    pub completed: u64,
    /// Scans that ended in `error` once their attempts ran out: the queue's dead letters.
    pub dead_letters: u64,
    /// Decided scans whose latency is at most each bound of `LATENCY_BUCKETS_MS`, in order
    /// (cumulative, as a Prometheus histogram counts).
    pub latency_buckets: Vec<u64>,
    pub latency_count: u64,
    pub latency_sum_ms: u64,
    /// Diffs past retention, marked and handed to the evidence sweep.
    pub diffs_expired: u64,
    /// Of those, the ones whose object the sweep has not removed yet.
    pub diffs_awaiting_deletion: u64,
}

/// SHA-256 (hex) of the raw diff.
#[must_use]
pub fn diff_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule: &str, severity: Severity) -> Finding {
        Finding::new(rule, severity, "a.yml", Some(1), "x", "m", "s")
    }

    #[test]
    fn the_default_policy_blocks_at_high() {
        let policy = ScanPolicy::default();
        assert_eq!(policy.decide(&[]), Decision::Pass);
        assert_eq!(
            policy.decide(&[finding("r", Severity::Medium)]),
            Decision::Pass
        );
        assert_eq!(
            policy.decide(&[finding("r", Severity::High)]),
            Decision::Fail
        );
        assert_eq!(
            policy.decide(&[finding("r", Severity::Critical)]),
            Decision::Fail
        );
        assert_eq!(policy.decide_failure(), Decision::Error);
    }

    #[test]
    fn rules_can_be_made_to_block_or_not() {
        let mut policy = ScanPolicy::default();
        policy.always_block.insert("low-rule".to_owned());
        policy.never_block.insert("loud-rule".to_owned());
        assert_eq!(
            policy.decide(&[finding("low-rule", Severity::Info)]),
            Decision::Fail
        );
        assert_eq!(
            policy.decide(&[finding("loud-rule", Severity::Critical)]),
            Decision::Pass
        );
        policy.error_mode = ErrorMode::FailOpen;
        assert_eq!(policy.decide_failure(), Decision::Pass);
    }

    #[test]
    fn fingerprints_ignore_lines_and_indentation() {
        let a = Finding::new("r", Severity::Low, "f", Some(3), "  a   b", "", "");
        let b = Finding::new("r", Severity::Low, "f", Some(90), "a b", "", "");
        let c = Finding::new("r", Severity::Low, "g", Some(3), "a b", "", "");
        assert_eq!(a.fingerprint, b.fingerprint);
        assert_ne!(a.fingerprint, c.fingerprint);
        assert_eq!(a.fingerprint.len(), 64);
    }

    #[test]
    fn allowed_hosts_include_subdomains_only() {
        let policy = ScanPolicy::default();
        assert!(policy.allows_host("raw.githubusercontent.com"));
        assert!(policy.allows_host("api.github.com"));
        assert!(!policy.allows_host("evilgithub.com"));
        assert!(!policy.allows_host("github.com.evil.example"));
    }
}
