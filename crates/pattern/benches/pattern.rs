//! Parsing and evaluation speed of single patterns.

use concord_pattern::{Observations, Pattern};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let simple = "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']";
    let complex = "([network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24' AND network-traffic:dst_port IN (443, 8443)] \
                   FOLLOWEDBY [domain-name:value MATCHES '^update\\\\.'] ) WITHIN 300 SECONDS";
    c.bench_function("parse simple", |b| {
        b.iter(|| Pattern::parse(black_box(simple)))
    });
    c.bench_function("parse complex", |b| {
        b.iter(|| Pattern::parse(black_box(complex)))
    });

    let bundles = vec![json!({"type": "bundle", "id": "bundle--1", "objects": [
        {"type": "observed-data", "id": "observed-data--1", "first_observed": "2021-01-01T00:00:00Z",
         "last_observed": "2021-01-01T00:00:00Z", "number_observed": 1,
         "object_refs": ["ipv4-addr--1", "ipv4-addr--2", "network-traffic--1", "domain-name--1"]},
        {"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "10.0.0.1"},
        {"type": "ipv4-addr", "id": "ipv4-addr--2", "value": "198.51.100.7"},
        {"type": "network-traffic", "id": "network-traffic--1", "src_ref": "ipv4-addr--1", "dst_ref": "ipv4-addr--2",
         "dst_port": 443, "protocols": ["ipv4", "tcp"]},
        {"type": "domain-name", "id": "domain-name--1", "value": "update.example.org"},
    ]})];
    let obs = Observations::from_stix21(&bundles).expect("valid bundles");
    let simple = Pattern::parse(simple).expect("valid");
    let complex = Pattern::parse(complex).expect("valid");
    c.bench_function("evaluate simple (no match)", |b| {
        b.iter(|| simple.matches(black_box(&obs)))
    });
    c.bench_function("evaluate complex (match)", |b| {
        b.iter(|| complex.matches(black_box(&obs)))
    });
    c.bench_function("read observations", |b| {
        b.iter(|| Observations::from_stix21(black_box(&bundles)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
