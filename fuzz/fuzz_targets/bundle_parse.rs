//! Bundle reading + strict parsing + validation, as `concord import` does it:
//! any bytes must give objects or errors, never a panic, and every object the
//! reader yields must lie inside the input.
#![no_main]

use concord_stix::bundle::BundleReader;
use concord_stix::ingest::{read_object, storable_json};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for item in BundleReader::with_limit(data, 4096) {
        let Ok(raw) = item else { continue };
        assert!(raw.bytes.len() <= data.len() + 2);
        if let Ok(checked) = read_object(&raw.bytes, &concord_pattern::Grammar) {
            let json = storable_json(&raw.bytes, &checked.object);
            // What is stored must read back as the same object.
            let again = read_object(json.as_bytes(), &concord_pattern::Grammar).expect("stored JSON re-reads");
            assert_eq!(again.object, checked.object);
        }
    }
});
