//! The compiled index kept in a file of the data directory, so that a
//! `concord match` run loads it in milliseconds instead of reading and
//! compiling every indicator of the store again. `serve` rewrites it when
//! indicators change; a run that finds it stale rebuilds and rewrites it.
//!
//! The file is a compact binary snapshot read in one go (not mapped): a
//! magic line, a JSON header (format, the build that wrote it, the store
//! marker, the time it was built for and the next time an indicator starts
//! or stops being valid, the indicators that could not be indexed), the
//! index bytes ([`concord_matcher::Index::to_snapshot`]) and a SHA-256 of
//! everything before it. Nothing is trusted: a file that is short, has
//! another magic, format or build, a wrong checksum, or an index that does
//! not decode is rebuilt; so is one whose marker no longer describes the
//! store (a newer indicator row, or the newest row it saw gone or changed)
//! or whose time window does not hold the run's time.
//!
//! Writes go to a temporary file in the same directory, renamed over the
//! old one, so a reader sees the old file or the new one, never half.

use std::io::Write;
use std::path::Path;

use concord_matcher::Index;
use concord_store::{AnyStore, StoreError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Loaded, Unindexed, load, newer_than};

/// The snapshot's file name in the data directory.
pub const FILE_NAME: &str = "indicator-index.snapshot";

const MAGIC: &[u8] = b"concord indicator index\n";
const FORMAT: u32 = 1;

/// What the store looked like when the index was built: its newest
/// indicator row (revoked versions included) and that row's object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    /// The newest indicator row; 0 for a store without indicators.
    pub last_row: i64,
    /// The id and version of the object at that row.
    pub newest: Option<(String, String)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Header {
    format: u32,
    build: String,
    marker: Marker,
    built_at_us: i64,
    next_change_us: Option<i64>,
    unindexed: Vec<Unindexed>,
}

/// Where the index of a run came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The snapshot, current.
    Snapshot,
    /// Built from the store, because the snapshot was missing, damaged or
    /// stale (the reason); `saved` says whether the new snapshot was
    /// written, or why not.
    Built {
        /// Why the snapshot was not used.
        reason: String,
        /// `Err(why)` when the new snapshot could not be written.
        saved: Result<(), String>,
    },
}

async fn marker_at(store: &AnyStore, row: i64) -> Result<Marker, StoreError> {
    if row == 0 {
        return Ok(Marker {
            last_row: 0,
            newest: None,
        });
    }
    let first = crate::first_indicator_after(store, row - 1).await?;
    Ok(Marker {
        last_row: row,
        newest: first.filter(|o| o.row == row).map(|o| (o.id, o.version)),
    })
}

/// Whether the store still looks as `m` says: no indicator row after it,
/// and its newest row still there, unchanged.
async fn still_current(store: &AnyStore, m: &Marker) -> Result<bool, StoreError> {
    if newer_than(store, m.last_row).await?.is_some() {
        return Ok(false);
    }
    Ok(marker_at(store, m.last_row).await? == *m)
}

/// The snapshot file's bytes for an index.
fn encode(header: &Header, index: &Index) -> Result<Vec<u8>, String> {
    let head = serde_json::to_vec(header).map_err(|e| e.to_string())?;
    let body = index.to_snapshot();
    let mut out = Vec::with_capacity(MAGIC.len() + head.len() + body.len() + 48);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(head.len() as u32).to_le_bytes());
    out.extend_from_slice(&head);
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&body);
    let sum = Sha256::digest(&out);
    out.extend_from_slice(&sum);
    Ok(out)
}

/// The header and index of a snapshot file's bytes, every part checked.
fn decode(bytes: &[u8]) -> Result<(Header, Index), String> {
    let body_end = bytes
        .len()
        .checked_sub(32)
        .filter(|e| *e >= MAGIC.len() + 12)
        .ok_or("the snapshot is truncated")?;
    if !bytes.starts_with(MAGIC) {
        return Err("not an indicator index snapshot".into());
    }
    if Sha256::digest(&bytes[..body_end])[..] != bytes[body_end..] {
        return Err("the snapshot's checksum does not match".into());
    }
    let mut at = MAGIC.len();
    let mut len4 = [0; 4];
    len4.copy_from_slice(&bytes[at..at + 4]);
    let head_len = u32::from_le_bytes(len4) as usize;
    at += 4;
    let head = bytes
        .get(at..at.saturating_add(head_len))
        .filter(|_| at + head_len + 8 <= body_end)
        .ok_or("the snapshot's header is truncated")?;
    let header: Header =
        serde_json::from_slice(head).map_err(|e| format!("the snapshot's header: {e}"))?;
    if header.format != FORMAT || header.build != build() {
        return Err(format!(
            "the snapshot was written by {} (format {}), this is {} (format {FORMAT})",
            header.build,
            header.format,
            build()
        ));
    }
    at += head_len;
    let mut len8 = [0; 8];
    len8.copy_from_slice(&bytes[at..at + 8]);
    at += 8;
    if u64::from_le_bytes(len8) != (body_end - at) as u64 {
        return Err("the snapshot's index length does not match".into());
    }
    let index = Index::from_snapshot(&bytes[at..body_end]).map_err(|e| e.to_string())?;
    Ok((header, index))
}

/// What wrote a snapshot: a new build may compile indicators differently.
fn build() -> String {
    concat!("concord-indicators ", env!("CARGO_PKG_VERSION")).to_string()
}

/// Writes the snapshot atomically (a temporary file renamed over it).
fn save(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(FILE_NAME);
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("writing {}: {e}", path.display())
    })
}

/// Why the snapshot at `path` cannot serve a run at `at_us`, or its index.
async fn read_current(
    store: &AnyStore,
    path: &Path,
    at_us: i64,
) -> Result<Result<Loaded, String>, StoreError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Err("no snapshot yet".into()));
        }
        Err(e) => return Ok(Err(format!("reading {}: {e}", path.display()))),
    };
    let (header, index) = match decode(&bytes) {
        Ok(d) => d,
        Err(e) => return Ok(Err(e)),
    };
    drop(bytes);
    if !header.covers(at_us) {
        return Ok(Err(
            "an indicator became valid or expired since the snapshot".into(),
        ));
    }
    if !still_current(store, &header.marker).await? {
        return Ok(Err("indicators changed since the snapshot".into()));
    }
    Ok(Ok(Loaded {
        index,
        last_row: header.marker.last_row,
        unindexed: header.unindexed,
    }))
}

/// Builds the index of the indicators active at `at_us` from the store and
/// writes its snapshot to `path`.
async fn rebuild(
    store: &AnyStore,
    path: &Path,
    at_us: i64,
) -> Result<(Loaded, Header, Result<(), String>), StoreError> {
    // The marker is the newest row the scan read: a change the scan missed
    // is a later row, so the snapshot looks stale, never current when it
    // is not.
    let (loaded, scan) = load(store, at_us).await?;
    let header = Header {
        format: FORMAT,
        build: build(),
        marker: Marker {
            last_row: scan.newest.as_ref().map_or(0, |n| n.0),
            newest: scan.newest.map(|(_, id, version)| (id, version)),
        },
        built_at_us: at_us,
        next_change_us: scan.next_change_us,
        unindexed: loaded.unindexed.clone(),
    };
    let saved = encode(&header, &loaded.index).and_then(|b| save(path, &b));
    Ok((loaded, header, saved))
}

/// The index of the indicators active at `at_us`: from the snapshot at
/// `path` when it is intact and current, else built from the store and
/// saved there (a failure to save is reported in the [`Origin`], and the
/// index built is returned all the same).
pub async fn current(
    store: &AnyStore,
    path: &Path,
    at_us: i64,
) -> Result<(Loaded, Origin), StoreError> {
    match read_current(store, path, at_us).await? {
        Ok(loaded) => Ok((loaded, Origin::Snapshot)),
        Err(reason) => {
            let (loaded, _, saved) = rebuild(store, path, at_us).await?;
            Ok((loaded, Origin::Built { reason, saved }))
        }
    }
}

/// Keeps the snapshot at `path` current for `at_us` (for `serve`, on a
/// timer): rebuilds and rewrites it when the store's indicators changed
/// or an indicator's validity began or ended. `known` is what the last
/// call saw, so that an unchanged store costs two small queries and no
/// file read. Returns whether the snapshot was rewritten, or why it could
/// not be written.
pub async fn refresh(
    store: &AnyStore,
    path: &Path,
    at_us: i64,
    known: &mut Option<Freshness>,
) -> Result<Result<bool, String>, StoreError> {
    if let Some(Freshness(h)) = known.as_ref()
        && h.covers(at_us)
        && path.exists()
        && still_current(store, &h.marker).await?
    {
        return Ok(Ok(false));
    }
    // Someone else (a `match` run) may have rewritten it: check the file.
    if let Ok((h, _)) = std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|b| decode(&b))
        && h.covers(at_us)
        && still_current(store, &h.marker).await?
    {
        *known = Some(Freshness(h));
        return Ok(Ok(false));
    }
    let (_, header, saved) = rebuild(store, path, at_us).await?;
    *known = saved.is_ok().then_some(Freshness(header));
    Ok(saved.map(|()| true))
}

/// What [`refresh`] remembers of the snapshot it last saw.
#[derive(Debug, Clone)]
pub struct Freshness(Header);

impl Header {
    /// Whether the index built for `built_at_us` holds at `at_us`.
    fn covers(&self, at_us: i64) -> bool {
        at_us >= self.built_at_us && self.next_change_us.is_none_or(|t| at_us < t)
    }
}

/// Keeps the snapshot at `path` current for as long as the node serves:
/// checks every `every` (two small queries when nothing changed) and
/// rebuilds it when indicators changed or a validity began or ended.
/// Failures are logged and retried on the next tick.
pub async fn keep_current(store: AnyStore, path: std::path::PathBuf, every: std::time::Duration) {
    let mut known = None;
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = concord_stix::Timestamp::now().0;
        match refresh(&store, &path, now, &mut known).await {
            Ok(Ok(true)) => {
                tracing::info!(path = %path.display(), "indicator index snapshot rewritten")
            }
            Ok(Ok(false)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "the indicator index snapshot was not saved"),
            Err(e) => tracing::warn!(error = %e, "checking the indicator index snapshot failed"),
        }
    }
}
