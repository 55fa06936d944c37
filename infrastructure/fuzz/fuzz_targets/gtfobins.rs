//! GTFOBins pages and the function list: any bytes are refused with a reason or parsed, never
//! a panic.
#![no_main]

use aegis_infrastructure::feeds::collection::FeedFile;
use aegis_infrastructure::feeds::lolbin;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let page = FeedFile {
        path: "_gtfobins/tool".to_owned(),
        bytes: data.to_vec(),
    };
    let _ = lolbin::parse_gtfobins_file(&page, &lolbin::default_function_techniques());
    let list = FeedFile {
        path: "_data/functions.yml".to_owned(),
        bytes: data.to_vec(),
    };
    let _ = lolbin::parse_function_techniques(&list);
});
