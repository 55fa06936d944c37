//! The stix intel parser: any bytes are refused with a reason or parsed, never a panic.
#![no_main]

use aegis_infrastructure::feeds::collection::FeedFile;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let file = FeedFile {
        path: "bundle.json".to_owned(),
        bytes: data.to_vec(),
    };
    let _ = aegis_infrastructure::feeds::stix_intel::parse_stix_intel_file(&file);
});
