//! A feed published as many files (rule sets): read from a file, a directory, or a `.zip` /
//! `.tar.gz` archive, within bounds. Entries that try to leave the archive, files over the
//! size limit and archives that inflate beyond the total are refused with their reason; the
//! rest are read.

use std::io::Read;
use std::path::{Component, Path};

/// Limits on what one import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CollectionLimits {
    /// The largest single file, decompressed.
    pub max_file_bytes: u64,
    /// All files together, decompressed.
    pub max_total_bytes: u64,
    pub max_files: usize,
}

impl Default for CollectionLimits {
    fn default() -> Self {
        Self {
            max_file_bytes: 8 * 1024 * 1024,
            max_total_bytes: 512 * 1024 * 1024,
            max_files: 100_000,
        }
    }
}

/// One file of a feed, with its path inside the import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// What was read, and what was refused with why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Collection {
    pub files: Vec<FeedFile>,
    pub skipped: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum CollectionError {
    #[error("cannot read {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("the import is larger than {0} bytes once decompressed")]
    TooLarge(u64),
    #[error("the import holds more than {0} files")]
    TooManyFiles(usize),
}

struct Reader<'a> {
    limits: CollectionLimits,
    wanted: &'a dyn Fn(&str) -> bool,
    total: u64,
    collection: Collection,
}

impl Reader<'_> {
    /// Reads one entry of at most the file limit; `Ok(false)` when it was refused.
    fn take(&mut self, path: String, reader: impl Read) -> Result<(), CollectionError> {
        if !(self.wanted)(&path) {
            return Ok(());
        }
        if self.collection.files.len() >= self.limits.max_files {
            return Err(CollectionError::TooManyFiles(self.limits.max_files));
        }
        let mut bytes = Vec::new();
        let read = reader
            .take(self.limits.max_file_bytes + 1)
            .read_to_end(&mut bytes);
        if let Err(error) = read {
            self.collection
                .skipped
                .push((path, format!("unreadable: {error}")));
            return Ok(());
        }
        if bytes.len() as u64 > self.limits.max_file_bytes {
            self.collection.skipped.push((
                path,
                format!("larger than {} bytes", self.limits.max_file_bytes),
            ));
            return Ok(());
        }
        self.total += bytes.len() as u64;
        if self.total > self.limits.max_total_bytes {
            return Err(CollectionError::TooLarge(self.limits.max_total_bytes));
        }
        self.collection.files.push(FeedFile { path, bytes });
        Ok(())
    }

    fn refuse(&mut self, path: String, reason: &str) {
        self.collection.skipped.push((path, reason.to_owned()));
    }
}

/// Whether an archive entry's name stays inside the archive.
fn is_contained(name: &Path) -> bool {
    name.components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

fn unreadable(path: &Path, error: impl std::fmt::Display) -> CollectionError {
    CollectionError::Unreadable {
        path: path.display().to_string(),
        reason: error.to_string(),
    }
}

fn read_directory(root: &Path, dir: &Path, reader: &mut Reader<'_>) -> Result<(), CollectionError> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| unreadable(dir, e))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(std::fs::DirEntry::path);
    for entry in entries {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let relative = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        if kind.is_symlink() {
            reader.refuse(relative, "symbolic links are not followed");
        } else if kind.is_dir() {
            read_directory(root, &path, reader)?;
        } else if kind.is_file() {
            let file = std::fs::File::open(&path).map_err(|e| unreadable(&path, e))?;
            reader.take(relative, file)?;
        }
    }
    Ok(())
}

fn read_zip(path: &Path, reader: &mut Reader<'_>) -> Result<(), CollectionError> {
    let file = std::fs::File::open(path).map_err(|e| unreadable(path, e))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| unreadable(path, e))?;
    for index in 0..archive.len() {
        let entry = archive.by_index(index).map_err(|e| unreadable(path, e))?;
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        if entry.is_dir() {
            continue;
        }
        match entry.enclosed_name() {
            Some(inside) if is_contained(&inside) => {
                let inside = inside.to_string_lossy().replace('\\', "/");
                reader.take(inside, entry)?;
            }
            _ => reader.refuse(name, "the entry's path leaves the archive"),
        }
    }
    Ok(())
}

fn read_tar_gz(path: &Path, reader: &mut Reader<'_>) -> Result<(), CollectionError> {
    let file = std::fs::File::open(path).map_err(|e| unreadable(path, e))?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let entries = archive.entries().map_err(|e| unreadable(path, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| unreadable(path, e))?;
        let Ok(name) = entry.path().map(|p| p.into_owned()) else {
            continue;
        };
        let display = name.to_string_lossy().replace('\\', "/");
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        if !kind.is_file() {
            reader.refuse(display, "only regular files are read");
        } else if is_contained(&name) {
            reader.take(display, entry)?;
        } else {
            reader.refuse(display, "the entry's path leaves the archive");
        }
    }
    Ok(())
}

/// Reads the files of `path` whose path `wanted` accepts: `path` may be one file, a
/// directory (read recursively, symbolic links not followed), a `.zip` or a `.tar.gz`/`.tgz`.
///
/// # Errors
/// `Unreadable` when `path` or an archive cannot be read at all; `TooLarge` / `TooManyFiles`
/// when the import exceeds `limits` as a whole.
pub fn read_collection(
    path: &Path,
    wanted: &dyn Fn(&str) -> bool,
    limits: CollectionLimits,
) -> Result<Collection, CollectionError> {
    let mut reader = Reader {
        limits,
        wanted,
        total: 0,
        collection: Collection::default(),
    };
    let metadata = std::fs::metadata(path).map_err(|e| unreadable(path, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if metadata.is_dir() {
        read_directory(path, path, &mut reader)?;
    } else if name.ends_with(".zip") {
        read_zip(path, &mut reader)?;
    } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        read_tar_gz(path, &mut reader)?;
    } else {
        let file = std::fs::File::open(path).map_err(|e| unreadable(path, e))?;
        let accept_any = |_: &str| true;
        let mut single = Reader {
            limits,
            wanted: &accept_any,
            total: 0,
            collection: Collection::default(),
        };
        single.take(name, file)?;
        return Ok(single.collection);
    }
    Ok(reader.collection)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn yaml(path: &str) -> bool {
        path.ends_with(".yml") || path.ends_with(".yaml")
    }

    #[test]
    fn a_zip_is_read_and_escaping_or_oversized_entries_are_refused()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("rules.zip");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path)?);
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("rules/a.yml", options)?;
        zip.write_all(b"title: a")?;
        zip.start_file("../../etc/evil.yml", options)?;
        zip.write_all(b"title: evil")?;
        zip.start_file("rules/big.yml", options)?;
        zip.write_all(&vec![b'#'; 5000])?;
        zip.start_file("README.md", options)?;
        zip.write_all(b"not a rule")?;
        zip.finish()?;
        let limits = CollectionLimits {
            max_file_bytes: 1000,
            ..CollectionLimits::default()
        };
        let read = read_collection(&path, &yaml, limits)?;
        assert_eq!(read.files.len(), 1);
        assert_eq!(read.files[0].path, "rules/a.yml");
        let reasons: Vec<&str> = read.skipped.iter().map(|(_, r)| r.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "the entry's path leaves the archive",
                "larger than 1000 bytes"
            ]
        );
        Ok(())
    }

    #[test]
    fn a_tar_gz_bomb_is_refused_as_a_whole() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("rules.tar.gz");
        let encoder = flate2::write::GzEncoder::new(
            std::fs::File::create(&path)?,
            flate2::Compression::best(),
        );
        let mut tar = tar::Builder::new(encoder);
        for index in 0..4 {
            let body = vec![b' '; 600];
            let mut header = tar::Header::new_gnu();
            header.set_size(body.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, format!("r{index}.yml"), body.as_slice())?;
        }
        tar.into_inner()?.finish()?;
        let limits = CollectionLimits {
            max_file_bytes: 1000,
            max_total_bytes: 2000,
            max_files: 10,
        };
        assert!(matches!(
            read_collection(&path, &yaml, limits),
            Err(CollectionError::TooLarge(2000))
        ));
        let generous = CollectionLimits::default();
        assert_eq!(read_collection(&path, &yaml, generous)?.files.len(), 4);
        Ok(())
    }

    #[test]
    fn a_directory_is_walked_in_order() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir_all(dir.path().join("b/c"))?;
        std::fs::write(dir.path().join("b/c/two.yml"), "x")?;
        std::fs::write(dir.path().join("a.yml"), "x")?;
        std::fs::write(dir.path().join("notes.txt"), "x")?;
        let read = read_collection(dir.path(), &yaml, CollectionLimits::default())?;
        let paths: Vec<&str> = read.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["a.yml", "b/c/two.yml"]);
        Ok(())
    }
}
