//! The CTID KEV mapping parser: any bytes are refused with a reason or parsed, never a panic.
#![no_main]

use aegis_infrastructure::feeds::collection::FeedFile;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let file = FeedFile {
        path: "kev_attack-16.1-enterprise.json".to_owned(),
        bytes: data.to_vec(),
    };
    let _ = aegis_infrastructure::feeds::kev_attack::parse_kev_attack_file(&file);
});
