//! Archives: any .zip or .tar.gz is read within the limits (traversal, bombs and oversize
//! entries refused), never a panic.
#![no_main]

use aegis_infrastructure::feeds::collection::{CollectionLimits, read_collection};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let limits = CollectionLimits {
        max_file_bytes: 1 << 20,
        max_total_bytes: 8 << 20,
        max_files: 1000,
    };
    for name in ["feed.zip", "feed.tar.gz"] {
        let path = dir.path().join(name);
        if std::fs::write(&path, data).is_ok() {
            let _ = read_collection(&path, &|_: &str| true, limits);
        }
    }
});
