//! The tlog-witness decision: every status of add-checkpoint, sync-time
//! witnessing from tiles, and the rollback race: concurrent requests for
//! sizes N and N + K never lower the stored size, and a store without an
//! atomic compare-and-swap would (so the test can tell the two apart).

use std::collections::HashMap;
use std::sync::{Barrier, Mutex};
use std::thread;
use std::time::Duration;

use concord_tlog::{
    AddCheckpoint, Checkpoint, Cosigner, EMPTY_ROOT, Hash, LogSigner, NoteSigner, Rejection,
    SignedCheckpoint, Swap, TileNodes, TlogError, Verifiers, Witness, WitnessRecord, WitnessStore,
    consistency_proof,
};
use concord_trust::Keypair;

use super::common::{Log, ORIGIN, log_signer, node_key};

/// An atomic store: one mutex around check and write, and a history of
/// every stored size.
#[derive(Default)]
struct AtomicStore {
    state: Mutex<HashMap<String, WitnessRecord>>,
    history: Mutex<Vec<u64>>,
}

impl WitnessStore for AtomicStore {
    fn latest(&self, origin: &str) -> Result<Option<WitnessRecord>, TlogError> {
        Ok(self
            .state
            .lock()
            .expect("no thread panicked holding the lock")
            .get(origin)
            .cloned())
    }

    fn compare_and_swap(
        &self,
        origin: &str,
        expected: Option<(u64, Hash)>,
        new: &WitnessRecord,
    ) -> Result<Swap, TlogError> {
        let mut state = self
            .state
            .lock()
            .expect("no thread panicked holding the lock");
        let current = state.get(origin).cloned();
        if current.as_ref().map(|r| (r.size, r.root)) != expected {
            return Ok(Swap::Changed(current));
        }
        state.insert(origin.to_string(), new.clone());
        self.history
            .lock()
            .expect("no thread panicked holding the lock")
            .push(new.size);
        Ok(Swap::Done)
    }
}

/// The race of tlog-witness.md: a store that checks the old size and then
/// writes without comparing again.
#[derive(Default)]
struct RacyStore(AtomicStore);

impl WitnessStore for RacyStore {
    fn latest(&self, origin: &str) -> Result<Option<WitnessRecord>, TlogError> {
        self.0.latest(origin)
    }

    fn compare_and_swap(
        &self,
        origin: &str,
        _expected: Option<(u64, Hash)>,
        new: &WitnessRecord,
    ) -> Result<Swap, TlogError> {
        let current = self
            .0
            .state
            .lock()
            .expect("no thread panicked holding the lock")
            .get(origin)
            .map(|r| (r.size, r.root));
        self.0.compare_and_swap(origin, current, new)
    }
}

fn witness() -> Witness {
    let mut w = Witness::new(
        Cosigner::new("witness.example/w1", Keypair::from_seed(&[7; 32]))
            .expect("the test store and log work"),
    );
    w.follow(ORIGIN, &node_key().public())
        .expect("the test store and log work");
    w
}

fn request(log: &Log, signer: &LogSigner, old: u64, size: u64) -> AddCheckpoint {
    let checkpoint = signer
        .sign_next(None, size, &log.tiles)
        .expect("the test store and log work");
    let proof = consistency_proof(old, size, &mut TileNodes::new(&log.tiles, size))
        .expect("the test store and log work");
    AddCheckpoint {
        old_size: old,
        proof,
        checkpoint,
    }
}

#[test]
fn every_status_of_add_checkpoint() {
    let log = Log::with_entries(300);
    let signer = log_signer();
    let w = witness();
    let store = AtomicStore::default();
    // First contact: old 0, empty proof.
    let first = request(&log, &signer, 0, 100);
    let ok = w
        .add_checkpoint(&first.to_bytes(), &store, 1_700_000_000)
        .unwrap();
    assert!(ok.body().starts_with("\u{2014} witness.example/w1 "));
    assert_eq!(ok.record.size, 100);
    // The response concatenated to the checkpoint verifies as a cosignature.
    let mut joined = first.checkpoint.to_bytes();
    joined.extend_from_slice(ok.body().as_bytes());
    let sc = SignedCheckpoint::parse(&joined).unwrap();
    let cosigs = sc
        .cosignatures(&Verifiers::one(w.cosigner().verifier()))
        .unwrap();
    assert_eq!(cosigs[0].time, Some(1_700_000_000));

    // 409: the client thinks the witness holds 0.
    let stale = request(&log, &signer, 0, 200);
    let r = w.add_checkpoint(&stale.to_bytes(), &store, 1).unwrap_err();
    assert_eq!(r, Rejection::Conflict { stored_size: 100 });
    assert_eq!(
        (r.status(), r.body().as_str(), r.content_type()),
        (409, "100\n", "text/x.tlog.size")
    );

    // 400: old above the checkpoint's size; and a body that does not parse.
    let mut above = request(&log, &signer, 100, 200);
    above.old_size = 250;
    assert_eq!(
        w.add_checkpoint(&above.to_bytes(), &store, 1)
            .unwrap_err()
            .status(),
        400
    );
    assert_eq!(
        w.add_checkpoint(b"old 1\n", &store, 1)
            .unwrap_err()
            .status(),
        400
    );

    // 404: an origin the witness does not follow.
    let other = LogSigner::new("other.example/log", node_key()).unwrap();
    let unknown = request(&log, &other, 100, 200);
    assert_eq!(
        w.add_checkpoint(&unknown.to_bytes(), &store, 1)
            .unwrap_err()
            .status(),
        404
    );

    // 403: signed by another key under the right origin; and a bad line by
    // the right key.
    let impostor = LogSigner::new(ORIGIN, Keypair::from_seed(&[66; 32])).unwrap();
    let forged = request(&log, &impostor, 100, 200);
    assert_eq!(
        w.add_checkpoint(&forged.to_bytes(), &store, 1)
            .unwrap_err()
            .status(),
        403
    );
    let good = request(&log, &signer, 100, 200);
    let mut bad_sig = good.to_bytes();
    let n = bad_sig.len();
    bad_sig[n - 10] = if bad_sig[n - 10] == b'A' { b'B' } else { b'A' };
    assert_eq!(
        w.add_checkpoint(&bad_sig, &store, 1).unwrap_err().status(),
        403
    );

    // 422: a proof that does not verify.
    let mut wrong = request(&log, &signer, 100, 200);
    wrong.proof[0] = Hash([9; 32]);
    let r = w.add_checkpoint(&wrong.to_bytes(), &store, 1).unwrap_err();
    assert!(
        matches!(r, Rejection::Unprocessable { evidence: None, .. }),
        "{r:?}"
    );
    assert_eq!(r.status(), 422);

    // 200: the real proof from 100 to 200.
    w.add_checkpoint(&good.to_bytes(), &store, 2).unwrap();
    // 200 again for the same checkpoint (same size, same root).
    let same = request(&log, &signer, 200, 200);
    assert!(same.proof.is_empty());
    w.add_checkpoint(&same.to_bytes(), &store, 3).unwrap();

    // 422 with evidence: the same size with another root, signed by the log.
    let mut fork = Log::with_entries(199);
    fork.append(&[b"a different entry 199".to_vec()]);
    let forked = request(&fork, &signer, 200, 200);
    let r = w.add_checkpoint(&forked.to_bytes(), &store, 4).unwrap_err();
    let Rejection::Unprocessable {
        evidence: Some(e), ..
    } = &r
    else {
        panic!("expected evidence, got {r:?}");
    };
    let report = e.verify(&node_key().public()).unwrap();
    assert_eq!(report.sizes, (200, 200));
    assert_eq!(*store.history.lock().unwrap(), vec![100, 200, 200]);
}

#[test]
fn size_zero_needs_the_empty_root_and_no_proof() {
    let w = witness();
    let store = AtomicStore::default();
    let key = NoteSigner::new(ORIGIN, node_key()).unwrap();
    let empty = SignedCheckpoint::sign(Checkpoint::new(ORIGIN, 0, EMPTY_ROOT), &key).unwrap();
    let req = AddCheckpoint {
        old_size: 0,
        proof: vec![],
        checkpoint: empty,
    };
    w.add_checkpoint(&req.to_bytes(), &store, 1).unwrap();
    let bogus = SignedCheckpoint::sign(Checkpoint::new(ORIGIN, 0, Hash([1; 32])), &key).unwrap();
    let req = AddCheckpoint {
        old_size: 0,
        proof: vec![],
        checkpoint: bogus,
    };
    assert_eq!(
        w.add_checkpoint(&req.to_bytes(), &store, 1)
            .unwrap_err()
            .status(),
        422
    );
    let log = Log::with_entries(10);
    let mut with_proof = request(&log, &log_signer(), 0, 10);
    with_proof.proof = vec![Hash([0; 32])];
    assert_eq!(
        w.add_checkpoint(&with_proof.to_bytes(), &store, 1)
            .unwrap_err()
            .status(),
        422
    );
}

#[test]
fn sync_time_witnessing_uses_the_logs_tiles() {
    let w = witness();
    let store = AtomicStore::default();
    let signer = log_signer();
    let mut log = Log::with_entries(1000);
    let c1 = signer.sign_next(None, log.size, &log.tiles).unwrap();
    w.observe(&c1, &log.tiles, &store, 10).unwrap();
    log.append(&(0..777).map(|i| vec![i as u8; 3]).collect::<Vec<_>>());
    let c2 = signer
        .sign_next(Some(c1.checkpoint()), log.size, &log.tiles)
        .unwrap();
    let ok = w.observe(&c2, &log.tiles, &store, 11).unwrap();
    assert_eq!(ok.record.size, 1777);
    // A fork of the log: its tiles cannot give a proof from 1777.
    let mut fork = Log::with_entries(1776);
    fork.append(&[b"other".to_vec(), b"more".to_vec()]);
    let c3 = signer.sign_next(None, fork.size, &fork.tiles).unwrap();
    let r = w.observe(&c3, &fork.tiles, &store, 12).unwrap_err();
    assert_eq!(r.status(), 422);
    assert_eq!(store.state.lock().unwrap()[ORIGIN].size, 1777);
}

/// Two requests from the same held size M: one for N, one for N + K. The
/// N + K write is done first and the N write delayed, the schedule that
/// rolls a racy witness back.
fn race(store: &(impl WitnessStore + Sync)) -> (Result<u64, u16>, Result<u64, u16>) {
    let log = Log::with_entries(400);
    let signer = log_signer();
    let w = witness();
    w.add_checkpoint(&request(&log, &signer, 0, 100).to_bytes(), store, 1)
        .expect("the test store and log work");
    let small = request(&log, &signer, 100, 150);
    let large = request(&log, &signer, 100, 390);
    thread::scope(|s| {
        let a = s.spawn(|| {
            w.submit(&small, store, 2)
                .map(|c| c.record.size)
                .map_err(|r| r.status())
        });
        let b = s.spawn(|| {
            w.submit(&large, store, 2)
                .map(|c| c.record.size)
                .map_err(|r| r.status())
        });
        (
            a.join().expect("a racer panicked"),
            b.join().expect("a racer panicked"),
        )
    })
}

#[test]
fn concurrent_requests_never_lower_the_stored_size() {
    let armed = ArmedStore {
        inner: AtomicStore::default(),
        barrier: Barrier::new(2),
        armed: Mutex::new(false),
        slow_size: 150,
    };
    let (small, large) = race(&armed);
    assert_eq!(large, Ok(390));
    assert_eq!(small, Err(409), "the loser gets 409 with the size that won");
    let history = armed.inner.history.lock().unwrap().clone();
    assert!(history.windows(2).all(|w| w[0] <= w[1]), "{history:?}");
    assert_eq!(armed.inner.state.lock().unwrap()[ORIGIN].size, 390);

    // The same schedule against a store that does not compare again:
    // the stored size goes from 390 back to 150.
    let racy = ArmedStore {
        inner: RacyStore(AtomicStore::default()),
        barrier: Barrier::new(2),
        armed: Mutex::new(false),
        slow_size: 150,
    };
    let (small, large) = race(&racy);
    assert_eq!((small, large), (Ok(150), Ok(390)), "both cosigned");
    let history = racy.inner.0.history.lock().unwrap().clone();
    assert_eq!(history, vec![100, 390, 150], "rolled back");
}

#[test]
fn many_concurrent_requests_keep_the_size_monotonic() {
    let log = Log::with_entries(600);
    let signer = log_signer();
    let w = witness();
    let store = AtomicStore::default();
    // Pre-build requests from every held size to a few larger sizes.
    let sizes: Vec<u64> = (0..=600).step_by(40).collect();
    let requests: Vec<AddCheckpoint> = sizes
        .iter()
        .flat_map(|&old| {
            sizes
                .iter()
                .filter(move |&&n| n > old && n > 0)
                .map(move |&n| (old, n))
        })
        .map(|(old, n)| request(&log, &signer, old, n))
        .collect();
    let accepted = Mutex::new(Vec::new());
    thread::scope(|s| {
        for t in 0..4 {
            let (w, store, requests, accepted) = (&w, &store, &requests, &accepted);
            s.spawn(move || {
                for (i, r) in requests.iter().enumerate() {
                    if (i + t) % 3 != 0 {
                        continue;
                    }
                    if let Ok(c) = w.submit(r, store, 5) {
                        accepted
                            .lock()
                            .expect("no thread panicked holding the lock")
                            .push(c.record.size);
                    }
                }
            });
        }
    });
    let history = store.history.lock().unwrap().clone();
    assert!(!history.is_empty());
    assert!(history.windows(2).all(|w| w[0] <= w[1]), "{history:?}");
    let max = *accepted.lock().unwrap().iter().max().unwrap();
    assert_eq!(store.state.lock().unwrap()[ORIGIN].size, max);
}

/// Makes both racers read the held state before either writes (a barrier
/// in `latest`, armed once the first checkpoint is stored), and delays the
/// write of `slow_size` so that it lands last.
struct ArmedStore<S> {
    inner: S,
    barrier: Barrier,
    armed: Mutex<bool>,
    slow_size: u64,
}

impl<S: WitnessStore> WitnessStore for ArmedStore<S> {
    fn latest(&self, origin: &str) -> Result<Option<WitnessRecord>, TlogError> {
        let r = self.inner.latest(origin)?;
        let armed = *self
            .armed
            .lock()
            .expect("no thread panicked holding the lock");
        if armed {
            self.barrier.wait();
        }
        Ok(r)
    }

    fn compare_and_swap(
        &self,
        origin: &str,
        expected: Option<(u64, Hash)>,
        new: &WitnessRecord,
    ) -> Result<Swap, TlogError> {
        if new.size == self.slow_size {
            thread::sleep(Duration::from_millis(100));
        }
        let r = self.inner.compare_and_swap(origin, expected, new);
        *self
            .armed
            .lock()
            .expect("no thread panicked holding the lock") = true;
        r
    }
}
