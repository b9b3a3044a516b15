//! Export speed per format over 20,000 indicators shaped like the shared
//! corpus (domains, addresses, networks, URLs, e-mail addresses, hashes),
//! from parsed objects to bytes: selection, pattern parsing, validation,
//! sorting and writing.

use concord_exports::{
    Authors, ExportContext, RpzOptions, SidTable, SuricataOptions, Target, ZeekOptions, export,
};
use concord_stix::Timestamp;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Map, Value, json};
use std::hint::black_box;

fn indicators(n: u32) -> Vec<Map<String, Value>> {
    (0..n)
        .map(|i| {
            let pattern = match i % 8 {
                0 | 1 => format!("[domain-name:value = 'bad{i}.example.org']"),
                2 => format!(
                    "[ipv4-addr:value = '45.{}.{}.{}']",
                    i >> 16 & 255,
                    i >> 8 & 255,
                    i & 255
                ),
                3 => format!(
                    "[ipv4-addr:value ISSUBSET '91.{}.{}.0/24']",
                    i >> 8 & 255,
                    i & 255
                ),
                4 => format!("[url:value = 'http://bad{i}.example.net/path/{i}?q=1']"),
                5 => format!("[email-addr:value = 'phish{i}@bad.example']"),
                6 => format!("[file:hashes.'SHA-256' = '{:064x}']", u128::from(i) * 7919),
                _ => format!(
                    "[file:hashes.MD5 = '{:032x}' OR file:hashes.'SHA-256' = '{:064x}']",
                    u128::from(i) * 31,
                    u128::from(i) * 7919
                ),
            };
            json!({
                "type": "indicator", "spec_version": "2.1",
                "id": format!("indicator--00000000-0000-4000-8000-{i:012}"),
                "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                "name": format!("Malicious thing {i}"), "pattern": pattern, "pattern_type": "stix",
                "valid_from": "2026-01-01T00:00:00Z", "confidence": 80,
                "created_by_ref": "identity--11111111-1111-4111-8111-111111111111",
                "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]
            })
            .as_object()
            .cloned()
            .unwrap_or_default()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let objects = indicators(20_000);
    let authors = Authors::new();
    let now = Timestamp::parse("2026-12-01T00:00:00Z").unwrap_or(Timestamp(0));
    let ctx = ExportContext::new(now, &authors);
    let mut group = c.benchmark_group("export 20k indicators");
    group.throughput(Throughput::Elements(objects.len() as u64));
    group.sample_size(20);
    group.bench_function("rpz", |b| {
        b.iter(|| {
            let mut options = RpzOptions::new(1);
            options.url_hosts = true;
            let mut out = Vec::with_capacity(1 << 20);
            export(Target::Rpz(options), black_box(&objects), &ctx, &mut out).map(|r| r.records)
        });
    });
    let mut table = SidTable::new();
    group.bench_function("suricata (sids allocated)", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(1 << 20);
            export(
                Target::Suricata(SuricataOptions::default(), &mut table),
                black_box(&objects),
                &ctx,
                &mut out,
            )
            .map(|r| r.records)
        });
    });
    group.bench_function("zeek", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(1 << 20);
            export(
                Target::Zeek(ZeekOptions::default()),
                black_box(&objects),
                &ctx,
                &mut out,
            )
            .map(|r| r.records)
        });
    });
    group.bench_function("csv", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(1 << 20);
            export(Target::Csv, black_box(&objects), &ctx, &mut out).map(|r| r.records)
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
