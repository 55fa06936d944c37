//! Evidence stores against real storage: a temporary directory, and the S3-compatible server
//! that `scripts/test.sh` starts (s3s-fs, which checks request signatures).

use aegis_application::ports::{EvidenceStore, EvidenceStoreError};
use aegis_infrastructure::evidence::{FilesystemEvidenceStore, S3EvidenceStore, S3Settings};

fn s3_settings() -> S3Settings {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!(
                "{name} is not set: run the suite with scripts/test.sh, which starts an S3 server"
            )
        })
    };
    S3Settings {
        endpoint: var("AEGIS_TEST_S3_ENDPOINT"),
        region: var("AEGIS_TEST_S3_REGION"),
        bucket: var("AEGIS_TEST_S3_BUCKET"),
        access_key: var("AEGIS_TEST_S3_ACCESS_KEY"),
        secret_key: var("AEGIS_TEST_S3_SECRET_KEY"),
        path_style: true,
        public_endpoint: None,
    }
}

async fn exercise(store: &dyn EvidenceStore, prefix: &str) {
    store.check().await.unwrap();
    let key = format!("{prefix}/tests/evidence.txt");
    let content = b"whoami /priv\nSeImpersonatePrivilege Enabled\n".to_vec();
    store
        .put(&key, content.clone(), "text/plain")
        .await
        .unwrap();
    assert_eq!(store.get(&key).await.unwrap(), content);
    store
        .put(&key, b"replaced".to_vec(), "text/plain")
        .await
        .unwrap();
    assert_eq!(store.get(&key).await.unwrap(), b"replaced");
    store.delete(&key).await.unwrap();
    store.delete(&key).await.unwrap();
    assert!(matches!(
        store.get(&key).await,
        Err(EvidenceStoreError::NotFound(_))
    ));
    for hostile in ["../escape", "a/../../b", "/absolute", "a//b"] {
        assert!(
            matches!(
                store.put(hostile, vec![1], "x").await,
                Err(EvidenceStoreError::InvalidKey(_))
            ),
            "{hostile}"
        );
    }
}

#[tokio::test]
async fn filesystem_store_round_trips_and_refuses_escapes() {
    let dir = tempfile::tempdir().unwrap();
    let store = FilesystemEvidenceStore::new(dir.path().join("evidence"));
    exercise(&store, "fs").await;
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("evidence/fs/tests"))
        .unwrap()
        .collect();
    assert!(leftovers.is_empty(), "no partial or probe files remain");
}

#[tokio::test]
async fn s3_store_round_trips_against_a_real_server() {
    let store = S3EvidenceStore::new(s3_settings()).unwrap();
    exercise(&store, &uuid::Uuid::now_v7().simple().to_string()).await;
}

#[tokio::test]
async fn s3_store_reports_wrong_credentials_and_missing_buckets() {
    let wrong_secret = S3Settings {
        secret_key: "not-the-secret".into(),
        ..s3_settings()
    };
    let store = S3EvidenceStore::new(wrong_secret).unwrap();
    assert!(matches!(
        store.check().await,
        Err(EvidenceStoreError::Unavailable(_))
    ));
    let missing = S3Settings {
        bucket: "no-such-bucket".into(),
        ..s3_settings()
    };
    let store = S3EvidenceStore::new(missing).unwrap();
    assert!(matches!(
        store.check().await,
        Err(EvidenceStoreError::Unavailable(_))
    ));
}

#[tokio::test]
async fn a_missing_bucket_is_created() {
    let fresh = S3Settings {
        bucket: format!("aegis-{}", uuid::Uuid::now_v7().simple()),
        ..s3_settings()
    };
    let store = S3EvidenceStore::new(fresh).unwrap();
    assert!(store.check().await.is_err());
    store.ensure_bucket().await.unwrap();
    exercise(&store, "created").await;
}
