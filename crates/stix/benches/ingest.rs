//! Reading one object as a peer sends it: strict parse, then validation,
//! then the canonical JSON its signature covers. Per object, so the figures
//! compare directly with the replication rate (bench/replication.sh).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// A signed indicator as concord stores and serves it (about 1 KB).
const INDICATOR: &str = r#"{"type":"indicator","spec_version":"2.1","id":"indicator--dee8d5e3-05a5-4b12-aa2a-3bdfe4d63520","created_by_ref":"identity--47eaa099-2cb6-416d-86dc-283cf0480ff9","created":"2026-05-02T01:37:42.077Z","modified":"2026-05-19T22:27:49.077Z","name":"Malicious domain mm9p16cuhh5p.xyz","description":"Scanning and brute-force source.","indicator_types":["anomalous-activity"],"pattern":"[domain-name:value = 'mm9p16cuhh5p.xyz']","pattern_type":"stix","pattern_version":"2.1","valid_from":"2026-05-02T01:37:42.077Z","confidence":75,"object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],"valid_until":"2028-05-01T01:37:42.077Z","extensions":{"extension-definition--f9e3a21e-ae23-4100-adb4-4852e951cfd9":{"extension_type":"property-extension","signer":"identity--0ddfedcd-a484-4548-a569-39b60fcbff70","key":"397e830ad690b9d46526587266b3d37f85d2822b1987ebd65cab3495180314a8","sig":"Dfc+Bim0YWDMmMsxsvuazJkNg4Ml7ChUWJQKJBoBtpJ1lRpFJxr/FlTrVS1CP4oQqjyfj8j9xQ9N5SYO/taIAw=="}}}"#;

fn bench(c: &mut Criterion) {
    let bytes = INDICATOR.as_bytes();
    let mut g = c.benchmark_group("ingest");
    g.throughput(Throughput::Elements(1));
    g.bench_function("parse_object", |b| {
        b.iter(|| std::hint::black_box(concord_stix::json::parse_object(bytes).expect("parses")))
    });
    g.bench_function("serde_json_from_slice", |b| {
        b.iter(|| {
            std::hint::black_box(
                serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(bytes)
                    .expect("parses"),
            )
        })
    });
    g.bench_function("read_object", |b| {
        b.iter(|| {
            std::hint::black_box(
                concord_stix::ingest::read_object(bytes, &concord_pattern::Grammar).expect("valid"),
            )
        })
    });
    let object = concord_stix::json::parse_object(bytes).expect("parses");
    g.bench_function("canonical", |b| {
        b.iter(|| {
            std::hint::black_box(
                concord_stix::canonical::to_canonical_string_omitting(
                    &object,
                    &["extensions", "sig"],
                )
                .expect("canonical"),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
