//! An object a peer sends: its provenance and audience extensions are read
//! and checked, and the sharing decision is taken for it, for any JSON.
//! Never a panic; an object whose signature verifies still verifies after
//! a round trip through the store's text form.
#![no_main]

use concord_share::{EgressPolicy, Peer, Provenance, Recipient, decide, references};
use concord_stix::StixObject;
use concord_stix::json::parse_object;
use concord_trust::{read_audience, read_provenance, verify_integrity};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(map) = parse_object(data) else {
        return;
    };
    let _ = read_provenance(&map);
    let _ = read_audience(&map);
    if verify_integrity(&map).is_ok() {
        let text = serde_json::Value::Object(map.clone()).to_string();
        let again = parse_object(text.as_bytes()).expect("our own JSON parses");
        assert!(verify_integrity(&again).is_ok());
    }
    let object = StixObject::from_map(map);
    let _ = references(&object);
    let policy = EgressPolicy::with_audiences();
    for recipient in [
        Recipient::Public,
        Recipient::Peer(Peer {
            member: "identity--0b7a3c8e-6f0b-4f53-9d44-3c1a8c2b5e01".into(),
            groups: ["g".to_string()].into(),
            charter_member: true,
        }),
    ] {
        for provenance in [
            Provenance::Author,
            Provenance::Relay {
                author: "identity--1b7a3c8e-6f0b-4f53-9d44-3c1a8c2b5e01".into(),
            },
        ] {
            let _ = decide(&policy, &object, &recipient, &provenance);
        }
    }
});
