//! Evidence stores: a local directory (embedded profile) and an S3-compatible bucket
//! (production). Keys are validated identically by both.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use s3::creds::Credentials;
use s3::error::S3Error;
use s3::{Bucket, Region};

use aegis_application::ports::{ByteChunks, EvidenceStore, EvidenceStoreError};
use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Chunk size when reading files back.
const READ_CHUNK: usize = 64 * 1024;

/// Segments of `[A-Za-z0-9._-]` joined by `/`; no empty, `.` or `..` segment.
fn validate_key(key: &str) -> Result<(), EvidenceStoreError> {
    let valid = !key.is_empty()
        && key.len() <= 512
        && key.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        });
    if valid {
        Ok(())
    } else {
        Err(EvidenceStoreError::InvalidKey(key.to_owned()))
    }
}

fn unavailable(error: impl std::fmt::Display) -> EvidenceStoreError {
    EvidenceStoreError::Unavailable(error.to_string())
}

/// Files under one root directory.
#[derive(Debug, Clone)]
pub struct FilesystemEvidenceStore {
    root: PathBuf,
}

impl FilesystemEvidenceStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, key: &str) -> Result<PathBuf, EvidenceStoreError> {
        validate_key(key)?;
        Ok(self.root.join(Path::new(key)))
    }
}

#[async_trait]
impl EvidenceStore for FilesystemEvidenceStore {
    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), EvidenceStoreError> {
        // One path for both: written aside, synced, then renamed into place.
        let body = futures::stream::once(async move { Ok(bytes) });
        self.put_stream(key, content_type, Box::pin(body)).await
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, EvidenceStoreError> {
        let path = self.path(key)?;
        tokio::fs::read(&path).await.map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => EvidenceStoreError::NotFound(key.to_owned()),
            _ => unavailable(e),
        })
    }

    async fn put_stream(
        &self,
        key: &str,
        _content_type: &str,
        mut body: ByteChunks,
    ) -> Result<(), EvidenceStoreError> {
        let path = self.path(key)?;
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(unavailable)?;
        }
        // Write aside, then rename: a reader never sees half a file, and a crash leaves at
        // worst a stray partial file, never a truncated piece of evidence.
        let partial = path.with_extension(format!("partial-{}", uuid::Uuid::now_v7().simple()));
        let written: Result<(), EvidenceStoreError> = async {
            let mut file = tokio::fs::File::create(&partial)
                .await
                .map_err(unavailable)?;
            while let Some(chunk) = body.next().await {
                file.write_all(&chunk?).await.map_err(unavailable)?;
            }
            file.sync_all().await.map_err(unavailable)
        }
        .await;
        match written {
            Ok(()) => tokio::fs::rename(&partial, &path)
                .await
                .map_err(unavailable),
            Err(error) => {
                let _ = tokio::fs::remove_file(&partial).await;
                Err(error)
            }
        }
    }

    async fn get_stream(&self, key: &str) -> Result<ByteChunks, EvidenceStoreError> {
        let path = self.path(key)?;
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => EvidenceStoreError::NotFound(key.to_owned()),
                _ => unavailable(e),
            })?;
        let chunks = futures::stream::unfold(Some(file), |state| async move {
            let mut file = state?;
            let mut buffer = vec![0_u8; READ_CHUNK];
            match file.read(&mut buffer).await {
                Ok(0) => None,
                Ok(read) => {
                    buffer.truncate(read);
                    Some((Ok(buffer), Some(file)))
                }
                // One error ends the stream.
                Err(e) => Some((Err(unavailable(e)), None)),
            }
        });
        Ok(Box::pin(chunks))
    }

    async fn delete(&self, key: &str) -> Result<(), EvidenceStoreError> {
        let path = self.path(key)?;
        match tokio::fs::remove_file(&path).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(unavailable(e)),
            _ => Ok(()),
        }
    }

    async fn check(&self) -> Result<(), EvidenceStoreError> {
        tokio::fs::create_dir_all(&self.root)
            .await
            .map_err(unavailable)?;
        let probe = self
            .root
            .join(format!(".probe-{}", uuid::Uuid::now_v7().simple()));
        tokio::fs::write(&probe, b"ok").await.map_err(unavailable)?;
        tokio::fs::remove_file(&probe).await.map_err(unavailable)
    }
}

/// Where the S3 bucket is and how to sign for it.
#[derive(Debug, Clone)]
pub struct S3Settings {
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub access_key: String,
    pub secret_key: String,
    pub path_style: bool,
    /// The endpoint browsers reach the store at, when it differs from `endpoint` (an internal
    /// host name behind a proxy): presigned links are signed for this host.
    pub public_endpoint: Option<String>,
}

fn bucket_at(settings: &S3Settings, endpoint: &str) -> Result<Box<Bucket>, EvidenceStoreError> {
    let region = Region::Custom {
        region: settings.region.clone(),
        endpoint: endpoint.to_owned(),
    };
    let bucket =
        Bucket::new(&settings.bucket, region, credentials(settings)?).map_err(unavailable)?;
    Ok(if settings.path_style {
        bucket.with_path_style()
    } else {
        bucket
    })
}

/// Objects in an S3-compatible bucket (MinIO, Garage, AWS S3).
#[derive(Debug)]
pub struct S3EvidenceStore {
    bucket: Box<Bucket>,
    /// The same bucket as browsers address it, for presigned links.
    public_bucket: Box<Bucket>,
    settings: S3Settings,
}

impl S3EvidenceStore {
    /// # Errors
    /// `Unavailable` when the settings cannot make a client.
    pub fn new(settings: S3Settings) -> Result<Self, EvidenceStoreError> {
        let bucket = bucket_at(&settings, &settings.endpoint)?;
        let public_bucket = bucket_at(
            &settings,
            settings
                .public_endpoint
                .as_deref()
                .unwrap_or(&settings.endpoint),
        )?;
        Ok(Self {
            bucket,
            public_bucket,
            settings,
        })
    }

    /// Creates the bucket when it does not exist yet (a fresh MinIO or Garage), so a new
    /// installation needs no manual step.
    ///
    /// # Errors
    /// `Unavailable` when the bucket is missing and cannot be created.
    pub async fn ensure_bucket(&self) -> Result<(), EvidenceStoreError> {
        if self.check().await.is_ok() {
            return Ok(());
        }
        let settings = &self.settings;
        let region = Region::Custom {
            region: settings.region.clone(),
            endpoint: settings.endpoint.clone(),
        };
        let config = s3::BucketConfiguration::default();
        let created = if settings.path_style {
            Bucket::create_with_path_style(&settings.bucket, region, credentials(settings)?, config)
                .await
        } else {
            Bucket::create(&settings.bucket, region, credentials(settings)?, config).await
        };
        created.map_err(unavailable)?;
        self.check().await
    }
}

fn credentials(settings: &S3Settings) -> Result<Credentials, EvidenceStoreError> {
    Credentials::new(
        Some(&settings.access_key),
        Some(&settings.secret_key),
        None,
        None,
        None,
    )
    .map_err(unavailable)
}

fn s3_error(key: &str, error: S3Error) -> EvidenceStoreError {
    match error {
        S3Error::HttpFailWithBody(404, _) => EvidenceStoreError::NotFound(key.to_owned()),
        other => unavailable(other),
    }
}

#[async_trait]
impl EvidenceStore for S3EvidenceStore {
    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), EvidenceStoreError> {
        validate_key(key)?;
        self.bucket
            .put_object_with_content_type(key, &bytes, content_type)
            .await
            .map_err(|e| s3_error(key, e))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, EvidenceStoreError> {
        validate_key(key)?;
        let response = self
            .bucket
            .get_object(key)
            .await
            .map_err(|e| s3_error(key, e))?;
        Ok(response.to_vec())
    }

    async fn put_stream(
        &self,
        key: &str,
        content_type: &str,
        body: ByteChunks,
    ) -> Result<(), EvidenceStoreError> {
        validate_key(key)?;
        // The stream's own error (a size limit, say) is kept aside so it is not reported as
        // a storage failure.
        let failure = std::sync::Arc::new(std::sync::Mutex::new(None));
        let seen = failure.clone();
        let bytes = body.map(move |chunk| match chunk {
            Ok(bytes) => Ok(bytes::Bytes::from(bytes)),
            Err(error) => {
                let message = error.to_string();
                if let Ok(mut slot) = seen.lock() {
                    *slot = Some(error);
                }
                Err(std::io::Error::other(message))
            }
        });
        let mut reader = tokio_util::io::StreamReader::new(bytes);
        let result = self
            .bucket
            .put_object_stream_builder(key)
            .with_content_type(content_type)
            // Bounded parallelism keeps memory flat: 2 parts of 8 MiB in flight at most.
            .with_max_concurrent_chunks(2)
            .execute_stream(&mut reader)
            .await;
        let stream_error = failure.lock().ok().and_then(|mut slot| slot.take());
        match (result, stream_error) {
            (_, Some(error)) => Err(error),
            (Ok(_), None) => Ok(()),
            (Err(error), None) => Err(s3_error(key, error)),
        }
    }

    async fn get_stream(&self, key: &str) -> Result<ByteChunks, EvidenceStoreError> {
        validate_key(key)?;
        let response = self
            .bucket
            .get_object_stream(key)
            .await
            .map_err(|e| s3_error(key, e))?;
        let chunks = response
            .bytes
            .map(|item| item.map(|bytes| bytes.to_vec()).map_err(unavailable));
        Ok(Box::pin(chunks))
    }

    async fn delete(&self, key: &str) -> Result<(), EvidenceStoreError> {
        validate_key(key)?;
        match self.bucket.delete_object(key).await {
            Ok(_) | Err(S3Error::HttpFailWithBody(404, _)) => Ok(()),
            Err(other) => Err(unavailable(other)),
        }
    }

    async fn presigned_download(
        &self,
        key: &str,
        filename: &str,
        expires_in: std::time::Duration,
    ) -> Result<Option<String>, EvidenceStoreError> {
        validate_key(key)?;
        let seconds = u32::try_from(expires_in.as_secs()).unwrap_or(u32::MAX);
        // Quotes and backslashes would break out of the header value; sanitized names have
        // none, but the store does not rely on its caller for that.
        let safe: String = filename
            .chars()
            .filter(|c| !matches!(c, '"' | '\\') && !c.is_control())
            .collect();
        let queries = std::collections::HashMap::from([(
            "response-content-disposition".to_owned(),
            format!("attachment; filename=\"{safe}\""),
        )]);
        self.public_bucket
            .presign_get(key, seconds, Some(queries))
            .await
            .map(Some)
            .map_err(unavailable)
    }

    async fn check(&self) -> Result<(), EvidenceStoreError> {
        // Listing one key proves the endpoint answers, the credentials sign and the bucket exists.
        self.bucket
            .list_page(String::new(), None, None, None, Some(1))
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::validate_key;

    #[test]
    fn keys_cannot_escape_the_store() {
        assert!(validate_key("tests/0195/evidence-1.png").is_ok());
        for bad in [
            "",
            "../etc/passwd",
            "a/../../b",
            "/abs",
            "a//b",
            "a/./b",
            "white space",
            "a\\b",
            "ü",
        ] {
            assert!(validate_key(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
