//! A peer node's signed request: any `Authorization` header, method, path
//! and host must give a verdict, never a panic; a header this fuzzer did
//! not sign never verifies.
#![no_main]

use concord_trust::request::{RequestLine, is_node_signature, verify_request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(4, '\n');
    let header = parts.next().unwrap_or("");
    let method = parts.next().unwrap_or("GET");
    let path = parts.next().unwrap_or("/");
    let host = parts.next().unwrap_or("127.0.0.1:1");
    let _ = is_node_signature(header);
    let line = RequestLine {
        method,
        path_and_query: path,
        host,
    };
    let now = concord_stix::Timestamp::now().0;
    // Forging an Ed25519 signature is out of the fuzzer's reach: whatever
    // it builds is refused.
    assert!(verify_request(header, &line, now).is_err());
});
