//! The log's hot paths: appending entries (hashing and the tiles to write),
//! proofs from tiles and their verification at a million entries, checkpoint
//! signing and verification, cosigning, and a witness's whole
//! add-checkpoint decision. Throughput in entries (or operations) per
//! second.

use std::collections::HashMap;
use std::sync::Mutex;

use concord_tlog::{
    AddCheckpoint, Cosigner, Entry, Hash, LogSigner, MemoryTiles, NoteSigner, SignedCheckpoint,
    Swap, TileNodes, TlogError, Verifiers, Witness, WitnessRecord, WitnessStore, append,
    commitment, consistency_proof, inclusion_proof, leaf_hash, tiles_root, verify_consistency,
    verify_inclusion,
};
use concord_trust::Keypair;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;

const BIG: u64 = 1 << 20;

/// Intel entries: 50 bytes each, what a node logs per authored object.
fn entries(from: u64, n: u64) -> Vec<Vec<u8>> {
    (from..from + n)
        .map(|i| {
            let mut h = [0u8; 32];
            h[..8].copy_from_slice(&i.to_be_bytes());
            Entry::Intel(Hash(h)).to_bytes()
        })
        .collect()
}

fn log_of(size: u64) -> MemoryTiles {
    let mut tiles = MemoryTiles::new();
    let mut at = 0;
    while at < size {
        let n = (size - at).min(65_536);
        let a = append(at, &entries(at, n), &tiles).expect("append");
        tiles.apply(&a.tiles);
        at = a.size;
    }
    tiles
}

fn bench_append(c: &mut Criterion) {
    let mut g = c.benchmark_group("append");
    for batch in [1u64, 100, 10_000] {
        g.throughput(Throughput::Elements(batch));
        // A log of 100,000 entries, then one append of `batch` entries,
        // as one node transaction would do it.
        let base = log_of(100_000);
        let new = entries(100_000, batch);
        g.bench_function(format!("batch_{batch}"), |b| {
            b.iter(|| append(100_000, &new, &base).expect("append"))
        });
    }
    g.finish();
}

fn bench_proofs(c: &mut Criterion) {
    let tiles = log_of(BIG);
    let root = tiles_root(BIG, &tiles).expect("root");
    let old = BIG / 3 + 7;
    let old_root = tiles_root(old, &tiles).expect("root");
    let mut g = c.benchmark_group("proofs_1M");
    g.throughput(Throughput::Elements(1));
    let mut i = 0u64;
    g.bench_function("inclusion_from_tiles", |b| {
        b.iter(|| {
            i = (i + 7919) % BIG;
            inclusion_proof(i, BIG, &mut TileNodes::new(&tiles, BIG)).expect("proof")
        })
    });
    let index = 123_457;
    let leaf = leaf_hash(&entries(index, 1)[0]);
    let proof = inclusion_proof(index, BIG, &mut TileNodes::new(&tiles, BIG)).expect("proof");
    g.bench_function("inclusion_verify", |b| {
        b.iter(|| verify_inclusion(index, BIG, &leaf, &proof, &root).expect("verifies"))
    });
    g.bench_function("consistency_from_tiles", |b| {
        b.iter(|| consistency_proof(old, BIG, &mut TileNodes::new(&tiles, BIG)).expect("proof"))
    });
    let cproof = consistency_proof(old, BIG, &mut TileNodes::new(&tiles, BIG)).expect("proof");
    g.bench_function("consistency_verify", |b| {
        b.iter(|| verify_consistency(old, BIG, &old_root, &root, &cproof).expect("verifies"))
    });
    g.bench_function("root_from_tiles", |b| {
        b.iter(|| tiles_root(BIG, &tiles).expect("root"))
    });
    g.finish();

    let mut g = c.benchmark_group("notes");
    g.throughput(Throughput::Elements(1));
    let signer =
        LogSigner::new("cert.example/concord", Keypair::from_seed(&[1; 32])).expect("signer");
    g.bench_function("sign_checkpoint_from_tiles", |b| {
        b.iter(|| signer.sign_next(None, BIG, &tiles).expect("signs"))
    });
    let cp = signer.sign_next(None, BIG, &tiles).expect("signs");
    let bytes = cp.to_bytes();
    let key = Keypair::from_seed(&[1; 32]).public();
    g.bench_function("parse_and_verify_checkpoint", |b| {
        b.iter(|| {
            SignedCheckpoint::parse(&bytes)
                .expect("parses")
                .verify_by_member(&key)
                .expect("verifies")
        })
    });
    let plain =
        NoteSigner::new("cert.example/concord", Keypair::from_seed(&[1; 32])).expect("signer");
    let text = cp.note().text().to_string();
    g.bench_function("sign_note", |b| b.iter(|| plain.sign(&text)));
    let w = Cosigner::new("witness.example/w1", Keypair::from_seed(&[2; 32])).expect("cosigner");
    g.bench_function("cosign", |b| {
        b.iter(|| w.cosign(&text, 1_700_000_000).expect("cosigns"))
    });
    let mut cosigned = cp.clone();
    cosigned
        .add_signature(w.cosign(&text, 1_700_000_000).expect("cosigns"))
        .expect("adds");
    let witnesses = Verifiers::one(w.verifier());
    g.bench_function("verify_cosignature", |b| {
        b.iter(|| cosigned.cosignatures(&witnesses).expect("verifies"))
    });
    g.finish();

    let mut g = c.benchmark_group("witness");
    g.throughput(Throughput::Elements(1));
    let mut witness = Witness::new(w.clone());
    witness
        .follow("cert.example/concord", &key)
        .expect("follows");
    let small = signer.sign_next(None, old, &tiles).expect("signs");
    let request = AddCheckpoint {
        old_size: old,
        proof: cproof.clone(),
        checkpoint: cp.clone(),
    }
    .to_bytes();
    g.bench_function("add_checkpoint", |b| {
        b.iter_batched(
            || {
                let s = Store::default();
                s.0.lock().expect("fresh").insert(
                    "cert.example/concord".into(),
                    WitnessRecord {
                        size: old,
                        root: old_root,
                        checkpoint: small.to_bytes(),
                    },
                );
                s
            },
            |s| {
                witness
                    .add_checkpoint(&request, &s, 1_700_000_000)
                    .expect("cosigns")
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("entries");
    g.throughput(Throughput::Elements(1));
    let object = json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--00000000-0000-4000-8000-000000000001",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"});
    let object = object.as_object().expect("an object").clone();
    g.bench_function("intel_commitment", |b| {
        b.iter(|| commitment(&object, &[7; 32]).expect("commits"))
    });
    g.finish();
}

#[derive(Default)]
struct Store(Mutex<HashMap<String, WitnessRecord>>);

impl WitnessStore for Store {
    fn latest(&self, origin: &str) -> Result<Option<WitnessRecord>, TlogError> {
        Ok(self
            .0
            .lock()
            .map_err(TlogError::storage)?
            .get(origin)
            .cloned())
    }

    fn compare_and_swap(
        &self,
        origin: &str,
        expected: Option<(u64, Hash)>,
        new: &WitnessRecord,
    ) -> Result<Swap, TlogError> {
        let mut m = self.0.lock().map_err(TlogError::storage)?;
        let current = m.get(origin).cloned();
        if current.as_ref().map(|r| (r.size, r.root)) != expected {
            return Ok(Swap::Changed(current));
        }
        m.insert(origin.to_string(), new.clone());
        Ok(Swap::Done)
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_append, bench_proofs
}
criterion_main!(benches);
