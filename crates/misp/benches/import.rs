//! MISP import speed: parse + convert + validate one large event, in
//! attributes per second (the task asks for at least 50,000 on 2 cores).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};

use concord_misp::{Importer, MemberDirectory};

/// A deterministic event of `n` attributes of the common types, three in
/// four with `to_ids`.
fn event(n: usize) -> Vec<u8> {
    let mut attrs = Vec::with_capacity(n);
    for i in 0..n {
        let (t, v) = match i % 6 {
            0 => ("domain", format!("host{i}.example")),
            1 => ("ip-dst", format!("198.51.{}.{}", (i / 256) % 256, i % 256)),
            2 => ("url", format!("https://bad{i}.example/path?q={i}")),
            3 => ("sha256", format!("{:064x}", i as u128 * 7919)),
            4 => (
                "filename|md5",
                format!("sample{i}.exe|{:032x}", i as u128 * 104_729),
            ),
            _ => (
                "ip-dst|port",
                format!(
                    "203.0.{}.{}|{}",
                    (i / 256) % 256,
                    i % 256,
                    1024 + i % 60_000
                ),
            ),
        };
        attrs.push(json!({
            "uuid": uuid::Uuid::from_u128(0x5f6a_0000_7d1e_4c3b_9a8f_0000_0000_0000 | i as u128).to_string(),
            "type": t, "category": "Network activity", "value": v,
            "to_ids": i % 4 != 0, "distribution": "5", "timestamp": "1712577600", "comment": "",
        }));
    }
    let e: Value = json!({"Event": {
        "uuid": "5e3f4a2b-1c0d-4e9f-8a7b-6c5d4e3f2a10", "info": "bench", "date": "2024-04-08",
        "timestamp": "1712667600", "published": true, "publish_timestamp": "1712671200",
        "distribution": "1", "Orgc": {"name": "CERT-North", "uuid": "3f8e5a3a-1c2b-4d5e-8f90-0a1b2c3d4e01"},
        "Tag": [{"name": "tlp:green"}], "Attribute": attrs,
    }});
    serde_json::to_vec(&e).expect("serialises")
}

fn import(c: &mut Criterion) {
    let n = 20_000;
    let bytes = event(n);
    let dir = MemberDirectory::new();
    let mut g = c.benchmark_group("misp_import");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);
    g.bench_function("parse_convert_validate_20k_attributes", |b| {
        b.iter(|| {
            let conv = Importer::new(&dir).convert_bytes(&bytes).expect("converts");
            assert_eq!(conv.report.attributes_mapped, n);
        });
    });
    g.finish();
}

criterion_group!(benches, import);
criterion_main!(benches);
