//! Node hashes read from tiles, and the audit of a whole tiled tree.
//!
//! A tile at level L stores tree level 8·L; a node of tree level 8·L + r
//! (0 < r < 8) is not stored but recomputed from the 2^r hashes under it,
//! all in one tile (tlog-tiles: "the Merkle Tree levels between those
//! expressed by the tile hashes are reconstructed by hashing the leaves").
//! [`TileNodes`] keeps the tiles and the nodes it recomputed, so many
//! proofs against one tree size share the work.

use std::collections::HashMap;

use crate::TlogError;
use crate::hash::{Hash, leaf_hash, root_of};
use crate::merkle::{NodeReader, tree_hash};
use crate::tile::{TILE_HEIGHT, Tile, TileReader, parse_entry_bundle, tile_hashes};

/// Node hashes of the tree of `size` leaves, read from its tiles.
pub struct TileNodes<'r, R: TileReader + ?Sized> {
    reader: &'r R,
    size: u64,
    tiles: HashMap<(u8, u64), Vec<Hash>>,
    computed: HashMap<(u8, u64), Hash>,
}

impl<'r, R: TileReader + ?Sized> TileNodes<'r, R> {
    /// Reads the tree of `size` leaves through `reader`.
    pub fn new(reader: &'r R, size: u64) -> TileNodes<'r, R> {
        TileNodes {
            reader,
            size,
            tiles: HashMap::new(),
            computed: HashMap::new(),
        }
    }

    /// The tree size this reads.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The tile that holds hash `index` of tree level 8·`tile_level`, at the
    /// width it has in this tree.
    fn tile_for(&self, tile_level: u8, index: u64) -> Tile {
        let count = self.size >> (TILE_HEIGHT * u32::from(tile_level));
        let tile_index = index >> 8;
        let width = if (tile_index + 1) << 8 <= count {
            256
        } else {
            (count & 0xff) as u16
        };
        Tile::hashes(tile_level, tile_index, width)
    }

    fn stored(&mut self, tile_level: u8, index: u64) -> Result<Hash, TlogError> {
        let tile = self.tile_for(tile_level, index);
        let key = (tile_level, tile.index);
        if !self.tiles.contains_key(&key) {
            let bytes = self.reader.read_tile(&tile)?;
            let hashes = tile_hashes(&tile, &bytes)?;
            self.tiles.insert(key, hashes);
        }
        self.tiles
            .get(&key)
            .and_then(|h| h.get((index & 0xff) as usize))
            .copied()
            .ok_or_else(|| TlogError::Tile {
                path: tile.path(),
                reason: format!("has no hash at position {}", index & 0xff),
            })
    }
}

impl<R: TileReader + ?Sized> NodeReader for TileNodes<'_, R> {
    fn node(&mut self, level: u8, index: u64) -> Result<Hash, TlogError> {
        let complete = level < 64
            && index
                .checked_add(1)
                .and_then(|n| n.checked_mul(1u64 << level))
                .is_some_and(|end| end <= self.size);
        if !complete {
            return Err(TlogError::OutOfRange {
                what: "complete subtree",
                index,
                size: self.size,
            });
        }
        let r = u32::from(level) % TILE_HEIGHT;
        let tile_level = (u32::from(level) / TILE_HEIGHT) as u8;
        if r == 0 {
            return self.stored(tile_level, index);
        }
        if let Some(h) = self.computed.get(&(level, index)) {
            return Ok(*h);
        }
        // The 2^r hashes under the node, all in one tile of level 8·L.
        let first = index << r;
        self.stored(tile_level, first)?;
        let tile = self.tile_for(tile_level, first);
        let at = (first & 0xff) as usize;
        let h = self
            .tiles
            .get(&(tile_level, tile.index))
            .and_then(|hashes| hashes.get(at..at + (1usize << r)))
            .map(root_of)
            .ok_or_else(|| TlogError::Tile {
                path: tile.path(),
                reason: format!("has no hashes {at} to {}", at + (1usize << r)),
            })?;
        self.computed.insert((level, index), h);
        Ok(h)
    }
}

/// The root of the tree of `size` leaves from its tiles.
pub fn tiles_root(size: u64, reader: &(impl TileReader + ?Sized)) -> Result<Hash, TlogError> {
    tree_hash(size, &mut TileNodes::new(reader, size))
}

/// Audits every hash tile of the tree of `size` leaves against `root`, as
/// a monitor or mirror would: each full tile must hash to its entry in the
/// level above, and the tiles at the right edge must give the root. After
/// this, no byte of any tile of that tree can be other than the log
/// committed to.
pub fn verify_hash_tiles(
    size: u64,
    root: &Hash,
    reader: &(impl TileReader + ?Sized),
) -> Result<(), TlogError> {
    let mut nodes = TileNodes::new(reader, size);
    for tile_level in 0..8u8 {
        let count = size >> (TILE_HEIGHT * u32::from(tile_level));
        if count == 0 {
            break;
        }
        for tile_index in 0..count >> 8 {
            let tile = Tile::hashes(tile_level, tile_index, 256);
            let bytes = reader.read_tile(&tile)?;
            if bytes.len() != crate::tile::FULL_TILE_BYTES {
                return Err(TlogError::Tile {
                    path: tile.path(),
                    reason: format!("a full tile has 8192 bytes, not {}", bytes.len()),
                });
            }
            let hashes = tile_hashes(&tile, &bytes)?;
            let parent = nodes.node((tile_level + 1) * 8, tile_index)?;
            if root_of(&hashes) != parent {
                return Err(TlogError::Tile {
                    path: tile.path(),
                    reason: "does not hash to its entry in the level above".into(),
                });
            }
        }
    }
    let got = tree_hash(size, &mut nodes)?;
    if got != *root {
        return Err(TlogError::Tile {
            path: "tile/*".into(),
            reason: format!("the tiles give the root {got}, not {root}"),
        });
    }
    Ok(())
}

/// Checks every entry bundle of the tree of `size` leaves against the
/// level-0 hash tiles: each entry must hash to its leaf hash. Run after
/// [`verify_hash_tiles`], this ties every entry to the root.
pub fn verify_entry_bundles(
    size: u64,
    reader: &(impl TileReader + ?Sized),
) -> Result<(), TlogError> {
    let mut nodes = TileNodes::new(reader, size);
    let bundles = size.div_ceil(256);
    for index in 0..bundles {
        let width = if (index + 1) * 256 <= size {
            256
        } else {
            (size & 0xff) as u16
        };
        let tile = Tile::entries(index, width);
        let bytes = reader.read_tile(&tile)?;
        let entries = parse_entry_bundle(&bytes).map_err(|reason| TlogError::Tile {
            path: tile.path(),
            reason,
        })?;
        if entries.len() < usize::from(width) {
            return Err(TlogError::Tile {
                path: tile.path(),
                reason: format!("has {} entries, not {width}", entries.len()),
            });
        }
        for (i, entry) in entries.iter().take(usize::from(width)).enumerate() {
            let leaf = index * 256 + i as u64;
            if leaf_hash(entry) != nodes.node(0, leaf)? {
                return Err(TlogError::Tile {
                    path: tile.path(),
                    reason: format!("entry {leaf} does not hash to its leaf hash"),
                });
            }
        }
    }
    Ok(())
}
