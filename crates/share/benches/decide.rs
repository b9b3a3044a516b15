//! The egress filter's per-object cost: every object, manifest entry,
//! version and count a peer asks for goes through `decide`, and every page
//! through the reference closure. Reported as objects/s through criterion's
//! throughput. Run with `cargo bench -p concord-share`.

use concord_share::{
    AUDIENCE_EXTENSION_ID, EgressPolicy, Peer, Provenance, Recipient, decide, decide_set,
};
use concord_stix::StixObject;
use concord_stix::tlp::Tlp;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};

const MEMBER: &str = "identity--00000000-0000-4000-8000-000000000002";

fn object(i: usize) -> StixObject {
    let tlp = [Tlp::Clear, Tlp::Green, Tlp::Amber][i % 3];
    let v = if i % 4 == 3 {
        json!({
            "type": "sighting", "spec_version": "2.1",
            "id": format!("sighting--00000000-0000-4000-8000-{i:012x}"),
            "modified": "2026-01-01T00:00:00.000Z",
            "sighting_of_ref": format!("indicator--00000000-0000-4000-8000-{:012x}", i - 1),
            "object_marking_refs": [tlp.marking_id()],
        })
    } else {
        json!({
            "type": "indicator", "spec_version": "2.1",
            "id": format!("indicator--00000000-0000-4000-8000-{i:012x}"),
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix",
            "labels": ["c2"],
            "object_marking_refs": [tlp.marking_id()],
            "extensions": {AUDIENCE_EXTENSION_ID: {
                "extension_type": "property-extension", "audience": [MEMBER, "cert-eu"],
                "relay": "members"
            }}
        })
    };
    match v {
        Value::Object(m) => StixObject::from_map(m),
        _ => StixObject::from_map(Default::default()),
    }
}

fn bench(c: &mut Criterion) {
    let objects: Vec<StixObject> = (0..1024).map(object).collect();
    let policy = EgressPolicy::with_audiences();
    let peer = Recipient::Peer(Peer {
        member: MEMBER.into(),
        groups: ["cert-eu".to_string()].into_iter().collect(),
        charter_member: true,
    });
    let mut g = c.benchmark_group("share");
    g.throughput(Throughput::Elements(objects.len() as u64));
    g.bench_function("decide", |b| {
        b.iter(|| {
            objects
                .iter()
                .filter(|o| decide(&policy, o, &peer, &Provenance::Author).is_share())
                .count()
        })
    });
    g.bench_function("decide_set", |b| {
        b.iter(|| {
            decide_set(&policy, &objects, &peer, &|_| Provenance::Author, &|_| {
                false
            })
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
