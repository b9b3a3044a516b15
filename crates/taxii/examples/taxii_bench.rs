//! TAXII throughput client for bench/taxii.sh: POSTs the first N objects of
//! a bundle in envelopes, waits for each status, then GETs the collection
//! back page by page (following `next`) and reports objects/s and page
//! latencies as one JSON line. A Rust client, so the client's own JSON
//! handling is not what is measured.
//!
//! Usage: taxii_bench API_ROOT COLLECTION TOKEN BUNDLE N ENVELOPE PAGE [SERVER_PID]

use std::time::Instant;

use concord_stix::bundle::BundleReader;
use concord_taxii::client::{Auth, Client, ClientOptions, ObjectsQuery};

fn proc_kib(pid: &str, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[expect(clippy::print_stdout, reason = "a measuring tool prints its figures")]
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 8 {
        return Err(
            "usage: taxii_bench API_ROOT COLLECTION TOKEN BUNDLE N ENVELOPE PAGE [SERVER_PID]"
                .into(),
        );
    }
    let (root, coll, token, bundle) = (&a[1], &a[2], &a[3], &a[4]);
    let n: usize = a[5].parse()?;
    let envelope: usize = a[6].parse()?;
    let page: usize = a[7].parse()?;
    let pid = a.get(8);
    let client = Client::new(ClientOptions {
        auth: Auth::Bearer(token.clone()),
        compressed: false,
        ..ClientOptions::default()
    })?;

    let mut objects = Vec::with_capacity(n);
    for o in BundleReader::new(std::fs::File::open(bundle)?) {
        if objects.len() == n {
            break;
        }
        objects.push(String::from_utf8(o?.bytes)?);
    }
    // Envelopes are built before the clock starts.
    let bodies: Vec<Vec<u8>> = objects
        .chunks(envelope)
        .map(|c| {
            concord_taxii::envelope::write(false, None, c.iter().map(String::as_str)).into_bytes()
        })
        .collect();
    let t = Instant::now();
    let mut stored = 0u64;
    for b in &bodies {
        let st = client.post_envelope(root, coll, b).await?;
        let st = client.wait_complete(root, st, 1000).await?;
        if st.status != "complete" || st.failure_count != 0 {
            return Err(format!(
                "POST not complete: {} failures {}",
                st.status, st.failure_count
            )
            .into());
        }
        stored += st.success_count;
    }
    let post_s = t.elapsed().as_secs_f64();

    let mut lat = Vec::new();
    let mut got = 0usize;
    let mut q = ObjectsQuery {
        limit: Some(page),
        ..Default::default()
    };
    let t = Instant::now();
    loop {
        let p0 = Instant::now();
        let p = client.get_objects(root, coll, &q).await?;
        lat.push(p0.elapsed().as_secs_f64() * 1000.0);
        got += p.objects.len();
        if !p.more {
            break;
        }
        q.next = p.next;
    }
    let get_s = t.elapsed().as_secs_f64();
    lat.sort_by(|a, b| a.total_cmp(b));
    let out = serde_json::json!({
        "objects": n,
        "stored": stored,
        "post_seconds": post_s,
        "post_objects_per_s": n as f64 / post_s,
        "got": got,
        "get_seconds": get_s,
        "get_objects_per_s": got as f64 / get_s,
        "pages": lat.len(),
        "page_ms_p50": percentile(&lat, 0.5),
        "page_ms_p99": percentile(&lat, 0.99),
        "page_ms_max": lat.last().copied().unwrap_or(0.0),
        "server_rss_mib": pid.and_then(|p| proc_kib(p, "VmRSS:")).map(|k| k as f64 / 1024.0),
        "server_peak_rss_mib": pid.and_then(|p| proc_kib(p, "VmHWM:")).map(|k| k as f64 / 1024.0),
    });
    println!("{out}");
    Ok(())
}
