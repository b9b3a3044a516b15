//! What the node's log costs where it runs: preparing an authored object
//! (canonical JSON, a fresh nonce, the commitment), storing a batch of
//! authored objects with their appends in the store transaction against
//! the same batch stored without a log (embedded SQLite, as `concord
//! import --tlp` writes it), inclusion proofs read from the stored tiles
//! of a log of 100,000 entries, and signing a checkpoint from them.
//! Throughput in objects (or proofs) per second.

use std::time::Duration;

use concord_log::own::{inclusion_proofs, prepare_authored};
use concord_log::tiles::{StoreSource, TileSet, with_tiles};
use concord_stix::StixObject;
use concord_store::{AnyStore, PreparedObject, Store};
use concord_trust::Keypair;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Map, Value, json};

fn key() -> Keypair {
    Keypair::from_seed(&[7; 32])
}

/// A signed indicator of the size the corpus has (about 900 bytes).
fn signed(i: u64) -> Map<String, Value> {
    let o = json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{i:012}"),
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": format!("C2 server {i}"),
        "description": "Command and control server seen in an intrusion at a member's constituency.",
        "indicator_types": ["malicious-activity"],
        "pattern": format!("[ipv4-addr:value = '10.{}.{}.{}']", i >> 16 & 255, i >> 8 & 255, i & 255),
        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
        "labels": ["c2", "apt"], "confidence": 80,
        "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]
    });
    let map = o.as_object().expect("an object").clone();
    concord_trust::sign_object(
        &map,
        "identity--0d5c0d37-52c2-4a09-8a51-3f1a0e8c0a01",
        &key(),
    )
    .expect("sign")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

async fn store_in(dir: &std::path::Path) -> AnyStore {
    concord_store::testkit::embedded_with_collection(dir, "c")
        .await
        .expect("a store with collection c")
}

fn bench_prepare(c: &mut Criterion) {
    let mut g = c.benchmark_group("author");
    let objects: Vec<Map<String, Value>> = (0..1000).map(signed).collect();
    g.throughput(Throughput::Elements(objects.len() as u64));
    g.bench_function("prepare_authored", |b| {
        b.iter_batched(
            || objects.clone(),
            |objects| {
                objects
                    .into_iter()
                    .map(|o| prepare_authored(o).expect("prepare"))
                    .collect::<Vec<_>>()
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("plain", |b| {
        b.iter_batched(
            || objects.clone(),
            |objects| {
                objects
                    .into_iter()
                    .map(|o| {
                        let text = Value::Object(o.clone()).to_string();
                        PreparedObject::new(&StixObject::from_map(o), text)
                    })
                    .collect::<Vec<_>>()
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// Batches of 8,192 objects (what an import writes at a time), into a store
/// that already holds some: with their log entries appended in the same
/// transaction, and without.
fn bench_store(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("store_batch");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    const BATCH: u64 = 8192;
    g.throughput(Throughput::Elements(BATCH));
    for logged in [false, true] {
        let dir = tempfile::tempdir().expect("tmp");
        let store = rt.block_on(store_in(dir.path()));
        let mut next = 0u64;
        g.bench_function(if logged { "with_log" } else { "without_log" }, |b| {
            b.iter_batched(
                || {
                    let batch: Vec<PreparedObject> = (next..next + BATCH)
                        .map(|i| {
                            let o = signed(i);
                            if logged {
                                prepare_authored(o).expect("prepare")
                            } else {
                                let text = Value::Object(o.clone()).to_string();
                                PreparedObject::new(&StixObject::from_map(o), text)
                            }
                        })
                        .collect();
                    next += BATCH;
                    batch
                },
                |batch| rt.block_on(store.put_batch("c", batch)).expect("put"),
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

fn bench_proofs(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("tmp");
    let store = rt.block_on(store_in(dir.path()));
    const N: u64 = 100_000;
    rt.block_on(async {
        for start in (0..N).step_by(10_000) {
            let batch = (start..start + 10_000)
                .map(|i| prepare_authored(signed(i)).expect("prepare"))
                .collect();
            store.put_batch("c", batch).await.expect("put");
        }
    });
    let origin = "concord/bench/a";
    let mut g = c.benchmark_group("log_100k");
    g.sample_size(10);
    g.throughput(Throughput::Elements(1));
    // A checkpoint at 99,000, then the next one at 100,000 read from the
    // stored tiles with its consistency proof from the last (what the
    // node does once per interval).
    let signer = concord_tlog::LogSigner::new(origin, key()).expect("signer");
    let last = rt
        .block_on(async {
            let mut set = TileSet::new();
            with_tiles(&mut set, &StoreSource(&store), |t| {
                signer.sign_next(None, N - 1000, t)
            })
            .await
        })
        .expect("first checkpoint")
        .checkpoint()
        .clone();
    g.bench_function("sign_checkpoint", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut set = TileSet::new();
                with_tiles(&mut set, &StoreSource(&store), |t| {
                    signer.sign_next(Some(&last), N, t)
                })
                .await
            })
            .expect("sign")
        })
    });
    let leaves: Vec<u64> = (0..1000).map(|i| (i * 97) % N).collect();
    g.throughput(Throughput::Elements(leaves.len() as u64));
    g.bench_function("inclusion_proofs_from_store", |b| {
        b.iter(|| {
            rt.block_on(inclusion_proofs(&store, N, &leaves))
                .expect("proofs")
        })
    });
    g.finish();
}

criterion_group!(benches, bench_prepare, bench_store, bench_proofs);
criterion_main!(benches);
