//! The compliance-mapping parser: any bytes are refused with a reason or parsed, never a panic.
#![no_main]

use aegis_infrastructure::feeds::collection::FeedFile;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let file = FeedFile {
        path: "nist_800_53-rev5_attack-16.1-enterprise.json".to_owned(),
        bytes: data.to_vec(),
    };
    let _ = aegis_infrastructure::feeds::ctid::parse_ctid_file(&file);
});
