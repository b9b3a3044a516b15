//! Offline bundles from anyone: verification gives a verdict for any
//! bytes, never a panic. Inputs that start like JSON are also tried as a
//! bundle with a valid envelope around them.
#![no_main]

use std::sync::OnceLock;

use concord_tlog::verify_bundle;
use concord_trust::{Keypair, PublicKey};
use libfuzzer_sys::fuzz_target;

fn key() -> &'static PublicKey {
    static K: OnceLock<PublicKey> = OnceLock::new();
    K.get_or_init(|| Keypair::from_seed(&[1; 32]).public())
}

fuzz_target!(|data: &[u8]| {
    let _ = verify_bundle(data, key());
    // The same bytes as the objects array of an otherwise plausible bundle.
    let mut wrapped = br#"{"type":"bundle","id":"bundle--1","x_concord_log":{"version":1,"checkpoint":"","entries":[],"signature":""},"objects":"#.to_vec();
    wrapped.extend_from_slice(data);
    wrapped.push(b'}');
    let _ = verify_bundle(&wrapped, key());
});
