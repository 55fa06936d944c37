//! The RSS and Atom parser: any bytes are refused with a reason or parsed, never a panic.
#![no_main]

use aegis_infrastructure::feeds::collection::FeedFile;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let file = FeedFile {
        path: "feed.xml".to_owned(),
        bytes: data.to_vec(),
    };
    let _ = aegis_infrastructure::feeds::news::parse_news_feed(&file);
});
