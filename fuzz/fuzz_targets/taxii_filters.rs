//! TAXII URL parameters (limit, next, added_after, match[...]): any query
//! string gives filters or a named error, never a panic; accepted filters
//! are bounded, and `next` tokens round-trip.
#![no_main]

use concord_taxii::query::{self, MAX_FILTER_VALUES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match query::parse(text) {
        Ok(f) => {
            assert!(f.ids.len() <= MAX_FILTER_VALUES);
            assert!(f.types.len() <= MAX_FILTER_VALUES);
            assert!(f.spec_versions.len() <= MAX_FILTER_VALUES);
            assert!(f.limit.is_none_or(|l| l > 0));
            if let Some(n) = f.next {
                assert_eq!(query::decode_next(&query::encode_next(n)), Some(n));
            }
        }
        Err(e) => assert!(!e.param.is_empty()),
    }
});
