//! The Attack Flow parser (STIX bundles and `.afb` files): any bytes are refused with a reason
//! or parsed, never a panic; what parses also survives the pass-through and cycle breaking.
#![no_main]

use aegis_domain::attack_path::DraftKind;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(draft) = aegis_infrastructure::feeds::attack_flow::parse_attack_flow(data) {
        let _ = draft
            .without(|s| s.kind == DraftKind::PassThrough)
            .acyclic();
    }
});
