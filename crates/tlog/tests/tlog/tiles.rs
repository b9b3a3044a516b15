//! A verifier written here from tlog-tiles.md alone: it serves the node's
//! stored tiles as the static files a node publishes, computes the paths it
//! needs by its own reading of the spec, recomputes every leaf and every
//! tile hash from RFC 6962's definition, and checks the root; and property
//! tests that a changed byte anywhere in the tiles is found.

use std::collections::HashMap;

use concord_tlog::{
    MemoryTiles, Tile, TileLevel, TileReader, leaf_hash, verify_entry_bundles, verify_hash_tiles,
};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

use super::common::Log;

/// What a node publishes: every stored tile under the path of its stored
/// width, the way the wiring serves `/log/tile/...`.
fn publish(tiles: &MemoryTiles) -> HashMap<String, Vec<u8>> {
    let mut files = HashMap::new();
    for ((level, index), data) in tiles.iter() {
        let width = match level {
            TileLevel::Hashes(_) => data.len() / 32,
            TileLevel::Entries => concord_tlog::parse_entry_bundle(data)
                .expect("the stored tiles are well formed")
                .len(),
        };
        let tile = Tile {
            level: *level,
            index: *index,
            width: width as u16,
        };
        // Every smaller width is served too, as a prefix (`serve`): the
        // partial tiles of every size a checkpoint was signed for.
        for w in 1..=width {
            let t = Tile {
                width: w as u16,
                ..tile
            };
            let bytes = tiles
                .read_tile(&t)
                .expect("the stored tiles are well formed")
                .into_owned();
            files.insert(t.path(), bytes);
        }
    }
    files
}

/// "index 1234067 will be encoded as x001/x234/067".
fn spec_index(n: u64) -> String {
    let s = format!("{n}");
    let padded = format!("{}{s}", "0".repeat((3 - s.len() % 3) % 3));
    let groups: Vec<&str> = padded
        .as_bytes()
        .chunks(3)
        .map(|c| std::str::from_utf8(c).expect("the stored tiles are well formed"))
        .collect();
    let last = groups.len() - 1;
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            if i < last {
                format!("x{g}")
            } else {
                g.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn sha(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// MTH over leaf hashes, from RFC 6962 section 2.1.
fn mth(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves.len() {
        0 => sha(&[]),
        1 => leaves[0],
        n => {
            let mut k = 1;
            while k * 2 < n {
                k *= 2;
            }
            sha(&[&[1], &mth(&leaves[..k]), &mth(&leaves[k..])])
        }
    }
}

/// Verifies a tiled log of `size` entries against `root` from its files.
fn spec_verify(files: &HashMap<String, Vec<u8>>, size: u64, root: [u8; 32]) -> Result<(), String> {
    let fetch = |level: &str, n: u64, width: u64| -> Result<&Vec<u8>, String> {
        let mut path = format!("tile/{level}/{}", spec_index(n));
        if width < 256 {
            path.push_str(&format!(".p/{width}"));
        }
        files
            .get(&path)
            .ok_or_else(|| format!("{path} is not served"))
    };
    // Level 0 gives every leaf hash; the entry bundles give every entry.
    let mut leaves: Vec<[u8; 32]> = Vec::new();
    for n in 0..size.div_ceil(256) {
        let width = (size - n * 256).min(256);
        let tile = fetch("0", n, width)?;
        if tile.len() as u64 != width * 32 {
            return Err(format!("level 0 tile {n} has {} bytes", tile.len()));
        }
        leaves.extend(
            tile.chunks(32)
                .map(|c| <[u8; 32]>::try_from(c).expect("the stored tiles are well formed")),
        );
        let bundle = fetch("entries", n, width)?;
        let mut at = 0usize;
        for i in 0..width {
            let len = u16::from_be_bytes([bundle[at], bundle[at + 1]]) as usize;
            let entry = &bundle[at + 2..at + 2 + len];
            at += 2 + len;
            if sha(&[&[0], entry]) != leaves[(n * 256 + i) as usize] {
                return Err(format!("entry {} does not hash to its leaf", n * 256 + i));
            }
        }
        if at != bundle.len() {
            return Err(format!("entry bundle {n} has trailing bytes"));
        }
    }
    // Every hash of every higher tile is the MTH of the leaves it spans.
    let mut level = 1u32;
    while size >> (8 * level) > 0 {
        let count = size >> (8 * level);
        let span = 256u64.pow(level);
        for n in 0..count.div_ceil(256) {
            let width = (count - n * 256).min(256);
            let tile = fetch(&level.to_string(), n, width)?;
            for i in 0..width {
                let lo = ((n * 256 + i) * span) as usize;
                let hi = ((n * 256 + i + 1) * span) as usize;
                if tile[(i * 32) as usize..((i + 1) * 32) as usize] != mth(&leaves[lo..hi]) {
                    return Err(format!("level {level} tile {n} hash {i} is wrong"));
                }
            }
        }
        level += 1;
    }
    if mth(&leaves) != root {
        return Err("the leaves do not give the root".into());
    }
    Ok(())
}

#[test]
fn the_spec_verifier_accepts_the_tiles_at_every_checkpointed_size() {
    let mut log = Log::new();
    let mut checked = 0;
    for batch in [1usize, 254, 1, 1, 300, 65_000, 4_443] {
        let entries: Vec<Vec<u8>> = (0..batch)
            .map(|i| format!("entry {} of a batch of {batch}", log.size + i as u64).into_bytes())
            .collect();
        let root = log.append(&entries);
        let files = publish(&log.tiles);
        spec_verify(&files, log.size, root.0).unwrap();
        verify_hash_tiles(log.size, &root, &log.tiles).unwrap();
        verify_entry_bundles(log.size, &log.tiles).unwrap();
        checked += 1;
    }
    assert_eq!(log.size, 70_000);
    // 70,000: 273 full level-0 tiles, one of width 112, one full level-1
    // tile, one of width 17, one level-2 tile of width 1.
    let files = publish(&log.tiles);
    for path in [
        "tile/0/272",
        "tile/0/273.p/112",
        "tile/1/000",
        "tile/1/001.p/17",
        "tile/2/000.p/1",
        "tile/entries/273.p/112",
    ] {
        assert!(files.contains_key(path), "{path}");
    }
    assert!(!files.contains_key("tile/0/273"));
    assert_eq!(checked, 7);
    // Earlier sizes are still served (as prefixes) and still verify.
    let leaves: Vec<[u8; 32]> = log.entries.iter().map(|e| leaf_hash(e).0).collect();
    for size in [1u64, 255, 256, 257, 556, 65_556] {
        spec_verify(&files, size, mth(&leaves[..size as usize])).unwrap();
    }
}

#[test]
fn spec_index_matches_the_example() {
    assert_eq!(spec_index(1_234_067), "x001/x234/067");
    assert_eq!(spec_index(5), "005");
    assert_eq!(spec_index(1000), "x001/000");
    for n in [0u64, 999, 1000, 1_234_067, u64::MAX] {
        assert_eq!(
            Tile::hashes(0, n, 256).path(),
            format!("tile/0/{}", spec_index(n))
        );
    }
}

fn log_of_600() -> &'static (Log, concord_tlog::Hash) {
    static LOG: std::sync::OnceLock<(Log, concord_tlog::Hash)> = std::sync::OnceLock::new();
    LOG.get_or_init(|| {
        let mut log = Log::new();
        let entries: Vec<Vec<u8>> = (0..600).map(|i| format!("e{i}").into_bytes()).collect();
        let root = log.append(&entries[..300]);
        let _ = root;
        let root = log.append(&entries[300..]);
        (log, root)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn a_changed_byte_in_any_tile_is_found(pick in any::<prop::sample::Index>(), pos in any::<prop::sample::Index>(), bit in 0u8..8) {
        let (log, root) = log_of_600();
        let mut tiles = log.tiles.clone();
        let mut keys: Vec<(TileLevel, u64)> = tiles.iter().map(|(k, _)| *k).collect();
        keys.sort();
        let key = keys[pick.index(keys.len())];
        let data = tiles.stored_mut(key.0, key.1).unwrap();
        let at = pos.index(data.len());
        data[at] ^= 1 << bit;
        let ours = verify_hash_tiles(log.size, root, &tiles)
            .and_then(|()| verify_entry_bundles(log.size, &tiles));
        prop_assert!(ours.is_err(), "flip in {key:?} at {at} not found");
        let files = publish_lossy(&tiles);
        prop_assert!(spec_verify(&files, log.size, root.0).is_err());
    }
}

/// `publish` for tiles that may be corrupt: what cannot be served is left
/// out (the verifier then finds it missing).
fn publish_lossy(tiles: &MemoryTiles) -> HashMap<String, Vec<u8>> {
    let mut files = HashMap::new();
    for ((level, index), data) in tiles.iter() {
        let width = match level {
            TileLevel::Hashes(_) => data.len() / 32,
            TileLevel::Entries => match concord_tlog::parse_entry_bundle(data) {
                Ok(e) => e.len(),
                Err(_) => continue,
            },
        };
        let t = Tile {
            level: *level,
            index: *index,
            width: width as u16,
        };
        files.insert(t.path(), data.clone());
    }
    files
}
