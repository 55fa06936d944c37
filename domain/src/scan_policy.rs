//! What a tenant decides about its scans: the policy profile new scans are decided under, and
//! the waivers that let a finding through without blocking. A suppression waives one finding
//! (its fingerprint) wherever it appears; a baseline accepts a repository's findings as they
//! were at one scan, so that only new ones block; an exception waives one rule under a path
//! pattern. Each has an author and a reason; suppressions and exceptions may expire, and an
//! expired waiver waives nothing.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};
use globset::{Glob, GlobMatcher};
use serde::{Deserialize, Serialize};

use crate::id::Id;
use crate::scan::{Finding, ScanId, ScanPolicy};
use crate::tenant::TenantId;
use crate::user::UserId;

pub type ScanWaiverId = Id<ScanWaiver>;

/// The three ways to let a finding through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaiverKind {
    Suppression,
    Baseline,
    Exception,
}

impl WaiverKind {
    pub const ALL: [Self; 3] = [Self::Suppression, Self::Baseline, Self::Exception];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Suppression => "suppression",
            Self::Baseline => "baseline",
            Self::Exception => "exception",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

impl fmt::Display for WaiverKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a waiver covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaiverScope {
    /// One finding, by its fingerprint, in any repository.
    Suppression { fingerprint: String },
    /// The findings `repository` had at scan `scan_id`.
    Baseline {
        repository: String,
        scan_id: ScanId,
        fingerprints: BTreeSet<String>,
    },
    /// A rule's findings in the files `path_pattern` matches (a glob: `*` within a folder,
    /// `**` across folders, `?`, `[abc]`, `{a,b}`).
    Exception {
        rule_id: String,
        path_pattern: String,
    },
}

impl WaiverScope {
    #[must_use]
    pub const fn kind(&self) -> WaiverKind {
        match self {
            Self::Suppression { .. } => WaiverKind::Suppression,
            Self::Baseline { .. } => WaiverKind::Baseline,
            Self::Exception { .. } => WaiverKind::Exception,
        }
    }
}

/// One waiver, as a lead made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanWaiver {
    pub id: ScanWaiverId,
    pub tenant_id: TenantId,
    pub scope: WaiverScope,
    pub reason: String,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    /// After this instant it waives nothing; `None` for a waiver that stands until deleted.
    pub expires_at: Option<DateTime<Utc>>,
}

impl ScanWaiver {
    #[must_use]
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|expiry| expiry > now)
    }
}

/// The waiver a finding was let through by, kept on the finding (and so in the signed
/// artifact): a pass is never silent about what it did not count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waived {
    pub kind: WaiverKind,
    pub waiver_id: String,
    pub reason: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Why a path pattern cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid path pattern: {0}")]
pub struct InvalidPathPattern(pub String);

/// The matcher of an exception's path pattern; `/` is never matched by `*`.
///
/// # Errors
/// `InvalidPathPattern` for a malformed glob (an unclosed `[` or `{`, say).
pub fn path_matcher(pattern: &str) -> Result<GlobMatcher, InvalidPathPattern> {
    globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map(|glob: Glob| glob.compile_matcher())
        .map_err(|e| InvalidPathPattern(e.kind().to_string()))
}

/// A tenant's active waivers, ready to apply to a scan's findings.
pub struct Waivers {
    suppressions: Vec<ScanWaiver>,
    exceptions: Vec<(ScanWaiver, GlobMatcher)>,
    baselines: Vec<ScanWaiver>,
}

impl Waivers {
    /// The waivers of `all` that are active at `now`. An exception whose pattern no longer
    /// compiles (it was checked when made) waives nothing.
    #[must_use]
    pub fn active(all: Vec<ScanWaiver>, now: DateTime<Utc>) -> Self {
        let mut waivers = Self {
            suppressions: Vec::new(),
            exceptions: Vec::new(),
            baselines: Vec::new(),
        };
        for waiver in all.into_iter().filter(|w| w.is_active(now)) {
            match &waiver.scope {
                WaiverScope::Suppression { .. } => waivers.suppressions.push(waiver),
                WaiverScope::Baseline { .. } => waivers.baselines.push(waiver),
                WaiverScope::Exception { path_pattern, .. } => {
                    if let Ok(matcher) = path_matcher(path_pattern) {
                        waivers.exceptions.push((waiver, matcher));
                    }
                }
            }
        }
        waivers
    }

    /// Marks each finding of a scan of `repository` that a waiver covers: a suppression
    /// first (the most specific), then an exception, then a baseline of that repository.
    pub fn apply(&self, findings: &mut [Finding], repository: Option<&str>) {
        for finding in findings {
            finding.waived = self.covering(finding, repository).map(|waiver| Waived {
                kind: waiver.scope.kind(),
                waiver_id: waiver.id.to_string(),
                reason: waiver.reason.clone(),
                expires_at: waiver.expires_at,
            });
        }
    }

    fn covering(&self, finding: &Finding, repository: Option<&str>) -> Option<&ScanWaiver> {
        let suppressed = self.suppressions.iter().find(|w| {
            matches!(&w.scope, WaiverScope::Suppression { fingerprint } if *fingerprint == finding.fingerprint)
        });
        let excepted = || {
            self.exceptions
                .iter()
                .find_map(|(w, matcher)| match &w.scope {
                    WaiverScope::Exception { rule_id, .. }
                        if *rule_id == finding.rule_id && matcher.is_match(&finding.file) =>
                    {
                        Some(w)
                    }
                    _ => None,
                })
        };
        let baselined = || {
            let repository = repository?;
            self.baselines.iter().find(|w| {
                matches!(&w.scope, WaiverScope::Baseline { repository: r, fingerprints, .. }
                    if r == repository && fingerprints.contains(&finding.fingerprint))
            })
        };
        suppressed.or_else(excepted).or_else(baselined)
    }
}

/// A tenant's policy profile as stored: the policy, and who set it when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredScanPolicy {
    pub policy: ScanPolicy,
    /// How many days a scan's raw diff is kept before the evidence sweep deletes it.
    pub diff_retention_days: u32,
    pub updated_by: UserId,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::{Decision, Severity};
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn waiver(scope: WaiverScope, expires_at: Option<DateTime<Utc>>) -> ScanWaiver {
        ScanWaiver {
            id: ScanWaiverId::from_uuid(uuid::Uuid::new_v4()),
            tenant_id: TenantId::from_uuid(uuid::Uuid::nil()),
            scope,
            reason: "accepted".to_owned(),
            created_by: UserId::from_uuid(uuid::Uuid::nil()),
            created_at: now(),
            expires_at,
        }
    }

    fn finding(rule: &str, file: &str, matched: &str) -> Finding {
        Finding::new(rule, Severity::Critical, file, Some(3), matched, "m", "s")
    }

    #[test]
    fn a_suppression_lets_its_finding_through_until_it_expires() {
        let mut findings = vec![
            finding("secret.aws", "rules/a.yml", "AKIA"),
            finding("secret.aws", "rules/b.yml", "AKIA"),
        ];
        let suppression = waiver(
            WaiverScope::Suppression {
                fingerprint: findings[0].fingerprint.clone(),
            },
            Some(now() + Duration::hours(1)),
        );
        Waivers::active(vec![suppression.clone()], now()).apply(&mut findings, None);
        assert_eq!(
            findings[0].waived.as_ref().map(|w| w.kind),
            Some(WaiverKind::Suppression)
        );
        assert!(findings[1].waived.is_none());
        assert_eq!(ScanPolicy::default().decide(&findings[..1]), Decision::Pass);
        assert_eq!(ScanPolicy::default().decide(&findings), Decision::Fail);

        Waivers::active(vec![suppression], now() + Duration::hours(2)).apply(&mut findings, None);
        assert!(findings[0].waived.is_none());
        assert_eq!(ScanPolicy::default().decide(&findings[..1]), Decision::Fail);
    }

    #[test]
    fn an_exception_covers_its_rule_under_its_pattern_only() {
        let exception = waiver(
            WaiverScope::Exception {
                rule_id: "content.download".to_owned(),
                path_pattern: "atomics/**/*.yaml".to_owned(),
            },
            None,
        );
        let waivers = Waivers::active(vec![exception], now());
        let mut findings = vec![
            finding("content.download", "atomics/T1105/T1105.yaml", "x"),
            finding("content.download", "rules/windows/a.yml", "x"),
            finding("secret.aws", "atomics/T1105/T1105.yaml", "x"),
            finding("content.download", "atomics/T1105.yml", "x"),
        ];
        waivers.apply(&mut findings, Some("org/detections"));
        let waived: Vec<bool> = findings.iter().map(|f| f.waived.is_some()).collect();
        assert_eq!(waived, vec![true, false, false, false]);
    }

    #[test]
    fn a_baseline_holds_for_its_repository_and_its_findings_only() {
        let old = finding("sigma.tag.revoked", "rules/a.yml", "attack.t1086");
        let baseline = waiver(
            WaiverScope::Baseline {
                repository: "org/detections".to_owned(),
                scan_id: ScanId::from_uuid(uuid::Uuid::nil()),
                fingerprints: BTreeSet::from([old.fingerprint.clone()]),
            },
            None,
        );
        let waivers = Waivers::active(vec![baseline], now());
        let new = finding("sigma.tag.revoked", "rules/b.yml", "attack.t1086");
        let mut findings = vec![old.clone(), new];
        waivers.apply(&mut findings, Some("org/detections"));
        assert_eq!(
            findings[0].waived.as_ref().map(|w| w.kind),
            Some(WaiverKind::Baseline)
        );
        assert!(findings[1].waived.is_none());
        let mut elsewhere = vec![old];
        waivers.apply(&mut elsewhere, Some("org/other"));
        assert!(elsewhere[0].waived.is_none());
        waivers.apply(&mut elsewhere, None);
        assert!(elsewhere[0].waived.is_none());
    }

    #[test]
    fn malformed_patterns_are_refused_with_the_reason() {
        assert!(path_matcher("rules/[abc").is_err());
        assert!(path_matcher("rules/{a,b").is_err());
        assert!(path_matcher("rules/**/*.yml").is_ok());
        let star = path_matcher("rules/*.yml").map(|m| m.is_match("rules/x/y.yml"));
        assert_eq!(star, Ok(false));
    }
}
