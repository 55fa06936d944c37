//! `aegis bundle create`: everything an air-gapped site installs from, in one `.tar.gz`: this
//! binary (a release build carries the web UI inside it), the feed archives to import, the
//! systemd units for the API and the workers, `install.sh`, and `MANIFEST.sha256` (the format
//! `sha256sum -c` reads) that the installer checks first.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use aegis_domain::data_source::FeedKind;

use crate::cli::CliError;

const ROOT: &str = "aegis-bundle";

/// Files the bundle always carries besides the binary: the units, their settings, the
/// installer.
const FIXED: [(&str, &str, u32); 4] = [
    (
        "systemd/aegis.service",
        include_str!("../../../deploy/systemd/aegis.service"),
        0o644,
    ),
    (
        "systemd/aegis-worker.service",
        include_str!("../../../deploy/systemd/aegis-worker.service"),
        0o644,
    ),
    (
        "systemd/aegis.env.example",
        include_str!("../../../deploy/systemd/aegis.env.example"),
        0o644,
    ),
    (
        "install.sh",
        include_str!("../../../scripts/install.sh"),
        0o755,
    ),
];

/// A feed archive to carry: `KIND=PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundledFeed {
    pub kind: FeedKind,
    pub path: PathBuf,
}

impl std::str::FromStr for BundledFeed {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (kind, path) = text
            .split_once('=')
            .ok_or_else(|| format!("`{text}` is not KIND=PATH"))?;
        let kind = FeedKind::parse(kind.trim()).ok_or_else(|| {
            let known: Vec<&str> = FeedKind::ALL.iter().map(|k| k.as_str()).collect();
            format!("unknown feed `{kind}`; one of: {}", known.join(", "))
        })?;
        Ok(Self {
            kind,
            path: PathBuf::from(path),
        })
    }
}

/// What went into a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    pub files: usize,
    pub bytes: u64,
}

fn failed(what: String) -> impl FnOnce(std::io::Error) -> CliError {
    move |e| CliError::Failed(format!("{what}: {e}"))
}

fn append(
    archive: &mut tar::Builder<impl Write>,
    manifest: &mut String,
    path: &str,
    bytes: &[u8],
    mode: u32,
) -> Result<(), CliError> {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(mode);
    header.set_mtime(0);
    header.set_cksum();
    archive
        .append_data(&mut header, format!("{ROOT}/{path}"), bytes)
        .map_err(failed(format!("writing {path}")))?;
    manifest.push_str(&format!("{}  {path}\n", hex::encode(Sha256::digest(bytes))));
    Ok(())
}

/// Writes the bundle to `out`.
///
/// # Errors
/// When this binary, a feed file or the output cannot be read or written.
pub fn create(out: &Path, feeds: &[BundledFeed]) -> Result<Bundle, CliError> {
    let binary = std::env::current_exe().map_err(failed("finding this binary".to_owned()))?;
    let file = std::fs::File::create(out).map_err(failed(format!("creating {}", out.display())))?;
    let encoder = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    let mut archive = tar::Builder::new(encoder);
    let mut manifest = String::new();
    let mut bytes = 0_u64;
    let mut files = 0;

    let executable =
        std::fs::read(&binary).map_err(failed(format!("reading {}", binary.display())))?;
    append(&mut archive, &mut manifest, "bin/aegis", &executable, 0o755)?;
    bytes += executable.len() as u64;
    files += 1;
    for (path, text, mode) in FIXED {
        append(&mut archive, &mut manifest, path, text.as_bytes(), mode)?;
        bytes += text.len() as u64;
        files += 1;
    }
    for feed in feeds {
        let name = feed
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| !n.is_empty())
            .ok_or_else(|| {
                CliError::Failed(format!("{} is not a file name", feed.path.display()))
            })?;
        if !feed.path.is_file() {
            return Err(CliError::Failed(format!(
                "{}: a feed is bundled as one file (an archive or a bundle), not a directory",
                feed.path.display()
            )));
        }
        let content = std::fs::read(&feed.path)
            .map_err(failed(format!("reading {}", feed.path.display())))?;
        let path = format!("feeds/{}/{name}", feed.kind.as_str());
        append(&mut archive, &mut manifest, &path, &content, 0o644)?;
        bytes += content.len() as u64;
        files += 1;
    }
    append(
        &mut archive,
        &mut String::new(),
        "MANIFEST.sha256",
        manifest.as_bytes(),
        0o644,
    )?;
    archive
        .into_inner()
        .and_then(flate2::write::GzEncoder::finish)
        .and_then(|mut file| file.flush())
        .map_err(failed(format!("finishing {}", out.display())))?;
    Ok(Bundle { files, bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_is_kind_equals_path() {
        let feed: BundledFeed = "sigma=/srv/sigma_all_rules.zip"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(feed.kind, FeedKind::Sigma);
        assert_eq!(feed.path, PathBuf::from("/srv/sigma_all_rules.zip"));
        assert!("nonsense".parse::<BundledFeed>().is_err());
        let unknown = "yara=/x".parse::<BundledFeed>().err().unwrap_or_default();
        assert!(unknown.contains("one of: attack"), "{unknown}");
    }
}
