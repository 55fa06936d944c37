//! Reports: documents generated in the background from the organization's coverage,
//! campaigns and findings, stored through the evidence store and signed so a reader can tell
//! they are the ones Aegis produced.

use chrono::{DateTime, Utc};

use crate::id::Id;
use crate::tenant::TenantId;
use crate::user::UserId;

pub type ReportId = Id<Report>;

/// The original's three report templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportKind {
    /// Posture, trend, top gaps and what improved, for executives.
    ExecutiveSummary,
    /// Coverage by tactic, the heatmap, every technique's score and the control gaps.
    CoverageReport,
    /// One campaign: plan, progress, outcomes, run over run, findings.
    PurpleCampaign,
}

impl ReportKind {
    pub const ALL: [Self; 3] = [
        Self::ExecutiveSummary,
        Self::CoverageReport,
        Self::PurpleCampaign,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ExecutiveSummary => "executive_summary",
            Self::CoverageReport => "coverage_report",
            Self::PurpleCampaign => "purple_campaign",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    #[must_use]
    pub const fn title(self) -> &'static str {
        match self {
            Self::ExecutiveSummary => "Executive summary",
            Self::CoverageReport => "Coverage report",
            Self::PurpleCampaign => "Purple-team campaign report",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportFormat {
    Html,
    Pdf,
}

impl ReportFormat {
    pub const ALL: [Self; 2] = [Self::Html, Self::Pdf];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Html => "html",
            Self::Pdf => "pdf",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == text)
    }

    #[must_use]
    pub const fn content_type(self) -> &'static str {
        match self {
            Self::Html => "text/html; charset=utf-8",
            Self::Pdf => "application/pdf",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportStatus {
    Queued,
    Ready,
    Failed,
}

impl ReportStatus {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Ready => "ready",
            Self::Failed => "failed",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Queued, Self::Ready, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// Where a generated document is and how to check it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    pub object_key: String,
    pub size_bytes: i64,
    /// SHA-256 of the document's body (without its signature line), hex.
    pub sha256: String,
    /// Ed25519 signature of the digest with the server's report key, hex.
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub id: ReportId,
    pub tenant_id: TenantId,
    pub kind: ReportKind,
    pub format: ReportFormat,
    pub campaign_id: Option<uuid::Uuid>,
    pub status: ReportStatus,
    pub requested_by: UserId,
    pub requested_at: DateTime<Utc>,
    pub generated_at: Option<DateTime<Utc>>,
    pub document: Option<StoredDocument>,
    pub error: Option<String>,
}

impl Report {
    /// The file name a download gets.
    #[must_use]
    pub fn file_name(&self) -> String {
        format!(
            "aegis-{}-{}.{}",
            self.kind.as_str().replace('_', "-"),
            self.requested_at.format("%Y%m%d-%H%M%S"),
            self.format.as_str()
        )
    }
}

/// What marks the signature line appended to a document.
const SEAL_MARK: &str = "aegis-signature ed25519:";

/// The document as stored and downloaded: the rendered `body`, then one line carrying the
/// Ed25519 signature of the body's SHA-256 digest (an HTML comment, or a PDF comment after
/// `%%EOF`, which readers ignore), so the file alone proves where it came from.
#[must_use]
pub fn seal(body: &[u8], format: ReportFormat, digest_hex: &str, signature_hex: &str) -> Vec<u8> {
    let line = match format {
        ReportFormat::Html => {
            format!("\n<!-- {SEAL_MARK}{signature_hex} sha256:{digest_hex} -->\n")
        }
        ReportFormat::Pdf => format!("\n%{SEAL_MARK}{signature_hex} sha256:{digest_hex}\n"),
    };
    let mut sealed = body.to_vec();
    sealed.extend_from_slice(line.as_bytes());
    sealed
}

/// A sealed document taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seal<'a> {
    pub body: &'a [u8],
    pub signature_hex: String,
    pub digest_hex: String,
}

/// Finds the signature line at the end of `document`; `None` when there is none.
#[must_use]
pub fn unseal(document: &[u8]) -> Option<Seal<'_>> {
    let tail_start = document.len().saturating_sub(400);
    let tail = std::str::from_utf8(document.get(tail_start..)?).ok()?;
    let mark = tail.rfind(SEAL_MARK)?;
    // The line opens with `<!-- ` or `%` and is preceded by the newline `seal` wrote.
    let line_start = tail[..mark].rfind('\n')?;
    let rest = &tail[mark + SEAL_MARK.len()..];
    let mut words = rest.split_whitespace();
    let signature_hex = words.next()?.to_owned();
    let digest_hex = words.next()?.strip_prefix("sha256:")?.to_owned();
    Some(Seal {
        body: document.get(..tail_start + line_start)?,
        signature_hex,
        digest_hex,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_document_comes_apart_into_its_body_and_signature() {
        for format in ReportFormat::ALL {
            let sealed = seal(b"%PDF-1.7 body\n%%EOF", format, "ab12", "cd34");
            let seal = unseal(&sealed).unwrap_or_else(|| panic!("{format:?} unseals"));
            assert_eq!(seal.body, b"%PDF-1.7 body\n%%EOF");
            assert_eq!(
                (seal.signature_hex.as_str(), seal.digest_hex.as_str()),
                ("cd34", "ab12")
            );
        }
        assert_eq!(unseal(b"<html>forged</html>"), None);
    }
}
