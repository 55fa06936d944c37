//! The audit chain: concurrent writers queue on the head instead of forking it, and an entry
//! chained to anything but the current head is refused without writing.

use std::sync::Arc;
use std::time::Duration;

use aegis_application::ports::Database;
use aegis_domain::audit::{AuditEntry, AuditEntryId, AuditRecord, GENESIS_HASH, entry_hash};
use aegis_domain::ports::{AuditLogRepository, RepositoryError, Subject};
use aegis_domain::tenant::{AuditHead, TenantId};
use uuid::Uuid;

use crate::{Store, now, on_both, tenant};

fn record(tenant: TenantId, action: &str) -> AuditRecord {
    AuditRecord::new(
        tenant,
        None,
        action,
        "user",
        None,
        &serde_json::json!({"action": action}),
        None,
        None,
        now(),
    )
}

/// One use case's worth of audit writing: lock, chain, (think), append, commit.
async fn append_in_transaction(db: Arc<dyn Database>, tenant: TenantId, action: String) {
    let uow = db.begin().await.unwrap();
    let head = uow.lock_audit_head(tenant).await.unwrap();
    // Hold the head a moment so that the writers overlap.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (entry, _) = AuditEntry::chain(
        &head,
        AuditEntryId::from_uuid(Uuid::now_v7()),
        record(tenant, &action),
    );
    uow.append_audit_entry(tenant, &entry).await.unwrap();
    uow.commit().await.unwrap();
}

on_both!(
    concurrent_writers_extend_one_unbroken_chain,
    |s: Store| async move {
        let t = tenant(&s.db, "alpha").await;
        let db: Arc<dyn Database> = Arc::new(s.db.clone());
        let writers: Vec<_> = (0..12)
            .map(|i| tokio::spawn(append_in_transaction(db.clone(), t, format!("write.{i}"))))
            .collect();
        for writer in writers {
            writer.await.unwrap();
        }

        let chain = s.db.audit_chain_batch(t, 0, 100).await.unwrap();
        assert_eq!(chain.len(), 12);
        let mut previous = GENESIS_HASH.to_owned();
        for (expected_sequence, entry) in (1..).zip(&chain) {
            assert_eq!(entry.sequence, expected_sequence);
            assert_eq!(entry.previous_hash, previous, "linked to its predecessor");
            assert_eq!(
                entry.hash,
                entry_hash(entry.sequence, &entry.previous_hash, &entry.record),
                "read back exactly as hashed"
            );
            previous = entry.hash.clone();
        }
        let head = s.db.lock_audit_head(t).await.unwrap();
        assert_eq!((head.sequence, head.hash), (12, previous));
    }
);

on_both!(
    entries_not_chained_to_the_head_are_refused,
    |s: Store| async move {
        let db = &s.db;
        let t = tenant(db, "alpha").await;
        let genesis = db.lock_audit_head(t).await.unwrap();
        let (first, head) = AuditEntry::chain(
            &genesis,
            AuditEntryId::from_uuid(Uuid::now_v7()),
            record(t, "first"),
        );
        db.append_audit_entry(t, &first).await.unwrap();

        let skipping = AuditHead {
            sequence: head.sequence + 1,
            hash: head.hash.clone(),
        };
        let forked = AuditHead {
            sequence: head.sequence,
            hash: "f".repeat(64),
        };
        for (stale, why) in [
            (&genesis, "a stale head"),
            (&skipping, "a gap"),
            (&forked, "another predecessor"),
        ] {
            let (entry, _) = AuditEntry::chain(
                stale,
                AuditEntryId::from_uuid(Uuid::now_v7()),
                record(t, "refused"),
            );
            assert!(
                matches!(
                    db.append_audit_entry(t, &entry).await,
                    Err(RepositoryError::Duplicate(Subject::AuditSequence))
                ),
                "{why} is refused"
            );
        }
        // Nothing was written by the refusals, even outside a transaction.
        assert_eq!(db.lock_audit_head(t).await.unwrap(), head);
        assert_eq!(db.audit_chain_batch(t, 0, 10).await.unwrap(), vec![first]);

        let missing = TenantId::from_uuid(Uuid::now_v7());
        let (orphan, _) = AuditEntry::chain(
            &genesis,
            AuditEntryId::from_uuid(Uuid::now_v7()),
            record(missing, "orphan"),
        );
        assert!(matches!(
            db.append_audit_entry(missing, &orphan).await,
            Err(RepositoryError::NotFound(_))
        ));
        assert!(matches!(
            db.lock_audit_head(missing).await,
            Err(RepositoryError::NotFound(_))
        ));
    }
);
