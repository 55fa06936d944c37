//! The KEV catalog parser: any bytes are refused with a reason or parsed, never a panic.
#![no_main]

use aegis_infrastructure::feeds::collection::FeedFile;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let file = FeedFile {
        path: "known_exploited_vulnerabilities.json".to_owned(),
        bytes: data.to_vec(),
    };
    let _ = aegis_infrastructure::feeds::kev::parse_kev_catalog(&file);
});
