//! Pull and push over TAXII 2.1 (FEDERATION.md section 5).
//!
//! Pull: the cursor is only ever the server's `X-TAXII-Date-Added-Last`,
//! stored in the same transaction as the objects of the pages it covers,
//! so a pull killed at any point resumes without loss or duplicates. A
//! round starts from the cursor minus [`PullOptions::overlap`] (foreign
//! servers do not promise unique `date_added` values; re-received versions
//! are deduplicated on (id, modified); a concord peer needs none); inside a
//! round it follows `next`, or the header when there is no `next`. Every
//! received object goes through `read_object`.
//!
//! Push: local entries in `date_added` order, in envelopes, each waited on
//! until its status is complete; the push cursor (local `date_added`) moves
//! only after the peer acknowledged.

use std::sync::Arc;
use std::time::Duration;

use concord_stix::StixObject;
use concord_stix::Timestamp;
use concord_stix::ingest::{into_storable_json, read_object};
use concord_store::{ListQuery, PreparedObject, Record, Store, SyncCursor, VersionSel};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::TaxiiError;
use crate::client::{Client, ObjectsQuery};
use crate::envelope;

/// Decides, for each object a peer sent, whether it is stored or
/// quarantined (a concord node verifies the author's signature here).
pub trait Admission: Send + Sync {
    /// `Ok` to store it; `Err(reason)` to quarantine it.
    fn admit(&self, object: &StixObject) -> Result<(), String>;

    /// Whether to drop it silently, before any check: a version this node
    /// already decided never to hold again (an earlier version of an
    /// object its author withdrew). Counted as a duplicate.
    fn skip(&self, _object: &StixObject) -> bool {
        false
    }

    /// [`Admission::admit`] for many objects at once, in order (override it
    /// to verify signatures in a batch).
    fn admit_all(&self, objects: &[&StixObject]) -> Vec<Result<(), String>> {
        objects.iter().map(|o| self.admit(o)).collect()
    }

    /// The objects of one page that passed [`Admission::admit_all`], in the
    /// page's order and on one thread: for decisions that depend on what
    /// came before (which member an id belongs to: the first version wins,
    /// also within a page). `Err(reason)` quarantines an object.
    fn bind_all(&self, objects: &[&StixObject]) -> Vec<Result<(), String>> {
        vec![Ok(()); objects.len()]
    }
}

/// The record kind of quarantined objects.
pub const QUARANTINE: &str = "quarantine";

/// An admitted object of a page, with the member that signed it, before
/// its author's log has shown it.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The object, ready to store.
    pub object: PreparedObject,
    /// The member its provenance names (empty when unsigned).
    pub signer: String,
    /// Its log material (leaf index, nonce) as the peer sent it with the
    /// page, if it did.
    pub material: Option<(u64, [u8; 32])>,
}

/// What proving a page's objects came to.
#[derive(Debug, Default)]
pub struct Proven {
    /// The objects to store now (with their log material).
    pub stored: Vec<PreparedObject>,
    /// Records written in the page's transaction: objects held until their
    /// author's log shows them, objects quarantined because it contradicts
    /// them.
    pub records: Vec<Record>,
    /// How many objects are held.
    pub held: usize,
    /// How many objects were quarantined.
    pub quarantined: usize,
}

/// A future proving one page.
pub type Proving =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Proven, TaxiiError>> + Send>>;

/// Decides, for the admitted objects of each page, whether their authors'
/// transparency logs include them (FEDERATION.md section 2b): only those
/// are stored; the others are held or quarantined. Pages are proved while
/// the next ones are fetched and checked.
pub trait Inclusion: Send + Sync {
    /// Starts proving a page.
    fn prove(&self, page: Vec<Candidate>) -> Proving;
}

/// How [`pull`] pages, checks and stores.
#[derive(Clone)]
pub struct PullOptions {
    /// Objects asked for per page (the `limit` sent; at least 1).
    pub page: usize,
    /// How far before the stored cursor a new round starts: for servers
    /// that do not promise unique, in-order `date_added` values. Zero
    /// against a concord server (which does): then a round with nothing
    /// new receives nothing.
    pub overlap: Duration,
    /// Pages per round at most (a bound against a server that loops).
    pub max_pages: usize,
    /// With an admission check, objects it refuses and objects that are
    /// not valid STIX are kept in quarantine (records of kind
    /// [`QUARANTINE`], in the page's transaction) instead of only being
    /// reported; without one, every valid object is stored.
    pub admission: Option<Arc<dyn Admission>>,
    /// The name the quarantine records give as the source (the peer).
    pub source_name: String,
    /// Checked pages waiting to be stored are written in one transaction
    /// up to about this many objects.
    pub group_objects: usize,
    /// Checked pages that may wait for the store while it writes a group:
    /// enough that checking goes on during a write, so the store's time
    /// (a commit, a checkpoint) overlaps the rest instead of stalling it.
    pub queue_pages: usize,
    /// With it, admitted objects are stored only once their author's log
    /// shows them.
    pub inclusion: Option<Arc<dyn Inclusion>>,
}

impl std::fmt::Debug for PullOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PullOptions")
            .field("page", &self.page)
            .field("overlap", &self.overlap)
            .field("max_pages", &self.max_pages)
            .field("admission", &self.admission.is_some())
            .field("inclusion", &self.inclusion.is_some())
            .finish()
    }
}

impl Default for PullOptions {
    fn default() -> Self {
        PullOptions {
            page: 1000,
            overlap: Duration::from_secs(1),
            max_pages: 1_000_000,
            admission: None,
            source_name: String::new(),
            group_objects: 20_000,
            queue_pages: 12,
            inclusion: None,
        }
    }
}

/// An object a peer sent that was not stored, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Rejected {
    /// Its STIX id (empty if it had none).
    pub id: String,
    /// Its `modified`, else `created` (empty if it had neither).
    pub version: String,
    /// Why it was not stored.
    pub reason: String,
}

/// What one [`pull`] round did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PullReport {
    /// Pages fetched.
    pub pages: usize,
    /// Objects received.
    pub received: usize,
    /// Versions newly stored.
    pub stored: usize,
    /// Versions already held, not stored again.
    pub duplicates: usize,
    /// Objects not stored, and why.
    pub rejected: Vec<Rejected>,
    /// Objects put in quarantine this round (with an admission check).
    pub quarantined: usize,
    /// Objects held until their author's log shows them.
    pub held: usize,
    /// Ids of revoked versions received this round (withdrawals).
    pub revoked: Vec<String>,
    /// Bytes of object JSON received (uncompressed).
    pub bytes: u64,
    /// The cursor after this round (the server's value).
    pub cursor: Option<String>,
}

impl std::fmt::Display for PullReport {
    /// The counts and the cursor, then one line per rejected object.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pulled {} objects in {} pages: {} new, {} already held, {} rejected; cursor {}",
            self.received,
            self.pages,
            self.stored,
            self.duplicates,
            self.rejected.len(),
            self.cursor.as_deref().unwrap_or("none")
        )?;
        for r in &self.rejected {
            write!(f, "\n  rejected {} {}: {}", r.id, r.version, r.reason)?;
        }
        Ok(())
    }
}

impl std::fmt::Display for PushReport {
    /// The counts, then one line per refused object.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pushed {} objects in {} envelopes: {} accepted, {} refused",
            self.sent, self.envelopes, self.succeeded, self.failed
        )?;
        for r in &self.failures {
            write!(f, "\n  refused {} {}: {}", r.id, r.version, r.reason)?;
        }
        Ok(())
    }
}

/// The key under which a sync cursor is kept.
pub fn source_key(direction: &str, api_root: &str, collection: &str) -> String {
    format!("{direction} {api_root} {collection}")
}

/// What became of one received object.
#[expect(
    clippy::large_enum_variant,
    reason = "almost every object is stored: boxing it would cost an allocation each"
)]
enum Checked {
    Skip,
    /// Admitted so far: the object to store, whether it is revoked, the
    /// object as read (for [`Admission::bind_all`]) and the bytes received.
    Store(PreparedObject, bool, StixObject, Box<RawValue>, Material),
    Reject(Rejected, Box<RawValue>),
}

fn refused(reason: String, raw: Box<RawValue>) -> Checked {
    let (id, version) = envelope::key_of(&raw);
    Checked::Reject(
        Rejected {
            id,
            version,
            reason,
        },
        raw,
    )
}

/// An object's log material as the peer sent it with the page.
type Material = Option<(u64, [u8; 32])>;

/// An object read as STIX, or what is wrong with it.
type ReadOutcome = Result<concord_stix::ingest::Checked, Vec<concord_stix::Issue>>;

/// Checks a run of objects: each is read as STIX, then the admission check
/// sees all the readable ones at once (so it can verify signatures in a
/// batch).
fn check_chunk(
    raws: Vec<(Box<RawValue>, Material)>,
    admission: Option<&dyn Admission>,
) -> Vec<Checked> {
    let read: Vec<(Box<RawValue>, ReadOutcome, Material)> = raws
        .into_iter()
        .map(|(raw, m)| {
            let r = read_object(raw.get().as_bytes(), &concord_pattern::Grammar);
            (raw, r, m)
        })
        .collect();
    let skipped: Vec<bool> = read
        .iter()
        .map(|(_, r, _)| match (r, admission) {
            (Ok(c), Some(a)) => a.skip(&c.object),
            _ => false,
        })
        .collect();
    let to_admit: Vec<&StixObject> = read
        .iter()
        .zip(&skipped)
        .filter_map(|((_, r, _), skip)| match r {
            Ok(c) if !skip => Some(&c.object),
            _ => None,
        })
        .collect();
    let mut verdicts = match admission {
        Some(a) => a.admit_all(&to_admit),
        None => vec![Ok(()); to_admit.len()],
    }
    .into_iter();
    read.into_iter()
        .zip(skipped)
        .map(|((raw, r, material), skip)| match r {
            Ok(_) if skip => Checked::Skip,
            Ok(c) => match verdicts.next().unwrap_or(Err("not checked".into())) {
                Err(reason) => refused(reason, raw),
                Ok(()) => {
                    let revoked =
                        c.object.as_map().get("revoked") == Some(&serde_json::Value::Bool(true));
                    let text = into_storable_json(raw.get().to_string(), &c.object);
                    Checked::Store(
                        PreparedObject::new(&c.object, text),
                        revoked,
                        c.object,
                        raw,
                        material,
                    )
                }
            },
            Err(issues) => {
                let reason = issues
                    .iter()
                    .map(|i| format!("{}: {} ({})", i.path, i.message, i.rule))
                    .collect::<Vec<_>>()
                    .join("; ");
                refused(reason, raw)
            }
        })
        .collect()
}

struct CheckedPage {
    /// Bytes of object JSON in the page as received.
    bytes: u64,
    skipped: usize,
    ok: Vec<PreparedObject>,
    /// The signer of each of `ok`, and its log material from the page.
    signers: Vec<(String, Material)>,
    /// `ok`, being proved (with an inclusion check).
    proving: Option<tokio::task::JoinHandle<Result<Proven, TaxiiError>>>,
    /// How many objects `ok` had before proving took them.
    admitted: usize,
    bad: Vec<(Rejected, Box<RawValue>)>,
    revoked: Vec<String>,
}

/// Checks a page, on two threads when it is large (signature checks cost
/// tens of microseconds per object), keeping the page's order.
fn check_page(
    objects: Vec<Box<RawValue>>,
    log: Option<Vec<Material>>,
    admission: Option<&dyn Admission>,
) -> CheckedPage {
    let bytes = objects.iter().map(|o| o.get().len() as u64).sum();
    let n = objects.len();
    let objects: Vec<(Box<RawValue>, Material)> = objects
        .into_iter()
        .zip(log.unwrap_or_else(|| vec![None; n]))
        .collect();
    let checked: Vec<Checked> = if objects.len() >= 256 {
        let mut objects = objects;
        let second = objects.split_off(objects.len() / 2);
        std::thread::scope(|s| {
            let other = s.spawn(move || check_chunk(second, admission));
            let mut first: Vec<Checked> = check_chunk(objects, admission);
            match other.join() {
                Ok(rest) => first.extend(rest),
                // A panic in a check is a bug; losing the half silently
                // would be worse than taking the process down.
                Err(p) => std::panic::resume_unwind(p),
            }
            first
        })
    } else {
        check_chunk(objects, admission)
    };
    // What depends on order (which member an id belongs to) is decided on
    // one thread, in the page's order.
    let bound: Vec<Result<(), String>> = match admission {
        Some(a) => {
            let admitted: Vec<&StixObject> = checked
                .iter()
                .filter_map(|c| match c {
                    Checked::Store(_, _, o, _, _) => Some(o),
                    _ => None,
                })
                .collect();
            a.bind_all(&admitted)
        }
        None => Vec::new(),
    };
    let mut bound = bound.into_iter();
    let checked: Vec<Checked> = checked
        .into_iter()
        .map(|c| match c {
            Checked::Store(p, revoked, o, raw, m) => match bound.next() {
                Some(Err(reason)) => refused(reason, raw),
                _ => Checked::Store(p, revoked, o, raw, m),
            },
            other => other,
        })
        .collect();
    let mut page = CheckedPage {
        bytes,
        skipped: 0,
        ok: Vec::with_capacity(checked.len()),
        signers: Vec::with_capacity(checked.len()),
        proving: None,
        admitted: 0,
        bad: Vec::new(),
        revoked: Vec::new(),
    };
    for c in checked {
        match c {
            Checked::Store(p, revoked, o, _, material) => {
                if revoked {
                    page.revoked.push(p.id.clone());
                }
                page.signers.push((
                    concord_trust::signer_of(o.as_map())
                        .unwrap_or_default()
                        .to_string(),
                    material,
                ));
                page.ok.push(p);
            }
            Checked::Reject(r, raw) => page.bad.push((r, raw)),
            Checked::Skip => page.skipped += 1,
        }
    }
    page.admitted = page.ok.len();
    page
}

/// The quarantine record of an object a peer sent that was not stored:
/// keyed by id, version and a digest of the bytes (the same bad object
/// received twice is kept once; a different one beside it).
fn quarantine_record(source: &str, rejected: &Rejected, raw: &RawValue) -> Record {
    quarantined(
        source,
        &rejected.id,
        &rejected.version,
        &rejected.reason,
        raw.get(),
    )
}

/// The quarantine record of an object received from `source` and not
/// stored, with the reason: `{"source", "id", "version", "reason",
/// "received", "sha256", "object"}`.
pub fn quarantined(source: &str, id: &str, version: &str, reason: &str, json: &str) -> Record {
    use sha2::Digest;
    let digest = hex::encode(sha2::Sha256::digest(json.as_bytes()));
    let key = format!("{id} {version} {}", &digest[..16]);
    let value = serde_json::json!({
        "source": source,
        "id": id,
        "version": version,
        "reason": reason,
        "received": Timestamp::now().to_taxii(),
        "sha256": digest,
        "object": json,
    });
    Record::new(QUARANTINE, key, value.to_string())
}

/// The later of two server timestamps (a cursor never moves back).
fn later(a: Option<String>, b: String) -> String {
    match a {
        Some(a) => match (Timestamp::parse(&a), Timestamp::parse(&b)) {
            (Ok(x), Ok(y)) if x > y => a,
            _ => b,
        },
        None => b,
    }
}

/// One page between stages: what the stage before made of it (its
/// objects as fetched, then as checked), the cursor it moves to, and an
/// error to raise once it is stored.
struct Staged<T> {
    body: T,
    last: Option<String>,
    then_fail: Option<TaxiiError>,
}

type Fetched = Staged<(Vec<Box<RawValue>>, Option<Vec<Material>>)>;
type Verified = Staged<CheckedPage>;

/// Pulls every version added to the remote collection since the stored
/// cursor into `local_collection`.
///
/// Three stages run at once, joined by bounded queues: fetching (the peer
/// lists, filters and compresses the next pages; two may wait), checking
/// (parse, validate, verify signatures, on two threads) and storing (one
/// SQLite or PostgreSQL transaction per group of pages, with the last
/// one's cursor; `queue_pages` checked pages may wait for it). Each stage
/// works on a different page, and checking goes on while a group is
/// written, so the peer, the verifier and the store are never waiting for
/// each other (with one-page queues, every write and checkpoint stalled
/// the pipeline: about 44,000 objects/s at 1M objects on a 2-core
/// machine, 55,000 with twelve pages queued), and pages are still stored
/// strictly in order. The cursor moves only in the transaction that stores
/// the pages it covers; a page fetched or checked ahead is simply dropped
/// if storing fails, and fetched again by the next round.
pub async fn pull<S: Store>(
    client: &Client,
    store: &S,
    api_root: &str,
    collection: &str,
    local_collection: &str,
    opts: &PullOptions,
) -> Result<PullReport, TaxiiError> {
    let source = source_key("pull", api_root, collection);
    let mut cursor = store.sync_cursor(&source).await?;
    let start = cursor.as_deref().map(|c| match Timestamp::parse(c) {
        Ok(t) => {
            let back = i64::try_from(opts.overlap.as_micros()).unwrap_or(0);
            Timestamp(t.0.saturating_sub(back)).to_taxii()
        }
        // Not a timestamp we can step back from: use it as it is.
        Err(_) => c.to_string(),
    });
    let first = ObjectsQuery {
        added_after: start,
        limit: Some(opts.page.max(1)),
        version: Some("all".into()),
        ..Default::default()
    };
    let (to_check, fetched) = tokio::sync::mpsc::channel::<Result<Fetched, TaxiiError>>(2);
    let (to_store, verified) =
        tokio::sync::mpsc::channel::<Result<Verified, TaxiiError>>(opts.queue_pages.max(1));
    let mut pages = 0usize;
    let mut received = 0usize;

    // Each stage owns its ends of the queues, so when one stops (done, or
    // failed) the next sees the queue close and the one before it sees its
    // sends refused: no stage is left waiting on one that ended.
    let fetching = async {
        let to_check = to_check;
        let mut q = first;
        let mut previous = (q.added_after.clone(), q.next.clone());
        for round in 1..=opts.max_pages.max(1) {
            let page = match client.get_objects(api_root, collection, &q).await {
                Ok(p) => p,
                Err(e) => {
                    let _ = to_check.send(Err(e)).await;
                    return;
                }
            };
            pages += 1;
            received += page.objects.len();
            let last = match (&page.date_added_last, page.objects.is_empty()) {
                (Some(l), _) => Some(l.clone()),
                (None, true) => None,
                (None, false) => {
                    let _ = to_check
                        .send(Err(TaxiiError::NoCursor {
                            url: api_root.to_string(),
                        }))
                        .await;
                    return;
                }
            };
            let mut then_fail = None;
            let next_q = if !page.more || round == opts.max_pages.max(1) {
                None
            } else {
                let mut n = q.clone();
                match (page.next, &last) {
                    (Some(t), _) => n.next = Some(t),
                    (None, Some(l)) => {
                        n.next = None;
                        n.added_after = Some(l.clone());
                    }
                    (None, None) => {
                        let _ = to_check
                            .send(Err(TaxiiError::Stuck {
                                url: api_root.to_string(),
                                what: "an empty page said there was more, without next".into(),
                            }))
                            .await;
                        return;
                    }
                }
                // Some servers (medallion) keep one `next` token for a whole
                // query, so only a repeated `added_after` without `next`
                // means no progress; `next` paging is bounded by
                // `max_pages`.
                let position = (n.added_after.clone(), n.next.clone());
                if n.next.is_none() && previous == position {
                    // Store this page first, as a sequential client would.
                    then_fail = Some(TaxiiError::Stuck {
                        url: api_root.to_string(),
                        what: format!("the same page was asked for twice ({position:?})"),
                    });
                    None
                } else {
                    previous = position;
                    Some(n)
                }
            };
            let fetched = Fetched {
                body: (page.objects, page.log),
                last,
                then_fail,
            };
            if to_check.send(Ok(fetched)).await.is_err() {
                return; // storing failed: nothing more is wanted
            }
            match next_q {
                Some(n) => q = n,
                None => return,
            }
        }
    };

    let checking = async {
        let (mut fetched, to_store) = (fetched, to_store);
        while let Some(item) = fetched.recv().await {
            let out = match item {
                Ok(page) => {
                    let admission = opts.admission.clone();
                    let (objects, log) = page.body;
                    tokio::task::spawn_blocking(move || {
                        check_page(objects, log, admission.as_deref())
                    })
                    .await
                    .map_err(|e| TaxiiError::Io(std::io::Error::other(e.to_string())))
                    .map(|mut checked| {
                        // Proved while the next pages are fetched and
                        // checked; the store waits for it in order.
                        if let Some(inclusion) = &opts.inclusion {
                            let candidates = std::mem::take(&mut checked.ok)
                                .into_iter()
                                .zip(std::mem::take(&mut checked.signers))
                                .map(|(object, (signer, material))| Candidate {
                                    object,
                                    signer,
                                    material,
                                })
                                .collect();
                            checked.proving = Some(tokio::spawn(inclusion.prove(candidates)));
                        }
                        Verified {
                            body: checked,
                            last: page.last,
                            then_fail: page.then_fail,
                        }
                    })
                }
                Err(e) => Err(e),
            };
            let failed = out.is_err();
            if to_store.send(out).await.is_err() || failed {
                return;
            }
        }
    };

    let mut report = PullReport::default();
    let storing = async {
        let mut verified = verified;
        loop {
            // Checked pages are written together, in one transaction with
            // the last one's cursor, up to `group_objects`. Random ids put
            // every insert on a random leaf of the id index, so once a
            // store holds a million objects one transaction rewrites most
            // of that index whatever its size; fewer, larger transactions
            // write less of the write-ahead log per object (measured at 1M
            // objects: 9.9 GB written for a 1.5 GB database with one page
            // per transaction). A page that waits more than a moment for
            // the next (a slow peer) is written without it.
            let mut group: Vec<Verified> = Vec::new();
            let mut objects = 0usize;
            let mut failed = None;
            let mut closed = false;
            while objects < opts.group_objects.max(1) {
                let next = if group.is_empty() {
                    verified.recv().await
                } else {
                    match tokio::time::timeout(Duration::from_secs(1), verified.recv()).await {
                        Ok(next) => next,
                        Err(_) => break,
                    }
                };
                match next {
                    Some(Ok(page)) => {
                        objects += page.body.admitted;
                        let last_one = page.then_fail.is_some();
                        group.push(page);
                        if last_one {
                            break;
                        }
                    }
                    Some(Err(e)) => {
                        failed = Some(e);
                        break;
                    }
                    None => {
                        closed = true;
                        break;
                    }
                }
            }
            let mut ok = Vec::with_capacity(objects);
            let mut records: Vec<Record> = Vec::new();
            let mut quarantined = 0usize;
            let mut value = cursor.clone();
            let mut any_page = false;
            let mut then_fail = None;
            for page in group {
                let mut checked = page.body;
                report.bytes += checked.bytes;
                if opts.admission.is_some() {
                    quarantined += checked.bad.len();
                    records.extend(
                        checked
                            .bad
                            .iter()
                            .map(|(r, raw)| quarantine_record(&opts.source_name, r, raw)),
                    );
                }
                if let Some(proving) = checked.proving.take() {
                    let proven = proving
                        .await
                        .map_err(|e| TaxiiError::Io(std::io::Error::other(e.to_string())))??;
                    checked.ok = proven.stored;
                    records.extend(proven.records);
                    report.held += proven.held;
                    quarantined += proven.quarantined;
                }
                report.duplicates += checked.skipped;
                report
                    .rejected
                    .extend(checked.bad.into_iter().map(|(r, _)| r));
                report.revoked.extend(checked.revoked);
                ok.extend(checked.ok);
                if let Some(last) = page.last {
                    value = Some(later(value, last));
                    any_page = true;
                }
                then_fail = then_fail.or(page.then_fail);
            }
            // Only empty pages (no cursor to move): nothing to write.
            if let Some(value) = value.filter(|_| any_page) {
                report.quarantined += quarantined;
                let out = store
                    .put_pulled(
                        local_collection,
                        ok,
                        SyncCursor {
                            source: source.clone(),
                            value: value.clone(),
                        },
                        records,
                    )
                    .await?;
                report.stored += out.inserted;
                report.duplicates += out.duplicates;
                cursor = Some(value);
            }
            if let Some(e) = then_fail.or(failed) {
                return Err(e);
            }
            if closed {
                return Ok::<(), TaxiiError>(());
            }
        }
    };

    let ((), (), stored) = tokio::join!(fetching, checking, storing);
    stored?;
    report.pages = pages;
    report.received = received;
    report.cursor = cursor;
    Ok(report)
}

/// What one [`push`] did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PushReport {
    /// Envelopes POSTed.
    pub envelopes: usize,
    /// Objects sent.
    pub sent: u64,
    /// Objects the server reported added.
    pub succeeded: u64,
    /// Objects the server reported refused.
    pub failed: u64,
    /// Why each refused object was refused, as the server said.
    pub failures: Vec<Rejected>,
}

/// Pushes the local collection's entries added since the last push.
pub async fn push<S: Store>(
    client: &Client,
    store: &S,
    api_root: &str,
    collection: &str,
    local_collection: &str,
    envelope_size: usize,
) -> Result<PushReport, TaxiiError> {
    let source = source_key("push", api_root, collection);
    let mut after: Option<i64> = store
        .sync_cursor(&source)
        .await?
        .and_then(|c| c.parse().ok());
    let mut report = PushReport::default();
    loop {
        let page = store
            .list(ListQuery {
                collection: local_collection.to_string(),
                added_after_us: after,
                limit: envelope_size.max(1),
                ids: vec![],
                types: vec![],
                spec_versions: vec![],
                versions: VersionSel::All,
            })
            .await?;
        let Some(last) = page.objects.last().and_then(|o| o.date_added_us) else {
            break;
        };
        let body = envelope::write(false, None, page.objects.iter().map(|o| o.json.as_str()));
        let status = client
            .post_envelope(api_root, collection, body.as_bytes())
            .await?;
        let status = client.wait_complete(api_root, status, 600).await?;
        if status.status != "complete" {
            return Err(TaxiiError::Stuck {
                url: api_root.to_string(),
                what: format!("status {} is still {}", status.id, status.status),
            });
        }
        report.envelopes += 1;
        report.sent += page.objects.len() as u64;
        report.succeeded += status.success_count;
        report.failed += status.failure_count;
        report
            .failures
            .extend(status.failures.into_iter().map(|d| Rejected {
                id: d.id,
                version: d.version,
                reason: d.message.unwrap_or_default(),
            }));
        store
            .set_sync_cursor(SyncCursor {
                source: source.clone(),
                value: last.to_string(),
            })
            .await?;
        after = Some(last);
        if !page.more {
            break;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod report_text_tests {
    use super::{PullReport, PushReport, Rejected};

    fn rejected() -> Vec<Rejected> {
        vec![Rejected {
            id: "indicator--x".into(),
            version: "v".into(),
            reason: "bad".into(),
        }]
    }

    #[test]
    fn reports_read_as_counts_then_one_line_per_refusal() {
        let pull = PullReport {
            pages: 2,
            received: 5,
            stored: 4,
            rejected: rejected(),
            ..PullReport::default()
        };
        assert_eq!(
            pull.to_string(),
            "pulled 5 objects in 2 pages: 4 new, 0 already held, 1 rejected; cursor none\n  rejected indicator--x v: bad"
        );
        let push = PushReport {
            envelopes: 1,
            sent: 2,
            succeeded: 1,
            failed: 1,
            failures: rejected(),
        };
        assert_eq!(
            push.to_string(),
            "pushed 2 objects in 1 envelopes: 1 accepted, 1 refused\n  refused indicator--x v: bad"
        );
    }
}
