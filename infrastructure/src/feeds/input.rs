//! Reading a feed file from disk, plain or gzip-compressed, within a size bound so that a
//! hostile file (a decompression bomb) is refused rather than exhausting memory.

use std::io::Read;
use std::path::Path;

/// The largest feed accepted after decompression (the full enterprise bundle is ~45 MB).
pub const MAX_FEED_BYTES: u64 = 512 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum FeedInputError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is larger than {limit} bytes once decompressed")]
    TooLarge { path: String, limit: u64 },
}

/// The bytes of `path`, decompressed when it is gzip (by its magic number, not its name).
///
/// # Errors
/// `Io` when unreadable, `TooLarge` beyond `limit` bytes.
pub fn read_feed_file(path: &Path, limit: u64) -> Result<Vec<u8>, FeedInputError> {
    let display = path.display().to_string();
    let raw = std::fs::read(path).map_err(|source| FeedInputError::Io {
        path: display.clone(),
        source,
    })?;
    decompress_bounded(raw, limit).map_err(|error| match error {
        FeedInputError::Io { source, .. } => FeedInputError::Io {
            path: display.clone(),
            source,
        },
        FeedInputError::TooLarge { limit, .. } => FeedInputError::TooLarge {
            path: display.clone(),
            limit,
        },
    })
}

/// `raw` itself, or its gzip decompression, refused beyond `limit` bytes.
///
/// # Errors
/// `Io` for a corrupt gzip stream, `TooLarge` beyond `limit` bytes.
pub fn decompress_bounded(raw: Vec<u8>, limit: u64) -> Result<Vec<u8>, FeedInputError> {
    let too_large = || FeedInputError::TooLarge {
        path: "download".to_owned(),
        limit,
    };
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return if raw.len() as u64 > limit {
            Err(too_large())
        } else {
            Ok(raw)
        };
    }
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(raw.as_slice())
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| FeedInputError::Io {
            path: "download".to_owned(),
            source,
        })?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn gzip_is_detected_and_bombs_are_refused() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("bundle.bin");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&vec![b' '; 10_000])?;
        std::fs::write(&path, encoder.finish()?)?;
        assert_eq!(read_feed_file(&path, 20_000)?.len(), 10_000);
        assert!(matches!(
            read_feed_file(&path, 1_000),
            Err(FeedInputError::TooLarge { .. })
        ));
        Ok(())
    }
}
