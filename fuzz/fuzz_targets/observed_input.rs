//! Any JSON given to `concord pattern eval` as observed data (bundles,
//! observed-data, SCOs in any mix, 2.1 or 2.0): reading it never panics,
//! and what is read evaluates a few patterns within the budget.
#![no_main]

use concord_pattern::{Observations, Pattern};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const PATTERNS: &[&str] = &[
    "[ipv4-addr:value = '10.0.0.1']",
    "[file:size > 5] AND [network-traffic:src_ref.value ISSUBSET '10.0.0.0/8']",
    "[x:v ISSUBSET 'not a subnet'] REPEATS 2 TIMES WITHIN 5 SECONDS",
    "[file:hashes.MD5 = 'abc'] FOLLOWEDBY [file:name LIKE 'a%']",
];

fuzz_target!(|data: &[u8]| {
    let Ok(input) = serde_json::from_slice::<Value>(data) else { return };
    let list = match input {
        Value::Array(v) => v,
        single => vec![single],
    };
    for observations in [
        Observations::from_stix21(&list),
        Observations::from_observed_data_v20(&list),
    ] {
        let Ok(observations) = observations else { continue };
        for text in PATTERNS {
            let pattern = Pattern::parse(text).expect("a fixed pattern parses");
            let _ = pattern.matches_with_budget(&observations, 200_000);
        }
    }
});
