//! The SARIF parser: any bytes are refused with a reason or parsed, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = aegis_infrastructure::feeds::sarif::parse_sarif(data);
});
