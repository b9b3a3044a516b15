//! Appending entries: from the tiles at the right edge of the tree, the
//! tiles to write. Pure: the node reads the partial tiles and writes the
//! result in the transaction that stores the entries, so the log and its
//! tiles never disagree after a crash.
//!
//! The new root is not computed here: it costs a few hundred hashes over
//! the partial tiles, and only a checkpoint needs it, which
//! [`crate::LogSigner::sign_next`] reads from the tiles once per interval.

use crate::TlogError;
use crate::hash::{Hash, leaf_hash, root_of};
use crate::tile::{
    MAX_ENTRY_BYTES, TILE_HEIGHT, TILE_WIDTH, Tile, TileData, TileReader, entry_bundle_prefix,
    push_entry, tile_hashes,
};

/// What an append produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The tree size before.
    pub old_size: u64,
    /// The tree size after: entry `i` of the call has leaf index
    /// `old_size + i`.
    pub size: u64,
    /// The leaf hash of each appended entry, in order.
    pub leaf_hashes: Vec<Hash>,
    /// Tiles and entry bundles to store (each replaces the narrower version
    /// of itself): every tile completed by this append and the new partial
    /// tiles at the right edge.
    pub tiles: Vec<TileData>,
}

/// Appends `entries` to the tree of `size` leaves whose tiles `reader`
/// holds. Reads only the partial tiles at the right edge (at most one per
/// level, and the partial entry bundle).
pub fn append<D: AsRef<[u8]>>(
    size: u64,
    entries: &[D],
    reader: &(impl TileReader + ?Sized),
) -> Result<Appended, TlogError> {
    let new_size = u64::try_from(entries.len())
        .ok()
        .and_then(|n| size.checked_add(n))
        .ok_or(TlogError::OutOfRange {
            what: "tree size after the append",
            index: size,
            size: u64::MAX,
        })?;
    let mut edge = RightEdge::read(size, reader)?;
    let mut bundle: Vec<u8> = match (size & 0xff) as u16 {
        0 => Vec::new(),
        width => {
            let tile = Tile::entries(size >> 8, width);
            let stored = reader.read_tile(&tile)?;
            entry_bundle_prefix(&stored, usize::from(width))
                .ok_or_else(|| TlogError::Tile {
                    path: tile.path(),
                    reason: format!("does not hold {width} entries"),
                })?
                .to_vec()
        }
    };
    let mut out = Vec::new();
    let mut leaf_hashes = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let entry = entry.as_ref();
        if entry.len() > MAX_ENTRY_BYTES {
            return Err(TlogError::Entry(format!(
                "entry {i} has {} bytes; an entry bundle holds at most {MAX_ENTRY_BYTES}",
                entry.len()
            )));
        }
        let index = size + i as u64;
        push_entry(&mut bundle, entry)?;
        if index & 0xff == 0xff {
            out.push(TileData {
                tile: Tile::entries(index >> 8, TILE_WIDTH),
                data: std::mem::take(&mut bundle),
            });
        }
        let h = leaf_hash(entry);
        leaf_hashes.push(h);
        edge.push(0, h, &mut out);
    }
    if !entries.is_empty() {
        edge.flush(&mut out);
        if new_size & 0xff != 0 {
            out.push(TileData {
                tile: Tile::entries(new_size >> 8, (new_size & 0xff) as u16),
                data: bundle,
            });
        }
    }
    Ok(Appended {
        old_size: size,
        size: new_size,
        leaf_hashes,
        tiles: out,
    })
}

/// The partial tile of each level, growing as leaves are pushed.
struct RightEdge {
    /// `levels[L]`: the hashes of the partial tile at tile level L.
    levels: Vec<Vec<Hash>>,
    /// `counts[L]`: how many hashes tree level 8·L has.
    counts: Vec<u64>,
    changed: Vec<bool>,
}

impl RightEdge {
    fn read(size: u64, reader: &(impl TileReader + ?Sized)) -> Result<RightEdge, TlogError> {
        let mut edge = RightEdge {
            levels: Vec::new(),
            counts: Vec::new(),
            changed: Vec::new(),
        };
        for level in 0..8u32 {
            let count = size >> (TILE_HEIGHT * level);
            let width = (count & 0xff) as u16;
            let hashes = if width == 0 {
                Vec::new()
            } else {
                let tile = Tile::hashes(level as u8, count >> 8, width);
                let stored = reader.read_tile(&tile)?;
                tile_hashes(&tile, &stored)?
            };
            edge.levels.push(hashes);
            edge.counts.push(count);
            edge.changed.push(false);
        }
        Ok(edge)
    }

    fn push(&mut self, level: usize, h: Hash, out: &mut Vec<TileData>) {
        let Some(row) = self.levels.get_mut(level) else {
            return;
        };
        row.push(h);
        self.counts[level] += 1;
        self.changed[level] = true;
        if row.len() == usize::from(TILE_WIDTH) {
            let full = std::mem::take(row);
            let parent = root_of(&full);
            out.push(TileData {
                tile: Tile::hashes(level as u8, (self.counts[level] - 1) >> 8, TILE_WIDTH),
                data: full.iter().flat_map(|h| h.0).collect(),
            });
            self.push(level + 1, parent, out);
        }
    }

    fn flush(&self, out: &mut Vec<TileData>) {
        for (level, row) in self.levels.iter().enumerate() {
            if self.changed[level] && !row.is_empty() {
                out.push(TileData {
                    tile: Tile::hashes(level as u8, self.counts[level] >> 8, row.len() as u16),
                    data: row.iter().flat_map(|h| h.0).collect(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tile::MemoryTiles;
    use crate::tile_nodes::{tiles_root, verify_entry_bundles, verify_hash_tiles};

    #[test]
    fn appends_in_any_batches_give_the_same_tiles_and_roots() {
        let entries: Vec<Vec<u8>> = (0..1100u32).map(|i| i.to_be_bytes().to_vec()).collect();
        let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();
        let mut one = MemoryTiles::new();
        let mut size = 0;
        for e in &entries {
            let a = append(size, &[e], &one).unwrap();
            one.apply(&a.tiles);
            size = a.size;
            assert_eq!(
                tiles_root(size, &one).unwrap(),
                root_of(&leaves[..size as usize])
            );
        }
        let mut batched = MemoryTiles::new();
        let mut size = 0;
        for chunk in entries.chunks(97) {
            let a = append(size, chunk, &batched).unwrap();
            batched.apply(&a.tiles);
            size = a.size;
        }
        assert_eq!(one.len(), batched.len());
        for (key, data) in one.iter() {
            assert_eq!(batched.stored(key.0, key.1), Some(&data[..]), "{key:?}");
        }
        verify_hash_tiles(1100, &root_of(&leaves), &one).unwrap();
        verify_entry_bundles(1100, &one).unwrap();
        assert_eq!(tiles_root(1000, &one).unwrap(), root_of(&leaves[..1000]));
    }

    #[test]
    fn an_empty_append_writes_nothing() {
        let a = append(0, &[] as &[&[u8]], &MemoryTiles::new()).unwrap();
        assert_eq!(a.size, 0);
        assert!(a.tiles.is_empty());
    }

    #[test]
    fn a_missing_partial_tile_is_reported() {
        let err = append(3, &[b"x"], &MemoryTiles::new()).unwrap_err();
        assert_eq!(
            err,
            TlogError::MissingTile {
                path: "tile/0/000.p/3".into()
            }
        );
    }
}
