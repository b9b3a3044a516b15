//! C2SP tlog-tiles: the log's hashes and entries as static resources.
//!
//! A hash tile at level L holds up to 256 consecutive node hashes of tree
//! level 8·L; an entry bundle holds up to 256 consecutive entries, each
//! prefixed by its big-endian u16 length. The node keeps one record per
//! (level, index), overwritten as a partial tile grows: any partial tile a
//! client asks for (`.p/W`) is a prefix of the stored one, because the
//! first W hashes of a tile never change once written ([`serve`]).

use std::borrow::Cow;
use std::collections::HashMap;

use crate::TlogError;
use crate::hash::Hash;

/// Tree levels per tile: tiles of 2^8 = 256 hashes.
pub const TILE_HEIGHT: u32 = 8;
/// Hashes (or entries) in a full tile.
pub const TILE_WIDTH: u16 = 256;
/// Bytes of a full hash tile.
pub const FULL_TILE_BYTES: usize = 256 * 32;
/// The largest entry an entry bundle can hold (its u16 length prefix).
pub const MAX_ENTRY_BYTES: usize = u16::MAX as usize;
/// The highest tile level tlog-tiles allows in a path.
pub const MAX_TILE_LEVEL: u8 = 63;

/// Which kind of tile: hashes of tree level 8·L, or entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TileLevel {
    /// `tile/<L>/...`: hashes.
    Hashes(u8),
    /// `tile/entries/...`: the entries themselves.
    Entries,
}

/// One tile or entry bundle, at one width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tile {
    /// Hashes of which level, or entries.
    pub level: TileLevel,
    /// Index of the tile within its level.
    pub index: u64,
    /// How many hashes or entries, 1 to 256 (256 = full).
    pub width: u16,
}

impl Tile {
    /// A hash tile.
    pub fn hashes(level: u8, index: u64, width: u16) -> Tile {
        Tile {
            level: TileLevel::Hashes(level),
            index,
            width,
        }
    }

    /// An entry bundle.
    pub fn entries(index: u64, width: u16) -> Tile {
        Tile {
            level: TileLevel::Entries,
            index,
            width,
        }
    }

    /// Whether the tile is full (256 wide): a full tile never changes.
    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// What a node stores it under: one record per (level, index), the
    /// widest version written so far.
    pub fn key(&self) -> (TileLevel, u64) {
        (self.level, self.index)
    }

    /// The tlog-tiles path: `tile/<L>/<N>[.p/<W>]` or
    /// `tile/entries/<N>[.p/<W>]`, N in 3-digit elements (`x001/x234/067`).
    pub fn path(&self) -> String {
        let mut n = self.index;
        let mut elements = vec![format!("{:03}", n % 1000)];
        while n >= 1000 {
            n /= 1000;
            elements.push(format!("x{:03}", n % 1000));
        }
        elements.reverse();
        let level = match self.level {
            TileLevel::Hashes(l) => l.to_string(),
            TileLevel::Entries => "entries".to_string(),
        };
        let mut path = format!("tile/{level}/{}", elements.join("/"));
        if !self.is_full() {
            path.push_str(&format!(".p/{}", self.width));
        }
        path
    }

    /// Reads a tlog-tiles path, strictly: the one spelling [`Tile::path`]
    /// writes, so that two paths never name one resource.
    pub fn parse_path(path: &str) -> Result<Tile, TlogError> {
        let bad = |reason: &str| TlogError::TilePath {
            path: path.chars().take(200).collect(),
            reason: reason.to_string(),
        };
        let rest = path
            .strip_prefix("tile/")
            .ok_or_else(|| bad("must start with tile/"))?;
        let (level, rest) = rest.split_once('/').ok_or_else(|| bad("no tile index"))?;
        let level = if level == "entries" {
            TileLevel::Entries
        } else {
            let l = decimal(level)
                .ok_or_else(|| bad("the level is not a decimal without leading zeroes"))?;
            if l > u64::from(MAX_TILE_LEVEL) {
                return Err(bad("the level is above 63"));
            }
            TileLevel::Hashes(l as u8)
        };
        let (index_part, width) = match rest.split_once(".p/") {
            Some((n, w)) => {
                let w = decimal(w)
                    .ok_or_else(|| bad("the width is not a decimal without leading zeroes"))?;
                if !(1..=255).contains(&w) {
                    return Err(bad("a partial tile is 1 to 255 wide"));
                }
                (n, w as u16)
            }
            None => (rest, TILE_WIDTH),
        };
        let elements: Vec<&str> = index_part.split('/').collect();
        let mut index: u64 = 0;
        let last = elements.len() - 1;
        for (i, e) in elements.iter().enumerate() {
            let digits = if i < last {
                e.strip_prefix('x')
                    .ok_or_else(|| bad("all but the last index element start with x"))?
            } else {
                e
            };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("index elements are three digits"));
            }
            if i == 0 && i < last && digits == "000" {
                return Err(bad("the index has a leading x000 element"));
            }
            let d: u64 = digits
                .parse()
                .map_err(|_| bad("index elements are three digits"))?;
            index = index
                .checked_mul(1000)
                .and_then(|n| n.checked_add(d))
                .ok_or_else(|| bad("the index does not fit 64 bits"))?;
        }
        Ok(Tile {
            level,
            index,
            width,
        })
    }

    /// The rightmost (partial) tiles of the tree of `size` leaves: the
    /// hash tiles at each level whose width is not 0, and the entry bundle.
    /// A server must keep serving these for every size it signed a
    /// checkpoint for (as prefixes of what it stores, see [`serve`]).
    pub fn partials(size: u64) -> Vec<Tile> {
        let mut out = Vec::new();
        for level in 0..=7u32 {
            let count = size >> (TILE_HEIGHT * level);
            if count == 0 {
                break;
            }
            let width = (count & 0xff) as u16;
            if width > 0 {
                out.push(Tile::hashes(level as u8, count >> 8, width));
            }
        }
        let width = (size & 0xff) as u16;
        if width > 0 {
            out.push(Tile::entries(size >> 8, width));
        }
        out
    }

    /// Whether this tile (at this width) exists in the tree of `size`
    /// leaves: a full tile once its range is complete, a partial one only
    /// at the width the tree has at that size.
    pub fn exists_at(&self, size: u64) -> bool {
        let shift = match self.level {
            TileLevel::Hashes(l) => TILE_HEIGHT * u32::from(l),
            TileLevel::Entries => 0,
        };
        let count = if shift >= 64 { 0 } else { size >> shift };
        let full_tiles = count >> 8;
        if self.is_full() {
            self.index < full_tiles
        } else {
            self.index == full_tiles && u64::from(self.width) == count & 0xff
        }
    }
}

/// A decimal without leading zeroes ("0" alone is fine).
fn decimal(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if s.len() > 1 && s.starts_with('0') {
        return None;
    }
    s.parse().ok()
}

/// Where tiles come from: the node's store (in the same transaction as a
/// write that depends on them), or tiles fetched from a peer.
pub trait TileReader {
    /// The bytes of `tile`: exactly `tile.width` hashes or entries, or the
    /// same tile stored at a greater width (whose bytes begin with these).
    /// A missing tile is [`TlogError::MissingTile`].
    fn read_tile(&self, tile: &Tile) -> Result<Cow<'_, [u8]>, TlogError>;
}

impl<T: TileReader + ?Sized> TileReader for &T {
    fn read_tile(&self, tile: &Tile) -> Result<Cow<'_, [u8]>, TlogError> {
        (**self).read_tile(tile)
    }
}

/// One tile to write: the node stores `data` under `tile.key()`,
/// replacing a narrower version of the same tile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileData {
    /// Which tile, at which width.
    pub tile: Tile,
    /// Its bytes.
    pub data: Vec<u8>,
}

/// The part of a stored tile that answers a request for `tile` (a prefix
/// of the stored bytes), or `None` when the stored tile is too narrow or
/// not well formed.
pub fn serve<'a>(tile: &Tile, stored: &'a [u8]) -> Option<&'a [u8]> {
    if tile.width == 0 || tile.width > TILE_WIDTH {
        return None;
    }
    match tile.level {
        TileLevel::Hashes(_) => {
            let n = usize::from(tile.width) * 32;
            if !stored.len().is_multiple_of(32) || stored.len() > FULL_TILE_BYTES {
                return None;
            }
            stored.get(..n)
        }
        TileLevel::Entries => entry_bundle_prefix(stored, usize::from(tile.width)),
    }
}

/// Tiles in memory, keyed like the node keys them: for tests, benchmarks,
/// and tiles fetched from a peer for one check.
#[derive(Debug, Clone, Default)]
pub struct MemoryTiles {
    tiles: HashMap<(TileLevel, u64), Vec<u8>>,
}

impl MemoryTiles {
    /// No tiles.
    pub fn new() -> MemoryTiles {
        MemoryTiles::default()
    }

    /// Stores tiles as the node would: each replaces its narrower version.
    pub fn apply(&mut self, writes: &[TileData]) {
        for w in writes {
            self.tiles.insert(w.tile.key(), w.data.clone());
        }
    }

    /// Stores one tile's bytes under its key.
    pub fn insert(&mut self, tile: &Tile, data: Vec<u8>) {
        self.tiles.insert(tile.key(), data);
    }

    /// The stored bytes of a tile's key, whatever their width.
    pub fn stored(&self, level: TileLevel, index: u64) -> Option<&[u8]> {
        self.tiles.get(&(level, index)).map(Vec::as_slice)
    }

    /// Mutable access to stored bytes (tests change them on purpose).
    pub fn stored_mut(&mut self, level: TileLevel, index: u64) -> Option<&mut Vec<u8>> {
        self.tiles.get_mut(&(level, index))
    }

    /// Every stored (key, bytes), in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&(TileLevel, u64), &Vec<u8>)> {
        self.tiles.iter()
    }

    /// How many tiles are stored.
    pub fn len(&self) -> usize {
        self.tiles.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.tiles.is_empty()
    }
}

impl TileReader for MemoryTiles {
    fn read_tile(&self, tile: &Tile) -> Result<Cow<'_, [u8]>, TlogError> {
        self.tiles
            .get(&tile.key())
            .and_then(|stored| serve(tile, stored))
            .map(Cow::Borrowed)
            .ok_or_else(|| TlogError::MissingTile { path: tile.path() })
    }
}

/// The hashes of a hash tile's bytes, exactly `width` of them.
pub(crate) fn tile_hashes(tile: &Tile, bytes: &[u8]) -> Result<Vec<Hash>, TlogError> {
    let n = usize::from(tile.width) * 32;
    let bytes = bytes.get(..n).ok_or_else(|| TlogError::Tile {
        path: tile.path(),
        reason: format!("{} bytes where {} hashes need {n}", bytes.len(), tile.width),
    })?;
    Ok(bytes
        .chunks_exact(32)
        .filter_map(Hash::from_slice)
        .collect())
}

/// Appends one entry to an entry bundle: big-endian u16 length, then the
/// entry.
pub fn push_entry(bundle: &mut Vec<u8>, entry: &[u8]) -> Result<(), TlogError> {
    let len = u16::try_from(entry.len()).map_err(|_| {
        TlogError::Entry(format!(
            "an entry of {} bytes does not fit an entry bundle's 16-bit length (at most {MAX_ENTRY_BYTES})",
            entry.len()
        ))
    })?;
    bundle.extend_from_slice(&len.to_be_bytes());
    bundle.extend_from_slice(entry);
    Ok(())
}

/// The entries of an entry bundle. Strict: at most 256 entries, and the
/// bytes end exactly after the last one.
pub fn parse_entry_bundle(bytes: &[u8]) -> Result<Vec<&[u8]>, String> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        if out.len() == usize::from(TILE_WIDTH) {
            return Err("more than 256 entries".into());
        }
        let (len, tail) = rest
            .split_first_chunk::<2>()
            .ok_or_else(|| format!("a truncated length after entry {}", out.len()))?;
        let len = usize::from(u16::from_be_bytes(*len));
        if tail.len() < len {
            return Err(format!("entry {} is cut short", out.len()));
        }
        let (entry, tail) = tail.split_at(len);
        out.push(entry);
        rest = tail;
    }
    Ok(out)
}

/// The bytes of the first `width` entries of a bundle, or `None` when it
/// has fewer or is not well formed.
pub fn entry_bundle_prefix(bytes: &[u8], width: usize) -> Option<&[u8]> {
    let mut at = 0usize;
    for _ in 0..width {
        let len = bytes.get(at..at + 2)?;
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        at = at.checked_add(2 + len)?;
        if at > bytes.len() {
            return None;
        }
    }
    // The rest must still parse, so a corrupt stored bundle is not served.
    parse_entry_bundle(bytes).ok()?;
    bytes.get(..at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_spec_examples() {
        assert_eq!(
            Tile::hashes(0, 1_234_067, 256).path(),
            "tile/0/x001/x234/067"
        );
        assert_eq!(Tile::hashes(2, 5, 17).path(), "tile/2/005.p/17");
        assert_eq!(Tile::entries(1000, 256).path(), "tile/entries/x001/000");
        assert_eq!(Tile::hashes(0, 0, 1).path(), "tile/0/000.p/1");
        for t in [
            Tile::hashes(0, 1_234_067, 256),
            Tile::hashes(63, u64::MAX, 255),
            Tile::entries(999, 3),
            Tile::entries(1_000_000, 256),
        ] {
            assert_eq!(Tile::parse_path(&t.path()).unwrap(), t, "{}", t.path());
        }
    }

    #[test]
    fn non_canonical_paths_are_refused() {
        for p in [
            "tile/0/1",
            "tile/00/001",
            "tile/0/x000/001",
            "tile/0/001.p/0",
            "tile/0/001.p/256",
            "tile/0/001.p/07",
            "tile/64/001",
            "tile/0/x001",
            "tile/0/001/002",
            "tile/data/001",
            "tiles/0/001",
            "tile/0/x018/x446/x744/x073/x709/x551/616",
            "tile/0/00a",
            "tile/0/",
            "tile/0/x01/001",
        ] {
            assert!(Tile::parse_path(p).is_err(), "{p} was accepted");
        }
        // u64::MAX itself is fine.
        let max = Tile::parse_path("tile/0/x018/x446/x744/x073/x709/x551/615").unwrap();
        assert_eq!(max.index, u64::MAX);
    }

    #[test]
    fn partials_match_the_spec_example_for_70000() {
        let p = Tile::partials(70_000);
        assert_eq!(
            p,
            vec![
                Tile::hashes(0, 273, 112),
                Tile::hashes(1, 1, 17),
                Tile::hashes(2, 0, 1),
                Tile::entries(273, 112)
            ]
        );
        assert!(Tile::hashes(0, 272, 256).exists_at(70_000));
        assert!(!Tile::hashes(0, 273, 256).exists_at(70_000));
        assert!(Tile::hashes(1, 0, 256).exists_at(70_000));
        assert!(Tile::hashes(1, 1, 17).exists_at(70_000));
        assert!(!Tile::hashes(1, 1, 16).exists_at(70_000));
        // A tree of 256: one full level-0 tile and a level-1 tile of width 1.
        assert_eq!(Tile::partials(256), vec![Tile::hashes(1, 0, 1)]);
    }

    #[test]
    fn bundles_round_trip_and_refuse_garbage() {
        let mut b = Vec::new();
        push_entry(&mut b, b"one").unwrap();
        push_entry(&mut b, b"").unwrap();
        push_entry(&mut b, b"three").unwrap();
        assert_eq!(
            parse_entry_bundle(&b).unwrap(),
            vec![&b"one"[..], b"", b"three"]
        );
        assert_eq!(entry_bundle_prefix(&b, 2).unwrap(), &b[..7]);
        assert!(entry_bundle_prefix(&b, 4).is_none());
        assert!(parse_entry_bundle(&b[..b.len() - 1]).is_err());
        assert!(parse_entry_bundle(&[0]).is_err());
        assert!(push_entry(&mut b, &vec![0; MAX_ENTRY_BYTES + 1]).is_err());
    }

    #[test]
    fn serving_takes_a_prefix_of_the_stored_tile() {
        let stored = vec![7u8; 32 * 10];
        assert_eq!(serve(&Tile::hashes(0, 0, 3), &stored).unwrap().len(), 96);
        assert!(serve(&Tile::hashes(0, 0, 11), &stored).is_none());
        assert!(serve(&Tile::hashes(0, 0, 3), &stored[..33]).is_none());
    }
}
