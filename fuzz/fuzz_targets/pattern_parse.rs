//! Any text: parsing never panics; a pattern that parses prints to a
//! pattern that parses to the same tree, and evaluates without panicking.
#![no_main]

use concord_pattern::{Observations, Pattern};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(pattern) = Pattern::parse(text) else { return };
    let printed = pattern.ast().to_string();
    let again = Pattern::parse(&printed).expect("a printed pattern parses");
    assert_eq!(again.ast(), pattern.ast(), "printing round-trips: {printed}");
    let bundles = vec![json!({"type": "bundle", "id": "bundle--1", "objects": [
        {"type": "observed-data", "id": "observed-data--1", "first_observed": "2021-01-01T00:00:00Z",
         "last_observed": "2021-01-01T00:00:05Z", "number_observed": 2,
         "object_refs": ["file--1", "ipv4-addr--1", "network-traffic--1"]},
        {"type": "file", "id": "file--1", "name": "a.exe", "size": 10, "hashes": {"MD5": "abc"}, "x_list": [1, "b"], "data_hex": "00ff"},
        {"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "10.0.0.1"},
        {"type": "network-traffic", "id": "network-traffic--1", "src_ref": "ipv4-addr--1", "dst_port": 443},
    ]})];
    let obs = Observations::from_stix21(&bundles).expect("fixed input is valid");
    let _ = pattern.matches_with_budget(&obs, 200_000);
});
