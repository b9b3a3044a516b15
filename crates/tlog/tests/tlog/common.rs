//! Shared fixtures: deterministic keys, a log grown through `append`, and
//! signed STIX objects.

use concord_tlog::{
    Entry, Hash, LogSigner, MemoryTiles, SignedCheckpoint, append, commitment, fresh_nonce,
};
use concord_trust::Keypair;
use serde_json::{Map, Value, json};

pub(crate) const ORIGIN: &str = "cert.example/concord";
pub(crate) const MEMBER: &str = "identity--8f2d3a51-6f0e-4a9c-9d4e-2b7f4c1a0e11";

pub(crate) fn node_key() -> Keypair {
    Keypair::from_seed(&[42; 32])
}

pub(crate) fn log_signer() -> LogSigner {
    LogSigner::new(ORIGIN, node_key()).expect("a valid origin")
}

/// A log of `n` opaque entries in memory.
pub(crate) struct Log {
    pub(crate) tiles: MemoryTiles,
    pub(crate) size: u64,
    pub(crate) entries: Vec<Vec<u8>>,
}

impl Log {
    pub(crate) fn new() -> Log {
        Log {
            tiles: MemoryTiles::new(),
            size: 0,
            entries: Vec::new(),
        }
    }

    pub(crate) fn with_entries(n: usize) -> Log {
        let mut log = Log::new();
        let entries: Vec<Vec<u8>> = (0..n).map(|i| format!("entry {i}").into_bytes()).collect();
        for chunk in entries.chunks(100) {
            log.append(chunk);
        }
        log
    }

    pub(crate) fn append(&mut self, entries: &[Vec<u8>]) -> Hash {
        let a = append(self.size, entries, &self.tiles).expect("append");
        self.tiles.apply(&a.tiles);
        self.size = a.size;
        self.entries.extend_from_slice(entries);
        concord_tlog::tiles_root(self.size, &self.tiles).expect("the tiles give the root")
    }

    pub(crate) fn checkpoint(&self, signer: &LogSigner) -> SignedCheckpoint {
        signer
            .sign_next(None, self.size, &self.tiles)
            .expect("signs its own tree")
    }
}

/// A signed STIX indicator authored by the test member's node key.
pub(crate) fn signed_indicator(i: usize) -> Map<String, Value> {
    let obj = json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--{:08x}-1111-4111-8111-111111111111", i),
        "created": "2026-11-25T08:00:00.000Z",
        "modified": "2026-11-25T08:00:00.000Z",
        "name": format!("bad host {i}"),
        "pattern": format!("[ipv4-addr:value = '198.51.100.{}']", i % 250),
        "pattern_type": "stix",
        "valid_from": "2026-11-25T08:00:00Z"
    });
    concord_trust::sign_object(obj.as_object().expect("an object"), MEMBER, &node_key())
        .expect("signs")
}

/// An intel entry for an object, with its nonce.
pub(crate) fn intel(object: &Map<String, Value>) -> (Vec<u8>, [u8; 32]) {
    let nonce = fresh_nonce();
    let entry = Entry::Intel(commitment(object, &nonce).expect("commits"));
    (entry.to_bytes(), nonce)
}
