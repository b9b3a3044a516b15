//! `concord match [FILE...]`: checks log lines (Zeek JSON, Suricata EVE,
//! generic JSON lines, plain text with one observable a line) against the
//! active indicators of the store. Hits go to stdout as JSON lines, one per
//! (event, indicator); malformed lines and the summary (events, hits,
//! events/s) go to stderr.

use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow};
use concord_matcher::{FieldMapping, Format, Index, Scratch, read_line};
use concord_store::{ScanQuery, Store};
use serde_json::{Value, json};

use super::Node;
use crate::Outcome;
use crate::config::Global;

#[derive(clap::Args)]
pub struct Args {
    /// Log files to read (standard input when none).
    files: Vec<PathBuf>,
    /// Map a JSON field to a STIX object path, e.g. sha256=file:hashes.'SHA-256' (repeatable).
    #[arg(long = "field")]
    fields: Vec<String>,
    /// How lines are read: auto (JSON when a line starts with '{', else text), json or text.
    #[arg(long, default_value = "auto")]
    format: String,
}

const PAGE: usize = 10_000;

fn load_index(global: &Global) -> Result<(Index, usize)> {
    let node = Node::open(global)?;
    let rt = super::runtime()?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0);
    let at = Some(concord_pattern::Timestamp { micros: now });
    let mut index = Index::new();
    let mut rejected = 0usize;
    let mut after_row = 0;
    loop {
        let page = rt.block_on(node.store.scan_latest(ScanQuery {
            after_row,
            limit: PAGE,
            types: vec!["indicator".to_string()],
            since_us: None,
            max_tlp: None,
            include_revoked: false,
        }))?;
        let Some(last) = page.last() else { break };
        after_row = last.row;
        for o in &page {
            let v: Value = serde_json::from_str(&o.json).context("a stored object is not JSON")?;
            if index.add(&v, at).is_err() {
                rejected += 1;
            }
        }
    }
    Ok((index, rejected))
}

pub fn run(global: &Global, args: Args) -> Result<Outcome> {
    let mappings = args
        .fields
        .iter()
        .map(|f| FieldMapping::parse(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow!("--field: {e}"))?;
    let format = match args.format.as_str() {
        "auto" => None,
        "json" => Some(Format::Json),
        "text" => Some(Format::Text),
        other => return Err(anyhow!("--format {other:?}: expected auto, json or text")),
    };
    let (index, rejected) = load_index(global)?;
    if rejected > 0 {
        eprintln!(
            "warning: {rejected} indicators could not be indexed (invalid or non-STIX patterns)"
        );
    }
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut scratch = Scratch::default();
    let mut hits = Vec::new();
    let (mut events, mut hit_count, mut bad) = (0u64, 0u64, 0u64);
    let started = Instant::now();
    let inputs: Vec<Option<PathBuf>> = if args.files.is_empty() {
        vec![None]
    } else {
        args.files.iter().cloned().map(Some).collect()
    };
    for input in inputs {
        let (name, reader): (String, Box<dyn BufRead>) = match &input {
            Some(p) => (
                p.display().to_string(),
                Box::new(std::io::BufReader::new(
                    std::fs::File::open(p).with_context(|| format!("opening {}", p.display()))?,
                )),
            ),
            None => ("-".to_string(), Box::new(std::io::stdin().lock())),
        };
        for (n, line) in reader.lines().enumerate() {
            let line_no = n as u64 + 1;
            let line = match line {
                Ok(l) => l,
                Err(e) => {
                    bad += 1;
                    eprintln!("{name}:{line_no}: {e}");
                    continue;
                }
            };
            let f = format.unwrap_or(if line.trim_start().starts_with('{') {
                Format::Json
            } else {
                Format::Text
            });
            let observables = match read_line(f, &mappings, &line, &name, line_no) {
                Ok(o) => o,
                Err(e) => {
                    bad += 1;
                    eprintln!("{e}");
                    continue;
                }
            };
            events += 1;
            hits.clear();
            index.match_event(&observables, &mut scratch, &mut hits);
            for h in &hits {
                let Some(info) = index.info(h.slot) else {
                    continue;
                };
                hit_count += 1;
                let record = json!({
                    "file": name, "line": line_no,
                    "observable": observables.get(h.observable).map(|o| o.text()),
                    "indicator": info.id, "name": info.name, "confidence": info.confidence,
                    "tlp": info.tlp, "created_by_ref": info.created_by_ref,
                });
                writeln!(out, "{record}")?;
            }
        }
    }
    out.flush()?;
    let secs = started.elapsed().as_secs_f64();
    let rate = if secs > 0.0 {
        events as f64 / secs
    } else {
        0.0
    };
    let summary = json!({"events": events, "hits": hit_count, "malformed": bad, "indicators": index.len(), "events_per_second": rate.round()});
    if global.json {
        eprintln!("{summary}");
    } else {
        eprintln!(
            "{events} events, {hit_count} hits, {bad} malformed lines, {} indicators, {rate:.0} events/s",
            index.len()
        );
    }
    Ok(if bad > 0 {
        Outcome::Failed
    } else {
        Outcome::Ok
    })
}
