//! Batch verification of a page of signed objects gives, object by object,
//! the verdict of verifying each alone: signatures by two trusted keys (and
//! one untrusted), with any bytes of any of them changed by the fuzzer.
//! A batch that fails falls back to strict verification one by one, so a
//! bad signature among good ones is still named, and good ones still pass.
#![no_main]

use std::sync::OnceLock;

use concord_stix::json::parse_object;
use concord_trust::{Keypair, TrustedKeySet, sign_object, verify_object, verify_objects};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

const MEMBERS: [&str; 3] = [
    "identity--00000000-0000-4000-8000-00000000000a",
    "identity--00000000-0000-4000-8000-00000000000b",
    "identity--00000000-0000-4000-8000-00000000000c",
];

struct Page {
    /// The signed objects as a peer sends them.
    texts: Vec<String>,
    trusted: TrustedKeySet,
}

fn page() -> &'static Page {
    static PAGE: OnceLock<Page> = OnceLock::new();
    PAGE.get_or_init(|| {
        let keys: Vec<Keypair> = (1..=3u8).map(|i| Keypair::from_seed(&[i; 32])).collect();
        let mut trusted = TrustedKeySet::new();
        // The third key signs but is not trusted.
        for (member, key) in MEMBERS.iter().zip(&keys).take(2) {
            trusted.insert(member, &key.public()).expect("distinct keys");
        }
        let texts = (0..8usize)
            .map(|i| {
                let object = json!({
                    "type": "indicator", "spec_version": "2.1",
                    "id": format!("indicator--00000000-0000-4000-8000-{i:012}"),
                    "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                    "name": format!("C2 server {i}"),
                    "pattern": format!("[ipv4-addr:value = '198.51.100.{i}']"),
                    "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
                    "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]
                });
                let Value::Object(map) = object else {
                    unreachable!("a JSON object literal")
                };
                let k = i % 3;
                let signed = sign_object(&map, MEMBERS[k], &keys[k]).expect("signs");
                Value::Object(signed).to_string()
            })
            .collect();
        Page { texts, trusted }
    })
}

fuzz_target!(|data: &[u8]| {
    let page = page();
    let mut texts: Vec<Vec<u8>> = page.texts.iter().map(|t| t.as_bytes().to_vec()).collect();
    // Each 3 bytes: which object, where, and what to XOR in.
    for change in data.chunks_exact(3) {
        let text = &mut texts[usize::from(change[0]) % 8];
        let at = usize::from(change[1]) * text.len() / 256;
        if let Some(b) = text.get_mut(at) {
            *b ^= change[2];
        }
    }
    let maps: Vec<Map<String, Value>> = texts
        .iter()
        .filter_map(|t| parse_object(t).ok())
        .collect();
    let refs: Vec<&Map<String, Value>> = maps.iter().collect();
    let batch = verify_objects(&refs, &page.trusted);
    assert_eq!(batch.len(), maps.len());
    for (map, verdict) in maps.iter().zip(&batch) {
        let alone = verify_object(map, &page.trusted);
        match (verdict, &alone) {
            (Ok(a), Ok(b)) => assert_eq!(a, b),
            (Err(_), Err(_)) => {}
            _ => panic!("batch {verdict:?} but alone {alone:?}"),
        }
    }
});
