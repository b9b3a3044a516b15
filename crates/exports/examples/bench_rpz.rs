//! The RPZ export behind bench/exports.sh: reads a corpus bundle
//! (gen_corpus.py's bundle.json) object by object with concord-stix's
//! streaming reader, keeps its indicators as parsed objects (as the node
//! reads them from its store), then times the whole export (selection,
//! pattern parsing, validation, sorting, writing the zone file). It runs
//! on mimalloc, the allocator of the `concord` binary. Prints one JSON
//! object with the figures.
//!
//! Usage: bench_rpz --bundle bundle.json --out zone.rpz [--url-hosts] [--now RFC3339]

#![expect(
    clippy::print_stdout,
    reason = "a benchmark program prints its figures"
)]

use std::io::BufWriter;
use std::time::Instant;

use concord_exports::{Authors, ExportContext, RpzOptions, Target, export};
use concord_stix::Timestamp;
use concord_stix::bundle::BundleReader;
use serde_json::{Map, Value, json};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The process's peak resident set so far (VmHWM), in MiB.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bundle = arg(&args, "--bundle").expect("--bundle bundle.json");
    let out = arg(&args, "--out").expect("--out zone.rpz");
    let now = arg(&args, "--now").unwrap_or_else(|| "2026-12-01T00:00:00Z".into());
    let now = Timestamp::parse(&now).expect("--now is an RFC 3339 UTC time");

    let start = Instant::now();
    let file = std::fs::File::open(&bundle).expect("the bundle is readable");
    let mut objects: Vec<Map<String, Value>> = Vec::new();
    for raw in BundleReader::new(std::io::BufReader::new(file)) {
        let raw = raw.expect("the bundle is well-formed JSON");
        let object = concord_stix::json::parse_object(&raw.bytes).expect("each object is JSON");
        if object.get("type").and_then(Value::as_str) == Some("indicator") {
            objects.push(object);
        }
    }
    let load = start.elapsed().as_secs_f64();
    let loaded_rss = peak_rss_mib();

    let authors = Authors::new();
    let ctx = ExportContext::new(now, &authors);
    let mut options = RpzOptions::new(1);
    options.url_hosts = args.iter().any(|a| a == "--url-hosts");
    let file = std::fs::File::create(&out).expect("the zone file can be created");
    let start = Instant::now();
    let report = export(Target::Rpz(options), &objects, &ctx, BufWriter::new(file))
        .expect("the export runs");
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({
            "what": "concord rpz export",
            "indicators": objects.len(),
            "records": report.records,
            "skipped": report.skipped.len(),
            "load_seconds": load,
            "export_seconds": seconds,
            "indicators_per_second": objects.len() as f64 / seconds,
            "peak_rss_after_load_mib": loaded_rss,
            "peak_rss_after_export_mib": peak_rss_mib(),
        })
    );
}
