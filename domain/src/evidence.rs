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

/// An object in the evidence store that no committed row accounts for yet (an upload in
/// flight) or any more (a deleted file awaiting removal). Recorded before the store is touched
/// and cleared in the same transaction as the row, so a crash or a storage outage halfway
/// leaves a record the sweep finishes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingObject {
    pub object_key: String,
    pub tenant_id: TenantId,
    pub purpose: PendingPurpose,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingPurpose {
    /// Written by an upload whose row is not committed yet; garbage once its upload is over.
    Upload,
    /// Belongs to a deleted file; to be removed from the store.
    Purge,
}

impl PendingPurpose {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Upload => "upload",
            Self::Purge => "purge",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Upload, Self::Purge]
            .into_iter()
            .find(|p| p.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustodyKind {
    Uploaded,
    Downloaded,
    Verified,
    VerificationFailed,
    Deleted,
    /// A time-limited download link was handed out.
    LinkIssued,
}

impl CustodyKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Uploaded => "uploaded",
            Self::Downloaded => "downloaded",
            Self::Verified => "verified",
            Self::VerificationFailed => "verification_failed",
            Self::Deleted => "deleted",
            Self::LinkIssued => "link_issued",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Uploaded,
            Self::Downloaded,
            Self::Verified,
            Self::VerificationFailed,
            Self::Deleted,
            Self::LinkIssued,
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
