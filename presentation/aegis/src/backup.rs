//! `aegis backup --to DIR` and `aegis restore --from DIR`: the database (a consistent copy
//! taken while Aegis runs), every evidence file and report it names, the embedded profile's
//! secret when it lives in the data directory, and a manifest with the row count of every
//! table and the SHA-256 of every file. A restore goes into an empty installation and proves
//! itself: the counts match, every object's hash verifies (evidence against its chain of
//! custody), every audit chain verifies and every report's seal verifies.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use aegis_application::ports::EvidenceStore;
use aegis_application::reports::DocumentSigner;
use aegis_infrastructure::backup::{self, Engine, NamedObject, ObjectKind};

use crate::app;
use crate::cli::CliError;
use crate::config::Settings;

const FORMAT: u32 = 1;
const MANIFEST: &str = "manifest.json";
const OBJECTS: &str = "objects";
const SECRET: &str = "secret.key";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestObject {
    pub key: String,
    pub kind: ObjectKind,
    /// The hash its row records: evidence's chain-of-custody hash, a report's signed digest.
    pub recorded_sha256: String,
    /// The hash of the bytes in the backup.
    pub sha256: String,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub aegis_version: String,
    pub created_at: DateTime<Utc>,
    pub engine: Engine,
    pub database_file: String,
    pub database_sha256: String,
    /// Whether the data directory's secret (report signing, credentials, sessions) is in it.
    pub includes_secret: bool,
    pub tables: BTreeMap<String, u64>,
    pub objects: Vec<ManifestObject>,
}

impl Manifest {
    pub fn rows(&self) -> u64 {
        self.tables.values().sum()
    }
}

pub(crate) fn failed(what: &str) -> impl FnOnce(&dyn std::fmt::Display) -> CliError + '_ {
    move |e| CliError::Failed(format!("{what}: {e}"))
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn file_sha256(path: &Path) -> Result<String, CliError> {
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|e| failed("reading the database copy")(&e))?;
    Ok(sha256_hex(&bytes))
}

/// The file an object key is kept in: keys are relative paths, never leaving the folder.
fn object_path(dir: &Path, key: &str) -> Result<PathBuf, CliError> {
    let relative = Path::new(key);
    if key.is_empty()
        || !relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
    {
        return Err(CliError::Failed(format!(
            "the object key `{key}` is not a relative path"
        )));
    }
    Ok(dir.join(OBJECTS).join(relative))
}

/// Whether `dir` is missing or empty.
fn is_unused(dir: &Path) -> bool {
    std::fs::read_dir(dir).map_or(true, |mut entries| entries.next().is_none())
}

/// `aegis backup --to DIR`.
///
/// # Errors
/// When the directory is in use, the database cannot be copied, or an object is missing or
/// does not match the hash its row records.
pub async fn backup(settings: &Settings, to: &Path) -> Result<Manifest, CliError> {
    if !is_unused(to) {
        return Err(CliError::Failed(format!(
            "{} is not empty: back up into a new directory",
            to.display()
        )));
    }
    std::fs::create_dir_all(to.join(OBJECTS)).map_err(|e| failed("the backup directory")(&e))?;
    let wired = app::wire(settings).await?;
    let url = settings.database_url();
    let engine = Engine::of_url(&url);
    let database_file = to.join(engine.file_name());
    let contents = backup::dump(wired.database.connection(), &url, &database_file)
        .await
        .map_err(|e| failed("copying the database")(&e))?;
    let store = app::evidence_store(settings).await?;
    let mut objects = Vec::with_capacity(contents.objects.len());
    for named in contents.objects {
        let (bytes, object) = checked_object(store.as_ref(), named).await?;
        let path = object_path(to, &object.key)?;
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| failed("the backup directory")(&e))?;
        }
        tokio::fs::write(&path, &bytes)
            .await
            .map_err(|e| failed("writing an object")(&e))?;
        objects.push(object);
    }
    let secret_file = settings.data_dir.join(SECRET);
    let includes_secret = settings.secret_key.is_none() && secret_file.exists();
    if includes_secret {
        copy_private(&secret_file, &to.join(SECRET))?;
    }
    let manifest = Manifest {
        format: FORMAT,
        aegis_version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at: Utc::now(),
        engine,
        database_file: engine.file_name().to_owned(),
        database_sha256: file_sha256(&database_file).await?,
        includes_secret,
        tables: contents.tables,
        objects,
    };
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| failed("the manifest")(&e))?;
    std::fs::write(to.join(MANIFEST), text).map_err(|e| failed("writing the manifest")(&e))?;
    Ok(manifest)
}

/// An object the database names, read from the store; evidence must still match its
/// chain-of-custody hash.
pub(crate) async fn checked_object(
    store: &dyn EvidenceStore,
    named: NamedObject,
) -> Result<(Vec<u8>, ManifestObject), CliError> {
    let bytes = read_object(store, &named.key).await?;
    let sha256 = sha256_hex(&bytes);
    if matches!(named.kind, ObjectKind::Evidence | ObjectKind::ScanDiff)
        && sha256 != named.recorded_sha256
    {
        return Err(CliError::Failed(format!(
            "{} no longer matches its recorded hash: the store was altered",
            named.key
        )));
    }
    let object = ManifestObject {
        size: bytes.len() as u64,
        key: named.key,
        kind: named.kind,
        recorded_sha256: named.recorded_sha256,
        sha256,
    };
    Ok((bytes, object))
}

fn copy_private(from: &Path, to: &Path) -> Result<(), CliError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let bytes = std::fs::read(from).map_err(|e| failed("reading the secret")(&e))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(to)
        .map_err(|e| failed("writing the secret")(&e))?;
    file.write_all(&bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| failed("writing the secret")(&e))
}

pub(crate) async fn read_object(store: &dyn EvidenceStore, key: &str) -> Result<Vec<u8>, CliError> {
    let mut stream = store
        .get_stream(key)
        .await
        .map_err(|e| CliError::Failed(format!("reading object {key}: {e}")))?;
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        bytes.extend(chunk.map_err(|e| CliError::Failed(format!("reading object {key}: {e}")))?);
    }
    Ok(bytes)
}

/// What a restore checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub tables: usize,
    pub rows: u64,
    pub objects: usize,
    pub audit_chains: usize,
    pub audit_entries: u64,
    pub report_seals: usize,
}

/// `aegis restore --from DIR`, into an empty installation, then its checks.
///
/// # Errors
/// When the backup is damaged, the target is not empty, or any check fails.
pub async fn restore(settings: &Settings, from: &Path) -> Result<Restored, CliError> {
    let text = std::fs::read_to_string(from.join(MANIFEST))
        .map_err(|e| failed("reading the manifest")(&e))?;
    let manifest: Manifest =
        serde_json::from_str(&text).map_err(|e| failed("the manifest is not valid")(&e))?;
    if manifest.format != FORMAT {
        return Err(CliError::Failed(format!(
            "backup format {} is not supported (this Aegis reads {FORMAT})",
            manifest.format
        )));
    }
    let url = settings.database_url();
    if Engine::of_url(&url) != manifest.engine {
        return Err(CliError::Failed(format!(
            "the backup is of a {:?} database and this installation uses another engine: \
             `aegis migrate-data` moves an embedded installation to PostgreSQL",
            manifest.engine
        )));
    }
    let database_file = from.join(&manifest.database_file);
    if file_sha256(&database_file).await? != manifest.database_sha256 {
        return Err(CliError::Failed(
            "the database copy does not match the manifest's hash: the backup is damaged"
                .to_owned(),
        ));
    }
    // Every object is checked before anything is written.
    let mut objects = Vec::with_capacity(manifest.objects.len());
    for object in &manifest.objects {
        let bytes = tokio::fs::read(object_path(from, &object.key)?)
            .await
            .map_err(|e| CliError::Failed(format!("reading object {}: {e}", object.key)))?;
        if sha256_hex(&bytes) != object.sha256 {
            return Err(CliError::Failed(format!(
                "object {} does not match the manifest's hash: the backup is damaged",
                object.key
            )));
        }
        objects.push(bytes);
    }
    std::fs::create_dir_all(&settings.data_dir).map_err(|e| failed("the data directory")(&e))?;
    if manifest.includes_secret && settings.secret_key.is_none() {
        let target = settings.data_dir.join(SECRET);
        let wanted =
            std::fs::read(from.join(SECRET)).map_err(|e| failed("the backup's secret")(&e))?;
        match std::fs::read(&target) {
            Ok(existing) if existing != wanted => {
                return Err(CliError::Failed(format!(
                    "{} holds another secret: restore into an empty data directory",
                    target.display()
                )));
            }
            Ok(_) => {}
            Err(_) => copy_private(&from.join(SECRET), &target)?,
        }
    }
    let contents = backup::restore(&url, &database_file)
        .await
        .map_err(|e| failed("restoring the database")(&e))?;
    if contents.tables != manifest.tables {
        let differ: Vec<String> = manifest
            .tables
            .iter()
            .filter(|(table, count)| contents.tables.get(*table) != Some(count))
            .map(|(table, count)| {
                format!(
                    "{table}: {count} in the backup, {} restored",
                    contents.tables.get(table).copied().unwrap_or_default()
                )
            })
            .collect();
        return Err(CliError::Failed(format!(
            "the restored row counts differ: {}",
            differ.join("; ")
        )));
    }
    let store = app::evidence_store(settings).await?;
    for (object, bytes) in manifest.objects.iter().zip(objects) {
        store
            .put(&object.key, bytes, "application/octet-stream")
            .await
            .map_err(|e| CliError::Failed(format!("storing object {}: {e}", object.key)))?;
    }
    let verified = verify(settings, &manifest.objects, store.as_ref()).await?;
    Ok(Restored {
        tables: manifest.tables.len(),
        rows: manifest.rows(),
        objects: manifest.objects.len(),
        audit_chains: verified.audit_chains,
        audit_entries: verified.audit_entries,
        report_seals: verified.report_seals,
    })
}

/// What the checks of a restored or moved installation found intact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub audit_chains: usize,
    pub audit_entries: u64,
    pub report_seals: usize,
}

/// The checks after a restore or a move: every object as recorded, every audit chain, every
/// seal.
pub(crate) async fn verify(
    settings: &Settings,
    objects: &[ManifestObject],
    store: &dyn EvidenceStore,
) -> Result<Verified, CliError> {
    let signer = app::report_signer(settings, &app::server_secret(settings)?)?;
    let mut report_seals = 0;
    for object in objects {
        let bytes = read_object(store, &object.key).await?;
        if sha256_hex(&bytes) != object.sha256 {
            return Err(CliError::Failed(format!(
                "object {} changed on its way into the store",
                object.key
            )));
        }
        match object.kind {
            ObjectKind::Evidence if object.sha256 != object.recorded_sha256 => {
                return Err(CliError::Failed(format!(
                    "evidence {} does not match its chain-of-custody hash",
                    object.key
                )));
            }
            ObjectKind::ScanDiff if object.sha256 != object.recorded_sha256 => {
                return Err(CliError::Failed(format!(
                    "scan diff {} does not match the hash its scan keeps",
                    object.key
                )));
            }
            ObjectKind::Evidence | ObjectKind::ScanDiff => {}
            ObjectKind::Report => {
                let valid = aegis_domain::report::unseal(&bytes).is_some_and(|seal| {
                    let digest = Sha256::digest(seal.body);
                    hex::encode(digest) == seal.digest_hex
                        && seal.digest_hex == object.recorded_sha256
                        && signer.verify(&digest, &seal.signature_hex)
                });
                if !valid {
                    return Err(CliError::Failed(format!(
                        "report {}: its seal does not verify with this installation's key \
                         (restore with the same AEGIS_SECRET_KEY or report signing key)",
                        object.key
                    )));
                }
                report_seals += 1;
            }
        }
    }
    let prepared = app::prepare(settings).await?;
    let chains = prepared
        .wired
        .services
        .audit_log
        .verify_all()
        .await
        .map_err(|e| failed("verifying the audit trail")(&e))?;
    let mut audit_entries = 0;
    for (tenant, report) in &chains {
        if let Some(problem) = &report.broken {
            return Err(CliError::Failed(format!(
                "the audit chain of {} is broken after the restore: {problem}",
                tenant.slug.as_str()
            )));
        }
        audit_entries += report.entries_checked;
    }
    Ok(Verified {
        audit_chains: chains.len(),
        audit_entries,
        report_seals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_keys_stay_inside_the_backup() {
        let dir = Path::new("/backups/b1");
        assert_eq!(
            object_path(dir, "reports/t/r.html").unwrap_or_default(),
            PathBuf::from("/backups/b1/objects/reports/t/r.html")
        );
        for bad in ["", "../etc/passwd", "/etc/passwd", "a/../../b"] {
            assert!(object_path(dir, bad).is_err(), "{bad}");
        }
    }
}
