//! The audit trail: an append-only, hash-chained record per tenant.
//!
//! Each entry stores the hash of its predecessor and a hash over its own fields, so editing
//! an entry breaks its hash, deleting one breaks the link of the next, and cutting the tail
//! disagrees with the tenant's recorded chain head.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use sha2::{Digest, Sha256};

use crate::canonical_json::canonical_json;
use crate::id::Id;
use crate::tenant::{AuditHead, TenantId};
use crate::user::UserId;

pub type AuditEntryId = Id<AuditEntry>;

/// The hash that the first entry of every chain points back to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, by whom, to what: everything an entry says before it is chained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub tenant_id: TenantId,
    pub actor_id: Option<UserId>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    /// JSON text, kept verbatim so the hash does not depend on how a database re-encodes JSON.
    pub details: String,
    pub request_id: Option<String>,
    pub client_ip: Option<String>,
    occurred_at: DateTime<Utc>,
}

impl AuditRecord {
    #[expect(
        clippy::too_many_arguments,
        reason = "a record is exactly these fields"
    )]
    pub fn new(
        tenant_id: TenantId,
        actor_id: Option<UserId>,
        action: impl Into<String>,
        entity_type: impl Into<String>,
        entity_id: Option<String>,
        details: &serde_json::Value,
        request_id: Option<String>,
        client_ip: Option<String>,
        occurred_at: DateTime<Utc>,
    ) -> Self {
        Self {
            tenant_id,
            actor_id,
            action: action.into(),
            entity_type: entity_type.into(),
            entity_id,
            details: canonical_json(details),
            request_id,
            client_ip,
            // Databases keep microseconds; the hash must survive the round trip.
            occurred_at: occurred_at.trunc_subsecs(6),
        }
    }

    /// Rebuilds a record read back from storage, details as stored.
    #[expect(
        clippy::too_many_arguments,
        reason = "a record is exactly these fields"
    )]
    pub fn restore(
        tenant_id: TenantId,
        actor_id: Option<UserId>,
        action: String,
        entity_type: String,
        entity_id: Option<String>,
        details: String,
        request_id: Option<String>,
        client_ip: Option<String>,
        occurred_at: DateTime<Utc>,
    ) -> Self {
        Self {
            tenant_id,
            actor_id,
            action,
            entity_type,
            entity_id,
            details,
            request_id,
            client_ip,
            occurred_at,
        }
    }

    pub const fn occurred_at(&self) -> DateTime<Utc> {
        self.occurred_at
    }
}

/// A record with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: AuditEntryId,
    pub sequence: i64,
    pub previous_hash: String,
    pub hash: String,
    pub record: AuditRecord,
}

impl AuditEntry {
    /// Chains `record` after `head`, giving the entry and the new head.
    pub fn chain(head: &AuditHead, id: AuditEntryId, record: AuditRecord) -> (Self, AuditHead) {
        let sequence = head.sequence + 1;
        let hash = entry_hash(sequence, &head.hash, &record);
        let next = AuditHead {
            sequence,
            hash: hash.clone(),
        };
        (
            Self {
                id,
                sequence,
                previous_hash: head.hash.clone(),
                hash,
                record,
            },
            next,
        )
    }
}

/// SHA-256 over the entry's position, its predecessor and every field of its record.
pub fn entry_hash(sequence: i64, previous_hash: &str, record: &AuditRecord) -> String {
    let fields = serde_json::json!([
        sequence,
        previous_hash,
        record.tenant_id.to_string(),
        record.actor_id.map(|id| id.to_string()),
        record.action,
        record.entity_type,
        record.entity_id,
        record.details,
        record.request_id,
        record.client_ip,
        record
            .occurred_at
            .to_rfc3339_opts(SecondsFormat::Micros, true),
    ]);
    hex::encode(Sha256::digest(fields.to_string().as_bytes()))
}

/// Where and why a chain stopped verifying.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("entry {sequence} was altered: its hash does not match its contents")]
    Altered { sequence: i64 },
    #[error("entry {expected} is missing: the chain jumps to {found}")]
    Missing { expected: i64, found: i64 },
    #[error("entry {sequence} does not point at its predecessor's hash")]
    Unlinked { sequence: i64 },
    #[error("the chain ends at entry {found}, but the tenant's head is entry {expected}")]
    Truncated { expected: i64, found: i64 },
}

/// Checks a chain entry by entry, in sequence order, without holding it all in memory.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    last: AuditHead,
    checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            last: AuditHead {
                sequence: 0,
                hash: GENESIS_HASH.to_owned(),
            },
            checked: 0,
        }
    }
}

impl ChainVerifier {
    /// # Errors
    /// Returns the first `ChainBreak` found at `entry`.
    pub fn check(&mut self, entry: &AuditEntry) -> Result<(), ChainBreak> {
        let expected = self.last.sequence + 1;
        if entry.sequence != expected {
            return Err(ChainBreak::Missing {
                expected,
                found: entry.sequence,
            });
        }
        if entry.previous_hash != self.last.hash {
            return Err(ChainBreak::Unlinked {
                sequence: entry.sequence,
            });
        }
        if entry_hash(entry.sequence, &entry.previous_hash, &entry.record) != entry.hash {
            return Err(ChainBreak::Altered {
                sequence: entry.sequence,
            });
        }
        self.last = AuditHead {
            sequence: entry.sequence,
            hash: entry.hash.clone(),
        };
        self.checked += 1;
        Ok(())
    }

    /// Compares the end of the chain with the recorded head; returns how many entries passed.
    ///
    /// # Errors
    /// Returns `Truncated` when entries after the last one seen were removed.
    pub fn finish(self, head: &AuditHead) -> Result<u64, ChainBreak> {
        if self.last != *head {
            return Err(ChainBreak::Truncated {
                expected: head.sequence,
                found: self.last.sequence,
            });
        }
        Ok(self.checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn chain_of(n: usize) -> (Vec<AuditEntry>, AuditHead) {
        let tenant = TenantId::from_uuid(Uuid::nil());
        let mut head = AuditHead {
            sequence: 0,
            hash: GENESIS_HASH.into(),
        };
        let mut entries = Vec::new();
        for i in 0..n {
            let record = AuditRecord::new(
                tenant,
                None,
                "user.create",
                "user",
                Some(i.to_string()),
                &serde_json::json!({"n": i}),
                None,
                None,
                DateTime::<Utc>::UNIX_EPOCH,
            );
            let (entry, next) =
                AuditEntry::chain(&head, AuditEntryId::from_uuid(Uuid::nil()), record);
            entries.push(entry);
            head = next;
        }
        (entries, head)
    }

    fn verify(entries: &[AuditEntry], head: &AuditHead) -> Result<u64, ChainBreak> {
        let mut verifier = ChainVerifier::default();
        for entry in entries {
            verifier.check(entry)?;
        }
        verifier.finish(head)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let (entries, head) = chain_of(5);
        assert_eq!(verify(&entries, &head), Ok(5));
    }

    #[test]
    fn an_edit_is_detected() {
        let (mut entries, head) = chain_of(5);
        entries[2].record.action = "user.delete".into();
        assert_eq!(
            verify(&entries, &head),
            Err(ChainBreak::Altered { sequence: 3 })
        );
    }

    #[test]
    fn a_deletion_is_detected() {
        let (mut entries, head) = chain_of(5);
        entries.remove(1);
        assert_eq!(
            verify(&entries, &head),
            Err(ChainBreak::Missing {
                expected: 2,
                found: 3
            })
        );
    }

    #[test]
    fn a_cut_tail_is_detected() {
        let (mut entries, head) = chain_of(5);
        entries.pop();
        assert_eq!(
            verify(&entries, &head),
            Err(ChainBreak::Truncated {
                expected: 5,
                found: 4
            })
        );
    }

    #[test]
    fn a_rehashed_edit_still_breaks_the_next_link() {
        let (mut entries, head) = chain_of(5);
        entries[1].record.action = "forged".into();
        entries[1].hash = entry_hash(2, &entries[1].previous_hash, &entries[1].record);
        assert_eq!(
            verify(&entries, &head),
            Err(ChainBreak::Unlinked { sequence: 3 })
        );
    }
}
