//! What a concord node reads from its peers about their logs: proofs
//! requests (served) and answers (received), the checkpoints document of
//! the gossip, and tile bytes at a tile path. Never a panic; what parses
//! holds together (an answer's material is one entry per version; a
//! well-formed tile has exactly its width of hashes or entries).
#![no_main]

use concord_log::gossip::Checkpoints;
use concord_log::receipt::{ProofsAnswer, ProofsRequest};
use concord_log::tiles::well_formed;
use concord_tlog::{SignedCheckpoint, Tile, TileLevel, parse_entry_bundle};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = serde_json::from_slice::<ProofsRequest>(data) {
        let back = serde_json::to_vec(&r).expect("serialises");
        let again: ProofsRequest = serde_json::from_slice(&back).expect("round trip");
        assert_eq!(again.versions, r.versions);
    }
    if let Ok(a) = serde_json::from_slice::<ProofsAnswer>(data) {
        for (_, nonce) in a.material.iter().flatten() {
            let _ = concord_log::own::nonce_from_base64(nonce);
        }
    }
    if let Ok(doc) = serde_json::from_slice::<Checkpoints>(data) {
        for note in &doc.checkpoints {
            let _ = SignedCheckpoint::parse(note.as_bytes());
        }
    }
    // `<tile path>\n<bytes>`: the bytes checked as that tile.
    if let Some(at) = data.iter().position(|&b| b == b'\n')
        && let Ok(path) = std::str::from_utf8(&data[..at])
        && let Ok(tile) = Tile::parse_path(path)
    {
        let bytes = &data[at + 1..];
        if well_formed(&tile, bytes).is_ok() {
            match tile.level {
                TileLevel::Hashes(_) => assert_eq!(bytes.len(), usize::from(tile.width) * 32),
                TileLevel::Entries => assert_eq!(
                    parse_entry_bundle(bytes).expect("well formed").len(),
                    usize::from(tile.width)
                ),
            }
        }
    }
});
