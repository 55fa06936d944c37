//! Evidence files of a test and their chain of custody: who uploaded, downloaded, verified or
//! deleted each file, when, and the hash at that moment.

use chrono::{DateTime, Utc};

use crate::id::Id;
use crate::tenant::TenantId;
use crate::test_case::TestId;
use crate::user::UserId;
use crate::workflow::Team;

pub type EvidenceId = Id<Evidence>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub id: EvidenceId,
    pub tenant_id: TenantId,
    pub test_id: TestId,
    pub team: Team,
    pub filename: String,
    /// Sniffed from the bytes, never taken from the client.
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub object_key: String,
    pub uploaded_by: UserId,
    pub uploaded_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub deleted_by: Option<UserId>,
    pub delete_reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustodyKind {
    Uploaded,
    Downloaded,
    Verified,
    VerificationFailed,
    Deleted,
}

impl CustodyKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Uploaded => "uploaded",
            Self::Downloaded => "downloaded",
            Self::Verified => "verified",
            Self::VerificationFailed => "verification_failed",
            Self::Deleted => "deleted",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Uploaded,
            Self::Downloaded,
            Self::Verified,
            Self::VerificationFailed,
            Self::Deleted,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

/// One link of a file's chain of custody.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustodyEvent {
    pub id: uuid::Uuid,
    pub evidence_id: EvidenceId,
    pub kind: CustodyKind,
    pub actor: UserId,
    pub occurred_at: DateTime<Utc>,
    /// The hash observed at this event (the recomputed one for a verification).
    pub sha256: String,
}

/// A file name safe to store and to offer for download: the last path segment, with anything
/// but letters, digits, dot, dash, underscore and space replaced, at most 200 characters.
pub fn sanitize_filename(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._- ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(200)
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.');
    if trimmed.is_empty() {
        "evidence".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::sanitize_filename;

    #[test]
    fn file_names_cannot_carry_paths_or_markup() {
        assert_eq!(sanitize_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_filename("C:\\\\temp\\\\dump.txt"), "dump.txt");
        assert_eq!(sanitize_filename("<script>.png"), "_script_.png");
        assert_eq!(sanitize_filename(".."), "evidence");
        assert_eq!(sanitize_filename("capture 01.pcap"), "capture 01.pcap");
    }
}
