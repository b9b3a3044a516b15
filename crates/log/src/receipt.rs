//! Inclusion on receipt (FEDERATION.md 2b): an object received from a peer
//! is stored (and so served and matched) only once its author's log is
//! shown to hold it, under a checkpoint of that log this node verified
//! (witnessed, or checked against what it witnessed).
//!
//! Per page of a pull, the admitted objects are proved together:
//! - their log material (`{id, modified, leaf_index, nonce}`) comes from
//!   the peer in one request (`POST /concord/v1/proofs`, egress-filtered
//!   on the peer's side);
//! - each leaf hash is recomputed from the bytes received and the nonce
//!   (an authored version is stored and served as its canonical JSON, so
//!   the commitment is one SHA-256 over the received bytes; other bytes
//!   are canonicalised first) and compared with the author's level-0 tile
//!   at the checkpoint's size;
//! - one inclusion proof per tile (from the author's tiles) ties that
//!   tile, and so every leaf hash in it, to the checkpoint's root.
//!
//! So a page costs one request, one tile per 256 objects and about two
//! hashes per object, against one checkpoint. What cannot be proved yet
//! (no material, a leaf past the checkpoint, tiles unavailable) is held
//! (records `log-held`) and tried again each round; what the author's
//! log contradicts, and what is still held after three checkpoint
//! intervals, is quarantined with the reason.

use std::collections::HashMap;
use std::sync::Arc;

use concord_stix::Timestamp;
use concord_store::{AnyStore, LogMark, PreparedObject, Record, Store};
use concord_taxii::TaxiiError;
use concord_taxii::client::{Client, Method};
use concord_taxii::sync::{Candidate, Inclusion, Proven, Proving, quarantined};
use concord_tlog::{
    ENTRY_PREFIX, Hash, SignedCheckpoint, TILE_WIDTH, Tile, TileNodes, TileReader, inclusion_proof,
    leaf_hash, verify_inclusion,
};
use serde::{Deserialize, Serialize};

use crate::directory::{Directory, MemberLog};
use crate::own::{commitment_of_text, nonce_from_base64};
use crate::tiles::{Sources, TileSet, TileSource, sources_of, with_tiles};
use crate::{LogError, Result, witness};

/// The record kind of objects held until their author's log shows them.
pub const HELD_KIND: &str = "log-held";

/// Where a node serves log material of the versions it holds.
pub const PROOFS_PATH: &str = "/concord/v1/proofs";

/// The most versions one proofs request may name.
pub const MAX_PROOF_REQUEST: usize = 10_000;

/// `POST /concord/v1/proofs` body: the versions asked about, each as
/// `[id, modified]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofsRequest {
    /// The versions asked for.
    pub versions: Vec<(String, String)>,
}

/// `POST /concord/v1/proofs` answer, in the order asked: for each version
/// its log material `[leaf_index, nonce]` (leaf in its author's log, the
/// commitment's nonce in base64), or `null` when the caller may not see
/// it or it has none. Positional, so a page's answer does not repeat its
/// ids.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofsAnswer {
    /// One entry per version asked about.
    pub material: Vec<Option<(u64, String)>>,
}

/// A held object, as recorded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeldObject {
    /// The peer it came from (its name).
    pub source: String,
    /// The member that signed it.
    pub signer: String,
    /// Its id.
    pub id: String,
    /// Its version.
    pub version: String,
    /// When it arrived (µs).
    pub received_us: i64,
    /// Why it is held.
    pub reason: String,
    /// Its JSON as received.
    pub object: String,
}

/// A version's material from the peer: leaf index and nonce.
type Found = Option<(u64, [u8; 32])>;

/// What became of one object.
enum Verdict {
    /// Stored as it is (this member's own).
    Keep,
    Store(u64, [u8; 32]),
    Hold(String),
    Quarantine(String),
}

/// The checkpoint and tiles of one author's log, for a round.
struct View {
    checkpoint: Option<SignedCheckpoint>,
    tiles: TileSet,
    source: Sources,
}

struct Inner {
    store: AnyStore,
    directory: Directory,
    client: Client,
    /// The peer pulled from: its name, its log (when it is a member) and
    /// base URL, and where it serves proofs.
    source: String,
    peer: Option<MemberLog>,
    peer_base: String,
    proofs_url: String,
    views: tokio::sync::Mutex<HashMap<String, View>>,
}

/// Proves the pages of one pull from one peer.
#[derive(Clone)]
pub struct Receiver {
    inner: Arc<Inner>,
}

impl Receiver {
    /// The prover of a pull from `peer` (by its name and node URL), for the
    /// logs in `directory`.
    pub fn new(
        store: AnyStore,
        directory: Directory,
        client: Client,
        peer_name: &str,
        peer_url: &str,
    ) -> Result<Receiver> {
        let base = crate::directory::base_of(peer_url)
            .ok_or_else(|| LogError::Refused(format!("peer URL {peer_url:?} has no host")))?;
        let peer = directory.by_member(peer_name).cloned();
        Ok(Receiver {
            inner: Arc::new(Inner {
                store,
                directory,
                client,
                source: peer_name.to_string(),
                peer,
                proofs_url: format!("{base}{PROOFS_PATH}"),
                peer_base: base,
                views: tokio::sync::Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Proves a page (also used to retry held objects).
    pub async fn prove_page(&self, page: Vec<Candidate>) -> Result<Proven> {
        self.inner.prove(page).await
    }
}

impl Inclusion for Receiver {
    fn prove(&self, page: Vec<Candidate>) -> Proving {
        let inner = self.inner.clone();
        Box::pin(async move {
            inner
                .prove(page)
                .await
                .map_err(|e| TaxiiError::Io(std::io::Error::other(e.to_string())))
        })
    }
}

/// The width of level-0 tile `index` in a tree of `size` leaves.
fn leaf_tile(index: u64, size: u64) -> Tile {
    let width = if (index + 1) * u64::from(TILE_WIDTH) <= size {
        TILE_WIDTH
    } else {
        (size & 0xff) as u16
    };
    Tile::hashes(0, index, width)
}

/// The leaf hash of an intel entry over `json` (the commitment's text).
fn intel_leaf(json: &[u8], nonce: &[u8; 32]) -> Hash {
    let c = commitment_of_text(json, nonce);
    let mut d = Vec::with_capacity(ENTRY_PREFIX.len() + 33);
    d.extend_from_slice(ENTRY_PREFIX);
    d.push(0x01);
    d.extend_from_slice(c.as_bytes());
    leaf_hash(&d)
}

/// The leaf hash over the object's canonical JSON, when the bytes as
/// received are not canonical.
fn canonical_leaf(json: &str, nonce: &[u8; 32]) -> Option<Hash> {
    let map = concord_stix::json::parse_object(json.as_bytes()).ok()?;
    let jcs = concord_stix::canonical::to_canonical_string_omitting(&map, &[]).ok()?;
    Some(intel_leaf(jcs.as_bytes(), nonce))
}

/// The leaf hashes an object version may have under `nonce`: over its
/// bytes as held, and over its canonical form when that differs.
pub fn leaf_of(json: &str, nonce: &[u8; 32]) -> Vec<Hash> {
    let mut out = vec![intel_leaf(json.as_bytes(), nonce)];
    if let Some(h) = canonical_leaf(json, nonce)
        && h != out[0]
    {
        out.push(h);
    }
    out
}

fn held_record(source: &str, c: &Candidate, reason: &str, received_us: i64) -> Result<Record> {
    let h = HeldObject {
        source: source.to_string(),
        signer: c.signer.clone(),
        id: c.object.id.clone(),
        version: c.object.version.clone(),
        received_us,
        reason: reason.to_string(),
        object: c.object.json.clone(),
    };
    Ok(Record::new(
        HELD_KIND,
        format!("{} {}", c.object.id, c.object.version),
        serde_json::to_string(&h)?,
    ))
}

impl Inner {
    /// One verdict per object, by its place in the page: the page's objects
    /// are moved once, into what is stored or recorded (a page of large
    /// objects copied from vector to vector cost more than its hashes).
    async fn prove(&self, page: Vec<Candidate>) -> Result<Proven> {
        let me = self.directory.own.member.as_str();
        let mut verdicts: Vec<Option<Verdict>> = (0..page.len()).map(|_| None).collect();
        // This member's own versions coming back: it holds them already
        // (or held them), and its own log is its own.
        let theirs: Vec<usize> = (0..page.len())
            .filter(|&i| {
                if page[i].signer == me {
                    verdicts[i] = Some(Verdict::Keep);
                    false
                } else {
                    true
                }
            })
            .collect();
        if theirs.is_empty() {
            return self.settle(page, verdicts);
        }
        // The material came with the page from a concord peer; what did
        // not (an older peer, a retry of held objects) is asked for.
        let material = match self.fill_material(&page, &theirs).await {
            Ok(m) => m,
            Err(e) => {
                let reason = format!("{} gave no log material: {e}", self.source);
                for &i in &theirs {
                    verdicts[i] = Some(Verdict::Hold(reason.clone()));
                }
                let mut out = self.settle(page, verdicts)?;
                self.keep_first_arrival(&mut out).await?;
                return Ok(out);
            }
        };
        // Every leaf hash over the bytes as received, on a blocking thread
        // (a SHA-256 over each object): the page goes there and back.
        let (page, leaves) = tokio::task::spawn_blocking(move || {
            let leaves: Vec<Option<Hash>> = page
                .iter()
                .zip(&material)
                .map(|(c, m)| m.map(|(_, nonce)| intel_leaf(c.object.json.as_bytes(), &nonce)))
                .collect();
            (page, (leaves, material))
        })
        .await
        .map_err(|e| LogError::Task(e.to_string()))?;
        let (leaves, material) = leaves;
        let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
        for &i in &theirs {
            match groups.iter_mut().find(|g| g.0 == page[i].signer) {
                Some(g) => g.1.push(i),
                None => groups.push((page[i].signer.clone(), vec![i])),
            }
        }
        for (signer, indexes) in groups {
            match self.directory.by_member(&signer).cloned() {
                Some(member) => {
                    self.verify(&member, &page, &indexes, &material, &leaves, &mut verdicts)
                        .await?
                }
                None => {
                    for i in indexes {
                        let r = format!("no log is known for its signer {signer}");
                        verdicts[i] = Some(Verdict::Hold(r));
                    }
                }
            }
        }
        let mut out = self.settle(page, verdicts)?;
        self.keep_first_arrival(&mut out).await?;
        Ok(out)
    }

    /// A held object received again (a pull overlaps the last one) keeps
    /// the time it first arrived: the three intervals count from there.
    async fn keep_first_arrival(&self, out: &mut Proven) -> Result<()> {
        for r in out.records.iter_mut().filter(|r| r.kind == HELD_KIND) {
            let Some(before) = self.store.record(HELD_KIND, &r.key).await? else {
                continue;
            };
            let (Ok(before), Ok(mut now)) = (
                serde_json::from_str::<HeldObject>(&before.value),
                serde_json::from_str::<HeldObject>(&r.value),
            ) else {
                continue;
            };
            now.received_us = before.received_us.min(now.received_us);
            r.value = serde_json::to_string(&now)?;
        }
        Ok(())
    }

    fn settle(&self, page: Vec<Candidate>, verdicts: Vec<Option<Verdict>>) -> Result<Proven> {
        let now = Timestamp::now().0;
        let mut out = Proven {
            stored: Vec::with_capacity(page.len()),
            ..Default::default()
        };
        for (c, v) in page.into_iter().zip(verdicts) {
            match v.unwrap_or_else(|| Verdict::Hold("not checked".into())) {
                Verdict::Keep => out.stored.push(c.object),
                Verdict::Store(leaf, nonce) => out
                    .stored
                    .push(c.object.with_log(LogMark::Received { leaf, nonce })),
                Verdict::Hold(reason) => {
                    out.records
                        .push(held_record(&self.source, &c, &reason, now)?);
                    out.held += 1;
                }
                Verdict::Quarantine(reason) => {
                    out.records.push(quarantined(
                        &self.source,
                        &c.object.id,
                        &c.object.version,
                        &reason,
                        &c.object.json,
                    ));
                    out.quarantined += 1;
                }
            }
        }
        Ok(out)
    }

    /// The log material of the candidates at `at`: from the page, else
    /// from the peer's proofs endpoint. Indexed like the page.
    async fn fill_material(&self, page: &[Candidate], at: &[usize]) -> Result<Vec<Found>> {
        let mut out: Vec<Found> = vec![None; page.len()];
        let mut missing = Vec::new();
        for &i in at {
            match page[i].material {
                Some(m) => out[i] = Some(m),
                None => missing.push(i),
            }
        }
        if missing.is_empty() {
            return Ok(out);
        }
        let asked: Vec<(String, String)> = missing
            .iter()
            .map(|&i| (page[i].object.id.clone(), page[i].object.version.clone()))
            .collect();
        for (i, m) in missing.into_iter().zip(self.material(asked).await?) {
            out[i] = m;
        }
        Ok(out)
    }

    /// The peer's log material for these versions, in their order.
    async fn material(&self, versions: Vec<(String, String)>) -> Result<Vec<Found>> {
        let mut out = Vec::with_capacity(versions.len());
        for chunk in versions.chunks(MAX_PROOF_REQUEST) {
            let request = ProofsRequest {
                versions: chunk.to_vec(),
            };
            let answer = self
                .client
                .exchange(
                    Method::POST,
                    &self.proofs_url,
                    Some(("application/json", serde_json::to_vec(&request)?)),
                    64 * 1024 * 1024,
                )
                .await?;
            if answer.status != 200 {
                return Err(LogError::protocol(
                    self.proofs_url.clone(),
                    format!(
                        "status {}: {}",
                        answer.status,
                        String::from_utf8_lossy(&answer.body)
                            .chars()
                            .take(200)
                            .collect::<String>()
                    ),
                ));
            }
            let a: ProofsAnswer = serde_json::from_slice(&answer.body)
                .map_err(|e| LogError::protocol(self.proofs_url.clone(), e.to_string()))?;
            if a.material.len() != chunk.len() {
                return Err(LogError::protocol(
                    self.proofs_url.clone(),
                    format!("{} answers for {} versions", a.material.len(), chunk.len()),
                ));
            }
            out.extend(
                a.material.into_iter().map(|m| {
                    m.and_then(|(leaf, nonce)| nonce_from_base64(&nonce).map(|n| (leaf, n)))
                }),
            );
        }
        Ok(out)
    }

    /// Verifies the objects of one author (at `indexes` of the page)
    /// against the checkpoint of its log this node holds.
    async fn verify(
        &self,
        member: &MemberLog,
        page: &[Candidate],
        indexes: &[usize],
        material: &[Found],
        leaves: &[Option<Hash>],
        verdicts: &mut [Option<Verdict>],
    ) -> Result<()> {
        let mut views = self.views.lock().await;
        if !views.contains_key(&member.origin) {
            let checkpoint = witness::held(&self.store, &member.origin).await?;
            let source = sources_of(
                &self.client,
                member,
                self.peer.as_ref().map(|p| (p, self.peer_base.as_str())),
            );
            views.insert(
                member.origin.clone(),
                View {
                    checkpoint,
                    tiles: TileSet::new(),
                    source,
                },
            );
        }
        let Some(view) = views.get_mut(&member.origin) else {
            return Err(LogError::Task("the log view vanished".into()));
        };
        let Some(checkpoint) = view.checkpoint.clone() else {
            let reason = format!(
                "no checkpoint of {}'s log ({}) is verified here yet",
                member.name, member.origin
            );
            for &i in indexes {
                verdicts[i] = Some(Verdict::Hold(reason.clone()));
            }
            return Ok(());
        };
        let size = checkpoint.checkpoint().size;
        let root = checkpoint.checkpoint().root;
        let mut todo: Vec<usize> = Vec::with_capacity(indexes.len());
        for &i in indexes {
            match material[i] {
                None => {
                    let r = format!("{} has no log entry for it", self.source);
                    verdicts[i] = Some(Verdict::Hold(r));
                }
                Some((leaf, _)) if leaf >= size => {
                    let r = format!(
                        "its leaf {leaf} is not under the checkpoint of {} verified here (size {size}) yet",
                        member.origin
                    );
                    verdicts[i] = Some(Verdict::Hold(r));
                }
                Some(_) => todo.push(i),
            }
        }
        if todo.is_empty() {
            return Ok(());
        }
        let leaf_of = |i: usize| material[i].map_or(0, |m| m.0);
        if view.source.is_empty() {
            let r = format!("{} has no URL to read its log from", member.name);
            for &i in &todo {
                verdicts[i] = Some(Verdict::Hold(r.clone()));
            }
            return Ok(());
        }
        let mut wanted: Vec<Tile> = todo
            .iter()
            .map(|&i| leaf_tile(leaf_of(i) >> 8, size))
            .collect();
        wanted.sort_by_key(|t| t.index);
        wanted.dedup();
        let missing: Vec<Tile> = wanted
            .iter()
            .filter(|t| !view.tiles.has(t))
            .copied()
            .collect();
        if !missing.is_empty() {
            match view.source.fetch(missing).await {
                Ok(fetched) => {
                    for (t, b) in fetched {
                        view.tiles.insert(&t, b);
                    }
                }
                Err(e) => {
                    let r = format!("the tiles of {} are not available: {e}", member.origin);
                    for &i in &todo {
                        verdicts[i] = Some(Verdict::Hold(r.clone()));
                    }
                    return Ok(());
                }
            }
        }
        // Each leaf hash against the author's tile; one inclusion proof per
        // tile then ties that tile, and every hash in it, to the root.
        let mut matched: Vec<(usize, u64, Hash)> = Vec::with_capacity(todo.len());
        for &i in &todo {
            let (leaf, nonce) = material[i].unwrap_or((0, [0; 32]));
            match compare_leaf(
                &view.tiles,
                &page[i],
                leaf,
                &nonce,
                leaves[i],
                size,
                &member.origin,
            ) {
                Ok(h) => matched.push((i, leaf, h)),
                Err(reason) => verdicts[i] = Some(Verdict::Quarantine(reason)),
            }
        }
        let mut tile_ok: HashMap<u64, std::result::Result<(), String>> = HashMap::new();
        for &(_, leaf, h) in &matched {
            if tile_ok.contains_key(&(leaf >> 8)) {
                continue;
            }
            let proof = with_tiles(&mut view.tiles, &view.source, |t| {
                inclusion_proof(leaf, size, &mut TileNodes::new(t, size))
            })
            .await;
            let verdict = match proof {
                Ok(p) => verify_inclusion(leaf, size, &h, &p, &root).map_err(|e| {
                    format!(
                        "the tiles of {} do not lead to its checkpoint's root: {e}",
                        member.origin
                    )
                }),
                Err(e) => Err(format!(
                    "no inclusion proof from the tiles of {}: {e}",
                    member.origin
                )),
            };
            tile_ok.insert(leaf >> 8, verdict);
        }
        for (i, leaf, _) in matched {
            let nonce = material[i].map_or([0; 32], |m| m.1);
            verdicts[i] = Some(match tile_ok.get(&(leaf >> 8)) {
                Some(Ok(())) => Verdict::Store(leaf, nonce),
                Some(Err(reason)) => Verdict::Hold(reason.clone()),
                None => Verdict::Hold("not checked".into()),
            });
        }
        // Full leaf tiles are not needed again this round; upper tiles are.
        view.tiles.forget_leaf_tiles();
        Ok(())
    }
}

/// The object's leaf hash (`raw`: over the bytes as received), when it is
/// the one the author's tile has at `leaf`; else why not.
fn compare_leaf(
    tiles: &TileSet,
    c: &Candidate,
    leaf: u64,
    nonce: &[u8; 32],
    raw: Option<Hash>,
    size: u64,
    origin: &str,
) -> std::result::Result<Hash, String> {
    let tile = leaf_tile(leaf >> 8, size);
    let bytes = tiles
        .read_tile(&tile)
        .map_err(|e| format!("tile {}: {e}", tile.path()))?;
    let at = (leaf & 0xff) as usize * 32;
    let logged = bytes
        .get(at..at + 32)
        .and_then(Hash::from_slice)
        .ok_or_else(|| format!("tile {} is short", tile.path()))?;
    let mine = raw.unwrap_or_else(|| intel_leaf(c.object.json.as_bytes(), nonce));
    if mine == logged {
        return Ok(mine);
    }
    match canonical_leaf(&c.object.json, nonce) {
        Some(h) if h == logged => Ok(h),
        _ => Err(format!(
            "{origin} holds another entry at leaf {leaf}: this is not the version its author logged"
        )),
    }
}

/// Tries the held objects of one peer again (after the round witnessed it
/// and its authors): stores those now proven, with their material;
/// quarantines those the log contradicts and those held longer than three
/// checkpoint intervals; keeps the rest.
pub async fn retry_held(
    receiver: &Receiver,
    collection: &str,
    give_up_after: std::time::Duration,
) -> Result<Released> {
    let inner = &receiver.inner;
    let store = &inner.store;
    let mut held: Vec<(String, HeldObject)> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.records(HELD_KIND, after.as_deref(), 1000).await?;
        let Some(last) = page.last().map(|r| r.key.clone()) else {
            break;
        };
        for r in page {
            if let Ok(h) = serde_json::from_str::<HeldObject>(&r.value)
                && h.source == inner.source
            {
                held.push((r.key, h));
            }
        }
        after = Some(last);
    }
    if held.is_empty() {
        return Ok(Released::default());
    }
    let now = Timestamp::now().0;
    let limit = i64::try_from(give_up_after.as_micros()).unwrap_or(i64::MAX);
    let mut candidates = Vec::new();
    let mut expired = Vec::new();
    let mut received: HashMap<String, (i64, String)> = HashMap::new();
    for (key, h) in held {
        let object =
            match concord_stix::ingest::read_object(h.object.as_bytes(), &concord_pattern::Grammar)
            {
                Ok(c) => PreparedObject::new(&c.object, h.object.clone()),
                Err(_) => {
                    expired.push((key, h, "it is no longer readable as STIX".to_string()));
                    continue;
                }
            };
        received.insert(key.clone(), (h.received_us, h.reason.clone()));
        candidates.push(Candidate {
            object,
            signer: h.signer.clone(),
            material: None,
        });
    }
    let proven = receiver.prove_page(candidates).await?;
    let mut records = Vec::new();
    let mut delete = Vec::new();
    let mut quarantined_n = proven.quarantined;
    let mut still = 0;
    for r in proven.records {
        if r.kind != HELD_KIND {
            // Quarantined now: no longer held.
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&r.value)
                && let (Some(id), Some(version)) = (
                    v.get("id").and_then(|x| x.as_str()),
                    v.get("version").and_then(|x| x.as_str()),
                )
            {
                delete.push(format!("{id} {version}"));
            }
            records.push(r);
            continue;
        }
        let Some((first, _)) = received.get(&r.key).cloned() else {
            continue;
        };
        let Ok(mut h) = serde_json::from_str::<HeldObject>(&r.value) else {
            continue;
        };
        h.received_us = first;
        if now.saturating_sub(first) >= limit {
            expired.push((r.key.clone(), h.clone(), h.reason.clone()));
            continue;
        }
        still += 1;
        records.push(Record::new(HELD_KIND, r.key, serde_json::to_string(&h)?));
    }
    for (key, h, last_reason) in expired {
        let reason = format!(
            "its inclusion in its author's log was not proven within three checkpoint intervals ({} s): {last_reason}",
            give_up_after.as_secs()
        );
        records.push(quarantined(
            &h.source, &h.id, &h.version, &reason, &h.object,
        ));
        delete.push(key);
        quarantined_n += 1;
    }
    let released = proven.stored.len();
    let revoked = proven
        .stored
        .iter()
        .filter(|o| o.revoked)
        .map(|o| o.id.clone())
        .collect();
    delete.extend(
        proven
            .stored
            .iter()
            .map(|o| format!("{} {}", o.id, o.version)),
    );
    store
        .put_releasing(
            collection,
            proven.stored,
            records,
            (HELD_KIND.to_string(), delete),
        )
        .await?;
    Ok(Released {
        released,
        quarantined: quarantined_n,
        still_held: still,
        revoked,
    })
}

/// What [`retry_held`] did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Released {
    /// Objects stored now.
    pub released: usize,
    /// Objects quarantined now.
    pub quarantined: usize,
    /// Objects still held.
    pub still_held: usize,
    /// Ids of revoked versions stored now (withdrawals to carry out).
    pub revoked: Vec<String>,
}

/// Every held object, for `concord log status` and the console.
pub async fn held_objects(store: &AnyStore) -> Result<Vec<HeldObject>> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.records(HELD_KIND, after.as_deref(), 1000).await?;
        let Some(last) = page.last().map(|r| r.key.clone()) else {
            break;
        };
        out.extend(
            page.iter()
                .filter_map(|r| serde_json::from_str::<HeldObject>(&r.value).ok()),
        );
        after = Some(last);
    }
    Ok(out)
}
