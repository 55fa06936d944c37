//! Compliance workbooks (.xlsx): any bytes are refused with a reason or parsed, never a panic.
#![no_main]

use aegis_infrastructure::feeds::collection::FeedFile;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let file = FeedFile {
        path: "controls.xlsx".to_owned(),
        bytes: data.to_vec(),
    };
    let _ = aegis_infrastructure::feeds::compliance_sheets::parse_compliance_workbook(&file);
});
