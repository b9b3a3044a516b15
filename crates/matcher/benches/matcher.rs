//! Matching speed of the index: atomic observables against 100,000
//! indicators, and a whole JSON line read and matched.

use concord_matcher::{Format, Index, LogReader, Observable, Scratch, read_line};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let indicators: Vec<serde_json::Value> = (0..100_000u32)
        .map(|i| {
            let pattern = match i % 4 {
                0 => format!("[ipv4-addr:value = '45.{}.{}.{}']", i >> 16 & 255, i >> 8 & 255, i & 255),
                1 => format!("[domain-name:value = 'bad{i}.example']"),
                2 => format!("[file:hashes.'SHA-256' = '{:064x}']", u128::from(i) * 7919),
                _ => format!("[ipv4-addr:value ISSUBSET '91.{}.{}.0/24']", i >> 8 & 255, i & 255),
            };
            json!({"type": "indicator", "id": format!("indicator--00000000-0000-4000-8000-{i:012}"),
                   "pattern": pattern, "pattern_type": "stix", "name": "n", "valid_from": "2025-01-01T00:00:00Z"})
        })
        .collect();
    let (index, _) = Index::build(&indicators, None);
    let events: Vec<Vec<Observable>> = (0..1000u32)
        .map(|i| {
            vec![
                Observable::Ipv4([10, 0, (i >> 8) as u8, i as u8].into()),
                Observable::Ipv4([8, 8, (i >> 8) as u8, i as u8].into()),
                Observable::Domain(format!("host{i}.example.org")),
            ]
        })
        .collect();
    let mut group = c.benchmark_group("match");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("atomic observables vs 100k indicators", |b| {
        let mut scratch = Scratch::default();
        let mut hits = Vec::new();
        b.iter(|| {
            for e in &events {
                hits.clear();
                index.match_event(black_box(e), &mut scratch, &mut hits);
            }
        })
    });
    let lines: Vec<String> = (0..1000u32)
        .map(|i| format!(r#"{{"ts":"2026-11-01T00:00:00.000Z","kind":"conn","src_ip":"10.0.{}.{}","dst_ip":"8.8.8.{}","dst_port":443}}"#, i >> 8, i & 255, i & 255))
        .collect();
    group.bench_function("JSON line read and matched", |b| {
        let mut scratch = Scratch::default();
        let mut hits = Vec::new();
        b.iter(|| {
            for (n, l) in lines.iter().enumerate() {
                hits.clear();
                if let Ok(o) = read_line(Format::Json, &[], l, "bench", n as u64) {
                    index.match_event(&o, &mut scratch, &mut hits);
                }
            }
        })
    });
    // Real-format lines: a Zeek conn.log entry as Zeek's JSON writer emits
    // it, a Suricata EVE dns record and a firewall syslog line.
    let zeek: Vec<String> = (0..1000u32)
        .map(|i| format!(r#"{{"ts":1733220001.{i:06},"uid":"CHhAvVGS1DHFjwGM{i}","id.orig_h":"10.0.{}.{}","id.orig_p":{},"id.resp_h":"203.0.113.{}","id.resp_p":443,"proto":"tcp","service":"ssl","duration":0.2543,"orig_bytes":517,"resp_bytes":4312,"conn_state":"SF","local_orig":true,"local_resp":false,"missed_bytes":0,"history":"ShADadFf","orig_pkts":9,"orig_ip_bytes":993,"resp_pkts":8,"resp_ip_bytes":4736}}"#, i >> 8, i & 255, 40000 + i, i & 255))
        .collect();
    group.bench_function("Zeek conn JSON line read and matched", |b| {
        let mut scratch = Scratch::default();
        let mut hits = Vec::new();
        b.iter(|| {
            for (n, l) in zeek.iter().enumerate() {
                hits.clear();
                if let Ok(o) = read_line(Format::Json, &[], l, "bench", n as u64) {
                    index.match_event(&o, &mut scratch, &mut hits);
                }
            }
        })
    });
    // The same conn records in Zeek's default TSV format, header first.
    let mut tsv = vec![
        "#separator \\x09".to_string(),
        "#set_separator\t,".into(),
        "#empty_field\t(empty)".into(),
        "#unset_field\t-".into(),
        "#path\tconn".into(),
        "#open\t2026-12-03-10-00-00".into(),
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents".into(),
        "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]".into(),
    ];
    let header_lines = tsv.len();
    tsv.extend((0..1000u32).map(|i| format!("1733220001.{i:06}\tCHhAvVGS1DHFjwGM{i}\t10.0.{}.{}\t{}\t203.0.113.{}\t443\ttcp\tssl\t0.254338\t517\t4312\tSF\tT\tF\t0\tShADadFf\t9\t993\t8\t4736\t-", i >> 8, i & 255, 40000 + i, i & 255)));
    group.bench_function("Zeek conn TSV line read and matched", |b| {
        let mut scratch = Scratch::default();
        let mut hits = Vec::new();
        let mut observables = Vec::new();
        let mut reader = LogReader::new(None, Vec::new());
        for (n, l) in tsv[..header_lines].iter().enumerate() {
            let _ = reader.read(l, "bench", n as u64 + 1, &mut observables);
        }
        b.iter(|| {
            for (n, l) in tsv[header_lines..].iter().enumerate() {
                hits.clear();
                observables.clear();
                if reader.read(l, "bench", n as u64, &mut observables).is_ok() {
                    index.match_event(&observables, &mut scratch, &mut hits);
                }
            }
        })
    });
    let eve: Vec<String> = (0..1000u32)
        .map(|i| format!(r#"{{"timestamp":"2026-12-03T10:00:01.{i:06}+0000","flow_id":{},"in_iface":"eth0","event_type":"dns","src_ip":"10.0.{}.{}","src_port":{},"dest_ip":"10.0.0.53","dest_port":53,"proto":"UDP","dns":{{"type":"query","id":{i},"rrname":"host{i}.example.org","rrtype":"A","tx_id":0}}}}"#, 1000000 + i, i >> 8, i & 255, 40000 + i))
        .collect();
    group.bench_function("Suricata EVE dns line read and matched", |b| {
        let mut scratch = Scratch::default();
        let mut hits = Vec::new();
        b.iter(|| {
            for (n, l) in eve.iter().enumerate() {
                hits.clear();
                if let Ok(o) = read_line(Format::Json, &[], l, "bench", n as u64) {
                    index.match_event(&o, &mut scratch, &mut hits);
                }
            }
        })
    });
    let firewall: Vec<String> = (0..1000u32)
        .map(|i| format!("Dec  3 10:00:01 fw kernel: DROP IN=eth0 OUT= MAC=00:16:3e:5a:1b:2c:00:1b:21:3a:4f:5e:08:00 SRC=10.0.{}.{} DST=203.0.113.{} LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID={i} DF PROTO=TCP SPT={} DPT=443 WINDOW=64240 RES=0x00 SYN URGP=0", i >> 8, i & 255, i & 255, 40000 + i))
        .collect();
    group.bench_function("firewall text line read and matched", |b| {
        let mut scratch = Scratch::default();
        let mut hits = Vec::new();
        b.iter(|| {
            for (n, l) in firewall.iter().enumerate() {
                hits.clear();
                if let Ok(o) = read_line(Format::Text, &[], l, "bench", n as u64) {
                    index.match_event(&o, &mut scratch, &mut hits);
                }
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
