//! Tiles for the computations of `concord-tlog`, from this node's store or
//! from a member's node over HTTP (C2SP tlog-tiles at `/log/tile/...`).
//!
//! `concord-tlog` reads tiles synchronously and says which one it lacked
//! ([`TlogError::MissingTile`]); [`with_tiles`] runs a computation, fetches
//! what it lacked and runs it again, so nothing blocks a runtime thread on
//! I/O and only the tiles a proof needs are ever fetched. A [`TileSet`]
//! keeps what was fetched for the next computation (a sync round reuses the
//! upper tiles of a member's tree for every page).

use std::borrow::Cow;
use std::collections::HashMap;

use concord_store::{AnyStore, Store};
use concord_taxii::client::{Client, Method};
use concord_tlog::{
    FULL_TILE_BYTES, Tile, TileLevel, TileReader, TlogError, parse_entry_bundle, serve,
};

use crate::{LogError, Result};

/// The largest tile answer read from a peer: a full entry bundle of
/// governance entries (256 of at most 64 KiB each).
pub const MAX_TILE_BYTES: usize = 256 * (2 + 65_535);

/// Tiles held in memory, one per (level, index), at the widest width seen.
#[derive(Debug, Default, Clone)]
pub struct TileSet {
    tiles: HashMap<(TileLevel, u64), Vec<u8>>,
}

impl TileSet {
    /// No tiles.
    pub fn new() -> TileSet {
        TileSet::default()
    }

    /// Keeps `bytes` for `tile` unless a wider version is held.
    pub fn insert(&mut self, tile: &Tile, bytes: Vec<u8>) {
        match self.tiles.get(&tile.key()) {
            Some(held) if held.len() >= bytes.len() => {}
            _ => {
                self.tiles.insert(tile.key(), bytes);
            }
        }
    }

    /// Forgets the full level-0 tiles (a round reads each once; the upper
    /// tiles serve every page).
    pub fn forget_leaf_tiles(&mut self) {
        self.tiles.retain(|(level, _), bytes| {
            !(*level == TileLevel::Hashes(0) && bytes.len() == FULL_TILE_BYTES)
        });
    }

    /// Whether `tile` at its width can be answered from what is held.
    pub fn has(&self, tile: &Tile) -> bool {
        self.tiles
            .get(&tile.key())
            .is_some_and(|b| serve(tile, b).is_some())
    }
}

impl TileReader for TileSet {
    fn read_tile(&self, tile: &Tile) -> std::result::Result<Cow<'_, [u8]>, TlogError> {
        self.tiles
            .get(&tile.key())
            .and_then(|stored| serve(tile, stored))
            .map(Cow::Borrowed)
            .ok_or_else(|| TlogError::MissingTile { path: tile.path() })
    }
}

/// Where tiles come from.
pub trait TileSource: Send + Sync {
    /// The bytes of each tile at its width (a tile that does not exist is
    /// an error).
    fn fetch(
        &self,
        tiles: Vec<Tile>,
    ) -> impl std::future::Future<Output = Result<Vec<(Tile, Vec<u8>)>>> + Send;
}

/// This node's own log, in its store.
pub struct StoreSource<'a>(pub &'a AnyStore);

impl TileSource for StoreSource<'_> {
    async fn fetch(&self, tiles: Vec<Tile>) -> Result<Vec<(Tile, Vec<u8>)>> {
        let rows = self
            .0
            .log_tiles(tiles.iter().map(Tile::key).collect())
            .await?;
        let mut out = Vec::with_capacity(tiles.len());
        for (tile, row) in tiles.into_iter().zip(rows) {
            match row {
                Some(bytes) => out.push((tile, bytes)),
                None => {
                    return Err(LogError::corrupt(
                        "the node's log",
                        format!("{} is not stored", tile.path()),
                    ));
                }
            }
        }
        Ok(out)
    }
}

/// Where a node serves tiles of the logs of other members it follows:
/// `GET <base>/concord/v1/tiles?origin=<origin>&path=<tile path>`, fetched
/// from the log's own node (tiles authenticate themselves against a
/// checkpoint, so any node may pass them on).
pub const MIRROR_PATH: &str = "/concord/v1/tiles";

/// A node serving a log's tiles: the log's own node (`<base>/log/`), or a
/// peer passing them on from it ([`MIRROR_PATH`]).
#[derive(Clone)]
pub struct RemoteSource {
    /// The client (signing requests is harmless: tiles are public).
    pub client: Client,
    /// `scheme://host:port` of the node.
    pub base: String,
    /// `Some(origin)`: the node passes on the tiles of this log.
    pub mirror_of: Option<String>,
}

impl RemoteSource {
    /// The log's own node at `base`.
    pub fn direct(client: Client, base: String) -> RemoteSource {
        RemoteSource {
            client,
            base,
            mirror_of: None,
        }
    }

    /// The URL of a tile path (`tile/...`) or of `checkpoint`.
    pub fn url(&self, path: &str) -> String {
        let base = self.base.trim_end_matches('/');
        match &self.mirror_of {
            None => format!("{base}/log/{path}"),
            Some(origin) => {
                let q: String = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("origin", origin)
                    .append_pair("path", path)
                    .finish();
                format!("{base}{MIRROR_PATH}?{q}")
            }
        }
    }
}

/// Several sources of one log's tiles, tried in order; one that cannot be
/// reached is not tried again.
pub struct Sources {
    list: Vec<RemoteSource>,
    unreachable: std::sync::Mutex<Vec<bool>>,
}

impl Sources {
    /// The sources, in the order to try them.
    pub fn new(list: Vec<RemoteSource>) -> Sources {
        let n = list.len();
        Sources {
            list,
            unreachable: std::sync::Mutex::new(vec![false; n]),
        }
    }

    /// Whether there is any.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// Where to read `member`'s tiles: its own node, then `via` (a peer, by
/// its log and base URL) passing them on, unless the peer is the member.
pub fn sources_of(
    client: &Client,
    member: &crate::MemberLog,
    via: Option<(&crate::MemberLog, &str)>,
) -> Sources {
    let mut list = Vec::new();
    if let Some(base) = member.base() {
        list.push(RemoteSource::direct(client.clone(), base));
    }
    if let Some((peer, base)) = via
        && peer.origin != member.origin
    {
        list.push(RemoteSource {
            client: client.clone(),
            base: base.to_string(),
            mirror_of: Some(member.origin.clone()),
        });
    }
    Sources::new(list)
}

impl TileSource for Sources {
    async fn fetch(&self, tiles: Vec<Tile>) -> Result<Vec<(Tile, Vec<u8>)>> {
        let mut last = None;
        for (i, s) in self.list.iter().enumerate() {
            let skip = self
                .unreachable
                .lock()
                .map(|u| u.get(i).copied().unwrap_or(false))
                .unwrap_or(false);
            if skip {
                continue;
            }
            match s.fetch(tiles.clone()).await {
                Ok(v) => return Ok(v),
                Err(e) => {
                    if matches!(e, LogError::Peer(concord_taxii::TaxiiError::Http { .. }))
                        && let Ok(mut u) = self.unreachable.lock()
                        && let Some(slot) = u.get_mut(i)
                    {
                        *slot = true;
                    }
                    last = Some(e);
                }
            }
        }
        Err(last
            .unwrap_or_else(|| LogError::Refused("no node to read the log's tiles from".into())))
    }
}

/// What [`MIRROR_PATH`] serves: a tile of a member's log, fetched from
/// the member's node (or this node's own, from its store); `None` when
/// the log is not followed here or the tile is not there.
pub async fn pass_on(
    store: &AnyStore,
    directory: &crate::Directory,
    client: &Client,
    origin: &str,
    path: &str,
) -> Result<Option<Vec<u8>>> {
    if origin == directory.own.origin {
        return crate::own::tile(store, path).await;
    }
    let Ok(tile) = Tile::parse_path(path) else {
        return Ok(None);
    };
    let Some(base) = directory.by_origin(origin).and_then(|m| m.base()) else {
        return Ok(None);
    };
    match RemoteSource::direct(client.clone(), base)
        .fetch(vec![tile])
        .await
    {
        Ok(mut v) => Ok(v.pop().map(|(_, b)| b)),
        Err(LogError::Protocol { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Checks that tile bytes hold exactly the tile's width of hashes or
/// entries (a peer's answer; what they are worth is for the proofs).
pub fn well_formed(tile: &Tile, bytes: &[u8]) -> std::result::Result<(), String> {
    match tile.level {
        TileLevel::Hashes(_) => {
            let n = usize::from(tile.width) * 32;
            if bytes.len() != n || n > FULL_TILE_BYTES {
                return Err(format!(
                    "{} bytes where {} hashes take {n}",
                    bytes.len(),
                    tile.width
                ));
            }
        }
        TileLevel::Entries => {
            let entries = parse_entry_bundle(bytes)?;
            if entries.len() != usize::from(tile.width) {
                return Err(format!(
                    "{} entries where the bundle has {}",
                    entries.len(),
                    tile.width
                ));
            }
        }
    }
    Ok(())
}

impl TileSource for RemoteSource {
    async fn fetch(&self, tiles: Vec<Tile>) -> Result<Vec<(Tile, Vec<u8>)>> {
        let mut out = Vec::with_capacity(tiles.len());
        for tile in tiles {
            let url = self.url(&tile.path());
            let answer = self
                .client
                .exchange(Method::GET, &url, None, MAX_TILE_BYTES)
                .await?;
            if answer.status != 200 {
                return Err(LogError::protocol(
                    format!("tile {url}"),
                    format!("status {}", answer.status),
                ));
            }
            well_formed(&tile, &answer.body)
                .map_err(|reason| LogError::protocol(format!("tile {url}"), reason))?;
            out.push((tile, answer.body));
        }
        Ok(out)
    }
}

/// Runs `f` over `set`, fetching each tile it lacks from `source` and
/// running it again, until it needs no more.
pub async fn with_tiles<T>(
    set: &mut TileSet,
    source: &impl TileSource,
    mut f: impl FnMut(&TileSet) -> std::result::Result<T, TlogError>,
) -> Result<T> {
    // A tree of 2^64 leaves has 8 tile levels; a proof touches at most two
    // tiles per level plus the entry bundles asked for.
    for _ in 0..64 {
        match f(set) {
            Ok(v) => return Ok(v),
            Err(TlogError::MissingTile { path }) => {
                let tile = Tile::parse_path(&path)?;
                if set.has(&tile) {
                    return Err(TlogError::MissingTile { path }.into());
                }
                for (t, bytes) in source.fetch(vec![tile]).await? {
                    set.insert(&t, bytes);
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(LogError::Refused(
        "a log computation asked for more than 64 tiles one by one".into(),
    ))
}

/// Fetches every tile of `tiles` that `set` cannot answer yet.
pub async fn prefetch(set: &mut TileSet, source: &impl TileSource, tiles: Vec<Tile>) -> Result<()> {
    let missing: Vec<Tile> = tiles.into_iter().filter(|t| !set.has(t)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    for (t, bytes) in source.fetch(missing).await? {
        set.insert(&t, bytes);
    }
    Ok(())
}
