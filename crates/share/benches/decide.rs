//! The egress filter's per-object cost: every object, manifest entry,
//! version and count a peer asks for goes through `decide`, and every page
//! through the reference closure; before that, each stored object's text
//! is read as its sharing view (`view/*` compares that with parsing the
//! whole object). Reported as objects/s through criterion's throughput.
//! Run with `cargo bench -p concord-share`.

use concord_share::{
    AUDIENCE_EXTENSION_ID, EgressPolicy, Peer, Provenance, Recipient, decide, decide_set,
    sharing_view,
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

    // A signed indicator as a node stores and serves it (about 1 KB).
    let stored = r#"{"type":"indicator","spec_version":"2.1","id":"indicator--dee8d5e3-05a5-4b12-aa2a-3bdfe4d63520","created_by_ref":"identity--47eaa099-2cb6-416d-86dc-283cf0480ff9","created":"2026-05-02T01:37:42.077Z","modified":"2026-05-19T22:27:49.077Z","name":"Malicious domain mm9p16cuhh5p.xyz","description":"Scanning and brute-force source.","indicator_types":["anomalous-activity"],"pattern":"[domain-name:value = 'mm9p16cuhh5p.xyz']","pattern_type":"stix","pattern_version":"2.1","valid_from":"2026-05-02T01:37:42.077Z","confidence":75,"object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],"valid_until":"2028-05-01T01:37:42.077Z","extensions":{"extension-definition--f9e3a21e-ae23-4100-adb4-4852e951cfd9":{"extension_type":"property-extension","signer":"identity--0ddfedcd-a484-4548-a569-39b60fcbff70","key":"397e830ad690b9d46526587266b3d37f85d2822b1987ebd65cab3495180314a8","sig":"Dfc+Bim0YWDMmMsxsvuazJkNg4Ml7ChUWJQKJBoBtpJ1lRpFJxr/FlTrVS1CP4oQqjyfj8j9xQ9N5SYO/taIAw=="}}}"#;
    let mut g = c.benchmark_group("view");
    g.throughput(Throughput::Elements(1));
    g.bench_function("sharing_view", |b| {
        b.iter(|| sharing_view(stored.as_bytes(), &policy).expect("a view"))
    });
    g.bench_function("whole_object", |b| {
        b.iter(|| concord_stix::json::parse_object(stored.as_bytes()).expect("an object"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
