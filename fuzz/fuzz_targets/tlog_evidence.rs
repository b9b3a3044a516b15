//! Split-view evidence, tile paths, entry bundles and log entries from
//! anyone: never a panic; evidence that verifies under the fixed key is
//! real (it still verifies after a round trip); a tile path that parses
//! has one spelling.
#![no_main]

use std::sync::OnceLock;

use concord_tlog::{Entry, Evidence, Tile, parse_entry_bundle};
use concord_trust::{Keypair, PublicKey};
use libfuzzer_sys::fuzz_target;

fn key() -> &'static PublicKey {
    static K: OnceLock<PublicKey> = OnceLock::new();
    K.get_or_init(|| Keypair::from_seed(&[1; 32]).public())
}

fuzz_target!(|data: &[u8]| {
    if let Ok(e) = Evidence::from_json(data) {
        if e.verify(key()).is_ok() {
            let again = Evidence::from_json(&e.to_json()).expect("our own JSON parses");
            assert!(again.verify(key()).is_ok());
        }
    }
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(t) = Tile::parse_path(s) {
            assert_eq!(t.path(), s);
        }
    }
    if let Ok(entries) = parse_entry_bundle(data) {
        assert!(entries.len() <= 256);
    }
    if let Ok(e) = Entry::parse(data) {
        assert_eq!(e.to_bytes(), data);
    }
});
