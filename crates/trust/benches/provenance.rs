//! Signing and verifying object provenance: the per-object cost of ingest
//! from peers (issue 5 asks for >= 50,000 objects/s replicated with
//! verification). Reported as objects/s through criterion's throughput.

use concord_trust::{Keypair, TrustedKeySet, sign_object, verify_object};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Map, Value, json};

const SIGNER: &str = "identity--00000000-0000-4000-8000-000000000001";

fn indicator(i: usize) -> Map<String, Value> {
    match json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{i:012x}"),
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": "C2 address seen in phishing campaign",
        "description": "Address used as command and control by a banking trojan.",
        "indicator_types": ["malicious-activity"],
        "pattern": format!("[ipv4-addr:value = '198.51.{}.{}']", i / 256 % 256, i % 256),
        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
        "labels": ["c2", "banking"],
        "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]
    }) {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn bench(c: &mut Criterion) {
    let key = Keypair::from_seed(&[1; 32]);
    let mut trusted = TrustedKeySet::new();
    trusted.insert(SIGNER, &key.public()).expect("one key");
    let objects: Vec<_> = (0..256).map(indicator).collect();
    let signed: Vec<_> = objects
        .iter()
        .map(|o| sign_object(o, SIGNER, &key).expect("signs"))
        .collect();

    let mut g = c.benchmark_group("provenance");
    g.throughput(Throughput::Elements(objects.len() as u64));
    g.bench_function("sign_object", |b| {
        b.iter(|| {
            for o in &objects {
                std::hint::black_box(sign_object(o, SIGNER, &key).expect("signs"));
            }
        })
    });
    g.bench_function("verify_object", |b| {
        b.iter(|| {
            for o in &signed {
                std::hint::black_box(verify_object(o, &trusted).expect("verifies"));
            }
        })
    });
    g.finish();

    // What a sync does: one batch per half page (the puller checks a page
    // of 2000 on two threads).
    let many: Vec<_> = (0..1000)
        .map(|i| sign_object(&indicator(i), SIGNER, &key).expect("signs"))
        .collect();
    let refs: Vec<&Map<String, Value>> = many.iter().collect();
    let mut g = c.benchmark_group("provenance");
    g.throughput(Throughput::Elements(refs.len() as u64));
    g.bench_function("verify_objects_batch_1000", |b| {
        b.iter(|| std::hint::black_box(concord_trust::verify_objects(&refs, &trusted)))
    });
    g.finish();

    // The floor under verify_object: strict Ed25519 alone over a message
    // of the size of one canonical indicator.
    let message = concord_stix::canonical::to_canonical_string(&Value::Object(signed[0].clone()))
        .expect("canonicalises");
    let sig = key.sign(message.as_bytes());
    let public = key.public();
    let mut g = c.benchmark_group("ed25519");
    g.throughput(Throughput::Elements(1));
    g.bench_function("verify_strict", |b| {
        b.iter(|| std::hint::black_box(public.verify_strict(message.as_bytes(), &sig)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
