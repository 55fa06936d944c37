//! Compliance workbooks (.xlsx): any bytes are refused with a reason or parsed; no panic
//! escapes the parser. calamine can panic on crafted workbooks, which the parser catches, so
//! this target reports escaping panics only (libFuzzer's abort-on-panic hook is replaced).
#![no_main]

use aegis_infrastructure::feeds::collection::FeedFile;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let file = FeedFile {
        path: "controls.xlsx".to_owned(),
        bytes: data.to_vec(),
    };
    let _ = aegis_infrastructure::feeds::compliance_sheets::parse_compliance_workbook(&file);
});
