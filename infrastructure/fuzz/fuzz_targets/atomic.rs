//! The atomic parser: any bytes are refused with a reason or parsed, never a panic.
#![no_main]

use aegis_infrastructure::feeds::collection::FeedFile;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let file = FeedFile {
        path: "atomics/T1059/T1059.yaml".to_owned(),
        bytes: data.to_vec(),
    };
    let _ = aegis_infrastructure::feeds::atomic::parse_atomic_file(&file);
});
