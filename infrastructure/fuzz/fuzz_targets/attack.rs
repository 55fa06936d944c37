//! ATT&CK STIX bundles: any bytes are refused or parsed, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = aegis_infrastructure::feeds::attack::parse_bundle(data);
});
