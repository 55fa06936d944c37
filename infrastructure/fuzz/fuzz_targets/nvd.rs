//! The NVD CVE 2.0 parser: any bytes are refused with a reason or parsed, never a panic.
#![no_main]

use aegis_infrastructure::feeds::collection::FeedFile;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let file = FeedFile {
        path: "nvdcve-2.0.json".to_owned(),
        bytes: data.to_vec(),
    };
    let _ = aegis_infrastructure::feeds::nvd::parse_nvd_file(&file);
});
